package config

import (
	"fmt"
	"strings"
	"time"
)

// Weekday is a day of the week written by name: "monday" or "mon", in any
// case. Convert with time.Weekday(w).
type Weekday time.Weekday

// String returns the lower-case English name, as written in the file.
func (w Weekday) String() string { return strings.ToLower(time.Weekday(w).String()) }

// MarshalText writes the name, as String does.
func (w Weekday) MarshalText() ([]byte, error) { return []byte(w.String()), nil }

// UnmarshalText accepts a full English day name or its first three letters.
func (w *Weekday) UnmarshalText(text []byte) error {
	s := strings.ToLower(string(text))
	for d := time.Sunday; d <= time.Saturday; d++ {
		name := strings.ToLower(d.String())
		if s == name || s == name[:3] {
			*w = Weekday(d)
			return nil
		}
	}
	return fmt.Errorf("unknown weekday %q (want monday, tuesday, … sunday)", text)
}

// TimeOfDay is a wall-clock time written "HH:MM" (24-hour), held as minutes
// after midnight. It has no zone: it is read in each recipient's own zone.
type TimeOfDay int

// Hour returns the hour, 0–23.
func (t TimeOfDay) Hour() int { return int(t) / 60 }

// Minute returns the minute within the hour, 0–59.
func (t TimeOfDay) Minute() int { return int(t) % 60 }

// String formats t as "HH:MM".
func (t TimeOfDay) String() string { return fmt.Sprintf("%02d:%02d", t.Hour(), t.Minute()) }

// MarshalText writes t as String does.
func (t TimeOfDay) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText parses "HH:MM" from 00:00 to 23:59.
func (t *TimeOfDay) UnmarshalText(text []byte) error {
	v, err := time.Parse("15:04", string(text))
	if err != nil {
		return fmt.Errorf("invalid time %q (want HH:MM, e.g. 09:00)", text)
	}
	*t = TimeOfDay(v.Hour()*60 + v.Minute())
	return nil
}
