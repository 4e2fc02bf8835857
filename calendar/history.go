package calendar

import "time"

// Record is one stored event: where it was seen, and every earlier version
// of it that was observed. Providers show only an event's current state;
// the history is how a one-off 1:1 re-timed between polls is known to have
// moved, and when.
type Record struct {
	Source   string
	Calendar Calendar
	Event    Event
	// ObservedAt is when the current version was first seen.
	ObservedAt time.Time
	// Versions are the earlier versions, oldest first.
	Versions []Version
	// DeletedAt is when the event was seen to be gone; zero while it exists.
	DeletedAt time.Time
}

// Version is an earlier version of an event: the fields whose changes tell
// what happened to a meeting.
type Version struct {
	// ObservedAt is when this version was first seen. It stayed current
	// until the next version's ObservedAt (or the Record's).
	ObservedAt   time.Time
	Start, End   time.Time
	Status       Status
	Sequence     int
	LastModified time.Time
	Attendees    []Attendee
}
