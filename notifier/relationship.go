package notifier

import (
	"time"

	"github.com/rapport-dev/rapport/analyzer"
)

// Stage is where a relationship stands, for the advice that suits it.
type Stage string

// The stages a nudge or digest speaks to.
const (
	// StageNew: the pair's first 1:1 is at most NewRelationship ago. Early
	// 1:1s are for building trust.
	StageNew Stage = "new"
	// StageLongStanding: a healthy pair that has met regularly for at least
	// LongStanding. Time to look further ahead: development goals.
	StageLongStanding Stage = "long_standing"
)

// The thresholds of the stages.
const (
	NewRelationship = 6 * 7 * 24 * time.Hour
	LongStanding    = 365 * 24 * time.Hour
	// mostlyHeld is the share of past 1:1s (excused ones aside) that took
	// place, and minHeldSample the fewest past 1:1s, for a long-standing
	// pair to count as meeting regularly.
	mostlyHeld    = 0.8
	minHeldSample = 8
)

// Relationship is a pair's stage and since when they have met.
type Relationship struct {
	Stage Stage // "" when neither new nor long-standing
	Since time.Time
}

// relationshipOf reads the stage from the pair's history: the earliest of
// its occurrences and of the starts of its series (the analyzer only
// expands the recent past, a series' DTSTART may be much older).
func relationshipOf(pr analyzer.PairReport, dir Directory, now time.Time) Relationship {
	var since time.Time
	past, met := 0, 0
	for _, o := range pr.Occurrences {
		t := o.Planned
		if s, ok := dir.Series[o.UID]; ok && !s.Start.IsZero() && s.Start.Before(t) {
			t = s.Start
		}
		if since.IsZero() || t.Before(since) {
			since = t
		}
		switch o.Fate {
		case analyzer.FateHeld, analyzer.FateMoved, analyzer.FateShortened:
			past++
			met++
		case analyzer.FateSkipped:
			past++
		}
	}
	r := Relationship{Since: since}
	switch {
	case since.IsZero():
	case now.Sub(since) <= NewRelationship:
		r.Stage = StageNew
	case now.Sub(since) >= LongStanding && pr.Band == analyzer.BandHealthy &&
		past >= minHeldSample && float64(met) >= mostlyHeld*float64(past):
		r.Stage = StageLongStanding
	}
	return r
}
