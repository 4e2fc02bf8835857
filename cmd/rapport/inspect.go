package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/rapport-dev/rapport/analyzer"
	"github.com/rapport-dev/rapport/calendar"
	"github.com/rapport-dev/rapport/calendar/ics"
)

// inspectLine is one occurrence in `inspect --format json`: a contract.
type inspectLine struct {
	File         string `json:"file"`
	UID          string `json:"uid"`
	Summary      string `json:"summary"`
	RecurrenceID string `json:"recurrence_id"`
	Start        string `json:"start"`
	End          string `json:"end"`
	Status       string `json:"status"`
	Fate         string `json:"fate"`

	start time.Time
}

func runInspect(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var from, to, now time.Time
	format := "text"
	zone := "UTC"
	fs := newFlagSet("inspect", "[--from T] [--to T] [--format text|json] FILE.ics...", stderr)
	fs.Var(timeFlag{&from}, "from", "first instant to show (default: since each series began)")
	fs.Var(timeFlag{&to}, "to", "end of the window (default: one year after --now)")
	fs.Var(timeFlag{&now}, "now", "the current time, for fates (default: the clock)")
	fs.Var(formatFlag{&format}, "format", "output format: text or json")
	fs.StringVar(&zone, "timezone", zone, "zone for floating times in files without X-WR-TIMEZONE")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return usagef("inspect: no files given")
	}
	loc, err := calendar.LookupZone(zone)
	if err != nil {
		return usagef("inspect: --timezone: %v", err)
	}
	if now.IsZero() {
		now = time.Now()
	}
	if to.IsZero() {
		to = now.AddDate(1, 0, 0)
	}
	if !from.IsZero() && !to.After(from) {
		return usagef("inspect: --to %s is not after --from %s", to.Format(time.RFC3339), from.Format(time.RFC3339))
	}

	var lines []inspectLine
	failed := 0
	for _, file := range fs.Args() {
		if err := ctx.Err(); err != nil {
			return err
		}
		got, problems := inspectFile(file, loc, from, to, now)
		lines = append(lines, got...)
		for _, p := range problems {
			fmt.Fprintf(stderr, "rapport: inspect: %v\n", p)
			failed++
		}
	}
	if err := writeInspect(stdout, format, lines); err != nil {
		return err
	}
	if failed > 0 {
		fmt.Fprintf(stderr, "rapport: inspect: %d problem(s); the objects named above were skipped\n", failed)
		return errReported
	}
	return nil
}

// inspectFile decodes and expands one file; problems name the file and object.
func inspectFile(file string, loc *time.Location, from, to, now time.Time) ([]inspectLine, []error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, []error{err}
	}
	res, err := ics.DecodeBytes(data, ics.Options{Where: file, DefaultZone: loc})
	if err != nil {
		return nil, []error{err}
	}
	var problems []error
	for _, p := range res.Problems {
		problems = append(problems, p)
	}
	var lines []inspectLine
	for _, s := range calendar.GroupSeries(res.Events) {
		occ, err := s.Expand(from, to, calendar.ExpandOptions{IncludeExcluded: true})
		if err != nil {
			problems = append(problems, fmt.Errorf("%s: %w", file, err))
			continue
		}
		for _, o := range occ {
			lines = append(lines, lineFor(file, o, now))
		}
	}
	// One file reads as a timeline.
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].start.Before(lines[j].start) })
	return lines, problems
}

func lineFor(file string, o calendar.Occurrence, now time.Time) inspectLine {
	l := inspectLine{
		File:    file,
		UID:     o.UID,
		Summary: o.Event.Summary,
		Start:   o.Start.Format(time.RFC3339),
		End:     o.End.Format(time.RFC3339),
		Status:  string(o.Status),
		Fate:    string(analyzer.CalendarFate(o, now, analyzer.ShortenedRatio)),
		start:   o.Start,
	}
	if o.Excluded {
		// An EXDATE removes the slot: as far as the file says, it is cancelled.
		l.Status = string(calendar.StatusCancelled)
	}
	if !o.RecurrenceID.IsZero() {
		l.RecurrenceID = o.RecurrenceID.Format(time.RFC3339)
	}
	return l
}

func writeInspect(w io.Writer, format string, lines []inspectLine) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		for _, l := range lines {
			if err := enc.Encode(l); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "START\tEND\tSTATUS\tFATE\tSUMMARY\tUID\tFILE")
	for _, l := range lines {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", l.Start, l.End, l.Status, orDash(l.Fate),
			printable(l.Summary, 40), printable(l.UID, 40), l.File)
	}
	return tw.Flush()
}

// printable makes untrusted text safe for a terminal table.
func printable(s string, n int) string {
	if s = calendar.CleanText(s, n); s == "" {
		return "-"
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
