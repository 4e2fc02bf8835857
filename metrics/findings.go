package metrics

import (
	"bytes"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/rapport-dev/rapport/analyzer"
)

// Label granularities of the findings (config.Metrics.Labels), finest
// first. A granularity includes every coarser one: "pair" also exports the
// manager and team series, "manager" also the team series.
const (
	LabelsPair    = "pair"
	LabelsManager = "manager"
	LabelsTeam    = "team"
)

// View is how a report is exposed.
type View struct {
	// Labels is the finest granularity: LabelsPair, LabelsManager or
	// LabelsTeam. Empty means LabelsManager, the configuration's default.
	Labels string
	// Org is the organisation the report was made for; its team tree is
	// what small teams fold into.
	Org analyzer.Org
	// PrivacyMinGroup is the fewest pairs a team series may describe;
	// smaller teams fold into their parent (analyzer.FoldTeams). Values
	// under 1 mean 1.
	PrivacyMinGroup int
}

func (v View) level() int {
	switch v.Labels {
	case LabelsPair:
		return 2
	case LabelsTeam:
		return 0
	default:
		return 1
	}
}

// family is one gauge of the findings.
type family struct {
	name, help string
	labels     []string // variable labels, in the order values are given
	byName     []int    // indexes of labels sorted by name: the exposition's order
	desc       *prometheus.Desc
}

func newFamily(name, help string, labels ...string) *family {
	f := &family{name: name, help: help, labels: labels, desc: prometheus.NewDesc(name, help, labels, nil)}
	f.byName = make([]int, len(labels))
	for i := range f.byName {
		f.byName[i] = i
	}
	sort.Slice(f.byName, func(i, j int) bool { return labels[f.byName[i]] < labels[f.byName[j]] })
	return f
}

// The findings' families. Durations are in seconds and rates are ratios
// (0–1), as Prometheus conventions ask.
var (
	famGenerated = newFamily("rapport_report_generated_timestamp_seconds",
		"When the latest analysis was made (its now), as a Unix time.")
	famWindow = newFamily("rapport_report_window_seconds",
		"The trailing window the signals are computed over.")
	famPairsByBand = newFamily("rapport_pairs",
		"Pairs in each health band, over the whole organisation.", "band")

	famPairScore = newFamily("rapport_pair_health_score",
		"A pair's health score, 0 (worst) to 100 (healthy).", "team", "manager", "report")
	famPairBand = newFamily("rapport_pair_band",
		"1 for the pair's current health band, 0 for the others.", "team", "manager", "report", "band")
	famPairSince = newFamily("rapport_pair_time_since_last_one_on_one_seconds",
		"Time since the pair's last held 1:1, in whole days; absent when they never met.", "team", "manager", "report")
	famPairIntended = newFamily("rapport_pair_intended_interval_seconds",
		"The interval the pair's 1:1 series plans (its RRULE); absent for one-off meetings.", "team", "manager", "report")
	famPairRealized = newFamily("rapport_pair_realized_interval_seconds",
		"The median gap between the pair's 1:1s held in the window; absent under two.", "team", "manager", "report")
	famPairMoved = newFamily("rapport_pair_moved_ratio",
		"Moved / planned past 1:1s in the window; absent when none was planned.", "team", "manager", "report")
	famPairShortened = newFamily("rapport_pair_shortened_ratio",
		"Shortened / held 1:1s in the window; absent when none was held.", "team", "manager", "report")
	famPairSkipped = newFamily("rapport_pair_skipped_ratio",
		"Unexcused skipped / planned past 1:1s in the window; absent when none was planned.", "team", "manager", "report")
	famPairSignal = newFamily("rapport_pair_signal",
		"1 for each drift signal the pair crosses; absent otherwise.", "team", "manager", "report", "signal")

	famManagerPairs = newFamily("rapport_manager_pairs",
		"A manager's pairs in each health band.", "team", "manager", "band")
	famManagerScore = newFamily("rapport_manager_mean_health_score",
		"The mean health score of a manager's pairs.", "team", "manager")
	famManagerCoverage = newFamily("rapport_manager_coverage_ratio",
		"A manager's pairs that met within twice their interval / all their pairs.", "team", "manager")
	famManagerSince = newFamily("rapport_manager_longest_time_since_last_one_on_one_seconds",
		"The longest time since the last held 1:1 among a manager's pairs that have met.", "team", "manager")
	famManagerMoved = newFamily("rapport_manager_moved_ratio",
		"Moved / planned past 1:1s in the window, over all of a manager's pairs.", "team", "manager")
	famManagerShortened = newFamily("rapport_manager_shortened_ratio",
		"Shortened / held 1:1s in the window, over all of a manager's pairs.", "team", "manager")
	famManagerSkipped = newFamily("rapport_manager_skipped_ratio",
		"Unexcused skipped / planned past 1:1s in the window, over all of a manager's pairs.", "team", "manager")
	famManagerSignal = newFamily("rapport_manager_signal_pairs",
		"A manager's pairs crossing each drift signal.", "team", "manager", "signal")

	famTeamPairs = newFamily("rapport_team_pairs",
		"A team's pairs in each health band; teams under the privacy minimum are folded into their parent.", "team", "band")
	famTeamCoverage = newFamily("rapport_team_coverage_ratio",
		"A team's pairs that met within twice their interval / all its pairs (folded teams).", "team")
	famTeamSince = newFamily("rapport_team_median_time_since_last_one_on_one_seconds",
		"The median time since the last held 1:1 over a team's pairs (folded teams).", "team")
)

// families lists every family, sorted by name as an exposition is.
var families = func() []*family {
	all := []*family{
		famGenerated, famWindow, famPairsByBand,
		famPairScore, famPairBand, famPairSince, famPairIntended, famPairRealized,
		famPairMoved, famPairShortened, famPairSkipped, famPairSignal,
		famManagerPairs, famManagerScore, famManagerCoverage, famManagerSince,
		famManagerMoved, famManagerShortened, famManagerSkipped, famManagerSignal,
		famTeamPairs, famTeamCoverage, famTeamSince,
	}
	slices.SortFunc(all, func(a, b *family) int { return strings.Compare(a.name, b.name) })
	return all
}()

// isFinding reports whether name is one of the findings' families.
func isFinding(name string) bool {
	_, ok := slices.BinarySearchFunc(families, name, func(f *family, n string) int { return strings.Compare(f.name, n) })
	return ok
}

var (
	bands   = []analyzer.Band{analyzer.BandHealthy, analyzer.BandDrifting, analyzer.BandAtRisk}
	signals = []string{
		analyzer.SignalRescheduleRate, analyzer.SignalLateReschedules, analyzer.SignalShortened,
		analyzer.SignalSkipRate, analyzer.SignalFallingCadence, analyzer.SignalOverdue,
		analyzer.SignalNothingScheduled, analyzer.SignalNoAgenda,
	}
)

const day = 24 * 60 * 60 // seconds

// sample is one series: its label values, in the family's order.
type sample struct {
	values []string
	value  float64
}

// snapshot is every series of one report, immutable once built: samples
// per family (in the order of families), each sorted as an exposition is.
// Its encodings are made once, on first use.
type snapshot struct {
	samples [][]sample

	once     sync.Once
	text     []byte // the text exposition
	deflated []byte // the same, compressed (see deflate)
}

// Findings is a prometheus.Collector over the latest report. Update builds
// an immutable snapshot of every series; Collect only sends it, and
// Handler serves its text encoding, made once per snapshot. Series of
// pairs, managers and teams that are gone are simply not in the next
// snapshot: nothing is ever reset, and a scrape never sees half an update.
type Findings struct {
	snap atomic.Pointer[snapshot]
}

var _ prometheus.Collector = (*Findings)(nil)

// NewFindings returns an empty collector: it exposes nothing until the
// first Update.
func NewFindings() *Findings { return &Findings{} }

// Describe sends every descriptor the findings may use, whatever the view.
func (f *Findings) Describe(ch chan<- *prometheus.Desc) {
	for _, fam := range families {
		ch <- fam.desc
	}
}

// Collect sends the latest snapshot.
func (f *Findings) Collect(ch chan<- prometheus.Metric) {
	snap := f.snap.Load()
	if snap == nil {
		return
	}
	for i, fam := range families {
		for _, s := range snap.samples[i] {
			ch <- prometheus.MustNewConstMetric(fam.desc, prometheus.GaugeValue, s.value, s.values...)
		}
	}
}

// Update replaces the snapshot with the series of rep, seen through v, and
// starts encoding it for Handler. It is safe to call while scrapes run.
func (f *Findings) Update(rep analyzer.Report, v View) {
	snap := build(rep, v)
	f.snap.Store(snap)
	go snap.encode()
}

// exposition returns the latest snapshot's text encoding, plain and
// compressed; nil before the first Update.
func (f *Findings) exposition() (text, deflated []byte) {
	snap := f.snap.Load()
	if snap == nil {
		return nil, nil
	}
	snap.encode()
	return snap.text, snap.deflated
}

// encode makes the snapshot's encodings, once.
func (s *snapshot) encode() {
	s.once.Do(func() {
		var b bytes.Buffer
		for i, fam := range families {
			if len(s.samples[i]) == 0 {
				continue
			}
			mf := &dto.MetricFamily{Name: &fam.name, Help: &fam.help, Type: dto.MetricType_GAUGE.Enum(),
				Metric: make([]*dto.Metric, len(s.samples[i]))}
			for j := range s.samples[i] {
				smp := &s.samples[i][j]
				m := &dto.Metric{Gauge: &dto.Gauge{Value: &smp.value}, Label: make([]*dto.LabelPair, len(fam.labels))}
				for k, l := range fam.byName {
					m.Label[k] = &dto.LabelPair{Name: &fam.labels[l], Value: &smp.values[l]}
				}
				mf.Metric[j] = m
			}
			if _, err := expfmt.MetricFamilyToText(&b, mf); err != nil {
				// Names are constants and values valid UTF-8: only a
				// programming error gets here.
				panic("metrics: encoding " + fam.name + ": " + err.Error())
			}
		}
		s.text = b.Bytes()
		s.deflated = deflate(s.text)
	})
}

// build makes every series of one report.
func build(rep analyzer.Report, v View) *snapshot {
	level := v.level()
	idx := map[*family]int{}
	for i, fam := range families {
		idx[fam] = i
	}
	snap := &snapshot{samples: make([][]sample, len(families))}
	gauge := func(fam *family, value float64, labels ...string) {
		i := idx[fam]
		snap.samples[i] = append(snap.samples[i], sample{values: labels, value: value})
	}

	gauge(famGenerated, float64(rep.GeneratedAt.UnixNano())/1e9)
	gauge(famWindow, float64(rep.WindowDays*day))
	total := map[analyzer.Band]int{}
	for i := range rep.Pairs {
		total[rep.Pairs[i].Band]++
	}
	for _, b := range bands {
		gauge(famPairsByBand, float64(total[b]), string(b))
	}

	minGroup := max(v.PrivacyMinGroup, 1)
	for _, t := range analyzer.FoldTeams(v.Org, rep.Teams, minGroup) {
		name := label(t.Team)
		gauge(famTeamPairs, float64(t.Healthy), name, string(analyzer.BandHealthy))
		gauge(famTeamPairs, float64(t.Drifting), name, string(analyzer.BandDrifting))
		gauge(famTeamPairs, float64(t.AtRisk), name, string(analyzer.BandAtRisk))
		gauge(famTeamCoverage, t.Coverage, name)
		if t.MedianDaysSinceLast != nil {
			gauge(famTeamSince, *t.MedianDaysSinceLast*day, name)
		}
	}

	if level >= 1 {
		from := rep.GeneratedAt.Add(-time.Duration(rep.WindowDays) * 24 * time.Hour)
		type key struct{ team, manager string }
		byManager := map[key]*managerAgg{}
		var managers []*managerAgg
		for i := range rep.Pairs {
			p := &rep.Pairs[i]
			team, manager := label(p.Team), label(p.Manager)
			mgr := byManager[key{team, manager}]
			if mgr == nil {
				mgr = &managerAgg{team: team, manager: manager, signals: map[string]int{}}
				byManager[key{team, manager}] = mgr
				managers = append(managers, mgr)
			}
			r := ratesOf(p, from, rep.GeneratedAt)
			mgr.add(p, r)
			if level < 2 {
				continue
			}
			report := label(p.Report)
			gauge(famPairScore, float64(p.Score), team, manager, report)
			for _, b := range bands {
				gauge(famPairBand, boolValue(p.Band == b), team, manager, report, string(b))
			}
			if p.DaysSinceLast != nil {
				gauge(famPairSince, float64(*p.DaysSinceLast*day), team, manager, report)
			}
			if p.IntendedIntervalDays != nil {
				gauge(famPairIntended, *p.IntendedIntervalDays*day, team, manager, report)
			}
			if p.RealizedIntervalDays != nil {
				gauge(famPairRealized, *p.RealizedIntervalDays*day, team, manager, report)
			}
			if r.past > 0 {
				gauge(famPairMoved, ratio(r.moved, r.past), team, manager, report)
				gauge(famPairSkipped, ratio(r.skipped, r.past), team, manager, report)
			}
			if r.held > 0 {
				gauge(famPairShortened, ratio(r.shortened, r.held), team, manager, report)
			}
			for _, s := range p.Signals {
				gauge(famPairSignal, 1, team, manager, report, label(s.Name))
			}
		}
		for _, m := range managers {
			m.emit(gauge)
		}
	}

	// Sorted as the exposition sorts: by label values, labels in name
	// order. A registry then sorts sorted input, which is cheap.
	for i, fam := range families {
		ss := snap.samples[i]
		slices.SortFunc(ss, func(a, b sample) int {
			for _, l := range fam.byName {
				if c := strings.Compare(a.values[l], b.values[l]); c != 0 {
					return c
				}
			}
			return 0
		})
		// Two pairs or managers can share label values only when the
		// report lists one pair twice; a duplicate series would fail the
		// whole scrape, so the later one goes.
		snap.samples[i] = slices.CompactFunc(ss, func(a, b sample) bool { return slices.Equal(a.values, b.values) })
	}
	return snap
}

// managerAgg accumulates the pairs of one manager in one team.
type managerAgg struct {
	team, manager string
	pairs         int
	bands         [3]int
	scores        int
	covered       int
	longest       int
	met           bool
	rates         rates
	signals       map[string]int
}

func (m *managerAgg) add(p *analyzer.PairReport, r rates) {
	m.pairs++
	if i := slices.Index(bands, p.Band); i >= 0 {
		m.bands[i]++
	}
	m.scores += p.Score
	if p.Covered {
		m.covered++
	}
	if p.DaysSinceLast != nil {
		m.met = true
		m.longest = max(m.longest, *p.DaysSinceLast)
	}
	m.rates.past += r.past
	m.rates.held += r.held
	m.rates.moved += r.moved
	m.rates.skipped += r.skipped
	m.rates.shortened += r.shortened
	for _, s := range p.Signals {
		m.signals[s.Name]++
	}
}

func (m *managerAgg) emit(gauge func(*family, float64, ...string)) {
	for i, b := range bands {
		gauge(famManagerPairs, float64(m.bands[i]), m.team, m.manager, string(b))
	}
	gauge(famManagerScore, float64(m.scores)/float64(m.pairs), m.team, m.manager)
	gauge(famManagerCoverage, ratio(m.covered, m.pairs), m.team, m.manager)
	if m.met {
		gauge(famManagerSince, float64(m.longest*day), m.team, m.manager)
	}
	if m.rates.past > 0 {
		gauge(famManagerMoved, ratio(m.rates.moved, m.rates.past), m.team, m.manager)
		gauge(famManagerSkipped, ratio(m.rates.skipped, m.rates.past), m.team, m.manager)
	}
	if m.rates.held > 0 {
		gauge(famManagerShortened, ratio(m.rates.shortened, m.rates.held), m.team, m.manager)
	}
	for _, s := range signals {
		gauge(famManagerSignal, float64(m.signals[s]), m.team, m.manager, s)
	}
}

// rates counts a pair's past occurrences planned in the window the way the
// analyzer's rate signals do: a move is any 1:1 held at another time than
// planned, a skip an unexcused one, and shortened ones are counted among
// the 1:1s that happened.
type rates struct {
	past, held, moved, skipped, shortened int
}

func ratesOf(p *analyzer.PairReport, from, to time.Time) rates {
	var r rates
	for i := range p.Occurrences {
		o := &p.Occurrences[i]
		if o.Planned.Before(from) || !o.Planned.Before(to) || o.Fate == analyzer.FateUpcoming {
			continue
		}
		r.past++
		if o.Moved {
			r.moved++
		}
		switch o.Fate {
		case analyzer.FateSkipped:
			r.skipped++
		case analyzer.FateHeld, analyzer.FateMoved, analyzer.FateShortened:
			r.held++
			if o.Shortened {
				r.shortened++
			}
		}
	}
	return r
}

func ratio(n, d int) float64 {
	if d == 0 {
		return math.NaN()
	}
	return float64(n) / float64(d)
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// label makes a label value valid: Prometheus requires UTF-8, and names
// inferred from calendars are not always.
func label(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }
