package store

import (
	"context"
	"fmt"
	"time"

	"github.com/rapport-dev/rapport/calendar"
)

// Prune bounds the history kept: it removes versions replaced before
// `before`, tombstones of events deleted before it, and events that ended
// before it (with their versions) — except series masters whose series
// still has instances after it, and series without end. It returns how many
// events and versions went.
func (s *Store) Prune(ctx context.Context, before time.Time) (int, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("store: prune: %w", err)
	}
	defer tx.Rollback()
	const old = `deleted_at < ?1 OR last_end_utc < ?2`
	var n int64
	for _, q := range []string{
		`DELETE FROM versions WHERE replaced_at < ?1 OR event IN (SELECT id FROM events WHERE ` + old + `)`,
		`DELETE FROM events WHERE ` + old,
	} {
		res, err := tx.ExecContext(ctx, q, nanos(before), before.Unix())
		if err != nil {
			return 0, fmt.Errorf("store: prune: %w", err)
		}
		m, _ := res.RowsAffected()
		n += m
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("store: prune: %w", err)
	}
	s.logger.Debug("store: pruned", "before", before, "rows", n)
	return int(n), nil
}

// farFuture bounds the expansion of a series that has an end; the
// expansion's instance limit bounds its cost.
var farFuture = time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)

// lastEnd is when the event's last instance ends, which decides when Prune
// may drop it: the end of a single event or override, or of a series' last
// instance. It reports false for a series without end, and for one whose
// rules cannot be read or that has too many instances to tell; those are
// kept.
func lastEnd(e *calendar.Event) (time.Time, bool) {
	if !e.IsRecurring() {
		return e.End, true
	}
	for _, v := range e.Recurrence.Rules {
		r, err := calendar.ParseRule(v, e.Start)
		if err != nil || r.OrigOptions.Count == 0 && r.OrigOptions.Until.IsZero() {
			return time.Time{}, false
		}
	}
	occ, err := calendar.Series{UID: e.UID, Master: e}.Expand(time.Time{}, farFuture, calendar.ExpandOptions{IncludeExcluded: true})
	if err != nil {
		return time.Time{}, false
	}
	end := e.End
	for _, o := range occ {
		if o.End.After(end) {
			end = o.End
		}
	}
	return end, true
}
