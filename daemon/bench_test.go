package daemon

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rapport-dev/rapport/analyzer"
	"github.com/rapport-dev/rapport/calendar/ics"
	"github.com/rapport-dev/rapport/cycle"
	"github.com/rapport-dev/rapport/demo"
	"github.com/rapport-dev/rapport/metrics"
	"github.com/rapport-dev/rapport/store"
	"github.com/rapport-dev/rapport/web"
)

// demoCycle is the demo organisation wired as the daemon runs it: one ICS
// source per manager's calendar file, a SQLite store, and the metrics and
// dashboard as publishers.
type demoCycle struct {
	dir     string
	st      *store.Store
	sources []cycle.Source
	pubs    []Publisher
}

var benchNow = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func newDemoCycle(b *testing.B, dir string) *demoCycle {
	b.Helper()
	st, err := store.Open(context.Background(), filepath.Join(dir, "rapport.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	d := &demoCycle{dir: dir, st: st}
	for _, t := range demo.Org().Teams {
		if t.Manager == "" {
			continue
		}
		name := "demo-" + strings.SplitN(t.Manager, "@", 2)[0]
		src, err := ics.New(ics.Config{Name: name, Owner: t.Manager, Paths: []string{d.file(t.Manager)}}, http.DefaultClient, nil)
		if err != nil {
			b.Fatal(err)
		}
		d.sources = append(d.sources, cycle.Source{Name: name, Source: src})
	}
	m, err := metrics.New(prometheus.NewRegistry(), metrics.Build{Version: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	srv, err := web.New(web.Options{Listen: "127.0.0.1:0"})
	if err != nil {
		b.Fatal(err)
	}
	view := metrics.View{Labels: metrics.LabelsPair, Org: demo.Org(), PrivacyMinGroup: 5}
	d.pubs = []Publisher{PublishFunc(func(rep analyzer.Report) { m.UpdateFindings(rep, view) }), srv}
	return d
}

func (d *demoCycle) file(owner string) string {
	return filepath.Join(d.dir, strings.ReplaceAll(owner, "@", "_at_")+".ics")
}

// write writes the calendars as they stood at asOf.
func (d *demoCycle) write(b *testing.B, asOf time.Time) {
	for owner, data := range demo.Calendars(benchNow, asOf) {
		if err := os.WriteFile(d.file(owner), data, 0o600); err != nil {
			b.Fatal(err)
		}
	}
}

// run is one cycle: sync every source, analyze, publish.
func (d *demoCycle) run(b *testing.B, at time.Time) analyzer.Report {
	ctx := context.Background()
	if err := cycle.Failed(cycle.Sync(ctx, d.st, d.sources, func() time.Time { return at }, slog.New(slog.DiscardHandler))); err != nil {
		b.Fatal(err)
	}
	rep, err := cycle.Analyze(ctx, d.st, demo.Org(), analyzer.DefaultSettings(), at)
	if err != nil {
		b.Fatal(err)
	}
	for _, p := range d.pubs {
		p.Publish(rep)
	}
	return rep
}

// BenchmarkDemoCycle measures one daemon cycle of the demo organisation
// (3 sources, 16 pairs, a year of history): "first" from an empty store,
// as at the first start (two syncs, a week apart, then the analysis),
// "steady" with calendars unchanged since the last sync.
func BenchmarkDemoCycle(b *testing.B) {
	b.Run("first", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			b.StopTimer()
			d := newDemoCycle(b, b.TempDir())
			d.write(b, benchNow.Add(-7*24*time.Hour))
			b.StartTimer()
			d.run(b, benchNow.Add(-7*24*time.Hour))
			d.write(b, benchNow)
			d.run(b, benchNow)
			b.StopTimer()
			d.st.Close()
			b.StartTimer()
		}
	})
	b.Run("steady", func(b *testing.B) {
		d := newDemoCycle(b, b.TempDir())
		defer d.st.Close()
		d.write(b, benchNow)
		d.run(b, benchNow)
		var rep analyzer.Report
		b.ReportAllocs()
		for b.Loop() {
			rep = d.run(b, benchNow)
		}
		b.ReportMetric(float64(len(rep.Pairs)), "pairs")
	})
}
