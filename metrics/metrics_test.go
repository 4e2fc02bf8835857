package metrics

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/rapport-dev/rapport/cycle"
	"github.com/rapport-dev/rapport/internal/itest"
	"github.com/rapport-dev/rapport/store"
)

var testBuild = Build{Version: "v1.2.3", Revision: "abc123", GoVersion: "go1.26.8"}

func TestSelfMetrics(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m, err := New(reg, testBuild)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Unix(1772442000, 0)
	m.Configured([]string{"fastmail", "files", "old"}, nil, at)
	m.Synced(cycle.SyncResult{Source: "files", Duration: 2 * time.Second, Applied: store.ApplyResult{Inserted: 3, Updated: 1, Unchanged: 7}}, at)
	m.Synced(cycle.SyncResult{Source: "fastmail", Duration: time.Second, Problems: []error{errors.New("x"), errors.New("y")}}, at.Add(-time.Hour))
	m.Synced(cycle.SyncResult{Source: "fastmail", Duration: 30 * time.Second, Err: errors.New("caldav: 503")}, at)
	m.Synced(cycle.SyncResult{Source: "old", Duration: time.Second}, at)
	// A reload that drops "old" removes its series; a failed one keeps
	// everything and is counted.
	m.Configured([]string{"fastmail", "files"}, nil, at.Add(time.Minute))
	m.Configured(nil, errors.New("config: listen: bad"), at.Add(2*time.Minute))
	m.Cycled(1500*time.Millisecond, nil, at)
	m.Cycled(time.Second, errors.New("store: locked"), at.Add(time.Minute))
	m.EmailSent()
	m.EmailSent()
	m.EmailFailed()

	want := `
# HELP rapport_build_info Always 1; the labels describe the running binary.
# TYPE rapport_build_info gauge
rapport_build_info{goversion="go1.26.8",revision="abc123",version="v1.2.3"} 1
# HELP rapport_config_last_reload_success_timestamp_seconds When the configuration was last loaded successfully, as a Unix time.
# TYPE rapport_config_last_reload_success_timestamp_seconds gauge
rapport_config_last_reload_success_timestamp_seconds 1.77244206e+09
# HELP rapport_config_last_reload_successful Whether the last configuration (re)load succeeded (1) or kept the previous configuration (0).
# TYPE rapport_config_last_reload_successful gauge
rapport_config_last_reload_successful 0
# HELP rapport_config_reloads_total Configuration reloads (SIGHUP), by result: success or failure.
# TYPE rapport_config_reloads_total counter
rapport_config_reloads_total{result="failure"} 1
rapport_config_reloads_total{result="success"} 2
# HELP rapport_cycle_errors_total Analysis cycles that failed, in the store or in the notifier.
# TYPE rapport_cycle_errors_total counter
rapport_cycle_errors_total 1
# HELP rapport_emails_failed_total Attempts to deliver an email that failed (each retry counts).
# TYPE rapport_emails_failed_total counter
rapport_emails_failed_total 1
# HELP rapport_emails_sent_total Emails delivered to the mail server or written to the outbox.
# TYPE rapport_emails_sent_total counter
rapport_emails_sent_total 2
# HELP rapport_last_cycle_success_timestamp_seconds When the last analysis cycle succeeded, as a Unix time.
# TYPE rapport_last_cycle_success_timestamp_seconds gauge
rapport_last_cycle_success_timestamp_seconds 1.772442e+09
# HELP rapport_source_changes_total Events a source's syncs inserted, updated or deleted in the store.
# TYPE rapport_source_changes_total counter
rapport_source_changes_total{change="deleted",source="fastmail"} 0
rapport_source_changes_total{change="deleted",source="files"} 0
rapport_source_changes_total{change="inserted",source="fastmail"} 0
rapport_source_changes_total{change="inserted",source="files"} 3
rapport_source_changes_total{change="updated",source="fastmail"} 0
rapport_source_changes_total{change="updated",source="files"} 1
# HELP rapport_source_last_success_timestamp_seconds When a source last synced successfully, as a Unix time; absent until it has.
# TYPE rapport_source_last_success_timestamp_seconds gauge
rapport_source_last_success_timestamp_seconds{source="fastmail"} 1.7724384e+09
rapport_source_last_success_timestamp_seconds{source="files"} 1.772442e+09
# HELP rapport_source_last_sync_successful Whether the last sync of a source succeeded (1) or failed as a whole (0).
# TYPE rapport_source_last_sync_successful gauge
rapport_source_last_sync_successful{source="fastmail"} 0
rapport_source_last_sync_successful{source="files"} 1
# HELP rapport_source_sync_errors_total Syncs of a source that failed as a whole (unreachable, unauthorised, timed out).
# TYPE rapport_source_sync_errors_total counter
rapport_source_sync_errors_total{source="fastmail"} 1
rapport_source_sync_errors_total{source="files"} 0
# HELP rapport_source_sync_problems_total Calendars and calendar objects of a source that could not be read or stored, and were skipped.
# TYPE rapport_source_sync_problems_total counter
rapport_source_sync_problems_total{source="fastmail"} 2
rapport_source_sync_problems_total{source="files"} 0
`
	names := []string{
		"rapport_build_info", "rapport_config_last_reload_success_timestamp_seconds", "rapport_config_last_reload_successful",
		"rapport_config_reloads_total", "rapport_cycle_errors_total", "rapport_emails_failed_total", "rapport_emails_sent_total",
		"rapport_last_cycle_success_timestamp_seconds", "rapport_source_changes_total", "rapport_source_last_success_timestamp_seconds",
		"rapport_source_last_sync_successful", "rapport_source_sync_errors_total", "rapport_source_sync_problems_total",
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}
	if n, _ := testutil.GatherAndCount(reg, "rapport_source_sync_duration_seconds"); n != 2 {
		t.Errorf("%d sync duration histograms, want 2 (the removed source's is gone)", n)
	}
	if n, _ := testutil.GatherAndCount(reg, "rapport_cycle_duration_seconds"); n != 1 {
		t.Errorf("%d cycle duration histograms, want 1", n)
	}
}

func TestNewRefusesToRegisterTwice(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := New(reg, testBuild); err != nil {
		t.Fatal(err)
	}
	if _, err := New(reg, testBuild); err == nil || !strings.HasPrefix(err.Error(), "metrics: ") {
		t.Errorf("second New = %v, want a metrics: error", err)
	}
}

func TestRoundTripperCountsRequestsByProviderAndStatus(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m, err := New(reg, testBuild)
	if err != nil {
		t.Fatal(err)
	}
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(status) }))
	defer srv.Close()
	client := &http.Client{Transport: m.RoundTripper("caldav", nil)}
	for _, code := range []int{200, 200, 429, 503} {
		status = code
		resp, err := client.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	broken := &http.Client{Transport: m.RoundTripper("google", http.DefaultTransport)}
	if _, err := broken.Get("http://127.0.0.1:1/"); err == nil {
		t.Fatal("a request to a closed port succeeded")
	}
	want := `
# HELP rapport_provider_requests_total HTTP requests to calendar providers, by provider and status code ("error" when no response came).
# TYPE rapport_provider_requests_total counter
rapport_provider_requests_total{code="200",provider="caldav"} 2
rapport_provider_requests_total{code="429",provider="caldav"} 1
rapport_provider_requests_total{code="503",provider="caldav"} 1
rapport_provider_requests_total{code="error",provider="google"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "rapport_provider_requests_total"); err != nil {
		t.Error(err)
	}
	if n, _ := testutil.GatherAndCount(reg, "rapport_provider_request_duration_seconds"); n != 2 {
		t.Errorf("%d duration histograms, want one per provider", n)
	}
}

// scrape serves reg and m's findings as the daemon does, and returns the
// body of one scrape.
func scrape(t testing.TB, reg prometheus.Gatherer, m *Metrics, gzipped bool) []byte {
	t.Helper()
	srv := httptest.NewServer(Handler(reg, m.Findings, nil))
	defer srv.Close()
	req, err := http.NewRequest(http.MethodGet, srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	if gzipped {
		req.Header.Set("Accept-Encoding", "gzip")
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("scrape: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var body io.Reader = resp.Body
	if gzipped {
		if resp.Header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("asked for gzip, got %q", resp.Header.Get("Content-Encoding"))
		}
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		zr.Multistream(false) // one member, as every client can read
		body = zr
	}
	out, err := io.ReadAll(body)
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	return out
}

// fullRegistry is the daemon's registry with every metric populated, and
// its Metrics.
func fullRegistry(t testing.TB, labels string) (*prometheus.Registry, *Metrics) {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := populated(t, reg, labels)
	return reg, m
}

// populated makes Metrics on reg and gives every metric a value.
func populated(t testing.TB, reg prometheus.Registerer, labels string) *Metrics {
	t.Helper()
	m, err := New(reg, testBuild)
	if err != nil {
		t.Fatal(err)
	}
	rep, org := largeOrg(20, 5)
	m.UpdateFindings(rep, View{Labels: labels, Org: org, PrivacyMinGroup: 5})
	at := time.Unix(1772442000, 0)
	m.Configured([]string{"files"}, nil, at)
	m.Synced(cycle.SyncResult{Source: "files", Duration: time.Second, Applied: store.ApplyResult{Inserted: 2}}, at)
	m.Cycled(time.Second, nil, at)
	m.EmailSent()
	m.EmailFailed()
	client := &http.Client{Transport: m.RoundTripper("ics", nil)}
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	if resp, err := client.Get(srv.URL); err == nil {
		resp.Body.Close()
	}
	return m
}

func TestTheHandlerServesWhatARegistryWould(t *testing.T) {
	for _, labels := range []string{LabelsPair, LabelsManager, LabelsTeam} {
		t.Run("labels "+labels, func(t *testing.T) {
			own := prometheus.NewPedanticRegistry()
			m := populated(t, own, labels)
			plain := scrape(t, own, m, false)
			if zipped := scrape(t, own, m, true); !bytes.Equal(zipped, plain) {
				t.Fatalf("the gzip scrape differs from the plain one: %d and %d bytes", len(zipped), len(plain))
			}
			// The standard path: the findings collected by a registry.
			both := prometheus.NewPedanticRegistry()
			both.MustRegister(own, m.Findings)
			if err := testutil.GatherAndCompare(both, bytes.NewReader(plain)); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestTheHandlerNeverExposesTheFindingsTwice(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m := populated(t, reg, LabelsManager)
	reg.MustRegister(m.Findings) // a caller that registered them anyway
	body := scrape(t, reg, m, false)
	if n := bytes.Count(body, []byte("# TYPE rapport_team_pairs gauge")); n != 1 {
		t.Errorf("rapport_team_pairs described %d times", n)
	}
}

func TestTheHandlerBeforeTheFirstAnalysis(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m, err := New(reg, testBuild)
	if err != nil {
		t.Fatal(err)
	}
	for _, gz := range []bool{false, true} {
		body := scrape(t, reg, m, gz)
		if !bytes.Contains(body, []byte("rapport_build_info{")) || bytes.Contains(body, []byte("rapport_pairs")) {
			t.Errorf("gzip=%v: %s", gz, body)
		}
	}
}

func TestTheScrapePassesPromtoolCheckMetrics(t *testing.T) {
	promtool := itest.Require(t, "promtool", "apt-get install prometheus")
	for _, labels := range []string{LabelsPair, LabelsManager, LabelsTeam} {
		t.Run("labels "+labels, func(t *testing.T) {
			reg, m := fullRegistry(t, labels)
			body := scrape(t, reg, m, true)
			cmd := exec.Command(promtool, "check", "metrics")
			cmd.Stdin = bytes.NewReader(body)
			out, err := cmd.CombinedOutput()
			if err != nil || len(bytes.TrimSpace(out)) > 0 {
				t.Errorf("promtool check metrics: %v\n%s", err, out)
			}
			if !regexp.MustCompile(`(?m)^rapport_team_pairs\{`).Match(body) {
				t.Error("the scrape has no team series")
			}
		})
	}
}
