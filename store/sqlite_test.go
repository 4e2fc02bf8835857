package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rapport-dev/rapport/calendar"
	"github.com/rapport-dev/rapport/calendar/ics"
)

// Tests of the SQLite implementation beyond the contract.

func TestApplyIsAtomic(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, ":memory:")
	if _, err := s.Apply(ctx, "dav", full(work, mondays, skipLevl), poll0); err != nil {
		t.Fatal(err)
	}
	// Make the third write of the next Apply fail, after a version was kept,
	// an event updated and one inserted.
	if _, err := s.db.ExecContext(ctx, `CREATE TEMP TRIGGER boom BEFORE INSERT ON main.events
		WHEN NEW.uid = 'boom' BEGIN SELECT RAISE(ABORT, 'boom'); END`); err != nil {
		t.Fatal(err)
	}
	renamed := work
	renamed.Name = "Renamed"
	ch := full(renamed, changed(mondays, func(e *calendar.Event) { e.Sequence = 4 }), oneOff, oneOnOne("boom", "2026-03-06 10:00"))
	ch.Cursor = "never"
	if _, err := s.Apply(ctx, "dav", ch, poll1); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("Apply = %v, want the trigger's error", err)
	}
	recs := events(t, s)
	wantEvents(t, recs, mondays, skipLevl)
	for _, r := range recs {
		if len(r.Versions) != 0 || r.Calendar.Name != "Work" {
			t.Errorf("%s: %d versions in calendar %q: the failed Apply left a trace", r.Event.UID, len(r.Versions), r.Calendar.Name)
		}
	}
	wantCursors(t, s, "dav", map[string]string{work.ID: "full"})
}

// vcalendar wraps iCalendar lines in a VCALENDAR with CRLF endings.
func vcalendar(body string) []byte {
	lines := strings.Split("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//rapport//store test//EN\n"+strings.TrimSpace(body)+"\nEND:VCALENDAR", "\n")
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	return []byte(strings.Join(lines, "\r\n") + "\r\n")
}

// customZoneEvent is a weekly 1:1 in a VTIMEZONE no zone database knows, named
// like the zones Outlook writes. Two calendars may well define different
// zones under this one name.
func customZoneEvent(t *testing.T, uid, standard, daylight string) calendar.Event {
	t.Helper()
	res, err := ics.DecodeBytes(vcalendar(`
BEGIN:VTIMEZONE
TZID:Customized Time Zone
BEGIN:STANDARD
DTSTART:16010101T030000
TZOFFSETFROM:`+daylight+`
TZOFFSETTO:`+standard+`
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010101T020000
TZOFFSETFROM:`+standard+`
TZOFFSETTO:`+daylight+`
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
UID:`+uid+`
DTSTAMP:20260101T000000Z
DTSTART;TZID=Customized Time Zone:20260105T100000
DTEND;TZID=Customized Time Zone:20260105T103000
RRULE:FREQ=WEEKLY
SUMMARY:Alice / Bob
END:VEVENT`), ics.Options{Where: uid + ".ics"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Events) != 1 || len(res.Problems) != 0 {
		t.Fatalf("decoded %d events, problems %v", len(res.Events), res.Problems)
	}
	return res.Events[0]
}

func TestCustomZonesSurviveReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "rapport.db")
	s := openStore(t, path)
	plus130 := customZoneEvent(t, "plus-0130", "+0130", "+0230")
	minus0345 := customZoneEvent(t, "minus-0345", "-0345", "-0245")
	mars := changed(oneOff, func(e *calendar.Event) {
		mars := time.FixedZone("Mars/Olympus_Mons", 3600+15*60)
		e.UID, e.Start, e.End = "mars", e.Start.In(mars), e.End.In(mars)
	})
	for _, ev := range []calendar.Event{plus130, minus0345, mars} {
		if _, err := s.Apply(ctx, "ics", full(calendar.Calendar{ID: ev.UID + ".ics"}, ev), poll0); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()

	s = openStore(t, path) // a new Store knows no zone yet
	recs := events(t, s)
	wantEvents(t, recs, mars, minus0345, plus130)
	winter, summer := time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC), time.Date(2026, 7, 15, 12, 0, 0, 0, time.UTC)
	for i, want := range []calendar.Event{mars, minus0345, plus130} {
		got := recs[i].Event.Start.Location()
		for _, instant := range []time.Time{winter, summer} {
			gName, gOff := instant.In(got).Zone()
			wName, wOff := instant.In(want.Start.Location()).Zone()
			if gOff != wOff || gName != wName {
				t.Errorf("%s at %v: %s %+d after reopen, want %s %+d", want.UID, instant, gName, gOff, wName, wOff)
			}
		}
	}
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM zones WHERE name = 'Customized Time Zone'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("%d stored zones named Customized Time Zone, want 2", n)
	}
}

func TestMigrationsAreIdempotent(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "rapport.db")
	for range 3 {
		s := openStore(t, path)
		var rows, version int
		if err := s.db.QueryRowContext(ctx, `SELECT count(*), max(version) FROM schema_version`).Scan(&rows, &version); err != nil {
			t.Fatal(err)
		}
		if rows != 1 || version != len(migrations) {
			t.Fatalf("schema_version has %d rows, version %d; want 1 row, version %d", rows, version, len(migrations))
		}
		if _, err := s.Apply(ctx, "dav", delta(work, mondays), poll0); err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
}

func TestOpenRefusesANewerSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "rapport.db")
	s := openStore(t, path)
	if _, err := s.db.ExecContext(ctx, `UPDATE schema_version SET version = version + 1`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err := Open(ctx, path, nil); err == nil || !strings.Contains(err.Error(), "newer") {
		if s != nil {
			s.Close()
		}
		t.Fatalf("Open of a newer schema: %v", err)
	}
}

func TestOpenTakesAnyPath(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state?v=1 #1 100%")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "rapport.db")
	s := openStore(t, path)
	var mode string
	if err := s.db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" {
		t.Errorf("journal_mode %q, want wal", mode)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database not at the path given: %v", err)
	}
}

func TestConcurrentUse(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, filepath.Join(t.TempDir(), "rapport.db"))
	errs := make(chan error, 3)
	for w := range 2 {
		go func() {
			cal := calendar.Calendar{ID: fmt.Sprint("calendar-", w)}
			for i := range 20 {
				ev := changed(oneOff, func(e *calendar.Event) { e.Sequence = i })
				if _, err := s.Apply(ctx, "dav", full(cal, ev, mondays), poll0.Add(time.Duration(i)*time.Minute)); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	go func() {
		for range 20 {
			if _, err := s.Events(ctx); err != nil {
				errs <- err
				return
			}
		}
		errs <- nil
	}()
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range events(t, s) {
		if r.Event.UID == oneOff.UID && len(r.Versions) != 19 {
			t.Errorf("%s in %s: %d versions, want 19", r.Event.UID, r.Calendar.ID, len(r.Versions))
		}
	}
}
