package demo

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"time"
)

// item is one calendar component with its history: the form it was
// created in, then the edits made to it, each at a known instant. Shown as
// it stood at some instant, it has the edits made by then.
type item struct {
	created time.Time
	base    vevent
	edits   []edit
}

type edit struct {
	at     time.Time
	change func(*vevent)
}

// edit records a change made at `at`.
func (it *item) edit(at time.Time, change func(*vevent)) {
	it.edits = append(it.edits, edit{at, change})
}

// at returns the component as it stood at asOf; false when it did not
// exist yet.
func (it *item) at(asOf time.Time) (vevent, bool) {
	if it.created.After(asOf) {
		return vevent{}, false
	}
	v := it.base.clone()
	v.Created, v.Modified = it.created, it.created
	edits := append([]edit(nil), it.edits...)
	sort.SliceStable(edits, func(i, j int) bool { return edits[i].at.Before(edits[j].at) })
	for _, e := range edits {
		if e.at.After(asOf) {
			break
		}
		e.change(&v)
		v.Modified = e.at
		v.Sequence++
	}
	return v, true
}

// book is one manager's calendar being written.
type book struct {
	owner person
	items []*item
}

func (b *book) add(created time.Time, v vevent) *item {
	it := &item{created: created, base: v}
	b.items = append(b.items, it)
	return it
}

// story is the demo organisation's history, anchored at now. Every time in
// it is derived from now's week (in the zone of the event at hand) and from
// a random source seeded with constants, so that the same now always tells
// the same story.
type story struct {
	now   time.Time
	rng   *rand.Rand
	books map[string]*book // by manager id
}

func newStory(now time.Time) *story {
	s := &story{now: now, rng: rand.New(rand.NewPCG(0x7261_7070_6f72_7421, 0x6f6e_652d_6f6e_2d31)), books: map[string]*book{}}
	for _, t := range teams {
		s.books[t.manager] = &book{owner: who(t.manager)}
	}
	return s
}

// monday is local midnight of the Monday of the week holding t in loc.
func monday(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	back := (int(t.Weekday()) + 6) % 7
	return time.Date(t.Year(), t.Month(), t.Day()-back, 0, 0, 0, 0, loc)
}

// at is the wall-clock time hh:mm on weekday day of week `week` in loc,
// week 0 being the week holding now: week -1 is last week, and so on.
func (s *story) at(loc *time.Location, week int, day time.Weekday, hh, mm int) time.Time {
	m := monday(s.now, loc)
	return time.Date(m.Year(), m.Month(), m.Day()+7*week+(int(day)+6)%7, hh, mm, 0, 0, loc)
}

// between returns a random duration in [lo, hi), in whole minutes.
func (s *story) between(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(s.rng.Int64N(int64((hi-lo)/time.Minute)))*time.Minute
}

// pick returns n distinct weeks from [from, to], in random order.
func (s *story) pick(n, from, to int) []int {
	perm := s.rng.Perm(to - from + 1)
	out := make([]int, n)
	for i := range out {
		out[i] = from + perm[i]
	}
	return out
}

// pair is one manager–report pair while its story is written.
type pair struct {
	*story
	book            *book
	manager, report person
}

// plan describes a recurring 1:1.
type plan struct {
	uid      string // within the pair; the full UID adds the pair
	zone     string // IANA zone of the series; default the manager's
	tzid     string // zone name written instead, e.g. a Windows name
	day      time.Weekday
	hh, mm   int
	minutes  int
	every    int  // weeks between slots; default 1
	from     int  // week of the first slot
	byReport bool // the report organises it
	agenda   bool // DESCRIPTION with an agenda link
	room     *person
	summary  string
}

// series is a recurring 1:1 on the manager's calendar.
type series struct {
	*pair
	plan
	loc    *time.Location
	master *item
}

// weekly adds a recurring 1:1, created a few days before its first slot.
func (p *pair) weekly(pl plan) *series {
	if pl.zone == "" {
		pl.zone = p.manager.zone
	}
	if pl.every == 0 {
		pl.every = 1
	}
	s := &series{pair: p, plan: pl, loc: zone(pl.zone)}
	start, end := s.slot(pl.from)
	rule := "FREQ=WEEKLY"
	if pl.every > 1 {
		rule += fmt.Sprintf(";INTERVAL=%d", pl.every)
	}
	rule += ";BYDAY=" + byDay[pl.day]
	v := p.meeting(p.uid(pl.uid), pl.summary, start, end, pl.byReport, pl.agenda)
	v.TZID, v.RRule = pl.tzid, rule
	if pl.room != nil {
		v.Location = pl.room.name
		v.Attendees = append(v.Attendees, attendee{Email: pl.room.email, Name: pl.room.name, CUType: "ROOM", Role: "NON-PARTICIPANT", PartStat: "ACCEPTED"})
	}
	s.master = p.book.add(s.at(s.loc, pl.from, time.Monday, 9, 0).AddDate(0, 0, -3), v)
	return s
}

var byDay = map[time.Weekday]string{
	time.Monday: "MO", time.Tuesday: "TU", time.Wednesday: "WE", time.Thursday: "TH",
	time.Friday: "FR", time.Saturday: "SA", time.Sunday: "SU",
}

func (p *pair) uid(name string) string {
	return fmt.Sprintf("%s-%s-%s@demo.rapport.example", p.manager.id, p.report.id, name)
}

// meeting is a 1:1 between the pair, both accepted.
func (p *pair) meeting(uid, summary string, start, end time.Time, byReport, agenda bool) vevent {
	org := p.manager
	if byReport {
		org = p.report
	}
	v := vevent{
		UID: uid, Summary: summary, Start: start, End: end, Status: "CONFIRMED",
		Organizer: &attendee{Email: org.email, Name: org.name},
		Attendees: []attendee{
			{Email: p.manager.email, Name: p.manager.name, Role: "REQ-PARTICIPANT", PartStat: "ACCEPTED"},
			{Email: p.report.email, Name: p.report.name, Role: "REQ-PARTICIPANT", PartStat: "ACCEPTED"},
		},
	}
	if agenda {
		v.Description = fmt.Sprintf("Agenda (%s owns it; most important first): https://docs.example.com/1on1/%s-%s\n"+
			"Standing topics: wins, blockers; growth and feedback.", p.report.name, p.manager.id, p.report.id)
	}
	return v
}

// slot is the planned start and end of the series' slot in week w.
func (s *series) slot(w int) (start, end time.Time) {
	start = s.at(s.loc, w, s.day, s.hh, s.mm)
	return start, start.Add(time.Duration(s.minutes) * time.Minute)
}

// ahead is lead before the slot in week w: when a change to it was made.
func (s *series) ahead(w int, lead time.Duration) time.Time {
	start, _ := s.slot(w)
	return start.Add(-lead)
}

// override adds an override of the slot in week w, made at `at`.
func (s *series) override(w int, at time.Time, change func(v *vevent)) {
	start, end := s.slot(w)
	v := s.master.base.clone()
	v.RRule, v.Until, v.ExDates = "", time.Time{}, nil
	v.RecurrenceID, v.Start, v.End = start, start, end
	v.Sequence = 1
	change(&v)
	s.book.add(at, v)
}

// move re-times the slot in week w to start, as decided at `at`.
func (s *series) move(w int, start, at time.Time) {
	s.override(w, at, func(v *vevent) {
		v.Start, v.End = start, start.Add(time.Duration(s.minutes)*time.Minute)
	})
}

// shorten cuts the slot in week w to the given minutes.
func (s *series) shorten(w, minutes int, at time.Time) {
	s.override(w, at, func(v *vevent) { v.End = v.Start.Add(time.Duration(minutes) * time.Minute) })
}

// cancel cancels the slot in week w.
func (s *series) cancel(w int, at time.Time) {
	s.override(w, at, func(v *vevent) { v.Status = "CANCELLED" })
}

// decline has one of the pair decline the slot in week w.
func (s *series) decline(w int, who person, at time.Time) {
	s.override(w, at, func(v *vevent) {
		for i := range v.Attendees {
			if v.Attendees[i].Email == who.email {
				v.Attendees[i].PartStat = "DECLINED"
			}
		}
	})
}

// exclude deletes the slot in week w from the series (an EXDATE).
func (s *series) exclude(w int, at time.Time) {
	planned, _ := s.slot(w)
	s.master.edit(at, func(v *vevent) { v.ExDates = append(v.ExDates, planned) })
}

// end ends the series after its slot in week last, decided at `at`.
func (s *series) end(last int, at time.Time) {
	planned, _ := s.slot(last)
	s.master.edit(at, func(v *vevent) { v.Until = planned })
}

// single adds a one-off 1:1, created at `created`.
func (p *pair) single(name, summary string, start time.Time, minutes int, created time.Time) *item {
	v := p.meeting(p.uid(name), summary, start, start.Add(time.Duration(minutes)*time.Minute), false, true)
	return p.book.add(created, v)
}

// absence adds an out-of-office event the report sends the manager.
func (p *pair) absence(uid string, v vevent, created time.Time) {
	v.UID = p.uid(uid)
	v.Organizer = &attendee{Email: p.report.email, Name: p.report.name}
	v.Attendees = []attendee{{Email: p.manager.email, Name: p.manager.name, Role: "OPT-PARTICIPANT", PartStat: "ACCEPTED"}}
	v.Status = "CONFIRMED"
	p.book.add(created, v)
}
