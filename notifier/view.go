package notifier

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/rapport-dev/rapport/analyzer"
)

// The views are what templates are executed with: everything an email
// shows, already worded and formatted in the recipient's zone. Strings that
// come from calendars (names, titles) are cleaned and cut to length; the
// HTML templates escape everything (html/template).

// Person is someone an email names.
type Person struct {
	Name  string // display name, or the email when none is known
	Email string
	First string // the first word of a known display name, else ""
}

// NudgeView is the data of the nudge templates (nudge.txt, nudge.html).
type NudgeView struct {
	To        Person
	Subject   string // empty while the subject itself is rendered
	Preheader string // the one-line preview mail apps show
	// Drifting are the pairs that need attention; Recovered those back on
	// track.
	Drifting  []PairView
	Recovered []PairView
	Footer    Footer
}

// PairView is one pair in a nudge.
type PairView struct {
	Report Person
	Title  string // the 1:1's calendar title; may be empty
	Band   string // healthy, drifting or at risk
	// BandNote says how the band changed, e.g. "now at risk (was
	// drifting)"; empty when it did not get worse.
	BandNote string
	Signals  []SignalView
	// Still names the pair's other current signals, already mentioned in
	// earlier emails.
	Still []string
	// Relationship is advice for the relationship's stage, e.g. for a new
	// one; may be empty.
	Relationship string
	// Advice is the note of a recovered pair.
	Advice string
}

// SignalView is one signal explained.
type SignalView struct {
	Name     string // as in the report JSON, e.g. reschedule_rate
	Label    string // e.g. "Often rescheduled"
	Summary  string // what happened, in one sentence
	Evidence []string
	More     int // evidence not listed
	Why      string
	Try      string
}

// Footer says why an email was sent and how to stop it.
type Footer struct {
	Why      string
	Snooze   string // empty when there is nothing to pause
	Stop     string
	Operator string // the sender's address
}

// DigestView is the data of the digest templates (digest.txt, digest.html).
type DigestView struct {
	To        Person
	Subject   string
	Preheader string
	WeekOf    string // e.g. "30 Mar 2026"
	Summary   string // e.g. "4 healthy, 1 drifting, 1 at risk"
	Pairs     []DigestPairView
	Teams     []TeamView
	// Privacy explains what the team aggregates leave out; empty without
	// teams.
	Privacy string
	Footer  Footer
}

// DigestPairView is one report in a manager's digest.
type DigestPairView struct {
	Report   Person
	Title    string
	Band     string
	Last     string // e.g. "5 days ago", "none seen"
	Next     string // e.g. "Tue 10 Mar", "nothing scheduled"
	Concerns []string
	Snoozed  string // e.g. "until Fri 10 Apr"; empty unless snoozed
	// Prompt is advice for the relationship's stage: trust for a new one,
	// development goals for a long-standing one.
	Prompt string
}

// TeamView is one team aggregate in a leader's digest.
type TeamView struct {
	Name       string
	Pairs      int
	Coverage   string // e.g. "83%"
	Healthy    int
	Drifting   int
	AtRisk     int
	MedianDays string // median days since the last 1:1, e.g. "6.5", or "-"
}

// RenderContext is what rendering needs besides the email.
type RenderContext struct {
	// From is the sender, e.g. "Rapport <rapport@example.com>": the
	// footer names it as whom to ask.
	From      string
	Directory Directory
	// Cooldown and WindowDays are quoted in the text.
	Cooldown   time.Duration
	WindowDays int
}

func (c RenderContext) person(email string) Person {
	p := Person{Name: c.Directory.Name(email), Email: Clean(email, 254)}
	if f := strings.Fields(p.Name); len(f) > 0 && p.Name != p.Email {
		p.First = f[0]
	}
	return p
}

func (c RenderContext) operator() string {
	if a, err := parseAddress(c.From); err == nil {
		return a.Address
	}
	return "the person who runs Rapport"
}

func bandWord(b analyzer.Band) string {
	if b == analyzer.BandAtRisk {
		return "at risk"
	}
	return string(b)
}

func nudgeView(e Email, c RenderContext) NudgeView {
	loc := e.Location
	if loc == nil {
		loc = time.UTC
	}
	v := NudgeView{To: c.person(e.To)}
	var names []string
	for _, n := range e.Pairs {
		pv := PairView{
			Report: c.person(n.Pair.Report),
			Title:  c.Directory.Title(n.Pair),
			Band:   bandWord(n.Pair.Band),
		}
		if n.Change == ChangeRecovered {
			pv.Advice = adviceRecovered
			v.Recovered = append(v.Recovered, pv)
			continue
		}
		if severity(n.Pair.Band) > severity(n.WasBand) {
			pv.BandNote = "now " + bandWord(n.Pair.Band) + " (was " + bandWord(n.WasBand) + ")"
		}
		for _, s := range n.Signals {
			pv.Signals = append(pv.Signals, signalView(s, n.Pair, loc, c.WindowDays))
		}
		for _, s := range n.Still {
			pv.Still = append(pv.Still, guideFor(s.Name).Label)
		}
		if n.Relationship.Stage == StageNew {
			pv.Relationship = fmt.Sprintf("You and %s started meeting recently (%s). %s",
				pv.Report.Name, dayText(n.Relationship.Since, loc), adviceNew)
		}
		names = append(names, pv.Report.Name)
		v.Drifting = append(v.Drifting, pv)
	}
	switch {
	case len(v.Drifting) == 1 && len(v.Drifting[0].Signals) > 0:
		v.Preheader = v.Drifting[0].Report.Name + ": " + strings.ToLower(v.Drifting[0].Signals[0].Label) + ". One suggestion inside."
	case len(v.Drifting) > 1:
		v.Preheader = "Your 1:1s with " + joinNames(names) + ". A suggestion for each inside."
	case len(v.Recovered) > 0:
		v.Preheader = "Good news about your 1:1s."
	}
	v.Footer = Footer{
		Why: fmt.Sprintf("You get this because you are the manager in these 1:1s and Rapport saw them change. "+
			"Rapport sends at most one such email a day and does not repeat itself about the same thing within %s; "+
			"your weekly digest keeps the overview.", daysText(c.Cooldown)),
		Snooze:   snoozeHint(e, c),
		Stop:     "To stop these emails, write to " + c.operator() + " with \"unsubscribe\" (your mail app's unsubscribe button does this for you).",
		Operator: c.operator(),
	}
	return v
}

// snoozeHint tells a manager how to pause emails about one report; the
// pair is filled in as far as the email knows it.
func snoozeHint(e Email, c RenderContext) string {
	pair := Clean(e.To, 254) + "/REPORT-EMAIL"
	if len(e.Pairs) == 1 {
		pair = Clean(e.Pairs[0].Pair.Manager+"/"+e.Pairs[0].Pair.Report, 200)
	}
	return "On leave, or someone away for a while? Emails about one person can be paused: ask " + c.operator() +
		" to run \"rapport snooze --pair " + pair + " --until DATE --reason TEXT\"."
}

func joinNames(names []string) string {
	const shown = 3
	switch n := len(names); {
	case n == 1:
		return names[0]
	case n <= shown:
		return strings.Join(names[:n-1], ", ") + " and " + names[n-1]
	default:
		return strings.Join(names[:shown-1], ", ") + " and " + fmt.Sprint(n-shown+1) + " others"
	}
}

// maxEvidence is how many dates a signal lists.
const maxEvidence = 6

func signalView(s analyzer.Signal, pr analyzer.PairReport, loc *time.Location, windowDays int) SignalView {
	g := guideFor(s.Name)
	v := SignalView{Name: s.Name, Label: g.Label, Why: g.Why, Try: g.Try, Summary: summary(s, pr, loc, windowDays)}
	occ := map[int64]analyzer.Occurrence{}
	for _, o := range pr.Occurrences {
		occ[o.Planned.UnixNano()] = o
	}
	for i, e := range s.Evidence {
		if i == maxEvidence {
			v.More = len(s.Evidence) - maxEvidence
			break
		}
		v.Evidence = append(v.Evidence, evidenceLine(s.Name, e, occ[e.Planned.UnixNano()], loc))
	}
	return v
}

func weeks(windowDays int) string {
	if windowDays <= 0 {
		windowDays = 84
	}
	return fmt.Sprintf("%d weeks", windowDays/7)
}

// summary says what happened, in one sentence.
func summary(s analyzer.Signal, pr analyzer.PairReport, loc *time.Location, windowDays int) string {
	c := pr.Counts
	past := c.Held + c.Moved + c.Shortened + c.Skipped + c.Excused
	met := c.Held + c.Moved + c.Shortened
	n := len(s.Evidence)
	switch s.Name {
	case analyzer.SignalRescheduleRate:
		return fmt.Sprintf("%d of the %d 1:1s planned in the last %s were moved.", n, past, weeks(windowDays))
	case analyzer.SignalLateReschedules:
		return fmt.Sprintf("In the last %s, %d of your 1:1s were moved less than a day before they were due.", weeks(windowDays), n)
	case analyzer.SignalShortened:
		if n == 0 {
			return fmt.Sprintf("The recurring 1:1 now books %.0f%% of the time the series before it did.", 100*s.Value)
		}
		return fmt.Sprintf("%d of the %d 1:1s held in the last %s ended well before their booked time.", n, met, weeks(windowDays))
	case analyzer.SignalSkipRate:
		return fmt.Sprintf("%d of the %d 1:1s planned in the last %s did not happen (time off does not count).", n, past, weeks(windowDays))
	case analyzer.SignalFallingCadence:
		if n == 0 {
			return fmt.Sprintf("The recurring 1:1 was replaced by one every %s instead of every %s.", daysText(days(s.Value)), daysText(days(s.Threshold)))
		}
		if iv := pr.IntendedIntervalDays; iv != nil && *iv > 0 && s.Value > *iv {
			return fmt.Sprintf("Lately you have met about every %s, although the series plans a 1:1 every %s.", daysText(days(s.Value)), daysText(days(*iv)))
		}
		return fmt.Sprintf("Lately you have met about every %s, less often than in the weeks before.", daysText(days(s.Value)))
	case analyzer.SignalOverdue:
		if n == 0 {
			return fmt.Sprintf("Rapport has seen no 1:1 in the last %s.", weeks(windowDays))
		}
		last := s.Evidence[n-1].Planned
		if a := s.Evidence[n-1].Actual; a != nil {
			last = *a
		}
		return fmt.Sprintf("The last 1:1 was %s ago, on %s.", daysText(days(s.Value)), dayText(last, loc))
	case analyzer.SignalNothingScheduled:
		return "There is no upcoming 1:1 in the calendar."
	case analyzer.SignalNoAgenda:
		return fmt.Sprintf("%d of the %d 1:1s held in the last %s had no agenda or notes in the invite.", n, met, weeks(windowDays))
	}
	return fmt.Sprintf("%s: %.2f (threshold %.2f).", Clean(s.Name, 40), s.Value, s.Threshold)
}

func days(d float64) time.Duration { return time.Duration(d * float64(24*time.Hour)) }

// daysText writes a span in whole days: "1 day", "14 days".
func daysText(d time.Duration) string {
	n := int(math.Round(d.Hours() / 24))
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}

// Date formats, in the recipient's zone.
const (
	dayLayout  = "Mon 2 Jan"
	timeLayout = "Mon 2 Jan, 15:04"
)

func dayText(t time.Time, loc *time.Location) string { return t.In(loc).Format(dayLayout) }

func evidenceLine(signal string, e analyzer.Evidence, o analyzer.Occurrence, loc *time.Location) string {
	planned := e.Planned.In(loc).Format(timeLayout)
	switch e.Fate {
	case analyzer.FateSkipped:
		return planned + ": did not happen"
	case analyzer.FateMoved:
		line := planned + ": moved"
		if e.Actual != nil {
			line += " to " + e.Actual.In(loc).Format(timeLayout)
		}
		if e.Late {
			line += ", less than a day ahead"
		}
		if signal == analyzer.SignalNoAgenda {
			line += ", no agenda"
		}
		return line
	}
	if signal == analyzer.SignalShortened || e.Fate == analyzer.FateShortened {
		if !o.End.IsZero() && !o.PlannedEnd.IsZero() {
			return fmt.Sprintf("%s: %d of %d minutes", planned, int(o.End.Sub(o.Start).Minutes()), int(o.PlannedEnd.Sub(o.Planned).Minutes()))
		}
		return planned + ": cut short"
	}
	switch signal {
	case analyzer.SignalNoAgenda:
		return planned + ": no agenda"
	case analyzer.SignalOverdue:
		return planned + ": the last 1:1"
	}
	return planned + ": met"
}

func digestView(e Email, c RenderContext) DigestView {
	loc := e.Location
	if loc == nil {
		loc = time.UTC
	}
	d := e.Digest
	v := DigestView{To: c.person(e.To), WeekOf: d.WeekOf.Format("2 Jan 2006")}
	bands := map[analyzer.Band]int{}
	for _, dp := range d.Pairs {
		pr := dp.Pair
		bands[pr.Band]++
		pv := DigestPairView{
			Report: c.person(pr.Report),
			Title:  c.Directory.Title(pr),
			Band:   bandWord(pr.Band),
			Last:   "none seen",
			Next:   "nothing scheduled",
		}
		if pr.DaysSinceLast != nil {
			switch n := *pr.DaysSinceLast; n {
			case 0:
				pv.Last = "today"
			case 1:
				pv.Last = "yesterday"
			default:
				pv.Last = fmt.Sprintf("%d days ago", n)
			}
		}
		if pr.NextPlanned != nil {
			pv.Next = dayText(*pr.NextPlanned, loc)
		}
		if !dp.SnoozedUntil.IsZero() {
			pv.Snoozed = "until " + dayText(dp.SnoozedUntil, loc)
		} else {
			for _, s := range byWeight(pr.Signals) {
				pv.Concerns = append(pv.Concerns, guideFor(s.Name).Label+": "+summary(s, pr, loc, c.WindowDays))
			}
		}
		switch dp.Relationship.Stage {
		case StageNew:
			pv.Prompt = fmt.Sprintf("New: you started meeting on %s. %s", dayText(dp.Relationship.Since, loc), adviceNew)
		case StageLongStanding:
			pv.Prompt = fmt.Sprintf("Meeting regularly since %s. %s", dp.Relationship.Since.In(loc).Format("January 2006"), adviceLongStanding)
		}
		v.Pairs = append(v.Pairs, pv)
	}
	if n := len(d.Pairs); n > 0 {
		v.Summary = fmt.Sprintf("%d healthy, %d drifting, %d at risk",
			bands[analyzer.BandHealthy], bands[analyzer.BandDrifting], bands[analyzer.BandAtRisk])
	}
	for _, t := range d.Teams {
		tv := TeamView{Name: Clean(t.Team, maxName), Pairs: t.Pairs, Coverage: fmt.Sprintf("%.0f%%", 100*t.Coverage),
			Healthy: t.Healthy, Drifting: t.Drifting, AtRisk: t.AtRisk, MedianDays: "-"}
		if t.MedianDaysSinceLast != nil {
			tv.MedianDays = fmt.Sprintf("%.1f", *t.MedianDaysSinceLast)
		}
		v.Teams = append(v.Teams, tv)
	}
	if len(v.Teams) > 0 || d.Folded {
		v.Privacy = fmt.Sprintf("Teams appear only in aggregate. A team with fewer than %d pairs is counted in the team above it, or not shown, so that no one's 1:1s can be singled out.", d.PrivacyMinGroup)
	}
	var roles []string
	if n := len(d.Pairs); n > 0 {
		roles = append(roles, fmt.Sprintf("you manage %d %s", n, plural(n, "person", "people")))
	}
	if len(d.Teams) > 0 || d.Folded {
		roles = append(roles, "you lead teams")
	}
	snooze := "" // leaders get no nudges to pause
	if len(d.Pairs) > 0 {
		snooze = snoozeHint(e, c)
	}
	v.Preheader = v.Summary
	if v.Preheader == "" {
		v.Preheader = "How 1:1s went across your teams this week."
	}
	v.Footer = Footer{
		Why:      "You get this weekly digest because " + strings.Join(roles, " and ") + " in Rapport.",
		Snooze:   snooze,
		Stop:     "To stop these emails, write to " + c.operator() + " with \"unsubscribe\" (your mail app's unsubscribe button does this for you).",
		Operator: c.operator(),
	}
	return v
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
