package cycle_test

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rapport-dev/rapport/analyzer"
	"github.com/rapport-dev/rapport/calendar"
	"github.com/rapport-dev/rapport/cycle"
	"github.com/rapport-dev/rapport/store"
)

// BenchmarkAnalyzeFromStore reads 10,000 pairs' weekly 1:1s with two years
// of history (about a million occurrences, a few overrides each) from a
// SQLite store on disk and analyzes them: what one daemon cycle costs for a
// large organisation.
func BenchmarkAnalyzeFromStore(b *testing.B) {
	const managers, reports = 1000, 10
	ctx := context.Background()
	now := time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC)
	st, err := store.Open(ctx, filepath.Join(b.TempDir(), "bench.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	berlin, _ := calendar.LookupZone("Europe/Berlin")
	var org analyzer.Org
	for m := range managers {
		manager := fmt.Sprintf("m%d@example.com", m)
		team := analyzer.Team{Name: fmt.Sprintf("team-%d", m), Manager: manager}
		var events []calendar.Event
		for r := range reports {
			report := fmt.Sprintf("r%d-%d@example.com", m, r)
			team.Reports = append(team.Reports, report)
			start := time.Date(2024, 11, 18, 9+r%8, 0, 0, 0, berlin)
			uid := fmt.Sprintf("%d-%d", m, r)
			people := []calendar.Attendee{{Email: manager, Status: calendar.PartStatAccepted}, {Email: report, Status: calendar.PartStatAccepted}}
			events = append(events, calendar.Event{
				UID: uid, Summary: "1:1", Start: start, End: start.Add(30 * time.Minute), Organizer: manager,
				Attendees: people, HasDescription: true,
				Recurrence: &calendar.Recurrence{Rules: []string{"FREQ=WEEKLY"}},
			})
			for k := 1; k <= 4; k++ {
				rid := start.AddDate(0, 0, 7*(k*20+r))
				events = append(events, calendar.Event{
					UID: uid, RecurrenceID: rid, Start: rid.Add(time.Hour), End: rid.Add(80 * time.Minute),
					Organizer: manager, Attendees: people,
				})
			}
		}
		org.Teams = append(org.Teams, team)
		ch := calendar.Changes{Calendar: calendar.Calendar{ID: manager, Owner: manager}, Full: true, WholeSeries: true, Events: events}
		if _, err := st.Apply(ctx, "bench", ch, now.Add(-time.Hour)); err != nil {
			b.Fatal(err)
		}
	}
	var rep analyzer.Report
	b.Run("read", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := st.Events(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	recs, err := st.Events(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("analyze", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			analyzer.Analyze(analyzer.Input{Now: now, Settings: analyzer.DefaultSettings(), Org: org, Records: recs})
		}
	})
	recs = nil // not part of what a cycle holds
	b.Run("cycle", func(b *testing.B) {
		b.ReportAllocs()
		peak := peakHeap(func() {
			for b.Loop() {
				rep, err = cycle.Analyze(ctx, st, org, analyzer.DefaultSettings(), now)
				if err != nil {
					b.Fatal(err)
				}
			}
		})
		if len(rep.Pairs) != managers*reports {
			b.Fatalf("got %d pairs", len(rep.Pairs))
		}
		occurrences := 0
		for _, p := range rep.Pairs {
			occurrences += len(p.Occurrences)
		}
		b.ReportMetric(float64(occurrences), "occurrences")
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	})
}

// peakHeap runs f and returns the most heap in use while it ran, sampled
// every few milliseconds: what the analysis needs, as opposed to what it
// allocates over its whole run (B/op).
func peakHeap(f func()) uint64 {
	runtime.GC()
	var peak atomic.Uint64
	done := make(chan struct{})
	go func() {
		var ms runtime.MemStats
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	f()
	close(done)
	return peak.Load()
}
