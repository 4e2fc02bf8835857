package google_test

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	gcal "google.golang.org/api/calendar/v3"

	"github.com/rapport-dev/rapport/calendar"
	"github.com/rapport-dev/rapport/calendar/google"
	"github.com/rapport-dev/rapport/calendar/google/googletest"
	"github.com/rapport-dev/rapport/retry"
)

// fakeSleeper records retry waits instead of waiting.
type fakeSleeper struct {
	mu     sync.Mutex
	delays []time.Duration
}

func (f *fakeSleeper) Sleep(ctx context.Context, d time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.delays = append(f.delays, d)
	return ctx.Err()
}

func (f *fakeSleeper) waits() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.delays...)
}

// syncedLog is a concurrency-safe log buffer.
type syncedLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *syncedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// harness is a Source over a fake server that plays the store: it keeps
// the cursors from one sync to the next.
type harness struct {
	t       *testing.T
	srv     *googletest.Server
	src     *google.Source
	cursors map[string]string
	sleeper *fakeSleeper
	log     *syncedLog
}

// newHarness builds a source with auth none against srv; cfg's Name, Auth
// and Endpoint are filled in when empty.
func newHarness(t *testing.T, srv *googletest.Server, cfg google.Config) *harness {
	t.Helper()
	h := &harness{t: t, srv: srv, cursors: map[string]string{}, sleeper: &fakeSleeper{}, log: &syncedLog{}}
	if cfg.Name == "" {
		cfg.Name = "workspace"
	}
	if cfg.Auth == "" {
		cfg.Auth = google.AuthNone
	}
	if cfg.Endpoint == "" {
		cfg.Endpoint = srv.Endpoint()
	}
	if cfg.Retry.Sleep == nil {
		cfg.Retry.Sleep = h.sleeper.Sleep
	}
	logger := slog.New(slog.NewTextHandler(h.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	src, err := google.New(cfg, nil, logger)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	h.src = src
	return h
}

// sync syncs and keeps the cursors of the calendars that did not fail.
func (h *harness) sync() []calendar.Changes {
	h.t.Helper()
	changes, err := h.src.Sync(context.Background(), h.cursors)
	if err != nil {
		h.t.Fatalf("Sync: %v", err)
	}
	for _, ch := range changes {
		if ch.Err == nil {
			h.cursors[ch.Calendar.ID] = ch.Cursor
		}
	}
	return changes
}

// only syncs a one-calendar source and returns its changes, failing on an
// error.
func (h *harness) only() calendar.Changes {
	h.t.Helper()
	changes := h.sync()
	if len(changes) != 1 {
		h.t.Fatalf("got changes of %d calendars, want 1", len(changes))
	}
	if changes[0].Err != nil {
		h.t.Fatalf("calendar %s: %v", changes[0].Calendar.ID, changes[0].Err)
	}
	return changes[0]
}

func byID(changes []calendar.Changes) map[string]calendar.Changes {
	m := map[string]calendar.Changes{}
	for _, ch := range changes {
		m[ch.Calendar.ID] = ch
	}
	return m
}

// timed is a dateTime in a zone, as Google writes it.
func timed(t testing.TB, local, zone string) *gcal.EventDateTime {
	t.Helper()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	at, err := time.ParseInLocation("2006-01-02T15:04", local, loc)
	if err != nil {
		t.Fatal(err)
	}
	return &gcal.EventDateTime{DateTime: at.Format(time.RFC3339), TimeZone: zone}
}

// weekly is a weekly 1:1 series master between a manager and a report.
func weekly(t testing.TB, id, start string, minutes int, manager, report string) *gcal.Event {
	t.Helper()
	s := timed(t, start, "Europe/Berlin")
	st, _ := time.Parse(time.RFC3339, s.DateTime)
	return &gcal.Event{
		Id: id, ICalUID: id + "@google.com", Status: "confirmed",
		Summary:    "Alice / Bob 1:1",
		Start:      s,
		End:        &gcal.EventDateTime{DateTime: st.Add(time.Duration(minutes) * time.Minute).Format(time.RFC3339), TimeZone: "Europe/Berlin"},
		Recurrence: []string{"RRULE:FREQ=WEEKLY"},
		Organizer:  &gcal.EventOrganizer{Email: manager},
		Attendees: []*gcal.EventAttendee{
			{Email: manager, ResponseStatus: "accepted", Organizer: true},
			{Email: report, ResponseStatus: "accepted"},
		},
		Created: "2026-01-01T09:00:00.000Z",
		Updated: "2026-01-01T09:00:00.000Z",
	}
}

// single is a one-off event.
func single(t testing.TB, id, start string, minutes int) *gcal.Event {
	t.Helper()
	s := timed(t, start, "Europe/Berlin")
	st, _ := time.Parse(time.RFC3339, s.DateTime)
	return &gcal.Event{
		Id: id, ICalUID: id + "@google.com", Status: "confirmed", Summary: "Alice / Bob",
		Start:   s,
		End:     &gcal.EventDateTime{DateTime: st.Add(time.Duration(minutes) * time.Minute).Format(time.RFC3339), TimeZone: "Europe/Berlin"},
		Created: "2026-01-01T09:00:00.000Z",
		Updated: "2026-01-01T09:00:00.000Z",
	}
}

func uids(ch calendar.Changes) []string {
	var out []string
	for _, e := range ch.Events {
		s := e.UID
		if e.IsOverride() {
			s += "@" + e.RecurrenceID.UTC().Format("20060102T1504Z")
		}
		out = append(out, s)
	}
	return out
}

func noRetry() retry.Policy {
	return retry.Policy{Attempts: 1}
}

type retryPolicy = retry.Policy
