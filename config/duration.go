package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Duration is a length of time as written in the configuration: a Go
// duration ("90m", "12h", "1h30m") that may also use d (24 hours) and
// w (7 days), alone or combined ("14d", "1w2d"). Days are exactly 24 hours:
// the durations configured here (windows, cooldowns, gaps) span weeks of
// meetings, where a daylight-saving hour does not matter.
//
// Convert with time.Duration(d) where a time.Duration is needed.
type Duration time.Duration

const (
	day  = 24 * time.Hour
	week = 7 * day
)

// ParseDuration parses s as a Duration. Negative durations are rejected:
// nothing in Rapport's configuration counts backwards.
func ParseDuration(s string) (Duration, error) {
	d, err := parseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("config: %w", err)
	}
	return d, nil
}

// parseDuration is ParseDuration without the package prefix, so that the
// message reads well after a key path.
func parseDuration(s string) (Duration, error) {
	invalid := fmt.Errorf("invalid duration %q (use h, d or w, e.g. 14d)", s)
	if strings.HasPrefix(s, "-") {
		return 0, fmt.Errorf("invalid duration %q: must not be negative", s)
	}
	if s == "0" {
		return 0, nil
	}
	if s == "" {
		return 0, invalid
	}
	var total time.Duration
	for rest := s; rest != ""; {
		i := 0
		for i < len(rest) && (isDigit(rest[i]) || rest[i] == '.') {
			i++
		}
		j := i
		for j < len(rest) && !isDigit(rest[j]) && rest[j] != '.' {
			j++
		}
		num, unit := rest[:i], rest[i:j]
		rest = rest[j:]
		if num == "" || unit == "" {
			return 0, invalid
		}
		var part time.Duration
		switch unit {
		case "d", "w":
			// Whole days and weeks only: "1.5d" is better written 36h,
			// and integer arithmetic cannot round.
			n, err := strconv.ParseInt(num, 10, 64)
			if err != nil {
				return 0, invalid
			}
			per := day
			if unit == "w" {
				per = week
			}
			if n > math.MaxInt64/int64(per) {
				return 0, fmt.Errorf("invalid duration %q: too long", s)
			}
			part = time.Duration(n) * per
		default:
			p, err := time.ParseDuration(num + unit)
			if err != nil {
				return 0, invalid
			}
			part = p
		}
		if total > math.MaxInt64-part {
			return 0, fmt.Errorf("invalid duration %q: too long", s)
		}
		total += part
	}
	return Duration(total), nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// String formats d the way a person writes it in the file: whole days as
// "d" (so a 12-week window reads "84d", not "2016h0m0s"), then hours,
// minutes and what is left.
func (d Duration) String() string {
	v := time.Duration(d)
	if v == 0 {
		return "0s"
	}
	if v < 0 {
		// Never produced by parsing; printed plainly rather than wrongly.
		return v.String()
	}
	var b strings.Builder
	for _, u := range []struct {
		size time.Duration
		name string
	}{{day, "d"}, {time.Hour, "h"}, {time.Minute, "m"}} {
		if n := v / u.size; n > 0 {
			fmt.Fprintf(&b, "%d%s", n, u.name)
			v -= n * u.size
		}
	}
	if v > 0 {
		b.WriteString(v.String())
	}
	return b.String()
}

// MarshalText writes d as String does, so that JSON and YAML output use the
// same notation as the configuration file.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText parses text as ParseDuration does.
func (d *Duration) UnmarshalText(text []byte) error {
	v, err := parseDuration(string(text))
	if err != nil {
		return err
	}
	*d = v
	return nil
}
