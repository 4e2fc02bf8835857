package caldav_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rapport-dev/rapport/calendar/caldav"
)

// Calendars come and go: discovery runs again every DiscoveryInterval and
// after a calendar answers 404. A new calendar is read; a deleted one, or
// one Calendars no longer selects, is reported Full with no events and no
// cursor, which tombstones its events; a name that matches nothing is an
// error of its own.
func TestCalendarsComeAndGo(t *testing.T) {
	f := newFakeServer(t)
	personal := f.calendar("personal", "Personal")
	work := f.calendar("work", "Work")
	f.put(personal, "a.ics", event("a", 1))
	f.put(work, "w.ics", event("w", 2))

	t.Run("a calendar deleted on the server is reported removed at the next discovery", func(t *testing.T) {
		h := newHarness(t, caldav.Config{URL: f.URL, DiscoveryInterval: time.Nanosecond}, nil)
		h.sync()
		f.mu.Lock()
		saved := f.cals[f.home+"work/"]
		delete(f.cals, f.home+"work/")
		f.mu.Unlock()
		defer func() { f.mu.Lock(); f.cals[f.home+"work/"] = saved; f.mu.Unlock() }()
		changes := h.sync()
		if got := ids(changes); !slices.Equal(got, []string{personal, work}) {
			t.Fatalf("calendars %q", got)
		}
		gone := changes[1]
		if !gone.Full || gone.Cursor != "" || len(gone.Events) > 0 || gone.Err != nil || gone.Calendar.Name != "Work" {
			t.Errorf("removed calendar: %+v; want Full, empty, without a cursor", gone)
		}
		if !strings.Contains(h.log.String(), "caldav: calendar removed") {
			t.Errorf("the removal was not logged")
		}
		if got := ids(h.sync()); !slices.Equal(got, []string{personal}) {
			t.Errorf("after the removal, calendars %q", got)
		}
	})

	t.Run("a calendar that Calendars no longer selects is reported removed", func(t *testing.T) {
		h := newHarness(t, caldav.Config{URL: f.URL}, nil)
		h.sync()
		narrowed := newHarness(t, caldav.Config{URL: f.URL, Calendars: []string{"personal"}}, nil)
		narrowed.cursors = h.cursors
		changes := narrowed.sync()
		if got := ids(changes); !slices.Equal(got, []string{personal, work}) || !changes[1].Full || changes[1].Cursor != "" {
			t.Errorf("changes %+v; want work removed", changes)
		}
	})

	t.Run("a name that matches no calendar is an error of its own", func(t *testing.T) {
		h := newHarness(t, caldav.Config{URL: f.URL, Calendars: []string{"Work", "Holidays", personal}}, nil)
		changes := h.sync()
		if got := ids(changes); !slices.Equal(got, []string{personal, work, "Holidays"}) {
			t.Fatalf("calendars %q", got)
		}
		if changes[0].Err != nil || changes[1].Err != nil {
			t.Errorf("selected calendars failed: %v, %v", changes[0].Err, changes[1].Err)
		}
		if err := changes[2].Err; err == nil || err.Error() != `caldav: no calendar named "Holidays" among the 2 found` {
			t.Errorf("error %v", err)
		}
	})

	t.Run("a calendar URL outside the home, shared from another account, is read too", func(t *testing.T) {
		shared := f.calendarAt("/remote.php/dav/calendars/bob/team_shared_by_bob/", "Bob's team")
		f.put(shared, "s.ics", event("s", 6))
		h := newHarness(t, caldav.Config{URL: f.URL, Calendars: []string{"Personal", "/remote.php/dav/calendars/bob/team_shared_by_bob", f.URL + "/remote.php/dav/principals/users/alice/"}}, nil)
		changes := h.sync()
		if got := ids(changes); !slices.Equal(got, []string{personal, shared, f.URL + "/remote.php/dav/principals/users/alice/"}) {
			t.Fatalf("calendars %q", got)
		}
		if changes[1].Err != nil || changes[1].Calendar.Name != "Bob's team" || !slices.Equal(uidsOf(changes[1].Events), []string{"s"}) {
			t.Errorf("shared calendar: %+v", changes[1])
		}
		if err := changes[2].Err; err == nil || !strings.HasSuffix(err.Error(), "/…/alice is not a calendar") {
			t.Errorf("a principal named as a calendar: error %v", err)
		}
	})

	t.Run("a calendar added on the server is read at the next discovery", func(t *testing.T) {
		h := newHarness(t, caldav.Config{URL: f.URL, DiscoveryInterval: time.Nanosecond}, nil)
		h.sync()
		team := f.calendar("team", "Team")
		f.put(team, "t.ics", event("t", 3))
		changes := h.sync()
		if got := ids(changes); !slices.Equal(got, []string{personal, team, work}) || !changes[1].Full || len(changes[1].Events) != 1 {
			t.Errorf("changes %+v; want team read whole", changes)
		}
		f.mu.Lock()
		delete(f.cals, f.home+"team/")
		f.mu.Unlock()
	})

	t.Run("until DiscoveryInterval passes, the calendars found are reused", func(t *testing.T) {
		h := newHarness(t, caldav.Config{URL: f.URL}, nil)
		h.sync()
		f.took()
		h.sync()
		for _, r := range f.took() {
			if strings.Contains(r, "/principals/") || strings.HasPrefix(r, "PROPFIND "+f.home+" ") {
				t.Errorf("discovery ran again: %s", r)
			}
		}
	})

	t.Run("when discovery fails, the calendars synced before are synced", func(t *testing.T) {
		h := newHarness(t, caldav.Config{URL: f.URL}, nil)
		h.sync()
		f.put(personal, "b.ics", event("b", 4))
		f.setHook(func(w http.ResponseWriter, r *http.Request, kind, body string) bool {
			if !strings.HasPrefix(r.URL.Path, f.home) || r.URL.Path == f.home {
				http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
				return true
			}
			return false
		})
		defer f.setHook(nil)
		restarted := newHarness(t, caldav.Config{URL: f.URL, Retry: retryPolicy(1)}, nil)
		restarted.cursors = h.cursors
		changes := restarted.sync()
		if got := ids(changes); !slices.Equal(got, []string{personal, work}) || changes[0].Err != nil || !slices.Equal(uidsOf(changes[0].Events), []string{"b"}) {
			t.Errorf("changes %+v; want both calendars, b new", changes)
		}
		if !strings.Contains(restarted.log.String(), "discovery failed; syncing the calendars synced before") {
			t.Errorf("the fallback was not logged")
		}
		fresh := newHarness(t, caldav.Config{URL: f.URL, Retry: retryPolicy(1)}, nil)
		if _, err := fresh.src.Sync(t.Context(), nil); err == nil || !strings.Contains(err.Error(), "503") {
			t.Errorf("with nothing synced before: error %v, want the discovery failure", err)
		}
	})
}

// Events carry the source's owner, and floating times take DefaultZone.
func TestEventsTakeTheOwnerAndTheDefaultZone(t *testing.T) {
	f := newFakeServer(t)
	personal := f.calendar("personal", "Personal")
	f.put(personal, "floating.ics", strings.Replace(event("floating", 5), "DTSTART:20260105T090000Z\r\nDTEND:20260105T093000Z",
		"DTSTART:20260105T090000\r\nDTEND:20260105T093000", 1))
	h := newHarness(t, caldav.Config{URL: personal, Owner: "Alice@Example.COM", DefaultZone: berlin}, nil)
	ch := h.only(h.sync())
	if ch.Calendar.Owner != "alice@example.com" || ch.Calendar.Name != "Personal" {
		t.Errorf("calendar %+v", ch.Calendar)
	}
	if len(ch.Events) != 1 || !ch.Events[0].Floating || !ch.Events[0].Start.Equal(time.Date(2026, 1, 5, 9, 0, 0, 0, berlin)) {
		t.Errorf("events %+v; want 09:00 Berlin, floating", ch.Events)
	}
}
