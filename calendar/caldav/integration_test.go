package caldav_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rapport-dev/rapport/calendar"
	"github.com/rapport-dev/rapport/calendar/caldav"
	"github.com/rapport-dev/rapport/cycle"
	"github.com/rapport-dev/rapport/retry"
	"github.com/rapport-dev/rapport/store"
)

// vevent writes one VEVENT. rrule may be empty; rid makes it an override.
func vevent(uid, summary string, start time.Time, minutes int, rrule string, rid time.Time, seq int) string {
	var b strings.Builder
	b.WriteString("BEGIN:VEVENT\r\nUID:" + uid + "\r\nDTSTAMP:20260101T000000Z\r\n")
	fmt.Fprintf(&b, "SEQUENCE:%d\r\n", seq)
	if !rid.IsZero() {
		b.WriteString("RECURRENCE-ID;TZID=Europe/Berlin:" + rid.Format("20060102T150405") + "\r\n")
	}
	b.WriteString("DTSTART;TZID=Europe/Berlin:" + start.Format("20060102T150405") + "\r\n")
	b.WriteString("DTEND;TZID=Europe/Berlin:" + start.Add(time.Duration(minutes)*time.Minute).Format("20060102T150405") + "\r\n")
	if rrule != "" {
		b.WriteString("RRULE:" + rrule + "\r\n")
	}
	b.WriteString("SUMMARY:" + summary + "\r\nORGANIZER:mailto:alice@example.com\r\n" +
		"ATTENDEE;PARTSTAT=ACCEPTED:mailto:alice@example.com\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:bob@example.com\r\nEND:VEVENT\r\n")
	return b.String()
}

const berlinZone = "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\n" +
	"TZNAME:CEST\r\nDTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\n" +
	"BEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\nDTSTART:19701025T030000\r\n" +
	"RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"

// vcalendar wraps components into one calendar object.
func vcalendar(components ...string) []byte {
	return []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//rapport//caldav test//EN\r\n" + berlinZone +
		strings.Join(components, "") + "END:VCALENDAR\r\n")
}

var berlin = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		panic(err)
	}
	return loc
}()

func noSleep(ctx context.Context, _ time.Duration) error { return ctx.Err() }

// recording wraps a Source and keeps what its last Sync returned, so that
// a test can look at the Changes that cycle.Sync applied to the store.
type recording struct {
	src  calendar.Source
	last []calendar.Changes
}

func (r *recording) Sync(ctx context.Context, cursors map[string]string) ([]calendar.Changes, error) {
	ch, err := r.src.Sync(ctx, cursors)
	r.last = ch
	return ch, err
}

func (r *recording) changes(t *testing.T, id string) calendar.Changes {
	t.Helper()
	for _, ch := range r.last {
		if ch.Calendar.ID == id {
			return ch
		}
	}
	t.Fatalf("no changes for calendar %s among %d", id, len(r.last))
	return calendar.Changes{}
}

// pipeline is a CalDAV source synced into a real store through cycle.Sync,
// exactly as the daemon does.
type pipeline struct {
	t     *testing.T
	rec   *recording
	store *store.Store
	count *counter
	log   *bytes.Buffer
	now   time.Time
}

func newPipeline(t *testing.T, cfg caldav.Config) *pipeline {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, ":memory:", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	p := &pipeline{t: t, store: st, count: newCounter(), log: &bytes.Buffer{}, now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	if cfg.Name == "" {
		cfg.Name = "dav"
	}
	cfg.Retry.Sleep = noSleep
	logger := slog.New(slog.NewTextHandler(p.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	src, err := caldav.New(cfg, &http.Client{Transport: p.count}, logger)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	p.rec = &recording{src: src}
	return p
}

// sync runs one cycle.Sync and fails the test on any problem.
func (p *pipeline) sync() cycle.SyncResult {
	p.t.Helper()
	p.now = p.now.Add(time.Hour)
	res := cycle.Sync(context.Background(), p.store, []cycle.Source{{Name: "dav", Source: p.rec}}, func() time.Time { return p.now }, slog.New(slog.DiscardHandler))
	if len(res) != 1 || res[0].Err != nil || len(res[0].Problems) > 0 {
		p.t.Fatalf("sync: %+v\nlog:\n%s", res, p.log.String())
	}
	return res[0]
}

func (p *pipeline) cursors() map[string]string {
	p.t.Helper()
	c, err := p.store.Cursors(context.Background(), "dav")
	if err != nil {
		p.t.Fatal(err)
	}
	return c
}

func (p *pipeline) live() map[string][]calendar.Event {
	p.t.Helper()
	recs, err := p.store.Events(context.Background())
	if err != nil {
		p.t.Fatal(err)
	}
	out := map[string][]calendar.Event{}
	for _, r := range recs {
		out[r.Event.UID] = append(out[r.Event.UID], r.Event)
	}
	return out
}

func uidSet(events []calendar.Event) []string {
	var out []string
	for _, e := range events {
		if !slices.Contains(out, e.UID) {
			out = append(out, e.UID)
		}
	}
	slices.Sort(out)
	return out
}

// TestRealServers runs the source against real Radicale and Xandikos
// servers through discovery, a first sync, an edited instance, a deleted
// object, a sync with nothing changed, and a sync token the server no
// longer knows.
func TestRealServers(t *testing.T) {
	for _, kind := range serverKinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			srv := startServer(t, kind)
			work := srv.mkcalendar(t, "work", "Work")
			ones := srv.mkcalendar(t, "one-on-ones", "1:1s")
			weekly := time.Date(2026, 1, 5, 10, 0, 0, 0, berlin)
			srv.put(t, work, "alice-bob.ics", vcalendar(vevent("alice-bob", "Alice / Bob", weekly, 30, "FREQ=WEEKLY", time.Time{}, 0)))
			srv.put(t, work, "one-off.ics", vcalendar(vevent("one-off", "Alice / Bob catch-up", weekly.AddDate(0, 0, 2), 30, "", time.Time{}, 0)))
			// An object named unlike its UID: its deletion must still name the UID.
			srv.put(t, ones, "8c1f.ics", vcalendar(vevent("alice-carol", "Alice <> Carol", weekly.Add(2*time.Hour), 45, "FREQ=WEEKLY;INTERVAL=2", time.Time{}, 0)))

			p := newPipeline(t, caldav.Config{URL: srv.base, Owner: "alice@example.com", Username: srv.user, Password: srv.password})

			t.Run("discovery finds both calendars from the server's root and the first sync reads them whole", func(t *testing.T) {
				p.sync()
				var ids, names []string
				for _, ch := range p.rec.last {
					ids = append(ids, ch.Calendar.ID)
					names = append(names, ch.Calendar.Name)
					if !ch.Full || !ch.WholeSeries || ch.Err != nil || ch.Cursor == "" {
						t.Errorf("%s: Full %v WholeSeries %v Err %v cursor %q; want a whole first read", ch.Calendar.ID, ch.Full, ch.WholeSeries, ch.Err, ch.Cursor)
					}
				}
				if want := []string{ones, work}; !slices.Equal(ids, want) {
					t.Errorf("calendars %q, want %q", ids, want)
				}
				if want := []string{"1:1s", "Work"}; !slices.Equal(names, want) {
					t.Errorf("names %q, want %q", names, want)
				}
				if got, want := uidSet(flatten(p.live())), []string{"alice-bob", "alice-carol", "one-off"}; !slices.Equal(got, want) {
					t.Errorf("stored UIDs %q, want %q", got, want)
				}
				if p.count.withAuthorization.Load() != p.count.requests.Load() {
					t.Errorf("%d of %d requests carried credentials; want all", p.count.withAuthorization.Load(), p.count.requests.Load())
				}
			})

			t.Run("a sync with nothing changed makes exactly one request per calendar", func(t *testing.T) {
				p.count.reset()
				res := p.sync()
				n, methods := p.count.reset()
				if n != 2 {
					t.Errorf("%d requests, want 2 (one per calendar): %q", n, methods)
				}
				for _, ch := range p.rec.last {
					if ch.Full || len(ch.Events) > 0 || len(ch.Deleted) > 0 {
						t.Errorf("%s: Full %v, %d events, deleted %q; want nothing", ch.Calendar.ID, ch.Full, len(ch.Events), ch.Deleted)
					}
				}
				if res.Applied.Inserted+res.Applied.Updated+res.Applied.Deleted != 0 {
					t.Errorf("applied %+v, want nothing", res.Applied)
				}
			})

			t.Run("an edited instance arrives as its whole series, and only that object is fetched", func(t *testing.T) {
				planned := weekly.AddDate(0, 0, 14)
				moved := planned.Add(26 * time.Hour)
				srv.put(t, work, "alice-bob.ics", vcalendar(
					vevent("alice-bob", "Alice / Bob", weekly, 30, "FREQ=WEEKLY", time.Time{}, 1),
					vevent("alice-bob", "Alice / Bob", moved, 30, "", planned, 1)))
				p.count.reset()
				p.sync()
				n, methods := p.count.reset()
				if n != 3 {
					t.Errorf("%d requests, want 3 (two sync reports, one multiget): %q", n, methods)
				}
				ch := p.rec.changes(t, work)
				if ch.Full || !ch.WholeSeries || len(ch.Events) != 2 || len(ch.Deleted) != 0 {
					t.Fatalf("Full %v WholeSeries %v events %d deleted %q; want the series alone", ch.Full, ch.WholeSeries, len(ch.Events), ch.Deleted)
				}
				var override *calendar.Event
				for i := range ch.Events {
					if ch.Events[i].IsOverride() {
						override = &ch.Events[i]
					}
				}
				if override == nil || !override.RecurrenceID.Equal(planned) || !override.Start.Equal(moved) {
					t.Fatalf("override %+v, want %s moved to %s", override, planned, moved)
				}
				if got := len(p.live()["alice-bob"]); got != 2 {
					t.Errorf("the store holds %d events of alice-bob, want master and override", got)
				}
			})

			t.Run("a deleted object becomes a tombstone under its UID", func(t *testing.T) {
				srv.remove(t, work, "one-off.ics")
				srv.remove(t, ones, "8c1f.ics")
				p.sync()
				if ch := p.rec.changes(t, work); !slices.Equal(ch.Deleted, []string{"one-off"}) || ch.Full || len(ch.Events) > 0 {
					t.Errorf("work: deleted %q, Full %v, %d events; want one-off deleted", ch.Deleted, ch.Full, len(ch.Events))
				}
				if ch := p.rec.changes(t, ones); !slices.Equal(ch.Deleted, []string{"alice-carol"}) {
					t.Errorf("1:1s: deleted %q; want alice-carol, the UID of 8c1f.ics", ch.Deleted)
				}
				live := p.live()
				if _, ok := live["one-off"]; ok {
					t.Errorf("one-off still live")
				}
				gone, err := p.store.Deleted(context.Background(), time.Time{})
				if err != nil {
					t.Fatal(err)
				}
				if got := uidSet(records(gone)); !slices.Equal(got, []string{"alice-carol", "one-off"}) {
					t.Errorf("tombstones %q, want alice-carol and one-off", got)
				}
			})

			t.Run("a sync token the server no longer knows starts over with a full read", func(t *testing.T) {
				srv.put(t, work, "later.ics", vcalendar(vevent("later", "Alice / Bob", weekly.AddDate(0, 1, 0), 30, "", time.Time{}, 0)))
				forgetTokens(t, srv, p, work)
				p.sync()
				ch := p.rec.changes(t, work)
				if !ch.Full || ch.Err != nil {
					t.Fatalf("Full %v, Err %v; want a full read", ch.Full, ch.Err)
				}
				if got, want := uidSet(ch.Events), []string{"alice-bob", "later"}; !slices.Equal(got, want) {
					t.Errorf("events of %q, want %q", got, want)
				}
				if !strings.Contains(p.log.String(), "sync token refused") {
					t.Errorf("the log does not say the token was refused:\n%s", p.log.String())
				}
				p.count.reset()
				p.sync()
				if n, methods := p.count.reset(); n != 2 {
					t.Errorf("after starting over, %d requests for nothing changed, want 2: %q", n, methods)
				}
			})

			t.Run("a source on one calendar's URL reads only that calendar", func(t *testing.T) {
				one := newPipeline(t, caldav.Config{URL: ones, Username: srv.user, Password: srv.password})
				srv.put(t, ones, "x.ics", vcalendar(vevent("x", "Alice / Bob", weekly, 30, "", time.Time{}, 0)))
				one.sync()
				if len(one.rec.last) != 1 || one.rec.last[0].Calendar.ID != ones || one.rec.last[0].Calendar.Name != "1:1s" {
					t.Errorf("calendars %+v, want only %s", one.rec.last, ones)
				}
			})

			t.Run("Calendars selects by display name", func(t *testing.T) {
				sel := newPipeline(t, caldav.Config{URL: srv.base + srv.homePath, Username: srv.user, Password: srv.password, Calendars: []string{"work"}})
				sel.sync()
				if len(sel.rec.last) != 1 || sel.rec.last[0].Calendar.ID != work {
					t.Errorf("calendars %+v, want only %s", sel.rec.last, work)
				}
			})
		})
	}
}

// forgetTokens makes the server forget the sync tokens it gave: Radicale
// deletes old ones as its max-sync-token-age passes, so the test deletes
// them; Xandikos's tokens are Git commits that never expire, so the
// cursor's is replaced by one that never existed.
func forgetTokens(t *testing.T, srv *davServer, p *pipeline, calURL string) {
	t.Helper()
	switch srv.kind {
	case "radicale":
		dir := filepath.Join(srv.dir, "storage", "collection-root", strings.Trim(strings.TrimPrefix(calURL, srv.base), "/"), ".Radicale.cache", "sync-token")
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
	default:
		prev := p.cursors()[calURL]
		var c map[string]any
		if err := json.Unmarshal([]byte(prev), &c); err != nil {
			t.Fatal(err)
		}
		c["t"] = strings.Repeat("0", 40)
		b, _ := json.Marshal(c)
		ch := calendar.Changes{Calendar: calendar.Calendar{ID: calURL, Name: "Work"}, WholeSeries: true, Cursor: string(b)}
		if _, err := p.store.Apply(context.Background(), "dav", ch, p.now); err != nil {
			t.Fatal(err)
		}
	}
}

func flatten(m map[string][]calendar.Event) []calendar.Event {
	var out []calendar.Event
	for _, es := range m {
		out = append(out, es...)
	}
	return out
}

func records(recs []store.Record) []calendar.Event {
	out := make([]calendar.Event, len(recs))
	for i, r := range recs {
		out[i] = r.Event
	}
	return out
}

var _ = retry.Policy{}
