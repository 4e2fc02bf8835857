// Command rapport keeps manager–report one-on-ones alive: it reads
// calendars, reconstructs what happened to every planned 1:1, and nudges
// managers when a relationship drifts.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// usageError is bad usage or configuration: exit status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// errReported means the failure was already explained on stderr.
var errReported = errors.New("failed")

func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "rapport: %v\n", err)
		return 2
	}
	if !errors.Is(err, errReported) {
		fmt.Fprintf(stderr, "rapport: %v\n", err)
	}
	return 1
}

const usage = `Usage: rapport COMMAND [FLAGS]

Commands:
  demo [--once] [--now T] [--format text|json]
                 the whole pipeline on a built-in demo organisation, no credentials
  once --config FILE [--now T] [--dry-run] [--format text|json]
                 one cycle: sync every source, analyze, print the report
  report --config FILE [--now T] [--format text|json]
                 the report from the store, without syncing
  check-config --config FILE
                 validate a configuration file
  inspect [--from T] [--to T] [--format text|json] FILE.ics...
                 every occurrence of every event in the files, with its fate
  version        print the version

T is RFC 3339 (2026-03-02T09:00:00Z) or a date (2026-03-02, midnight UTC).
Run 'rapport COMMAND --help' for a command's flags.
`

// run is the whole program, callable from tests: it parses args and runs
// one command, writing to stdout and stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usageError{errors.New("no command given")}
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "once":
		return runOnce(ctx, rest, stdout, stderr)
	case "report":
		return runReport(ctx, rest, stdout, stderr)
	case "demo":
		return runDemo(ctx, rest, stdout, stderr)
	case "check-config":
		return runCheckConfig(ctx, rest, stdout, stderr)
	case "inspect":
		return runInspect(ctx, rest, stdout, stderr)
	case "version", "--version":
		return runVersion(stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return usagef("unknown command %q", cmd)
}
