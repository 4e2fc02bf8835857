package ics

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Duration is an RFC 5545 DURATION. Days and weeks are nominal (a day is a
// calendar day, 23 or 25 hours across a DST change); hours, minutes and
// seconds are exact (§3.3.6).
type Duration struct {
	Days  int
	Exact time.Duration
}

// ParseDuration parses a value such as "PT1H30M", "P1D", "-P1W" or "P1DT2H".
func ParseDuration(s string) (Duration, error) {
	v := strings.ToUpper(strings.TrimSpace(s))
	neg := false
	switch {
	case strings.HasPrefix(v, "-"):
		neg, v = true, v[1:]
	case strings.HasPrefix(v, "+"):
		v = v[1:]
	}
	if !strings.HasPrefix(v, "P") || len(v) < 3 {
		return Duration{}, fmt.Errorf("%q is not a DURATION", clip(s, 40))
	}
	var d Duration
	inTime, num, units := false, "", 0
	for _, r := range v[1:] {
		switch {
		case r >= '0' && r <= '9':
			num += string(r)
			continue
		case r == 'T' && !inTime && num == "":
			inTime = true
			continue
		}
		n, err := strconv.Atoi(num)
		if err != nil || len(num) > 9 {
			return Duration{}, fmt.Errorf("%q is not a DURATION", clip(s, 40))
		}
		num = ""
		units++
		switch {
		case r == 'W' && !inTime:
			d.Days += 7 * n
		case r == 'D' && !inTime:
			d.Days += n
		case r == 'H' && inTime:
			d.Exact += time.Duration(n) * time.Hour
		case r == 'M' && inTime:
			d.Exact += time.Duration(n) * time.Minute
		case r == 'S' && inTime:
			d.Exact += time.Duration(n) * time.Second
		default:
			return Duration{}, fmt.Errorf("%q is not a DURATION", clip(s, 40))
		}
	}
	if num != "" || units == 0 {
		return Duration{}, fmt.Errorf("%q is not a DURATION", clip(s, 40))
	}
	if neg {
		d.Days, d.Exact = -d.Days, -d.Exact
	}
	return d, nil
}

// AddTo returns t plus the duration, counting days on t's calendar.
func (d Duration) AddTo(t time.Time) time.Time {
	return t.AddDate(0, 0, d.Days).Add(d.Exact)
}
