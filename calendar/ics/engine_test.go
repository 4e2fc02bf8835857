package ics_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rapport-dev/rapport/calendar"
	"github.com/rapport-dev/rapport/calendar/ics"
)

// vcal wraps VEVENT (and VTIMEZONE) text in a VCALENDAR, with CRLF endings.
func vcal(body string) string {
	body = strings.TrimSpace(body)
	lines := strings.Split("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//rapport//test//EN\n"+body+"\nEND:VCALENDAR", "\n")
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	return strings.Join(lines, "\r\n") + "\r\n"
}

func decode(t *testing.T, text string) *ics.Result {
	t.Helper()
	res, err := ics.DecodeBytes([]byte(vcal(text)), ics.Options{Where: "test.ics"})
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return res
}

func expand(t *testing.T, text string, from, to string, opt calendar.ExpandOptions) []calendar.Occurrence {
	t.Helper()
	res := decode(t, text)
	for _, p := range res.Problems {
		t.Fatalf("unexpected problem: %v", p)
	}
	var out []calendar.Occurrence
	for _, s := range calendar.GroupSeries(res.Events) {
		occ, err := s.Expand(mustTime(t, from), mustTime(t, to), opt)
		if err != nil {
			t.Fatalf("expand %s: %v", s.UID, err)
		}
		out = append(out, occ...)
	}
	return out
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	if s == "" {
		return time.Time{}
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02"} {
		if v, err := time.Parse(layout, s); err == nil {
			return v
		}
	}
	t.Fatalf("bad time %q", s)
	return time.Time{}
}

// local renders occurrence starts as wall-clock times in their own zone.
func local(occ []calendar.Occurrence) []string {
	var out []string
	for _, o := range occ {
		s := o.Start.Format("2006-01-02T15:04 MST")
		if o.Excluded {
			s += " excluded"
		}
		if o.Status == calendar.StatusCancelled {
			s += " cancelled"
		}
		if o.Moved() {
			s += " moved from " + o.PlannedStart.Format("01-02T15:04")
		}
		out = append(out, s)
	}
	return out
}

func TestExpand(t *testing.T) {
	tests := []struct {
		name     string
		ics      string
		from, to string
		opt      calendar.ExpandOptions
		want     []string
	}{
		{
			name: "a weekly 10:00 Europe/Berlin series stays at 10:00 local across both DST changes",
			ics: `BEGIN:VEVENT
UID:dst-north
DTSTART;TZID=Europe/Berlin:20260319T100000
DTEND;TZID=Europe/Berlin:20260319T103000
RRULE:FREQ=WEEKLY;COUNT=3
END:VEVENT
BEGIN:VEVENT
UID:dst-north-autumn
DTSTART;TZID=Europe/Berlin:20261022T100000
DTEND;TZID=Europe/Berlin:20261022T103000
RRULE:FREQ=WEEKLY;COUNT=2
END:VEVENT`,
			from: "2026-01-01", to: "2027-01-01",
			want: []string{"2026-03-19T10:00 CET", "2026-03-26T10:00 CET", "2026-04-02T10:00 CEST", "2026-10-22T10:00 CEST", "2026-10-29T10:00 CET"},
		},
		{
			name: "a weekly 09:00 Australia/Sydney series stays at 09:00 local across the southern hemisphere's DST changes",
			ics: `BEGIN:VEVENT
UID:dst-south
DTSTART;TZID=Australia/Sydney:20260331T090000
DURATION:PT45M
RRULE:FREQ=WEEKLY;INTERVAL=1;UNTIL=20260414T000000Z
END:VEVENT
BEGIN:VEVENT
UID:dst-south-spring
DTSTART;TZID=Australia/Sydney:20260929T090000
DURATION:PT45M
RRULE:FREQ=WEEKLY;COUNT=2
END:VEVENT`,
			from: "2026-01-01", to: "2027-01-01",
			// UNTIL is an instant: 09:00 AEST on 14 April is 23:00Z on the
			// 13th, before UNTIL, so that instance is the series' last.
			want: []string{"2026-03-31T09:00 AEDT", "2026-04-07T09:00 AEST", "2026-04-14T09:00 AEST", "2026-09-29T09:00 AEST", "2026-10-06T09:00 AEDT"},
		},
		{
			name: "a comma-separated EXDATE list removes each listed instance",
			ics: `BEGIN:VEVENT
UID:exdate-list
DTSTART;TZID=Europe/Berlin:20260105T100000
DTEND;TZID=Europe/Berlin:20260105T110000
RRULE:FREQ=WEEKLY;COUNT=5
EXDATE;TZID=Europe/Berlin:20260112T100000,20260126T100000
END:VEVENT`,
			from: "2026-01-01", to: "2026-03-01",
			want: []string{"2026-01-05T10:00 CET", "2026-01-19T10:00 CET", "2026-02-02T10:00 CET"},
		},
		{
			name: "an EXDATE given in UTC removes the zoned instance at that instant",
			ics: `BEGIN:VEVENT
UID:exdate-utc
DTSTART;TZID=Europe/Berlin:20260105T100000
DTEND;TZID=Europe/Berlin:20260105T110000
RRULE:FREQ=WEEKLY;COUNT=3
EXDATE:20260112T090000Z
END:VEVENT`,
			from: "2026-01-01", to: "2026-03-01",
			want: []string{"2026-01-05T10:00 CET", "2026-01-19T10:00 CET"},
		},
		{
			name: "an EXDATE of VALUE=DATE removes the date-time instance on that day",
			ics: `BEGIN:VEVENT
UID:exdate-date
DTSTART;TZID=America/New_York:20260105T160000
DTEND;TZID=America/New_York:20260105T163000
RRULE:FREQ=DAILY;COUNT=3
EXDATE;VALUE=DATE:20260106
END:VEVENT`,
			from: "2026-01-01", to: "2026-03-01",
			want: []string{"2026-01-05T16:00 EST", "2026-01-07T16:00 EST"},
		},
		{
			name: "excluded slots are returned, marked, when asked for",
			ics: `BEGIN:VEVENT
UID:exdate-include
DTSTART:20260105T100000Z
DTEND:20260105T110000Z
RRULE:FREQ=WEEKLY;COUNT=3
EXDATE:20260112T100000Z
END:VEVENT`,
			from: "2026-01-01", to: "2026-03-01", opt: calendar.ExpandOptions{IncludeExcluded: true},
			want: []string{"2026-01-05T10:00 UTC", "2026-01-12T10:00 UTC excluded", "2026-01-19T10:00 UTC"},
		},
		{
			name: "RDATEs add instances, several on one line, and one equal to a rule instance counts once",
			ics: `BEGIN:VEVENT
UID:rdate
DTSTART;TZID=Europe/London:20260302T140000
DTEND;TZID=Europe/London:20260302T143000
RRULE:FREQ=WEEKLY;COUNT=2
RDATE;TZID=Europe/London:20260309T140000,20260320T090000
END:VEVENT`,
			from: "2026-01-01", to: "2026-06-01",
			want: []string{"2026-03-02T14:00 GMT", "2026-03-09T14:00 GMT", "2026-03-20T09:00 GMT"},
		},
		{
			name: "an RDATE period gives that instance its own length",
			ics: `BEGIN:VEVENT
UID:rdate-period
DTSTART:20260302T140000Z
DTEND:20260302T143000Z
RDATE;VALUE=PERIOD:20260310T090000Z/PT2H,20260311T090000Z/20260311T091500Z
END:VEVENT`,
			from: "2026-01-01", to: "2026-06-01",
			want: []string{"2026-03-02T14:00 UTC", "2026-03-10T09:00 UTC", "2026-03-11T09:00 UTC"},
		},
		{
			name: "a floating series recurs in the default zone",
			ics: `BEGIN:VEVENT
UID:floating
DTSTART:20260105T100000
DTEND:20260105T110000
RRULE:FREQ=DAILY;COUNT=2
END:VEVENT`,
			from: "2026-01-01", to: "2026-02-01",
			want: []string{"2026-01-05T10:00 UTC", "2026-01-06T10:00 UTC"},
		},
		{
			name: "a moved instance keeps its planned slot as RECURRENCE-ID",
			ics: `BEGIN:VEVENT
UID:moved
DTSTART;TZID=Europe/Berlin:20260105T100000
DTEND;TZID=Europe/Berlin:20260105T110000
RRULE:FREQ=WEEKLY;COUNT=3
END:VEVENT
BEGIN:VEVENT
UID:moved
RECURRENCE-ID;TZID=Europe/Berlin:20260112T100000
DTSTART;TZID=Europe/Berlin:20260113T150000
DTEND;TZID=Europe/Berlin:20260113T160000
END:VEVENT`,
			from: "2026-01-01", to: "2026-03-01",
			want: []string{"2026-01-05T10:00 CET", "2026-01-13T15:00 CET moved from 01-12T10:00", "2026-01-19T10:00 CET"},
		},
		{
			name: "a cancelled instance stays in the result with its status",
			ics: `BEGIN:VEVENT
UID:cancelled-instance
DTSTART:20260105T100000Z
DTEND:20260105T110000Z
RRULE:FREQ=WEEKLY;COUNT=2
END:VEVENT
BEGIN:VEVENT
UID:cancelled-instance
RECURRENCE-ID:20260112T100000Z
DTSTART:20260112T100000Z
DTEND:20260112T110000Z
STATUS:CANCELLED
END:VEVENT`,
			from: "2026-01-01", to: "2026-03-01",
			want: []string{"2026-01-05T10:00 UTC", "2026-01-12T10:00 UTC cancelled"},
		},
		{
			name: "an override written as a floating time matches a zoned instance by wall clock",
			ics: `BEGIN:VEVENT
UID:floating-rid
DTSTART;TZID=Europe/Berlin:20260105T100000
DTEND;TZID=Europe/Berlin:20260105T110000
RRULE:FREQ=WEEKLY;COUNT=2
END:VEVENT
BEGIN:VEVENT
UID:floating-rid
RECURRENCE-ID:20260112T100000
DTSTART;TZID=Europe/Berlin:20260112T120000
DTEND;TZID=Europe/Berlin:20260112T130000
END:VEVENT`,
			from: "2026-01-01", to: "2026-03-01",
			want: []string{"2026-01-05T10:00 CET", "2026-01-12T12:00 CET moved from 01-12T10:00"},
		},
		{
			name: "RANGE=THISANDFUTURE moves this and every later instance by the same shift",
			ics: `BEGIN:VEVENT
UID:range
DTSTART:20260105T100000Z
DTEND:20260105T110000Z
RRULE:FREQ=WEEKLY;COUNT=4
END:VEVENT
BEGIN:VEVENT
UID:range
RECURRENCE-ID;RANGE=THISANDFUTURE:20260112T100000Z
DTSTART:20260112T140000Z
DTEND:20260112T143000Z
END:VEVENT`,
			from: "2026-01-01", to: "2026-03-01",
			want: []string{"2026-01-05T10:00 UTC", "2026-01-12T14:00 UTC moved from 01-12T10:00", "2026-01-19T14:00 UTC moved from 01-19T10:00", "2026-01-26T14:00 UTC moved from 01-26T10:00"},
		},
		{
			name: "an override moved into the window from a slot outside it is returned",
			ics: `BEGIN:VEVENT
UID:into-window
DTSTART:20260105T100000Z
DTEND:20260105T110000Z
RRULE:FREQ=WEEKLY;COUNT=3
END:VEVENT
BEGIN:VEVENT
UID:into-window
RECURRENCE-ID:20260119T100000Z
DTSTART:20260115T100000Z
DTEND:20260115T110000Z
END:VEVENT`,
			// The window starts after the 12 January instance, which is not
			// moved, so that only the moved one is in it.
			from: "2026-01-13", to: "2026-01-17",
			want: []string{"2026-01-15T10:00 UTC moved from 01-19T10:00"},
		},
		{
			name: "overrides without a master are occurrences of their own",
			ics: `BEGIN:VEVENT
UID:orphan
RECURRENCE-ID:20260112T100000Z
DTSTART:20260112T100000Z
DTEND:20260112T110000Z
END:VEVENT`,
			from: "2026-01-01", to: "2026-03-01",
			want: []string{"2026-01-12T10:00 UTC"},
		},
		{
			name: "a cancelled master cancels every instance",
			ics: `BEGIN:VEVENT
UID:cancelled-master
DTSTART:20260105T100000Z
DTEND:20260105T110000Z
RRULE:FREQ=WEEKLY;COUNT=2
STATUS:CANCELLED
END:VEVENT`,
			from: "2026-01-01", to: "2026-03-01",
			want: []string{"2026-01-05T10:00 UTC cancelled", "2026-01-12T10:00 UTC cancelled"},
		},
		{
			name: "a weekly all-day series recurs on dates",
			ics: `BEGIN:VEVENT
UID:all-day
DTSTART;VALUE=DATE:20260326
RRULE:FREQ=WEEKLY;COUNT=2
END:VEVENT`,
			from: "2026-01-01", to: "2026-06-01",
			want: []string{"2026-03-26T00:00 UTC", "2026-04-02T00:00 UTC"},
		},
		{
			name: "a Windows zone name recurs in the IANA zone it maps to",
			ics: `BEGIN:VEVENT
UID:windows
DTSTART;TZID=W. Europe Standard Time:20260326T100000
DTEND;TZID=W. Europe Standard Time:20260326T110000
RRULE:FREQ=WEEKLY;COUNT=2
END:VEVENT`,
			from: "2026-01-01", to: "2026-06-01",
			want: []string{"2026-03-26T10:00 CET", "2026-04-02T10:00 CEST"},
		},
		{
			name: "a custom VTIMEZONE with an unknown name is resolved by its rules",
			ics: `BEGIN:VTIMEZONE
TZID:Head Office Time
BEGIN:STANDARD
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:HOT
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:HOST
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
UID:custom-zone
DTSTART;TZID=Head Office Time:20260326T100000
DTEND;TZID=Head Office Time:20260326T110000
RRULE:FREQ=WEEKLY;COUNT=2
END:VEVENT`,
			from: "2026-01-01", to: "2026-06-01",
			want: []string{"2026-03-26T10:00 HOT", "2026-04-02T10:00 HOST"},
		},
		{
			name: "COUNT=-1 means no end, as Confluence writes it",
			ics: `BEGIN:VEVENT
UID:count-negative
DTSTART:20260105T100000Z
DTEND:20260105T110000Z
RRULE:FREQ=WEEKLY;COUNT=-1
END:VEVENT`,
			from: "2026-01-01", to: "2026-01-20",
			want: []string{"2026-01-05T10:00 UTC", "2026-01-12T10:00 UTC", "2026-01-19T10:00 UTC"},
		},
		{
			name: "a rule whose UNTIL is before DTSTART has no instance",
			ics: `BEGIN:VEVENT
UID:until-before
DTSTART:20260105T100000Z
DTEND:20260105T110000Z
RRULE:FREQ=WEEKLY;UNTIL=20250101T000000Z
END:VEVENT`,
			from: "2025-01-01", to: "2027-01-01",
			want: nil,
		},
		{
			name: "a DATE UNTIL includes the whole day in the series' zone",
			ics: `BEGIN:VEVENT
UID:until-date
DTSTART;TZID=America/Los_Angeles:20260105T170000
DTEND;TZID=America/Los_Angeles:20260105T173000
RRULE:FREQ=DAILY;UNTIL=20260106
END:VEVENT`,
			from: "2026-01-01", to: "2026-02-01",
			want: []string{"2026-01-05T17:00 PST", "2026-01-06T17:00 PST"},
		},
		{
			name: "a DTSTART the rule does not generate is still the first instance",
			ics: `BEGIN:VEVENT
UID:dtstart-off-rule
DTSTART:20260106T100000Z
DTEND:20260106T110000Z
RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=2
END:VEVENT`,
			from: "2026-01-01", to: "2026-02-01",
			want: []string{"2026-01-06T10:00 UTC", "2026-01-12T10:00 UTC", "2026-01-19T10:00 UTC"},
		},
		{
			name: "an impossible rule ends at the window instead of scanning to year 9999",
			ics: `BEGIN:VEVENT
UID:impossible
DTSTART:20260105T100000Z
DTEND:20260105T110000Z
RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30
END:VEVENT`,
			from: "2026-01-01", to: "2027-01-01",
			want: []string{"2026-01-05T10:00 UTC"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := local(expand(t, tt.ics, tt.from, tt.to, tt.opt))
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("occurrences:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestExpandDurations(t *testing.T) {
	occ := expand(t, `BEGIN:VEVENT
UID:shortened
DTSTART;TZID=Europe/Berlin:20260105T100000
DURATION:PT1H
RRULE:FREQ=WEEKLY;COUNT=2
END:VEVENT
BEGIN:VEVENT
UID:shortened
RECURRENCE-ID;TZID=Europe/Berlin:20260112T100000
DTSTART;TZID=Europe/Berlin:20260112T100000
DURATION:PT20M
END:VEVENT
BEGIN:VEVENT
UID:all-day-duration
DTSTART;VALUE=DATE:20260328
DURATION:P1D
END:VEVENT`, "2026-01-01", "2026-06-01", calendar.ExpandOptions{})
	want := map[string]time.Duration{
		"2026-01-05T10:00 CET": time.Hour,
		"2026-01-12T10:00 CET": 20 * time.Minute,
		"2026-03-28T00:00 UTC": 24 * time.Hour,
	}
	if len(occ) != len(want) {
		t.Fatalf("got %d occurrences, want %d", len(occ), len(want))
	}
	for _, o := range occ {
		key := o.Start.Format("2006-01-02T15:04 MST")
		if got := o.End.Sub(o.Start); got != want[key] {
			t.Errorf("%s: duration %s, want %s", key, got, want[key])
		}
		if planned := o.PlannedEnd.Sub(o.PlannedStart); o.UID == "shortened" && planned != time.Hour {
			t.Errorf("%s: planned duration %s, want 1h", key, planned)
		}
	}
}

func TestExpandIsBounded(t *testing.T) {
	tests := []struct {
		name, rule string
	}{
		{"FREQ=SECONDLY without an end stops at the instance cap", "FREQ=SECONDLY"},
		{"a huge COUNT stops at the instance cap", "FREQ=MINUTELY;COUNT=2000000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := decode(t, "BEGIN:VEVENT\nUID:runaway@example.com\nDTSTART:20200101T000000Z\nRRULE:"+tt.rule+"\nEND:VEVENT")
			s := calendar.GroupSeries(res.Events)[0]
			_, err := s.Expand(time.Time{}, mustTime(t, "2030-01-01"), calendar.ExpandOptions{MaxInstances: 10_000})
			if !errors.Is(err, calendar.ErrTooManyInstances) {
				t.Fatalf("err = %v, want ErrTooManyInstances", err)
			}
			if !strings.Contains(err.Error(), "runaway@example.com") {
				t.Errorf("error %q does not name the UID", err)
			}
		})
	}
}

func TestMalformedObjectsAreReportedOneByOne(t *testing.T) {
	tests := []struct {
		name, ics, wantErr string
	}{
		{"a misspelled rule part names the UID and RRULE", "BEGIN:VEVENT\nUID:typo\nDTSTART:20260105T100000Z\nRRULE:FREQ=WEEKLY;UNTL=20261023\nEND:VEVENT",
			`test.ics: object "typo" RRULE: invalid RRULE: UNTL=20261023: unknown rule part`},
		{"a rule without FREQ", "BEGIN:VEVENT\nUID:nofreq\nDTSTART:20260105T100000Z\nRRULE:COUNT=3\nEND:VEVENT",
			`test.ics: object "nofreq" RRULE: invalid RRULE: FREQ is missing`},
		{"an out-of-range BYMONTHDAY", "BEGIN:VEVENT\nUID:range\nDTSTART:20260105T100000Z\nRRULE:FREQ=MONTHLY;BYMONTHDAY=32\nEND:VEVENT",
			`test.ics: object "range" RRULE: invalid RRULE: bymonthday must be between 1 and 31 or -1 and -31`},
		{"a missing DTSTART", "BEGIN:VEVENT\nUID:nostart\nSUMMARY:x\nEND:VEVENT",
			`test.ics: object "nostart" DTSTART: missing`},
		{"an unreadable DTSTART", "BEGIN:VEVENT\nUID:badstart\nDTSTART:2026-01-05\nEND:VEVENT",
			`test.ics: object "badstart" DTSTART: "2026-01-05" is not a DATE-TIME`},
		{"an unreadable DURATION", "BEGIN:VEVENT\nUID:baddur\nDTSTART:20260105T100000Z\nDURATION:1 hour\nEND:VEVENT",
			`test.ics: object "baddur" DURATION: "1 hour" is not a DURATION`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			good := "BEGIN:VEVENT\nUID:good\nDTSTART:20260105T100000Z\nEND:VEVENT"
			res := decode(t, good+"\n"+tt.ics)
			if len(res.Events) != 1 || res.Events[0].UID != "good" {
				t.Errorf("events = %v, want only the good one", res.Events)
			}
			if len(res.Problems) != 1 {
				t.Fatalf("problems = %v, want one", res.Problems)
			}
			if got := res.Problems[0].Error(); got != tt.wantErr {
				t.Errorf("error\n got %s\nwant %s", got, tt.wantErr)
			}
		})
	}
}

func TestAStreamThatDoesNotParseLosesOnlyItsBrokenObject(t *testing.T) {
	text := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n" +
		"BEGIN:VEVENT\r\nUID:first\r\nDTSTART:20260105T100000Z\r\nEND:VEVENT\r\n" +
		"BEGIN:VEVENT\r\nUID:broken\r\nDTSTART;TZID=\"unterminated:20260105T100000Z\r\nEND:VEVENT\r\n" +
		"BEGIN:VEVENT\r\nUID:last\r\nDTSTART:20260107T100000Z\r\nEND:VEVENT\r\n" +
		"END:VCALENDAR\r\n"
	res, err := ics.DecodeBytes([]byte(text), ics.Options{Where: "team.ics"})
	if err != nil {
		t.Fatal(err)
	}
	var uids []string
	for _, e := range res.Events {
		uids = append(uids, e.UID)
	}
	if strings.Join(uids, ",") != "first,last" {
		t.Errorf("events = %v, want first,last", uids)
	}
	// The broken VEVENT begins on line 7 (lines count from 1).
	if len(res.Problems) != 1 || res.Problems[0].Object != "broken" || !strings.HasPrefix(res.Problems[0].Where, "team.ics:7") {
		t.Errorf("problems = %v, want one naming object broken at team.ics:7", res.Problems)
	}
}

// Expanding a window must give exactly what expanding from the series'
// start gives inside that window: skipping whole periods ahead of the
// window is an optimisation, never a change of meaning.
func TestAWindowSeesWhatTheWholeSeriesHasInIt(t *testing.T) {
	rules := []string{
		"FREQ=WEEKLY", "FREQ=WEEKLY;INTERVAL=2", "FREQ=WEEKLY;INTERVAL=3;BYDAY=MO,TH;WKST=SU",
		"FREQ=DAILY;INTERVAL=3", "FREQ=DAILY;BYDAY=MO,WE,FR", "FREQ=WEEKLY;BYDAY=TU;BYMONTH=3,4,10",
		"FREQ=WEEKLY;UNTIL=20300101T000000Z", "FREQ=MONTHLY;BYDAY=2WE", "FREQ=WEEKLY;COUNT=200",
	}
	windows := [][2]string{{"2026-03-20", "2026-04-10"}, {"2027-10-01", "2027-11-15"}, {"2024-01-01", "2024-02-01"}}
	for _, r := range rules {
		for _, w := range windows {
			t.Run(r+" "+w[0], func(t *testing.T) {
				text := "BEGIN:VEVENT\nUID:ff\nDTSTART;TZID=Europe/Berlin:20240104T180000\nDTEND;TZID=Europe/Berlin:20240104T190000\nRRULE:" + r +
					"\nEXDATE;TZID=Europe/Berlin:20260325T180000\nEND:VEVENT"
				from, to := mustTime(t, w[0]), mustTime(t, w[1])
				windowed := local(expand(t, text, w[0], w[1], calendar.ExpandOptions{}))
				var whole []string
				for _, o := range expand(t, text, "", w[1], calendar.ExpandOptions{}) {
					if o.End.After(from) && o.Start.Before(to) {
						whole = append(whole, local([]calendar.Occurrence{o})...)
					}
				}
				if strings.Join(windowed, "\n") != strings.Join(whole, "\n") {
					t.Errorf("window:\n%v\nwhole series:\n%v", windowed, whole)
				}
			})
		}
	}
}

// go-ical panics on some malformed content lines; found by fuzzing.
func TestMalformedLinesThatPanicTheParserAreErrors(t *testing.T) {
	for _, text := range []string{
		"0;0=",
		"BEGIN:VCALENDAR\r\nX;P=\r\nEND:VCALENDAR\r\n",
		"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:ok\r\nDTSTART:20260105T100000Z\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID;X=a\"b:bad\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
	} {
		res, err := ics.DecodeBytes([]byte(text), ics.Options{Where: "hostile.ics"})
		if err == nil && len(res.Events) > 1 {
			t.Errorf("%q: decoded %d events", text, len(res.Events))
		}
	}
}
