package notifier

import (
	"slices"
	"time"

	"github.com/rapport-dev/rapport/analyzer"
)

// Example is a sample email, for "rapport preview", golden tests and for
// trying templates when they load.
type Example struct {
	Name    string // a signal name, back_on_track, batched, digest
	Email   Email
	Context RenderContext
}

// The example organisation: Alex manages Sam, Jo, Kim and Lee in Berlin.
const (
	exManager = "alex@example.com"
	exSam     = "sam@example.com"
	exJo      = "jo@example.com"
	exKim     = "kim@example.com"
	exLee     = "lee@example.com"
)

var (
	exZone = mustZone("Europe/Berlin")
	// exNow is a Monday morning in Berlin.
	exNow    = time.Date(2026, 3, 16, 9, 0, 0, 0, exZone)
	exWindow = 84 * 24 * time.Hour
)

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err) // time/tzdata is linked in by config
	}
	return loc
}

func exampleContext() RenderContext {
	return RenderContext{
		From: "Rapport <rapport@example.com>",
		Directory: Directory{
			Names: map[string]string{
				exManager: "Alex Morgan", exSam: "Sam Rivera", exJo: "Jo Okafor", exKim: "Kim Lindqvist", exLee: "Lee Chen",
			},
			Series: map[string]Series{
				"sam-weekly": {Title: "Sam / Alex 1:1", Start: time.Date(2025, 1, 6, 10, 0, 0, 0, exZone)},
				"jo-weekly":  {Title: "Alex <> Jo: weekly", Start: time.Date(2026, 2, 26, 15, 0, 0, 0, exZone)},
				"kim-weekly": {Title: "1:1 Kim & Alex", Start: time.Date(2024, 11, 5, 11, 0, 0, 0, exZone)},
				"lee-weekly": {Title: "Lee / Alex", Start: time.Date(2025, 6, 4, 14, 0, 0, 0, exZone)},
			},
		},
		Cooldown:   DefaultCooldown,
		WindowDays: 84,
	}
}

// weekly makes a pair's weekly 1:1s at a weekday and hour, from `from`
// weeks before exNow's week to `to` weeks after it; shape decides each
// past slot's fate by its week (-1 is last week).
func weekly(manager, report, uid string, wd time.Weekday, hour, from, to int, shape func(w int, o *analyzer.Occurrence)) analyzer.PairReport {
	monday := weekStart(exNow, exZone)
	var occ []analyzer.Occurrence
	for w := from; w <= to; w++ {
		planned := time.Date(monday.Year(), monday.Month(), monday.Day()+7*w+(int(wd)+6)%7, hour, 0, 0, 0, exZone)
		o := analyzer.Occurrence{UID: uid, Planned: planned, PlannedEnd: planned.Add(45 * time.Minute),
			Start: planned, End: planned.Add(45 * time.Minute), Fate: analyzer.FateHeld, HasAgenda: true}
		if !planned.Before(exNow) {
			o.Fate = analyzer.FateUpcoming
		} else if shape != nil {
			shape(w, &o)
		}
		occ = append(occ, o)
	}
	return pairFrom(manager, report, occ)
}

// pairFrom fills a PairReport's counts and dates from its occurrences.
func pairFrom(manager, report string, occ []analyzer.Occurrence) analyzer.PairReport {
	week := 7.0
	pr := analyzer.PairReport{Manager: manager, Report: report, Team: "platform", Occurrences: occ, Signals: []analyzer.Signal{},
		IntendedIntervalDays: &week, Band: analyzer.BandHealthy, Score: 100, Covered: true}
	var last time.Time
	for _, o := range occ {
		inWindow := !o.Planned.Before(exNow.Add(-exWindow)) && o.Planned.Before(exNow)
		switch o.Fate {
		case analyzer.FateUpcoming:
			pr.Counts.Upcoming++
			if pr.NextPlanned == nil {
				t := o.Start
				pr.NextPlanned = &t
			}
			continue
		case analyzer.FateHeld, analyzer.FateMoved, analyzer.FateShortened:
			last = o.Start
		}
		if !inWindow {
			continue
		}
		switch o.Fate {
		case analyzer.FateHeld:
			pr.Counts.Held++
		case analyzer.FateMoved:
			pr.Counts.Moved++
		case analyzer.FateShortened:
			pr.Counts.Shortened++
		case analyzer.FateSkipped:
			pr.Counts.Skipped++
		case analyzer.FateExcused:
			pr.Counts.Excused++
		}
		if o.Late {
			pr.Counts.LateMoved++
		}
	}
	if !last.IsZero() {
		d := int(exNow.Sub(last) / (24 * time.Hour))
		pr.DaysSinceLast = &d
	}
	return pr
}

// withSignal adds a signal whose evidence is the window's occurrences that
// keep says, and bands the pair by its signals' penalties.
func withSignal(pr analyzer.PairReport, name string, value, threshold float64, keep func(analyzer.Occurrence) bool) analyzer.PairReport {
	s := analyzer.Signal{Name: name, Value: value, Threshold: threshold, Evidence: []analyzer.Evidence{}}
	for _, o := range pr.Occurrences {
		if keep == nil || o.Fate == analyzer.FateUpcoming || o.Planned.Before(exNow.Add(-exWindow)) || !keep(o) {
			continue
		}
		e := analyzer.Evidence{Planned: o.Planned, Fate: o.Fate, Late: o.Late}
		if o.Fate != analyzer.FateSkipped && o.Fate != analyzer.FateExcused {
			at := o.Start
			e.Actual = &at
		}
		s.Evidence = append(s.Evidence, e)
	}
	pr.Signals = append(pr.Signals, s)
	pr.Score = 100
	for _, s := range pr.Signals {
		pr.Score -= analyzer.Penalties[s.Name]
	}
	pr.Band = analyzer.BandFor(pr.Score)
	return pr
}

func moveTo(o *analyzer.Occurrence, days, hour int, late bool) {
	o.Start = time.Date(o.Planned.Year(), o.Planned.Month(), o.Planned.Day()+days, hour, 30, 0, 0, exZone)
	o.End = o.Start.Add(45 * time.Minute)
	o.Fate, o.Moved, o.Late = analyzer.FateMoved, true, late
}

func skip(o *analyzer.Occurrence) {
	o.Start, o.End, o.Fate = time.Time{}, time.Time{}, analyzer.FateSkipped
}

func shorten(o *analyzer.Occurrence, minutes int) {
	o.End = o.Start.Add(time.Duration(minutes) * time.Minute)
	o.Fate, o.Shortened = analyzer.FateShortened, true
}

// examplePair is Sam's pair showing one signal.
func examplePair(signal string) analyzer.PairReport {
	base := func(shape func(int, *analyzer.Occurrence)) analyzer.PairReport {
		return weekly(exManager, exSam, "sam-weekly", time.Monday, 10, -30, 4, shape)
	}
	moved := func(o analyzer.Occurrence) bool { return o.Moved }
	switch signal {
	case analyzer.SignalRescheduleRate:
		return withSignal(base(func(w int, o *analyzer.Occurrence) {
			switch w {
			case -11, -9, -6:
				moveTo(o, 2, 16, false)
			case -8, -4:
				moveTo(o, 0, 17, true)
			case -2:
				moveTo(o, 3, 9, false)
			}
		}), signal, 0.5, 0.3, moved)
	case analyzer.SignalLateReschedules:
		return withSignal(base(func(w int, o *analyzer.Occurrence) {
			switch w {
			case -7, -3, -1:
				moveTo(o, 1, 16, true)
			}
		}), signal, 3, 2, func(o analyzer.Occurrence) bool { return o.Late })
	case analyzer.SignalShortened:
		return withSignal(base(func(w int, o *analyzer.Occurrence) {
			switch w {
			case -10, -7, -5, -3, -1:
				shorten(o, 15)
			}
		}), signal, 0.42, 0.25, func(o analyzer.Occurrence) bool { return o.Shortened })
	case analyzer.SignalSkipRate:
		return withSignal(base(func(w int, o *analyzer.Occurrence) {
			switch w {
			case -9, -6, -3:
				skip(o)
			}
		}), signal, 0.25, 0.2, func(o analyzer.Occurrence) bool { return o.Fate == analyzer.FateSkipped })
	case analyzer.SignalFallingCadence:
		pr := withSignal(base(func(w int, o *analyzer.Occurrence) {
			if w >= -12 && w%2 != 0 {
				skip(o)
			}
		}), signal, 14, 10.5, func(o analyzer.Occurrence) bool { return o.Fate == analyzer.FateHeld })
		return pr
	case analyzer.SignalOverdue:
		pr := weekly(exManager, exSam, "sam-weekly", time.Monday, 10, -30, -8, nil)
		return withSignal(pr, signal, 49, 14, func(o analyzer.Occurrence) bool {
			return o.Planned.Equal(pr.Occurrences[len(pr.Occurrences)-1].Planned)
		})
	case analyzer.SignalNothingScheduled:
		pr := weekly(exManager, exSam, "sam-weekly", time.Monday, 10, -30, -1, nil)
		return withSignal(pr, signal, 0, 1, nil)
	case analyzer.SignalNoAgenda:
		return withSignal(base(func(w int, o *analyzer.Occurrence) {
			if w%4 != 0 {
				o.HasAgenda = false
			}
		}), signal, 0.73, 0.5, func(o analyzer.Occurrence) bool { return !o.HasAgenda })
	}
	return base(nil)
}

// Examples are sample emails of every kind: a nudge for each signal, a
// back-on-track note, a nudge batching several pairs, and a digest to a
// manager who also leads teams.
func Examples() []Example {
	c := exampleContext()
	nudge := func(notes ...PairNote) Email {
		return Email{Kind: KindNudge, To: exManager, Period: exNow.Format(time.DateOnly), NotBefore: exNow, Location: exZone, Pairs: notes}
	}
	var out []Example
	signals := make([]string, 0, len(analyzer.Penalties))
	for name := range analyzer.Penalties {
		signals = append(signals, name)
	}
	slices.Sort(signals)
	for _, name := range signals {
		pr := examplePair(name)
		out = append(out, Example{Name: name, Context: c, Email: nudge(PairNote{
			Pair: pr, Change: ChangeDrift, WasBand: analyzer.BandHealthy, Signals: pr.Signals,
		})})
	}

	kim := weekly(exManager, exKim, "kim-weekly", time.Tuesday, 11, -30, 4, nil)
	kim.Band, kim.Score = analyzer.BandHealthy, 100
	out = append(out, Example{Name: "back_on_track", Context: c, Email: nudge(PairNote{Pair: kim, Change: ChangeRecovered, WasBand: analyzer.BandDrifting})})

	sam := examplePair(analyzer.SignalRescheduleRate)
	sam = withSignal(sam, analyzer.SignalLateReschedules, 2, 2, func(o analyzer.Occurrence) bool { return o.Late })
	jo := weekly(exManager, exJo, "jo-weekly", time.Thursday, 15, -2, -1, nil)
	jo = withSignal(jo, analyzer.SignalNothingScheduled, 0, 1, nil)
	out = append(out, Example{Name: "batched", Context: c, Email: nudge(
		PairNote{Pair: sam, Change: ChangeDrift, WasBand: analyzer.BandHealthy, Signals: sam.Signals[1:], Still: sam.Signals[:1]},
		PairNote{Pair: jo, Change: ChangeDrift, WasBand: analyzer.BandHealthy, Signals: jo.Signals,
			Relationship: relationshipOf(jo, c.Directory, exNow)},
		PairNote{Pair: kim, Change: ChangeRecovered, WasBand: analyzer.BandDrifting},
	)})

	lee := weekly(exManager, exLee, "lee-weekly", time.Wednesday, 14, -30, 4, func(w int, o *analyzer.Occurrence) {
		if w >= -3 {
			skip(o) // on leave
		}
	})
	lee = withSignal(lee, analyzer.SignalSkipRate, 0.3, 0.2, func(o analyzer.Occurrence) bool { return o.Fate == analyzer.FateSkipped })
	med := func(f float64) *float64 { return &f }
	digest := &Digest{
		WeekOf: weekStart(exNow, exZone),
		Pairs: []DigestPair{
			{Pair: sam, Relationship: relationshipOf(sam, c.Directory, exNow)},
			{Pair: jo, Relationship: relationshipOf(jo, c.Directory, exNow)},
			{Pair: kim, Relationship: relationshipOf(kim, c.Directory, exNow)},
			{Pair: lee, Relationship: relationshipOf(lee, c.Directory, exNow), SnoozedUntil: time.Date(2026, 4, 10, 0, 0, 0, 0, time.UTC)},
		},
		Teams: []analyzer.TeamReport{
			{Team: "platform", Pairs: 6, Coverage: 0.83, Healthy: 4, Drifting: 1, AtRisk: 1, MedianDaysSinceLast: med(6.5)},
			{Team: "mobile", Pairs: 5, Coverage: 1, Healthy: 5, MedianDaysSinceLast: med(4)},
		},
		Folded:          true,
		PrivacyMinGroup: DefaultPrivacyMinGroup,
	}
	sortDigestPairs(digest.Pairs)
	out = append(out, Example{Name: "digest", Context: c, Email: Email{
		Kind: KindDigest, To: exManager, Period: isoWeek(exNow), NotBefore: exNow, Location: exZone, Digest: digest,
	}})
	return out
}

// ExampleNames are the names Examples answers to.
func ExampleNames() []string {
	var out []string
	for _, e := range Examples() {
		out = append(out, e.Name)
	}
	return out
}
