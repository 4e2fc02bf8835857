package ics_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rapport-dev/rapport/calendar"
	"github.com/rapport-dev/rapport/calendar/ics"
)

// FuzzDecodeExpand feeds arbitrary bytes through the decoder and the
// recurrence engine. Whatever the input, decoding must not panic, expansion
// must stay bounded, and every occurrence must be well formed.
//
//	go test ./calendar/ics -run '^$' -fuzz FuzzDecodeExpand -fuzztime 10m
func FuzzDecodeExpand(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/fuzzseed/*.ics")
	for _, name := range seeds {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(vcal("BEGIN:VEVENT\nUID:a\nDTSTART;TZID=Europe/Berlin:20260105T100000\nDURATION:PT1H\nRRULE:FREQ=WEEKLY;BYDAY=MO,TH;COUNT=10\nEXDATE;TZID=Europe/Berlin:20260108T100000\nEND:VEVENT")))
	from := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		res, err := ics.DecodeBytes(data, ics.Options{Where: "fuzz.ics"})
		if err != nil {
			return
		}
		for _, s := range calendar.GroupSeries(res.Events) {
			occ, err := s.Expand(from, to, calendar.ExpandOptions{MaxInstances: 5000, IncludeExcluded: true})
			if err != nil {
				continue
			}
			for i, o := range occ {
				if o.End.Before(o.Start) {
					t.Fatalf("%s: occurrence %d ends before it starts: %v–%v", s.UID, i, o.Start, o.End)
				}
				if i > 0 && o.Start.Before(occ[i-1].Start) {
					t.Fatalf("%s: occurrences out of order at %d", s.UID, i)
				}
				if o.Event == nil {
					t.Fatalf("%s: occurrence %d has no event", s.UID, i)
				}
			}
		}
	})
}

// FuzzParseRule checks that no RRULE text makes the parser or a bounded
// expansion panic or run away.
func FuzzParseRule(f *testing.F) {
	for _, r := range []string{
		"FREQ=WEEKLY;BYDAY=MO", "FREQ=MONTHLY;BYDAY=-1FR;COUNT=5", "FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO",
		"FREQ=DAILY;UNTIL=20260101", "FREQ=MONTHLY;BYSETPOS=-1;BYDAY=MO,TU,WE,TH,FR", "FREQ=SECONDLY",
		"FREQ=WEEKLY;UNTL=20191023", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
	} {
		f.Add(r)
	}
	start := time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, rule string) {
		if _, err := calendar.ParseRule(rule, start); err != nil {
			return
		}
		ev := calendar.Event{UID: "fuzz", Start: start, End: start.Add(time.Hour), Recurrence: &calendar.Recurrence{Rules: []string{rule}}}
		s := calendar.Series{UID: "fuzz", Master: &ev}
		_, _ = s.Expand(start, start.AddDate(3, 0, 0), calendar.ExpandOptions{MaxInstances: 2000})
	})
}
