package caldav_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rapport-dev/rapport/analyzer"
	"github.com/rapport-dev/rapport/calendar/caldav"
	"github.com/rapport-dev/rapport/calendar/ics"
	"github.com/rapport-dev/rapport/cycle"
	"github.com/rapport-dev/rapport/demo"
	"github.com/rapport-dev/rapport/store"
)

// The demo organisation synced from Radicale, one calendar per manager with
// one object per UID, gives the very report that the same calendars give
// through the ICS source. The demo command's two syncs are played: a week
// before now (the calendars as they stood then), and now, when the CalDAV
// side gets only the objects that changed, and loses those that went. The
// second sync's report, which rests on the history of what moved between
// the two, must match as well as the first.
func TestTheDemoOrganisationReportsTheSameThroughRadicaleAsThroughICSFiles(t *testing.T) {
	srv := startRadicale(t)
	ctx := context.Background()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	first := now.Add(-7 * 24 * time.Hour)
	dir := t.TempDir()

	open := func() *store.Store {
		st, err := store.Open(ctx, ":memory:", nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	viaDAV, viaICS := open(), open()

	owners := slices.Sorted(func(yield func(string) bool) {
		for o := range demo.Calendars(now, now) {
			if !yield(o) {
				return
			}
		}
	})
	var davSources, icsSources []cycle.Source
	calURL := map[string]string{}
	file := func(owner string) string { return filepath.Join(dir, strings.ReplaceAll(owner, "@", "_at_")+".ics") }
	for _, owner := range owners {
		name := "demo-" + strings.SplitN(owner, "@", 2)[0]
		calURL[owner] = srv.mkcalendar(t, name, owner)
		d, err := caldav.New(caldav.Config{Name: name, URL: calURL[owner], Owner: owner, Username: srv.user, Password: srv.password}, http.DefaultClient, nil)
		if err != nil {
			t.Fatal(err)
		}
		davSources = append(davSources, cycle.Source{Name: name, Source: d})
		i, err := ics.New(ics.Config{Name: name, Owner: owner, Paths: []string{file(owner)}}, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		icsSources = append(icsSources, cycle.Source{Name: name, Source: i})
	}

	stored := map[string]map[string][]byte{} // owner → object name → what Radicale holds
	for _, at := range []time.Time{first, now} {
		cals := demo.Calendars(now, at)
		puts, deletes := 0, 0
		for _, owner := range owners {
			writeFile(t, file(owner), cals[owner])
			uids, objects := splitObjects(t, cals[owner])
			held := stored[owner]
			next := map[string][]byte{}
			for _, uid := range uids {
				name := objectName(uid)
				next[name] = objects[uid]
				if !bytes.Equal(held[name], objects[uid]) {
					srv.put(t, calURL[owner], name, objects[uid])
					puts++
				}
			}
			for name := range held {
				if _, ok := next[name]; !ok {
					srv.remove(t, calURL[owner], name)
					deletes++
				}
			}
			stored[owner] = next
		}
		t.Logf("sync at %s: %d objects put, %d deleted", at.Format(time.DateOnly), puts, deletes)

		clock := func() time.Time { return at }
		for _, run := range []struct {
			name    string
			st      *store.Store
			sources []cycle.Source
		}{{"caldav", viaDAV, davSources}, {"ics", viaICS, icsSources}} {
			for _, res := range cycle.Sync(ctx, run.st, run.sources, clock, slog.New(slog.DiscardHandler)) {
				if res.Err != nil || len(res.Problems) > 0 || res.Calendars != 1 {
					t.Fatalf("%s sync of %s at %s: %+v", run.name, res.Source, at, res)
				}
			}
		}
		report := func(st *store.Store) []byte {
			rep, err := cycle.Analyze(ctx, st, demo.Org(), analyzer.DefaultSettings(), at)
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Pairs) == 0 {
				t.Fatal("a report without pairs")
			}
			b, err := json.MarshalIndent(rep, "", " ")
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		if a, b := report(viaDAV), report(viaICS); !bytes.Equal(a, b) {
			t.Errorf("at %s the reports differ:\n%s", at.Format(time.DateOnly), lineDiff(string(a), string(b)))
		}
	}
}

// lineDiff shows the first lines where two texts differ.
func lineDiff(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	var out []string
	for i := 0; i < max(len(la), len(lb)) && len(out) < 20; i++ {
		var x, y string
		if i < len(la) {
			x = la[i]
		}
		if i < len(lb) {
			y = lb[i]
		}
		if x != y {
			out = append(out, "caldav: "+x, "ics:    "+y)
		}
	}
	return strings.Join(out, "\n")
}
