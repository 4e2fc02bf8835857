// Package calendar is Rapport's provider-neutral model of calendars and
// events, the Source contract every provider implements, and the one
// recurrence engine and time-zone resolver that all providers share.
//
// Providers (calendar/ics, calendar/caldav, calendar/google) translate their
// own representations into these types and never let theirs escape.
package calendar

import (
	"strings"
	"time"
)

// Status is an event's or occurrence's iCalendar STATUS (RFC 5545 §3.8.1.11).
type Status string

// The VEVENT statuses. An empty status means the provider did not say, which
// RFC 5545 treats as confirmed.
const (
	StatusConfirmed Status = "CONFIRMED"
	StatusTentative Status = "TENTATIVE"
	StatusCancelled Status = "CANCELLED"
)

// ParseStatus maps a provider's status text onto a Status; unknown or empty
// values are confirmed, as RFC 5545 implies for a VEVENT without STATUS.
func ParseStatus(s string) Status {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "CANCELLED", "CANCELED":
		return StatusCancelled
	case "TENTATIVE":
		return StatusTentative
	default:
		return StatusConfirmed
	}
}

// PartStat is an attendee's participation status (RFC 5545 §3.2.12).
type PartStat string

// The participation statuses that matter for a VEVENT.
const (
	PartStatNeedsAction PartStat = "NEEDS-ACTION"
	PartStatAccepted    PartStat = "ACCEPTED"
	PartStatDeclined    PartStat = "DECLINED"
	PartStatTentative   PartStat = "TENTATIVE"
	PartStatDelegated   PartStat = "DELEGATED"
)

// ParsePartStat maps a provider's participation status onto a PartStat.
// Google's "needsAction" and "accepted" spellings are accepted too.
func ParsePartStat(s string) PartStat {
	switch strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), "-", "")) {
	case "ACCEPTED":
		return PartStatAccepted
	case "DECLINED":
		return PartStatDeclined
	case "TENTATIVE":
		return PartStatTentative
	case "DELEGATED":
		return PartStatDelegated
	default:
		return PartStatNeedsAction
	}
}

// AttendeeKind says what an attendee is (RFC 5545 CUTYPE). Only people count
// as participants of a 1:1; rooms and resources never do.
type AttendeeKind string

// The calendar user types.
const (
	KindPerson   AttendeeKind = "person"
	KindGroup    AttendeeKind = "group"
	KindRoom     AttendeeKind = "room"
	KindResource AttendeeKind = "resource"
)

// ParseKind maps an iCalendar CUTYPE onto an AttendeeKind. RFC 5545 makes
// INDIVIDUAL the default, and unknown values are treated as people too,
// because a missed person is worse than a counted stranger.
func ParseKind(cutype string) AttendeeKind {
	switch strings.ToUpper(strings.TrimSpace(cutype)) {
	case "ROOM":
		return KindRoom
	case "RESOURCE":
		return KindResource
	case "GROUP":
		return KindGroup
	default:
		return KindPerson
	}
}

// Attendee is one invited calendar user.
type Attendee struct {
	Email    string // canonical: lower-cased, without "mailto:"
	Name     string
	Kind     AttendeeKind
	Status   PartStat
	Optional bool // ROLE=OPT-PARTICIPANT or NON-PARTICIPANT; Google's optional
}

// IsPerson reports whether the attendee is a human participant.
func (a Attendee) IsPerson() bool { return a.Kind == KindPerson || a.Kind == "" }

// CanonicalEmail lower-cases an address and strips a "mailto:" prefix and
// surrounding space, so that one person has one key everywhere.
func CanonicalEmail(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 7 && strings.EqualFold(s[:7], "mailto:") {
		s = s[7:]
	}
	return strings.ToLower(strings.TrimSpace(s))
}

// EventType is the kind of an event beyond a plain meeting.
type EventType string

// Event types. OutOfOffice excuses skipped 1:1s; the others are ignored by
// the analyzer.
const (
	TypeDefault         EventType = ""
	TypeOutOfOffice     EventType = "out_of_office"
	TypeFocusTime       EventType = "focus_time"
	TypeWorkingLocation EventType = "working_location"
	TypeBirthday        EventType = "birthday"
)

// Period is a span of time: an RDATE of VALUE=PERIOD, or an RDATE instant
// when End is zero (the instance then lasts as long as the master).
type Period struct {
	Start time.Time
	End   time.Time
}

// Recurrence is the recurrence data of a series master (RFC 5545 §3.8.5).
type Recurrence struct {
	// Rules are RRULE values as written, e.g. "FREQ=WEEKLY;BYDAY=MO".
	// Several rules are unioned, as RFC 2445 allowed and some servers emit.
	Rules []string
	// RDates are extra instances; with VALUE=DATE they are midnight in the
	// master's zone.
	RDates []Period
	// ExDates remove the instances that start at exactly these instants.
	ExDates []time.Time
	// ExDateDates are VALUE=DATE exclusions: they remove every instance that
	// starts on that calendar day in the master's zone.
	ExDateDates []time.Time
}

// Empty reports whether the recurrence generates nothing beyond DTSTART.
func (r *Recurrence) Empty() bool {
	return r == nil || (len(r.Rules) == 0 && len(r.RDates) == 0)
}

// Event is one calendar component: a single event, a series master, or an
// override of one instance (RecurrenceID set).
//
// All times carry the event's own zone: Start.Location() is the zone in which
// a series recurs, so a 10:00 Europe/Berlin weekly stays at 10:00 local time
// across DST changes. Floating times are placed in the calendar's default
// zone and marked Floating; all-day events start at local midnight.
type Event struct {
	UID string
	// RecurrenceID is the planned start of the instance an override replaces;
	// zero for masters and single events.
	RecurrenceID time.Time
	// ThisAndFuture is RANGE=THISANDFUTURE: the override's changes apply to
	// every later instance too.
	ThisAndFuture bool

	Summary string
	// HasDescription records whether the event carries an agenda (any
	// description text or attachment). The text itself is not kept.
	HasDescription bool

	Start    time.Time
	End      time.Time
	AllDay   bool
	Floating bool

	Status       Status
	Sequence     int
	Created      time.Time
	LastModified time.Time

	Organizer   string // canonical email
	Attendees   []Attendee
	Type        EventType
	Transparent bool // does not block time (TRANSP:TRANSPARENT, Google "transparent")

	// Recurrence is set on a series master, nil otherwise.
	Recurrence *Recurrence
}

// IsOverride reports whether the event replaces one instance of a series.
func (e *Event) IsOverride() bool { return !e.RecurrenceID.IsZero() }

// IsRecurring reports whether the event is a series master.
func (e *Event) IsRecurring() bool { return e.Recurrence != nil && !e.Recurrence.Empty() }

// Duration is the planned length of the event.
func (e *Event) Duration() time.Duration { return e.End.Sub(e.Start) }

// Key identifies an event within a calendar.
type Key struct {
	UID          string
	RecurrenceID time.Time
}

// Key returns the event's identity within its calendar.
func (e *Event) Key() Key { return Key{UID: e.UID, RecurrenceID: e.RecurrenceID.UTC()} }

// Attendee returns the attendee with the given canonical email, if invited.
func (e *Event) Attendee(email string) (Attendee, bool) {
	for _, a := range e.Attendees {
		if a.Email == email {
			return a, true
		}
	}
	return Attendee{}, false
}
