// Package store keeps what Rapport has seen of its calendars: the current
// version of every event, every earlier version (so that a single event
// moved between two polls is known to have moved, and when), tombstones of
// deleted events, and each calendar's sync cursor.
//
// The store is SQLite through modernc.org/sqlite (pure Go, so the binary
// builds with CGO_ENABLED=0), in WAL mode with one connection: Rapport has
// one writer, and its reads are few and large. Events are stored as JSON that
// keeps every time's zone; indexed columns beside it serve queries.
package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/rapport-dev/rapport/calendar"
)

// Store is a SQLite-backed store. It is safe for concurrent use.
type Store struct {
	db     *sql.DB
	logger *slog.Logger
	zones  *zones
}

// Record and Version are the calendar model's history types, which the
// store keeps.
type (
	Record  = calendar.Record
	Version = calendar.Version
)

// ApplyResult counts what an Apply did to events. A tombstoned event that
// reappears counts as inserted.
type ApplyResult struct {
	Inserted, Updated, Unchanged, Deleted int
}

// Open opens, creating it if needed, the store at path (a file, or
// ":memory:" for a store that lives as long as the Store), and brings its
// schema up to date.
func Open(ctx context.Context, path string, logger *slog.Logger) (*Store, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if path == "" {
		return nil, errors.New("store: open: empty path")
	}
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	// One connection: SQLite has one writer anyway, and ":memory:" is one
	// database per connection. It must never be closed while idle.
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if err := migrate(ctx, db, logger); err != nil {
		db.Close()
		return nil, err
	}
	return &Store{db: db, logger: logger, zones: newZones(logger)}, nil
}

// dsn is the modernc.org/sqlite data source name for path. Transactions
// begin IMMEDIATE, taking the write lock up front, so that two processes on
// one file wait for each other (busy_timeout) instead of failing on upgrade.
func dsn(path string) string {
	if path != ":memory:" {
		// A "file:" URI, so that "?" and "#" in a path are not parameters.
		path = strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	}
	return "file:" + path + "?_txlock=immediate" +
		"&_pragma=busy_timeout(10000)" +
		"&_pragma=journal_mode(WAL)" +
		"&_pragma=synchronous(NORMAL)" +
		"&_pragma=foreign_keys(1)"
}

// Close closes the database.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// nanos is t in unix nanoseconds, the unit of the columns that hold the
// daemon's own times, clamped to what an int64 holds (years 1678 to 2262).
func nanos(t time.Time) int64 {
	switch {
	case t.Before(minNanos):
		return math.MinInt64
	case t.After(maxNanos):
		return math.MaxInt64
	}
	return t.UnixNano()
}

var minNanos, maxNanos = time.Unix(0, math.MinInt64), time.Unix(0, math.MaxInt64)

func fromNanos(ns int64) time.Time { return time.Unix(0, ns).UTC() }

// key identifies an event within a calendar.
type key struct{ uid, rid string }

// row is an event ready to be written.
type row struct {
	key
	event        *calendar.Event
	start, end   int64
	lastModified sql.NullInt64
	status       string
	sequence     int
	data, digest []byte
}

// lastEnd is the row's last_end_utc, computed only when the row is written:
// for a series it may mean expanding it.
func (r *row) lastEnd() sql.NullInt64 {
	if end, ok := lastEnd(r.event); ok {
		return sql.NullInt64{Int64: end.Unix(), Valid: true}
	}
	return sql.NullInt64{}
}

// stored is what Apply needs to know of a stored event.
type stored struct {
	id      int64
	uid     string
	digest  []byte
	deleted bool
	seen    bool // present in this Apply's events
}

// Apply records one calendar's changes from one source, observed at `at`,
// in one transaction. An event that differs from its stored version (in
// anything stored) replaces it, and the replaced version joins the event's
// history; events that are gone become tombstones, which keep their history
// and come back to life if the event reappears. See calendar.Changes for
// what Full, WholeSeries and Deleted mean.
//
// On a Full snapshot, stored events whose UID is named by one of the
// snapshot's Problems are kept: an object that failed to parse this time is
// not known to be gone.
func (s *Store) Apply(ctx context.Context, source string, ch calendar.Changes, at time.Time) (ApplyResult, error) {
	cal := ch.Calendar
	fail := func(err error) (ApplyResult, error) {
		return ApplyResult{}, fmt.Errorf("store: apply %s calendar %q: %w", source, cal.ID, err)
	}
	switch {
	case source == "":
		return fail(errors.New("empty source name"))
	case cal.ID == "":
		return fail(errors.New("empty calendar id"))
	case ch.Err != nil:
		return fail(fmt.Errorf("changes of a failed sync: %w", ch.Err))
	case at.IsZero():
		return fail(errors.New("no observation time"))
	}
	b, err := s.encode(ch.Events)
	if err != nil {
		return fail(err)
	}
	atNS := nanos(at)

	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fail(err)
	}
	defer tx.Rollback()

	var calID int64
	err = tx.QueryRowContext(ctx, `
		INSERT INTO calendars (source, calendar_id, name, owner) VALUES (?, ?, ?, ?)
		ON CONFLICT (source, calendar_id) DO UPDATE SET name = excluded.name, owner = excluded.owner
		RETURNING id`, source, cal.ID, cal.Name, cal.Owner).Scan(&calID)
	if err != nil {
		return fail(fmt.Errorf("upsert calendar: %w", err))
	}
	for k, z := range b.zones {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO zones (key, name, tzif) VALUES (?, ?, ?)`, k, z.name, z.tzif); err != nil {
			return fail(fmt.Errorf("store zone %q: %w", z.name, err))
		}
	}
	current, err := loadStored(ctx, tx, calID)
	if err != nil {
		return fail(err)
	}
	res, err := write(ctx, tx, calID, b.events, current, atNS)
	if err != nil {
		return fail(err)
	}
	isGone := goneFrom(ch, b)
	for _, old := range current {
		if old.seen || old.deleted || !isGone(old.uid) {
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE events SET deleted_at = ? WHERE id = ?`, atNS, old.id); err != nil {
			return fail(fmt.Errorf("delete event %q: %w", old.uid, err))
		}
		res.Deleted++
	}
	if _, err := tx.ExecContext(ctx, `UPDATE calendars SET cursor = ? WHERE id = ?`, ch.Cursor, calID); err != nil {
		return fail(fmt.Errorf("store cursor: %w", err))
	}
	if err := tx.Commit(); err != nil {
		return fail(err)
	}
	s.logger.Debug("store: applied changes", "source", source, "calendar", cal.ID, "full", ch.Full,
		"inserted", res.Inserted, "updated", res.Updated, "unchanged", res.Unchanged, "deleted", res.Deleted)
	return res, nil
}

// write inserts or updates each of the events that differs from its stored
// version, marking the stored ones it saw.
func write(ctx context.Context, tx *sql.Tx, calID int64, rows []row, current map[key]*stored, atNS int64) (ApplyResult, error) {
	var res ApplyResult
	insert, err := tx.PrepareContext(ctx, `
		INSERT INTO events (calendar, uid, recurrence_id, start_utc, end_utc, last_end_utc, status,
			sequence, last_modified, observed_at, digest, data)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return res, err
	}
	defer insert.Close()
	keep, err := tx.PrepareContext(ctx, `
		INSERT INTO versions (event, observed_at, replaced_at, data)
		SELECT id, observed_at, ?, data FROM events WHERE id = ?`)
	if err != nil {
		return res, err
	}
	defer keep.Close()
	update, err := tx.PrepareContext(ctx, `
		UPDATE events SET start_utc = ?, end_utc = ?, last_end_utc = ?, status = ?, sequence = ?,
			last_modified = ?, observed_at = ?, deleted_at = NULL, digest = ?, data = ?
		WHERE id = ?`)
	if err != nil {
		return res, err
	}
	defer update.Close()

	for _, r := range rows {
		old := current[r.key]
		switch {
		case old == nil:
			_, err = insert.ExecContext(ctx, calID, r.uid, r.rid, r.start, r.end, r.lastEnd(), r.status,
				r.sequence, r.lastModified, atNS, r.digest, r.data)
			res.Inserted++
		case bytes.Equal(old.digest, r.digest) && !old.deleted:
			res.Unchanged++
		case bytes.Equal(old.digest, r.digest): // back as it was
			_, err = tx.ExecContext(ctx, `UPDATE events SET deleted_at = NULL WHERE id = ?`, old.id)
			res.Inserted++
		default: // the stored version becomes history
			if _, err = keep.ExecContext(ctx, atNS, old.id); err != nil {
				break
			}
			_, err = update.ExecContext(ctx, r.start, r.end, r.lastEnd(), r.status, r.sequence,
				r.lastModified, atNS, r.digest, r.data, old.id)
			if old.deleted {
				res.Inserted++
			} else {
				res.Updated++
			}
		}
		if err != nil {
			return res, fmt.Errorf("event %q: %w", r.uid, err)
		}
		if old != nil {
			old.seen = true
		}
	}
	return res, nil
}

// goneFrom says which UIDs' stored events, when absent from the changes'
// events, are gone: those deleted, those of a series given whole, and on a
// full snapshot all but those of objects that failed to parse.
func goneFrom(ch calendar.Changes, b batch) func(uid string) bool {
	deleted := map[string]bool{}
	for _, uid := range ch.Deleted {
		deleted[uid] = true
	}
	broken := map[string]bool{}
	for _, p := range ch.Problems {
		if p != nil && p.Object != "" {
			broken[p.Object] = true
		}
	}
	return func(uid string) bool {
		return deleted[uid] || ch.WholeSeries && b.uids[uid] || ch.Full && !broken[uid]
	}
}

// batch is the events of one Apply, encoded, and the zones they need.
type batch struct {
	events []row
	uids   map[string]bool
	zones  map[string]zoneRow
}

// encode turns events into rows. Of several events with one key, the newest
// wins, as in calendar.GroupSeries.
func (s *Store) encode(events []calendar.Event) (batch, error) {
	b := batch{uids: map[string]bool{}}
	index := map[key]int{} // into b.events
	var from []int         // b.events[j] is events[from[j]]
	enc := s.zones.encoder()
	for i := range events {
		e := &events[i]
		if e.UID == "" {
			return batch{}, fmt.Errorf("event %d has no UID", i)
		}
		r, err := encodeRow(enc, e)
		if err != nil {
			return batch{}, fmt.Errorf("event %q: %w", e.UID, err)
		}
		b.uids[e.UID] = true
		if j, ok := index[r.key]; ok {
			if newer(e, &events[from[j]]) {
				b.events[j], from[j] = r, i
			}
			continue
		}
		index[r.key] = len(b.events)
		b.events = append(b.events, r)
		from = append(from, i)
	}
	b.zones = enc.zones
	return b, nil
}

func encodeRow(enc *encoder, e *calendar.Event) (row, error) {
	data, err := json.Marshal(enc.event(e))
	if err != nil {
		return row{}, err
	}
	sum := sha256.Sum256(data)
	r := row{
		event:    e,
		start:    e.Start.Unix(),
		end:      e.End.Unix(),
		status:   string(e.Status),
		sequence: e.Sequence,
		data:     data,
		digest:   sum[:],
	}
	r.uid = e.UID
	if e.IsOverride() {
		r.rid = e.RecurrenceID.UTC().Format(time.RFC3339Nano)
	}
	if !e.LastModified.IsZero() {
		r.lastModified = sql.NullInt64{Int64: e.LastModified.Unix(), Valid: true}
	}
	return r, nil
}

// newer reports whether a supersedes b, two versions of one component.
func newer(a, b *calendar.Event) bool {
	if a.Sequence != b.Sequence {
		return a.Sequence > b.Sequence
	}
	return !a.LastModified.Before(b.LastModified)
}

func loadStored(ctx context.Context, tx *sql.Tx, calID int64) (map[key]*stored, error) {
	rs, err := tx.QueryContext(ctx, `
		SELECT id, uid, recurrence_id, digest, deleted_at IS NOT NULL FROM events WHERE calendar = ?`, calID)
	if err != nil {
		return nil, fmt.Errorf("load events: %w", err)
	}
	defer rs.Close()
	out := map[key]*stored{}
	for rs.Next() {
		var st stored
		var rid string
		if err := rs.Scan(&st.id, &st.uid, &rid, &st.digest, &st.deleted); err != nil {
			return nil, fmt.Errorf("load events: %w", err)
		}
		out[key{st.uid, rid}] = &st
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("load events: %w", err)
	}
	return out, nil
}

// Cursors returns the sync cursor of each calendar of source, by calendar
// id. Calendars without a cursor are absent.
func (s *Store) Cursors(ctx context.Context, source string) (map[string]string, error) {
	rs, err := s.db.QueryContext(ctx, `SELECT calendar_id, cursor FROM calendars WHERE source = ? AND cursor != ''`, source)
	if err != nil {
		return nil, fmt.Errorf("store: cursors of %s: %w", source, err)
	}
	defer rs.Close()
	out := map[string]string{}
	for rs.Next() {
		var id, cursor string
		if err := rs.Scan(&id, &cursor); err != nil {
			return nil, fmt.Errorf("store: cursors of %s: %w", source, err)
		}
		out[id] = cursor
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("store: cursors of %s: %w", source, err)
	}
	return out, nil
}

// ResetCursor forgets the cursor of one calendar, so that its next sync
// starts over. Resetting an unknown calendar does nothing.
func (s *Store) ResetCursor(ctx context.Context, source, calendarID string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE calendars SET cursor = '' WHERE source = ? AND calendar_id = ?`, source, calendarID)
	if err != nil {
		return fmt.Errorf("store: reset cursor of %s calendar %q: %w", source, calendarID, err)
	}
	return nil
}
