// Package analyzer turns calendar occurrences into what happened to each
// planned 1:1, drift signals and health. It is pure: no I/O, no clock; the
// current time is always a parameter.
package analyzer

import (
	"time"

	"github.com/rapport-dev/rapport/calendar"
)

// Fate is what became of one planned occurrence.
type Fate string

// The occurrence fates of DESIGN.md.
const (
	FateHeld      Fate = "held"
	FateMoved     Fate = "moved"
	FateShortened Fate = "shortened"
	FateSkipped   Fate = "skipped"
	FateExcused   Fate = "excused"
	FateUpcoming  Fate = "upcoming"
)

// ShortenedRatio is the default share of the planned duration below which a
// held occurrence counts as shortened.
const ShortenedRatio = 0.8

// CalendarFate is the fate of an occurrence as far as its own calendar data
// shows, without knowing who attended, who was away, or whether a make-up
// followed: cancelled and excluded slots are skipped, moved ones moved,
// short ones shortened, the rest held or, when not yet over, upcoming.
func CalendarFate(o calendar.Occurrence, now time.Time, shortenedRatio float64) Fate {
	switch {
	case o.Excluded || o.Status == calendar.StatusCancelled:
		return FateSkipped
	case o.End.After(now) || (o.End.Equal(o.Start) && o.Start.After(now)):
		return FateUpcoming
	case o.Moved():
		return FateMoved
	case shortened(o, shortenedRatio):
		return FateShortened
	default:
		return FateHeld
	}
}

func shortened(o calendar.Occurrence, ratio float64) bool {
	planned := o.PlannedEnd.Sub(o.PlannedStart)
	return planned > 0 && float64(o.End.Sub(o.Start)) < ratio*float64(planned)
}
