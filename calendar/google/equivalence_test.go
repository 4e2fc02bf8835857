package google_test

import (
	"bytes"
	"context"
	"encoding/base32"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	gcal "google.golang.org/api/calendar/v3"

	"github.com/rapport-dev/rapport/analyzer"
	"github.com/rapport-dev/rapport/calendar"
	"github.com/rapport-dev/rapport/calendar/google"
	"github.com/rapport-dev/rapport/calendar/google/googletest"
	"github.com/rapport-dev/rapport/calendar/ics"
	"github.com/rapport-dev/rapport/cycle"
	"github.com/rapport-dev/rapport/demo"
	"github.com/rapport-dev/rapport/store"
)

// googleID is the event id Google gives an imported event: its iCalUID in
// base32hex, which is the alphabet event ids are made of.
func googleID(uid string) string {
	return strings.ToLower(base32.HexEncoding.WithPadding(base32.NoPadding).EncodeToString([]byte(uid)))
}

// toGoogle converts one decoded calendar into the events Google would
// hold for it: a master or single event per UID, an exception per
// override, cancelled instances stripped to what Google guarantees.
func toGoogle(t *testing.T, events []calendar.Event) []*gcal.Event {
	t.Helper()
	zones := map[string]*time.Location{}
	for _, e := range events {
		if !e.IsOverride() {
			zones[e.UID] = e.Start.Location()
		}
	}
	var out []*gcal.Event
	for _, e := range events {
		master := googleID(e.UID)
		if e.IsOverride() {
			original := when(e.RecurrenceID, e.AllDay, zones[e.UID])
			id := googletest.InstanceID(master, original)
			if e.Status == calendar.StatusCancelled {
				out = append(out, &gcal.Event{Id: id, Status: "cancelled", RecurringEventId: master, OriginalStartTime: original})
				continue
			}
			g := googleEvent(e, id)
			g.RecurringEventId, g.OriginalStartTime = master, original
			out = append(out, g)
			continue
		}
		out = append(out, googleEvent(e, master))
	}
	return out
}

func googleEvent(e calendar.Event, id string) *gcal.Event {
	g := &gcal.Event{
		Id: id, ICalUID: e.UID, Summary: e.Summary,
		Status:   strings.ToLower(string(e.Status)),
		Sequence: int64(e.Sequence),
		Start:    when(e.Start, e.AllDay, e.Start.Location()),
		End:      when(e.End, e.AllDay, e.Start.Location()),
		Created:  e.Created.UTC().Format(time.RFC3339),
		Updated:  e.LastModified.UTC().Format(time.RFC3339),
	}
	if e.HasDescription {
		g.Description = "Agenda: see the shared doc."
	}
	if e.Transparent {
		g.Transparency = "transparent"
	}
	if e.Type == calendar.TypeOutOfOffice {
		g.EventType = "outOfOffice"
	}
	if e.Organizer != "" {
		g.Organizer = &gcal.EventOrganizer{Email: e.Organizer}
	}
	for _, a := range e.Attendees {
		status := map[calendar.PartStat]string{
			calendar.PartStatAccepted: "accepted", calendar.PartStatDeclined: "declined",
			calendar.PartStatTentative: "tentative",
		}[a.Status]
		if status == "" {
			status = "needsAction"
		}
		g.Attendees = append(g.Attendees, &gcal.EventAttendee{
			Email: a.Email, DisplayName: a.Name, ResponseStatus: status,
			Optional: a.Optional, Resource: !a.IsPerson(),
		})
	}
	if r := e.Recurrence; r != nil {
		loc := e.Start.Location()
		for _, rule := range r.Rules {
			g.Recurrence = append(g.Recurrence, "RRULE:"+rule)
		}
		for _, x := range r.ExDates {
			g.Recurrence = append(g.Recurrence, "EXDATE;TZID="+loc.String()+":"+x.In(loc).Format("20060102T150405"))
		}
		for _, x := range r.ExDateDates {
			g.Recurrence = append(g.Recurrence, "EXDATE;VALUE=DATE:"+x.Format("20060102"))
		}
		for _, p := range r.RDates {
			g.Recurrence = append(g.Recurrence, "RDATE:"+p.Start.UTC().Format("20060102T150405Z"))
		}
	}
	return g
}

func when(t time.Time, allDay bool, zone *time.Location) *gcal.EventDateTime {
	if allDay {
		return &gcal.EventDateTime{Date: t.Format(time.DateOnly)}
	}
	return &gcal.EventDateTime{DateTime: t.Format(time.RFC3339), TimeZone: zone.String()}
}

// demoCalendars decodes the demo organisation's calendars as they stood at
// asOf, by owner.
func demoCalendars(t *testing.T, now, asOf time.Time) map[string][]*gcal.Event {
	t.Helper()
	out := map[string][]*gcal.Event{}
	for owner, data := range demo.Calendars(now, asOf) {
		res, err := ics.DecodeBytes(data, ics.Options{Where: owner})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Problems) > 0 {
			t.Fatalf("%s: %v", owner, res.Problems)
		}
		out[owner] = toGoogle(t, res.Events)
	}
	return out
}

// loadFake brings the fake server to the calendars' state the way Google
// would have got there: new and changed events are written (and so
// listed by the next incremental sync), vanished ones deleted.
func loadFake(t *testing.T, srv *googletest.Server, cals map[string][]*gcal.Event, before map[string][]byte) map[string][]byte {
	t.Helper()
	now := map[string][]byte{}
	for owner, events := range cals {
		srv.AddCalendar(owner, owner, demo.Zones()[owner])
		for _, e := range events {
			b, _ := json.Marshal(e)
			key := owner + "\x00" + e.Id
			now[key] = b
			if !bytes.Equal(before[key], b) {
				srv.Put(owner, e)
			}
		}
	}
	for key := range before {
		if _, ok := now[key]; !ok {
			owner, id, _ := strings.Cut(key, "\x00")
			srv.Delete(owner, id)
		}
	}
	return now
}

func managers() []string {
	var out []string
	for _, t := range demo.Org().Teams {
		if t.Manager != "" {
			out = append(out, t.Manager)
		}
	}
	slices.Sort(out)
	return out
}

// reportJSON runs the stages after syncing: cycle.Analyze, as the daemon
// does, rendered as the report JSON of `rapport once --format json`.
func reportJSON(t *testing.T, st *store.Store, now time.Time) ([]byte, analyzer.Report) {
	t.Helper()
	rep, err := cycle.Analyze(context.Background(), st, demo.Org(), analyzer.DefaultSettings(), now)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.MarshalIndent(rep, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return b, rep
}

func syncAll(t *testing.T, st *store.Store, sources []cycle.Source, at time.Time) store.ApplyResult {
	t.Helper()
	var sum store.ApplyResult
	for _, r := range cycle.Sync(context.Background(), st, sources, func() time.Time { return at }, slog.New(slog.DiscardHandler)) {
		if r.Err != nil || len(r.Problems) > 0 {
			t.Fatalf("source %s: %v %v", r.Source, r.Err, r.Problems)
		}
		sum.Inserted += r.Applied.Inserted
		sum.Updated += r.Applied.Updated
		sum.Unchanged += r.Applied.Unchanged
		sum.Deleted += r.Applied.Deleted
	}
	return sum
}

func TestTheDemoOrganisationReadThroughGoogleReportsWhatTheICSSourceReports(t *testing.T) {
	now := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		syncs []time.Time // the instants the calendars are synced at, as they stood then
	}{
		{"one sync of the calendars as they stand now", []time.Time{now}},
		{"a sync a week ago, then an incremental one now", []time.Time{now.Add(-7 * 24 * time.Hour), now}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			// The ICS path, as `rapport demo` wires it: one source per file.
			icsStore, err := store.Open(ctx, ":memory:", nil)
			if err != nil {
				t.Fatal(err)
			}
			defer icsStore.Close()
			dir := t.TempDir()
			var icsSources []cycle.Source
			for _, owner := range managers() {
				src, err := ics.New(ics.Config{Name: "demo-" + owner, Owner: owner, Paths: []string{filepath.Join(dir, owner+".ics")}}, nil, nil)
				if err != nil {
					t.Fatal(err)
				}
				icsSources = append(icsSources, cycle.Source{Name: "demo-" + owner, Source: src})
			}

			// The Google path: one organisation-wide source over the fake.
			gStore, err := store.Open(ctx, ":memory:", nil)
			if err != nil {
				t.Fatal(err)
			}
			defer gStore.Close()
			srv := googletest.NewServer(t)
			gsrc, err := google.New(google.Config{Name: "workspace", Auth: google.AuthNone, Endpoint: srv.Endpoint(),
				Calendars: []string{google.Managers}, Managers: managers()}, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			gSources := []cycle.Source{{Name: "workspace", Source: gsrc}}

			var loaded map[string][]byte
			for i, at := range tt.syncs {
				for owner, data := range demo.Calendars(now, at) {
					path := filepath.Join(dir, owner+".ics")
					if err := os.WriteFile(path, data, 0o600); err != nil {
						t.Fatal(err)
					}
					// A rewrite within the same second must still be read.
					_ = os.Chtimes(path, at, at.Add(time.Duration(i)*time.Hour))
				}
				syncAll(t, icsStore, icsSources, at)

				srv.ResetRequests()
				loaded = loadFake(t, srv, demoCalendars(t, now, at), loaded)
				applied := syncAll(t, gStore, gSources, at)
				if i > 0 {
					if applied.Inserted+applied.Updated == 0 || applied.Unchanged != 0 {
						t.Errorf("the incremental sync applied %+v; want only what changed in the week", applied)
					}
					t.Logf("incremental sync after a week: %d requests, %+v", len(srv.Requests()), applied)
					for _, r := range srv.Requests() {
						if !r.Query.Has("syncToken") {
							t.Errorf("sync %d read %s in full; want an incremental sync", i, r.Calendar)
						}
					}
				}
			}

			want, rep := reportJSON(t, icsStore, now)
			got, _ := reportJSON(t, gStore, now)
			if len(rep.Pairs) == 0 {
				t.Fatal("the ICS report has no pairs: the comparison would prove nothing")
			}
			if !bytes.Equal(got, want) {
				t.Errorf("reports differ:\n%s", lineDiff(string(want), string(got)))
			}
			signals := 0
			for _, p := range rep.Pairs {
				signals += len(p.Signals)
			}
			t.Logf("%d pairs, %d signals, %d bytes of report: identical through both sources", len(rep.Pairs), signals, len(want))
		})
	}
}

// lineDiff shows the first lines where two texts differ.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(w), len(g)) && shown < 20; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			b.WriteString("line " + itoa(i+1) + ":\n  ics:    " + wl + "\n  google: " + gl + "\n")
			shown++
		}
	}
	return b.String()
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
