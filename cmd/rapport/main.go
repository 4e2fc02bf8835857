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
  run --config FILE
                 the daemon: sync, analyze and notify on schedule; dashboard, API
                 and metrics on listen; SIGHUP reloads the configuration
  demo [--listen ADDR] [--once] [--now T] [--format text|json] [--outbox DIR]
                 the whole pipeline on a built-in demo organisation, no credentials;
                 its nudges and digests land as .eml files in the outbox; without
                 --once it serves the dashboard on --listen (default 127.0.0.1:8080)
  once --config FILE [--now T] [--dry-run] [--format text|json]
                 one cycle: sync every source, analyze, print the report, email
                 what is due (--dry-run: print the emails instead)
  report --config FILE [--now T] [--format text|json]
                 the report from the store, without syncing
  snooze --config FILE --pair MANAGER/REPORT --until DATE [--reason TEXT]
  snooze --config FILE --list | --pair MANAGER/REPORT --end
                 pause nudges about a pair (leave and the like), list or end pauses
  outbox --config FILE [--all] [--requeue]
                 emails waiting or failed in the outbox
  preview --signal NAME [--html]
                 print an example email (text part, or HTML)
  auth google --config FILE [--source NAME]
                 authorize a single-user Google Calendar source (OAuth)
  check-config --config FILE
                 validate a configuration file
  inspect [--from T] [--to T] [--format text|json] FILE.ics...
                 every occurrence of every event in the files, with its fate
  healthcheck [--url URL]
                 exit 0 when the URL (default http://127.0.0.1:9464/healthz) answers 2xx
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
	case "run":
		return runDaemon(ctx, rest, stdout, stderr)
	case "healthcheck":
		return runHealthcheck(ctx, rest, stdout, stderr)
	case "once":
		return runOnce(ctx, rest, stdout, stderr)
	case "report":
		return runReport(ctx, rest, stdout, stderr)
	case "demo":
		return runDemo(ctx, rest, stdout, stderr)
	case "snooze":
		return runSnooze(ctx, rest, stdout, stderr)
	case "outbox":
		return runOutbox(ctx, rest, stdout, stderr)
	case "preview":
		return runPreview(ctx, rest, stdout, stderr)
	case "auth":
		return runAuth(ctx, rest, stdout, stderr)
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
