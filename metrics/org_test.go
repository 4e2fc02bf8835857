package metrics

import (
	"fmt"
	"time"

	"github.com/rapport-dev/rapport/analyzer"
	"github.com/rapport-dev/rapport/calendar"
)

var now = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// habit is how a pair's weekly 1:1 goes.
type habit int

const (
	steady    habit = iota // held every week
	mover                  // moved every other week, late
	skipper                // cancelled every other week
	abandoned              // the series ended seven weeks ago
)

type pairSpec struct {
	report string
	habit  habit
}

type teamSpec struct {
	name, parent, manager string
	pairs                 []pairSpec
}

// analyzed builds calendars for the teams and runs the real analyzer on
// them, so that team roll-ups and folding are the analyzer's own.
func analyzed(teams []teamSpec) (analyzer.Report, analyzer.Org) {
	var org analyzer.Org
	var recs []analyzer.Record
	parents := map[string]bool{}
	for _, t := range teams {
		if t.parent != "" && !parents[t.parent] {
			parents[t.parent] = true
			org.Teams = append(org.Teams, analyzer.Team{Name: t.parent})
		}
	}
	for _, t := range teams {
		team := analyzer.Team{Name: t.name, Parent: t.parent, Manager: t.manager}
		cal := calendar.Calendar{ID: t.manager, Owner: t.manager}
		for i, p := range t.pairs {
			team.Reports = append(team.Reports, p.report)
			people := []calendar.Attendee{
				{Email: t.manager, Status: calendar.PartStatAccepted},
				{Email: p.report, Status: calendar.PartStatAccepted},
			}
			start := now.AddDate(0, 0, -7*26).Add(time.Duration(i%8) * time.Hour)
			uid := fmt.Sprintf("%s-%s", t.manager, p.report)
			master := calendar.Event{
				UID: uid, Summary: "1:1", Start: start, End: start.Add(30 * time.Minute),
				Organizer: t.manager, Attendees: people, HasDescription: true,
				Recurrence: &calendar.Recurrence{Rules: []string{"FREQ=WEEKLY"}},
			}
			if p.habit == abandoned {
				master.Recurrence.Rules = []string{"FREQ=WEEKLY;COUNT=19"}
			}
			observed := start.Add(-24 * time.Hour)
			recs = append(recs, analyzer.Record{Calendar: cal, Event: master, ObservedAt: observed})
			for w := 14; w < 26; w += 2 {
				rid := start.AddDate(0, 0, 7*w)
				ov := calendar.Event{UID: uid, RecurrenceID: rid, Organizer: t.manager, Attendees: people, HasDescription: true,
					LastModified: rid.Add(-2 * time.Hour)}
				switch p.habit {
				case mover:
					ov.Start, ov.End = rid.Add(26*time.Hour), rid.Add(26*time.Hour+30*time.Minute)
				case skipper:
					ov.Start, ov.End, ov.Status = rid, rid.Add(30*time.Minute), calendar.StatusCancelled
				default:
					continue
				}
				recs = append(recs, analyzer.Record{Calendar: cal, Event: ov, ObservedAt: rid.Add(-2 * time.Hour)})
			}
		}
		org.Teams = append(org.Teams, team)
	}
	return analyzer.Analyze(analyzer.Input{Now: now, Settings: analyzer.DefaultSettings(), Org: org, Records: recs}), org
}

// smallOrg is the organisation of the exposition tests: one team of three
// pairs, and a one-pair team that the privacy minimum of 2 folds away.
func smallOrg() (analyzer.Report, analyzer.Org) {
	return analyzed([]teamSpec{
		{name: "platform", parent: "engineering", manager: "alice@example.com", pairs: []pairSpec{
			{"bob@example.com", steady}, {"carol@example.com", mover}, {"dave@example.com", skipper},
		}},
		{name: "tiny", parent: "engineering", manager: "zoe@example.com", pairs: []pairSpec{
			{"yann@example.com", abandoned},
		}},
	})
}

// largeOrg has managers × reports pairs, ten managers to a team, all
// habits mixed.
func largeOrg(managers, reports int) (analyzer.Report, analyzer.Org) {
	var teams []teamSpec
	for m := range managers {
		t := teamSpec{name: fmt.Sprintf("team-%d", m/10), parent: "engineering", manager: fmt.Sprintf("m%d@example.com", m)}
		if m%10 != 0 {
			t.name = fmt.Sprintf("team-%d-%d", m/10, m%10)
			t.parent = fmt.Sprintf("team-%d", m/10)
		}
		for r := range reports {
			t.pairs = append(t.pairs, pairSpec{fmt.Sprintf("r%d-%d@example.com", m, r), habit((m + r) % 4)})
		}
		teams = append(teams, t)
	}
	return analyzed(teams)
}
