package analyzer

import (
	"slices"
	"sort"
	"time"

	"github.com/teambition/rrule-go"

	"github.com/rapport-dev/rapport/calendar"
)

// Occurrence is one planned 1:1 of a pair and what became of it.
type Occurrence struct {
	UID        string
	Planned    time.Time // the slot as planned
	PlannedEnd time.Time
	Start, End time.Time // as it happened or stands; zero when skipped
	Fate       Fate
	Moved      bool // happened at another time than planned
	Late       bool // moved less than the late notice before the slot
	Shortened  bool // happened, under the shortened ratio of its planned length
	HasAgenda  bool
	MakeUp     bool // a skipped slot made up by a separate 1:1
	recurring  bool
}

// happened reports whether the 1:1 took place.
func (o Occurrence) happened() bool {
	return o.Fate == FateHeld || o.Fate == FateMoved || o.Fate == FateShortened
}

// span is a half-open interval of time.
type span struct{ start, end time.Time }

func (a span) overlaps(b span) bool { return a.start.Before(b.end) && b.start.Before(a.end) }

// history is a pair's 1:1s across all its series.
type history struct {
	occ      []Occurrence // ordered by planned start
	intended time.Duration
	// previous is the intended interval of the series the current one
	// replaced, when that happened inside the window.
	previous         time.Duration
	durationCut      bool // the current series plans shorter 1:1s than the one it replaced
	currentDuration  time.Duration
	previousDuration time.Duration
	errs             []error
}

// buildHistory reconstructs the fate of every planned 1:1 of a pair.
func buildHistory(pair PairKey, ss []*series, away map[string][]span, in Input) history {
	set := in.Settings
	from := in.Now.Add(-2*set.Window - set.MaxGap - 30*24*time.Hour)
	to := in.Now.Add(set.Horizon)
	var h history
	var planned, singles []Occurrence
	for _, s := range ss {
		occ, err := s.Expand(from, to, calendar.ExpandOptions{IncludeExcluded: true})
		if err != nil {
			h.errs = append(h.errs, err)
			continue
		}
		recurring := s.Master == nil || s.Master.IsRecurring()
		if recurring {
			planned = slices.Grow(planned, len(occ))
		}
		for _, o := range occ {
			if !s.deleted.IsZero() && recurring && !o.PlannedStart.Before(s.deleted) {
				continue // the series was deleted: later slots were never to be
			}
			x := fateOf(pair, s, o, in)
			x.recurring = recurring
			if recurring {
				planned = append(planned, x)
			} else {
				singles = append(singles, x)
			}
		}
	}
	if len(planned) == 0 {
		planned, singles = singles, nil
	}
	sortByPlanned(planned)
	sortByPlanned(singles)
	planned = append(planned, makeUps(planned, singles, in.Now)...)
	sortByPlanned(planned)
	for i := range planned {
		o := &planned[i]
		if o.Fate == FateSkipped && isAway(away, pair, span{o.Planned, o.PlannedEnd}) {
			o.Fate = FateExcused
		}
	}
	h.occ = planned
	h.cadence(ss, in.Now, set.Window)
	return h
}

func sortByPlanned(occ []Occurrence) {
	slices.SortStableFunc(occ, func(a, b Occurrence) int { return a.Planned.Compare(b.Planned) })
}

// fateOf decides what became of one slot from the calendar data and the
// observed history of its event.
func fateOf(pair PairKey, s *series, o calendar.Occurrence, in Input) Occurrence {
	set := in.Settings
	x := Occurrence{
		UID: s.UID, Planned: o.PlannedStart, PlannedEnd: o.PlannedEnd,
		Start: o.Start, End: o.End, HasAgenda: o.Event.HasDescription,
	}
	rec := s.record(o.Event)
	if rec != nil && !o.Event.IsRecurring() && !o.Event.IsOverride() && len(rec.Versions) > 0 {
		// A single event that was re-timed between polls: its first observed
		// start is the plan.
		first := rec.Versions[0]
		x.Planned, x.PlannedEnd = first.Start, first.End
	}
	cancelled := o.Excluded || o.Status == calendar.StatusCancelled || declined(o.Event, pair)
	if rec != nil && !rec.DeletedAt.IsZero() && !o.Event.IsRecurring() && rec.DeletedAt.Before(x.PlannedEnd) {
		cancelled = true // deleted before it was over: it did not happen
	}
	switch {
	case cancelled:
		x.Fate, x.Start, x.End = FateSkipped, time.Time{}, time.Time{}
		return x
	case x.End.After(in.Now):
		x.Fate = FateUpcoming
		return x
	}
	x.Moved = !x.Start.Equal(x.Planned)
	x.Shortened = shorter(x.End.Sub(x.Start), x.PlannedEnd.Sub(x.Planned), set.ShortenedRatio)
	if x.Moved {
		if at := changedAt(rec, x.Start); !at.IsZero() {
			x.Late = x.Planned.Sub(at) < set.LateNotice
		}
	}
	switch {
	case x.Moved:
		x.Fate = FateMoved
	case x.Shortened:
		x.Fate = FateShortened
	default:
		x.Fate = FateHeld
	}
	return x
}

func shorter(actual, planned time.Duration, ratio float64) bool {
	return planned > 0 && float64(actual) < ratio*float64(planned)
}

// declined reports whether the manager or the report declined the slot.
func declined(e *calendar.Event, pair PairKey) bool {
	for _, a := range e.Attendees {
		if (a.Email == pair.Manager || a.Email == pair.Report) && a.Status == calendar.PartStatDeclined {
			return true
		}
	}
	return false
}

// changedAt estimates when an event was moved to start: when the first
// version with that start was modified or, failing that, first observed.
func changedAt(rec *Record, start time.Time) time.Time {
	if rec == nil {
		return time.Time{}
	}
	for _, v := range rec.Versions {
		if v.Start.Equal(start) {
			return earliest(v.LastModified, v.ObservedAt)
		}
	}
	return earliest(rec.Event.LastModified, rec.ObservedAt)
}

// earliest returns the earlier of two times, ignoring zero ones: a
// provider's LAST-MODIFIED is precise but later edits bump it, while the
// time a change was observed is late by up to one poll.
func earliest(a, b time.Time) time.Time {
	switch {
	case a.IsZero():
		return b
	case b.IsZero() || a.Before(b):
		return a
	}
	return b
}

// makeUps turns a skipped slot into a moved one when a separate 1:1 of the
// pair happened between the slots around it; that 1:1 is then the slot's
// make-up, not an extra meeting. Extra 1:1s that make up for nothing are
// returned as held slots of their own.
func makeUps(planned, singles []Occurrence, now time.Time) []Occurrence {
	used := make([]bool, len(singles))
	for i := range planned {
		o := &planned[i]
		if o.Fate != FateSkipped || !o.Planned.Before(now) {
			continue
		}
		lo, hi := neighbours(planned, i)
		for j, m := range singles {
			if used[j] || !m.happened() || !m.Start.After(lo) || !m.Start.Before(hi) {
				continue
			}
			used[j] = true
			o.Fate, o.Start, o.End, o.Moved, o.MakeUp = FateMoved, m.Start, m.End, true, true
			o.HasAgenda = m.HasAgenda
			o.Shortened = shorter(m.End.Sub(m.Start), o.PlannedEnd.Sub(o.Planned), ShortenedRatio)
			break
		}
	}
	var extra []Occurrence
	for j, m := range singles {
		if !used[j] {
			extra = append(extra, m)
		}
	}
	return extra
}

// neighbours returns the planned starts of the slots before and after slot
// i of the same series, bounding when a make-up still counts for it.
func neighbours(planned []Occurrence, i int) (lo, hi time.Time) {
	uid := planned[i].UID
	lo, hi = planned[i].Planned.AddDate(0, 0, -7), planned[i].Planned.AddDate(0, 0, 14)
	for j := i - 1; j >= 0; j-- {
		if planned[j].UID == uid {
			lo = planned[j].Planned
			break
		}
	}
	for j := i + 1; j < len(planned); j++ {
		if planned[j].UID == uid {
			hi = planned[j].Planned
			break
		}
	}
	return lo, hi
}

func isAway(away map[string][]span, pair PairKey, slot span) bool {
	for _, p := range []string{pair.Manager, pair.Report} {
		for _, a := range away[p] {
			if a.overlaps(slot) {
				return true
			}
		}
	}
	return false
}

// cadence finds the intended interval of the pair's current series, and
// whether it replaced a more frequent or longer one within the window.
func (h *history) cadence(ss []*series, now time.Time, window time.Duration) {
	type rec struct {
		start    time.Time
		interval time.Duration
		duration time.Duration
	}
	var rs []rec
	for _, s := range ss {
		if s.Master == nil || !s.Master.IsRecurring() || !s.deleted.IsZero() && s.deleted.Before(now.Add(-window)) {
			continue
		}
		if iv := intendedInterval(s.Master); iv > 0 {
			rs = append(rs, rec{s.Master.Start, iv, s.Master.Duration()})
		}
	}
	if len(rs) == 0 {
		return
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].start.Before(rs[j].start) })
	cur := rs[len(rs)-1]
	h.intended, h.currentDuration = cur.interval, cur.duration
	if len(rs) > 1 && cur.start.After(now.Add(-window)) {
		prev := rs[len(rs)-2]
		h.previous, h.previousDuration = prev.interval, prev.duration
		h.durationCut = prev.duration > 0 && float64(cur.duration) < ShortenedRatio*float64(prev.duration)
	}
}

// intendedInterval is the spacing a recurring series plans: FREQ times
// INTERVAL, divided among the days it names (BYDAY=MO,TH twice a week).
func intendedInterval(master *calendar.Event) time.Duration {
	const day = 24 * time.Hour
	var best time.Duration
	for _, text := range master.Recurrence.Rules {
		r, err := calendar.ParseRule(text, master.Start)
		if err != nil {
			continue
		}
		o := r.OrigOptions
		n := max(o.Interval, 1)
		per := 1
		var base time.Duration
		switch o.Freq {
		case rrule.YEARLY:
			base = 365 * day
			per = max(len(o.Bymonth), 1)
		case rrule.MONTHLY:
			base = 30 * day
			per = max(len(o.Byweekday)+len(o.Bymonthday), 1)
		case rrule.WEEKLY:
			base = 7 * day
			per = max(len(o.Byweekday), 1)
		case rrule.DAILY:
			base = day
			if len(o.Byweekday) > 0 {
				base, per = 7*day, len(o.Byweekday)
			}
		default:
			continue // sub-daily rules are not a 1:1 cadence
		}
		iv := base * time.Duration(n) / time.Duration(per)
		if best == 0 || iv < best {
			best = iv
		}
	}
	return best
}
