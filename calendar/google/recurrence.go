package google

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rapport-dev/rapport/calendar"
	"github.com/rapport-dev/rapport/calendar/ics"
)

// maxRecurrenceLines and maxRecurrenceValues bound what one event's
// recurrence field may make us parse; Google itself caps series far lower.
const (
	maxRecurrenceLines  = 100
	maxRecurrenceValues = 5000
)

// propError is a problem with one property of an event, so that the
// ObjectError reported for it can name the property.
type propError struct {
	prop string
	err  error
}

func (e *propError) Error() string { return e.prop + ": " + e.err.Error() }
func (e *propError) Unwrap() error { return e.err }

// ParseRecurrence reads the `recurrence` field of a Google series master:
// RFC 5545 content lines such as
//
//	RRULE:FREQ=WEEKLY;BYDAY=MO
//	EXDATE;TZID=Europe/Berlin:20260302T100000,20260309T100000
//	RDATE;VALUE=DATE:20260401
//
// for a series whose first instance starts at start, in the series' zone
// (start.Location(), Google's start.timeZone). The result is the model the
// one recurrence engine expands (calendar.Series.Expand), so Google series
// recur exactly as iCalendar ones do.
//
// TZIDs are resolved with calendar.LookupZone; values without a zone are
// wall-clock times in the series' zone, as Google reads them; VALUE=DATE
// values are that day's midnight in the series' zone. Rules are checked with
// calendar.ParseRule so that a malformed one is reported once, here. EXRULE
// is refused rather than ignored: skipping it would invent meetings. An
// error names the property at fault (e.g. "EXDATE: ..."). Empty input gives
// a nil Recurrence.
func ParseRecurrence(lines []string, start time.Time) (*calendar.Recurrence, error) {
	if len(lines) > maxRecurrenceLines {
		return nil, fmt.Errorf("google: recurrence: %d lines, more than the %d allowed", len(lines), maxRecurrenceLines)
	}
	rec := &calendar.Recurrence{}
	seen := map[string]bool{}
	values := 0
	for _, line := range lines {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		name, params, value, err := contentLine(line)
		if err != nil {
			return nil, &propError{"recurrence", err}
		}
		switch name {
		case "RRULE":
			if seen[value] {
				continue // the same rule twice is one rule
			}
			seen[value] = true
			if _, err := calendar.ParseRule(value, start); err != nil {
				return nil, &propError{"RRULE", err}
			}
			rec.Rules = append(rec.Rules, value)
		case "RDATE", "EXDATE":
			vs, err := dateList(name, params, value, start.Location())
			if err != nil {
				return nil, &propError{name, err}
			}
			if values += len(vs); values > maxRecurrenceValues {
				return nil, &propError{name, fmt.Errorf("more than %d dates", maxRecurrenceValues)}
			}
			for _, v := range vs {
				switch {
				case name == "RDATE":
					rec.RDates = append(rec.RDates, v.Period)
				case v.date:
					rec.ExDateDates = append(rec.ExDateDates, v.Start)
				default:
					rec.ExDates = append(rec.ExDates, v.Start)
				}
			}
		case "EXRULE":
			return nil, &propError{"EXRULE", errors.New("not supported (RFC 5545 removed it); the series cannot be expanded faithfully")}
		default:
			return nil, &propError{"recurrence", fmt.Errorf("unknown line %q", clip(name, 40))}
		}
	}
	if len(rec.Rules) == 0 && len(rec.RDates) == 0 && len(rec.ExDates) == 0 && len(rec.ExDateDates) == 0 {
		return nil, nil
	}
	return rec, nil
}

// contentLine splits "NAME;P1=V1;P2=\"V:2\":VALUE" into its parts. Names and
// parameter names are upper-cased; the value is kept as written.
func contentLine(line string) (name string, params map[string]string, value string, err error) {
	// The value starts after the first colon outside double quotes.
	colon, quoted := -1, false
	for i := 0; i < len(line) && colon < 0; i++ {
		switch line[i] {
		case '"':
			quoted = !quoted
		case ':':
			if !quoted {
				colon = i
			}
		}
	}
	if colon < 0 {
		return "", nil, "", fmt.Errorf("%q is not a content line (NAME:VALUE)", clip(line, 60))
	}
	head, value := line[:colon], strings.TrimSpace(line[colon+1:])
	parts := strings.Split(head, ";")
	name = strings.ToUpper(strings.TrimSpace(parts[0]))
	params = map[string]string{}
	for _, p := range parts[1:] {
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			return "", nil, "", fmt.Errorf("%s: parameter %q has no value", name, clip(p, 40))
		}
		params[strings.ToUpper(strings.TrimSpace(k))] = strings.Trim(strings.TrimSpace(v), `"`)
	}
	if value == "" {
		return "", nil, "", fmt.Errorf("%s: empty value", name)
	}
	return name, params, value, nil
}

type dateValue struct {
	calendar.Period
	date bool
}

// dateList reads the comma-separated values of an RDATE or EXDATE.
func dateList(name string, params map[string]string, value string, series *time.Location) ([]dateValue, error) {
	loc := series
	if tzid := params["TZID"]; tzid != "" {
		l, err := calendar.LookupZone(tzid)
		if err != nil {
			return nil, err
		}
		loc = l
	}
	kind := strings.ToUpper(params["VALUE"])
	switch kind {
	case "", "DATE-TIME", "DATE":
	case "PERIOD":
		if name != "RDATE" {
			return nil, errors.New("VALUE=PERIOD is allowed on RDATE only")
		}
	default:
		return nil, fmt.Errorf("VALUE=%s is not DATE, DATE-TIME or PERIOD", clip(kind, 20))
	}
	var out []dateValue
	for _, v := range strings.Split(value, ",") {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		if s, e, ok := strings.Cut(v, "/"); ok {
			if name != "RDATE" {
				return nil, fmt.Errorf("%q: a period is allowed on RDATE only", clip(v, 40))
			}
			st, date, err := dateTime(s, loc, series)
			if err != nil || date {
				return nil, fmt.Errorf("%q is not a PERIOD", clip(v, 40))
			}
			var end time.Time
			if strings.HasPrefix(e, "P") || strings.HasPrefix(e, "+P") {
				d, err := ics.ParseDuration(e)
				if err != nil {
					return nil, fmt.Errorf("%q: %w", clip(v, 40), err)
				}
				end = d.AddTo(st)
			} else if end, date, err = dateTime(e, loc, series); err != nil || date {
				return nil, fmt.Errorf("%q is not a PERIOD", clip(v, 40))
			}
			out = append(out, dateValue{calendar.Period{Start: st, End: end}, false})
			continue
		}
		t, date, err := dateTime(v, loc, series)
		if err != nil {
			return nil, err
		}
		if kind == "DATE" && !date {
			return nil, fmt.Errorf("%q is not a DATE", clip(v, 40))
		}
		out = append(out, dateValue{calendar.Period{Start: t}, date})
	}
	return out, nil
}

// dateTime reads a DATE (midnight in the series' zone), a UTC DATE-TIME, or
// a local DATE-TIME in loc.
func dateTime(v string, loc, series *time.Location) (time.Time, bool, error) {
	switch {
	case len(v) == 8:
		t, err := time.ParseInLocation("20060102", v, series)
		if err != nil {
			return time.Time{}, false, fmt.Errorf("%q is not a DATE", clip(v, 40))
		}
		return t, true, nil
	case len(v) == 16 && (v[15] == 'Z' || v[15] == 'z'):
		t, err := time.Parse("20060102T150405", v[:15])
		if err != nil {
			return time.Time{}, false, fmt.Errorf("%q is not a DATE-TIME", clip(v, 40))
		}
		return t, false, nil
	case len(v) == 15:
		t, err := time.ParseInLocation("20060102T150405", v, loc)
		if err != nil {
			return time.Time{}, false, fmt.Errorf("%q is not a DATE-TIME", clip(v, 40))
		}
		return t, false, nil
	}
	return time.Time{}, false, fmt.Errorf("%q is not a DATE or DATE-TIME", clip(v, 40))
}
