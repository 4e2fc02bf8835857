package web

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rapport-dev/rapport/analyzer"
)

var (
	demoOnce sync.Once
	demoRep  analyzer.Report
)

// sharedDemo is the demo report, made once for all tests of the package.
func sharedDemo(t testing.TB) analyzer.Report {
	demoOnce.Do(func() { demoRep = demoReport(t) })
	if demoRep.Pairs == nil {
		t.Fatal("no demo report")
	}
	return demoRep
}

func get(t *testing.T, h http.Handler, path string, header http.Header) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	resp := rec.Result()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func basic(user, pass string) http.Header {
	req, _ := http.NewRequest(http.MethodGet, "/", nil)
	req.SetBasicAuth(user, pass)
	return req.Header
}

func TestNewRefusesToExposeTheDashboardWithoutAuthentication(t *testing.T) {
	auth := &BasicAuth{Username: "leader", Password: "s3cret"}
	for _, tc := range []struct {
		name    string
		opts    Options
		wantErr string
	}{
		{"loopback IPv4 may be open", Options{Listen: "127.0.0.1:9464"}, ""},
		{"loopback IPv6 may be open", Options{Listen: "[::1]:9464"}, ""},
		{"localhost may be open", Options{Listen: "localhost:0"}, ""},
		{"all interfaces without authentication are refused", Options{Listen: "0.0.0.0:9464"}, "set web.basic_auth or web.trusted_header"},
		{"an empty host is all interfaces, refused", Options{Listen: ":9464"}, "reachable from other machines"},
		{"IPv6 any is refused", Options{Listen: "[::]:9464"}, "reachable from other machines"},
		{"a LAN address is refused", Options{Listen: "192.168.1.10:9464"}, "reachable from other machines"},
		{"all interfaces with basic auth are allowed", Options{Listen: "0.0.0.0:9464", BasicAuth: auth}, ""},
		{"all interfaces behind a proxy header are allowed", Options{Listen: "0.0.0.0:9464", TrustedHeader: "X-Forwarded-Email"}, ""},
		{"basic auth without a password is refused", Options{Listen: "127.0.0.1:9464", BasicAuth: &BasicAuth{Username: "x"}}, "user name and a password"},
		{"both basic auth and a header are refused", Options{Listen: "127.0.0.1:9464", BasicAuth: auth, TrustedHeader: "X-User"}, "not both"},
		{"a listen address without port is refused", Options{Listen: "127.0.0.1"}, "missing port"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.opts)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("New: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("New = %v, want an error containing %q", err, tc.wantErr)
			case err != nil && !strings.HasPrefix(err.Error(), "web: "):
				t.Errorf("error %q is not prefixed with the package name", err)
			}
		})
	}
}

func TestAccessControl(t *testing.T) {
	rep := sharedDemo(t)
	metrics := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "rapport_build_info 1\n") })
	basicSrv, err := New(Options{Listen: "0.0.0.0:9464", BasicAuth: &BasicAuth{Username: "leader", Password: "s3cret"}, Metrics: metrics})
	if err != nil {
		t.Fatal(err)
	}
	headerSrv, err := New(Options{Listen: "0.0.0.0:9464", TrustedHeader: "X-Forwarded-Email", Metrics: metrics})
	if err != nil {
		t.Fatal(err)
	}
	openSrv, err := New(Options{Listen: "127.0.0.1:9464", Metrics: metrics})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Server{basicSrv, headerSrv, openSrv} {
		s.Publish(rep)
	}
	paths := []string{"/", "/managers/alice@example.com", "/api/v1/pairs", "/api/v1/teams", "/metrics"}
	for _, tc := range []struct {
		name   string
		srv    *Server
		header http.Header
		want   int
	}{
		{"basic auth: no credentials are refused", basicSrv, nil, http.StatusUnauthorized},
		{"basic auth: a wrong password is refused", basicSrv, basic("leader", "guess"), http.StatusUnauthorized},
		{"basic auth: a wrong user is refused", basicSrv, basic("admin", "s3cret"), http.StatusUnauthorized},
		{"basic auth: a password prefix is refused", basicSrv, basic("leader", "s3cre"), http.StatusUnauthorized},
		{"basic auth: the right credentials pass", basicSrv, basic("leader", "s3cret"), http.StatusOK},
		{"trusted header: missing is refused", headerSrv, nil, http.StatusForbidden},
		{"trusted header: empty is refused", headerSrv, http.Header{"X-Forwarded-Email": {"  "}}, http.StatusForbidden},
		{"trusted header: another header is refused", headerSrv, http.Header{"X-Forwarded-User": {"dana"}}, http.StatusForbidden},
		{"trusted header: present passes", headerSrv, http.Header{"X-Forwarded-Email": {"dana@example.com"}}, http.StatusOK},
		{"loopback without authentication is open", openSrv, nil, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, path := range paths {
				resp, _ := get(t, tc.srv.Handler(), path, tc.header)
				if resp.StatusCode != tc.want {
					t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, tc.want)
				}
				if tc.want == http.StatusUnauthorized && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic ") {
					t.Errorf("GET %s: 401 without a Basic challenge", path)
				}
			}
			// The probes are open whatever the access rule.
			for _, path := range []string{"/healthz", "/readyz"} {
				if resp, _ := get(t, tc.srv.Handler(), path, nil); resp.StatusCode != http.StatusOK {
					t.Errorf("GET %s: %d, want 200 without credentials", path, resp.StatusCode)
				}
			}
		})
	}
}

func TestTheTrustedViewerIsShownEscaped(t *testing.T) {
	srv, err := New(Options{Listen: "0.0.0.0:1", TrustedHeader: "X-Forwarded-Email"})
	if err != nil {
		t.Fatal(err)
	}
	srv.Publish(sharedDemo(t))
	_, body := get(t, srv.Handler(), "/", http.Header{"X-Forwarded-Email": {`<b>dana</b>@example.com`}})
	if !strings.Contains(body, "signed in as &lt;b&gt;dana&lt;/b&gt;@example.com") || strings.Contains(body, "<b>dana") {
		t.Errorf("viewer not shown escaped:\n%s", body)
	}
}

func TestProbes(t *testing.T) {
	for _, tc := range []struct {
		name     string
		ready    func() error
		wantCode int
		wantBody string
	}{
		{"ready once the daemon says so", func() error { return nil }, http.StatusOK, "ready"},
		{"not ready before the first analysis", func() error { return errors.New("daemon: the first analysis has not finished yet") }, http.StatusServiceUnavailable, "first analysis"},
		{"ready without a readiness check", nil, http.StatusOK, "ready"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, err := New(Options{Listen: "127.0.0.1:0", Ready: tc.ready})
			if err != nil {
				t.Fatal(err)
			}
			resp, body := get(t, srv.Handler(), "/readyz", nil)
			if resp.StatusCode != tc.wantCode || !strings.Contains(body, tc.wantBody) {
				t.Errorf("/readyz = %d %q, want %d %q", resp.StatusCode, body, tc.wantCode, tc.wantBody)
			}
			if resp, _ := get(t, srv.Handler(), "/healthz", nil); resp.StatusCode != http.StatusOK {
				t.Errorf("/healthz = %d: the process is alive", resp.StatusCode)
			}
		})
	}
}

func TestAPI(t *testing.T) {
	rep := sharedDemo(t)
	srv, err := New(Options{Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/api/v1/pairs", "/api/v1/teams"} {
		if resp, body := get(t, srv.Handler(), path, nil); resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, `"error"`) {
			t.Errorf("GET %s before the first analysis: %d %s, want 503 with an error", path, resp.StatusCode, body)
		}
	}
	srv.Publish(rep)

	type pairsDoc struct {
		GeneratedAt time.Time `json:"generated_at"`
		WindowDays  int       `json:"window_days"`
		Pairs       []map[string]any
	}
	for _, tc := range []struct {
		name  string
		query string
		keep  func(analyzer.PairReport) bool
	}{
		{"every pair", "", func(analyzer.PairReport) bool { return true }},
		{"one team's pairs", "?team=platform", func(p analyzer.PairReport) bool { return p.Team == "platform" }},
		{"one manager's pairs", "?manager=marcus@example.com", func(p analyzer.PairReport) bool { return p.Manager == "marcus@example.com" }},
		{"the pairs at risk", "?band=at_risk", func(p analyzer.PairReport) bool { return p.Band == analyzer.BandAtRisk }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := get(t, srv.Handler(), "/api/v1/pairs"+tc.query, nil)
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("%d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			var doc pairsDoc
			if err := json.Unmarshal([]byte(body), &doc); err != nil {
				t.Fatal(err)
			}
			want := 0
			for _, p := range rep.Pairs {
				if tc.keep(p) {
					want++
				}
			}
			if len(doc.Pairs) != want || want == 0 {
				t.Fatalf("%d pairs, want %d (and more than none)", len(doc.Pairs), want)
			}
			if !doc.GeneratedAt.Equal(rep.GeneratedAt) || doc.WindowDays != rep.WindowDays {
				t.Errorf("generated_at %v window %d", doc.GeneratedAt, doc.WindowDays)
			}
			// The keys of the report contract, in every pair.
			for _, key := range []string{"manager", "report", "team", "band", "score", "intended_interval_days",
				"realized_interval_days", "days_since_last", "next_planned", "counts", "signals"} {
				if _, ok := doc.Pairs[0][key]; !ok {
					t.Errorf("pair without %q: %v", key, doc.Pairs[0])
				}
			}
		})
	}

	resp, body := get(t, srv.Handler(), "/api/v1/teams", nil)
	var teams struct {
		Teams []analyzer.TeamReport `json:"teams"`
	}
	if err := json.Unmarshal([]byte(body), &teams); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("teams: %d %v", resp.StatusCode, err)
	}
	if len(teams.Teams) != len(rep.Teams) || teams.Teams[0].Team != rep.Teams[0].Team || teams.Teams[0].Coverage != rep.Teams[0].Coverage {
		t.Errorf("teams = %+v, want %+v", teams.Teams, rep.Teams)
	}
	if !strings.Contains(body, `"median_days_since_last"`) {
		t.Errorf("teams JSON lacks the contract's keys:\n%s", body)
	}
}

func TestDashboard(t *testing.T) {
	rep := sharedDemo(t)
	srv, err := New(Options{Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	resp, body := get(t, srv.Handler(), "/", nil)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "first analysis is running") || !strings.Contains(body, `http-equiv="refresh"`) {
		t.Errorf("before the first analysis: %d\n%s", resp.StatusCode, body)
	}
	srv.Publish(rep)

	resp, body = get(t, srv.Handler(), "/", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("overview: %d", resp.StatusCode)
	}
	for _, team := range rep.Teams {
		if !strings.Contains(body, `<td class="team-name">`+team.Team+`</td>`) {
			t.Errorf("overview lacks team %s", team.Team)
		}
	}
	for _, p := range rep.Pairs {
		if !strings.Contains(body, `href="/managers/`+p.Manager+`"`) {
			t.Errorf("overview lacks a link to manager %s", p.Manager)
		}
	}
	if strings.Contains(body, "ZgotmplZ") {
		t.Error("a template value was rejected by html/template (ZgotmplZ)")
	}

	manager := "alice@example.com"
	resp, body = get(t, srv.Handler(), "/managers/"+manager, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("manager page: %d", resp.StatusCode)
	}
	from := rep.GeneratedAt.Add(-time.Duration(rep.WindowDays) * 24 * time.Hour)
	to := rep.GeneratedAt.Add(timelineAhead)
	cells := 0
	for _, p := range rep.Pairs {
		if p.Manager != manager {
			if strings.Contains(body, `<span class="name">`+p.Report+`</span>`) {
				t.Errorf("manager page shows %s, who reports to %s", p.Report, p.Manager)
			}
			continue
		}
		if !strings.Contains(body, `<span class="name">`+p.Report+`</span>`) {
			t.Errorf("manager page lacks pair %s", p.Report)
		}
		for _, o := range p.Occurrences {
			if !o.Planned.Before(from) && o.Planned.Before(to) {
				cells++
			}
		}
		for _, s := range p.Signals {
			if !strings.Contains(body, signalText(s)) {
				t.Errorf("manager page lacks signal %s of %s", s.Name, p.Report)
			}
		}
	}
	if got := strings.Count(body, `role="listitem"`); got != cells || cells == 0 {
		t.Errorf("%d timeline cells, want one per occurrence in range: %d", got, cells)
	}
	if strings.Contains(body, "ZgotmplZ") {
		t.Error("a template value was rejected by html/template (ZgotmplZ)")
	}
	if !strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Errorf("CSP = %q", resp.Header.Get("Content-Security-Policy"))
	}

	if resp, body := get(t, srv.Handler(), "/managers/nobody@example.com", nil); resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "No such manager") {
		t.Errorf("unknown manager: %d", resp.StatusCode)
	}
	if resp, _ := get(t, srv.Handler(), "/nowhere", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown page: %d", resp.StatusCode)
	}
}

func TestUntrustedStringsAreEscaped(t *testing.T) {
	const (
		team    = `<script>alert("team")</script>`
		manager = `"><img src=x onerror=alert(1)>@example.com`
		report  = `bob</span><script>alert(2)</script>@example.com`
	)
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	rep := analyzer.Report{
		GeneratedAt: now, WindowDays: 84,
		Pairs: []analyzer.PairReport{{
			Manager: manager, Report: report, Team: team, Band: analyzer.BandAtRisk, Score: 10,
			Signals: []analyzer.Signal{{Name: analyzer.SignalOverdue, Value: 50, Threshold: 14}},
			Occurrences: []analyzer.Occurrence{{
				Planned: now.Add(-48 * time.Hour), PlannedEnd: now.Add(-47 * time.Hour), Fate: analyzer.FateSkipped,
			}},
		}},
		Teams: []analyzer.TeamReport{{Team: team, Pairs: 1, AtRisk: 1}},
	}
	srv, err := New(Options{Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	srv.Publish(rep)
	for _, path := range []string{"/", "/managers/" + strings.ReplaceAll(manager, " ", "%20")} {
		resp, body := get(t, srv.Handler(), path, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d\n%s", path, resp.StatusCode, body)
		}
		for _, raw := range []string{"<script>", "<img", "onerror=alert(1)>"} {
			if strings.Contains(body, raw) {
				t.Errorf("GET %s: the page contains %q unescaped", path, raw)
			}
		}
	}
	_, body := get(t, srv.Handler(), "/", nil)
	if !strings.Contains(body, "&lt;script&gt;alert(&#34;team&#34;)&lt;/script&gt;") {
		t.Errorf("the team name is not shown escaped:\n%s", body)
	}
}

func TestTheServerHasTimeoutsAndShutsDownGracefully(t *testing.T) {
	srv, err := New(Options{Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	hs := srv.httpServer(context.Background())
	if hs.ReadHeaderTimeout <= 0 || hs.ReadTimeout <= 0 || hs.WriteTimeout <= 0 || hs.IdleTimeout <= 0 || hs.MaxHeaderBytes <= 0 {
		t.Errorf("timeouts not all set: %+v", hs)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	resp, err := http.Get("http://" + ln.Addr().String() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(shutdownTimeout + time.Second):
		t.Fatal("Serve did not return after its context ended")
	}
}
