package ics_test

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/rapport-dev/rapport/calendar"
	"github.com/rapport-dev/rapport/calendar/ics"
)

// BenchmarkExpandWeeklyTwoYears expands a two-year weekly 1:1 in
// Europe/Berlin (104 instances, four DST changes) with 20 overrides: moved,
// shortened and cancelled instances.
func BenchmarkExpandWeeklyTwoYears(b *testing.B) {
	berlin, err := calendar.LookupZone("Europe/Berlin")
	if err != nil {
		b.Fatal(err)
	}
	start := time.Date(2025, 1, 6, 10, 0, 0, 0, berlin)
	master := calendar.Event{
		UID: "weekly", Start: start, End: start.Add(30 * time.Minute),
		Recurrence: &calendar.Recurrence{Rules: []string{"FREQ=WEEKLY;BYDAY=MO"}},
	}
	s := calendar.Series{UID: "weekly", Master: &master}
	for i := range 20 {
		rid := start.AddDate(0, 0, 7*(1+i*5))
		o := &calendar.Event{UID: "weekly", RecurrenceID: rid, Start: rid.Add(26 * time.Hour), End: rid.Add(26*time.Hour + 15*time.Minute)}
		if i%4 == 0 {
			o.Status = calendar.StatusCancelled
		}
		s.Overrides = append(s.Overrides, o)
	}
	from, to := start, start.AddDate(2, 0, 0)
	b.ReportAllocs()
	var n int
	for b.Loop() {
		occ, err := s.Expand(from, to, calendar.ExpandOptions{})
		if err != nil {
			b.Fatal(err)
		}
		n = len(occ)
	}
	if n != 105 {
		b.Fatalf("got %d occurrences, want 105", n)
	}
}

// BenchmarkDecodeExpandLargestCorpus decodes the largest calendar of the
// corpora (a 1.6 MB Google export with 4,778 VEVENTs) and expands every
// series over two years.
func BenchmarkDecodeExpandLargestCorpus(b *testing.B) {
	data, err := os.ReadFile("testdata/corpora/python-recurring-ical-events/benchmark/issue42.ics")
	if err != nil {
		b.Fatal(err)
	}
	from := time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(2, 0, 0)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var events, occurrences int
	for b.Loop() {
		res, err := ics.DecodeBytes(data, ics.Options{Where: "issue42.ics"})
		if err != nil {
			b.Fatal(err)
		}
		events, occurrences = len(res.Events), 0
		for _, s := range calendar.GroupSeries(res.Events) {
			occ, err := s.Expand(from, to, calendar.ExpandOptions{})
			if err != nil {
				b.Fatal(fmt.Errorf("%s: %w", s.UID, err))
			}
			occurrences += len(occ)
		}
	}
	b.ReportMetric(float64(events), "events")
	b.ReportMetric(float64(occurrences), "occurrences")
}
