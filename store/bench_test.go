package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rapport-dev/rapport/calendar"
)

// benchSeries is n weekly 1:1 series, each with `overrides` moved instances.
func benchSeries(prefix string, n, overrides int, shift time.Duration) []calendar.Event {
	var out []calendar.Event
	for i := range n {
		m := weekly(fmt.Sprintf("%s-%05d@example.com", prefix, i), "2025-01-06 10:00")
		m.Start, m.End = m.Start.Add(time.Duration(i%40)*15*time.Minute), m.End.Add(time.Duration(i%40)*15*time.Minute)
		out = append(out, m)
		for k := range overrides {
			o := m
			o.Recurrence = nil
			o.RecurrenceID = m.Start.AddDate(0, 0, 7*(k+1))
			o.Start, o.End = o.RecurrenceID.Add(shift+time.Hour), o.RecurrenceID.Add(shift+time.Hour+30*time.Minute)
			o.Sequence = 1
			out = append(out, o)
		}
	}
	return out
}

// BenchmarkEvents10kSeries reads 10,000 series masters with three
// overrides each (40,000 events) from a file, as the analyzer does once
// per cycle.
func BenchmarkEvents10kSeries(b *testing.B) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "rapport.db")
	s := openStore(b, path)
	for c := range 10 {
		cal := calendar.Calendar{ID: fmt.Sprintf("calendar-%d", c), Owner: fmt.Sprintf("manager-%d@example.com", c)}
		ch := series(cal, benchSeries(cal.ID, 1000, 3, 0)...)
		if _, err := s.Apply(ctx, "bench", ch, poll0); err != nil {
			b.Fatal(err)
		}
	}
	info, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	var n int
	for b.Loop() {
		recs, err := s.Events(ctx)
		if err != nil {
			b.Fatal(err)
		}
		n = len(recs)
	}
	if n != 40_000 {
		b.Fatalf("%d events, want 40000", n)
	}
	b.ReportMetric(float64(n), "events/op")
	b.ReportMetric(float64(info.Size())/1e6, "db-MB")
}

// BenchmarkApply writes one sync of 500 events (100 series with four moved
// instances each) to a file: new events, the same events again, and every
// event moved.
func BenchmarkApply(b *testing.B) {
	ctx := context.Background()
	b.Run("insert", func(b *testing.B) {
		s := openStore(b, filepath.Join(b.TempDir(), "rapport.db"))
		events := benchSeries("s", 100, 4, 0)
		i := 0
		for b.Loop() {
			i++
			if _, err := s.Apply(ctx, "bench", full(calendar.Calendar{ID: fmt.Sprint(i)}, events...), poll0); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("unchanged", func(b *testing.B) {
		s := openStore(b, filepath.Join(b.TempDir(), "rapport.db"))
		ch := full(work, benchSeries("s", 100, 4, 0)...)
		if _, err := s.Apply(ctx, "bench", ch, poll0); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if res, err := s.Apply(ctx, "bench", ch, poll1); err != nil || res.Unchanged != 500 {
				b.Fatal(res, err)
			}
		}
	})
	b.Run("moved", func(b *testing.B) {
		s := openStore(b, filepath.Join(b.TempDir(), "rapport.db"))
		chs := []calendar.Changes{full(work, benchSeries("s", 100, 4, 0)...), full(work, benchSeries("s", 100, 4, time.Hour)...)}
		if _, err := s.Apply(ctx, "bench", chs[0], poll0); err != nil {
			b.Fatal(err)
		}
		i := 0
		for b.Loop() {
			i++
			if res, err := s.Apply(ctx, "bench", chs[i%2], poll0.Add(time.Duration(i)*time.Minute)); err != nil || res.Updated != 400 {
				b.Fatal(res, err)
			}
		}
	})
}
