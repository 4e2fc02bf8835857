package main

import (
	"flag"
	"fmt"
	"io"
	"time"
)

// timeFlag is a flag.Value for T: RFC 3339, or a date meaning midnight UTC.
type timeFlag struct{ t *time.Time }

func (f timeFlag) String() string {
	if f.t == nil || f.t.IsZero() {
		return ""
	}
	return f.t.Format(time.RFC3339)
}

func (f timeFlag) Set(s string) error {
	t, err := parseTime(s)
	if err != nil {
		return err
	}
	*f.t = t
	return nil
}

func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not RFC 3339 (2026-03-02T09:00:00Z) or a date (2026-03-02)", s)
}

// formatFlag accepts text or json.
type formatFlag struct{ v *string }

func (f formatFlag) String() string {
	if f.v == nil {
		return ""
	}
	return *f.v
}

func (f formatFlag) Set(s string) error {
	if s != "text" && s != "json" {
		return fmt.Errorf("%q is not text or json", s)
	}
	*f.v = s
	return nil
}

// newFlagSet makes a flag set that reports errors instead of exiting.
func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: rapport %s %s\n\nFlags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args; bad flags are usage errors, --help is not an error.
func parseFlags(fs *flag.FlagSet, args []string) (help bool, err error) {
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return true, nil
		}
		return false, usageError{err}
	}
	return false, nil
}
