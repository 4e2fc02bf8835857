package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/rapport-dev/rapport/notifier"
	"github.com/rapport-dev/rapport/store"
)

// runOutbox lists the emails waiting or failed in the outbox; --all adds
// those sent, --requeue gives failed ones another go.
func runOutbox(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfgPath string
	var all, requeue bool
	fs := newFlagSet("outbox", "--config FILE [--all] [--requeue]", stderr)
	fs.StringVar(&cfgPath, "config", "", "configuration file")
	fs.BoolVar(&all, "all", false, "list sent emails too (kept 90 days)")
	fs.BoolVar(&requeue, "requeue", false, "make failed emails pending again, to be tried on the next cycle")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("outbox: unexpected argument %q", fs.Arg(0))
	}
	cfg, err := loadConfig(cfgPath)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, cfg.State, newLogger(stderr))
	if err != nil {
		return err
	}
	defer st.Close()
	if requeue {
		n, err := st.Requeue(ctx, time.Now())
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%d failed email(s) requeued\n", n)
	}
	states := []string{store.OutboxPending, store.OutboxFailed}
	if all {
		states = nil
	}
	msgs, err := st.Outbox(ctx, states...)
	if err != nil {
		return err
	}
	if len(msgs) == 0 {
		_, err := fmt.Fprintln(stdout, "the outbox is empty: nothing pending or failed")
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tNOT BEFORE\tATTEMPTS\tTO\tKIND\tSUBJECT\tLAST ERROR")
	for _, m := range msgs {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", m.ID, m.State, m.NotBefore.Format(time.RFC3339), m.Attempts,
			notifier.Clean(m.Recipient, 100), m.Kind, notifier.Clean(m.Subject, 60), orDash(notifier.Clean(m.LastError, 120)))
	}
	return tw.Flush()
}
