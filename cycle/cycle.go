// Package cycle runs one pass of Rapport's pipeline: sync every calendar
// source into the store, then analyze what the store holds. The daemon, the
// `once` and `demo` commands and the tests all go through it, so that every
// path is the production path.
package cycle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/rapport-dev/rapport/analyzer"
	"github.com/rapport-dev/rapport/calendar"
	"github.com/rapport-dev/rapport/store"
)

// SyncStore is what syncing needs from the store.
type SyncStore interface {
	Cursors(ctx context.Context, source string) (map[string]string, error)
	Apply(ctx context.Context, source string, ch calendar.Changes, at time.Time) (store.ApplyResult, error)
}

// EventReader is what analysis needs from the store: live events, and the
// events deleted recently (a deleted one-off 1:1 is a skipped one).
type EventReader interface {
	Events(ctx context.Context) ([]store.Record, error)
	Deleted(ctx context.Context, since time.Time) ([]store.Record, error)
}

// Source is a configured calendar source.
type Source struct {
	Name    string
	Source  calendar.Source
	Timeout time.Duration // bounds one sync; zero means no bound beyond ctx
}

// SyncResult is what syncing one source did.
type SyncResult struct {
	Source    string
	Calendars int
	Applied   store.ApplyResult
	Problems  []error // broken objects and failed calendars, already logged
	Err       error   // the source failed as a whole
	Duration  time.Duration
}

// Sync brings the store up to date with every source. A failing source,
// calendar or object is logged and reported in its result; the others go
// on. now is read once per source, as the observation time of its changes.
func Sync(ctx context.Context, st SyncStore, sources []Source, now func() time.Time, logger *slog.Logger) []SyncResult {
	out := make([]SyncResult, 0, len(sources))
	for _, src := range sources {
		if ctx.Err() != nil {
			break
		}
		started := now()
		res := syncOne(ctx, st, src, now, logger.With("source", src.Name))
		res.Duration = now().Sub(started)
		out = append(out, res)
	}
	return out
}

func syncOne(ctx context.Context, st SyncStore, src Source, now func() time.Time, logger *slog.Logger) SyncResult {
	res := SyncResult{Source: src.Name}
	if src.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, src.Timeout)
		defer cancel()
	}
	cursors, err := st.Cursors(ctx, src.Name)
	if err != nil {
		res.Err = fmt.Errorf("cycle: source %q: %w", src.Name, err)
		return res
	}
	changes, err := src.Source.Sync(ctx, cursors)
	if err != nil {
		res.Err = fmt.Errorf("cycle: source %q: %w", src.Name, err)
		logger.Error("sync failed", "err", err)
		return res
	}
	at := now()
	for _, ch := range changes {
		log := logger.With("calendar", ch.Calendar.ID)
		if ch.Err != nil {
			res.Problems = append(res.Problems, fmt.Errorf("source %q: calendar %q: %w", src.Name, ch.Calendar.ID, ch.Err))
			log.Warn("calendar sync failed", "err", ch.Err)
			continue
		}
		res.Calendars++
		for _, p := range ch.Problems {
			res.Problems = append(res.Problems, fmt.Errorf("source %q: %w", src.Name, p))
			log.Warn("skipped a broken calendar object", "err", p)
		}
		applied, err := st.Apply(ctx, src.Name, ch, at)
		if err != nil {
			res.Problems = append(res.Problems, fmt.Errorf("source %q: calendar %q: %w", src.Name, ch.Calendar.ID, err))
			log.Error("storing changes failed", "err", err)
			continue
		}
		res.Applied.Inserted += applied.Inserted
		res.Applied.Updated += applied.Updated
		res.Applied.Unchanged += applied.Unchanged
		res.Applied.Deleted += applied.Deleted
		log.Debug("synced", "inserted", applied.Inserted, "updated", applied.Updated, "deleted", applied.Deleted)
	}
	return res
}

// Analyze reads the store and analyzes it as of now.
func Analyze(ctx context.Context, r EventReader, org analyzer.Org, set analyzer.Settings, now time.Time) (analyzer.Report, error) {
	recs, err := r.Events(ctx)
	if err != nil {
		return analyzer.Report{}, fmt.Errorf("cycle: %w", err)
	}
	gone, err := r.Deleted(ctx, now.Add(-2*set.Window-set.MaxGap))
	if err != nil {
		return analyzer.Report{}, fmt.Errorf("cycle: %w", err)
	}
	recs = append(recs, gone...)
	return analyzer.Analyze(analyzer.Input{Now: now, Settings: set, Org: org, Records: recs}), nil
}

// Failed reports whether every source failed: then a cycle has nothing new
// to say, and a one-shot command should fail.
func Failed(results []SyncResult) error {
	var errs []error
	for _, r := range results {
		if r.Err == nil {
			return nil
		}
		errs = append(errs, r.Err)
	}
	return errors.Join(errs...)
}
