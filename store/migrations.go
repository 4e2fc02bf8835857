package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
)

// migrations are applied in order, each in its own transaction, and
// schema_version remembers how many have been. Append; never edit one that
// has shipped.
var migrations = []func(ctx context.Context, tx *sql.Tx) error{
	execSQL(`
CREATE TABLE calendars (
	id          INTEGER PRIMARY KEY,
	source      TEXT NOT NULL,
	calendar_id TEXT NOT NULL,
	name        TEXT NOT NULL DEFAULT '',
	owner       TEXT NOT NULL DEFAULT '',
	cursor      TEXT NOT NULL DEFAULT '',
	UNIQUE (source, calendar_id)
);

-- events holds the current version of every event ever seen. Instants of
-- the event are UTC unix seconds (*_utc); instants of the daemon's clock are
-- unix nanoseconds (*_at). The event itself, with its zones, is the JSON in
-- data; the other columns are for queries.
CREATE TABLE events (
	id            INTEGER PRIMARY KEY,
	calendar      INTEGER NOT NULL REFERENCES calendars (id) ON DELETE CASCADE,
	uid           TEXT NOT NULL,
	recurrence_id TEXT NOT NULL, -- RFC 3339 in UTC; '' for masters and single events
	start_utc     INTEGER NOT NULL,
	end_utc       INTEGER NOT NULL,
	last_end_utc  INTEGER,       -- end of the last instance; NULL: a series without end
	status        TEXT NOT NULL,
	sequence      INTEGER NOT NULL,
	last_modified INTEGER,
	observed_at   INTEGER NOT NULL, -- when this version was first seen
	deleted_at    INTEGER,          -- NULL while the event exists
	digest        BLOB NOT NULL,    -- SHA-256 of data
	data          BLOB NOT NULL,
	UNIQUE (calendar, uid, recurrence_id)
);
CREATE INDEX events_deleted ON events (deleted_at) WHERE deleted_at IS NOT NULL;
CREATE INDEX events_last_end ON events (last_end_utc);

-- versions are the earlier versions of an event, in the same JSON.
CREATE TABLE versions (
	id          INTEGER PRIMARY KEY,
	event       INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
	observed_at INTEGER NOT NULL, -- when this version was first seen
	replaced_at INTEGER NOT NULL, -- when the next one was
	data        BLOB NOT NULL
);
CREATE INDEX versions_event ON versions (event);
CREATE INDEX versions_replaced ON versions (replaced_at);

-- zones keeps the TZif data of zones that cannot be found again by name,
-- such as those built from a calendar's own VTIMEZONE.
CREATE TABLE zones (
	key  TEXT PRIMARY KEY, -- name@digest, as referenced from event JSON
	name TEXT NOT NULL,
	tzif BLOB NOT NULL
);
`),
	// 2: the notifier's durable memory (see notify.go).
	execSQL(`
-- notify_marks is the notification log: per pair and key (a signal name, or
-- 'band'), when the manager was last told and whether it has cleared since.
CREATE TABLE notify_marks (
	manager     TEXT NOT NULL,
	report      TEXT NOT NULL,
	key         TEXT NOT NULL,
	value       TEXT NOT NULL DEFAULT '',
	notified_at INTEGER,                   -- NULL: never told
	cleared     INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (manager, report, key)
);

-- outbox holds every email from the moment it is decided: pending until it
-- is delivered (sent) or given up on (failed). Its (recipient, kind, period)
-- rows are also what keeps a second nudge from going out the same day.
CREATE TABLE outbox (
	id           INTEGER PRIMARY KEY,
	message_id   TEXT NOT NULL UNIQUE,
	recipient    TEXT NOT NULL,
	kind         TEXT NOT NULL,
	period       TEXT NOT NULL,
	subject      TEXT NOT NULL,
	data         BLOB NOT NULL,
	created_at   INTEGER NOT NULL,
	not_before   INTEGER NOT NULL,
	state        TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed')),
	attempts     INTEGER NOT NULL DEFAULT 0,
	next_attempt INTEGER NOT NULL,
	last_error   TEXT NOT NULL DEFAULT '',
	sent_at      INTEGER
);
CREATE INDEX outbox_pending ON outbox (not_before) WHERE state = 'pending';
CREATE INDEX outbox_period ON outbox (recipient, kind, period);

-- snoozes pause nudges about one pair until a time (leave and the like).
CREATE TABLE snoozes (
	id         INTEGER PRIMARY KEY,
	manager    TEXT NOT NULL,
	report     TEXT NOT NULL,
	until_at   INTEGER NOT NULL,
	reason     TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL
);
CREATE INDEX snoozes_pair ON snoozes (manager, report);
`),
}

func execSQL(query string) func(context.Context, *sql.Tx) error {
	return func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, query)
		return err
	}
}

// migrate brings the schema up to date. It is safe to run on every open:
// applied migrations are skipped.
func migrate(ctx context.Context, db *sql.DB, logger *slog.Logger) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("store: create schema_version: %w", err)
	}
	for {
		done, err := migrateOne(ctx, db, logger)
		if err != nil || done {
			return err
		}
	}
}

// migrateOne applies the next migration, if any, in one transaction.
func migrateOne(ctx context.Context, db *sql.DB, logger *slog.Logger) (done bool, err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("store: migrate: %w", err)
	}
	defer tx.Rollback()
	var version int
	err = tx.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&version)
	if errors.Is(err, sql.ErrNoRows) {
		_, err = tx.ExecContext(ctx, `INSERT INTO schema_version (version) VALUES (0)`)
	}
	if err != nil {
		return false, fmt.Errorf("store: read schema version: %w", err)
	}
	switch {
	case version == len(migrations):
		return true, nil
	case version > len(migrations):
		return false, fmt.Errorf("store: schema version %d is newer than this binary knows (%d)", version, len(migrations))
	}
	if err := migrations[version](ctx, tx); err != nil {
		return false, fmt.Errorf("store: migration %d: %w", version+1, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE schema_version SET version = ?`, version+1); err != nil {
		return false, fmt.Errorf("store: migration %d: %w", version+1, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("store: migration %d: %w", version+1, err)
	}
	logger.Info("store: schema migrated", "version", version+1)
	return false, nil
}
