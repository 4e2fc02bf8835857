package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/rapport-dev/rapport/analyzer"
	"github.com/rapport-dev/rapport/calendar"
	"github.com/rapport-dev/rapport/config"
	"github.com/rapport-dev/rapport/notifier"
	"github.com/rapport-dev/rapport/store"
)

// dryRunFrom is the sender shown by a dry run when none is configured.
const dryRunFrom = "Rapport <rapport@localhost>"

// emailEnabled reports whether the configuration sends email (or writes
// it to an outbox directory).
func emailEnabled(cfg *config.Config) bool {
	return cfg.Notify.SMTP.Host != "" || cfg.Notify.Outbox != ""
}

// configNotifier builds the notifier the configuration asks for: .eml files
// in notify.outbox when set, else SMTP; with neither (a dry run), no
// sender.
func configNotifier(cfg *config.Config, st *store.Store, windowDays int, logger *slog.Logger) (*notifier.Notifier, error) {
	tm, err := notifier.LoadTemplates(cfg.Notify.Templates)
	if err != nil {
		return nil, usageError{fmt.Errorf("config: notify.templates: %w", err)}
	}
	from := cfg.Notify.From
	if from == "" {
		from = dryRunFrom
	}
	var sender notifier.Sender
	switch {
	case cfg.Notify.Outbox != "":
		if sender, err = notifier.NewDir(cfg.Notify.Outbox); err != nil {
			return nil, err
		}
	case cfg.Notify.SMTP.Host != "":
		if sender, err = notifier.NewSMTP(notifier.SMTPConfigFrom(cfg.Notify.SMTP)); err != nil {
			return nil, usageError{fmt.Errorf("config: notify.smtp: %w", err)}
		}
	}
	return notifier.New(notifier.Options{
		Policy: notifier.FromConfig(cfg, nil), From: from, Templates: tm, Store: st, Sender: sender,
		WindowDays: windowDays, Logger: logger,
	})
}

// directory reads names and series titles from the stored calendars.
func directory(ctx context.Context, st *store.Store) (notifier.Directory, error) {
	recs, err := st.Events(ctx)
	if err != nil {
		return notifier.Directory{}, err
	}
	events := make([]calendar.Event, len(recs))
	for i, r := range recs {
		events[i] = r.Event
	}
	return notifier.DirectoryFromEvents(events), nil
}

// notifyOnce is the notifier's part of "rapport once": queue and deliver,
// or with dryRun print what would be sent and record nothing.
func notifyOnce(ctx context.Context, cfg *config.Config, st *store.Store, rep analyzer.Report, org analyzer.Org, now time.Time,
	dryRun bool, format string, stdout, stderr io.Writer, logger *slog.Logger) error {
	if !dryRun && !emailEnabled(cfg) {
		return nil
	}
	n, err := configNotifier(cfg, st, rep.WindowDays, logger)
	if err != nil {
		return err
	}
	dir, err := directory(ctx, st)
	if err != nil {
		return err
	}
	f := notifier.Findings{Report: rep, Org: org, Directory: dir}
	if dryRun {
		_, msgs, err := n.Plan(ctx, f, now)
		if err != nil {
			return err
		}
		return printEmails(stdout, format, msgs)
	}
	res, err := n.Cycle(ctx, f, now)
	if res != (notifier.Result{}) {
		fmt.Fprintf(stderr, "rapport: email: %d queued, %d sent, %d to retry, %d failed (rapport outbox lists them)\n",
			res.Queued, res.Sent, res.Retrying, res.Failed)
	}
	return err
}

// emailJSON is one email of a JSON dry run.
type emailJSON struct {
	MessageID string    `json:"message_id"`
	Kind      string    `json:"kind"`
	From      string    `json:"from"`
	To        string    `json:"to"`
	Subject   string    `json:"subject"`
	NotBefore time.Time `json:"not_before"`
	Text      string    `json:"text"`
	HTML      string    `json:"html"`
}

// printEmails writes the emails a dry run would send: after the report, as
// readable text, or (json) one object per line.
func printEmails(w io.Writer, format string, msgs []notifier.Message) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		for _, m := range msgs {
			if err := enc.Encode(emailJSON{m.ID, string(m.Kind), m.From, m.To, m.Subject, m.NotBefore, m.Text, m.HTML}); err != nil {
				return err
			}
		}
		return nil
	}
	fmt.Fprintf(w, "\nDry run: %d email(s) would be sent; nothing was sent or recorded.\n", len(msgs))
	for i, m := range msgs {
		fmt.Fprintf(w, "\n----- email %d of %d: %s, not before %s -----\n", i+1, len(msgs), m.Kind, m.NotBefore.Format(time.RFC3339))
		if _, err := fmt.Fprintf(w, "From: %s\nTo: %s\nSubject: %s\nMessage-ID: <%s>\n\n%s", m.From, m.To, m.Subject, m.ID, m.Text); err != nil {
			return err
		}
	}
	return nil
}
