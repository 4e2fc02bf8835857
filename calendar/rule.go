package calendar

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/teambition/rrule-go"
)

// errRule marks a malformed RRULE; ParseRule's errors wrap it.
var errRule = errors.New("invalid RRULE")

// rule is one parsed RRULE, ready to iterate from a series' DTSTART.
type rule struct {
	opt rrule.ROption
	// until is the rule's inclusive end, already resolved against the
	// series' zone; zero when the rule has none.
	until time.Time
}

// ParseRule parses an RRULE value (RFC 5545 §3.3.10) for a series starting
// at dtstart. It is strict about what it does not understand, because a
// silently misread rule would invent or hide 1:1s: unknown parts (a
// misspelled "UNTL"), bad numbers and unsupported calendar scales are errors.
// It is lenient where real producers are known to deviate harmlessly: spaces,
// lower case, an "RRULE:" prefix, a trailing ";", duplicated parts with the
// same value, and a negative COUNT (Confluence writes COUNT=-1 for "no end").
func ParseRule(value string, dtstart time.Time) (*rrule.RRule, error) {
	r, err := parseRule(value, dtstart)
	if err != nil {
		return nil, err
	}
	return r.build(dtstart, time.Time{})
}

func parseRule(value string, dtstart time.Time) (rule, error) {
	var r rule
	v := strings.TrimSpace(value)
	if len(v) >= 6 && strings.EqualFold(v[:6], "RRULE:") {
		v = v[6:]
	}
	seen := map[string]string{}
	for _, part := range strings.Split(v, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		key, val, ok := strings.Cut(part, "=")
		key = strings.ToUpper(strings.TrimSpace(key))
		val = strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(val), " ", ""))
		if !ok || val == "" {
			return r, fmt.Errorf("%w: part %q has no value", errRule, part)
		}
		if prev, dup := seen[key]; dup {
			if prev == val {
				continue
			}
			return r, fmt.Errorf("%w: %s given twice (%s and %s)", errRule, key, prev, val)
		}
		seen[key] = val
		if err := r.set(key, val, dtstart); err != nil {
			return r, fmt.Errorf("%w: %s=%s: %v", errRule, key, val, err)
		}
	}
	if _, ok := seen["FREQ"]; !ok {
		return r, fmt.Errorf("%w: FREQ is missing", errRule)
	}
	// A negative COUNT was dropped as "no end" above, so it does not clash
	// with an UNTIL (Confluence writes "UNTIL=20240331;COUNT=-1").
	if r.opt.Count > 0 && !r.until.IsZero() {
		return r, fmt.Errorf("%w: COUNT and UNTIL must not both be given", errRule)
	}
	r.weekFromStart(dtstart)
	r.monthFromStart(dtstart)
	return r, nil
}

// monthFromStart completes a yearly rule that names days of the month but
// no month: "FREQ=YEARLY;BYMONTHDAY=29" from 29 February recurs on
// 29 February, the month coming from DTSTART as RFC 5545 takes what a rule
// does not say, and as libical and ical.js read it. rrule-go (after
// python-dateutil) would recur on the 29th of every month, turning a yearly
// event into a monthly one.
func (r *rule) monthFromStart(dtstart time.Time) {
	o := &r.opt
	if o.Freq == rrule.YEARLY && len(o.Bymonthday) > 0 && len(o.Bymonth) == 0 &&
		len(o.Byweekday) == 0 && len(o.Byweekno) == 0 && len(o.Byyearday) == 0 {
		o.Bymonth = []int{int(dtstart.Month())}
	}
}

// weekFromStart completes a BYWEEKNO rule that names no day. RFC 5545 takes
// what a rule does not say from DTSTART, so "FREQ=YEARLY;BYWEEKNO=20" recurs
// on DTSTART's weekday of week 20, as libical and Apple's CalendarServer
// read it; rrule-go (after python-dateutil) would return all seven days.
func (r *rule) weekFromStart(dtstart time.Time) {
	o := &r.opt
	if len(o.Byweekno) > 0 && len(o.Byweekday) == 0 && len(o.Bymonthday) == 0 && len(o.Byyearday) == 0 {
		o.Byweekday = []rrule.Weekday{weekdayOf(dtstart)}
	}
}

// weekdayOf returns the rrule-go weekday of t.
func weekdayOf(t time.Time) rrule.Weekday {
	days := []rrule.Weekday{rrule.SU, rrule.MO, rrule.TU, rrule.WE, rrule.TH, rrule.FR, rrule.SA}
	return days[t.Weekday()]
}

// dateOnly drops the time-of-day parts of a rule whose DTSTART is a DATE:
// RFC 5545 forbids them there, and instances of an all-day series stay on
// whole days (libical ignores them too).
func (r *rule) dateOnly() {
	r.opt.Byhour, r.opt.Byminute, r.opt.Bysecond = nil, nil, nil
}

func (r *rule) set(key, val string, dtstart time.Time) error {
	var err error
	switch key {
	case "FREQ":
		r.opt.Freq, err = rrule.StrToFreq(val)
	case "INTERVAL":
		r.opt.Interval, err = strconv.Atoi(val)
		if err == nil && r.opt.Interval < 1 {
			err = errors.New("must be a positive number")
		}
	case "COUNT":
		r.opt.Count, err = strconv.Atoi(val)
		if err == nil && r.opt.Count == 0 {
			err = errors.New("must not be zero")
		}
		if r.opt.Count < 0 {
			r.opt.Count = 0 // "no end", as the producers that write it mean
		}
	case "UNTIL":
		r.until, err = parseUntil(val, dtstart)
	case "WKST":
		var o *rrule.ROption
		o, err = rrule.StrToROption("FREQ=WEEKLY;WKST=" + val)
		if err == nil {
			r.opt.Wkst = o.Wkst
		}
	case "BYDAY":
		var o *rrule.ROption
		o, err = rrule.StrToROption("FREQ=WEEKLY;BYDAY=" + val)
		if err == nil {
			// A day given twice counts once, as in ints.
			for _, d := range o.Byweekday {
				if !slices.Contains(r.opt.Byweekday, d) {
					r.opt.Byweekday = append(r.opt.Byweekday, d)
				}
			}
		}
	case "BYSETPOS":
		r.opt.Bysetpos, err = ints(val)
	case "BYMONTH":
		r.opt.Bymonth, err = ints(val)
	case "BYMONTHDAY":
		r.opt.Bymonthday, err = ints(val)
	case "BYYEARDAY":
		r.opt.Byyearday, err = ints(val)
	case "BYWEEKNO":
		r.opt.Byweekno, err = ints(val)
	case "BYHOUR":
		r.opt.Byhour, err = ints(val)
	case "BYMINUTE":
		r.opt.Byminute, err = ints(val)
	case "BYSECOND":
		r.opt.Bysecond, err = ints(val)
	case "RSCALE":
		// RFC 7529: only the Gregorian scale is supported.
		if val != "GREGORIAN" {
			err = errors.New("only RSCALE=GREGORIAN is supported")
		}
	case "SKIP":
		// RFC 7529: OMIT is the RFC 5545 behaviour rrule-go implements.
		if val != "OMIT" {
			err = errors.New("only SKIP=OMIT is supported")
		}
	default:
		err = errors.New("unknown rule part")
	}
	return err
}

// ints parses a BYxxx list. A value given twice counts once: rrule-go would
// generate its instances twice, and a duplicate would use up COUNT.
func ints(val string) ([]int, error) {
	var out []int
	for _, s := range strings.Split(val, ",") {
		n, err := strconv.Atoi(strings.TrimPrefix(s, "+"))
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", s)
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out, nil
}

// parseUntil resolves UNTIL against the series start: a UTC value is an
// instant, a local value is wall-clock time in the series' zone, and a DATE
// includes that whole day (RFC 5545: UNTIL is inclusive).
func parseUntil(val string, dtstart time.Time) (time.Time, error) {
	loc := dtstart.Location()
	switch {
	case len(val) == 8:
		d, err := time.ParseInLocation("20060102", val, loc)
		if err != nil {
			return time.Time{}, err
		}
		return d.AddDate(0, 0, 1).Add(-time.Second), nil
	case len(val) == 16 && val[15] == 'Z':
		return time.Parse("20060102T150405Z", val)
	case len(val) == 15:
		return time.ParseInLocation("20060102T150405", val, loc)
	}
	return time.Time{}, fmt.Errorf("%q is not a DATE or DATE-TIME", val)
}

// build makes an rrule-go rule starting at dtstart. A non-zero stop ends the
// iteration early: expansion never needs instances past its window, and an
// impossible rule (BYMONTHDAY=30;BYMONTH=2) would otherwise scan to year 9999.
func (r rule) build(dtstart, stop time.Time) (*rrule.RRule, error) {
	opt := r.opt
	opt.Dtstart = dtstart
	opt.Until = r.until
	if !stop.IsZero() && (opt.Until.IsZero() || stop.Before(opt.Until)) {
		opt.Until = stop
	}
	rr, err := rrule.NewRRule(opt)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errRule, err)
	}
	return rr, nil
}

// fastForward returns a later start for iterating the rule that yields the
// same instances from lo on, skipping whole periods before it. A daily or
// weekly 1:1 that began years ago would otherwise be iterated from its first
// instance on every expansion. Only rules whose instance set is invariant
// under a shift by whole periods qualify: DAILY and WEEKLY without COUNT
// (which counts from the real start), BYSETPOS, BYWEEKNO or BYYEARDAY. AddDate
// keeps the wall-clock time in the series' zone, so DST does not shift it.
func (r rule) fastForward(dtstart, lo time.Time) time.Time {
	o := r.opt
	if o.Count != 0 || len(o.Bysetpos) > 0 || len(o.Byweekno) > 0 || len(o.Byyearday) > 0 {
		return dtstart
	}
	days := max(o.Interval, 1)
	switch o.Freq {
	case rrule.WEEKLY:
		days *= 7
	case rrule.DAILY:
	default:
		return dtstart
	}
	// One period of slack: the instances of the period holding the new
	// start that fall before it are not generated.
	k := int(lo.Sub(dtstart)/(time.Duration(days)*24*time.Hour)) - 1
	if k <= 0 {
		return dtstart
	}
	return dtstart.AddDate(0, 0, k*days)
}

// iterator returns the rule's instances from dtstart on, in order, up to
// stop (see build).
//
// rrule-go (like python-dateutil) builds the first week of a WEEKLY rule
// from DTSTART's day rather than from the week's start (WKST), so BYSETPOS
// counts from the wrong day in that week: "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;
// BYSETPOS=1,3" from a Wednesday would give Wednesday and Friday instead of
// Wednesday alone. Such a rule is iterated from the start of DTSTART's week,
// at DTSTART's time of day, and what comes before DTSTART is dropped; COUNT
// is then applied here. The week and INTERVAL are the same, so nothing else
// changes.
func (r rule) iterator(dtstart, stop time.Time) (rrule.Next, error) {
	if r.opt.Freq != rrule.WEEKLY || len(r.opt.Bysetpos) == 0 {
		rr, err := r.build(dtstart, stop)
		if err != nil {
			return nil, err
		}
		return rr.Iterator(), nil
	}
	shifted := r
	wkst := time.Weekday((shifted.opt.Wkst.Day() + 1) % 7) // rrule-go counts from Monday
	back := (int(dtstart.Weekday()) - int(wkst) + 7) % 7
	// What the rule leaves to DTSTART must come from the real one, not from
	// the shifted start (whose time of day a DST change could even move).
	if len(r.opt.Byweekday) == 0 && len(r.opt.Bymonthday) == 0 && len(r.opt.Byyearday) == 0 && len(r.opt.Byweekno) == 0 {
		shifted.opt.Byweekday = []rrule.Weekday{weekdayOf(dtstart)}
	}
	if len(r.opt.Byhour) == 0 {
		shifted.opt.Byhour = []int{dtstart.Hour()}
	}
	if len(r.opt.Byminute) == 0 {
		shifted.opt.Byminute = []int{dtstart.Minute()}
	}
	if len(r.opt.Bysecond) == 0 {
		shifted.opt.Bysecond = []int{dtstart.Second()}
	}
	shifted.opt.Count = 0
	rr, err := shifted.build(dtstart.AddDate(0, 0, -back), stop)
	if err != nil {
		return nil, err
	}
	next, n := rr.Iterator(), 0
	return func() (time.Time, bool) {
		for {
			t, ok := next()
			if !ok || r.opt.Count > 0 && n >= r.opt.Count {
				return time.Time{}, false
			}
			if t.Before(dtstart) {
				continue
			}
			n++
			return t, true
		}
	}, nil
}
