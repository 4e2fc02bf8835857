package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rapport-dev/rapport/analyzer"
	"github.com/rapport-dev/rapport/cycle"
)

// runReport prints findings from the store without syncing.
func runReport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfgPath string
	var now time.Time
	format := "text"
	fs := newFlagSet("report", "--config FILE [--now T] [--format text|json]", stderr)
	fs.StringVar(&cfgPath, "config", "", "configuration file")
	fs.Var(timeFlag{&now}, "now", "analyze as of this time (default: the clock)")
	fs.Var(formatFlag{&format}, "format", "output format: text or json")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	cfg, err := loadConfig(cfgPath)
	if err != nil {
		return err
	}
	if now.IsZero() {
		now = time.Now()
	}
	logger := newLogger(stderr)
	st, err := openStore(ctx, cfg.State, logger)
	if err != nil {
		return err
	}
	defer st.Close()
	org, err := orgFor(ctx, cfg, cfgPath, defaultClient, logger)
	if err != nil {
		return err
	}
	rep, err := cycle.Analyze(ctx, st, org, settingsFrom(cfg), now)
	if err != nil {
		return err
	}
	return writeReport(stdout, format, rep)
}

// writeReport prints a report as the JSON contract or as readable text.
func writeReport(w io.Writer, format string, rep analyzer.Report) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	fmt.Fprintf(w, "Rapport report, %s, trailing window %d days\n\n", rep.GeneratedAt.UTC().Format("2006-01-02 15:04 MST"), rep.WindowDays)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TEAM\tMANAGER\tREPORT\tBAND\tSCORE\tLAST\tNEXT\tHELD\tMOVED\tSHORT\tSKIPPED\tEXCUSED\tSIGNALS")
	for _, p := range rep.Pairs {
		last, next := "never", "-"
		if p.DaysSinceLast != nil {
			last = fmt.Sprintf("%dd ago", *p.DaysSinceLast)
		}
		if p.NextPlanned != nil {
			next = p.NextPlanned.Format("2006-01-02")
		}
		var names []string
		for _, s := range p.Signals {
			names = append(names, s.Name)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%s\n", orDash(p.Team), p.Manager, p.Report, p.Band, p.Score,
			last, next, p.Counts.Held, p.Counts.Moved, p.Counts.Shortened, p.Counts.Skipped, p.Counts.Excused, orDash(strings.Join(names, ", ")))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(rep.Teams) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(tw, "TEAM\tPAIRS\tCOVERAGE\tHEALTHY\tDRIFTING\tAT RISK\tMEDIAN DAYS SINCE LAST")
		for _, t := range rep.Teams {
			median := "-"
			if t.MedianDaysSinceLast != nil {
				median = fmt.Sprintf("%.1f", *t.MedianDaysSinceLast)
			}
			fmt.Fprintf(tw, "%s\t%d\t%.0f%%\t%d\t%d\t%d\t%s\n", t.Team, t.Pairs, 100*t.Coverage, t.Healthy, t.Drifting, t.AtRisk, median)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	for _, p := range rep.Pairs {
		if len(p.Signals) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s / %s (%s, %d):\n", p.Manager, p.Report, p.Band, p.Score)
		for _, s := range p.Signals {
			fmt.Fprintf(w, "  %-18s %s\n", s.Name, explain(s))
		}
	}
	for _, err := range rep.Problems {
		fmt.Fprintf(w, "\nskipped: %v\n", err)
	}
	return nil
}

// explain renders a signal's value against its threshold, and its dates.
func explain(s analyzer.Signal) string {
	var b strings.Builder
	switch {
	case s.Name == analyzer.SignalShortened && len(s.Evidence) == 0:
		fmt.Fprintf(&b, "the series now plans %.0f%% of the time the one before it did", 100*s.Value)
	case s.Name == analyzer.SignalFallingCadence && len(s.Evidence) == 0:
		fmt.Fprintf(&b, "a new series meets every %.1f days instead of every %.1f", s.Value, s.Threshold)
	case s.Name == analyzer.SignalLateReschedules:
		fmt.Fprintf(&b, "%.0f late moves (%.0f or more)", s.Value, s.Threshold)
	case s.Name == analyzer.SignalFallingCadence:
		fmt.Fprintf(&b, "every %.1f days (over %.1f)", s.Value, s.Threshold)
	case s.Name == analyzer.SignalOverdue:
		fmt.Fprintf(&b, "%.0f days since the last 1:1 (over %.0f)", s.Value, s.Threshold)
	case s.Name == analyzer.SignalNothingScheduled:
		b.WriteString("no upcoming 1:1")
	default: // the rates
		fmt.Fprintf(&b, "%.0f%% (over %.0f%%)", 100*s.Value, 100*s.Threshold)
	}
	const shown = 6
	for i, e := range s.Evidence {
		if i == shown {
			fmt.Fprintf(&b, " …and %d more", len(s.Evidence)-shown)
			break
		}
		sep := ", "
		if i == 0 {
			sep = ": "
		}
		b.WriteString(sep + e.Planned.Format("Jan 2") + " " + string(e.Fate))
		if e.Actual != nil && e.Fate == analyzer.FateMoved {
			b.WriteString(" to " + e.Actual.Format("Jan 2 15:04"))
		}
		if e.Late {
			b.WriteString(" (late)")
		}
	}
	return b.String()
}
