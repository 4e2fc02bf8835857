package calendar

import (
	"context"
	"fmt"
)

// Calendar describes one calendar that a source reads.
type Calendar struct {
	// ID is stable within its source: a file path, a CalDAV collection URL,
	// a Google calendar id.
	ID   string
	Name string
	// Owner is the canonical email of the person whose calendar it is, when
	// known. Out-of-office events count for their owner.
	Owner string
}

// Changes is what one calendar of a source reports in one sync.
type Changes struct {
	Calendar Calendar
	// Full means the source started over (a first sync, an expired sync
	// token, a file that changed): Events is then the whole calendar, and
	// whatever a store holds for it that is absent here is gone.
	Full bool
	// Events are new or changed events. Events are grouped into series by
	// UID; when WholeSeries is set, the events of a UID replace every stored
	// event of that UID (an iCalendar object carries a whole series), else
	// each replaces the stored event with the same Key.
	Events      []Event
	WholeSeries bool
	// Deleted lists the UIDs of series that no longer exist.
	Deleted []string
	// Problems are objects that could not be read. Each was skipped; the
	// rest of the calendar is intact.
	Problems []*ObjectError
	// Cursor is passed back on the next sync to ask only for what changed.
	Cursor string
	// Err is set when this calendar could not be synced at all; the other
	// calendars of the source are unaffected.
	Err error
}

// Source is the contract every calendar provider implements. Sync returns
// the changes of each of the source's calendars since the cursors it
// returned last time (keyed by Calendar.ID; empty on the first sync). A
// returned error means the whole source failed; a failure of one calendar is
// reported in its Changes.Err instead.
type Source interface {
	Sync(ctx context.Context, cursors map[string]string) ([]Changes, error)
}

// ObjectError is a problem with one calendar object. It names where the
// problem is, so that a user can find and fix it: the source or file, the
// object (a UID, an href, an event id), and the property when known.
type ObjectError struct {
	Where    string // a file, URL or calendar
	Object   string // UID or provider object id
	Property string // e.g. "RRULE", "DTSTART"; empty when not one property
	Err      error
}

func (e *ObjectError) Error() string {
	msg := e.Where
	if e.Object != "" {
		if msg != "" {
			msg += ": "
		}
		msg += fmt.Sprintf("object %q", e.Object)
	}
	if e.Property != "" {
		msg += " " + e.Property
	}
	if msg == "" {
		return "calendar: " + e.Err.Error()
	}
	return msg + ": " + e.Err.Error()
}

func (e *ObjectError) Unwrap() error { return e.Err }
