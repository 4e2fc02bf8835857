package analyzer_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rapport-dev/rapport/analyzer"
	"github.com/rapport-dev/rapport/calendar"
	"github.com/rapport-dev/rapport/calendar/ics"
)

// The scenarios run on 2026-06-01 with the default 12-week window, which
// starts on 2026-03-09. Alice manages Bob and Carol.
var now = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

var org = analyzer.Org{Teams: []analyzer.Team{{
	Name: "platform", Manager: "alice@example.com",
	Reports: []string{"bob@example.com", "carol@example.com"},
}}}

// calendarOf decodes VEVENT text as the calendar of owner.
func calendarOf(t *testing.T, owner, body string) []analyzer.Record {
	t.Helper()
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//rapport//scenario//EN\r\n")
	for _, l := range strings.Split(strings.TrimSpace(body), "\n") {
		b.WriteString(strings.TrimSpace(l) + "\r\n")
	}
	b.WriteString("END:VCALENDAR\r\n")
	res, err := ics.DecodeBytes([]byte(b.String()), ics.Options{Where: owner})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Problems {
		t.Fatalf("scenario calendar: %v", p)
	}
	var out []analyzer.Record
	for _, e := range res.Events {
		out = append(out, analyzer.Record{Calendar: calendar.Calendar{ID: owner, Owner: owner}, Event: e})
	}
	return out
}

// weekly is a weekly 30-minute 1:1 on Mondays at 10:00 Berlin time between
// Alice and who, from start, with extra lines for the master.
func weekly(uid, who, start string, extra ...string) string {
	return fmt.Sprintf(`BEGIN:VEVENT
UID:%s
SUMMARY:Alice / %s 1:1
DTSTART;TZID=Europe/Berlin:%sT100000
DTEND;TZID=Europe/Berlin:%sT103000
RRULE:FREQ=WEEKLY
DESCRIPTION:Agenda: https://docs.example.com/1on1
ORGANIZER:mailto:alice@example.com
ATTENDEE;PARTSTAT=ACCEPTED:mailto:alice@example.com
ATTENDEE;PARTSTAT=ACCEPTED:mailto:%s
%s
END:VEVENT`, uid, who, start, start, who, strings.Join(extra, "\n"))
}

// override re-times one instance (planned at ridDay 10:00 Berlin).
func override(uid, who, ridDay, start, end string, extra ...string) string {
	return fmt.Sprintf(`BEGIN:VEVENT
UID:%s
RECURRENCE-ID;TZID=Europe/Berlin:%sT100000
SUMMARY:1:1
DTSTART;TZID=Europe/Berlin:%s
DTEND;TZID=Europe/Berlin:%s
DESCRIPTION:Agenda: https://docs.example.com/1on1
ORGANIZER:mailto:alice@example.com
ATTENDEE;PARTSTAT=ACCEPTED:mailto:alice@example.com
ATTENDEE;PARTSTAT=ACCEPTED:mailto:%s
%s
END:VEVENT`, uid, ridDay, start, end, who, strings.Join(extra, "\n"))
}

func analyze(t *testing.T, records ...[]analyzer.Record) analyzer.Report {
	t.Helper()
	var all []analyzer.Record
	for _, r := range records {
		all = append(all, r...)
	}
	return analyzer.Analyze(analyzer.Input{Now: now, Settings: analyzer.DefaultSettings(), Org: org, Records: all})
}

func pair(t *testing.T, r analyzer.Report, report string) analyzer.PairReport {
	t.Helper()
	for _, p := range r.Pairs {
		if p.Report == report {
			return p
		}
	}
	t.Fatalf("no pair for %s in %+v", report, r.Pairs)
	return analyzer.PairReport{}
}

func signalNames(p analyzer.PairReport) string {
	var names []string
	for _, s := range p.Signals {
		names = append(names, s.Name)
	}
	return strings.Join(names, ",")
}

func fateAt(t *testing.T, p analyzer.PairReport, planned string) analyzer.Occurrence {
	t.Helper()
	for _, o := range p.Occurrences {
		if o.Planned.Format("2006-01-02") == planned {
			return o
		}
	}
	t.Fatalf("no occurrence planned on %s", planned)
	return analyzer.Occurrence{}
}

func TestAHealthyWeeklyPairHasNoSignals(t *testing.T) {
	r := analyze(t, calendarOf(t, "alice@example.com", weekly("ab", "bob@example.com", "20260105")))
	p := pair(t, r, "bob@example.com")
	if p.Band != analyzer.BandHealthy || p.Score != 100 || len(p.Signals) != 0 {
		t.Errorf("band %s score %d signals %s, want healthy 100 none", p.Band, p.Score, signalNames(p))
	}
	if p.Counts.Held != 12 || p.Counts.Moved != 0 {
		t.Errorf("counts %+v, want 12 held, none moved (the DST change on 2026-03-29 is no move)", p.Counts)
	}
	if *p.IntendedIntervalDays != 7 || *p.RealizedIntervalDays != 7 || *p.DaysSinceLast != 0 {
		t.Errorf("intervals %v %v, days since %v", *p.IntendedIntervalDays, *p.RealizedIntervalDays, *p.DaysSinceLast)
	}
	if p.NextPlanned == nil || p.NextPlanned.Format(time.RFC3339) != "2026-06-08T10:00:00+02:00" {
		t.Errorf("next planned %v", p.NextPlanned)
	}
	// Carol is listed but has no 1:1 at all.
	c := pair(t, r, "carol@example.com")
	if signalNames(c) != "overdue,nothing_scheduled" || c.Band != analyzer.BandAtRisk || c.DaysSinceLast != nil {
		t.Errorf("carol: signals %s band %s", signalNames(c), c.Band)
	}
}

func TestOccurrenceFates(t *testing.T) {
	tests := []struct {
		name    string
		events  string
		planned string
		want    analyzer.Fate
		late    bool
	}{
		{"a moved instance is moved", override("ab", "bob@example.com", "20260420", "20260421T150000", "20260421T153000"),
			"2026-04-20", analyzer.FateMoved, false},
		{"a move made the evening before is late", override("ab", "bob@example.com", "20260420", "20260421T150000", "20260421T153000", "LAST-MODIFIED:20260419T180000Z"),
			"2026-04-20", analyzer.FateMoved, true},
		{"a move made a week ahead is not late", override("ab", "bob@example.com", "20260420", "20260421T150000", "20260421T153000", "LAST-MODIFIED:20260413T080000Z"),
			"2026-04-20", analyzer.FateMoved, false},
		{"a moved-then-cancelled instance is skipped", override("ab", "bob@example.com", "20260420", "20260421T150000", "20260421T153000", "STATUS:CANCELLED"),
			"2026-04-20", analyzer.FateSkipped, false},
		{"an instance cut to 10 minutes is shortened", override("ab", "bob@example.com", "20260420", "20260420T100000", "20260420T101000"),
			"2026-04-20", analyzer.FateShortened, false},
		{"an EXDATE is skipped", "", "2026-04-27", analyzer.FateSkipped, false},
		{"a slot the report declined is skipped", strings.Replace(override("ab", "bob@example.com", "20260504", "20260504T100000", "20260504T103000"), "PARTSTAT=ACCEPTED:mailto:bob", "PARTSTAT=DECLINED:mailto:bob", 1),
			"2026-05-04", analyzer.FateSkipped, false},
		{"a slot the manager declined is skipped", strings.Replace(override("ab", "bob@example.com", "20260504", "20260504T100000", "20260504T103000"), "PARTSTAT=ACCEPTED:mailto:alice", "PARTSTAT=DECLINED:mailto:alice", 1),
			"2026-05-04", analyzer.FateSkipped, false},
		{"a cancelled instance made up before the next slot is moved", override("ab", "bob@example.com", "20260511", "20260511T100000", "20260511T103000", "STATUS:CANCELLED") + "\n" + `BEGIN:VEVENT
UID:makeup
SUMMARY:Catch-up
DTSTART:20260513T140000Z
DTEND:20260513T143000Z
ORGANIZER:mailto:bob@example.com
ATTENDEE;PARTSTAT=ACCEPTED:mailto:alice@example.com
END:VEVENT`, "2026-05-11", analyzer.FateMoved, false},
		{"a skip while the report is on vacation is excused", override("ab", "bob@example.com", "20260518", "20260518T100000", "20260518T103000", "STATUS:CANCELLED"),
			"2026-05-18", analyzer.FateExcused, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			alice := calendarOf(t, "alice@example.com", weekly("ab", "bob@example.com", "20260105",
				"EXDATE;TZID=Europe/Berlin:20260427T100000")+"\n"+tt.events)
			bob := calendarOf(t, "bob@example.com", `BEGIN:VEVENT
UID:vacation
SUMMARY:Vacation
DTSTART;VALUE=DATE:20260518
DTEND;VALUE=DATE:20260523
TRANSP:TRANSPARENT
END:VEVENT`)
			p := pair(t, analyze(t, alice, bob), "bob@example.com")
			o := fateAt(t, p, tt.planned)
			if o.Fate != tt.want || o.Late != tt.late {
				t.Errorf("fate %s late %v, want %s late %v", o.Fate, o.Late, tt.want, tt.late)
			}
		})
	}
}

func TestSignals(t *testing.T) {
	var moves, skips, shorts []string
	for _, d := range []string{"20260316", "20260323", "20260330", "20260406", "20260413"} {
		moves = append(moves, override("ab", "bob@example.com", d, d+"T160000", d+"T163000", "LAST-MODIFIED:"+d+"T080000Z"))
		skips = append(skips, override("ab", "bob@example.com", d, d+"T100000", d+"T103000", "STATUS:CANCELLED"))
		shorts = append(shorts, override("ab", "bob@example.com", d, d+"T100000", d+"T101000"))
	}
	tests := []struct {
		name   string
		alice  string
		want   string
		band   analyzer.Band
		report string
	}{
		{"frequent late moves drift on reschedule rate and late reschedules",
			weekly("ab", "bob@example.com", "20260105") + "\n" + strings.Join(moves, "\n"), "reschedule_rate,late_reschedules", analyzer.BandDrifting, "bob@example.com"},
		{"frequent skips drift on skip rate",
			weekly("ab", "bob@example.com", "20260105") + "\n" + strings.Join(skips, "\n"), "skip_rate", analyzer.BandDrifting, "bob@example.com"},
		{"frequently shortened 1:1s drift on shortened",
			weekly("ab", "bob@example.com", "20260105") + "\n" + strings.Join(shorts, "\n"), "shortened", analyzer.BandDrifting, "bob@example.com"},
		{"1:1s without an agenda signal no agenda",
			strings.Replace(weekly("ab", "bob@example.com", "20260105"), "DESCRIPTION:Agenda: https://docs.example.com/1on1\n", "", 1), "no_agenda", analyzer.BandHealthy, "bob@example.com"},
		{"a weekly series replaced by a monthly one is falling cadence",
			weekly("ab-old", "bob@example.com", "20260105", "") + "\n" + strings.Replace(weekly("ab-new", "bob@example.com", "20260406"), "FREQ=WEEKLY", "FREQ=MONTHLY;BYDAY=1MO", 1),
			"falling_cadence", analyzer.BandDrifting, "bob@example.com"},
		{"a series that ended two months ago is overdue with nothing scheduled",
			strings.Replace(weekly("ab", "bob@example.com", "20260105"), "FREQ=WEEKLY", "FREQ=WEEKLY;UNTIL=20260330T235959Z", 1), "overdue,nothing_scheduled", analyzer.BandAtRisk, "bob@example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := tt.alice
			if strings.Contains(tt.name, "replaced") {
				// The old weekly series ended when the monthly one began.
				text = strings.Replace(text, "RRULE:FREQ=WEEKLY\n", "RRULE:FREQ=WEEKLY;UNTIL=20260401T000000Z\n", 1)
			}
			p := pair(t, analyze(t, calendarOf(t, "alice@example.com", text)), tt.report)
			if got := signalNames(p); got != tt.want || p.Band != tt.band {
				t.Errorf("signals %q band %s (score %d), want %q %s", got, p.Band, p.Score, tt.want, tt.band)
			}
			for _, s := range p.Signals {
				if s.Name != analyzer.SignalNothingScheduled && s.Name != analyzer.SignalFallingCadence && len(s.Evidence) == 0 {
					t.Errorf("%s carries no evidence", s.Name)
				}
			}
		})
	}
}

func TestPairDetection(t *testing.T) {
	tests := []struct {
		name  string
		event string
		infer bool
		want  string // manager/report, or "" for no pair
	}{
		{"a series organised by the report belongs to the manager's pair", `BEGIN:VEVENT
UID:x
SUMMARY:Weekly sync
DTSTART:20260105T100000Z
DTEND:20260105T103000Z
RRULE:FREQ=WEEKLY
ORGANIZER:mailto:bob@example.com
ATTENDEE:mailto:ALICE@example.com
END:VEVENT`, false, "alice@example.com/bob@example.com"},
		{"a room among the attendees does not make a third person", `BEGIN:VEVENT
UID:x
SUMMARY:Alice / Bob
DTSTART:20260105T100000Z
DTEND:20260105T103000Z
RRULE:FREQ=WEEKLY
ORGANIZER:mailto:alice@example.com
ATTENDEE;CUTYPE=ROOM:mailto:room-4@example.com
ATTENDEE;CUTYPE=RESOURCE:mailto:projector@example.com
ATTENDEE:mailto:bob@example.com
END:VEVENT`, false, "alice@example.com/bob@example.com"},
		{"a third person makes it no 1:1", `BEGIN:VEVENT
UID:x
SUMMARY:Alice / Bob
DTSTART:20260105T100000Z
DTEND:20260105T103000Z
RRULE:FREQ=WEEKLY
ORGANIZER:mailto:alice@example.com
ATTENDEE:mailto:bob@example.com
ATTENDEE:mailto:dave@example.com
END:VEVENT`, false, ""},
		{"an unlisted two-person recurring meeting is a pair only when inferring", `BEGIN:VEVENT
UID:x
SUMMARY:Mentoring
DTSTART:20260105T100000Z
DTEND:20260105T103000Z
RRULE:FREQ=WEEKLY
ORGANIZER:mailto:alice@example.com
ATTENDEE:mailto:erin@example.com
END:VEVENT`, true, "alice@example.com/erin@example.com"},
		{"an unlisted one-off without a 1:1 title is not inferred", `BEGIN:VEVENT
UID:x
SUMMARY:Lunch
DTSTART:20260505T100000Z
DTEND:20260505T103000Z
ORGANIZER:mailto:alice@example.com
ATTENDEE:mailto:erin@example.com
END:VEVENT`, true, ""},
		{"an unlisted one-off titled 1on1 is inferred", `BEGIN:VEVENT
UID:x
SUMMARY:1on1 Erin
DTSTART:20260505T100000Z
DTEND:20260505T103000Z
ORGANIZER:mailto:alice@example.com
ATTENDEE:mailto:erin@example.com
END:VEVENT`, true, "alice@example.com/erin@example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := org
			o.InferPairs = tt.infer
			r := analyzer.Analyze(analyzer.Input{Now: now, Settings: analyzer.DefaultSettings(), Org: o, Records: calendarOf(t, "alice@example.com", tt.event)})
			var got []string
			for _, p := range r.Pairs {
				if len(p.Occurrences) > 0 {
					got = append(got, p.Manager+"/"+p.Report)
				}
			}
			if strings.Join(got, ",") != tt.want {
				t.Errorf("pairs with 1:1s = %v, want %q", got, tt.want)
			}
		})
	}
}

// A one-off 1:1 whose start changed between two syncs is moved, and late
// when the change was seen less than a day before its previous start.
func TestASingleEventRetimedBetweenSyncsIsMoved(t *testing.T) {
	for _, tt := range []struct {
		name     string
		observed time.Time
		late     bool
	}{
		{"moved three days ahead", time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC), false},
		{"moved two hours before", time.Date(2026, 5, 7, 7, 0, 0, 0, time.UTC), true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			recs := calendarOf(t, "alice@example.com", `BEGIN:VEVENT
UID:one-off
SUMMARY:Alice / Bob 1:1
DTSTART:20260508T090000Z
DTEND:20260508T093000Z
ORGANIZER:mailto:alice@example.com
ATTENDEE:mailto:bob@example.com
END:VEVENT`)
			recs[0].Versions = []analyzer.Version{{
				ObservedAt: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC),
				Start:      time.Date(2026, 5, 7, 9, 0, 0, 0, time.UTC),
				End:        time.Date(2026, 5, 7, 9, 30, 0, 0, time.UTC),
			}}
			recs[0].Event.LastModified = tt.observed
			p := pair(t, analyze(t, recs), "bob@example.com")
			o := fateAt(t, p, "2026-05-07")
			if o.Fate != analyzer.FateMoved || o.Late != tt.late {
				t.Errorf("fate %s late %v, want moved late %v", o.Fate, o.Late, tt.late)
			}
		})
	}
}

// Bob's "I'm out" invitation sits on Alice's calendar: it excuses Bob's
// skipped 1:1, but Alice was not away, so Carol's skip stays a skip.
func TestAnAbsenceInvitationExcusesOnlyItsSender(t *testing.T) {
	cancel := func(uid, who string) string {
		return override(uid, who, "20260518", "20260518T100000", "20260518T103000", "STATUS:CANCELLED")
	}
	alice := calendarOf(t, "alice@example.com", strings.Join([]string{
		weekly("ab", "bob@example.com", "20260105"), cancel("ab", "bob@example.com"),
		weekly("ac", "carol@example.com", "20260105"), cancel("ac", "carol@example.com"),
		`BEGIN:VEVENT
UID:bob-out
SUMMARY:Bob OOO
DTSTART;VALUE=DATE:20260518
DTEND;VALUE=DATE:20260520
ORGANIZER:mailto:bob@example.com
ATTENDEE;PARTSTAT=ACCEPTED:mailto:alice@example.com
END:VEVENT`}, "\n"))
	r := analyze(t, alice)
	if o := fateAt(t, pair(t, r, "bob@example.com"), "2026-05-18"); o.Fate != analyzer.FateExcused {
		t.Errorf("bob: %s, want excused", o.Fate)
	}
	if o := fateAt(t, pair(t, r, "carol@example.com"), "2026-05-18"); o.Fate != analyzer.FateSkipped {
		t.Errorf("carol: %s, want skipped", o.Fate)
	}
}
