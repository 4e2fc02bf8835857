package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rapport-dev/rapport/calendar"
	"github.com/rapport-dev/rapport/config"
	"github.com/rapport-dev/rapport/notifier"
	"github.com/rapport-dev/rapport/store"
)

// maxSnooze bounds a snooze: one that never ends is an unsubscription,
// which is the operator's call, not a flag's.
const maxSnooze = 366 * 24 * time.Hour

const snoozeSynopsis = `--config FILE --pair MANAGER/REPORT --until DATE [--reason TEXT]
       rapport snooze --config FILE --pair MANAGER/REPORT --end
       rapport snooze --config FILE --list`

// runSnooze pauses nudges about a pair (for leave and the like), ends a
// pair's snoozes, or lists the snoozes in force.
func runSnooze(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfgPath, pairArg, reason string
	var until, now time.Time
	var list, end bool
	fs := newFlagSet("snooze", snoozeSynopsis, stderr)
	fs.StringVar(&cfgPath, "config", "", "configuration file")
	fs.StringVar(&pairArg, "pair", "", "the pair, as manager-email/report-email")
	fs.Var(timeFlag{&until}, "until", "nudges about the pair resume at this time (a date: midnight UTC)")
	fs.StringVar(&reason, "reason", "", "why, for the list (e.g. parental leave); not shown in emails")
	fs.BoolVar(&list, "list", false, "list the snoozes in force")
	fs.BoolVar(&end, "end", false, "end the pair's snoozes now")
	fs.Var(timeFlag{&now}, "now", "the current time (default: the clock)")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("snooze: unexpected argument %q", fs.Arg(0))
	}
	if now.IsZero() {
		now = time.Now()
	}
	cfg, err := loadConfig(cfgPath)
	if err != nil {
		return err
	}
	switch {
	case list && (pairArg != "" || end || !until.IsZero()):
		return usagef("snooze: --list takes no --pair, --until or --end")
	case !list && pairArg == "":
		return usagef("snooze: --pair is required (or --list)")
	case end && !until.IsZero():
		return usagef("snooze: --end and --until do not go together")
	case !list && !end && until.IsZero():
		return usagef("snooze: --until is required")
	case !list && !end && !until.After(now):
		return usagef("snooze: --until %s is not in the future", until.Format(time.RFC3339))
	case !list && !end && until.Sub(now) > maxSnooze:
		return usagef("snooze: --until is more than a year away; to stop emails for good, ask the operator")
	}
	st, err := openStore(ctx, cfg.State, newLogger(stderr))
	if err != nil {
		return err
	}
	defer st.Close()
	if list {
		return listSnoozes(ctx, st, now, stdout)
	}
	manager, report, err := parsePair(cfg, pairArg)
	if err != nil {
		return err
	}
	if end {
		n, err := st.EndSnoozes(ctx, manager, report)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "ended %d snooze(s) of %s/%s\n", n, manager, report)
		return nil
	}
	id, err := st.AddSnooze(ctx, store.Snooze{Manager: manager, Report: report, Until: until.UTC(),
		Reason: notifier.Clean(reason, 200), CreatedAt: now.UTC()})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "snooze %d: no nudges about %s/%s until %s\n", id, manager, report, until.UTC().Format(time.RFC3339))
	return nil
}

// parsePair reads "manager/report" and checks that it is a pair the org
// lists (or may infer).
func parsePair(cfg *config.Config, s string) (manager, report string, err error) {
	m, r, ok := strings.Cut(s, "/")
	m, r = calendar.CanonicalEmail(strings.TrimSpace(m)), calendar.CanonicalEmail(strings.TrimSpace(r))
	if !ok || !strings.Contains(m, "@") || !strings.Contains(r, "@") || strings.ContainsAny(m+r, " /\r\n") {
		return "", "", usagef("snooze: --pair %q is not manager-email/report-email", s)
	}
	if cfg.Org.InferPairs {
		return m, r, nil
	}
	for _, t := range cfg.Org.Teams {
		if t.Manager != m {
			continue
		}
		for _, rep := range t.Reports {
			if rep == r {
				return m, r, nil
			}
		}
	}
	return "", "", usagef("snooze: %s/%s is not a pair of the configured org", m, r)
}

func listSnoozes(ctx context.Context, st *store.Store, now time.Time, w io.Writer) error {
	zs, err := st.Snoozes(ctx, now)
	if err != nil {
		return err
	}
	if len(zs) == 0 {
		_, err := fmt.Fprintln(w, "no snoozes in force")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tPAIR\tUNTIL\tREASON\tSET")
	for _, z := range zs {
		fmt.Fprintf(tw, "%d\t%s/%s\t%s\t%s\t%s\n", z.ID, z.Manager, z.Report, z.Until.Format(time.RFC3339),
			orDash(notifier.Clean(z.Reason, 200)), z.CreatedAt.Format("2006-01-02"))
	}
	return tw.Flush()
}
