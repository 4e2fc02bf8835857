package calendar

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// DefaultMaxInstances bounds the instances one series may generate, counted
// from its DTSTART up to the end of the window. A weekly 1:1 running for 20
// years has about a thousand; FREQ=SECONDLY without an end has unbounded.
const DefaultMaxInstances = 50_000

// ErrTooManyInstances is returned for a series that generates more instances
// than the limit allows.
var ErrTooManyInstances = errors.New("too many instances")

// Series is one recurring event with its overrides, or one single event.
type Series struct {
	UID string
	// Master is the series master or the single event. It is nil when only
	// overrides are known, as when someone is invited to single instances.
	Master *Event
	// Overrides replace single instances, ordered by RecurrenceID.
	Overrides []*Event
}

// GroupSeries groups events into series by UID, in order of first
// appearance. Of duplicated components (same UID and RecurrenceID) the one
// with the highest SEQUENCE wins, then the latest LAST-MODIFIED, then the
// last one given.
func GroupSeries(events []Event) []Series {
	index := map[string]int{}
	var out []Series
	for i := range events {
		e := &events[i]
		n, ok := index[e.UID]
		if !ok {
			n = len(out)
			index[e.UID] = n
			out = append(out, Series{UID: e.UID})
		}
		s := &out[n]
		if !e.IsOverride() {
			if s.Master == nil || newer(e, s.Master) {
				s.Master = e
			}
			continue
		}
		replaced := false
		for j, o := range s.Overrides {
			if o.RecurrenceID.Equal(e.RecurrenceID) {
				if newer(e, o) {
					s.Overrides[j] = e
				}
				replaced = true
				break
			}
		}
		if !replaced {
			s.Overrides = append(s.Overrides, e)
		}
	}
	for i := range out {
		ov := out[i].Overrides
		slices.SortStableFunc(ov, func(a, b *Event) int { return a.RecurrenceID.Compare(b.RecurrenceID) })
	}
	return out
}

// newer reports whether a supersedes b, two versions of the same component.
func newer(a, b *Event) bool {
	if a.Sequence != b.Sequence {
		return a.Sequence > b.Sequence
	}
	return !a.LastModified.Before(b.LastModified)
}

// Occurrence is one planned slot of a series and what became of it as far as
// the calendar data shows.
type Occurrence struct {
	UID string
	// RecurrenceID is the slot's planned start; zero for a single event.
	RecurrenceID time.Time
	// PlannedStart and PlannedEnd are the slot as the series planned it.
	PlannedStart time.Time
	PlannedEnd   time.Time
	// Start and End are the slot as it stands after overrides.
	Start time.Time
	End   time.Time
	// Status is the status of the event that defines the slot.
	Status Status
	// Event supplies the slot's properties: an override, or the master.
	Event *Event
	// Overridden is set when an override (its own, or a RANGE=THISANDFUTURE
	// one before it) defines the slot.
	Overridden bool
	// Excluded is set on a slot removed by EXDATE. Such slots are returned
	// only when asked for: to the analyzer a removed 1:1 is a skipped one.
	Excluded bool
}

// Moved reports whether the slot happens at another time than planned.
func (o Occurrence) Moved() bool { return !o.Start.Equal(o.PlannedStart) }

// ExpandOptions bound and shape an expansion.
type ExpandOptions struct {
	// MaxInstances caps instances generated per series; zero means
	// DefaultMaxInstances.
	MaxInstances int
	// IncludeExcluded also returns slots removed by EXDATE, marked Excluded.
	IncludeExcluded bool
}

// Expand returns the occurrences of the series whose span overlaps
// [from, to), ordered by start. A zero from means "since the series began";
// to must be set, so that no expansion is unbounded. An occurrence of zero
// length overlaps when it starts inside the window.
//
// Errors are *ObjectError values naming the series' UID and the property at
// fault; they concern this series only.
func (s Series) Expand(from, to time.Time, opt ExpandOptions) (occ []Occurrence, err error) {
	// rrule-go is third-party code fed with whatever a calendar says; should
	// it panic on some rule, that is one broken series, not a dead daemon.
	defer func() {
		if r := recover(); r != nil {
			occ, err = nil, s.errorf("RRULE", "calendar: expansion failed: %v", r)
		}
	}()
	if to.IsZero() {
		return nil, s.errorf("", "calendar: expansion needs an end")
	}
	if opt.MaxInstances <= 0 {
		opt.MaxInstances = DefaultMaxInstances
	}
	if s.Master == nil {
		return s.orphans(from, to), nil
	}
	slots, err := s.slots(from, to, opt.MaxInstances)
	if err != nil {
		return nil, err
	}
	return s.apply(slots, from, to, opt), nil
}

func (s Series) errorf(prop, format string, args ...any) error {
	return &ObjectError{Object: s.UID, Property: prop, Err: fmt.Errorf(format, args...)}
}

// slot is a planned instance before overrides are applied.
type slot struct {
	start time.Time
	dur   time.Duration
}

// slots generates the planned instances of the master that may overlap
// [from, to): DTSTART, every RRULE and every RDATE, less nothing (EXDATEs
// and overrides are applied later).
func (s Series) slots(from, to time.Time, limit int) ([]slot, error) {
	m := s.Master
	dur := m.Duration()
	// A RANGE=THISANDFUTURE override shifts later slots, so slots up to that
	// shift outside the window may still land in it.
	var margin time.Duration
	for _, o := range s.Overrides {
		if o.ThisAndFuture {
			margin = max(margin, o.Start.Sub(o.RecurrenceID).Abs()+o.Duration())
		}
	}
	lo, hi := from.Add(-margin), to.Add(margin)
	var out []slot
	add := func(t time.Time, d time.Duration) {
		if t.Before(hi) && (from.IsZero() || !t.Add(d).Before(lo)) {
			out = append(out, slot{t, d})
		}
	}
	rec := m.Recurrence
	if rec.Empty() {
		add(m.Start, dur)
		return out, nil
	}
	dtstartIncluded := false
	generated := 0
	for _, value := range rec.Rules {
		r, err := parseRule(value, m.Start)
		if err != nil {
			return nil, s.errorf("RRULE", "%w", err)
		}
		if m.AllDay {
			r.dateOnly()
		}
		if !r.until.IsZero() && r.until.Before(m.Start) {
			// A rule that ends before it begins describes no instance, and
			// producers write it for series they have ended.
			continue
		}
		dtstartIncluded = true
		start := m.Start
		if !from.IsZero() {
			start = r.fastForward(m.Start, lo.Add(-dur))
		}
		next, err := r.iterator(start, hi)
		if err != nil {
			return nil, s.errorf("RRULE", "%w", err)
		}
		for t, ok := next(); ok; t, ok = next() {
			if generated++; generated > limit {
				return nil, s.errorf("RRULE", "%w: more than %d before %s", ErrTooManyInstances, limit, hi.Format(time.RFC3339))
			}
			if !t.Before(hi) {
				break
			}
			add(t, dur)
		}
	}
	if len(rec.Rules) == 0 {
		dtstartIncluded = true
	}
	if dtstartIncluded {
		// RFC 5545 counts DTSTART as the first instance even when the rule
		// would not generate it.
		add(m.Start, dur)
	}
	for _, p := range rec.RDates {
		d := dur
		if !p.End.IsZero() {
			d = p.End.Sub(p.Start)
		}
		add(p.Start, d)
	}
	slices.SortStableFunc(out, func(a, b slot) int { return a.start.Compare(b.start) })
	// Drop duplicates: an RDATE equal to a rule instance is one instance.
	uniq := out[:0]
	for i, sl := range out {
		if i > 0 && sl.start.Equal(uniq[len(uniq)-1].start) {
			continue
		}
		uniq = append(uniq, sl)
	}
	return uniq, nil
}

// apply turns planned slots into occurrences: it removes EXDATEs, applies
// overrides (single and RANGE=THISANDFUTURE), adds overrides whose planned
// slot lies outside the window or the rule, and keeps what overlaps
// [from, to).
func (s Series) apply(slots []slot, from, to time.Time, opt ExpandOptions) []Occurrence {
	m := s.Master
	loc := m.Start.Location()
	used := make([]bool, len(s.Overrides))
	var ranges []*Event // THISANDFUTURE overrides, ordered by RecurrenceID
	for _, o := range s.Overrides {
		if o.ThisAndFuture {
			ranges = append(ranges, o)
		}
	}
	match := s.matchOverrides(slots, loc, used)
	out := make([]Occurrence, 0, len(slots))
	for k, sl := range slots {
		occ := Occurrence{
			UID: s.UID, RecurrenceID: sl.start,
			PlannedStart: sl.start, PlannedEnd: sl.start.Add(sl.dur),
			Start: sl.start, End: sl.start.Add(sl.dur),
			Status: m.Status, Event: m,
		}
		if m.Recurrence.Empty() {
			occ.RecurrenceID = time.Time{}
		}
		if i := match[k]; i >= 0 {
			o := s.Overrides[i]
			occ.Start, occ.End, occ.Status, occ.Event, occ.Overridden = o.Start, o.End, o.Status, o, true
		} else if r := rangeFor(ranges, sl.start); r != nil {
			shift := r.Start.Sub(r.RecurrenceID)
			occ.Start = sl.start.Add(shift)
			occ.End = occ.Start.Add(r.Duration())
			occ.Status, occ.Event, occ.Overridden = r.Status, r, true
		}
		if excluded(m.Recurrence, sl.start, loc) {
			if !opt.IncludeExcluded {
				continue
			}
			occ.Excluded = true
		}
		if overlaps(occ.Start, occ.End, from, to) || occ.Excluded && overlaps(occ.PlannedStart, occ.PlannedEnd, from, to) {
			out = append(out, occ)
		}
	}
	// Overrides not matched to a generated slot: their planned slot lies
	// outside the window (moved into it) or outside the rule altogether
	// (left over from an earlier version of the series). They still happen.
	for i, o := range s.Overrides {
		if used[i] || !overlaps(o.Start, o.End, from, to) {
			continue
		}
		if excluded(m.Recurrence, o.RecurrenceID, loc) {
			continue
		}
		out = append(out, overrideOccurrence(s.UID, o, m.Duration()))
	}
	sortOccurrences(out)
	return out
}

// orphans are the occurrences of overrides whose master is unknown.
func (s Series) orphans(from, to time.Time) []Occurrence {
	var out []Occurrence
	for _, o := range s.Overrides {
		if overlaps(o.Start, o.End, from, to) {
			out = append(out, overrideOccurrence(s.UID, o, o.Duration()))
		}
	}
	sortOccurrences(out)
	return out
}

func overrideOccurrence(uid string, o *Event, planned time.Duration) Occurrence {
	return Occurrence{
		UID: uid, RecurrenceID: o.RecurrenceID,
		PlannedStart: o.RecurrenceID, PlannedEnd: o.RecurrenceID.Add(planned),
		Start: o.Start, End: o.End, Status: o.Status, Event: o, Overridden: true,
	}
}

func sortOccurrences(occ []Occurrence) {
	slices.SortStableFunc(occ, func(a, b Occurrence) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return a.PlannedStart.Compare(b.PlannedStart)
	})
}

// matchOverrides pairs slots with the overrides that replace them, marking
// those used; match[k] is the override of slot k, or -1. The exact instant
// is the rule, tried first for every slot; producers that write the
// RECURRENCE-ID in another form than DTSTART (floating against zoned, a DATE
// against a DATE-TIME) are then matched by wall-clock time, then by day.
func (s Series) matchOverrides(slots []slot, loc *time.Location, used []bool) []int {
	match := make([]int, len(slots))
	for k := range match {
		match[k] = -1
	}
	if len(s.Overrides) == 0 {
		return match
	}
	exact := make(map[int64]int, len(s.Overrides))
	for i, o := range s.Overrides {
		exact[o.RecurrenceID.UnixNano()] = i
	}
	left := len(s.Overrides)
	for k, sl := range slots {
		if i, ok := exact[sl.start.UnixNano()]; ok && !used[i] {
			match[k], used[i] = i, true
			left--
		}
	}
	// Only an override planned within a day of the expanded slots can be a
	// differently written RECURRENCE-ID of one of them; the others (planned
	// outside the window) are not worth comparing wall clocks for.
	var near []int
	if left > 0 && len(slots) > 0 {
		lo, hi := slots[0].start.Add(-26*time.Hour), slots[len(slots)-1].start.Add(26*time.Hour)
		for i, o := range s.Overrides {
			if !used[i] && !o.RecurrenceID.Before(lo) && !o.RecurrenceID.After(hi) {
				near = append(near, i)
			}
		}
	}
	left = len(near)
	fallbacks := []func(r, local time.Time) bool{
		sameWallClock,
		func(r, local time.Time) bool { return isMidnight(r) && sameDay(r, local) },
	}
	for _, same := range fallbacks {
		for k := 0; k < len(slots) && left > 0; k++ {
			if match[k] >= 0 {
				continue
			}
			local := slots[k].start.In(loc)
			for _, i := range near {
				if !used[i] && same(s.Overrides[i].RecurrenceID, local) {
					match[k], used[i] = i, true
					left--
					break
				}
			}
		}
	}
	return match
}

func isMidnight(t time.Time) bool { return t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 }

func sameWallClock(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd && a.Hour() == b.Hour() && a.Minute() == b.Minute() && a.Second() == b.Second()
}

func sameDay(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}

// rangeFor returns the latest RANGE=THISANDFUTURE override at or before t.
func rangeFor(ranges []*Event, t time.Time) *Event {
	var r *Event
	for _, o := range ranges {
		if o.RecurrenceID.After(t) {
			break
		}
		r = o
	}
	return r
}

// excluded reports whether an EXDATE removes the slot starting at t.
func excluded(rec *Recurrence, t time.Time, loc *time.Location) bool {
	if rec == nil {
		return false
	}
	for _, x := range rec.ExDates {
		if x.Equal(t) {
			return true
		}
	}
	// A DATE names a calendar day, not an instant: compare it as written,
	// whatever zone the decoder placed its midnight in. Converting it to the
	// master's zone first would move a UTC midnight to the day before in
	// any zone west of Greenwich.
	local := t.In(loc)
	for _, d := range rec.ExDateDates {
		if sameDay(d, local) {
			return true
		}
	}
	return false
}

// overlaps reports whether [start, end) overlaps [from, to); an empty span
// overlaps when it starts inside the window. A zero from is unbounded.
func overlaps(start, end, from, to time.Time) bool {
	if !start.Before(to) {
		return false
	}
	if from.IsZero() {
		return true
	}
	if end.After(start) {
		return end.After(from)
	}
	return !start.Before(from)
}
