package cycle_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rapport-dev/rapport/analyzer"
	"github.com/rapport-dev/rapport/calendar"
	"github.com/rapport-dev/rapport/calendar/ics"
	"github.com/rapport-dev/rapport/cycle"
	"github.com/rapport-dev/rapport/store"
)

var org = analyzer.Org{Teams: []analyzer.Team{{Name: "platform", Manager: "alice@example.com", Reports: []string{"bob@example.com"}}}}

const oneOff = `BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//rapport//cycle test//EN
BEGIN:VEVENT
UID:one-off@example.com
SUMMARY:Alice / Bob 1:1
DTSTART:%s
DTEND:%s
LAST-MODIFIED:%s
ORGANIZER:mailto:alice@example.com
ATTENDEE;PARTSTAT=ACCEPTED:mailto:bob@example.com
END:VEVENT
END:VCALENDAR
`

func writeICS(t *testing.T, path, start, end, modified string) {
	t.Helper()
	data := []byte(strings.Replace(strings.Replace(strings.Replace(oneOff, "%s", start, 1), "%s", end, 1), "%s", modified, 1))
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(string(data), "\n", "\r\n")), 0o600); err != nil {
		t.Fatal(err)
	}
}

// A one-off 1:1 re-timed between two polls is known to have moved only
// because the store kept the version seen first: the whole path, from file
// to report, must carry that history.
func TestAOneOffRetimedBetweenPollsIsAMoveThroughTheWholePipeline(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "alice.ics")
	src, err := ics.New(ics.Config{Name: "alice", Owner: "alice@example.com", Paths: []string{path}}, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, ":memory:", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sources := []cycle.Source{{Name: "alice", Source: src}}
	at := func(s string) func() time.Time {
		tm, _ := time.Parse(time.RFC3339, s)
		return func() time.Time { return tm }
	}

	writeICS(t, path, "20260507T090000Z", "20260507T093000Z", "20260501T080000Z")
	if err := cycle.Failed(cycle.Sync(ctx, st, sources, at("2026-05-01T09:00:00Z"), slog.New(slog.DiscardHandler))); err != nil {
		t.Fatal(err)
	}
	// Moved to the next day, two hours before it was due.
	writeICS(t, path, "20260508T090000Z", "20260508T093000Z", "20260507T070000Z")
	if err := cycle.Failed(cycle.Sync(ctx, st, sources, at("2026-05-07T07:05:00Z"), slog.New(slog.DiscardHandler))); err != nil {
		t.Fatal(err)
	}
	rep, err := cycle.Analyze(ctx, st, org, analyzer.DefaultSettings(), time.Date(2026, 5, 20, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Pairs) != 1 || len(rep.Pairs[0].Occurrences) != 1 {
		t.Fatalf("pairs = %+v", rep.Pairs)
	}
	o := rep.Pairs[0].Occurrences[0]
	if o.Fate != analyzer.FateMoved || !o.Late || o.Planned.Day() != 7 || o.Start.Day() != 8 {
		t.Errorf("occurrence = %+v, want moved late from the 7th to the 8th", o)
	}
}

type fakeSource struct {
	changes []calendar.Changes
	err     error
}

func (f fakeSource) Sync(context.Context, map[string]string) ([]calendar.Changes, error) {
	return f.changes, f.err
}

func TestAFailingSourceOrCalendarDoesNotStopTheOthers(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, ":memory:", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	start := time.Date(2026, 5, 7, 9, 0, 0, 0, time.UTC)
	good := calendar.Changes{Calendar: calendar.Calendar{ID: "ok"}, Full: true, WholeSeries: true, Cursor: "c1",
		Events: []calendar.Event{{UID: "u1", Start: start, End: start.Add(time.Hour)}}}
	broken := calendar.Changes{Calendar: calendar.Calendar{ID: "broken"}, Err: errors.New("403 forbidden")}
	results := cycle.Sync(ctx, st, []cycle.Source{
		{Name: "down", Source: fakeSource{err: errors.New("connection refused")}},
		{Name: "partly", Source: fakeSource{changes: []calendar.Changes{broken, good}}},
	}, func() time.Time { return start }, slog.New(slog.DiscardHandler))
	if results[0].Err == nil || !strings.Contains(results[0].Err.Error(), `source "down"`) {
		t.Errorf("down: err = %v", results[0].Err)
	}
	if results[1].Err != nil || results[1].Calendars != 1 || results[1].Applied.Inserted != 1 || len(results[1].Problems) != 1 {
		t.Errorf("partly: %+v", results[1])
	}
	if err := cycle.Failed(results); err != nil {
		t.Errorf("Failed = %v, want nil while one source works", err)
	}
	cursors, err := st.Cursors(ctx, "partly")
	if err != nil || cursors["ok"] != "c1" {
		t.Errorf("cursors = %v, %v", cursors, err)
	}
}
