package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/rapport-dev/rapport/calendar"
)

// eventStore is what Rapport asks of a store. Every implementation (SQLite
// now, PostgreSQL later) runs the same contract.
type eventStore interface {
	Apply(ctx context.Context, source string, ch calendar.Changes, at time.Time) (ApplyResult, error)
	Cursors(ctx context.Context, source string) (map[string]string, error)
	ResetCursor(ctx context.Context, source, calendarID string) error
	Events(ctx context.Context) ([]Record, error)
	Deleted(ctx context.Context, since time.Time) ([]Record, error)
	Prune(ctx context.Context, before time.Time) (int, error)
	Close() error
}

var _ eventStore = (*Store)(nil)

// opener makes an empty store for one test. reopen, when not nil, closes a
// store and opens the same data again; the contract then reopens between
// steps, so that everything it checks is also checked to survive a restart.
type opener func(t *testing.T) (s eventStore, reopen func(eventStore) eventStore)

func TestSQLiteInMemory(t *testing.T) {
	contract(t, func(t *testing.T) (eventStore, func(eventStore) eventStore) {
		return openStore(t, ":memory:"), nil
	})
}

func TestSQLiteFile(t *testing.T) {
	contract(t, func(t *testing.T) (eventStore, func(eventStore) eventStore) {
		path := filepath.Join(t.TempDir(), "rapport.db")
		return openStore(t, path), func(old eventStore) eventStore {
			if err := old.Close(); err != nil {
				t.Fatal(err)
			}
			return openStore(t, path)
		}
	})
}

func openStore(t testing.TB, path string) *Store {
	t.Helper()
	s, err := Open(context.Background(), path, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Fixtures. Observation times are polls of the daemon; event times are in
// the events' own zones.
var (
	berlin = mustZone("Europe/Berlin")
	poll0  = time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC)
	poll1  = poll0.Add(time.Hour)
	poll2  = poll0.Add(2 * time.Hour)
	poll3  = poll0.Add(3 * time.Hour)

	work = calendar.Calendar{ID: "https://dav.example.com/alice/work/", Name: "Work", Owner: "alice@example.com"}
	home = calendar.Calendar{ID: "https://dav.example.com/alice/home/", Name: "Home", Owner: "alice@example.com"}
)

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, berlin)
	if err != nil {
		panic(err)
	}
	return t
}

// oneOnOne is a 30-minute 1:1 between Alice and Bob.
func oneOnOne(uid, start string) calendar.Event {
	s := at(start)
	return calendar.Event{
		UID: uid, Summary: "Alice / Bob", HasDescription: true,
		Start: s, End: s.Add(30 * time.Minute),
		Status: calendar.StatusConfirmed, Organizer: "alice@example.com",
		Created: at("2026-01-05 09:00"), LastModified: at("2026-01-05 09:00"),
		Attendees: []calendar.Attendee{
			{Email: "alice@example.com", Name: "Alice", Kind: calendar.KindPerson, Status: calendar.PartStatAccepted},
			{Email: "bob@example.com", Name: "Bob", Kind: calendar.KindPerson, Status: calendar.PartStatAccepted},
		},
	}
}

func weekly(uid, start string) calendar.Event {
	e := oneOnOne(uid, start)
	e.Recurrence = &calendar.Recurrence{Rules: []string{"FREQ=WEEKLY;BYDAY=MO"}}
	return e
}

// moved is an override of master's instance planned at planned, held at start.
func moved(master calendar.Event, planned, start string) calendar.Event {
	e := oneOnOne(master.UID, start)
	e.RecurrenceID = at(planned)
	e.Sequence = master.Sequence + 1
	e.LastModified = at("2026-03-01 18:00")
	return e
}

func changed(e calendar.Event, f func(*calendar.Event)) calendar.Event {
	f(&e)
	return e
}

func full(cal calendar.Calendar, events ...calendar.Event) calendar.Changes {
	return calendar.Changes{Calendar: cal, Full: true, Events: events, Cursor: "full"}
}

func delta(cal calendar.Calendar, events ...calendar.Event) calendar.Changes {
	return calendar.Changes{Calendar: cal, Events: events, Cursor: "delta"}
}

func series(cal calendar.Calendar, events ...calendar.Event) calendar.Changes {
	return calendar.Changes{Calendar: cal, Events: events, WholeSeries: true, Cursor: "series"}
}

var (
	mondays  = weekly("mondays@example.com", "2026-01-05 10:00")
	oneOff   = oneOnOne("one-off@example.com", "2026-03-04 14:00")
	skipLevl = oneOnOne("skip-level@example.com", "2026-03-05 11:00")
)

// zoned are events whose times and flags must come back exactly, ordered
// by UID as Events returns them.
var zoned = []calendar.Event{
	changed(oneOff, func(e *calendar.Event) {
		ny := mustZone("America/New_York")
		e.UID, e.Floating = "a-floating", true
		e.Start, e.End = e.Start.In(ny), e.End.In(ny)
	}),
	changed(oneOff, func(e *calendar.Event) {
		e.UID, e.AllDay = "b-holiday", true
		e.Start, e.End = at("2026-03-04 00:00"), at("2026-03-05 00:00")
		e.Type, e.Transparent, e.HasDescription = calendar.TypeOutOfOffice, true, false
		e.Attendees = nil
	}),
	changed(oneOff, func(e *calendar.Event) {
		e.UID = "c-offset"
		e.Start, e.End = e.Start.In(time.FixedZone("", 5*3600+1800)), e.End.In(time.FixedZone("", 5*3600+1800))
	}),
	changed(mondays, func(e *calendar.Event) {
		e.UID = "d-series"
		e.Recurrence = &calendar.Recurrence{
			Rules:       []string{"FREQ=WEEKLY;UNTIL=20261231T235959Z", "FREQ=MONTHLY;BYDAY=1TU;COUNT=5"},
			RDates:      []calendar.Period{{Start: at("2026-04-01 10:00")}, {Start: at("2026-04-02 10:00"), End: at("2026-04-02 11:00")}},
			ExDates:     []time.Time{at("2026-02-02 10:00")},
			ExDateDates: []time.Time{at("2026-02-09 00:00")},
		}
	}),
	changed(moved(mondays, "2026-03-09 10:00", "2026-03-10 15:00"), func(e *calendar.Event) {
		e.UID, e.ThisAndFuture, e.Status = "d-series", true, calendar.StatusTentative
		e.Attendees[1].Optional, e.Attendees[1].Status = true, calendar.PartStatTentative
	}),
	changed(oneOff, func(e *calendar.Event) {
		e.UID = "e-utc"
		e.Start, e.End, e.Created, e.LastModified = e.Start.UTC(), e.End.UTC(), time.Time{}, time.Time{}
		e.Attendees = append(e.Attendees, calendar.Attendee{Email: "room-1@example.com", Kind: calendar.KindRoom, Status: calendar.PartStatNeedsAction})
	}),
}

// step is one Apply and what it must report.
type step struct {
	source string // "dav" when empty
	at     time.Time
	ch     calendar.Changes
	want   ApplyResult
}

func contract(t *testing.T, open opener) {
	cases := []struct {
		name  string
		steps []step
		check func(t *testing.T, s eventStore)
	}{
		{
			name:  "a first sync inserts every event",
			steps: []step{{at: poll0, ch: full(work, mondays, oneOff), want: ApplyResult{Inserted: 2}}},
			check: func(t *testing.T, s eventStore) {
				recs := events(t, s)
				wantEvents(t, recs, mondays, oneOff)
				for _, r := range recs {
					if r.Source != "dav" || r.Calendar != work {
						t.Errorf("%s: from %q %+v, want dav %+v", r.Event.UID, r.Source, r.Calendar, work)
					}
					if !r.ObservedAt.Equal(poll0) || !r.DeletedAt.IsZero() || len(r.Versions) != 0 {
						t.Errorf("%s: observed %v, deleted %v, %d versions; want first seen at poll0, live, no history",
							r.Event.UID, r.ObservedAt, r.DeletedAt, len(r.Versions))
					}
				}
			},
		},
		{
			name: "the same snapshot again writes nothing",
			steps: []step{
				{at: poll0, ch: full(work, mondays, oneOff), want: ApplyResult{Inserted: 2}},
				{at: poll1, ch: full(work, mondays, oneOff), want: ApplyResult{Unchanged: 2}},
			},
			check: func(t *testing.T, s eventStore) {
				for _, r := range events(t, s) {
					if !r.ObservedAt.Equal(poll0) || len(r.Versions) != 0 {
						t.Errorf("%s: observed %v with %d versions, want poll0 and none", r.Event.UID, r.ObservedAt, len(r.Versions))
					}
				}
			},
		},
		{
			name: "a moved single event keeps its old start in Versions, observed when it was seen",
			steps: []step{
				{at: poll0, ch: full(work, oneOff), want: ApplyResult{Inserted: 1}},
				{at: poll1, ch: delta(work, changed(oneOff, func(e *calendar.Event) {
					e.Start, e.End = at("2026-03-04 16:00"), at("2026-03-04 16:15")
					e.Sequence, e.LastModified = 1, at("2026-03-04 13:30")
				})), want: ApplyResult{Updated: 1}},
			},
			check: func(t *testing.T, s eventStore) {
				r := only(t, events(t, s))
				if !r.Event.Start.Equal(at("2026-03-04 16:00")) || !r.ObservedAt.Equal(poll1) {
					t.Errorf("current: start %v observed %v, want 16:00 observed at poll1", r.Event.Start, r.ObservedAt)
				}
				want := []Version{{
					ObservedAt: poll0, Start: oneOff.Start, End: oneOff.End, Status: calendar.StatusConfirmed,
					LastModified: oneOff.LastModified, Attendees: oneOff.Attendees,
				}}
				if d := diff(r.Versions, want); d != "" {
					t.Errorf("versions: %s", d)
				}
			},
		},
		{
			name: "an attendee declining is a new version",
			steps: []step{
				{at: poll0, ch: full(work, oneOff), want: ApplyResult{Inserted: 1}},
				{at: poll1, ch: delta(work, changed(oneOff, func(e *calendar.Event) {
					e.Attendees = []calendar.Attendee{e.Attendees[0], e.Attendees[1]}
					e.Attendees[1].Status = calendar.PartStatDeclined
				})), want: ApplyResult{Updated: 1}},
			},
			check: func(t *testing.T, s eventStore) {
				r := only(t, events(t, s))
				if len(r.Versions) != 1 || r.Versions[0].Attendees[1].Status != calendar.PartStatAccepted {
					t.Errorf("versions %+v, want one with Bob accepted", r.Versions)
				}
			},
		},
		{
			name: "an override added to a series is a new event of the series",
			steps: []step{
				{at: poll0, ch: series(work, mondays), want: ApplyResult{Inserted: 1}},
				{at: poll1, ch: series(work, mondays, moved(mondays, "2026-03-09 10:00", "2026-03-10 15:00")),
					want: ApplyResult{Inserted: 1, Unchanged: 1}},
			},
			check: func(t *testing.T, s eventStore) {
				wantEvents(t, events(t, s), mondays, moved(mondays, "2026-03-09 10:00", "2026-03-10 15:00"))
			},
		},
		{
			name: "a whole-series replacement tombstones the override it no longer has",
			steps: []step{
				{at: poll0, ch: series(work, mondays,
					moved(mondays, "2026-03-09 10:00", "2026-03-10 15:00"),
					moved(mondays, "2026-03-16 10:00", "2026-03-16 12:00")), want: ApplyResult{Inserted: 3}},
				{at: poll1, ch: series(work, mondays, moved(mondays, "2026-03-09 10:00", "2026-03-10 15:00")),
					want: ApplyResult{Unchanged: 2, Deleted: 1}},
			},
			check: func(t *testing.T, s eventStore) {
				wantEvents(t, events(t, s), mondays, moved(mondays, "2026-03-09 10:00", "2026-03-10 15:00"))
				gone := only(t, deleted(t, s, poll0))
				if !gone.Event.RecurrenceID.Equal(at("2026-03-16 10:00")) || !gone.DeletedAt.Equal(poll1) {
					t.Errorf("tombstone %v deleted %v, want the 16 March override deleted at poll1", gone.Event.RecurrenceID, gone.DeletedAt)
				}
			},
		},
		{
			name: "an incremental change leaves the series' other overrides alone",
			steps: []step{
				{at: poll0, ch: series(work, mondays, moved(mondays, "2026-03-09 10:00", "2026-03-10 15:00")), want: ApplyResult{Inserted: 2}},
				{at: poll1, ch: delta(work, mondays), want: ApplyResult{Unchanged: 1}},
			},
			check: func(t *testing.T, s eventStore) {
				wantEvents(t, events(t, s), mondays, moved(mondays, "2026-03-09 10:00", "2026-03-10 15:00"))
			},
		},
		{
			name: "a full snapshot tombstones an event that vanished",
			steps: []step{
				{at: poll0, ch: full(work, mondays, oneOff), want: ApplyResult{Inserted: 2}},
				{at: poll1, ch: full(work, mondays), want: ApplyResult{Unchanged: 1, Deleted: 1}},
			},
			check: func(t *testing.T, s eventStore) {
				wantEvents(t, events(t, s), mondays)
				gone := only(t, deleted(t, s, poll1))
				wantEvents(t, []Record{gone}, oneOff)
				if !gone.DeletedAt.Equal(poll1) {
					t.Errorf("deleted at %v, want poll1", gone.DeletedAt)
				}
				if recs := deleted(t, s, poll1.Add(time.Nanosecond)); len(recs) != 0 {
					t.Errorf("Deleted after the deletion returned %d records", len(recs))
				}
			},
		},
		{
			name: "a full snapshot keeps an event whose object failed to parse",
			steps: []step{
				{at: poll0, ch: full(work, mondays, oneOff), want: ApplyResult{Inserted: 2}},
				{at: poll1, ch: calendar.Changes{Calendar: work, Full: true, Events: []calendar.Event{mondays},
					Problems: []*calendar.ObjectError{{Where: "work.ics", Object: oneOff.UID, Property: "DTSTART", Err: errors.New("bad date")}}},
					want: ApplyResult{Unchanged: 1}},
			},
			check: func(t *testing.T, s eventStore) { wantEvents(t, events(t, s), mondays, oneOff) },
		},
		{
			name: "a deleted UID tombstones its master and overrides",
			steps: []step{
				{at: poll0, ch: series(work, mondays, moved(mondays, "2026-03-09 10:00", "2026-03-10 15:00"), oneOff), want: ApplyResult{Inserted: 3}},
				{at: poll1, ch: calendar.Changes{Calendar: work, Deleted: []string{mondays.UID, "never-seen"}}, want: ApplyResult{Deleted: 2}},
			},
			check: func(t *testing.T, s eventStore) {
				wantEvents(t, events(t, s), oneOff)
				if recs := deleted(t, s, poll0); len(recs) != 2 {
					t.Errorf("%d tombstones, want 2", len(recs))
				}
			},
		},
		{
			name: "a deleted event that reappears is revived with its history",
			steps: []step{
				{at: poll0, ch: full(work, oneOff), want: ApplyResult{Inserted: 1}},
				{at: poll1, ch: full(work), want: ApplyResult{Deleted: 1}},
				{at: poll2, ch: full(work, changed(oneOff, func(e *calendar.Event) { e.Sequence = 2 })), want: ApplyResult{Inserted: 1}},
				{at: poll3, ch: full(work), want: ApplyResult{Deleted: 1}},
				{at: poll3.Add(time.Hour), ch: full(work, changed(oneOff, func(e *calendar.Event) { e.Sequence = 2 })), want: ApplyResult{Inserted: 1}},
			},
			check: func(t *testing.T, s eventStore) {
				r := only(t, events(t, s))
				if r.Event.Sequence != 2 || !r.ObservedAt.Equal(poll2) || !r.DeletedAt.IsZero() {
					t.Errorf("revived: sequence %d observed %v deleted %v, want 2, poll2, live", r.Event.Sequence, r.ObservedAt, r.DeletedAt)
				}
				if len(r.Versions) != 1 || !r.Versions[0].ObservedAt.Equal(poll0) || r.Versions[0].Sequence != 0 {
					t.Errorf("versions %+v, want the first one, observed at poll0", r.Versions)
				}
				if recs := deleted(t, s, poll0); len(recs) != 0 {
					t.Errorf("a revived event is still a tombstone")
				}
			},
		},
		{
			name: "of duplicated events in one sync the newest wins",
			steps: []step{{at: poll0, ch: delta(work,
				changed(oneOff, func(e *calendar.Event) { e.Sequence = 3 }),
				changed(oneOff, func(e *calendar.Event) { e.Sequence = 1 })), want: ApplyResult{Inserted: 1}}},
			check: func(t *testing.T, s eventStore) {
				if r := only(t, events(t, s)); r.Event.Sequence != 3 || len(r.Versions) != 0 {
					t.Errorf("sequence %d with %d versions, want 3 and none", r.Event.Sequence, len(r.Versions))
				}
			},
		},
		{
			name: "calendars are separate: a full snapshot of one leaves the other alone",
			steps: []step{
				{at: poll0, ch: full(work, mondays), want: ApplyResult{Inserted: 1}},
				{at: poll0, ch: full(home, oneOff), want: ApplyResult{Inserted: 1}},
				{at: poll0, source: "google", ch: full(work, mondays), want: ApplyResult{Inserted: 1}},
				{at: poll1, ch: full(work, mondays), want: ApplyResult{Unchanged: 1}},
				{at: poll1, ch: full(home, skipLevl), want: ApplyResult{Inserted: 1, Deleted: 1}},
			},
			check: func(t *testing.T, s eventStore) {
				var got []string
				for _, r := range events(t, s) {
					got = append(got, r.Source+" "+r.Calendar.Name+" "+r.Event.UID)
				}
				want := []string{"dav Home skip-level@example.com", "dav Work mondays@example.com", "google Work mondays@example.com"}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("events %q, want %q", got, want)
				}
			},
		},
		{
			name: "cursors are kept per source and calendar",
			steps: []step{
				{at: poll0, ch: calendar.Changes{Calendar: work, Cursor: "w1"}},
				{at: poll0, ch: calendar.Changes{Calendar: home, Cursor: "h1"}},
				{at: poll0, source: "google", ch: calendar.Changes{Calendar: work, Cursor: "g1"}},
				{at: poll1, ch: calendar.Changes{Calendar: work, Cursor: "w2"}},
			},
			check: func(t *testing.T, s eventStore) {
				ctx := context.Background()
				wantCursors(t, s, "dav", map[string]string{work.ID: "w2", home.ID: "h1"})
				wantCursors(t, s, "google", map[string]string{work.ID: "g1"})
				wantCursors(t, s, "nobody", map[string]string{})
				if err := s.ResetCursor(ctx, "dav", work.ID); err != nil {
					t.Fatal(err)
				}
				if err := s.ResetCursor(ctx, "dav", "unknown"); err != nil {
					t.Fatal(err)
				}
				wantCursors(t, s, "dav", map[string]string{home.ID: "h1"})
				wantCursors(t, s, "google", map[string]string{work.ID: "g1"})
			},
		},
		{
			name:  "zones, all-day and floating flags and recurrence data survive",
			steps: []step{{at: poll0, ch: full(work, zoned...), want: ApplyResult{Inserted: len(zoned)}}},
			check: func(t *testing.T, s eventStore) { wantEvents(t, events(t, s), zoned...) },
		},
		{
			name: "Prune keeps a long-running master and drops old versions and old events",
			steps: []step{
				{at: at("2024-01-01 08:00"), ch: full(work,
					weekly("running", "2023-06-05 10:00"),
					changed(weekly("ended", "2023-06-05 10:00"), func(e *calendar.Event) { e.Recurrence.Rules = []string{"FREQ=WEEKLY;COUNT=10"} }),
					changed(weekly("ending-later", "2024-01-01 10:00"), func(e *calendar.Event) { e.Recurrence.Rules = []string{"FREQ=WEEKLY;UNTIL=20260101T000000Z"} }),
					oneOnOne("old-single", "2023-06-06 10:00"),
					oneOnOne("new-single", "2026-03-04 10:00"),
					oneOnOne("deleted-early", "2026-03-04 11:00"),
				), want: ApplyResult{Inserted: 6}},
				{at: at("2024-02-01 08:00"), ch: delta(work,
					changed(weekly("running", "2023-06-05 10:00"), func(e *calendar.Event) { e.Sequence = 1 }),
					changed(oneOnOne("new-single", "2026-03-04 10:00"), func(e *calendar.Event) { e.Sequence = 1 })),
					want: ApplyResult{Updated: 2}},
				{at: at("2024-03-01 08:00"), ch: calendar.Changes{Calendar: work, Deleted: []string{"deleted-early"}}, want: ApplyResult{Deleted: 1}},
				{at: at("2026-03-01 08:00"), ch: delta(work,
					changed(weekly("running", "2023-06-05 10:00"), func(e *calendar.Event) { e.Sequence = 2 })),
					want: ApplyResult{Updated: 1}},
			},
			check: func(t *testing.T, s eventStore) {
				// 13 months before 2026-03-01: versions replaced in February
				// 2024 go, the one replaced on 1 March 2026 stays.
				n, err := s.Prune(context.Background(), at("2025-02-01 00:00"))
				if err != nil {
					t.Fatal(err)
				}
				// Versions: running's first, new-single's first. Events:
				// ended, old-single, deleted-early.
				if n != 5 {
					t.Errorf("Prune removed %d rows, want 5", n)
				}
				var got []string
				for _, r := range events(t, s) {
					got = append(got, fmt.Sprintf("%s v%d", r.Event.UID, len(r.Versions)))
				}
				want := []string{"ending-later v0", "new-single v0", "running v1"}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("after Prune: %q, want %q", got, want)
				}
				if recs := deleted(t, s, time.Time{}); len(recs) != 0 {
					t.Errorf("%d tombstones left, want 0", len(recs))
				}
			},
		},
		{
			name:  "a canceled apply writes nothing",
			steps: []step{{at: poll0, ch: full(work, mondays), want: ApplyResult{Inserted: 1}}},
			check: func(t *testing.T, s eventStore) {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				ch := full(work, changed(mondays, func(e *calendar.Event) { e.Sequence = 9 }), oneOff)
				ch.Cursor = "never"
				if _, err := s.Apply(ctx, "dav", ch, poll1); !errors.Is(err, context.Canceled) {
					t.Errorf("Apply with a canceled context: %v, want context.Canceled", err)
				}
				wantEvents(t, events(t, s), mondays)
				wantCursors(t, s, "dav", map[string]string{work.ID: "full"})
			},
		},
		{
			name:  "an invalid event fails the whole apply",
			steps: []step{{at: poll0, ch: full(work, mondays), want: ApplyResult{Inserted: 1}}},
			check: func(t *testing.T, s eventStore) {
				ch := full(work, oneOff, calendar.Event{Summary: "no uid"})
				if _, err := s.Apply(context.Background(), "dav", ch, poll1); err == nil {
					t.Error("Apply of an event without UID succeeded")
				}
				ch = full(work)
				ch.Err = errors.New("HTTP 503")
				if _, err := s.Apply(context.Background(), "dav", ch, poll1); err == nil {
					t.Error("Apply of a failed sync succeeded")
				}
				wantEvents(t, events(t, s), mondays)
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, reopen := open(t)
			for i, st := range tc.steps {
				if st.source == "" {
					st.source = "dav"
				}
				got, err := s.Apply(context.Background(), st.source, st.ch, st.at)
				if err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
				if got != st.want {
					t.Errorf("step %d: Apply = %+v, want %+v", i, got, st.want)
				}
				if reopen != nil {
					s = reopen(s)
				}
			}
			tc.check(t, s)
		})
	}
}

func events(t *testing.T, s eventStore) []Record {
	t.Helper()
	recs, err := s.Events(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func deleted(t *testing.T, s eventStore, since time.Time) []Record {
	t.Helper()
	recs, err := s.Deleted(context.Background(), since)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r.DeletedAt.IsZero() {
			t.Errorf("tombstone %s has no DeletedAt", r.Event.UID)
		}
	}
	return recs
}

func only(t *testing.T, recs []Record) Record {
	t.Helper()
	if len(recs) != 1 {
		t.Fatalf("%d records, want 1", len(recs))
	}
	return recs[0]
}

func wantEvents(t *testing.T, recs []Record, want ...calendar.Event) {
	t.Helper()
	got := make([]calendar.Event, len(recs))
	for i, r := range recs {
		got[i] = r.Event
	}
	if d := diff(got, want); d != "" {
		t.Errorf("events: %s", d)
	}
}

func wantCursors(t *testing.T, s eventStore, source string, want map[string]string) {
	t.Helper()
	got, err := s.Cursors(context.Background(), source)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("cursors of %s: %q, want %q", source, got, want)
	}
}

// diff compares values deeply, with times equal only when they are the
// same instant in a zone of the same name and offset: a time that comes
// back in another zone is a bug even when the instant is right.
func diff(got, want any) string {
	return diffValue(reflect.ValueOf(got), reflect.ValueOf(want), "")
}

var timeType = reflect.TypeFor[time.Time]()

func diffValue(g, w reflect.Value, path string) string {
	if g.Type() == timeType {
		gt, wt := g.Interface().(time.Time), w.Interface().(time.Time)
		gName, gOff := gt.Zone()
		wName, wOff := wt.Zone()
		if !gt.Equal(wt) || gt.Location().String() != wt.Location().String() || gName != wName || gOff != wOff {
			return fmt.Sprintf("%s: %v (%v), want %v (%v)", path, gt, gt.Location(), wt, wt.Location())
		}
		return ""
	}
	switch g.Kind() {
	case reflect.Slice:
		if g.Len() != w.Len() {
			return fmt.Sprintf("%s: %d elements, want %d", path, g.Len(), w.Len())
		}
		for i := range g.Len() {
			if d := diffValue(g.Index(i), w.Index(i), fmt.Sprintf("%s[%d]", path, i)); d != "" {
				return d
			}
		}
	case reflect.Pointer:
		if g.IsNil() || w.IsNil() {
			if g.IsNil() != w.IsNil() {
				return fmt.Sprintf("%s: %v, want %v", path, g, w)
			}
			return ""
		}
		return diffValue(g.Elem(), w.Elem(), path)
	case reflect.Struct:
		for i := range g.NumField() {
			if d := diffValue(g.Field(i), w.Field(i), path+"."+g.Type().Field(i).Name); d != "" {
				return d
			}
		}
	default:
		if g.Interface() != w.Interface() {
			return fmt.Sprintf("%s: %v, want %v", path, g, w)
		}
	}
	return ""
}
