package notifier

import (
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rapport-dev/rapport/analyzer"
)

// sim runs the pure policy over a sequence of cycles, keeping its log the
// way the store does: queued emails and upserted marks.
type sim struct {
	t      *testing.T
	policy Policy
	org    analyzer.Org
	log    Log
	dir    Directory
}

func newSim(t *testing.T, p Policy) *sim { return &sim{t: t, policy: p} }

// at runs one cycle at now over the pairs and returns its emails.
func (s *sim) at(now time.Time, pairs ...analyzer.PairReport) []Email {
	s.t.Helper()
	plan := Decide(Input{Now: now, Findings: Findings{Report: analyzer.Report{Pairs: pairs, Teams: rollUp(s.org, pairs)}, Org: s.org, Directory: s.dir}, Log: s.log, Policy: s.policy})
	for _, e := range plan.Emails {
		s.log.Queued = append(s.log.Queued, Queued{To: e.To, Kind: e.Kind, Period: e.Period})
		if e.NotBefore.Before(now) {
			s.t.Errorf("%s to %s due at %s, before it was decided at %s", e.Kind, e.To, e.NotBefore, now)
		}
	}
	for _, m := range plan.Marks {
		i := slices.IndexFunc(s.log.Marks, func(o Mark) bool { return o.Pair == m.Pair && o.Key == m.Key })
		if i < 0 {
			s.log.Marks = append(s.log.Marks, m)
		} else {
			s.log.Marks[i] = m
		}
	}
	return plan.Emails
}

// rollUp is the analyzer's team roll-up, rebuilt from pairs for tests that
// need team aggregates.
func rollUp(org analyzer.Org, pairs []analyzer.PairReport) []analyzer.TeamReport {
	var out []analyzer.TeamReport
	for _, t := range org.Teams {
		if len(t.Reports) == 0 {
			continue
		}
		tr := analyzer.TeamReport{Team: t.Name}
		for _, p := range pairs {
			if p.Team == t.Name {
				tr.Pairs++
				switch p.Band {
				case analyzer.BandHealthy:
					tr.Healthy++
				case analyzer.BandDrifting:
					tr.Drifting++
				default:
					tr.AtRisk++
				}
			}
		}
		out = append(out, tr)
	}
	return out
}

// pair is a report whose band follows from its signals, as the analyzer's.
func pair(manager, report string, signals ...string) analyzer.PairReport {
	p := analyzer.PairReport{Manager: manager, Report: report, Score: 100, Signals: []analyzer.Signal{}}
	for _, name := range signals {
		p.Signals = append(p.Signals, analyzer.Signal{Name: name, Value: 1, Threshold: 0.5})
		p.Score -= analyzer.Penalties[name]
	}
	p.Band = analyzer.BandFor(p.Score)
	return p
}

func inTeam(p analyzer.PairReport, team string) analyzer.PairReport { p.Team = team; return p }

// nudges keeps the nudges of a cycle's emails.
func nudges(es []Email) []Email {
	var out []Email
	for _, e := range es {
		if e.Kind == KindNudge {
			out = append(out, e)
		}
	}
	return out
}

func digestsOf(es []Email) []Email {
	var out []Email
	for _, e := range es {
		if e.Kind == KindDigest {
			out = append(out, e)
		}
	}
	return out
}

// describe writes a nudge as "report:change[signal,…]" per pair.
func describe(e Email) string {
	var parts []string
	for _, n := range e.Pairs {
		var names []string
		for _, s := range n.Signals {
			names = append(names, s.Name)
		}
		parts = append(parts, strings.SplitN(n.Pair.Report, "@", 2)[0]+":"+string(n.Change)+"["+strings.Join(names, ",")+"]")
	}
	return strings.Join(parts, " ")
}

const (
	mgr  = "mia@example.com"
	mgr2 = "noah@example.com"
	ann  = "ann@example.com"
	ben  = "ben@example.com"
	cat  = "cat@example.com"
)

// day0 is a Monday; cycles run at 09:00 UTC.
var day0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func day(n int) time.Time { return day0.AddDate(0, 0, n) }

func TestAPairDriftingRecoveringAndDriftingAgain(t *testing.T) {
	s := newSim(t, Policy{BackOnTrack: true, Immediate: true})
	for _, step := range []struct {
		day     int
		signals []string
		want    string // the day's nudge, "" for none
	}{
		{0, []string{"skip_rate"}, "ann:drift[skip_rate]"},             // the first cycle: nothing is old news
		{1, []string{"skip_rate"}, ""},                                 // still skipping: the digest carries it
		{2, nil, "ann:recovered[]"},                                    // healthy again: a short thank-you
		{3, []string{"skip_rate"}, ""},                                 // crossed again within the cooldown
		{9, []string{"skip_rate", "overdue"}, "ann:drift[overdue]"},    // a new signal is news at once
		{13, []string{"skip_rate", "overdue"}, ""},                     // the skip cooldown has not passed
		{14, []string{"skip_rate", "overdue"}, "ann:drift[skip_rate]"}, // it has: re-crossed and still there
		{15, []string{"skip_rate", "overdue"}, ""},
		{16, []string{"overdue"}, ""},              // better (drifting), not healthy: nothing to say
		{17, []string{"overdue", "skip_rate"}, ""}, // at risk again, but within the cooldown
		{40, nil, "ann:recovered[]"},
	} {
		got := nudges(s.at(day(step.day), pair(mgr, ann, step.signals...)))
		desc := ""
		if len(got) == 1 {
			desc = describe(got[0])
		} else if len(got) > 1 {
			t.Fatalf("day %d: %d nudges to one manager", step.day, len(got))
		}
		if desc != step.want {
			t.Errorf("day %d with %v: nudge %q, want %q", step.day, step.signals, desc, step.want)
		}
	}
}

func TestASignalThatStaysCrossedIsNotRepeated(t *testing.T) {
	s := newSim(t, Policy{Immediate: true})
	var sent []int
	for d := 0; d < 60; d++ {
		if len(nudges(s.at(day(d), pair(mgr, ann, "overdue")))) > 0 {
			sent = append(sent, d)
		}
	}
	if !reflect.DeepEqual(sent, []int{0}) {
		t.Errorf("nudged on days %v, want only day 0", sent)
	}
}

func TestCooldownIsPerPairAndSignal(t *testing.T) {
	s := newSim(t, Policy{Cooldown: 7 * 24 * time.Hour, Immediate: true})
	steps := []struct {
		day   int
		pairs []analyzer.PairReport
		want  string
	}{
		{0, []analyzer.PairReport{pair(mgr, ann, "shortened"), pair(mgr, ben)}, "ann:drift[shortened]"},
		{1, []analyzer.PairReport{pair(mgr, ann), pair(mgr, ben)}, ""},
		// The same signal on another pair is news; on Ann it is in cooldown.
		{2, []analyzer.PairReport{pair(mgr, ann, "shortened"), pair(mgr, ben, "shortened")}, "ben:drift[shortened]"},
		{3, []analyzer.PairReport{pair(mgr, ann), pair(mgr, ben, "shortened")}, ""},
		{6, []analyzer.PairReport{pair(mgr, ann, "shortened"), pair(mgr, ben, "shortened")}, ""},
		// Seven days after Ann's nudge, her re-crossed signal may be told.
		{7, []analyzer.PairReport{pair(mgr, ann, "shortened"), pair(mgr, ben, "shortened")}, "ann:drift[shortened]"},
	}
	for _, step := range steps {
		got := nudges(s.at(day(step.day), step.pairs...))
		desc := ""
		if len(got) > 0 {
			desc = describe(got[0])
		}
		if desc != step.want {
			t.Errorf("day %d: nudge %q, want %q", step.day, desc, step.want)
		}
	}
}

func TestOneNudgePerManagerPerDayBatchesThePairs(t *testing.T) {
	s := newSim(t, Policy{Immediate: true})
	morning := s.at(day(0), pair(mgr, ann, "skip_rate"), pair(mgr, ben, "overdue", "nothing_scheduled"), pair(mgr2, cat, "no_agenda"))
	got := map[string]string{}
	for _, e := range nudges(morning) {
		got[e.To] = describe(e)
	}
	want := map[string]string{
		mgr:  "ben:drift[overdue,nothing_scheduled] ann:drift[skip_rate]", // at risk first, heaviest signal first
		mgr2: "cat:drift[no_agenda]",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("morning nudges = %v, want %v", got, want)
	}
	// Later the same day Ann also stops having an agenda: that waits.
	afternoon := day(0).Add(6 * time.Hour)
	if n := nudges(s.at(afternoon, pair(mgr, ann, "skip_rate", "no_agenda"), pair(mgr, ben, "overdue", "nothing_scheduled"))); len(n) != 0 {
		t.Errorf("a second nudge the same day: %s", describe(n[0]))
	}
	next := nudges(s.at(day(1), pair(mgr, ann, "skip_rate", "no_agenda"), pair(mgr, ben, "overdue", "nothing_scheduled")))
	if len(next) != 1 || describe(next[0]) != "ann:drift[no_agenda]" {
		t.Errorf("next day: %v, want Ann's no_agenda alone", next)
	}
}

func TestAManagersManyDriftingPairsWaitTheirTurn(t *testing.T) {
	s := newSim(t, Policy{Immediate: true})
	var pairs []analyzer.PairReport
	for i := range MaxPairsPerNudge + 3 {
		sig := "no_agenda"
		if i%4 == 0 {
			sig = "overdue"
		}
		pairs = append(pairs, pair(mgr, fmt.Sprintf("r%02d@example.com", i), sig))
	}
	first := nudges(s.at(day(0), pairs...))
	second := nudges(s.at(day(1), pairs...))
	third := nudges(s.at(day(2), pairs...))
	if len(first) != 1 || len(first[0].Pairs) != MaxPairsPerNudge {
		t.Fatalf("day 0: %d nudges, want one with %d pairs", len(first), MaxPairsPerNudge)
	}
	for _, n := range first[0].Pairs[:4] {
		if n.Pair.Signals[0].Name != "overdue" {
			t.Errorf("day 0 leads with %s, want the overdue pairs first", n.Pair.Report)
		}
	}
	if len(second) != 1 || len(second[0].Pairs) != 3 || len(third) != 0 {
		t.Errorf("day 1: %v; day 2: %v; want the 3 left on day 1, then nothing", second, third)
	}
}

func TestTheFirstCycleHasNoSilentBaseline(t *testing.T) {
	s := newSim(t, Policy{Immediate: true})
	es := nudges(s.at(day(0), pair(mgr, ann, "reschedule_rate", "late_reschedules"), pair(mgr, ben, "no_agenda")))
	if len(es) != 1 || describe(es[0]) != "ann:drift[reschedule_rate,late_reschedules] ben:drift[no_agenda]" {
		t.Errorf("first cycle: %v", es)
	}
}

func TestAPairEnteringAWorseBandIsNudgedEvenWithoutANewSignal(t *testing.T) {
	s := newSim(t, Policy{Immediate: true})
	p := pair(mgr, ann, "no_agenda")
	s.at(day(0), p)
	p.Band = analyzer.BandAtRisk // the same signal, weighed heavier
	got := nudges(s.at(day(20), p))
	if len(got) != 1 || got[0].Pairs[0].WasBand != analyzer.BandHealthy || describe(got[0]) != "ann:drift[no_agenda]" {
		t.Errorf("got %v", got)
	}
	if n := nudges(s.at(day(21), p)); len(n) != 0 {
		t.Errorf("told twice: %v", n)
	}
}

func TestBackOnTrackNotesCanBeTurnedOff(t *testing.T) {
	s := newSim(t, Policy{Immediate: true})
	s.at(day(0), pair(mgr, ann, "skip_rate"))
	if n := nudges(s.at(day(1), pair(mgr, ann))); len(n) != 0 {
		t.Errorf("a back-on-track note although off: %s", describe(n[0]))
	}
	// Silently healthy again: drifting later is news, after the cooldown.
	if n := nudges(s.at(day(20), pair(mgr, ann, "skip_rate"))); len(n) != 1 {
		t.Errorf("drifting again after the cooldown: %d nudges, want 1", len(n))
	}
}

func TestSnoozedPairsGetNoNudgesUntilTheSnoozeEnds(t *testing.T) {
	s := newSim(t, Policy{Immediate: true})
	s.log.Snoozes = []Snooze{{Pair: analyzer.PairKey{Manager: mgr, Report: ann}, Until: day(5).Truncate(24 * time.Hour), Reason: "parental leave"}}
	for d := range 5 {
		es := s.at(day(d), pair(mgr, ann, "overdue", "nothing_scheduled"), pair(mgr, ben))
		if n := nudges(es); len(n) != 0 {
			t.Errorf("day %d: nudged about a snoozed pair: %s", d, describe(n[0]))
		}
		for _, e := range digestsOf(es) {
			if dp := e.Digest.Pairs[0]; dp.Pair.Report != ann || dp.SnoozedUntil.IsZero() {
				t.Errorf("day %d: the digest does not show Ann as snoozed: %+v", d, e.Digest.Pairs)
			}
		}
	}
	n := nudges(s.at(day(5), pair(mgr, ann, "overdue", "nothing_scheduled"), pair(mgr, ben)))
	if len(n) != 1 || describe(n[0]) != "ann:drift[overdue,nothing_scheduled]" {
		t.Errorf("after the snooze: %v", n)
	}
}

func TestNudgesWaitForTheManagersSendWindowOnTheirLocalDay(t *testing.T) {
	berlin, sydney := mustZone("Europe/Berlin"), mustZone("Australia/Sydney")
	zones := map[string]*time.Location{mgr: berlin, mgr2: sydney}
	s := newSim(t, Policy{Zone: func(e string) *time.Location { return zones[e] }})
	// Monday 2 March 2026, 14:00 UTC: 15:00 in Berlin (inside the window),
	// Tuesday 01:00 in Sydney (outside: wait until 08:00 there).
	now := time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC)
	got := map[string]Email{}
	for _, e := range nudges(s.at(now, pair(mgr, ann, "skip_rate"), pair(mgr2, ben, "skip_rate"))) {
		got[e.To] = e
	}
	if e := got[mgr]; !e.NotBefore.Equal(now) || e.Period != "2026-03-02" {
		t.Errorf("Berlin: due %s for %s, want now, Monday", e.NotBefore, e.Period)
	}
	wantSydney := time.Date(2026, 3, 3, 8, 0, 0, 0, sydney)
	if e := got[mgr2]; !e.NotBefore.Equal(wantSydney) || e.Period != "2026-03-03" {
		t.Errorf("Sydney: due %s for %s, want %s, Tuesday", e.NotBefore, e.Period, wantSydney)
	}
	// At 20:00 UTC it is Tuesday 07:00 in Sydney: Tuesday has its nudge.
	later := time.Date(2026, 3, 2, 20, 0, 0, 0, time.UTC)
	if n := nudges(s.at(later, pair(mgr2, ben, "skip_rate", "no_agenda"))); len(n) != 0 {
		t.Errorf("a second nudge for Sydney's Tuesday: %s", describe(n[0]))
	}
}

func TestTheSendWindowKeepsLocalTimeAcrossDST(t *testing.T) {
	berlin, sydney := mustZone("Europe/Berlin"), mustZone("Australia/Sydney")
	w := Window{Start: 8 * 60, End: 18 * 60, WeekdaysOnly: true}
	utc := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	for _, c := range []struct {
		name    string
		loc     *time.Location
		at      string
		wantUTC string
	}{
		{"Berlin before the March change: 08:00 CET is 07:00 UTC", berlin, "2026-03-27T05:00:00Z", "2026-03-27T07:00:00Z"},
		{"Berlin, Saturday before the change, waits for Monday 08:00 CEST", berlin, "2026-03-28T12:00:00Z", "2026-03-30T06:00:00Z"},
		{"Berlin, the night of the change itself", berlin, "2026-03-29T01:30:00Z", "2026-03-30T06:00:00Z"},
		{"Berlin after the change: 08:00 CEST is 06:00 UTC", berlin, "2026-03-31T05:00:00Z", "2026-03-31T06:00:00Z"},
		{"Berlin inside the window: at once", berlin, "2026-03-31T09:15:00Z", "2026-03-31T09:15:00Z"},
		{"Berlin after 18:00 CEST: the next morning", berlin, "2026-03-31T16:00:00Z", "2026-04-01T06:00:00Z"},
		{"Sydney before April's change: 08:00 AEDT is 21:00 UTC the day before", sydney, "2026-04-02T12:00:00Z", "2026-04-02T21:00:00Z"},
		{"Sydney, Friday night before the change, waits for Monday 08:00 AEST", sydney, "2026-04-03T12:00:00Z", "2026-04-05T22:00:00Z"},
		{"Sydney, during the repeated hour of the change", sydney, "2026-04-04T15:30:00Z", "2026-04-05T22:00:00Z"},
		{"Sydney after the change: 08:00 AEST is 22:00 UTC the day before", sydney, "2026-04-06T20:00:00Z", "2026-04-06T22:00:00Z"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := w.Next(utc(c.at), c.loc)
			if !got.Equal(utc(c.wantUTC)) {
				t.Errorf("Next(%s) = %s (%s local), want %s", c.at, got.UTC().Format(time.RFC3339), got.In(c.loc).Format("Mon 15:04 MST"), c.wantUTC)
			}
		})
	}
}

func TestABerlinManagersDailyNudgesStayAt0800AcrossTheMarchChange(t *testing.T) {
	berlin := mustZone("Europe/Berlin")
	s := newSim(t, Policy{Cooldown: 24 * time.Hour, Zone: func(string) *time.Location { return berlin }})
	// A daemon cycle at 03:00 UTC every day finds a new signal each day,
	// alternating, so that each day has a nudge to send.
	var got []string
	sigs := []string{"skip_rate", "no_agenda"}
	for d := 0; d < 7; d++ {
		now := time.Date(2026, 3, 26, 3, 0, 0, 0, time.UTC).AddDate(0, 0, d)
		for _, e := range nudges(s.at(now, pair(mgr, ann, sigs[d%2]))) {
			got = append(got, e.Period+" "+e.NotBefore.In(berlin).Format("15:04")+" "+e.NotBefore.UTC().Format("15:04Z"))
		}
	}
	want := []string{
		"2026-03-26 08:00 07:00Z", // Thursday, CET
		"2026-03-27 08:00 07:00Z", // Friday
		"2026-03-30 08:00 06:00Z", // Saturday's decision waits for Monday, CEST
		// Sunday's and Monday's decisions find Monday taken.
		"2026-03-31 08:00 06:00Z",
		"2026-04-01 08:00 06:00Z",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("nudges:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestASydneyManagersWindowAcrossTheAprilChange(t *testing.T) {
	sydney := mustZone("Australia/Sydney")
	s := newSim(t, Policy{Cooldown: 24 * time.Hour, Zone: func(string) *time.Location { return sydney }})
	var got []string
	sigs := []string{"skip_rate", "no_agenda"}
	for d := 0; d < 6; d++ {
		// 12:00 UTC is 23:00 AEDT, then 22:00 AEST: always after the window.
		now := time.Date(2026, 4, 1, 12, 0, 0, 0, time.UTC).AddDate(0, 0, d)
		for _, e := range nudges(s.at(now, pair(mgr, ann, sigs[d%2]))) {
			got = append(got, e.Period+" "+e.NotBefore.In(sydney).Format("15:04 MST")+" "+e.NotBefore.UTC().Format("Jan 2 15:04Z"))
		}
	}
	want := []string{
		"2026-04-02 08:00 AEDT Apr 1 21:00Z",
		"2026-04-03 08:00 AEDT Apr 2 21:00Z",
		"2026-04-06 08:00 AEST Apr 5 22:00Z", // Friday night's decision: Monday, after the change
		"2026-04-07 08:00 AEST Apr 6 22:00Z",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("nudges:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func digestOrg() analyzer.Org {
	return analyzer.Org{Teams: []analyzer.Team{
		{Name: "eng", Leaders: []string{"lea@example.com"}},
		{Name: "big", Parent: "eng", Manager: mgr, Reports: []string{"a1", "a2", "a3", "a4", "a5"}, Leaders: []string{"dan@example.com"}},
		{Name: "small", Parent: "eng", Manager: mgr2, Reports: []string{"b1", "b2"}, Leaders: []string{"dan@example.com", mgr}},
	}}
}

func digestPairs() []analyzer.PairReport {
	var ps []analyzer.PairReport
	for i := 1; i <= 5; i++ {
		ps = append(ps, inTeam(pair(mgr, fmt.Sprintf("a%d", i)), "big"))
	}
	ps[0] = inTeam(pair(mgr, "a1", "overdue"), "big")
	return append(ps, inTeam(pair(mgr2, "b1", "skip_rate"), "small"), inTeam(pair(mgr2, "b2"), "small"))
}

func TestTheWeeklyDigestComesOnceAWeekAtItsLocalTime(t *testing.T) {
	berlin := mustZone("Europe/Berlin")
	s := newSim(t, Policy{DigestDay: time.Monday, DigestAt: 9 * 60, Zone: func(string) *time.Location { return berlin }})
	s.org = digestOrg()
	at := func(local string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04", local, berlin)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	for _, step := range []struct {
		local string
		want  []string // recipients of a digest
	}{
		{"2026-03-01 12:00", nil}, // Sunday
		{"2026-03-02 08:59", nil}, // Monday, a minute early
		{"2026-03-02 09:00", []string{"dan@example.com", "lea@example.com", mgr, mgr2}},
		{"2026-03-02 15:00", nil}, // already sent this week
		{"2026-03-05 10:00", nil}, // Thursday
		{"2026-03-09 09:30", []string{"dan@example.com", "lea@example.com", mgr, mgr2}},
	} {
		var got []string
		for _, e := range digestsOf(s.at(at(step.local), digestPairs()...)) {
			got = append(got, e.To)
		}
		if !reflect.DeepEqual(got, step.want) {
			t.Errorf("%s: digests to %v, want %v", step.local, got, step.want)
		}
	}
	want := []Queued{}
	for _, q := range s.log.Queued {
		if q.Kind == KindDigest && q.To == mgr {
			want = append(want, q)
		}
	}
	if len(want) != 2 || want[0].Period != "2026-W10" || want[1].Period != "2026-W11" {
		t.Errorf("Mia's digests: %v, want weeks 10 and 11", want)
	}
}

func TestAMissedDigestDayIsCaughtUpOnlyWhileTheWeekIsYoung(t *testing.T) {
	s := newSim(t, Policy{DigestDay: time.Monday, DigestAt: 9 * 60})
	s.org = digestOrg()
	if n := digestsOf(s.at(time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC), digestPairs()...)); len(n) == 0 {
		t.Error("Wednesday after a missed Monday: no digest, want one")
	}
	s = newSim(t, Policy{DigestDay: time.Monday, DigestAt: 9 * 60})
	s.org = digestOrg()
	if n := digestsOf(s.at(time.Date(2026, 3, 6, 10, 0, 0, 0, time.UTC), digestPairs()...)); len(n) != 0 {
		t.Errorf("Friday after a missed Monday: %d digests, want none (next week's is near)", len(n))
	}
}

func TestDigestsShowManagersTheirReportsAndLeadersOnlyAggregates(t *testing.T) {
	s := newSim(t, Policy{Immediate: true, PrivacyMinGroup: 5})
	s.org = digestOrg()
	got := map[string]*Digest{}
	for _, e := range digestsOf(s.at(day(0), digestPairs()...)) {
		got[e.To] = e.Digest
	}
	reports := func(d *Digest) []string {
		var out []string
		for _, p := range d.Pairs {
			out = append(out, p.Pair.Report)
		}
		return out
	}
	teams := func(d *Digest) []string {
		var out []string
		for _, t := range d.Teams {
			out = append(out, fmt.Sprintf("%s:%d", t.Team, t.Pairs))
		}
		sort.Strings(out)
		return out
	}
	for _, c := range []struct {
		who         string
		reports     []string
		teams       []string
		folded      bool
		description string
	}{
		{mgr, []string{"a1", "a2", "a3", "a4", "a5"}, nil, true,
			"Mia manages big and leads small: her reports, and small (2 pairs) is too small to show"},
		{mgr2, []string{"b1", "b2"}, nil, false, "Noah manages small and leads nothing"},
		{"dan@example.com", nil, []string{"big:5"}, true, "Dan leads big and small: big alone; small folds out of sight"},
		{"lea@example.com", nil, []string{"big:5"}, true, "Lea leads eng: the same, from the top"},
	} {
		d := got[c.who]
		if d == nil {
			t.Errorf("%s: no digest", c.description)
			continue
		}
		if r := reports(d); !reflect.DeepEqual(r, c.reports) {
			t.Errorf("%s: reports %v, want %v", c.description, r, c.reports)
		}
		if tm := teams(d); !reflect.DeepEqual(tm, c.teams) && !(len(tm) == 0 && len(c.teams) == 0) {
			t.Errorf("%s: teams %v, want %v", c.description, tm, c.teams)
		}
		if d.Folded != c.folded {
			t.Errorf("%s: folded %v, want %v", c.description, d.Folded, c.folded)
		}
	}
	if d := got[mgr]; d != nil && d.Pairs[0].Pair.Report != "a1" {
		t.Errorf("Mia's digest starts with %s, want the overdue a1", d.Pairs[0].Pair.Report)
	}
}

func TestSmallTeamsFoldIntoTheirParentInALeadersDigest(t *testing.T) {
	org := analyzer.Org{Teams: []analyzer.Team{
		{Name: "eng", Leaders: []string{"lea@example.com"}},
		{Name: "web", Parent: "eng", Manager: "w@x", Reports: []string{"w1", "w2", "w3"}},
		{Name: "app", Parent: "eng", Manager: "p@x", Reports: []string{"p1", "p2", "p3"}},
	}}
	var pairs []analyzer.PairReport
	for _, r := range []string{"w1", "w2", "w3"} {
		pairs = append(pairs, inTeam(pair("w@x", r), "web"))
	}
	for _, r := range []string{"p1", "p2", "p3"} {
		pairs = append(pairs, inTeam(pair("p@x", r, "overdue"), "app"))
	}
	teams, folded := leaderTeams(org, rollUp(org, pairs), "lea@example.com", 5)
	if len(teams) != 1 || teams[0].Team != "eng" || teams[0].Pairs != 6 || teams[0].AtRisk != 0 || teams[0].Drifting != 3 || !folded {
		t.Errorf("teams = %+v (folded %v), want web and app folded into eng: 6 pairs, 3 drifting", teams, folded)
	}
}

func TestRelationshipStages(t *testing.T) {
	now := day(0)
	weekly := func(uid string, first time.Time, n int, fate analyzer.Fate) []analyzer.Occurrence {
		var out []analyzer.Occurrence
		for i := range n {
			out = append(out, analyzer.Occurrence{UID: uid, Planned: first.AddDate(0, 0, 7*i), Fate: fate})
		}
		return out
	}
	healthy := func(occ []analyzer.Occurrence) analyzer.PairReport {
		p := pair(mgr, ann)
		p.Occurrences = occ
		return p
	}
	yearAgo := now.AddDate(-1, 0, -7)
	for _, c := range []struct {
		name string
		pr   analyzer.PairReport
		dir  Directory
		want Stage
	}{
		{"first 1:1 three weeks ago: new", healthy(weekly("s", now.AddDate(0, 0, -21), 4, analyzer.FateHeld)), Directory{}, StageNew},
		{"first 1:1 still to come: new", healthy(weekly("s", now.AddDate(0, 0, 2), 3, analyzer.FateUpcoming)), Directory{}, StageNew},
		{"eight months of history: neither", healthy(weekly("s", now.AddDate(0, -8, 0), 34, analyzer.FateHeld)), Directory{}, ""},
		{"the series began over a year ago, healthy throughout: long-standing",
			healthy(weekly("s", now.AddDate(0, -8, 0), 34, analyzer.FateHeld)),
			Directory{Series: map[string]Series{"s": {Start: yearAgo}}}, StageLongStanding},
		{"a year, but half the 1:1s skipped: neither",
			healthy(append(weekly("s", now.AddDate(0, -8, 0), 17, analyzer.FateHeld), weekly("s", now.AddDate(0, -4, 0), 17, analyzer.FateSkipped)...)),
			Directory{Series: map[string]Series{"s": {Start: yearAgo}}}, ""},
		{"a year, but drifting now: neither",
			func() analyzer.PairReport {
				p := pair(mgr, ann, "skip_rate")
				p.Occurrences = weekly("s", now.AddDate(0, -8, 0), 34, analyzer.FateHeld)
				return p
			}(),
			Directory{Series: map[string]Series{"s": {Start: yearAgo}}}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := relationshipOf(c.pr, c.dir, now); got.Stage != c.want {
				t.Errorf("stage %q (since %s), want %q", got.Stage, got.Since, c.want)
			}
		})
	}
}
