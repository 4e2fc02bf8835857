package caldav_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rapport-dev/rapport/calendar"
	"github.com/rapport-dev/rapport/calendar/caldav"
)

// harness builds a Source against a test server and plays the store: it
// keeps the cursors from one sync to the next, and captures the log.
type harness struct {
	t       *testing.T
	src     *caldav.Source
	cursors map[string]string
	log     *bytes.Buffer
	mu      sync.Mutex
	delays  []time.Duration
}

func newHarness(t *testing.T, cfg caldav.Config, client *http.Client) *harness {
	t.Helper()
	h := &harness{t: t, cursors: map[string]string{}, log: &bytes.Buffer{}}
	if cfg.Name == "" {
		cfg.Name = "nextcloud"
	}
	if cfg.Owner == "" {
		cfg.Owner = "Alice@Example.com"
	}
	if cfg.Retry.Sleep == nil {
		cfg.Retry.Sleep = func(ctx context.Context, d time.Duration) error {
			h.mu.Lock()
			h.delays = append(h.delays, d)
			h.mu.Unlock()
			return ctx.Err()
		}
	}
	logger := slog.New(slog.NewTextHandler(h.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	src, err := caldav.New(cfg, client, logger)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	h.src = src
	return h
}

// sync runs one Sync and keeps the cursors as a store would: only of
// calendars that synced, and none of those returned without one.
func (h *harness) sync() []calendar.Changes {
	h.t.Helper()
	changes, err := h.src.Sync(context.Background(), h.cursors)
	if err != nil {
		h.t.Fatalf("Sync: %v", err)
	}
	for _, ch := range changes {
		if ch.Err != nil {
			continue
		}
		if ch.Cursor == "" {
			delete(h.cursors, ch.Calendar.ID)
		} else {
			h.cursors[ch.Calendar.ID] = ch.Cursor
		}
	}
	return changes
}

// only returns the one calendar's changes.
func (h *harness) only(changes []calendar.Changes) calendar.Changes {
	h.t.Helper()
	if len(changes) != 1 {
		h.t.Fatalf("%d calendars, want 1: %+v", len(changes), changes)
	}
	return changes[0]
}

func ids(changes []calendar.Changes) []string {
	var out []string
	for _, ch := range changes {
		out = append(out, ch.Calendar.ID)
	}
	return out
}

func uidsOf(events []calendar.Event) []string { return uidSet(events) }

// event is a minimal single event object.
func event(uid string, day int) string {
	return fmt.Sprintf("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//rapport//fake//EN\r\nBEGIN:VEVENT\r\nUID:%s\r\n"+
		"DTSTAMP:20260101T000000Z\r\nDTSTART:202601%02dT090000Z\r\nDTEND:202601%02dT093000Z\r\nSUMMARY:Alice / Bob\r\n"+
		"ATTENDEE:mailto:alice@example.com\r\nATTENDEE:mailto:bob@example.com\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n", uid, day, day)
}

func TestDiscovery(t *testing.T) {
	f := newFakeServer(t)
	personal := f.calendar("personal", "Personal")
	f.calendar("tasks", "Tasks", "VTODO")
	legacy := f.calendar("legacy", "No component set")
	f.cal(legacy).comps = nil // the property absent: RFC 4791 §5.2.3 means every component
	f.put(personal, "a.ics", event("a", 5))

	tests := []struct {
		name     string
		url      string
		want     []string
		requests []string // the first requests, in order
	}{
		{
			name: "from the server root, through current-user-principal and calendar-home-set, every event calendar",
			url:  f.URL,
			want: []string{legacy, personal},
			requests: []string{"PROPFIND / propfind", "PROPFIND /remote.php/dav/principals/users/alice/ propfind",
				"PROPFIND /remote.php/dav/calendars/alice/ propfind"},
		},
		{
			name: "from a URL that is none of these, through /.well-known/caldav, repeating the PROPFIND at its redirect",
			url:  f.URL + "/index.php/apps/calendar/",
			want: []string{legacy, personal},
			requests: []string{"PROPFIND /index.php/apps/calendar/ propfind", "PROPFIND /.well-known/caldav propfind",
				"PROPFIND /remote.php/dav/ propfind", "PROPFIND /remote.php/dav/principals/users/alice/ propfind"},
		},
		{
			name:     "from the principal",
			url:      f.URL + "/remote.php/dav/principals/users/alice/",
			want:     []string{legacy, personal},
			requests: []string{"PROPFIND /remote.php/dav/principals/users/alice/ propfind", "PROPFIND /remote.php/dav/calendars/alice/ propfind"},
		},
		{
			name:     "a calendar's own URL is the only calendar",
			url:      personal,
			want:     []string{personal},
			requests: []string{"PROPFIND /remote.php/dav/calendars/alice/personal/ propfind"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.took()
			h := newHarness(t, caldav.Config{URL: tt.url}, nil)
			changes := h.sync()
			if got := ids(changes); !slices.Equal(got, tt.want) {
				t.Errorf("calendars %q, want %q", got, tt.want)
			}
			for _, ch := range changes {
				if ch.Err != nil || !ch.Full {
					t.Errorf("%s: Err %v Full %v", ch.Calendar.ID, ch.Err, ch.Full)
				}
			}
			took := f.took()
			if len(took) < len(tt.requests) || !slices.Equal(took[:len(tt.requests)], tt.requests) {
				t.Errorf("requests %q, want them to start with %q", took, tt.requests)
			}
		})
	}
}

// iCloud answers for the principal on caldav.icloud.com and keeps the
// calendars on a partition host, which it names in an absolute href.
func TestDiscoveryFollowsACalendarHomeOnAnotherHost(t *testing.T) {
	partition := newFakeServer(t)
	partition.home = "/1234567890/calendars/"
	home := partition.calendar("home", "Home")
	work := partition.calendar("work", "Work")
	partition.put(work, "w.ics", event("w", 7))

	var principalAuth []string
	principal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		principalAuth = append(principalAuth, r.Header.Get("Authorization"))
		w.Header().Set("Content-Type", "text/xml; charset=UTF-8")
		w.WriteHeader(http.StatusMultiStatus)
		switch r.URL.Path {
		case "/":
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?>
<multistatus xmlns="DAV:"><response><href>/</href><propstat><prop><current-user-principal><href xmlns="DAV:">/1234567890/principal/</href></current-user-principal></prop><status>HTTP/1.1 200 OK</status></propstat></response></multistatus>`)
		default:
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?>
<multistatus xmlns="DAV:"><response><href>/1234567890/principal/</href><propstat><prop><calendar-home-set xmlns="urn:ietf:params:xml:ns:caldav"><href xmlns="DAV:">`+partition.URL+`/1234567890/calendars/</href></calendar-home-set></prop><status>HTTP/1.1 200 OK</status></propstat></response></multistatus>`)
		}
	}))
	defer principal.Close()

	h := newHarness(t, caldav.Config{URL: principal.URL, Username: "alice@icloud.com", Password: "app-specific-password"}, nil)
	changes := h.sync()
	if got, want := ids(changes), []string{home, work}; !slices.Equal(got, want) {
		t.Fatalf("calendars %q, want %q on the partition host", got, want)
	}
	if got := uidsOf(changes[1].Events); !slices.Equal(got, []string{"w"}) {
		t.Errorf("work events %q, want w", got)
	}
	for _, a := range append(principalAuth, partition.auths...) {
		if !strings.HasPrefix(a, "Basic ") {
			t.Errorf("a request without basic credentials: %q", a)
		}
	}
}
