package demo

import (
	"fmt"
	"strings"
	"time"
)

const (
	hour = time.Hour
	day  = 24 * time.Hour
)

// pairs is the story: one row per manager–report pair, with what its
// 1:1s show. Each kind of drift is told on a pair of its own; weeks are
// counted from now's week (week -1 is last week), so that the analyzer's
// 12-week window holds weeks -11 to -1 whole, whatever the weekday of now.
var pairs = []struct {
	manager, report string
	pattern         string
	tell            func(*pair)
}{
	{"alice", "bruno", "healthy weekly for 14 months, in a meeting room", longStanding},
	{"alice", "carla", "healthy weekly in Berlin time across DST changes", acrossDST},
	{"alice", "dirk", "skips excused by the report's vacation and Outlook OOF; Windows TZID", excusedSkips},
	{"alice", "erin", "frequent reschedules, three of them late", frequentMoves},
	{"alice", "felix", "new relationship: first 1:1 three weeks ago", newRelationship},
	{"alice", "gita", "healthy every two weeks, plus a one-off re-timed between syncs", retimedOneOff},
	{"marcus", "grace", "1:1s cut from 45 to 10-15 minutes", shortenedMeetings},
	{"marcus", "hiro", "series replaced: 60 minutes became 30", durationCut},
	{"marcus", "ines", "skipped: cancelled, EXDATE, declined by report and manager", skippedMeetings},
	{"marcus", "jamal", "held weekly, never an agenda", noAgenda},
	{"sophie", "kai", "healthy weekly in Sydney time across DST changes", sydneyWeekly},
	{"sophie", "lena", "weekly replaced by every three weeks", fallingCadence},
	{"sophie", "mateo", "weekly on paper, every other week in fact", slippedCadence},
	{"sophie", "nora", "series ended two months ago, nothing since", overdue},
	{"sophie", "omar", "a cancelled 1:1 made up the next day", madeUp},
	{"sophie", "priya", "healthy every two weeks, organised by the report in India time", plainlyHealthy},
}

// tell writes the whole story anchored at now.
func tell(now time.Time) *story {
	s := newStory(now)
	for _, t := range teams {
		s.noise(t.name, t.manager, t.sync, t.focus)
	}
	for _, r := range pairs {
		r.tell(&pair{story: s, book: s.books[r.manager], manager: who(r.manager), report: who(r.report)})
	}
	return s
}

func (p person) first() string { return strings.Fields(p.name)[0] }

// title is "Manager / Report 1:1".
func (p *pair) title() string { return p.manager.first() + " / " + p.report.first() + " 1:1" }

func longStanding(p *pair) {
	s := p.weekly(plan{uid: "weekly", summary: p.title(), day: time.Tuesday, hh: 10, minutes: 30, from: -60, agenda: true, room: &roomSpree})
	// Once moved, a few days ahead: nothing to worry about.
	s.move(-7, p.at(s.loc, -7, time.Wednesday, 14, 0), s.ahead(-7, 3*day))
}

func acrossDST(p *pair) {
	p.weekly(plan{uid: "weekly", summary: "1-1 Carla & Alice", day: time.Thursday, hh: 9, mm: 30, minutes: 45, from: -40, agenda: true})
}

// excusedSkips: Dirk, on Outlook, organises the series in a Windows zone.
// Two weeks of vacation (an all-day invitation to Alice) and a day away
// (Outlook's busy status OOF) overlap three slots, cancelled or deleted.
func excusedSkips(p *pair) {
	s := p.weekly(plan{uid: "weekly", summary: "Dirk <> Alice", zone: "Europe/Berlin", tzid: "W. Europe Standard Time",
		day: time.Wednesday, hh: 14, minutes: 30, from: -30, byReport: true, agenda: true})
	s.master.base.BusyStatus = "BUSY"

	announced := p.at(s.loc, -9, time.Tuesday, 16, 20)
	p.absence("vacation", vevent{Summary: "Vacation", AllDay: true, Transparent: true,
		Start: p.at(s.loc, -6, time.Monday, 0, 0), End: p.at(s.loc, -4, time.Monday, 0, 0)}, announced)
	s.cancel(-6, announced.Add(2*time.Minute))
	s.cancel(-5, announced.Add(3*time.Minute))

	told := p.at(s.loc, -3, time.Thursday, 17, 45)
	p.absence("away", vevent{Summary: "Dirk away (family matters)", TZID: "W. Europe Standard Time", BusyStatus: "OOF",
		Start: p.at(s.loc, -2, time.Wednesday, 8, 0), End: p.at(s.loc, -2, time.Wednesday, 18, 0)}, told)
	s.exclude(-2, told.Add(time.Minute))
}

// frequentMoves: six of the last eleven slots moved to later that day or
// later that week; three of the moves made less than a day ahead.
func frequentMoves(p *pair) {
	s := p.weekly(plan{uid: "weekly", summary: "Erin / Alice", day: time.Monday, hh: 11, minutes: 30, from: -45, agenda: true})
	moveLater := func(w int, lead time.Duration) {
		planned, _ := s.slot(w)
		to := time.Date(planned.Year(), planned.Month(), planned.Day()+p.rng.IntN(3), 16+p.rng.IntN(2), 30*p.rng.IntN(2), 0, 0, s.loc)
		s.move(w, to, s.ahead(w, lead))
	}
	for i, w := range p.pick(6, -11, -1) {
		if i < 3 {
			moveLater(w, p.between(2*hour, 20*hour))
		} else {
			moveLater(w, p.between(50*hour, 120*hour))
		}
	}
	for _, w := range p.pick(2, -20, -13) {
		moveLater(w, p.between(50*hour, 120*hour))
	}
}

func newRelationship(p *pair) {
	p.weekly(plan{uid: "weekly", summary: "1on1: Félix + Alice", day: time.Thursday, hh: 15, minutes: 30, from: -3, agenda: true})
}

// retimedOneOff: besides their 1:1 every two weeks, Alice booked Gita an
// extra 1:1 four days ago, then moved it to the next working day three
// hours before it was due. A sync a week ago saw it at its first time.
func retimedOneOff(p *pair) {
	p.weekly(plan{uid: "biweekly", summary: p.title(), day: time.Monday, hh: 15, minutes: 30, every: 2, from: -30, agenda: true})
	loc := zone(p.manager.zone)
	today := p.now.In(loc)
	first := time.Date(today.Year(), today.Month(), today.Day()-4, 14, 0, 0, 0, loc)
	for first.Weekday() == time.Saturday || first.Weekday() == time.Sunday {
		first = first.AddDate(0, 0, -1)
	}
	then := time.Date(first.Year(), first.Month(), first.Day()+1, 16, 0, 0, 0, loc)
	for then.Weekday() == time.Saturday || then.Weekday() == time.Sunday {
		then = then.AddDate(0, 0, 1)
	}
	it := p.single("promotion", "Gita / Alice 1:1: promotion packet", first, 30, first.AddDate(0, 0, -9))
	it.edit(first.Add(-3*hour-p.between(0, 40*time.Minute)), func(v *vevent) {
		v.Start, v.End = then, then.Add(30*time.Minute)
	})
}

func shortenedMeetings(p *pair) {
	s := p.weekly(plan{uid: "weekly", summary: p.title(), day: time.Tuesday, hh: 10, minutes: 45, from: -50, agenda: true, room: &roomHudson})
	for _, w := range p.pick(5, -11, -1) {
		s.shorten(w, 10+5*p.rng.IntN(2), s.ahead(w, p.between(1*hour, 5*hour)))
	}
}

// durationCut: the hour-long weekly series ended six weeks ago and a
// 30-minute one took its place.
func durationCut(p *pair) {
	old := p.weekly(plan{uid: "weekly-60", summary: p.title(), day: time.Wednesday, hh: 13, minutes: 60, from: -40, agenda: true})
	decided := p.at(old.loc, -6, time.Monday, 9, 0)
	old.end(-6, decided)
	cut := p.weekly(plan{uid: "weekly-30", summary: p.title() + " (30 min)", day: time.Wednesday, hh: 13, minutes: 30, from: -5, agenda: true})
	cut.master.created = decided.Add(5 * time.Minute)
}

// skippedMeetings: three of the last eleven slots did not happen, each in
// its own way, and the manager declined one earlier on.
func skippedMeetings(p *pair) {
	s := p.weekly(plan{uid: "weekly", summary: p.title(), day: time.Thursday, hh: 11, minutes: 30, from: -35, agenda: true})
	s.cancel(-9, s.ahead(-9, p.between(20*hour, 50*hour)))
	s.decline(-6, p.report, s.ahead(-6, p.between(2*hour, 8*hour)))
	s.exclude(-3, s.ahead(-3, p.between(30*hour, 70*hour)))
	s.decline(-16, p.manager, s.ahead(-16, p.between(3*hour, 30*hour)))
}

func noAgenda(p *pair) {
	p.weekly(plan{uid: "weekly", summary: "Jamal <> Marcus", day: time.Monday, hh: 16, minutes: 25, from: -25, byReport: true})
}

func sydneyWeekly(p *pair) {
	p.weekly(plan{uid: "weekly", summary: p.title(), day: time.Tuesday, hh: 9, minutes: 30, from: -45, agenda: true})
}

// fallingCadence: eight weeks ago the weekly series ended and one every
// three weeks replaced it.
func fallingCadence(p *pair) {
	old := p.weekly(plan{uid: "weekly", summary: p.title(), day: time.Wednesday, hh: 10, minutes: 30, from: -40, agenda: true})
	decided := p.at(old.loc, -8, time.Thursday, 9, 30)
	old.end(-8, decided)
	sparse := p.weekly(plan{uid: "every-3-weeks", summary: p.title() + " (every 3 weeks)", day: time.Wednesday, hh: 10, minutes: 30, every: 3, from: -7, agenda: true})
	sparse.master.created = decided.Add(10 * time.Minute)
}

// slippedCadence: every other slot of the last eleven weeks was declined by
// the manager or cancelled, so they meet every two weeks.
func slippedCadence(p *pair) {
	s := p.weekly(plan{uid: "weekly", summary: p.title(), day: time.Thursday, hh: 14, minutes: 30, from: -30, agenda: true})
	for i, w := range []int{-11, -9, -7, -5, -3, -1} {
		if i%2 == 0 {
			s.decline(w, p.manager, s.ahead(w, p.between(1*hour, 20*hour)))
		} else {
			s.cancel(w, s.ahead(w, p.between(20*hour, 60*hour)))
		}
	}
}

func overdue(p *pair) {
	s := p.weekly(plan{uid: "weekly", summary: p.title(), day: time.Monday, hh: 15, minutes: 30, from: -52, agenda: true})
	s.end(-9, p.at(s.loc, -9, time.Tuesday, 10, 0))
}

func madeUp(p *pair) {
	s := p.weekly(plan{uid: "weekly", summary: p.title(), day: time.Wednesday, hh: 16, minutes: 30, from: -20, agenda: true})
	s.cancel(-4, s.ahead(-4, 26*hour))
	p.single("make-up", "Omar / Sophie catch-up (instead of Wednesday)", p.at(s.loc, -4, time.Thursday, 11, 0), 30, s.ahead(-4, 25*hour))
}

func plainlyHealthy(p *pair) {
	p.weekly(plan{uid: "biweekly", summary: "Priya <> Sophie", zone: "Asia/Kolkata", day: time.Monday, hh: 8, mm: 30, minutes: 45,
		every: 2, from: -40, byReport: true, agenda: true})
}

// noise adds what every calendar holds besides 1:1s: the weekly team
// meeting (the manager and four reports), a focus-time block with nobody
// invited, and an all-day company holiday.
func (s *story) noise(team, manager string, sync, focus slot) {
	b := s.books[manager]
	m := who(manager)
	loc := zone(m.zone)
	created := s.at(loc, -41, time.Thursday, 12, 0)

	start := s.at(loc, -40, sync.day, sync.hh, sync.mm)
	v := vevent{
		UID:     team + "-weekly@demo.rapport.example",
		Summary: strings.ToUpper(team[:1]) + team[1:] + " weekly: roadmap, on-call; demos",
		Description: "Notes: \\\\files\\" + team + "\\weekly (or the team drive)\n" +
			"Dial-in: https://meet.example.com/" + team,
		Start: start, End: start.Add(time.Duration(sync.mins) * time.Minute),
		RRule: "FREQ=WEEKLY;BYDAY=" + byDay[sync.day], Status: "CONFIRMED",
		Organizer: &attendee{Email: m.email, Name: m.name},
		Attendees: []attendee{{Email: m.email, Name: m.name, Role: "REQ-PARTICIPANT", PartStat: "ACCEPTED"}},
	}
	for _, r := range pairs {
		if r.manager == manager && len(v.Attendees) < 5 {
			rep := who(r.report)
			v.Attendees = append(v.Attendees, attendee{Email: rep.email, Name: rep.name, Role: "REQ-PARTICIPANT", PartStat: "ACCEPTED"})
		}
	}
	b.add(created, v)

	start = s.at(loc, -26, focus.day, focus.hh, focus.mm)
	b.add(created, vevent{
		UID: team + "-focus@demo.rapport.example", Summary: "Focus time",
		Start: start, End: start.Add(time.Duration(focus.mins) * time.Minute),
		RRule: "FREQ=WEEKLY;BYDAY=" + byDay[focus.day],
	})

	b.add(created, vevent{
		UID: fmt.Sprintf("%s-company-holiday@demo.rapport.example", team), Summary: "Company holiday (Founders' Day)",
		AllDay: true, Transparent: true,
		Start: s.at(loc, -5, time.Friday, 0, 0), End: s.at(loc, -5, time.Saturday, 0, 0),
	})
}
