package analyzer

import (
	"math"
	"slices"
	"time"
)

// Signal names, as in the report JSON contract.
const (
	SignalRescheduleRate   = "reschedule_rate"
	SignalLateReschedules  = "late_reschedules"
	SignalShortened        = "shortened"
	SignalSkipRate         = "skip_rate"
	SignalFallingCadence   = "falling_cadence"
	SignalOverdue          = "overdue"
	SignalNothingScheduled = "nothing_scheduled"
	SignalNoAgenda         = "no_agenda"
)

// Penalties are the health points each crossed signal costs. They are the
// whole of the score, so a pair's health is always explained by its signals.
// Not meeting at all weighs most; a missing agenda least, as the 1:1 still
// happens.
var Penalties = map[string]int{
	SignalOverdue:          35,
	SignalNothingScheduled: 30,
	SignalSkipRate:         25,
	SignalFallingCadence:   25,
	SignalRescheduleRate:   20,
	SignalShortened:        20,
	SignalLateReschedules:  10,
	SignalNoAgenda:         10,
}

// Signal is one drift signal that crossed its threshold, with the
// occurrences that show it.
type Signal struct {
	Name      string     `json:"name"`
	Value     float64    `json:"value"`
	Threshold float64    `json:"threshold"`
	Evidence  []Evidence `json:"evidence"`
}

// Evidence is one occurrence behind a signal.
type Evidence struct {
	Planned time.Time  `json:"planned"`
	Actual  *time.Time `json:"actual"` // null when it did not happen
	Fate    Fate       `json:"fate"`
	Late    bool       `json:"late"`
}

// Counts are a pair's occurrences in the window by fate, plus late moves.
type Counts struct {
	Held      int `json:"held"`
	Moved     int `json:"moved"`
	LateMoved int `json:"late_moved"`
	Shortened int `json:"shortened"`
	Skipped   int `json:"skipped"`
	Excused   int `json:"excused"`
	Upcoming  int `json:"upcoming"`
}

// windowStats summarises the past occurrences planned inside one window.
type windowStats struct {
	past     []*Occurrence // planned in the window, not upcoming
	happened []*Occurrence
	realized time.Duration // median gap between 1:1s that happened; 0 if under two
}

func statsFor(occ []Occurrence, from, to time.Time) windowStats {
	var w windowStats
	in := func(o *Occurrence) bool {
		return !o.Planned.Before(from) && o.Planned.Before(to) && o.Fate != FateUpcoming
	}
	past, happened := 0, 0
	for i := range occ {
		if in(&occ[i]) {
			past++
			if occ[i].happened() {
				happened++
			}
		}
	}
	// Sized once: this runs twice per pair on every cycle.
	w.past, w.happened = make([]*Occurrence, 0, past), make([]*Occurrence, 0, happened)
	for i := range occ {
		if in(&occ[i]) {
			w.past = append(w.past, &occ[i])
			if occ[i].happened() {
				w.happened = append(w.happened, &occ[i])
			}
		}
	}
	w.realized = medianGap(w.happened)
	return w
}

func medianGap(occ []*Occurrence) time.Duration {
	if len(occ) < 2 {
		return 0
	}
	starts := make([]time.Time, len(occ))
	for i, o := range occ {
		starts[i] = o.Start
	}
	slices.SortFunc(starts, time.Time.Compare)
	gaps := make([]time.Duration, 0, len(starts)-1)
	for i := 1; i < len(starts); i++ {
		gaps = append(gaps, starts[i].Sub(starts[i-1]))
	}
	slices.Sort(gaps)
	n := len(gaps)
	if n%2 == 1 {
		return gaps[n/2]
	}
	return (gaps[n/2-1] + gaps[n/2]) / 2
}

// pairFacts is what the signals are computed from and the report shows.
type pairFacts struct {
	counts        Counts
	cur, prev     windowStats
	lastHeld      time.Time
	nextPlanned   time.Time
	daysSinceLast *int
}

func factsFor(h history, now time.Time, window time.Duration) pairFacts {
	var f pairFacts
	f.cur = statsFor(h.occ, now.Add(-window), now)
	f.prev = statsFor(h.occ, now.Add(-2*window), now.Add(-window))
	for _, o := range h.occ {
		if o.happened() && !o.Start.After(now) && o.Start.After(f.lastHeld) {
			f.lastHeld = o.Start
		}
		if o.Fate == FateUpcoming && (f.nextPlanned.IsZero() || o.Start.Before(f.nextPlanned)) && o.Start.After(now) {
			f.nextPlanned = o.Start
		}
		if o.Fate == FateUpcoming {
			f.counts.Upcoming++
		}
	}
	for _, o := range f.cur.past {
		switch o.Fate {
		case FateHeld:
			f.counts.Held++
		case FateMoved:
			f.counts.Moved++
		case FateShortened:
			f.counts.Shortened++
		case FateSkipped:
			f.counts.Skipped++
		case FateExcused:
			f.counts.Excused++
		}
		if o.Late {
			f.counts.LateMoved++
		}
	}
	if !f.lastHeld.IsZero() {
		d := int(now.Sub(f.lastHeld) / (24 * time.Hour))
		f.daysSinceLast = &d
	}
	return f
}

// signals evaluates every signal of DESIGN.md for one pair. active says
// whether the pair is expected to meet (listed in the org, or met within
// the window); only active pairs can be overdue or have nothing scheduled.
func signals(h history, f pairFacts, active bool, now time.Time, set Settings) []Signal {
	var out []Signal
	add := func(name string, value, threshold float64, ev []*Occurrence) {
		out = append(out, Signal{Name: name, Value: round(value), Threshold: round(threshold), Evidence: evidence(ev)})
	}
	past, happened := f.cur.past, f.cur.happened
	if len(past) >= set.MinSample {
		moved := filter(past, func(o *Occurrence) bool { return o.Moved })
		if r := ratio(len(moved), len(past)); r > set.RescheduleRate {
			add(SignalRescheduleRate, r, set.RescheduleRate, moved)
		}
		skipped := filter(past, func(o *Occurrence) bool { return o.Fate == FateSkipped })
		if r := ratio(len(skipped), len(past)); r > set.SkipRate {
			add(SignalSkipRate, r, set.SkipRate, skipped)
		}
	}
	if late := filter(past, func(o *Occurrence) bool { return o.Late }); len(late) >= set.LateMoves {
		add(SignalLateReschedules, float64(len(late)), float64(set.LateMoves), late)
	}
	short := filter(happened, func(o *Occurrence) bool { return o.Shortened })
	switch r := ratio(len(short), len(happened)); {
	case len(happened) >= set.MinSample && r > set.ShortenedRate:
		add(SignalShortened, r, set.ShortenedRate, short)
	case h.durationCut:
		// The series itself was cut (60 → 30 minutes): value and threshold
		// are then the new length as a share of the old.
		add(SignalShortened, float64(h.currentDuration)/float64(h.previousDuration), ShortenedRatio, nil)
	}
	if s, ok := fallingCadence(h, f, set); ok {
		out = append(out, s)
	}
	if active {
		limit := set.MaxGap
		if h.intended > 0 {
			limit = min(limit, 2*h.intended)
		}
		since := now.Sub(f.lastHeld)
		if f.lastHeld.IsZero() {
			since = set.Window // never seen meeting: at least the window
		}
		if since > limit {
			var last []*Occurrence
			for i := range h.occ {
				if o := &h.occ[i]; o.happened() && o.Start.Equal(f.lastHeld) {
					last = append(last, o)
				}
			}
			add(SignalOverdue, days(since), days(limit), last)
		}
		if f.nextPlanned.IsZero() {
			add(SignalNothingScheduled, 0, 1, nil)
		}
	}
	if len(happened) >= set.MinSample {
		bare := filter(happened, func(o *Occurrence) bool { return !o.HasAgenda })
		if r := ratio(len(bare), len(happened)); r > set.NoAgendaRate {
			add(SignalNoAgenda, r, set.NoAgendaRate, bare)
		}
	}
	return out
}

// fallingCadence compares the realised interval with the intended one, with
// the previous window's, and notices a series replaced by a sparser one.
// Value and threshold are in days.
func fallingCadence(h history, f pairFacts, set Settings) (Signal, bool) {
	realized := f.cur.realized
	var threshold time.Duration
	switch {
	case realized > 0 && h.intended > 0 && float64(realized) > set.CadenceFactor*float64(h.intended):
		threshold = time.Duration(set.CadenceFactor * float64(h.intended))
	case realized > 0 && f.prev.realized > 0 && float64(realized) > set.CadenceTrendFactor*float64(f.prev.realized):
		threshold = time.Duration(set.CadenceTrendFactor * float64(f.prev.realized))
	case h.previous > 0 && h.intended > h.previous:
		// Value and threshold: the new series' interval against the old.
		return Signal{Name: SignalFallingCadence, Value: round(days(h.intended)), Threshold: round(days(h.previous)), Evidence: evidence(nil)}, true
	default:
		return Signal{}, false
	}
	return Signal{Name: SignalFallingCadence, Value: round(days(realized)), Threshold: round(days(threshold)), Evidence: evidence(f.cur.happened)}, true
}

func filter(occ []*Occurrence, keep func(*Occurrence) bool) []*Occurrence {
	var out []*Occurrence
	for _, o := range occ {
		if keep(o) {
			out = append(out, o)
		}
	}
	return out
}

func evidence(occ []*Occurrence) []Evidence {
	out := make([]Evidence, 0, len(occ))
	for _, o := range occ {
		e := Evidence{Planned: o.Planned, Fate: o.Fate, Late: o.Late}
		if o.happened() {
			at := o.Start
			e.Actual = &at
		}
		out = append(out, e)
	}
	return out
}

func ratio(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}

func days(d time.Duration) float64 { return d.Hours() / 24 }

// round keeps two decimals: enough to explain, stable to compare.
func round(x float64) float64 { return math.Round(x*100) / 100 }
