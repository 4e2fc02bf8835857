package config

import (
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
	}{
		{"0", 0},
		{"0s", 0},
		{"90m", 90 * time.Minute},
		{"12h", 12 * time.Hour},
		{"1h30m", 90 * time.Minute},
		{"1.5h", 90 * time.Minute},
		{"500ms", 500 * time.Millisecond},
		{"14d", 14 * day},
		{"84d", 84 * day},
		{"2w", 14 * day},
		{"1w2d", 9 * day},
		{"1d12h", 36 * time.Hour},
		{"395d", 395 * day},
	} {
		got, err := ParseDuration(tc.in)
		if err != nil || time.Duration(got) != tc.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", tc.in, time.Duration(got), err, tc.want)
		}
	}
}

func TestParseDurationRejects(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", `config: invalid duration "" (use h, d or w, e.g. 14d)`},
		{"14", `config: invalid duration "14" (use h, d or w, e.g. 14d)`},
		{"2x", `config: invalid duration "2x" (use h, d or w, e.g. 14d)`},
		{"d", `config: invalid duration "d" (use h, d or w, e.g. 14d)`},
		{"1.5d", `config: invalid duration "1.5d" (use h, d or w, e.g. 14d)`},
		{"1d 2h", `config: invalid duration "1d 2h" (use h, d or w, e.g. 14d)`},
		{"+1d", `config: invalid duration "+1d" (use h, d or w, e.g. 14d)`},
		{"-1d", `config: invalid duration "-1d": must not be negative`},
		{"-0s", `config: invalid duration "-0s": must not be negative`},
		{"99999999999w", `config: invalid duration "99999999999w": too long`},
		{"15250w15250w", `config: invalid duration "15250w15250w": too long`},
	} {
		_, err := ParseDuration(tc.in)
		if err == nil || err.Error() != tc.want {
			t.Errorf("ParseDuration(%q) error %v, want %s", tc.in, err, tc.want)
		}
	}
}

func TestDurationPrintsAsWritten(t *testing.T) {
	for _, tc := range []struct {
		in   time.Duration
		want string
	}{
		{0, "0s"},
		{84 * day, "84d"},
		{14 * day, "14d"},
		{24 * time.Hour, "1d"},
		{36 * time.Hour, "1d12h"},
		{90 * time.Minute, "1h30m"},
		{5 * time.Minute, "5m"},
		{90 * time.Second, "1m30s"},
		{1500 * time.Millisecond, "1.5s"},
		{day + time.Millisecond, "1d1ms"},
	} {
		d := Duration(tc.in)
		if got := d.String(); got != tc.want {
			t.Errorf("Duration(%v).String() = %q, want %q", tc.in, got, tc.want)
		}
		back, err := ParseDuration(d.String())
		if err != nil || back != d {
			t.Errorf("ParseDuration(%q) = %v, %v; want it back", d.String(), back, err)
		}
	}
}

func TestWeekday(t *testing.T) {
	for in, want := range map[string]time.Weekday{
		"monday": time.Monday, "Mon": time.Monday, "SUNDAY": time.Sunday, "fri": time.Friday,
	} {
		var w Weekday
		if err := w.UnmarshalText([]byte(in)); err != nil || time.Weekday(w) != want {
			t.Errorf("%q: got %v, %v; want %v", in, w, err, want)
		}
	}
	for _, in := range []string{"", "mo", "1", "montag"} {
		var w Weekday
		if err := w.UnmarshalText([]byte(in)); err == nil {
			t.Errorf("%q accepted as %v", in, w)
		}
	}
	if got := Weekday(time.Wednesday).String(); got != "wednesday" {
		t.Errorf("String() = %q", got)
	}
}

func TestTimeOfDay(t *testing.T) {
	for in, want := range map[string]TimeOfDay{"09:00": 540, "9:00": 540, "00:00": 0, "23:59": 1439, "16:30": 990} {
		var got TimeOfDay
		if err := got.UnmarshalText([]byte(in)); err != nil || got != want {
			t.Errorf("%q: got %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "24:00", "12:60", "9", "09:00:00", "9am", "09.00"} {
		var got TimeOfDay
		if err := got.UnmarshalText([]byte(in)); err == nil {
			t.Errorf("%q accepted as %v", in, got)
		}
	}
	if got := TimeOfDay(9*60 + 5).String(); got != "09:05" {
		t.Errorf("String() = %q", got)
	}
}
