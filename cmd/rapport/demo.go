package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/rapport-dev/rapport/analyzer"
	"github.com/rapport-dev/rapport/calendar/ics"
	"github.com/rapport-dev/rapport/cycle"
	"github.com/rapport-dev/rapport/demo"
	"github.com/rapport-dev/rapport/notifier"
	"github.com/rapport-dev/rapport/store"
)

// demoHistory is how long before now the demo's first sync happens, so
// that the store sees changes between two polls, as in production.
const demoHistory = 7 * 24 * time.Hour

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var now time.Time
	var once bool
	var dir, outbox string
	listen := "127.0.0.1:8080"
	format := "text"
	interval := time.Minute
	fs := newFlagSet("demo", "[--listen ADDR] [--once] [--now T] [--format text|json] [--dir DIR] [--outbox DIR]", stderr)
	fs.BoolVar(&once, "once", false, "run one cycle, print the report and exit")
	fs.StringVar(&listen, "listen", listen, "serve the dashboard, API and metrics on this loopback address (not with --once)")
	fs.Var(timeFlag{&now}, "now", "anchor the demo story at this time (default: the clock)")
	fs.Var(formatFlag{&format}, "format", "report format: text or json")
	fs.StringVar(&dir, "dir", "", "keep the demo's calendars and store in DIR (default: a temporary directory)")
	fs.DurationVar(&interval, "interval", interval, "time between cycles when not --once")
	fs.StringVar(&outbox, "outbox", "", "write the demo's emails as .eml files into DIR (default: outbox in --dir, or a new temporary directory that is kept)")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("demo: unexpected argument %q", fs.Arg(0))
	}
	if err := checkDemoListen(listen, once); err != nil {
		return err
	}
	if interval <= 0 {
		return usagef("demo: --interval must be positive")
	}
	if now.IsZero() {
		now = time.Now().UTC().Truncate(time.Minute)
	}
	if outbox == "" && dir != "" {
		outbox = filepath.Join(dir, "outbox")
	} else if outbox == "" {
		// The demo's own directory goes when it ends; its emails stay.
		tmp, err := os.MkdirTemp("", "rapport-demo-outbox-")
		if err != nil {
			return err
		}
		outbox = tmp
	}
	if dir == "" {
		tmp, err := os.MkdirTemp("", "rapport-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	} else if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	logger := newLogger(stderr)
	d, err := newDemo(ctx, dir, logger)
	if err != nil {
		return err
	}
	defer d.store.Close()
	if err := d.startNotifier(outbox); err != nil {
		return err
	}

	// The first sync sees the organisation as it stood a week ago; the
	// second sees it now, so one-off 1:1s re-timed in between are known
	// to have moved.
	for _, at := range []time.Time{now.Add(-demoHistory), now} {
		if err := d.sync(ctx, now, at); err != nil {
			return err
		}
	}
	rep, err := cycle.Analyze(ctx, d.store, demo.Org(), analyzer.DefaultSettings(), now)
	if err != nil {
		return err
	}
	if err := writeReport(stdout, format, rep); err != nil {
		return err
	}
	if err := d.notify(ctx, rep, now, stderr); err != nil {
		return err
	}
	if once {
		return nil
	}
	srv, err := serveDemo(ctx, listen, demo.Org(), logger, stderr)
	if err != nil {
		return err
	}
	defer srv.stop()
	srv.publish(rep)
	fmt.Fprintf(stderr, "rapport demo: running a cycle every %s on %s; Ctrl-C to stop\n", interval, dir)
	start := time.Now()
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
		// The story's clock moves with the wall clock from its anchor.
		at := now.Add(time.Since(start))
		if err := d.sync(ctx, now, at); err != nil {
			return err
		}
		rep, err := cycle.Analyze(ctx, d.store, demo.Org(), analyzer.DefaultSettings(), at)
		if err != nil {
			return err
		}
		srv.publish(rep)
		fmt.Fprintf(stderr, "rapport demo: %s: %s\n", at.Format(time.RFC3339), bandSummary(rep))
		if err := d.notify(ctx, rep, at, stderr); err != nil {
			return err
		}
	}
}

// demoRun is the demo organisation wired like production: one ICS source
// per manager's calendar file, a SQLite store, the cycle package.
type demoRun struct {
	dir      string
	store    *store.Store
	sources  []cycle.Source
	logger   *slog.Logger
	notifier *notifier.Notifier
	outbox   string
}

func newDemo(ctx context.Context, dir string, logger *slog.Logger) (*demoRun, error) {
	st, err := openStore(ctx, filepath.Join(dir, "rapport.db"), logger)
	if err != nil {
		return nil, err
	}
	d := &demoRun{dir: dir, store: st, logger: logger}
	var owners []string
	for _, t := range demo.Org().Teams {
		if t.Manager != "" {
			owners = append(owners, t.Manager)
		}
	}
	sort.Strings(owners)
	for _, owner := range owners {
		name := "demo-" + strings.SplitN(owner, "@", 2)[0]
		src, err := ics.New(ics.Config{Name: name, Owner: owner, Paths: []string{d.file(owner)}}, http.DefaultClient, logger)
		if err != nil {
			st.Close()
			return nil, err
		}
		d.sources = append(d.sources, cycle.Source{Name: name, Source: src})
	}
	return d, nil
}

func (d *demoRun) file(owner string) string {
	return filepath.Join(d.dir, "calendars", strings.ReplaceAll(owner, "@", "_at_")+".ics")
}

// sync writes the calendars as they stand at `at` and syncs them.
func (d *demoRun) sync(ctx context.Context, now, at time.Time) error {
	if err := os.MkdirAll(filepath.Join(d.dir, "calendars"), 0o750); err != nil {
		return err
	}
	asOf := at
	if asOf.After(now) {
		asOf = now
	}
	for owner, data := range demo.Calendars(now, asOf) {
		if err := os.WriteFile(d.file(owner), data, 0o640); err != nil {
			return err
		}
	}
	results := cycle.Sync(ctx, d.store, d.sources, func() time.Time { return at }, d.logger)
	return cycle.Failed(results)
}

func bandSummary(rep analyzer.Report) string {
	n := map[analyzer.Band]int{}
	for _, p := range rep.Pairs {
		n[p.Band]++
	}
	return fmt.Sprintf("%d pairs: %d healthy, %d drifting, %d at risk", len(rep.Pairs), n[analyzer.BandHealthy], n[analyzer.BandDrifting], n[analyzer.BandAtRisk])
}
