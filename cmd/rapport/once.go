package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/rapport-dev/rapport/cycle"
)

// runOnce runs one cycle: sync every source, analyze, print the report,
// and email (or with --dry-run print) the nudges and digests that are due.
func runOnce(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfgPath string
	var now time.Time
	var dryRun bool
	format := "text"
	fs := newFlagSet("once", "--config FILE [--now T] [--dry-run] [--format text|json]", stderr)
	fs.StringVar(&cfgPath, "config", "", "configuration file")
	fs.Var(timeFlag{&now}, "now", "analyze as of this time (default: the clock)")
	fs.BoolVar(&dryRun, "dry-run", false, "send and record no email: print the emails that would be sent after the report")
	fs.Var(formatFlag{&format}, "format", "output format: text or json")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	cfg, err := loadConfig(cfgPath)
	if err != nil {
		return err
	}
	logger := newLogger(stderr)
	sources, err := sourcesFrom(cfg, cfgPath, defaultClient, logger)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, cfg.State, logger)
	if err != nil {
		return err
	}
	defer st.Close()
	clock := time.Now
	if !now.IsZero() {
		clock = func() time.Time { return now }
	}
	results := cycle.Sync(ctx, st, sources, clock, logger)
	for _, r := range results {
		for _, p := range r.Problems {
			fmt.Fprintf(stderr, "rapport: %v\n", p)
		}
	}
	if err := cycle.Failed(results); err != nil {
		return err
	}
	// Raw history is kept only as long as configured (13 months by default).
	if _, err := st.Prune(ctx, clock().Add(-time.Duration(cfg.Retention))); err != nil {
		return err
	}
	org, err := orgFor(ctx, cfg, cfgPath, defaultClient, logger)
	if err != nil {
		return err
	}
	rep, err := cycle.Analyze(ctx, st, org, settingsFrom(cfg), clock())
	if err != nil {
		return err
	}
	if err := writeReport(stdout, format, rep); err != nil {
		return err
	}
	return notifyOnce(ctx, cfg, st, rep, org, rep.GeneratedAt, dryRun, format, stdout, stderr, logger)
}

// runCheckConfig validates a configuration file and summarises it.
func runCheckConfig(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfgPath string
	fs := newFlagSet("check-config", "--config FILE", stderr)
	fs.StringVar(&cfgPath, "config", "", "configuration file")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	cfg, err := loadConfig(cfgPath)
	if err != nil {
		return err
	}
	if _, err := sourcesFrom(cfg, cfgPath, defaultClient, newLogger(stderr)); err != nil {
		return err
	}
	pairs := 0
	for _, t := range cfg.Org.Teams {
		pairs += len(t.Reports)
	}
	_, err = fmt.Fprintf(stdout, "%s: OK: %d source(s), %d team(s), %d listed pair(s)\n", cfgPath, len(cfg.Sources), len(cfg.Org.Teams), pairs)
	return err
}
