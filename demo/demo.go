// Package demo is Rapport's built-in demo organisation: three teams whose
// managers' calendars, generated in code as iCalendar text, tell a year of
// 1:1 history with every kind of drift Rapport looks for, next to plainly
// healthy pairs and the noise a real calendar holds.
//
// The calendars are text on purpose: `rapport demo` writes them to files
// and reads them through the ics source, the store and the analyzer, the
// same path as production. The story is anchored at a given now and told as
// it stood at any earlier instant, so that two syncs see what changed in
// between (see [Calendars]).
package demo

import (
	"time"
	_ "time/tzdata" // the demo's zones, even where the system has none

	"github.com/rapport-dev/rapport/analyzer"
)

// person is someone in the demo organisation.
type person struct {
	id, name, zone string
	email          string
}

func p(id, name, zone string) person {
	return person{id: id, name: name, zone: zone, email: id + "@example.com"}
}

// staff is everyone in the demo organisation.
var staff = []person{
	p("theo", "Theo Park", "America/Los_Angeles"),   // CTO, leads engineering
	p("dana", "Dana Whitfield", "America/New_York"), // VP engineering, leads the teams

	p("alice", "Alice Berger", "Europe/Berlin"),
	p("bruno", "Bruno Weiß", "Europe/Berlin"),
	p("carla", "Carla Nowak", "Europe/Warsaw"),
	p("dirk", "Dirk Müller", "Europe/Berlin"),
	p("erin", "Erin Walsh", "Europe/Dublin"),
	p("felix", "Félix Laurent", "Europe/Paris"),
	p("gita", "Gita Sharma", "Europe/Berlin"),

	p("marcus", "Marcus Reed", "America/New_York"),
	p("grace", "Grace Kim", "America/Chicago"),
	p("hiro", "Hiro Tanaka", "America/New_York"),
	p("ines", "Inés Castillo", "America/Mexico_City"),
	p("jamal", "Jamal Baker", "America/New_York"),

	p("sophie", "Sophie Turner", "Australia/Sydney"),
	p("kai", "Kai Nguyen", "Australia/Sydney"),
	p("lena", "Lena Fischer", "Australia/Melbourne"),
	p("mateo", "Mateo Núñez", "Australia/Brisbane"),
	p("nora", "Nora O'Brien", "Australia/Sydney"),
	p("omar", "Omar Haddad", "Pacific/Auckland"),
	p("priya", "Priya Raghunathan", "Asia/Kolkata"),
}

// Meeting rooms are attendees too (CUTYPE=ROOM), but never people.
var (
	roomSpree  = p("room-spree", "Spree (4th floor)", "Europe/Berlin")
	roomHudson = p("room-hudson", "Hudson; 12th floor, east", "America/New_York")
)

func who(id string) person {
	for _, s := range staff {
		if s.id == id {
			return s
		}
	}
	panic("demo: nobody called " + id)
}

// parentTeam groups the three teams: small teams fold into it in leaders'
// aggregates, and its leaders see the whole of engineering.
const parentTeam = "engineering"

// teams are the managed teams; their reports are the pairs of the story.
var teams = []struct {
	name, manager string
	leaders       []string
	// the weekly team meeting and the manager's focus-time block, in the
	// manager's zone: noise the analyzer must ignore
	sync, focus slot
}{
	{"platform", "alice", []string{"dana"}, slot{time.Monday, 9, 30, 45}, slot{time.Wednesday, 9, 0, 120}},
	{"payments", "marcus", []string{"dana"}, slot{time.Tuesday, 14, 0, 45}, slot{time.Monday, 9, 0, 120}},
	{"mobile", "sophie", []string{"dana"}, slot{time.Tuesday, 11, 0, 45}, slot{time.Thursday, 8, 0, 120}},
}

// slot is a weekly time: a weekday, a wall-clock time and a length.
type slot struct {
	day          time.Weekday
	hh, mm, mins int
}

// Org returns the demo organisation: the parent team "engineering" (no
// manager of its own; its leader sees aggregates) and three teams under it,
// platform (Berlin), payments (New York) and mobile (Sydney), each with a
// manager and their reports. Everyone is at example.com.
func Org() analyzer.Org {
	org := analyzer.Org{Teams: []analyzer.Team{{Name: parentTeam, Leaders: []string{who("theo").email}}}}
	for _, t := range teams {
		team := analyzer.Team{Name: t.name, Parent: parentTeam, Manager: who(t.manager).email}
		for _, r := range pairs {
			if r.manager == t.manager {
				team.Reports = append(team.Reports, who(r.report).email)
			}
		}
		for _, l := range t.leaders {
			team.Leaders = append(team.Leaders, who(l).email)
		}
		org.Teams = append(org.Teams, team)
	}
	return org
}

// Zones returns each person's IANA time zone, by email.
func Zones() map[string]string {
	out := map[string]string{}
	for _, s := range staff {
		out[s.email] = s.zone
	}
	return out
}

// Calendars returns each manager's calendar (owner email → iCalendar text)
// as it stood at asOf, for the story anchored at now: a year of 1:1 history
// before now and the slots still to come. Components created after asOf are
// absent, and those changed after asOf appear in their earlier form, so that
// syncing at asOf and then at now shows what changed in between, with real
// history. asOf after now is taken as now. The same (now, asOf) always gives
// the same bytes.
func Calendars(now, asOf time.Time) map[string][]byte {
	if asOf.After(now) {
		asOf = now
	}
	s := tell(now)
	out := map[string][]byte{}
	for _, t := range teams {
		b := s.books[t.manager]
		var events []vevent
		for _, it := range b.items {
			if v, ok := it.at(asOf); ok {
				events = append(events, v)
			}
		}
		out[b.owner.email] = calendarText(b.owner.name, b.owner.zone, events)
	}
	return out
}

func zone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic("demo: " + err.Error()) // time/tzdata is linked in: cannot happen
	}
	return loc
}
