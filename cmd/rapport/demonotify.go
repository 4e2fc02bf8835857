package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/rapport-dev/rapport/analyzer"
	"github.com/rapport-dev/rapport/demo"
	"github.com/rapport-dev/rapport/notifier"
)

// demoFrom is the demo's sender.
const demoFrom = "Rapport <rapport@example.com>"

// startNotifier gives the demo the production notifier, writing .eml files
// into outbox. The demo's clock is whatever now it was given, so it ignores
// send windows and the digest hour: every email it decides is written at
// once, and each recipient's digest on the first cycle of a week.
func (d *demoRun) startNotifier(outbox string) error {
	snd, err := notifier.NewDir(outbox)
	if err != nil {
		return err
	}
	zones := map[string]*time.Location{}
	for email, name := range demo.Zones() {
		loc, err := time.LoadLocation(name)
		if err != nil {
			return fmt.Errorf("demo zone of %s: %w", email, err)
		}
		zones[email] = loc
	}
	n, err := notifier.New(notifier.Options{
		Policy: notifier.Policy{
			BackOnTrack: true, PrivacyMinGroup: notifier.DefaultPrivacyMinGroup, Immediate: true,
			Zone: func(email string) *time.Location { return zones[email] },
		},
		From: demoFrom, Store: d.store, Sender: snd, Logger: d.logger,
	})
	if err != nil {
		return err
	}
	d.notifier, d.outbox = n, outbox
	return nil
}

// notify runs the notifier over a report and says where the emails are.
func (d *demoRun) notify(ctx context.Context, rep analyzer.Report, now time.Time, stderr io.Writer) error {
	dir, err := directory(ctx, d.store)
	if err != nil {
		return err
	}
	res, err := d.notifier.Cycle(ctx, notifier.Findings{Report: rep, Org: demo.Org(), Directory: dir}, now)
	if err != nil {
		return err
	}
	if res.Sent == 0 {
		return nil
	}
	nudges, _ := filepath.Glob(filepath.Join(d.outbox, "*-nudge-*.eml"))
	digests, _ := filepath.Glob(filepath.Join(d.outbox, "*-digest-*.eml"))
	fmt.Fprintf(stderr, "rapport demo: %d new email(s); the outbox %s holds %d nudge(s) and %d digest(s) as .eml files\n",
		res.Sent, d.outbox, len(nudges), len(digests))
	return nil
}
