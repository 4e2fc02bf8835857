package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/rapport-dev/rapport/notifier"
)

// runPreview renders an example email to stdout: the plain-text part, or
// with --html the HTML part.
func runPreview(_ context.Context, args []string, stdout, stderr io.Writer) error {
	var signal, templates string
	var html bool
	names := notifier.ExampleNames()
	fs := newFlagSet("preview", "--signal NAME [--html] [--templates DIR]", stderr)
	fs.StringVar(&signal, "signal", "", "the example: "+strings.Join(names, ", "))
	fs.BoolVar(&html, "html", false, "print the HTML part instead of the text part")
	fs.StringVar(&templates, "templates", "", "a directory of templates overriding the embedded ones (notify.templates)")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("preview: unexpected argument %q", fs.Arg(0))
	}
	if !slices.Contains(names, signal) {
		return usagef("preview: --signal %q is not one of %s", signal, strings.Join(names, ", "))
	}
	tm, err := notifier.LoadTemplates(templates)
	if err != nil {
		return usageError{err}
	}
	for _, ex := range notifier.Examples() {
		if ex.Name != signal {
			continue
		}
		r, err := tm.Render(ex.Email, ex.Context)
		if err != nil {
			return err
		}
		if html {
			_, err = io.WriteString(stdout, r.HTML)
		} else {
			_, err = fmt.Fprintf(stdout, "Subject: %s\n\n%s", r.Subject, r.Text)
		}
		return err
	}
	return nil
}
