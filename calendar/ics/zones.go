package ics

import (
	"fmt"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"github.com/rapport-dev/rapport/calendar"
)

// zones resolves the TZIDs of one VCALENDAR: known names (IANA, Windows,
// prefixed) through calendar.LookupZone, which knows their full history,
// and other names by the calendar's own VTIMEZONE definition.
type zones struct {
	def   *time.Location // floating times, and all-day dates
	wr    bool           // def came from X-WR-TIMEZONE
	defs  map[string]*ical.Component
	cache map[string]*time.Location
	errs  map[string]error
}

func newZones(cal *ical.Component, def *time.Location) *zones {
	if def == nil {
		def = time.UTC
	}
	z := &zones{def: def, defs: map[string]*ical.Component{}, cache: map[string]*time.Location{}, errs: map[string]error{}}
	for _, c := range cal.Children {
		if c.Name == ical.CompTimezone {
			if p := c.Props.Get(ical.PropTimezoneID); p != nil {
				z.defs[p.Value] = c
			}
		}
	}
	return z
}

func (z *zones) resolve(tzid string) (*time.Location, error) {
	if loc, ok := z.cache[tzid]; ok {
		return loc, nil
	}
	if err, ok := z.errs[tzid]; ok {
		return nil, err
	}
	var defErr error
	loc, err := calendar.ResolveZone(tzid, func(name string) *time.Location {
		def, ok := z.defs[name]
		if !ok {
			return nil
		}
		loc, err := fromDefinition(name, def)
		if err != nil {
			defErr = err
			return nil
		}
		return loc
	})
	if err != nil && defErr != nil {
		err = defErr // the calendar defines the zone, but badly: say so
	}
	if err != nil {
		z.errs[tzid] = err
		return nil, err
	}
	z.cache[tzid] = loc
	return loc, nil
}

// fromDefinition builds a zone from a VTIMEZONE's STANDARD and DAYLIGHT
// observances.
func fromDefinition(tzid string, c *ical.Component) (*time.Location, error) {
	var obs []calendar.Observance
	for _, sub := range c.Children {
		if sub.Name != "STANDARD" && sub.Name != "DAYLIGHT" {
			continue
		}
		o := calendar.Observance{DST: sub.Name == "DAYLIGHT", Name: text(sub, "TZNAME"), RRule: text(sub, ical.PropRecurrenceRule)}
		var err error
		if o.OffsetFrom, err = parseOffset(text(sub, "TZOFFSETFROM")); err != nil {
			return nil, fmt.Errorf("ics: VTIMEZONE %q TZOFFSETFROM: %w", tzid, err)
		}
		if o.OffsetTo, err = parseOffset(text(sub, "TZOFFSETTO")); err != nil {
			return nil, fmt.Errorf("ics: VTIMEZONE %q TZOFFSETTO: %w", tzid, err)
		}
		start := text(sub, ical.PropDateTimeStart)
		if o.Start, err = localTime(start); err != nil {
			return nil, fmt.Errorf("ics: VTIMEZONE %q DTSTART: %w", tzid, err)
		}
		if strings.HasSuffix(strings.ToUpper(strings.TrimSpace(start)), "Z") {
			// Observances want local wall-clock time before the change.
			o.Start = o.Start.Add(time.Duration(o.OffsetFrom) * time.Second)
		}
		for _, p := range sub.Props.Values(ical.PropRecurrenceDates) {
			for _, v := range strings.Split(p.Value, ",") {
				v = strings.TrimSpace(v)
				if s, _, ok := strings.Cut(v, "/"); ok {
					v = s
				}
				t, err := localTime(v)
				if err != nil {
					return nil, fmt.Errorf("ics: VTIMEZONE %q RDATE: %w", tzid, err)
				}
				if len(v) == 8 {
					// A DATE onset happens at DTSTART's time of day.
					h, m, sec := o.Start.Clock()
					t = t.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(sec)*time.Second)
				}
				if strings.HasSuffix(strings.ToUpper(v), "Z") {
					// A UTC RDATE is an instant; observances want local
					// wall-clock time before the change.
					t = t.Add(time.Duration(o.OffsetFrom) * time.Second)
				}
				o.RDates = append(o.RDates, t)
			}
		}
		obs = append(obs, o)
	}
	return calendar.ZoneFromObservances(tzid, obs)
}

// localTime parses a DATE or DATE-TIME as wall-clock time carried in UTC.
func localTime(v string) (time.Time, error) {
	v = strings.TrimSuffix(strings.ToUpper(strings.TrimSpace(v)), "Z")
	if len(v) == 8 {
		return time.Parse("20060102", v)
	}
	return time.Parse("20060102T150405", v)
}

// parseOffset parses a UTC-OFFSET such as "+0100", "-0530" or "+013045".
func parseOffset(v string) (int, error) {
	v = strings.TrimSpace(v)
	if len(v) != 5 && len(v) != 7 || (v[0] != '+' && v[0] != '-') {
		return 0, fmt.Errorf("%q is not a UTC offset", clip(v, 20))
	}
	n := 0
	for i, part := range []string{v[1:3], v[3:5], v[5:]} {
		if part == "" {
			continue
		}
		x := 0
		for _, r := range part {
			if r < '0' || r > '9' {
				return 0, fmt.Errorf("%q is not a UTC offset", v)
			}
			x = x*10 + int(r-'0')
		}
		n += x * []int{3600, 60, 1}[i]
	}
	if v[0] == '-' {
		n = -n
	}
	return n, nil
}
