package notifier

import (
	"sort"
	"time"

	"github.com/rapport-dev/rapport/analyzer"
	"github.com/rapport-dev/rapport/config"
)

// Kind is the kind of an email.
type Kind string

// The kinds of email.
const (
	// KindNudge is the daily email about pairs that started to drift (or
	// recovered): at most one per manager and day.
	KindNudge Kind = "nudge"
	// KindDigest is the weekly summary: a manager's own reports, and the
	// aggregates of the teams a leader leads.
	KindDigest Kind = "digest"
)

// MarkBand is the mark key under which the log keeps the band a manager
// was last told a pair is in. Other keys are signal names.
const MarkBand = "band"

// Defaults of a zero Policy.
const (
	DefaultCooldown        = 14 * 24 * time.Hour
	DefaultPrivacyMinGroup = 5
	// digestGrace is how late a missed digest is still sent (the daemon was
	// down on digest day); later, the week's digest is skipped.
	digestGrace = 3 * 24 * time.Hour
	// MaxPairsPerNudge bounds a nudge: pairs beyond it wait for the next
	// day's, most pressing first.
	MaxPairsPerNudge = 10
)

// Policy says when and how often people are emailed. The zero Policy is
// usable: cooldown 14 days, no back-on-track notes, digest on Sundays at
// 00:00 (the zero time.Weekday; FromConfig gives the configured day), the
// default send window and every zone UTC.
type Policy struct {
	// Cooldown is the least time between two nudges about the same pair
	// and signal (and between two about the same pair's band).
	Cooldown time.Duration
	// BackOnTrack adds a short note when a pair the manager was nudged
	// about is healthy again.
	BackOnTrack bool
	// DigestDay and DigestAt are when, in the recipient's zone, the weekly
	// digest is due.
	DigestDay time.Weekday
	DigestAt  config.TimeOfDay
	// Window is when, in the recipient's zone, email may be delivered.
	Window Window
	// Zone is a person's time zone, by email; nil, or a nil result, means
	// UTC.
	Zone func(email string) *time.Location
	// PrivacyMinGroup is the fewest pairs a team aggregate may show; smaller
	// teams are folded into their parent (see analyzer.FoldTeams).
	PrivacyMinGroup int
	// Immediate ignores send windows and the digest time: every email is
	// due as soon as it is decided, and a recipient's digest on their first
	// cycle of each week. It is for the demo.
	Immediate bool
}

// Window is the part of each day, in the recipient's zone, when email may
// go out. A zero Window is 08:00–18:00 on weekdays.
type Window struct {
	Start, End   config.TimeOfDay
	WeekdaysOnly bool
}

// FromConfig is the policy the configuration asks for; zone gives people's
// zones (nil: everyone in the configured timezone).
func FromConfig(cfg *config.Config, zone func(string) *time.Location) Policy {
	n := cfg.Notify
	if zone == nil {
		loc := cfg.Location
		zone = func(string) *time.Location { return loc }
	}
	return Policy{
		Cooldown:        time.Duration(n.Cooldown),
		BackOnTrack:     n.BackOnTrack,
		DigestDay:       time.Weekday(n.Digest.Weekday),
		DigestAt:        n.Digest.Time,
		Window:          Window{Start: n.SendWindow.Start, End: n.SendWindow.End, WeekdaysOnly: n.SendWindow.WeekdaysOnly},
		Zone:            zone,
		PrivacyMinGroup: cfg.Org.PrivacyMinGroup,
	}
}

func (p Policy) withDefaults() Policy {
	if p.Cooldown <= 0 {
		p.Cooldown = DefaultCooldown
	}
	if p.Window.End <= p.Window.Start {
		p.Window = Window{Start: 8 * 60, End: 18 * 60, WeekdaysOnly: true}
	}
	if p.PrivacyMinGroup <= 0 {
		p.PrivacyMinGroup = DefaultPrivacyMinGroup
	}
	return p
}

// zone is a person's zone, never nil.
func (p Policy) zone(email string) *time.Location {
	if p.Zone != nil {
		if loc := p.Zone(email); loc != nil {
			return loc
		}
	}
	return time.UTC
}

// sendTime is when an email decided at now may go out to someone in loc.
func (p Policy) sendTime(now time.Time, loc *time.Location) time.Time {
	if p.Immediate {
		return now
	}
	return p.Window.Next(now, loc)
}

// Next is the first instant at or after t inside the window, in loc. The
// window is wall-clock time: 08:00 is 08:00 local on both sides of a DST
// change.
func (w Window) Next(t time.Time, loc *time.Location) time.Time {
	local := t.In(loc)
	for i := range 8 {
		// Noon never falls into a DST gap: a safe way to step whole days.
		day := time.Date(local.Year(), local.Month(), local.Day()+i, 12, 0, 0, 0, loc)
		if w.WeekdaysOnly && (day.Weekday() == time.Saturday || day.Weekday() == time.Sunday) {
			continue
		}
		start := time.Date(day.Year(), day.Month(), day.Day(), w.Start.Hour(), w.Start.Minute(), 0, 0, loc)
		end := time.Date(day.Year(), day.Month(), day.Day(), w.End.Hour(), w.End.Minute(), 0, 0, loc)
		switch {
		case t.Before(start):
			return start
		case t.Before(end):
			return t
		}
	}
	return t // unreachable: every week has a weekday
}

// weekStart is local midnight of the Monday of t's ISO week, in loc.
func weekStart(t time.Time, loc *time.Location) time.Time {
	local := t.In(loc)
	back := (int(local.Weekday()) + 6) % 7
	return time.Date(local.Year(), local.Month(), local.Day()-back, 0, 0, 0, 0, loc)
}

// digestMoment is when this week's digest is due for someone in loc.
func (p Policy) digestMoment(now time.Time, loc *time.Location) time.Time {
	monday := weekStart(now, loc)
	if p.Immediate {
		return monday
	}
	return time.Date(monday.Year(), monday.Month(), monday.Day()+(int(p.DigestDay)+6)%7,
		p.DigestAt.Hour(), p.DigestAt.Minute(), 0, 0, loc)
}

// isoWeek names the ISO week of t, e.g. "2026-W14".
func isoWeek(t time.Time) string {
	y, w := t.ISOWeek()
	return time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC).Format("2006") + "-W" + twoDigits(w)
}

func twoDigits(n int) string { return string([]byte{byte('0' + n/10%10), byte('0' + n%10)}) }

// Mark is what the notification log remembers about one pair and key.
type Mark struct {
	Pair analyzer.PairKey
	// Key is a signal name, or MarkBand.
	Key string
	// Band is, for MarkBand, the band the manager was last told of.
	Band analyzer.Band
	// NotifiedAt is when the manager was last told; zero: never.
	NotifiedAt time.Time
	// Cleared records that the signal has been seen gone since.
	Cleared bool
}

// Queued is an email already decided: who, what kind, for which period.
type Queued struct {
	To     string
	Kind   Kind
	Period string
}

// Snooze pauses nudges about a pair until a time.
type Snooze struct {
	Pair   analyzer.PairKey
	Until  time.Time
	Reason string
}

// Log is what has been sent and what is paused: the memory the policy
// decides from.
type Log struct {
	Marks []Mark
	// Queued holds at least the emails of the last eight days.
	Queued  []Queued
	Snoozes []Snooze
}

// Findings are what the notifier emails about.
type Findings struct {
	Report analyzer.Report
	Org    analyzer.Org
	// Directory names people and 1:1 series from the calendars.
	Directory Directory
}

// Input is everything one decision looks at.
type Input struct {
	Now      time.Time
	Findings Findings
	Log      Log
	Policy   Policy
}

// Plan is a decision: the emails to queue and the marks to store with
// them, atomically.
type Plan struct {
	Emails []Email
	Marks  []Mark
}

// Email is one decided email, before rendering.
type Email struct {
	Kind   Kind
	To     string
	Period string // the recipient-local day (nudge) or ISO week (digest)
	// NotBefore is when the email may go out: in the recipient's window.
	NotBefore time.Time
	// Location is the recipient's zone: dates are shown in it.
	Location *time.Location
	// Pairs are a nudge's pairs, drifting ones first.
	Pairs []PairNote
	// Digest is a digest's content.
	Digest *Digest
}

// Change is what a nudge says about a pair.
type Change string

// The changes a nudge reports.
const (
	ChangeDrift     Change = "drift"     // a signal newly crossed, or the band got worse
	ChangeRecovered Change = "recovered" // back to healthy after a nudge
)

// PairNote is one pair in a nudge.
type PairNote struct {
	Pair    analyzer.PairReport
	Change  Change
	WasBand analyzer.Band // the band the manager was last told of
	// Signals are the ones to explain: those that newly crossed, or all
	// current ones when only the band changed.
	Signals []analyzer.Signal
	// Still are the pair's other current signals.
	Still        []analyzer.Signal
	Relationship Relationship
}

// Digest is the content of a weekly digest.
type Digest struct {
	WeekOf time.Time // local midnight of the week's Monday
	// Pairs are the recipient's own reports, most in need first.
	Pairs []DigestPair
	// Teams are the aggregates of the teams the recipient leads, with
	// small teams folded into their parent; Folded says whether any were.
	Teams           []analyzer.TeamReport
	Folded          bool
	PrivacyMinGroup int
}

// DigestPair is one of a manager's reports in their digest.
type DigestPair struct {
	Pair         analyzer.PairReport
	Relationship Relationship
	SnoozedUntil time.Time // zero unless snoozed
}

// key is the email's content: with recipient, kind and period it makes the
// Message-ID, so that the same decision always makes the same message.
func (e Email) key() string {
	k := string(e.Kind) + "|" + e.To + "|" + e.Period
	for _, p := range e.Pairs {
		k += "|" + p.Pair.Report + ":" + string(p.Change)
		for _, s := range p.Signals {
			k += "," + s.Name
		}
	}
	return k
}

type markKey struct {
	pair analyzer.PairKey
	key  string
}

type queuedKey struct {
	to     string
	kind   Kind
	period string
}

// Decide is the notification policy: from the findings, the log and now it
// decides which emails to queue and what to remember. It is pure.
//
//   - A pair gets a nudge when one of its signals crosses its threshold for
//     the first time, or again after it had cleared and the cooldown has
//     passed since the last nudge about it; or when it enters a worse band
//     than the manager was last told of (the band has a cooldown too). A
//     signal that stays crossed is not repeated: the digest carries it.
//   - The first decision treats every current finding as new.
//   - A manager gets at most one nudge a day, in their zone: several pairs
//     are batched (up to MaxPairsPerNudge); what cannot go today stays
//     undecided until tomorrow.
//   - A pair that was nudged and is healthy again gets a back-on-track
//     note when the policy asks for it.
//   - Snoozed pairs get no nudges; digests show them as snoozed.
//   - Each recipient gets a weekly digest once the week's digest time has
//     passed in their zone: managers about their own reports, leaders the
//     aggregates of the teams they lead (and those under them).
//   - Emails wait for the recipient's send window (NotBefore).
func Decide(in Input) Plan {
	p := in.Policy.withDefaults()
	now := in.Now
	marks := map[markKey]Mark{}
	for _, m := range in.Log.Marks {
		marks[markKey{m.Pair, m.Key}] = m
	}
	queued := map[queuedKey]bool{}
	for _, q := range in.Log.Queued {
		queued[queuedKey{q.To, q.Kind, q.Period}] = true
	}
	snoozed := map[analyzer.PairKey]time.Time{}
	for _, s := range in.Log.Snoozes {
		if s.Until.After(now) && s.Until.After(snoozed[s.Pair]) {
			snoozed[s.Pair] = s.Until
		}
	}

	var plan Plan
	type pending struct {
		notes []PairNote
		marks []Mark
	}
	byManager := map[string]*pending{}
	var managers []string
	for _, pr := range in.Findings.Report.Pairs {
		k := pr.Key()
		plan.Marks = append(plan.Marks, cleared(k, pr, marks)...)
		if _, ok := snoozed[k]; ok {
			continue
		}
		note, notify, silent := decidePair(pr, marks, now, p)
		plan.Marks = append(plan.Marks, silent...)
		if note == nil {
			continue
		}
		note.Relationship = relationshipOf(pr, in.Findings.Directory, now)
		b := byManager[pr.Manager]
		if b == nil {
			b = &pending{}
			byManager[pr.Manager] = b
			managers = append(managers, pr.Manager)
		}
		b.notes = append(b.notes, *note)
		b.marks = append(b.marks, notify...)
	}
	sort.Strings(managers)
	for _, m := range managers {
		b := byManager[m]
		loc := p.zone(m)
		send := p.sendTime(now, loc)
		day := send.In(loc).Format(time.DateOnly)
		if queued[queuedKey{m, KindNudge, day}] {
			continue // one nudge a day: the rest waits for tomorrow
		}
		notes, marks := b.notes, b.marks
		if len(notes) > MaxPairsPerNudge {
			// Keep an email short: the rest stay undecided, for tomorrow.
			sortNotes(notes)
			notes = notes[:MaxPairsPerNudge]
			keep := map[analyzer.PairKey]bool{}
			for _, n := range notes {
				keep[n.Pair.Key()] = true
			}
			marks = nil
			for _, mk := range b.marks {
				if keep[mk.Pair] {
					marks = append(marks, mk)
				}
			}
		}
		sortNotes(notes)
		plan.Emails = append(plan.Emails, Email{Kind: KindNudge, To: m, Period: day, NotBefore: send, Location: loc, Pairs: notes})
		plan.Marks = append(plan.Marks, marks...)
	}
	plan.Emails = append(plan.Emails, digests(in, p, queued, snoozed)...)
	return plan
}

// cleared marks the pair's signals that were notified and are gone now.
func cleared(k analyzer.PairKey, pr analyzer.PairReport, marks map[markKey]Mark) []Mark {
	present := map[string]bool{}
	for _, s := range pr.Signals {
		present[s.Name] = true
	}
	var out []Mark
	for name := range analyzer.Penalties {
		m, ok := marks[markKey{k, name}]
		if ok && !present[name] && !m.Cleared && !m.NotifiedAt.IsZero() {
			m.Cleared = true
			out = append(out, m)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// severity orders bands: higher is worse.
func severity(b analyzer.Band) int {
	switch b {
	case analyzer.BandAtRisk:
		return 2
	case analyzer.BandDrifting:
		return 1
	}
	return 0
}

// decidePair decides about one pair: the note to send, the marks to store
// if it is sent, and marks to store either way.
func decidePair(pr analyzer.PairReport, marks map[markKey]Mark, now time.Time, p Policy) (note *PairNote, notify, silent []Mark) {
	k := pr.Key()
	band := marks[markKey{k, MarkBand}]
	told := band.Band
	if told == "" {
		told = analyzer.BandHealthy
	}
	signals := byWeight(pr.Signals)
	var fresh, still []analyzer.Signal
	for _, s := range signals {
		m, seen := marks[markKey{k, s.Name}]
		if !seen || m.NotifiedAt.IsZero() || m.Cleared && now.Sub(m.NotifiedAt) >= p.Cooldown {
			fresh = append(fresh, s)
		} else {
			still = append(still, s)
		}
	}
	worse := severity(pr.Band) > severity(told)
	bandCool := band.NotifiedAt.IsZero() || now.Sub(band.NotifiedAt) >= p.Cooldown
	switch {
	case len(fresh) > 0 || worse && bandCool:
		n := &PairNote{Pair: pr, Change: ChangeDrift, WasBand: told, Signals: fresh, Still: still}
		if len(fresh) == 0 {
			n.Signals, n.Still = signals, nil
		}
		for _, s := range fresh {
			notify = append(notify, Mark{Pair: k, Key: s.Name, NotifiedAt: now})
		}
		notify = append(notify, Mark{Pair: k, Key: MarkBand, Band: pr.Band, NotifiedAt: now})
		return n, notify, nil
	case pr.Band == analyzer.BandHealthy && severity(told) > 0:
		if p.BackOnTrack {
			return &PairNote{Pair: pr, Change: ChangeRecovered, WasBand: told, Still: signals},
				[]Mark{{Pair: k, Key: MarkBand, Band: pr.Band, NotifiedAt: now}}, nil
		}
		band.Pair, band.Key, band.Band = k, MarkBand, pr.Band
		return nil, nil, []Mark{band}
	case severity(pr.Band) < severity(told):
		// Better, not yet healthy: remember it silently, so that getting
		// worse again is news.
		band.Pair, band.Key, band.Band = k, MarkBand, pr.Band
		return nil, nil, []Mark{band}
	}
	return nil, nil, nil
}

// byWeight orders signals heaviest first, by name among equals.
func byWeight(in []analyzer.Signal) []analyzer.Signal {
	out := append([]analyzer.Signal(nil), in...)
	sort.SliceStable(out, func(i, j int) bool {
		wi, wj := analyzer.Penalties[out[i].Name], analyzer.Penalties[out[j].Name]
		if wi != wj {
			return wi > wj
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// sortNotes puts drift before recovery, worse bands first, then reports.
func sortNotes(ns []PairNote) {
	sort.SliceStable(ns, func(i, j int) bool {
		a, b := ns[i], ns[j]
		if a.Change != b.Change {
			return a.Change == ChangeDrift
		}
		if sa, sb := severity(a.Pair.Band), severity(b.Pair.Band); sa != sb {
			return sa > sb
		}
		return a.Pair.Report < b.Pair.Report
	})
}

// digests decides the weekly digests that are due.
func digests(in Input, p Policy, queued map[queuedKey]bool, snoozed map[analyzer.PairKey]time.Time) []Email {
	now := in.Now
	org := in.Findings.Org
	rep := in.Findings.Report
	own := map[string][]DigestPair{}
	for _, pr := range rep.Pairs {
		own[pr.Manager] = append(own[pr.Manager], DigestPair{
			Pair: pr, Relationship: relationshipOf(pr, in.Findings.Directory, now), SnoozedUntil: snoozed[pr.Key()],
		})
	}
	leads := map[string]bool{}
	for _, t := range org.Teams {
		for _, l := range t.Leaders {
			leads[l] = true
		}
	}
	seen := map[string]bool{}
	var recipients []string
	for r := range own {
		recipients, seen[r] = append(recipients, r), true
	}
	for r := range leads {
		if !seen[r] {
			recipients = append(recipients, r)
		}
	}
	sort.Strings(recipients)

	var out []Email
	for _, r := range recipients {
		loc := p.zone(r)
		moment := p.digestMoment(now, loc)
		if now.Before(moment) {
			continue
		}
		period := isoWeek(moment)
		if queued[queuedKey{r, KindDigest, period}] {
			continue
		}
		send := p.sendTime(now, loc)
		if send.Sub(moment) > digestGrace && !p.Immediate {
			continue // too late for this week's; next week's comes soon
		}
		d := &Digest{WeekOf: weekStart(now, loc), Pairs: own[r], PrivacyMinGroup: p.PrivacyMinGroup}
		sortDigestPairs(d.Pairs)
		if leads[r] {
			d.Teams, d.Folded = leaderTeams(org, rep.Teams, r, p.PrivacyMinGroup)
		}
		if len(d.Pairs) == 0 && len(d.Teams) == 0 {
			continue
		}
		out = append(out, Email{Kind: KindDigest, To: r, Period: period, NotBefore: send, Location: loc, Digest: d})
	}
	return out
}

func sortDigestPairs(ps []DigestPair) {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i].Pair, ps[j].Pair
		if sa, sb := severity(a.Band), severity(b.Band); sa != sb {
			return sa > sb
		}
		if a.Score != b.Score {
			return a.Score < b.Score
		}
		return a.Report < b.Report
	})
}

// leaderTeams are the aggregates a leader sees: the teams they lead and
// every team under those, with teams under the privacy minimum folded into
// their parent (or left out). folded reports whether any team was.
func leaderTeams(org analyzer.Org, teams []analyzer.TeamReport, leader string, min int) (out []analyzer.TeamReport, folded bool) {
	children := map[string][]string{}
	for _, t := range org.Teams {
		if t.Parent != "" {
			children[t.Parent] = append(children[t.Parent], t.Name)
		}
	}
	scope := map[string]bool{}
	var visit func(name string, depth int)
	visit = func(name string, depth int) {
		if scope[name] || depth > len(org.Teams) {
			return
		}
		scope[name] = true
		for _, c := range children[name] {
			visit(c, depth+1)
		}
	}
	for _, t := range org.Teams {
		for _, l := range t.Leaders {
			if l == leader {
				visit(t.Name, 0)
			}
		}
	}
	var mine []analyzer.TeamReport
	for _, t := range teams {
		if scope[t.Team] {
			mine = append(mine, t)
		}
	}
	out = analyzer.FoldTeams(org, mine, min)
	shown := map[string]bool{}
	for i, t := range out {
		shown[t.Team] = true
		switch {
		case t.Team == "other" && !scope["other"]:
			out[i].Team = "other smaller teams"
		case !scope[t.Team]:
			// A team outside the leader's scope that small teams folded
			// into: the aggregate holds only the leader's teams.
			out[i].Team = "smaller teams under " + t.Team
		}
	}
	for _, t := range mine {
		if !shown[t.Team] {
			folded = true
		}
	}
	return out, folded
}
