package web

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rapport-dev/rapport/analyzer"
	"github.com/rapport-dev/rapport/calendar/ics"
	"github.com/rapport-dev/rapport/cycle"
	"github.com/rapport-dev/rapport/demo"
	"github.com/rapport-dev/rapport/store"
)

// demoNow anchors the demo story in the tests.
var demoNow = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// demoReport runs the demo organisation through the production path —
// calendar files, the ICS source, the SQLite store, the analyzer — as
// `rapport demo` does: one sync of the calendars as they stood a week
// ago, one of them now.
func demoReport(t testing.TB) analyzer.Report {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(ctx, filepath.Join(dir, "rapport.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	file := func(owner string) string {
		return filepath.Join(dir, strings.ReplaceAll(owner, "@", "_at_")+".ics")
	}
	var owners []string
	for _, team := range demo.Org().Teams {
		if team.Manager != "" {
			owners = append(owners, team.Manager)
		}
	}
	sort.Strings(owners)
	var sources []cycle.Source
	for _, owner := range owners {
		name := "demo-" + strings.SplitN(owner, "@", 2)[0]
		src, err := ics.New(ics.Config{Name: name, Owner: owner, Paths: []string{file(owner)}}, http.DefaultClient, nil)
		if err != nil {
			t.Fatal(err)
		}
		sources = append(sources, cycle.Source{Name: name, Source: src})
	}
	for _, at := range []time.Time{demoNow.Add(-7 * 24 * time.Hour), demoNow} {
		for owner, data := range demo.Calendars(demoNow, at) {
			if err := os.WriteFile(file(owner), data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		if err := cycle.Failed(cycle.Sync(ctx, st, sources, func() time.Time { return at }, slog.New(slog.DiscardHandler))); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := cycle.Analyze(ctx, st, demo.Org(), analyzer.DefaultSettings(), demoNow)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Pairs) == 0 || len(rep.Teams) == 0 {
		t.Fatalf("the demo report has %d pairs and %d teams", len(rep.Pairs), len(rep.Teams))
	}
	return rep
}
