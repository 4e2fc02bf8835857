package analyzer

import (
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/rapport-dev/rapport/calendar"
)

// Band is a coarse reading of a health score.
type Band string

// The health bands.
const (
	BandHealthy  Band = "healthy"
	BandDrifting Band = "drifting"
	BandAtRisk   Band = "at_risk"
)

// Band thresholds: any one of the heavier signals makes a pair drift; two
// of them, or being overdue with nothing scheduled, put it at risk.
const (
	healthyFrom  = 85
	driftingFrom = 55
)

// BandFor bands a health score.
func BandFor(score int) Band {
	switch {
	case score >= healthyFrom:
		return BandHealthy
	case score >= driftingFrom:
		return BandDrifting
	default:
		return BandAtRisk
	}
}

// Report is the result of one analysis; its JSON is the report contract of
// DESIGN.md.
type Report struct {
	GeneratedAt time.Time    `json:"generated_at"`
	WindowDays  int          `json:"window_days"`
	Pairs       []PairReport `json:"pairs"`
	Teams       []TeamReport `json:"teams"`
	// Problems are series that could not be expanded; they were skipped.
	Problems []error `json:"-"`
}

// PairReport is the health of one manager–report pair.
type PairReport struct {
	Manager              string     `json:"manager"`
	Report               string     `json:"report"`
	Team                 string     `json:"team"`
	Band                 Band       `json:"band"`
	Score                int        `json:"score"`
	IntendedIntervalDays *float64   `json:"intended_interval_days"`
	RealizedIntervalDays *float64   `json:"realized_interval_days"`
	DaysSinceLast        *int       `json:"days_since_last"`
	NextPlanned          *time.Time `json:"next_planned"`
	Counts               Counts     `json:"counts"`
	Signals              []Signal   `json:"signals"`
	// Occurrences is the pair's reconstructed history, oldest first, for
	// timelines.
	Occurrences []Occurrence `json:"-"`
	// Covered reports whether the pair met within twice its intended
	// interval (or the maximum gap): a team's coverage counts these.
	Covered bool `json:"-"`
}

// Key returns the pair's identity.
func (p PairReport) Key() PairKey { return PairKey{p.Manager, p.Report} }

// Analyze reconstructs every pair's 1:1s and evaluates their health. It is
// deterministic: pairs are ordered by team, manager and report.
func Analyze(in Input) Report {
	if in.Settings.Window == 0 {
		in.Settings = DefaultSettings()
	}
	ix := indexOrg(in.Org)
	all := mergeSeries(in.Records)

	pairSeries := map[PairKey][]*series{}
	var awaySeries []*series
	for _, s := range all {
		if e := firstEvent(s); e != nil && isOutOfOffice(e) {
			awaySeries = append(awaySeries, s)
			continue
		}
		if k, ok := ix.pairOf(s, in.Org.InferPairs); ok {
			pairSeries[k] = append(pairSeries[k], s)
		}
	}
	away, problems := absences(awaySeries, in)

	keys := make([]PairKey, 0, len(pairSeries)+len(ix.teamOf))
	for k := range ix.teamOf {
		keys = append(keys, k) // listed pairs are reported even with no 1:1 at all
	}
	for k := range pairSeries {
		if _, listed := ix.teamOf[k]; !listed {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		ti, tj := ix.teamOf[keys[i]], ix.teamOf[keys[j]]
		if ti != tj {
			return ti < tj
		}
		if keys[i].Manager != keys[j].Manager {
			return keys[i].Manager < keys[j].Manager
		}
		return keys[i].Report < keys[j].Report
	})

	pairs := make([]PairReport, len(keys))
	errs := make([][]error, len(keys))
	parallel(len(keys), func(i int) {
		k := keys[i]
		_, listed := ix.teamOf[k]
		pairs[i], errs[i] = analyzePair(k, ix.teamOf[k], listed, pairSeries[k], away, in)
	})
	for _, e := range errs {
		problems = append(problems, e...)
	}
	return Report{
		GeneratedAt: in.Now,
		WindowDays:  int(in.Settings.Window / (24 * time.Hour)),
		Pairs:       pairs,
		Teams:       rollUp(in.Org, pairs),
		Problems:    problems,
	}
}

func firstEvent(s *series) *calendar.Event {
	if s.Master != nil {
		return s.Master
	}
	if len(s.Overrides) > 0 {
		return s.Overrides[0]
	}
	return nil
}

// parallel runs f(0..n-1) on every core; f writes only its own index.
func parallel(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	var wg sync.WaitGroup
	next := make(chan int, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				f(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

// absences expands out-of-office events into spans per person.
func absences(ss []*series, in Input) (map[string][]span, []error) {
	away := map[string][]span{}
	var errs []error
	from := in.Now.Add(-2*in.Settings.Window - in.Settings.MaxGap - 30*24*time.Hour)
	for _, s := range ss {
		occ, err := s.Expand(from, in.Now.Add(in.Settings.Horizon), calendar.ExpandOptions{})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, o := range occ {
			if o.Status == calendar.StatusCancelled {
				continue
			}
			for _, p := range absentees(s, o.Event) {
				away[p] = append(away[p], span{o.Start, o.End})
			}
		}
	}
	return away, errs
}

func analyzePair(k PairKey, team string, listed bool, ss []*series, away map[string][]span, in Input) (PairReport, []error) {
	set := in.Settings
	h := buildHistory(k, ss, away, in)
	f := factsFor(h, in.Now, set.Window)
	active := listed || len(f.cur.happened) > 0
	sigs := signals(h, f, active, in.Now, set)
	score := 100
	for _, s := range sigs {
		score -= Penalties[s.Name]
	}
	score = max(score, 0)
	p := PairReport{
		Manager: k.Manager, Report: k.Report, Team: team,
		Band: BandFor(score), Score: score,
		DaysSinceLast: f.daysSinceLast,
		Counts:        f.counts,
		Signals:       sigs,
		Occurrences:   h.occ,
	}
	if p.Signals == nil {
		p.Signals = []Signal{}
	}
	if h.intended > 0 {
		d := round(days(h.intended))
		p.IntendedIntervalDays = &d
	}
	if f.cur.realized > 0 {
		d := round(days(f.cur.realized))
		p.RealizedIntervalDays = &d
	}
	if !f.nextPlanned.IsZero() {
		t := f.nextPlanned
		p.NextPlanned = &t
	}
	limit := set.MaxGap
	if h.intended > 0 {
		limit = 2 * h.intended
	}
	p.Covered = !f.lastHeld.IsZero() && in.Now.Sub(f.lastHeld) <= limit
	return p, h.errs
}
