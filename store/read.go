package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/rapport-dev/rapport/calendar"
)

// Events returns the current version of every event that exists, with its
// calendar and its earlier versions, ordered by source, calendar, UID and
// RecurrenceID (masters before their overrides).
func (s *Store) Events(ctx context.Context) ([]Record, error) {
	recs, err := s.records(ctx, `e.deleted_at IS NULL`)
	if err != nil {
		return nil, fmt.Errorf("store: events: %w", err)
	}
	return recs, nil
}

// Deleted returns the tombstones of events deleted at or after since, with
// their DeletedAt and their history, in the order of Events.
func (s *Store) Deleted(ctx context.Context, since time.Time) ([]Record, error) {
	recs, err := s.records(ctx, `e.deleted_at >= ?`, nanos(since))
	if err != nil {
		return nil, fmt.Errorf("store: deleted events: %w", err)
	}
	return recs, nil
}

// records reads the events that match where, then their versions, in one
// read transaction so that the two agree.
func (s *Store) records(ctx context.Context, where string, args ...any) ([]Record, error) {
	if err := s.loadZones(ctx); err != nil {
		return nil, err
	}
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	cals, err := calendars(ctx, tx)
	if err != nil {
		return nil, err
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM events e WHERE `+where, args...).Scan(&n); err != nil {
		return nil, err
	}
	// Rows are read here and decoded on every core below: decoding the JSON
	// is most of the cost of a read, and a daemon reads everything each cycle.
	raws := make([]rawEvent, 0, n)
	// One query per calendar, each in the order of the (calendar, uid,
	// recurrence_id) index, so that SQLite never sorts the JSON.
	for ci, c := range cals {
		rs, err := tx.QueryContext(ctx, `
			SELECT e.id, e.observed_at, e.deleted_at, e.data FROM events e
			WHERE e.calendar = ? AND (`+where+`)
			ORDER BY e.uid, e.recurrence_id`, append([]any{c.id}, args...)...)
		if err != nil {
			return nil, err
		}
		for rs.Next() {
			r := rawEvent{cal: ci}
			var data sql.RawBytes
			if err := rs.Scan(&r.id, &r.observed, &r.deleted, &data); err != nil {
				rs.Close()
				return nil, err
			}
			r.data = bytes.Clone(data)
			raws = append(raws, r)
		}
		rs.Close()
		if err := rs.Err(); err != nil {
			return nil, err
		}
	}
	out := make([]Record, len(raws))
	index := make(map[int64]int, len(raws)) // event id -> out
	for i, r := range raws {
		index[r.id] = i
	}
	if err := decodeEvents(raws, cals, s.zones, out); err != nil {
		return nil, err
	}
	d := decoder{z: s.zones}
	return out, versions(ctx, tx, &d, where, args, out, index)
}

// rawEvent is an events row before its JSON is decoded.
type rawEvent struct {
	cal          int // index into the calendars read
	id, observed int64
	deleted      sql.NullInt64
	data         []byte
}

// decodeEvents decodes raws into out, in parallel; the first error wins.
func decodeEvents(raws []rawEvent, cals []storedCalendar, z *zones, out []Record) error {
	workers := min(runtime.GOMAXPROCS(0), max(len(raws)/256, 1))
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := decoder{z: z}
			for i := w; i < len(raws); i += workers {
				r := &raws[i]
				var j eventJSON
				if err := json.Unmarshal(r.data, &j); err != nil {
					errs[w] = fmt.Errorf("event %d: %w", r.id, err)
					return
				}
				c := cals[r.cal]
				out[i] = Record{Source: c.source, Calendar: c.Calendar, Event: d.event(&j), ObservedAt: fromNanos(r.observed)}
				if r.deleted.Valid {
					out[i].DeletedAt = fromNanos(r.deleted.Int64)
				}
				if d.err != nil {
					errs[w] = fmt.Errorf("event %d: %w", r.id, d.err)
					return
				}
				r.data = nil // let it go as soon as it is decoded
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// storedCalendar is a calendars row.
type storedCalendar struct {
	id     int64
	source string
	calendar.Calendar
}

// calendars returns every calendar, ordered by source and id.
func calendars(ctx context.Context, tx *sql.Tx) ([]storedCalendar, error) {
	rs, err := tx.QueryContext(ctx, `SELECT id, source, calendar_id, name, owner FROM calendars ORDER BY source, calendar_id`)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []storedCalendar
	for rs.Next() {
		var c storedCalendar
		if err := rs.Scan(&c.id, &c.source, &c.ID, &c.Name, &c.Owner); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rs.Err()
}

// versions adds to each record its earlier versions, oldest first.
func versions(ctx context.Context, tx *sql.Tx, d *decoder, where string, args []any, out []Record, index map[int64]int) error {
	rs, err := tx.QueryContext(ctx, `
		SELECT v.event, v.observed_at, v.data
		FROM versions v JOIN events e ON e.id = v.event
		WHERE `+where+`
		ORDER BY v.event, v.id`, args...)
	if err != nil {
		return err
	}
	defer rs.Close()
	for rs.Next() {
		var (
			id, observed int64
			data         sql.RawBytes
			j            eventJSON
		)
		if err := rs.Scan(&id, &observed, &data); err != nil {
			return err
		}
		i, ok := index[id]
		if !ok {
			return fmt.Errorf("version of unread event %d", id)
		}
		if err := json.Unmarshal(data, &j); err != nil {
			return fmt.Errorf("version of event %d: %w", id, err)
		}
		e := d.event(&j)
		if d.err != nil {
			return fmt.Errorf("version of event %d: %w", id, d.err)
		}
		out[i].Versions = append(out[i].Versions, Version{
			ObservedAt:   fromNanos(observed),
			Start:        e.Start,
			End:          e.End,
			Status:       e.Status,
			Sequence:     e.Sequence,
			LastModified: e.LastModified,
			Attendees:    e.Attendees,
		})
	}
	return rs.Err()
}

// loadZones decodes the zones table entries not decoded yet.
func (s *Store) loadZones(ctx context.Context) error {
	rs, err := s.db.QueryContext(ctx, `SELECT key, name, tzif FROM zones`)
	if err != nil {
		return fmt.Errorf("zones: %w", err)
	}
	defer rs.Close()
	z := s.zones
	for rs.Next() {
		var k, name string
		var tzif []byte
		if err := rs.Scan(&k, &name, &tzif); err != nil {
			return fmt.Errorf("zones: %w", err)
		}
		z.mu.Lock()
		_, known := z.byKey[k]
		z.mu.Unlock()
		if known {
			continue
		}
		loc, err := calendar.LoadZoneData(name, tzif)
		if err != nil {
			// Its events fall back to the name, then to fixed offsets.
			s.logger.Warn("store: stored time zone does not load", "zone", name, "err", err)
			continue
		}
		z.mu.Lock()
		z.byKey[k] = loc
		z.mu.Unlock()
	}
	return rs.Err()
}
