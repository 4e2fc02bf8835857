package analyzer

import (
	"time"

	"github.com/rapport-dev/rapport/calendar"
)

// Input is everything one analysis looks at. The analyzer does no I/O and
// reads no clock: the same Input always gives the same Report.
type Input struct {
	Now      time.Time
	Settings Settings
	Org      Org
	Records  []Record
}

// Org is what the configuration knows about people.
type Org struct {
	Teams []Team
	// InferPairs turns two-person recurring or 1:1-titled events into pairs
	// even when the org does not list them (single-user mode).
	InferPairs bool
}

// Team is one manager and their reports.
type Team struct {
	Name    string
	Parent  string // for privacy folding of small teams
	Manager string
	Reports []string
	Leaders []string
}

// Record and Version are the stored history of an event: the analyzer
// reads the store's records as they are.
type (
	Record  = calendar.Record
	Version = calendar.Version
)

// Settings are the thresholds of DESIGN.md's signal table, all configurable.
type Settings struct {
	Window             time.Duration // trailing window W
	RescheduleRate     float64       // moved / planned past, above which a pair drifts
	ShortenedRate      float64       // shortened / held
	ShortenedRatio     float64       // held duration below this share of planned is shortened
	SkipRate           float64       // unexcused skipped / planned past
	CadenceFactor      float64       // realised / intended interval
	CadenceTrendFactor float64       // realised / previous window's realised interval
	LateMoves          int           // late moves in W
	LateNotice         time.Duration // a move made less than this before the slot is late
	MaxGap             time.Duration // overdue after at most this long without a 1:1
	NoAgendaRate       float64       // held without description / held
	// MinSample is the fewest planned past occurrences in W before a rate
	// signal may fire: two meetings are not a trend.
	MinSample int
	// Horizon is how far ahead a next 1:1 is looked for.
	Horizon time.Duration
}

// DefaultSettings are DESIGN.md's defaults.
func DefaultSettings() Settings {
	return Settings{
		Window:             84 * 24 * time.Hour,
		RescheduleRate:     0.30,
		ShortenedRate:      0.25,
		ShortenedRatio:     ShortenedRatio,
		SkipRate:           0.20,
		CadenceFactor:      1.5,
		CadenceTrendFactor: 1.3,
		LateMoves:          2,
		LateNotice:         24 * time.Hour,
		MaxGap:             45 * 24 * time.Hour,
		NoAgendaRate:       0.5,
		MinSample:          3,
		Horizon:            90 * 24 * time.Hour,
	}
}
