package google_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rapport-dev/rapport/calendar"
	"github.com/rapport-dev/rapport/calendar/google"
	"github.com/rapport-dev/rapport/store"
)

// recorded serves recorded events.list responses, one per request in turn
// (the last one again when they run out), and answers events.get with 404:
// a recording holds nothing more. Bare arrays of events are wrapped in an
// events.list envelope in the calendar's zone.
type recorded struct {
	*httptest.Server
	mu     sync.Mutex
	bodies [][]byte
	lists  int
	gets   int
}

func serveRecorded(t *testing.T, zone string, files ...string) *recorded {
	t.Helper()
	r := &recorded{}
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join("testdata", "compass", f))
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(strings.TrimSpace(string(data)), "[") {
			var items []json.RawMessage
			if err := json.Unmarshal(data, &items); err != nil {
				t.Fatal(err)
			}
			data, _ = json.Marshal(map[string]any{"kind": "calendar#events", "timeZone": zone, "items": items, "nextSyncToken": "recorded"})
		}
		r.bodies = append(r.bodies, data)
	}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		defer r.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if strings.Count(strings.TrimPrefix(req.URL.Path, "/calendar/v3/calendars/"), "/") > 1 {
			r.gets++
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"error":{"code":404,"message":"Not Found","errors":[{"domain":"global","reason":"notFound","message":"Not Found"}]}}`))
			return
		}
		_, _ = w.Write(r.bodies[min(r.lists, len(r.bodies)-1)])
		r.lists++
	}))
	t.Cleanup(r.Close)
	return r
}

const testUser = "test.user@gmail.com"

func TestRecordedPayloadsImplyTheseOccurrences(t *testing.T) {
	tests := []struct {
		name     string
		file     string
		from, to string // the window, in UTC
		want     []string
	}{
		{"a daily series created", "recurring/create/create.json", "2025-03-24T00:00:00Z", "2025-03-27T00:00:00Z", []string{
			"68k0p6ac 2025-03-24T07:30 planned 2025-03-24T07:30 CONFIRMED",
			"68k0p6ac 2025-03-25T07:30 planned 2025-03-25T07:30 CONFIRMED",
			"68k0p6ac 2025-03-26T07:30 planned 2025-03-26T07:30 CONFIRMED",
		}},
		{"a daily series keeps its wall-clock time across the DST change", "recurring/delete/single/delete.single.json", "2025-03-07T00:00:00Z", "2025-03-11T00:00:00Z", []string{
			"5hni4sj3 2025-03-07T08:00 planned 2025-03-07T08:00 CONFIRMED",
			"5hni4sj3 2025-03-08T08:00 planned 2025-03-08T08:00 CONFIRMED",
			"5hni4sj3 2025-03-09T08:00 planned 2025-03-09T08:00 CONFIRMED",
			"5hni4sj3 2025-03-10T08:00 planned 2025-03-10T08:00 CONFIRMED",
		}},
		{"one deleted instance is a cancelled slot, named by its post-DST UTC id", "recurring/delete/single/delete.single.json", "2025-03-24T00:00:00Z", "2025-03-27T00:00:00Z", []string{
			"5hni4sj3 2025-03-24T08:00 planned 2025-03-24T08:00 CONFIRMED",
			"5hni4sj3 2025-03-25T08:00 planned 2025-03-25T08:00 CANCELLED",
			"5hni4sj3 2025-03-26T08:00 planned 2025-03-26T08:00 CONFIRMED",
		}},
		{"UNTIL is inclusive to the last second of 31 March in Chicago", "recurring/delete/single/delete.single.json", "2025-03-30T00:00:00Z", "2025-04-03T00:00:00Z", []string{
			"5hni4sj3 2025-03-30T08:00 planned 2025-03-30T08:00 CONFIRMED",
			"5hni4sj3 2025-03-31T08:00 planned 2025-03-31T08:00 CONFIRMED",
		}},
		{"another deleted instance", "recurring/delete/single/delete.single-2.json", "2025-03-26T00:00:00Z", "2025-03-30T00:00:00Z", []string{
			"72o12msa 2025-03-26T10:00 planned 2025-03-26T10:00 CONFIRMED",
			"72o12msa 2025-03-27T10:00 planned 2025-03-27T10:00 CONFIRMED",
			"72o12msa 2025-03-28T10:00 planned 2025-03-28T10:00 CANCELLED",
			"72o12msa 2025-03-29T10:00 planned 2025-03-29T10:00 CONFIRMED",
		}},
		{"delete this and following ends the series and keeps the earlier cancellation", "recurring/delete/this-and-following/delete.this-and-following.json", "2025-03-23T00:00:00Z", "2025-03-31T00:00:00Z", []string{
			"5hni4sj3 2025-03-23T08:00 planned 2025-03-23T08:00 CONFIRMED",
			"5hni4sj3 2025-03-24T08:00 planned 2025-03-24T08:00 CONFIRMED",
			"5hni4sj3 2025-03-25T08:00 planned 2025-03-25T08:00 CANCELLED",
			"5hni4sj3 2025-03-26T08:00 planned 2025-03-26T08:00 CONFIRMED",
		}},
		{"an instance cancelled beyond the new end is no skipped slot", "recurring/delete/this-and-following/delete.this-and-following-2.json", "2025-03-23T00:00:00Z", "2025-04-01T00:00:00Z", []string{
			"72o12msa 2025-03-24T10:00 planned 2025-03-24T10:00 CONFIRMED",
			"72o12msa 2025-03-25T10:00 planned 2025-03-25T10:00 CONFIRMED",
		}},
		{"one instance moved", "recurring/edit/single/single.instance-1.json", "2025-03-24T00:00:00Z", "2025-03-26T00:00:00Z", []string{
			"68k0p6ac 2025-03-24T12:30 planned 2025-03-24T07:30 CONFIRMED",
			"68k0p6ac 2025-03-25T07:30 planned 2025-03-25T07:30 CONFIRMED",
		}},
		{"one instance moved to the evening", "recurring/edit/single/single.instance-2.json", "2025-03-26T00:00:00Z", "2025-03-27T12:00:00Z", []string{
			"0e6062d5 2025-03-26T20:45 planned 2025-03-26T07:30 CONFIRMED",
		}},
		{"instances renamed in place are not moved", "recurring/edit/single/single.instance-3.json", "2025-03-26T00:00:00Z", "2025-03-29T00:00:00Z", []string{
			"1kmd7abo 2025-03-26T07:30 planned 2025-03-26T07:30 CONFIRMED",
			"1kmd7abo 2025-03-27T07:30 planned 2025-03-27T07:30 CONFIRMED",
			"1kmd7abo 2025-03-28T07:30 planned 2025-03-28T07:30 CONFIRMED",
		}},
		{"this and following: the old series ends, keeps its moves, and a new one begins", "recurring/edit/this-and-following/this-and-following-2.json", "2025-03-14T00:00:00Z", "2025-03-28T00:00:00Z", []string{
			"3i234gl4 2025-03-14T08:15 planned 2025-03-14T08:15 CONFIRMED",
			"3i234gl4 2025-03-15T16:00 planned 2025-03-15T08:15 CONFIRMED",
			"3i234gl4 2025-03-16T08:15 planned 2025-03-16T08:15 CONFIRMED",
			"3i234gl4 2025-03-17T08:15 planned 2025-03-17T08:15 CONFIRMED",
			"3i234gl4 2025-03-18T08:15 planned 2025-03-18T08:15 CONFIRMED",
			"3i234gl4 2025-03-20T08:15 planned 2025-03-20T08:15 CONFIRMED",
			"3i234gl4 2025-03-20T16:30 planned 2025-03-19T08:15 CONFIRMED",
			"3i234gl4 2025-03-21T08:15 planned 2025-03-21T08:15 CONFIRMED",
			"3i234gl4 2025-03-22T08:15 planned 2025-03-22T08:15 CONFIRMED",
			"3i234gl4 2025-03-23T08:15 planned 2025-03-23T08:15 CONFIRMED",
			"3i234gl4 2025-03-24T08:15 planned 2025-03-24T08:15 CONFIRMED",
			"3i234gl4 2025-03-25T08:15 planned 2025-03-25T08:15 CONFIRMED",
			"3i234gl4_R 2025-03-26T08:15 planned 2025-03-26T08:15 CONFIRMED",
			"3i234gl4_R 2025-03-27T08:15 planned 2025-03-27T08:15 CONFIRMED",
		}},
		{"this and following, split in the hour", "recurring/edit/this-and-following/this-and-following-3.json", "2025-03-24T00:00:00Z", "2025-03-28T00:00:00Z", []string{
			"0214krqh 2025-03-24T09:15 planned 2025-03-24T09:15 CONFIRMED",
			"0214krqh 2025-03-25T09:15 planned 2025-03-25T09:15 CONFIRMED",
			"0214krqh_R 2025-03-26T09:15 planned 2025-03-26T09:15 CONFIRMED",
			"0214krqh_R 2025-03-27T09:15 planned 2025-03-27T09:15 CONFIRMED",
		}},
		{"this and following, a day later", "recurring/edit/this-and-following/this-and-following-1.json", "2025-03-25T00:00:00Z", "2025-03-29T00:00:00Z", []string{
			"4k3h1bqn 2025-03-25T07:30 planned 2025-03-25T07:30 CONFIRMED",
			"4k3h1bqn 2025-03-26T07:30 planned 2025-03-26T07:30 CONFIRMED",
			"4k3h1bqn_R 2025-03-27T07:30 planned 2025-03-27T07:30 CONFIRMED",
			"4k3h1bqn_R 2025-03-28T07:30 planned 2025-03-28T07:30 CONFIRMED",
		}},
		{"this and following with an edited instance before the split", "recurring/edit/this-and-following/this-and-following-4.json", "2025-03-24T00:00:00Z", "2025-03-28T00:00:00Z", []string{
			"68k0p6ac 2025-03-24T07:30 planned 2025-03-24T07:30 CONFIRMED",
			"68k0p6ac 2025-03-25T07:30 planned 2025-03-25T07:30 CONFIRMED",
			"68k0p6ac_R 2025-03-26T07:30 planned 2025-03-26T07:30 CONFIRMED",
			"68k0p6ac_R 2025-03-27T07:30 planned 2025-03-27T07:30 CONFIRMED",
		}},
		{"edit all is recorded as the same split", "recurring/edit/all/all-2.json", "2025-03-25T00:00:00Z", "2025-03-27T00:00:00Z", []string{
			"68k0p6ac 2025-03-25T07:30 planned 2025-03-25T07:30 CONFIRMED",
			"68k0p6ac_R 2025-03-26T07:30 planned 2025-03-26T07:30 CONFIRMED",
		}},
		{"this and following as a brand-new series (v2)", "recurring/edit/this-and-following-v2/this-and-following-0.json", "2025-03-30T00:00:00Z", "2025-04-03T00:00:00Z", []string{
			"5hni4sj3 2025-03-30T08:00 planned 2025-03-30T08:00 CONFIRMED",
			"5hni4sj3 2025-03-31T08:00 planned 2025-03-31T08:00 CONFIRMED",
			"e5srrkr3 2025-04-01T07:00 planned 2025-04-01T07:00 CONFIRMED",
			"e5srrkr3 2025-04-02T07:00 planned 2025-04-02T07:00 CONFIRMED",
		}},
		{"the new series split again (v2)", "recurring/edit/this-and-following-v2/this-and-following-1.json", "2025-04-07T00:00:00Z", "2025-04-11T00:00:00Z", []string{
			"e5srrkr3 2025-04-07T07:00 planned 2025-04-07T07:00 CONFIRMED",
			"e5srrkr3 2025-04-08T07:00 planned 2025-04-08T07:00 CONFIRMED",
			"e5srrkr3_R 2025-04-09T07:00 planned 2025-04-09T07:00 CONFIRMED",
			"e5srrkr3_R 2025-04-10T07:00 planned 2025-04-10T07:00 CONFIRMED",
		}},
		{"the ten instances Google expanded are exactly the engine's", "gcal/gcal.recurring.json", "2025-09-01T00:00:00Z", "2025-10-01T00:00:00Z", []string{
			"15chil19 2025-09-07T02:30 planned 2025-09-07T02:30 CONFIRMED",
			"15chil19 2025-09-08T02:30 planned 2025-09-08T02:30 CONFIRMED",
			"15chil19 2025-09-09T02:30 planned 2025-09-09T02:30 CONFIRMED",
			"15chil19 2025-09-10T02:30 planned 2025-09-10T02:30 CONFIRMED",
			"15chil19 2025-09-11T02:30 planned 2025-09-11T02:30 CONFIRMED",
			"15chil19 2025-09-12T02:30 planned 2025-09-12T02:30 CONFIRMED",
			"15chil19 2025-09-13T02:30 planned 2025-09-13T02:30 CONFIRMED",
			"15chil19 2025-09-14T02:30 planned 2025-09-14T02:30 CONFIRMED",
			"15chil19 2025-09-15T02:30 planned 2025-09-15T02:30 CONFIRMED",
			"15chil19 2025-09-16T02:30 planned 2025-09-16T02:30 CONFIRMED",
		}},
		{"an all-day event is that day in the calendar's zone", "gcal/gcal.allday.json", "2022-02-20T00:00:00Z", "2022-02-25T00:00:00Z", []string{
			"1evdi8c1 2022-02-22T00:00 planned 2022-02-22T00:00 CONFIRMED",
		}},
		{"timed events keep their instants whatever offset they are written in", "gcal/gcal.timed.json", "2012-01-01T00:00:00Z", "2014-01-01T00:00:00Z", []string{
			"kjatossb 2012-10-26T14:00 planned 2012-10-26T14:00 CONFIRMED",
			"m24m3crs 2012-10-26T09:30 planned 2012-10-26T09:30 CONFIRMED",
			"rj00agj0 2013-05-15T12:30 planned 2013-05-15T12:30 CONFIRMED",
		}},
		{"cancelled instances of series never seen are cancelled slots", "gcal/gcal.cancelled.json", "2013-01-01T00:00:00Z", "2022-01-01T00:00:00Z", []string{
			"0cu25g99 2021-11-23T11:00 planned 2021-11-23T11:00 CANCELLED",
			"tlf9q8uk 2013-05-08T17:00 planned 2013-05-08T17:00 CANCELLED",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := serveRecorded(t, "America/Chicago", tt.file)
			h := newHarness(t, nil, google.Config{Endpoint: rec.URL + "/", Calendars: []string{testUser}})
			ch := h.only()
			if len(ch.Problems) > 0 {
				t.Fatalf("problems: %v", ch.Problems)
			}
			got := corpusOccurrences(t, ch.Events, tt.from, tt.to)
			if !slices.Equal(got, tt.want) {
				t.Errorf("occurrences\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}

func TestARecordedDeleteAllIsADeletedSeries(t *testing.T) {
	rec := serveRecorded(t, "America/Chicago", "recurring/delete/all/all-1.json")
	h := newHarness(t, nil, google.Config{Endpoint: rec.URL + "/", Calendars: []string{testUser}})
	h.cursors[testUser] = `{"v":1,"sync":"CI-earlier"}` // an incremental listing
	ch := h.only()
	if ch.Full || len(ch.Events) != 0 || !slices.Equal(ch.Deleted, []string{"6pbua6vjeic3e73gvponeo1qp6@google.com"}) {
		t.Errorf("full %v, events %v, deleted %v; want the series deleted by Google's own iCalUID", ch.Full, uids(ch), ch.Deleted)
	}
	if rec.gets != 1 {
		t.Errorf("%d events.get, want one attempt to learn the iCalUID", rec.gets)
	}
}

// TestRecordedEditsAppliedOneAfterAnother plays three captures of one
// series through the store, as successive polls would: the series is
// created, one instance moved, then everything from 26 March edited.
func TestRecordedEditsAppliedOneAfterAnother(t *testing.T) {
	rec := serveRecorded(t, "America/Chicago",
		"recurring/create/create.json",
		"recurring/edit/single/single.instance-1.json",
		"recurring/edit/all/all-1.json")
	h := newHarness(t, nil, google.Config{Endpoint: rec.URL + "/", Calendars: []string{testUser}})
	ctx := context.Background()
	st, err := store.Open(ctx, ":memory:", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	at := time.Date(2025, 3, 25, 12, 0, 0, 0, time.UTC)
	var moved []string
	for i := range 3 {
		ch := h.only()
		if (i == 0) != ch.Full {
			t.Errorf("poll %d: full %v", i, ch.Full)
		}
		if _, err := st.Apply(ctx, "workspace", ch, at.Add(time.Duration(i)*time.Hour)); err != nil {
			t.Fatal(err)
		}
		recs, err := st.Events(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var events []calendar.Event
		for _, r := range recs {
			events = append(events, r.Event)
		}
		occ := corpusOccurrences(t, events, "2025-03-24T00:00:00Z", "2025-03-28T00:00:00Z")
		moved = append(moved, occ[0])
		if i == 2 {
			want := []string{
				"68k0p6ac 2025-03-24T07:30 planned 2025-03-24T07:30 CONFIRMED",
				"68k0p6ac 2025-03-25T07:30 planned 2025-03-25T07:30 CONFIRMED",
				"68k0p6ac_R 2025-03-26T07:30 planned 2025-03-26T07:30 CONFIRMED",
				"68k0p6ac_R 2025-03-27T07:30 planned 2025-03-27T07:30 CONFIRMED",
			}
			if !slices.Equal(occ, want) {
				t.Errorf("after the last poll\n  %s\nwant\n  %s", strings.Join(occ, "\n  "), strings.Join(want, "\n  "))
			}
		}
	}
	want := []string{
		"68k0p6ac 2025-03-24T07:30 planned 2025-03-24T07:30 CONFIRMED",
		"68k0p6ac 2025-03-24T12:30 planned 2025-03-24T07:30 CONFIRMED",
		"68k0p6ac 2025-03-24T07:30 planned 2025-03-24T07:30 CONFIRMED",
	}
	if !slices.Equal(moved, want) {
		t.Errorf("the first slot over the polls\n  %s\nwant\n  %s", strings.Join(moved, "\n  "), strings.Join(want, "\n  "))
	}
}

// corpusOccurrences renders occurrences as "<uid prefix> <start> planned
// <planned start> <STATUS>", wall-clock in the series' zone; a split-off
// series ("<id>_R<start>") shows as "<prefix>_R".
func corpusOccurrences(t *testing.T, events []calendar.Event, from, to string) []string {
	t.Helper()
	var out []string
	for _, s := range calendar.GroupSeries(events) {
		occ, err := s.Expand(mustTime(t, from), mustTime(t, to), calendar.ExpandOptions{})
		if err != nil {
			t.Fatalf("expand %s: %v", s.UID, err)
		}
		name := s.UID[:8]
		if strings.Contains(s.UID, "_R") {
			name += "_R"
		}
		for _, o := range occ {
			loc := o.Start.Location()
			if s.Master != nil {
				loc = s.Master.Start.Location()
			}
			out = append(out, name+" "+o.Start.In(loc).Format("2006-01-02T15:04")+" planned "+o.PlannedStart.In(loc).Format("2006-01-02T15:04")+" "+string(o.Status))
		}
	}
	slices.Sort(out)
	return out
}
