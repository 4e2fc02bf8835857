package calendar

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"
)

// Corpus directories, see testdata/zones/README.md.
const (
	ztICalendar = "testdata/zones/icalendar/src/icalendar/tests/calendars/"
	ztICalJS    = "testdata/zones/icaljs/samples/timezones/"
	ztLibical   = "testdata/zones/libical/test-data/zoneinfo2025c-pure/"
)

func TestLookupZoneResolvesTZIDsAsCalendarsWriteThem(t *testing.T) {
	tests := []struct {
		name, tzid, want string
	}{
		{"IANA name", "Europe/Berlin", "Europe/Berlin"},
		{"IANA name with three parts", "America/Argentina/Buenos_Aires", "America/Argentina/Buenos_Aires"},
		{"UTC", "UTC", "UTC"},
		{"Z means UTC", "Z", "UTC"},
		{"lower-case utc", "utc", "UTC"},
		{"GMT", "GMT", "GMT"},
		{"Etc zone", "Etc/GMT+5", "Etc/GMT+5"},
		{"Etc/UTC", "Etc/UTC", "Etc/UTC"},
		{"IANA name with a space for the underscore", "America/Los Angeles", "America/Los_Angeles"},
		{"IANA name in lower case", "Europe/lisbon", "Europe/Lisbon"},
		{"IANA name in lower case with particles", "america/port_of_spain", "America/Port_of_Spain"},
		{"quoted IANA name", `"Europe/Vienna"`, "Europe/Vienna"},

		{"Windows name", "W. Europe Standard Time", "Europe/Berlin"},
		{"Windows name for the US west coast", "Pacific Standard Time", "America/Los_Angeles"},
		{"Windows name in lower case", "pacific standard time", "America/Los_Angeles"},
		{"Windows name in upper case", "PACIFIC STANDARD TIME", "America/Los_Angeles"},
		{"Windows name with a stray trailing colon", "Pacific Standard Time:", "America/Los_Angeles"},
		{"quoted Windows name", `"Tokyo Standard Time"`, "Asia/Tokyo"},
		{"Windows name with extra spaces", "  W.  Europe   Standard Time ", "Europe/Berlin"},
		{"Windows name for the UK", "GMT Standard Time", "Europe/London"},
		{"Windows name for the US east coast", "Eastern Standard Time", "America/New_York"},
		{"Windows name for France", "Romance Standard Time", "Europe/Paris"},
		{"Windows name with a parenthesis", "Central Standard Time (Mexico)", "America/Mexico_City"},
		{"Windows name for India", "India Standard Time", "Asia/Calcutta"},

		{"Evolution prefix", "/freeassociation.sourceforge.net/Tzfile/Europe/London", "Europe/London"},
		{"Evolution prefix without Tzfile", "/freeassociation.sourceforge.net/Europe/Berlin", "Europe/Berlin"},
		{"Evolution prefix with a three-part name", "/freeassociation.sourceforge.net/Tzfile/America/Argentina/Buenos_Aires", "America/Argentina/Buenos_Aires"},
		{"Lightning prefix", "/mozilla.org/20070129_1/Europe/Berlin", "Europe/Berlin"},
		{"Citadel prefix", "/citadel.org/20190914_1/Europe/Berlin", "Europe/Berlin"},
		{"Citadel prefix with a one-part name", "/citadel.org/20260108_1/Zulu", "Zulu"},
		{"leading slash", "/Europe/Stockholm", "Europe/Stockholm"},
		{"posix tree", "posix/Europe/Vaduz", "Europe/Vaduz"},
		{"right tree, which would shift times by leap seconds", "right/Europe/Berlin", "Europe/Berlin"},

		{"Outlook display name", "(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna", "Europe/Berlin"},
		{"Outlook display name with a label", "(UTC-05:00) Eastern Time (US & Canada)", "America/New_York"},
		{"Outlook display name with an accent", "(UTC-03:00) Brasília", "America/Sao_Paulo"},
		{"Outlook display name at UTC", "(UTC) Dublin, Edinburgh, Lisbon, London", "Europe/London"},
		{"Outlook display name at +00:00", "(UTC+00:00) Dublin, Edinburgh, Lisbon, London", "Europe/London"},
		{"Outlook display name for India", "(UTC+05:30) Chennai, Kolkata, Mumbai, New Delhi", "Asia/Kolkata"},
		{"Outlook display name whose first places have other offsets", "(UTC-07:00) Chihuahua, La Paz, Mazatlan", "America/Mazatlan"},
		{"old Outlook display name", "(GMT+01:00) Brussels, Copenhagen, Madrid, Paris", "Europe/Paris"},
		{"Outlook display name of a place CLDR does not map", "(UTC+01:00) Amsterdam", "Europe/Amsterdam"},
		{"Outlook display name with a former name", "(UTC+06:30) Yangon (Rangoon)", "Asia/Yangon"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc, err := LookupZone(tt.tzid)
			if err != nil {
				t.Fatalf("LookupZone(%q): %v", tt.tzid, err)
			}
			if loc.String() != tt.want {
				t.Errorf("LookupZone(%q) = %s, want %s", tt.tzid, loc, tt.want)
			}
		})
	}
}

func TestLookupZoneReportsUnknownTZIDsWithErrUnknownZone(t *testing.T) {
	for _, tzid := range []string{
		"",
		"Western/Central Europe",
		"custom_America/New_York",
		"/Europe/CUSTOM",
		"Makebelieve/RDATE_as_date",
		"GMT +0100 (Standard) / GMT +0200 (Daylight)",
		"(GMT +01:00)",
		"(UTC+01:00) Atlantis",
		"UTC+11",
		"Customized Time Zone",
		"Local",
		"localtime",
		"../../../etc/passwd",
		"Europe/Berlin\x00",
		strings.Repeat("Europe/", 100) + "Nowhere",
	} {
		t.Run(tzid, func(t *testing.T) {
			loc, err := LookupZone(tzid)
			if err == nil {
				t.Fatalf("LookupZone(%q) = %s, want an error", tzid, loc)
			}
			if !errors.Is(err, ErrUnknownZone) {
				t.Errorf("error %v does not wrap ErrUnknownZone", err)
			}
			if want := `calendar: unknown time zone "`; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error %q does not start with %q", err, want)
			}
		})
	}
}

func TestLookupZoneAnswersRepeatedLookupsFromItsCache(t *testing.T) {
	a, err := LookupZone("/mozilla.org/20070129_1/America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := LookupZone("/mozilla.org/20070129_1/America/New_York")
	if a != b {
		t.Error("a repeated lookup returned another *time.Location")
	}
}

// The TZIDs of icalendar's test calendars resolve to the zones upstream
// asserts.
func TestLookupZoneResolvesTheCorpusEventsToUpstreamsZones(t *testing.T) {
	tests := []struct {
		file, uid string
		wantZone  string // empty: only the offset is asserted upstream
		wantHours float64
	}{
		{"issue_313_globally_unique_tzid.ics", "libical-evolution@issue-313", "", 2},
		{"issue_313_globally_unique_tzid.ics", "mozilla-lightning@issue-313", "", -4},
		{"issue_313_globally_unique_tzid.ics", "multipart-olson@issue-313", "America/Argentina/Buenos_Aires", -3},
		{"issue_466_convert_tzid_with_slash.ics", "", "Europe/Stockholm", 2},
		{"issue_237_fail_to_parse_timezone_with_non_ascii_tzid.ics", "", "America/Sao_Paulo", -3},
	}
	for _, tt := range tests {
		t.Run(tt.file+" "+tt.uid, func(t *testing.T) {
			cal := ztDecode(t, ztICalendar+tt.file)
			var ev *ical.Component
			for _, c := range cal.Children {
				if c.Name == ical.CompEvent && (tt.uid == "" || c.Props.Get(ical.PropUID).Value == tt.uid) {
					ev = c
					break
				}
			}
			if ev == nil {
				t.Fatalf("no VEVENT %q", tt.uid)
			}
			p := ev.Props.Get(ical.PropDateTimeStart)
			loc, err := LookupZone(p.Params.Get(ical.ParamTimezoneID))
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantZone != "" && loc.String() != tt.wantZone {
				t.Errorf("zone = %s, want %s", loc, tt.wantZone)
			}
			w, _, _ := ztWall(t, p.Value)
			if got := ztOffsets(loc, w, ztRFC5545); got != int(tt.wantHours*3600) {
				t.Errorf("UTC offset of %s = %v h, want %v h", p.Value, float64(got)/3600, tt.wantHours)
			}
		})
	}
}

// collective/icalendar test_timezoned.py: the custom Pacific/Fiji VTIMEZONE
// (RRULEs plus many RDATEs) has these 64 transitions.
func TestZoneFromObservancesReproducesTheFijiTransitions(t *testing.T) {
	loc := ztZone(t, ztICalendar+"pacific_fiji.ics", "custom_Pacific/Fiji")
	var want struct {
		Transitions []struct {
			UTC    time.Time `json:"utc"`
			Offset int       `json:"utc_offset_after_transition_s"`
			Wall   struct {
				Minus int `json:"naive_utc_value_minus_1h_as_local_offset_s"`
				Plus  int `json:"naive_utc_value_plus_1h_as_local_offset_s"`
			} `json:"wallclock_check"`
		}
	}
	raw, err := os.ReadFile("testdata/zones/icalendar/expected/pacific_fiji_transitions.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	got := ztTransitions(loc, ztDate(1800, 1, 1), ztDate(2039, 1, 1))
	if len(got) != len(want.Transitions) {
		t.Errorf("%d transitions up to 2038, want %d", len(got), len(want.Transitions))
	}
	for i, w := range want.Transitions {
		if i >= len(got) {
			break
		}
		wantAt := w.UTC
		if i == 0 {
			// Upstream's tz library rounds the LMT offset +11:55:44 to
			// whole minutes, which moves the onset 1915-10-26T00:00 local
			// to 12:04:00Z. The definition's exact offset gives 12:04:16Z.
			wantAt = wantAt.Add(16 * time.Second)
		}
		if !got[i].at.Equal(wantAt) || got[i].offset != w.Offset {
			t.Errorf("transition %d = %s → %+d s, want %s → %+d s", i, got[i].at, got[i].offset, wantAt, w.Offset)
		}
		if i == 0 {
			// Upstream's second check puts 1915-10-25 11:04 and 13:04,
			// before the first onset, at +12:00; but before its first
			// onset a zone keeps the first observance's TZOFFSETFROM,
			// the LMT +11:55:44.
			continue
		}
		// The naive UTC value ±1 h read as local wall time (upstream's
		// second check; these never straddle the transition).
		naive := w.UTC
		for _, c := range []struct {
			wall time.Time
			want int
		}{{naive.Add(-time.Hour), w.Wall.Minus}, {naive.Add(time.Hour), w.Wall.Plus}} {
			if got := ztOffsets(loc, c.wall, ztRFC5545); got != c.want {
				t.Errorf("wall time %s: offset %+d s, want %+d s", c.wall.Format("2006-01-02T15:04:05"), got, c.want)
			}
		}
	}
}

// collective/icalendar test_timezoned.py: the RFC 5545 America/New_York
// VTIMEZONE, read as a custom zone, has tzdata's transitions 1967–2037 (142
// of them), whether the VTIMEZONE comes before or after its events.
func TestZoneFromObservancesReproducesTZDataForTheRFC5545NewYorkDefinition(t *testing.T) {
	ref, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	from, to := ztDate(1967, 1, 1), ztDate(2037, 12, 31)
	want := ztTransitions(ref, from, to)
	if len(want) != 142 {
		t.Fatalf("tzdata has %d America/New_York transitions in 1967–2037, upstream counts 142", len(want))
	}
	for _, c := range []struct{ file, tzid string }{
		{"america_new_york.ics", "custom_America/New_York"},
		{"america_new_york_forward_reference.ics", "custom_America/New_York_Forward_reference"},
	} {
		t.Run(c.file, func(t *testing.T) {
			if _, err := LookupZone(c.tzid); !errors.Is(err, ErrUnknownZone) {
				t.Errorf("LookupZone(%q) = %v, want ErrUnknownZone so the definition is used", c.tzid, err)
			}
			loc := ztZone(t, ztICalendar+c.file, c.tzid)
			got := ztTransitions(loc, from, to)
			if len(got) != len(want) {
				t.Errorf("%d transitions, want %d", len(got), len(want))
			}
			for i := range min(len(got), len(want)) {
				if got[i] != want[i] {
					t.Errorf("transition %d = %v, want %v", i, got[i], want[i])
				}
			}
			name, off := time.Date(2014, 8, 29, 8, 0, 0, 0, loc).Zone()
			if name != "EDT" || off != -4*3600 {
				t.Errorf("2014-08-29 08:00 is in %s %+d s, want EDT -14400 s", name, off)
			}
		})
	}
}

// collective/icalendar test_timezoned.py: the RDATE-based posix/Europe/Vaduz
// VTIMEZONE starts with these six transitions.
func TestZoneFromObservancesReadsRDATEOnlyObservances(t *testing.T) {
	loc := ztZone(t, ztICalendar+"timezone_rdate.ics", "posix/Europe/Vaduz")
	want := []ztChange{
		// Upstream says 20:45:38: its tz library rounds the LMT offset
		// +00:29:46 to +00:30. The exact offset gives 20:45:52.
		{time.Date(1901, 12, 13, 20, 45, 52, 0, time.UTC), 3600},
		{time.Date(1941, 5, 5, 0, 0, 0, 0, time.UTC), 7200},
		{time.Date(1941, 10, 6, 0, 0, 0, 0, time.UTC), 3600},
		{time.Date(1942, 5, 4, 0, 0, 0, 0, time.UTC), 7200},
		{time.Date(1942, 10, 5, 0, 0, 0, 0, time.UTC), 3600},
		{time.Date(1981, 3, 29, 1, 0, 0, 0, time.UTC), 7200},
	}
	got := ztTransitions(loc, ztDate(1800, 1, 1), ztDate(1982, 1, 1))
	if len(got) < len(want) {
		t.Fatalf("transitions %v, want at least %v", got, want)
	}
	for i, w := range want {
		if got[i] != w {
			t.Errorf("transition %d = %v, want %v", i, got[i], w)
		}
	}
	if name, _ := time.Date(2012, 2, 13, 10, 0, 0, 0, loc).Zone(); name != "CET" {
		t.Errorf("the event's 2012-02-13 10:00 is in %s, want CET", name)
	}
}

// ical.js test/timezone_test.js: UTC offsets of local wall times in its
// sample VTIMEZONEs, tzurl.org exports and synthetic "Makebelieve" zones with
// RDATE as DATE, RDATE and DTSTART in UTC, and RRULE with a UTC UNTIL.
//
// ical.js reads a wall time that occurs twice with the standard-time offset
// and one that does not occur with the offset after the gap; rfc notes
// where RFC 5545 (first occurrence; offset before the gap) reads it
// differently. Both readings come from the same transitions.
func TestZoneFromObservancesGivesICalJSOffsetsAtTheDSTEdges(t *testing.T) {
	tests := []struct {
		file, tzid string
		wall       string
		hours      int // ical.js
		rfc        int // RFC 5545, when it differs
	}{
		{"America/Los_Angeles.ics", "America/Los_Angeles", "2012-03-11T01:59:00", -8, 0},
		{"America/Los_Angeles.ics", "America/Los_Angeles", "2012-03-11T02:00:00", -7, -8},
		{"America/New_York.ics", "America/New_York", "2012-03-11T01:59:00", -5, 0},
		{"America/New_York.ics", "America/New_York", "2012-03-11T02:00:00", -4, -5},
		{"America/Denver.ics", "America/Denver", "2012-03-11T01:59:00", -7, 0},
		{"America/Denver.ics", "America/Denver", "2012-03-11T02:00:00", -6, -7},
		{"America/Denver.ics", "America/Denver", "2004-10-31T00:59:59", -6, 0},
		{"America/Denver.ics", "America/Denver", "2004-10-31T01:00:00", -7, -6},
		{"America/Atikokan.ics", "America/Atikokan", "2012-03-11T01:59:00", -5, 0},
		{"America/Atikokan.ics", "America/Atikokan", "2012-03-11T02:00:00", -5, 0},
		{"Makebelieve/RDATE_test.ics", "Makebelieve/RDATE_as_date", "1980-01-01T00:59:00", -4, 0},
		{"Makebelieve/RDATE_test.ics", "Makebelieve/RDATE_as_date", "1980-01-01T01:00:00", -5, -4},
		{"Makebelieve/RDATE_test.ics", "Makebelieve/RDATE_as_date", "1990-01-01T00:59:00", -4, 0},
		{"Makebelieve/RDATE_test.ics", "Makebelieve/RDATE_as_date", "1990-01-01T02:00:00", -5, -4},
		{"Makebelieve/RDATE_utc_test.ics", "Makebelieve/RDATE_as_date_utc", "1980-01-01T00:59:00", -5, 0},
		{"Makebelieve/RDATE_utc_test.ics", "Makebelieve/RDATE_as_date_utc", "1980-01-01T01:00:00", -5, 0},
		{"Makebelieve/RDATE_utc_test.ics", "Makebelieve/RDATE_as_date_utc", "1990-01-01T00:59:00", -4, 0},
		{"Makebelieve/RDATE_utc_test.ics", "Makebelieve/RDATE_as_date_utc", "1990-01-01T02:00:00", -5, -4},
		{"Makebelieve/RRULE_UNTIL_test.ics", "Makebelieve/RRULE_UNTIL", "1975-01-01T01:00:00", -5, 0},
		{"Makebelieve/RRULE_UNTIL_test.ics", "Makebelieve/RRULE_UNTIL", "1975-01-01T03:00:00", -4, 0},
		{"Makebelieve/RRULE_UNTIL_test.ics", "Makebelieve/RRULE_UNTIL", "1985-01-01T03:00:00", -4, 0},
	}
	for _, tt := range tests {
		t.Run(tt.tzid+" "+tt.wall, func(t *testing.T) {
			loc := ztZone(t, ztICalJS+tt.file, tt.tzid)
			w, err := time.Parse("2006-01-02T15:04:05", tt.wall)
			if err != nil {
				t.Fatal(err)
			}
			if got := ztOffsets(loc, w, ztICalJSReading); got != tt.hours*3600 {
				t.Errorf("ical.js reading: %+d s, want %+d h", got, tt.hours)
			}
			rfc := tt.rfc
			if rfc == 0 {
				rfc = tt.hours
			}
			if got := ztOffsets(loc, w, ztRFC5545); got != rfc*3600 {
				t.Errorf("RFC 5545 reading: %+d s, want %+d h", got, rfc)
			}
		})
	}
}

// collective/icalendar issue 722: a custom zone going from +12 to +10 at
// 08:00; each event names (X-TZNAME) the observance its DTSTART is in under
// RFC 5545, which reads the repeated hour as its first occurrence.
func TestZoneFromObservancesPutsEachEventOfIssue722InItsObservance(t *testing.T) {
	cal := ztDecode(t, ztICalendar+"issue_722_timezone_transition_ambiguity.ics")
	loc := ztZone(t, ztICalendar+"issue_722_timezone_transition_ambiguity.ics", "MyTimezone")
	n := 0
	for _, ev := range cal.Children {
		if ev.Name != ical.CompEvent {
			continue
		}
		n++
		p := ev.Props.Get(ical.PropDateTimeStart)
		w, _, _ := ztWall(t, p.Value)
		off := ztOffsets(loc, w, ztRFC5545)
		name, _ := w.Add(-time.Duration(off) * time.Second).In(loc).Zone()
		if want := ev.Props.Get("X-TZNAME").Value; name != want {
			t.Errorf("%s is in %q, want %q", p.Value, name, want)
		}
	}
	if n != 4 {
		t.Errorf("%d events, want 4", n)
	}
}

// Exchange writes VTIMEZONEs whose STANDARD and DAYLIGHT both start at the
// placeholder 1601-01-01 02:00 with the current rules; read as a custom
// zone, that is tzdata's zone since the rules last changed.
func TestZoneFromObservancesReadsExchangePlaceholderDefinitions(t *testing.T) {
	tests := []struct {
		file, tzid, iana string
		since            int
	}{
		{"timezone_same_start.ics", "Pacific Standard Time", "America/Los_Angeles", 2007},
		{"timezone_same_start_and_offset.ics", "Tokyo Standard Time", "Asia/Tokyo", 1952},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			loc := ztZone(t, ztICalendar+tt.file, tt.tzid)
			ref, err := time.LoadLocation(tt.iana)
			if err != nil {
				t.Fatal(err)
			}
			ztSameOffsets(t, loc, ref, ztDate(tt.since, 1, 1), ztDate(2100, 1, 1))
		})
	}
}

// The zones libical's vzic generates with full history (tzdata 2025c) give
// Go's tzdata offsets at every transition of either, and on the first of
// every month, 1990–2030.
func TestZoneFromObservancesMatchesGoTZDataForLibicalVTIMEZONEs(t *testing.T) {
	var files []string
	err := filepath.WalkDir(ztLibical, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".ics") {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 40 {
		t.Fatalf("%d libical zones, want 40", len(files))
	}
	for _, f := range files {
		name := strings.TrimSuffix(strings.TrimPrefix(filepath.ToSlash(f), ztLibical), ".ics")
		t.Run(name, func(t *testing.T) {
			tzid, obs := ztObservances(t, f, "")
			loc, err := ZoneFromObservances(tzid, obs)
			if err != nil {
				t.Fatal(err)
			}
			if prefixed, err := LookupZone(tzid); err != nil || prefixed.String() != name {
				t.Errorf("LookupZone(%q) = %v, %v; want %s", tzid, prefixed, err, name)
			}
			ref, err := time.LoadLocation(name)
			if err != nil {
				t.Fatal(err)
			}
			ztSameOffsets(t, loc, ref, ztDate(1990, 1, 1), ztDate(2030, 12, 31))
		})
	}
}

func TestResolveZonePrefersKnownNamesAndFallsBackToTheDefinition(t *testing.T) {
	exchange := ztZone(t, ztICalendar+"timezone_same_start.ics", "Pacific Standard Time")
	custom := ztZone(t, ztICalendar+"issue_466_respect_unique_timezone.ics", "/Europe/CUSTOM")
	m := map[string]*time.Location{"Pacific Standard Time": exchange, "/Europe/CUSTOM": custom}
	defs := func(tzid string) *time.Location { return m[tzid] }

	t.Run("a known name resolves to the IANA zone with its history", func(t *testing.T) {
		loc, err := ResolveZone("Pacific Standard Time", defs)
		if err != nil || loc.String() != "America/Los_Angeles" {
			t.Errorf("ResolveZone = %v, %v; want America/Los_Angeles", loc, err)
		}
		// What the history is for: 2006 had the pre-2007 US rules, which
		// the shipped definition does not know.
		if _, off := time.Date(2006, 3, 20, 12, 0, 0, 0, loc).Zone(); off != -8*3600 {
			t.Errorf("2006-03-20 offset %+d s, want -8 h", off)
		}
	})
	t.Run("an unknown name resolves to its definition", func(t *testing.T) {
		loc, err := ResolveZone("/Europe/CUSTOM", defs)
		if err != nil || loc != custom {
			t.Fatalf("ResolveZone = %v, %v; want the definition", loc, err)
		}
		// icalendar: DTSTART 2022-10-21 20:00 is 20:00 Europe/Stockholm.
		stockholm, _ := LookupZone("/Europe/Stockholm")
		got := time.Date(2022, 10, 21, 20, 0, 0, 0, loc)
		if want := time.Date(2022, 10, 21, 20, 0, 0, 0, stockholm); !got.Equal(want) {
			t.Errorf("DTSTART = %s, want %s", got, want)
		}
	})
	t.Run("a quoted reference finds the unquoted definition", func(t *testing.T) {
		if loc, err := ResolveZone(`"/Europe/CUSTOM"`, defs); err != nil || loc != custom {
			t.Errorf("ResolveZone = %v, %v; want the definition", loc, err)
		}
	})
	t.Run("an unknown name without a definition is ErrUnknownZone", func(t *testing.T) {
		if _, err := ResolveZone("Nowhere/Middle", defs); !errors.Is(err, ErrUnknownZone) {
			t.Errorf("err = %v, want ErrUnknownZone", err)
		}
		if _, err := ResolveZone("Nowhere/Middle", nil); !errors.Is(err, ErrUnknownZone) {
			t.Errorf("err = %v, want ErrUnknownZone", err)
		}
	})
}

func TestZoneFromObservancesUsesTheFirstOffsetFromBeforeTheFirstOnset(t *testing.T) {
	loc, err := ZoneFromObservances("Test/First", []Observance{
		{Start: ztDate(2000, 3, 26).Add(2 * time.Hour), OffsetFrom: 3600, OffsetTo: 7200, DST: true, Name: "S"},
		{Start: ztDate(1990, 1, 1), OffsetFrom: 1800, OffsetTo: 3600, Name: "W"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		at   time.Time
		want int
	}{
		{ztDate(1950, 1, 1), 1800},
		{ztDate(1989, 12, 31), 1800},
		{ztDate(1995, 1, 1), 3600},
		{ztDate(2010, 1, 1), 7200},
		{ztDate(2300, 1, 1), 7200},
	} {
		if _, off := c.at.In(loc).Zone(); off != c.want {
			t.Errorf("offset at %s = %d, want %d", c.at, off, c.want)
		}
	}
	if got := loc.String(); got != "Test/First" {
		t.Errorf("name = %q", got)
	}
}

func TestZoneFromObservancesExpandsRulesUpTo2200Only(t *testing.T) {
	loc, err := ZoneFromObservances("Test/Rules", []Observance{
		{Start: time.Date(1601, 1, 1, 2, 0, 0, 0, time.UTC), OffsetFrom: -8 * 3600, OffsetTo: -7 * 3600, DST: true, RRule: "FREQ=YEARLY;BYDAY=2SU;BYMONTH=3"},
		{Start: time.Date(1601, 1, 1, 2, 0, 0, 0, time.UTC), OffsetFrom: -7 * 3600, OffsetTo: -8 * 3600, RRule: "FREQ=YEARLY;BYDAY=1SU;BYMONTH=11"},
	})
	if err != nil {
		t.Fatal(err)
	}
	n := len(ztTransitions(loc, ztDate(1, 1, 1), ztDate(9999, 1, 1)))
	if want := 2 * (2200 - 1900 + 1); n != want {
		t.Errorf("%d transitions, want %d (two a year, 1900–2200)", n, want)
	}
	if _, off := time.Date(2150, 7, 1, 0, 0, 0, 0, loc).Zone(); off != -7*3600 {
		t.Errorf("July 2150 offset %d, want -7 h", off)
	}
}

func TestZoneFromObservancesRejectsBrokenDefinitions(t *testing.T) {
	start := ztDate(1970, 1, 1)
	tests := []struct {
		name string
		obs  []Observance
	}{
		{"no observances", nil},
		{"offset of a day", []Observance{{Start: start, OffsetFrom: 0, OffsetTo: 86400}}},
		{"negative offset of a day", []Observance{{Start: start, OffsetFrom: -86400}}},
		{"no DTSTART", []Observance{{OffsetFrom: 3600, OffsetTo: 3600}}},
		{"malformed RRULE", []Observance{{Start: start, RRule: "FREQ=YEARLY;BYMONTH=13"}}},
		{"RRULE without FREQ", []Observance{{Start: start, RRule: "BYMONTH=3"}}},
		{"daily RRULE", []Observance{{Start: start, RRule: "FREQ=DAILY"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc, err := ZoneFromObservances("Test/Broken", tt.obs)
			if err == nil {
				t.Fatalf("got zone %v, want an error", loc)
			}
			if !strings.HasPrefix(err.Error(), `calendar: VTIMEZONE "Test/Broken"`) {
				t.Errorf("error %q does not name the VTIMEZONE", err)
			}
		})
	}
}

func TestZoneDataRoundTripsCustomZones(t *testing.T) {
	loc := ztZone(t, ztICalendar+"pacific_fiji.ics", "custom_Pacific/Fiji")
	again := ztZone(t, ztICalendar+"pacific_fiji.ics", "custom_Pacific/Fiji")
	if again != loc {
		t.Error("the same definition built twice gave two *time.Locations")
	}
	data, ok := ZoneData(loc)
	if !ok {
		t.Fatal("ZoneData knows no data for a zone from ZoneFromObservances")
	}
	if !bytes.HasPrefix(data, []byte("TZif2")) || !bytes.HasSuffix(data, []byte("\n\n")) {
		t.Errorf("not TZif version 2 data with an empty footer: %q…%q", data[:5], data[len(data)-2:])
	}
	data[0] = 'X' // callers get a copy
	data, _ = ZoneData(loc)

	if l, err := LoadZoneData("custom_Pacific/Fiji", data); err != nil || l != loc {
		t.Errorf("LoadZoneData of the same zone = %v, %v; want the same *time.Location", l, err)
	}
	// As a store would, under another name: same offsets, and ZoneData
	// knows the new zone too.
	copied, err := LoadZoneData("stored/Fiji", data)
	if err != nil {
		t.Fatal(err)
	}
	if copied.String() != "stored/Fiji" {
		t.Errorf("name = %q", copied)
	}
	ztSameOffsets(t, copied, loc, ztDate(1900, 1, 1), ztDate(2200, 1, 1))
	if d, ok := ZoneData(copied); !ok || !bytes.Equal(d, data) {
		t.Error("ZoneData does not know a zone from LoadZoneData")
	}

	if _, ok := ZoneData(time.UTC); ok {
		t.Error("ZoneData(time.UTC) reported data")
	}
	berlin, _ := LookupZone("Europe/Berlin")
	if _, ok := ZoneData(berlin); ok {
		t.Error("ZoneData of an IANA zone reported data")
	}
	if _, err := LoadZoneData("bad", []byte("not TZif")); err == nil || !strings.HasPrefix(err.Error(), `calendar: zone "bad"`) {
		t.Errorf("LoadZoneData of garbage: err = %v", err)
	}
}

// ---- helpers ----

func ztDate(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func ztDecode(t *testing.T, path string) *ical.Calendar {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cal, err := ical.NewDecoder(f).Decode()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return cal
}

// ztZone builds the zone of the VTIMEZONE tzid in a file.
func ztZone(t *testing.T, path, tzid string) *time.Location {
	t.Helper()
	_, obs := ztObservances(t, path, tzid)
	loc, err := ZoneFromObservances(tzid, obs)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return loc
}

// ztObservances reads the VTIMEZONE tzid (or the only one, for "") of a file
// into Observances, converting values as Observance documents.
func ztObservances(t *testing.T, path, tzid string) (string, []Observance) {
	t.Helper()
	// Decode the VTIMEZONEs alone: some corpus files are broken elsewhere
	// on purpose (timezone_rdate.ics has "SUMMARY=testevent").
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := "BEGIN:VCALENDAR\r\n"
	for rest := string(raw); ; {
		i := strings.Index(rest, "BEGIN:VTIMEZONE")
		j := strings.Index(rest, "END:VTIMEZONE")
		if i < 0 || j < i {
			break
		}
		text += rest[i:j] + "END:VTIMEZONE\r\n"
		rest = rest[j+len("END:VTIMEZONE"):]
	}
	cal, err := ical.NewDecoder(strings.NewReader(text + "END:VCALENDAR\r\n")).Decode()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	for _, c := range cal.Children {
		if c.Name != ical.CompTimezone || tzid != "" && c.Props.Get(ical.PropTimezoneID).Value != tzid {
			continue
		}
		var obs []Observance
		for _, sub := range c.Children {
			if sub.Name != ical.CompTimezoneStandard && sub.Name != ical.CompTimezoneDaylight {
				continue
			}
			o := Observance{DST: sub.Name == ical.CompTimezoneDaylight}
			o.OffsetFrom = ztUTCOffset(t, sub.Props.Get("TZOFFSETFROM").Value)
			o.OffsetTo = ztUTCOffset(t, sub.Props.Get("TZOFFSETTO").Value)
			if p := sub.Props.Get("TZNAME"); p != nil {
				o.Name = p.Value
			}
			if p := sub.Props.Get(ical.PropRecurrenceRule); p != nil {
				o.RRule = p.Value
			}
			toLocal := func(v string) (time.Time, bool) {
				w, utc, date := ztWall(t, v)
				if utc {
					w = w.Add(time.Duration(o.OffsetFrom) * time.Second)
				}
				return w, date
			}
			dtstart := strings.TrimSpace(sub.Props.Get(ical.PropDateTimeStart).Value)
			o.Start, _ = toLocal(dtstart)
			for _, p := range sub.Props.Values(ical.PropRecurrenceDates) {
				for _, v := range strings.Split(p.Value, ",") {
					v, _, _ = strings.Cut(strings.TrimSpace(v), "/") // PERIOD: its start
					if len(v) == 8 && len(dtstart) > 8 {
						v += dtstart[8:] // DATE: at DTSTART's time, as written
					}
					w, _ := toLocal(v)
					o.RDates = append(o.RDates, w)
				}
			}
			obs = append(obs, o)
		}
		return c.Props.Get(ical.PropTimezoneID).Value, obs
	}
	t.Fatalf("%s: no VTIMEZONE %q", path, tzid)
	return "", nil
}

// ztWall parses a DATE or DATE-TIME value as wall-clock time in time.UTC.
func ztWall(t *testing.T, v string) (w time.Time, utc, date bool) {
	t.Helper()
	v = strings.TrimSpace(v)
	utc = strings.HasSuffix(v, "Z")
	v = strings.TrimSuffix(v, "Z")
	layout := "20060102T150405"
	if len(v) == 8 {
		layout, date = "20060102", true
	}
	w, err := time.Parse(layout, v)
	if err != nil {
		t.Fatal(err)
	}
	return w, utc, date
}

func ztUTCOffset(t *testing.T, v string) int {
	t.Helper()
	x, err := time.Parse("-070000", v+strings.Repeat("0", max(0, 7-len(v))))
	if err != nil || len(v) != 5 && len(v) != 7 {
		t.Fatalf("bad UTC offset %q", v)
	}
	_, off := x.Zone()
	return off
}

type ztChange struct {
	at     time.Time
	offset int
}

// ztTransitions lists the offset changes of loc in [from, to).
func ztTransitions(loc *time.Location, from, to time.Time) []ztChange {
	var out []ztChange
	for t := from.In(loc); ; {
		_, end := t.ZoneBounds()
		if end.IsZero() || !end.Before(to) {
			return out
		}
		if !end.After(t) {
			// golang/go#81583: in the last UTC day of a leap year served
			// by a TZ footer rule (America/Los_Angeles, 2040), ZoneBounds
			// ends the zone before t. Step to the next UTC day.
			end = t.Truncate(24 * time.Hour).Add(24 * time.Hour)
		}
		_, off := end.Zone()
		if _, prev := end.Add(-time.Second).Zone(); prev != off {
			out = append(out, ztChange{end.UTC(), off})
		}
		t = end
	}
}

// ztSameOffsets checks that got has want's UTC offset around every
// transition of either in [from, to), and on the first of each month.
func ztSameOffsets(t *testing.T, got, want *time.Location, from, to time.Time) {
	t.Helper()
	var at []time.Time
	for _, c := range append(ztTransitions(want, from, to), ztTransitions(got, from, to)...) {
		at = append(at, c.at.Add(-time.Second), c.at)
	}
	for m := from; m.Before(to); m = m.AddDate(0, 1, 0) {
		at = append(at, m)
	}
	sort.Slice(at, func(i, j int) bool { return at[i].Before(at[j]) })
	bad := 0
	for _, a := range at {
		_, g := a.In(got).Zone()
		_, w := a.In(want).Zone()
		if g != w {
			if bad++; bad <= 5 {
				t.Errorf("at %s: offset %+d s, want %+d s", a.UTC(), g, w)
			}
		}
	}
	if bad > 5 {
		t.Errorf("… %d offsets differ in all", bad)
	}
}

// ztReading picks among the UTC offsets under which a wall time is valid.
type ztReading func(valid []ztValid, before, after int) int

type ztValid struct {
	offset int
	dst    bool
}

// ztRFC5545: a repeated time is its first occurrence, a skipped one is read
// with the offset before the gap (RFC 5545 §3.3.5).
func ztRFC5545(valid []ztValid, before, after int) int {
	if len(valid) == 0 {
		return before
	}
	return valid[0].offset
}

// ztICalJSReading: a repeated time takes the standard-time offset, a
// skipped one the offset after the gap (ical.js Timezone.utcOffset).
func ztICalJSReading(valid []ztValid, before, after int) int {
	if len(valid) == 0 {
		return after
	}
	for _, v := range valid {
		if !v.dst {
			return v.offset
		}
	}
	return valid[0].offset
}

// ztOffsets reads the wall time w (in a time.UTC carrier) in loc. It looks
// at the offsets a day either side, which is enough for zones whose
// transitions are days apart.
func ztOffsets(loc *time.Location, w time.Time, read ztReading) int {
	_, before := w.Add(-24 * time.Hour).In(loc).Zone()
	_, after := w.Add(24 * time.Hour).In(loc).Zone()
	var valid []ztValid
	for _, o := range []int{before, after} {
		at := w.Add(-time.Duration(o) * time.Second).In(loc)
		if _, off := at.Zone(); off == o && (len(valid) == 0 || valid[0].offset != o) {
			valid = append(valid, ztValid{o, at.IsDST()})
		}
	}
	// Earliest instant first: the larger offset.
	sort.Slice(valid, func(i, j int) bool { return valid[i].offset > valid[j].offset })
	return read(valid, before, after)
}
