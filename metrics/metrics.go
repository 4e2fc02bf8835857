// Package metrics exports Rapport's Prometheus metrics: the findings of the
// latest analysis (per pair, manager or team, as configured) from a custom
// Collector over an immutable snapshot, and the daemon's own health —
// syncs per source, provider requests, emails, cycles, reloads and build
// information. Everything is registered on an injected
// prometheus.Registerer; nothing is global.
//
// Names follow Prometheus conventions: the rapport_ prefix, base units
// (seconds, ratios from 0 to 1), _total for counters, _timestamp_seconds
// for Unix times.
package metrics

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rapport-dev/rapport/analyzer"
	"github.com/rapport-dev/rapport/cycle"
)

// Build describes the running binary, for rapport_build_info.
type Build struct {
	Version   string // e.g. v1.2.3, or devel
	Revision  string // VCS revision, when known
	GoVersion string // runtime.Version()
}

// Metrics are Rapport's metrics. Its methods are safe for concurrent use.
type Metrics struct {
	// Findings are the series of the latest analysis. New does not
	// register them: Handler serves them from a cache made once per
	// analysis. Register them on a registry for other exposition paths.
	Findings *Findings

	syncDuration    *prometheus.HistogramVec
	syncErrors      *prometheus.CounterVec
	syncProblems    *prometheus.CounterVec
	syncChanges     *prometheus.CounterVec
	syncSuccessful  *prometheus.GaugeVec
	syncLastSuccess *prometheus.GaugeVec

	requests        *prometheus.CounterVec
	requestDuration *prometheus.HistogramVec

	emailsSent   prometheus.Counter
	emailsFailed prometheus.Counter

	cycleDuration prometheus.Histogram
	cycleErrors   prometheus.Counter
	cycleLast     prometheus.Gauge

	reloadSuccessful  prometheus.Gauge
	reloadLastSuccess prometheus.Gauge
	reloads           *prometheus.CounterVec

	mu      sync.Mutex
	sources map[string]bool // that have series
}

// New creates Rapport's metrics and registers them on reg, except the
// Findings (see Metrics.Findings and Handler).
func New(reg prometheus.Registerer, b Build) (*Metrics, error) {
	m := &Metrics{
		Findings: NewFindings(),
		syncDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "rapport_source_sync_duration_seconds",
			Help:    "Time one sync of a calendar source took, successful or not.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300},
		}, []string{"source"}),
		syncErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rapport_source_sync_errors_total",
			Help: "Syncs of a source that failed as a whole (unreachable, unauthorised, timed out).",
		}, []string{"source"}),
		syncProblems: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rapport_source_sync_problems_total",
			Help: "Calendars and calendar objects of a source that could not be read or stored, and were skipped.",
		}, []string{"source"}),
		syncChanges: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rapport_source_changes_total",
			Help: "Events a source's syncs inserted, updated or deleted in the store.",
		}, []string{"source", "change"}),
		syncSuccessful: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "rapport_source_last_sync_successful",
			Help: "Whether the last sync of a source succeeded (1) or failed as a whole (0).",
		}, []string{"source"}),
		syncLastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "rapport_source_last_success_timestamp_seconds",
			Help: "When a source last synced successfully, as a Unix time; absent until it has.",
		}, []string{"source"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rapport_provider_requests_total",
			Help: "HTTP requests to calendar providers, by provider and status code (\"error\" when no response came).",
		}, []string{"provider", "code"}),
		requestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "rapport_provider_request_duration_seconds",
			Help:    "Time HTTP requests to calendar providers took, until the response headers.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
		}, []string{"provider"}),
		emailsSent: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rapport_emails_sent_total",
			Help: "Emails delivered to the mail server or written to the outbox.",
		}),
		emailsFailed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rapport_emails_failed_total",
			Help: "Attempts to deliver an email that failed (each retry counts).",
		}),
		cycleDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "rapport_cycle_duration_seconds",
			Help:    "Time one analysis cycle took: reading the store, analyzing, updating the findings and notifying.",
			Buckets: []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60},
		}),
		cycleErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rapport_cycle_errors_total",
			Help: "Analysis cycles that failed, in the store or in the notifier.",
		}),
		cycleLast: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "rapport_last_cycle_success_timestamp_seconds",
			Help: "When the last analysis cycle succeeded, as a Unix time.",
		}),
		reloadSuccessful: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "rapport_config_last_reload_successful",
			Help: "Whether the last configuration (re)load succeeded (1) or kept the previous configuration (0).",
		}),
		reloadLastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "rapport_config_last_reload_success_timestamp_seconds",
			Help: "When the configuration was last loaded successfully, as a Unix time.",
		}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rapport_config_reloads_total",
			Help: "Configuration reloads (SIGHUP), by result: success or failure.",
		}, []string{"result"}),
	}
	for _, r := range []string{"success", "failure"} {
		m.reloads.WithLabelValues(r)
	}
	info := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "rapport_build_info",
		Help: "Always 1; the labels describe the running binary.",
		ConstLabels: prometheus.Labels{
			"version": b.Version, "revision": b.Revision, "goversion": b.GoVersion,
		},
	})
	info.Set(1)
	var errs []error
	for _, c := range []prometheus.Collector{
		info,
		m.syncDuration, m.syncErrors, m.syncProblems, m.syncChanges, m.syncSuccessful, m.syncLastSuccess,
		m.requests, m.requestDuration, m.emailsSent, m.emailsFailed,
		m.cycleDuration, m.cycleErrors, m.cycleLast,
		m.reloadSuccessful, m.reloadLastSuccess, m.reloads,
	} {
		if err := reg.Register(c); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	return m, nil
}

// Synced records one sync of a source, finished at.
func (m *Metrics) Synced(res cycle.SyncResult, at time.Time) {
	s := res.Source
	m.mu.Lock()
	if m.sources == nil {
		m.sources = map[string]bool{}
	}
	m.sources[s] = true
	m.mu.Unlock()
	m.syncDuration.WithLabelValues(s).Observe(res.Duration.Seconds())
	m.syncProblems.WithLabelValues(s).Add(float64(len(res.Problems)))
	m.syncChanges.WithLabelValues(s, "inserted").Add(float64(res.Applied.Inserted))
	m.syncChanges.WithLabelValues(s, "updated").Add(float64(res.Applied.Updated))
	m.syncChanges.WithLabelValues(s, "deleted").Add(float64(res.Applied.Deleted))
	if res.Err != nil {
		m.syncErrors.WithLabelValues(s).Inc()
		m.syncSuccessful.WithLabelValues(s).Set(0)
		return
	}
	m.syncErrors.WithLabelValues(s) // present at 0, so that rate() works from the start
	m.syncSuccessful.WithLabelValues(s).Set(1)
	m.syncLastSuccess.WithLabelValues(s).Set(unix(at))
}

// Cycled records one analysis cycle that took took and ended at at; err
// is nil when it succeeded.
func (m *Metrics) Cycled(took time.Duration, err error, at time.Time) {
	m.cycleDuration.Observe(took.Seconds())
	if err != nil {
		m.cycleErrors.Inc()
		return
	}
	m.cycleLast.Set(unix(at))
}

// Configured records a configuration load (the first one or a reload) at
// at. With err nil, sources are the configured source names, and the
// series of sources no longer configured are removed, so that alerts about
// them stop; with an error the previous configuration stays in force.
func (m *Metrics) Configured(sources []string, err error, at time.Time) {
	if err != nil {
		m.reloadSuccessful.Set(0)
		m.reloads.WithLabelValues("failure").Inc()
		return
	}
	m.reloadSuccessful.Set(1)
	m.reloadLastSuccess.Set(unix(at))
	m.reloads.WithLabelValues("success").Inc()
	keep := map[string]bool{}
	for _, s := range sources {
		keep[s] = true
		m.syncErrors.WithLabelValues(s)
		m.syncProblems.WithLabelValues(s)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for s := range m.sources {
		if keep[s] {
			continue
		}
		for _, vec := range []interface {
			DeletePartialMatch(prometheus.Labels) int
		}{m.syncDuration, m.syncErrors, m.syncProblems, m.syncChanges, m.syncSuccessful, m.syncLastSuccess} {
			vec.DeletePartialMatch(prometheus.Labels{"source": s})
		}
	}
	m.sources = keep
}

// UpdateFindings replaces the findings with those of rep, seen through v.
func (m *Metrics) UpdateFindings(rep analyzer.Report, v View) { m.Findings.Update(rep, v) }

// EmailSent counts an email delivered (or written to the outbox).
func (m *Metrics) EmailSent() { m.emailsSent.Inc() }

// EmailFailed counts a failed attempt to deliver an email.
func (m *Metrics) EmailFailed() { m.emailsFailed.Inc() }

// RoundTripper wraps next (nil: http.DefaultTransport) so that every
// request counts in rapport_provider_requests_total and
// rapport_provider_request_duration_seconds under provider ("google",
// "caldav", "ics"). Give it to a source's http.Client:
//
//	client := &http.Client{Transport: m.RoundTripper("caldav", nil)}
func (m *Metrics) RoundTripper(provider string, next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return &instrumented{next: next, provider: provider, m: m}
}

type instrumented struct {
	next     http.RoundTripper
	provider string
	m        *Metrics
}

func (t *instrumented) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	t.m.requestDuration.WithLabelValues(t.provider).Observe(time.Since(start).Seconds())
	code := "error"
	if err == nil {
		code = strconv.Itoa(resp.StatusCode)
	}
	t.m.requests.WithLabelValues(t.provider, code).Inc()
	return resp, err
}

func unix(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }
