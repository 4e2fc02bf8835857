package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// The notifier's durable memory: the notification log (marks), the outbox
// and snoozes. Like alertmanager's nflog, the log is what keeps a restart
// from sending twice: an email and the marks that record it are written in
// one transaction, before any delivery is tried.

// Mark is what the notification log remembers of one pair and key: a signal
// name, or a key of the notifier's own such as the band the manager was
// last told about (in Value).
type Mark struct {
	Manager, Report string
	Key             string
	Value           string
	// NotifiedAt is when the manager was last told; zero: never.
	NotifiedAt time.Time
	// Cleared records that the signal was seen gone since NotifiedAt.
	Cleared bool
}

// Outbox states.
const (
	OutboxPending = "pending"
	OutboxSent    = "sent"
	OutboxFailed  = "failed"
)

// OutboxMessage is one email in the outbox.
type OutboxMessage struct {
	ID        int64
	MessageID string // unique: enqueueing a message twice keeps the first
	Recipient string
	Kind      string // e.g. nudge, digest
	Period    string // the recipient-local day or week it belongs to
	Subject   string
	Data      []byte // the message, as its producer encodes it
	CreatedAt time.Time
	NotBefore time.Time // not delivered before this instant
	State     string
	Attempts  int
	// NextAttempt is when delivery may be tried again after a failure.
	NextAttempt time.Time
	LastError   string
	SentAt      time.Time // zero unless sent
}

// Queued is an email's place in the log: who got what for which period.
type Queued struct {
	Recipient, Kind, Period string
	State                   string
}

// Snooze pauses nudges about one pair until a time.
type Snooze struct {
	ID              int64
	Manager, Report string
	Until           time.Time
	Reason          string
	CreatedAt       time.Time
}

// NotifyLog is what the notifier decides from.
type NotifyLog struct {
	Marks []Mark
	// Queued are the outbox's emails created since the time asked for.
	Queued []Queued
	// Snoozes are those still in force.
	Snoozes []Snooze
}

// Attempt is the outcome of one failed delivery of an outbox message.
type Attempt struct {
	At  time.Time
	Err string
	// Next is when to try again; ignored when Failed.
	Next time.Time
	// Failed gives up on the message: it stays in the outbox, failed.
	Failed bool
}

// maxErrorText bounds a stored delivery error.
const maxErrorText = 500

// NotifyLog reads the notification log: every mark, the emails queued
// since `since`, and the snoozes in force at now.
func (s *Store) NotifyLog(ctx context.Context, since, now time.Time) (NotifyLog, error) {
	fail := func(err error) (NotifyLog, error) { return NotifyLog{}, fmt.Errorf("store: notification log: %w", err) }
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fail(err)
	}
	defer tx.Rollback()
	var log NotifyLog
	rs, err := tx.QueryContext(ctx, `SELECT manager, report, key, value, notified_at, cleared FROM notify_marks ORDER BY manager, report, key`)
	if err != nil {
		return fail(err)
	}
	for rs.Next() {
		var m Mark
		var at sql.NullInt64
		if err := rs.Scan(&m.Manager, &m.Report, &m.Key, &m.Value, &at, &m.Cleared); err != nil {
			rs.Close()
			return fail(err)
		}
		if at.Valid {
			m.NotifiedAt = fromNanos(at.Int64)
		}
		log.Marks = append(log.Marks, m)
	}
	if err := closeRows(rs); err != nil {
		return fail(err)
	}
	rs, err = tx.QueryContext(ctx, `SELECT recipient, kind, period, state FROM outbox WHERE created_at >= ? ORDER BY id`, nanos(since))
	if err != nil {
		return fail(err)
	}
	for rs.Next() {
		var q Queued
		if err := rs.Scan(&q.Recipient, &q.Kind, &q.Period, &q.State); err != nil {
			rs.Close()
			return fail(err)
		}
		log.Queued = append(log.Queued, q)
	}
	if err := closeRows(rs); err != nil {
		return fail(err)
	}
	log.Snoozes, err = snoozes(ctx, tx, now)
	if err != nil {
		return fail(err)
	}
	return log, nil
}

func closeRows(rs *sql.Rows) error {
	err := rs.Err()
	if cerr := rs.Close(); err == nil {
		err = cerr
	}
	return err
}

// Enqueue writes emails to the outbox and the marks that record them, in
// one transaction: either both are kept or neither. A message whose
// MessageID is already in the outbox is not added again. It returns how
// many messages were added.
func (s *Store) Enqueue(ctx context.Context, msgs []OutboxMessage, marks []Mark) (int, error) {
	fail := func(err error) (int, error) { return 0, fmt.Errorf("store: enqueue: %w", err) }
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fail(err)
	}
	defer tx.Rollback()
	added := 0
	for _, m := range msgs {
		switch {
		case m.MessageID == "":
			return fail(errors.New("a message without Message-ID"))
		case m.Recipient == "":
			return fail(fmt.Errorf("message %s has no recipient", m.MessageID))
		case m.CreatedAt.IsZero():
			return fail(fmt.Errorf("message %s has no creation time", m.MessageID))
		}
		res, err := tx.ExecContext(ctx, `
			INSERT INTO outbox (message_id, recipient, kind, period, subject, data, created_at, not_before, next_attempt)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (message_id) DO NOTHING`,
			m.MessageID, m.Recipient, m.Kind, m.Period, m.Subject, m.Data, nanos(m.CreatedAt), nanos(m.NotBefore), nanos(m.NotBefore))
		if err != nil {
			return fail(fmt.Errorf("message %s: %w", m.MessageID, err))
		}
		n, _ := res.RowsAffected()
		added += int(n)
	}
	for _, m := range marks {
		var at sql.NullInt64
		if !m.NotifiedAt.IsZero() {
			at = sql.NullInt64{Int64: nanos(m.NotifiedAt), Valid: true}
		}
		_, err := tx.ExecContext(ctx, `
			INSERT INTO notify_marks (manager, report, key, value, notified_at, cleared) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (manager, report, key) DO UPDATE SET
				value = excluded.value, notified_at = excluded.notified_at, cleared = excluded.cleared`,
			m.Manager, m.Report, m.Key, m.Value, at, m.Cleared)
		if err != nil {
			return fail(fmt.Errorf("mark %s/%s %s: %w", m.Manager, m.Report, m.Key, err))
		}
	}
	if err := tx.Commit(); err != nil {
		return fail(err)
	}
	return added, nil
}

const outboxColumns = `id, message_id, recipient, kind, period, subject, data, created_at, not_before,
	state, attempts, next_attempt, last_error, sent_at`

func scanOutbox(rs *sql.Rows) (OutboxMessage, error) {
	var m OutboxMessage
	var created, notBefore, next int64
	var sent sql.NullInt64
	err := rs.Scan(&m.ID, &m.MessageID, &m.Recipient, &m.Kind, &m.Period, &m.Subject, &m.Data, &created, &notBefore,
		&m.State, &m.Attempts, &next, &m.LastError, &sent)
	m.CreatedAt, m.NotBefore, m.NextAttempt = fromNanos(created), fromNanos(notBefore), fromNanos(next)
	if sent.Valid {
		m.SentAt = fromNanos(sent.Int64)
	}
	return m, err
}

func (s *Store) outbox(ctx context.Context, query string, args ...any) ([]OutboxMessage, error) {
	rs, err := s.db.QueryContext(ctx, `SELECT `+outboxColumns+` FROM outbox WHERE `+query, args...)
	if err != nil {
		return nil, err
	}
	var out []OutboxMessage
	for rs.Next() {
		m, err := scanOutbox(rs)
		if err != nil {
			rs.Close()
			return nil, err
		}
		out = append(out, m)
	}
	return out, closeRows(rs)
}

// Due returns up to limit pending messages that may be delivered at now,
// oldest first.
func (s *Store) Due(ctx context.Context, now time.Time, limit int) ([]OutboxMessage, error) {
	out, err := s.outbox(ctx, `state = 'pending' AND not_before <= ?1 AND next_attempt <= ?1 ORDER BY not_before, id LIMIT ?2`,
		nanos(now), limit)
	if err != nil {
		return nil, fmt.Errorf("store: due messages: %w", err)
	}
	return out, nil
}

// Outbox lists the messages in the given states (all when none is given),
// oldest first.
func (s *Store) Outbox(ctx context.Context, states ...string) ([]OutboxMessage, error) {
	where, args := `1`, []any{}
	if len(states) > 0 {
		where = `state IN (?` + strings.Repeat(`, ?`, len(states)-1) + `)`
		for _, st := range states {
			args = append(args, st)
		}
	}
	out, err := s.outbox(ctx, where+` ORDER BY created_at, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: outbox: %w", err)
	}
	return out, nil
}

// MarkSent records the delivery of a message.
func (s *Store) MarkSent(ctx context.Context, id int64, at time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE outbox SET state = 'sent', sent_at = ?, attempts = attempts + 1, last_error = '' WHERE id = ?`,
		nanos(at), id)
	if err == nil {
		err = oneRow(res)
	}
	if err != nil {
		return fmt.Errorf("store: mark message %d sent: %w", id, err)
	}
	return nil
}

// RecordAttempt records a failed delivery of a message: when to try again,
// or that it failed for good.
func (s *Store) RecordAttempt(ctx context.Context, id int64, a Attempt) error {
	state, next := OutboxPending, a.Next
	if a.Failed {
		state, next = OutboxFailed, a.At
	}
	msg := a.Err
	if r := []rune(msg); len(r) > maxErrorText {
		msg = string(r[:maxErrorText]) + "…"
	}
	res, err := s.db.ExecContext(ctx, `
		UPDATE outbox SET state = ?, attempts = attempts + 1, next_attempt = ?, last_error = ? WHERE id = ? AND state = 'pending'`,
		state, nanos(next), msg, id)
	if err == nil {
		err = oneRow(res)
	}
	if err != nil {
		return fmt.Errorf("store: record attempt of message %d: %w", id, err)
	}
	return nil
}

func oneRow(res sql.Result) error {
	n, err := res.RowsAffected()
	if err == nil && n != 1 {
		err = errors.New("no such pending message")
	}
	return err
}

// Requeue makes failed messages pending again, to be tried from now on,
// and returns how many there were.
func (s *Store) Requeue(ctx context.Context, now time.Time) (int, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE outbox SET state = 'pending', next_attempt = ? WHERE state = 'failed'`, nanos(now))
	if err != nil {
		return 0, fmt.Errorf("store: requeue: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// PruneOutbox removes sent and failed messages created before `before`,
// and snoozes that ended before it. Pending messages are never removed.
func (s *Store) PruneOutbox(ctx context.Context, before time.Time) (int, error) {
	var n int64
	for _, q := range []string{
		`DELETE FROM outbox WHERE state != 'pending' AND created_at < ?`,
		`DELETE FROM snoozes WHERE until_at < ?`,
	} {
		res, err := s.db.ExecContext(ctx, q, nanos(before))
		if err != nil {
			return 0, fmt.Errorf("store: prune outbox: %w", err)
		}
		m, _ := res.RowsAffected()
		n += m
	}
	return int(n), nil
}

// AddSnooze stores a snooze and returns its id.
func (s *Store) AddSnooze(ctx context.Context, z Snooze) (int64, error) {
	switch {
	case z.Manager == "" || z.Report == "":
		return 0, errors.New("store: add snooze: manager and report are required")
	case z.Until.IsZero():
		return 0, errors.New("store: add snooze: no end time")
	}
	var id int64
	err := s.db.QueryRowContext(ctx, `
		INSERT INTO snoozes (manager, report, until_at, reason, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
		z.Manager, z.Report, nanos(z.Until), z.Reason, nanos(z.CreatedAt)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store: add snooze: %w", err)
	}
	return id, nil
}

// Snoozes returns the snoozes in force at now, by pair and end.
func (s *Store) Snoozes(ctx context.Context, now time.Time) ([]Snooze, error) {
	out, err := snoozes(ctx, s.db, now)
	if err != nil {
		return nil, fmt.Errorf("store: snoozes: %w", err)
	}
	return out, nil
}

// EndSnoozes removes every snooze of a pair and returns how many there were.
func (s *Store) EndSnoozes(ctx context.Context, manager, report string) (int, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM snoozes WHERE manager = ? AND report = ?`, manager, report)
	if err != nil {
		return 0, fmt.Errorf("store: end snoozes: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func snoozes(ctx context.Context, q querier, now time.Time) ([]Snooze, error) {
	rs, err := q.QueryContext(ctx, `
		SELECT id, manager, report, until_at, reason, created_at FROM snoozes WHERE until_at > ?
		ORDER BY manager, report, until_at, id`, nanos(now))
	if err != nil {
		return nil, err
	}
	var out []Snooze
	for rs.Next() {
		var z Snooze
		var until, created int64
		if err := rs.Scan(&z.ID, &z.Manager, &z.Report, &until, &z.Reason, &created); err != nil {
			rs.Close()
			return nil, err
		}
		z.Until, z.CreatedAt = fromNanos(until), fromNanos(created)
		out = append(out, z)
	}
	return out, closeRows(rs)
}
