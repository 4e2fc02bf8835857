package web

import (
	"bytes"
	"cmp"
	"embed"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/rapport-dev/rapport/analyzer"
)

//go:embed templates/*.html
var templateFS embed.FS

// pages are the dashboard's templates, each with the shared layout.
var pages = func() map[string]*template.Template {
	funcs := template.FuncMap{
		"pathEscape": url.PathEscape,
		"bandLabel":  bandLabel,
		"pct":        func(f float64) string { return fmt.Sprintf("%.0f%%", 100*f) },
		"when":       func(t time.Time) string { return t.Format("Mon 2 Jan 2006 15:04 MST") },
	}
	base := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html"))
	out := map[string]*template.Template{}
	for _, name := range []string{"overview", "manager", "message"} {
		t := template.Must(base.Clone())
		out[name] = template.Must(t.ParseFS(templateFS, "templates/"+name+".html"))
	}
	return out
}()

// timelineAhead is how far past now the timelines reach: the next few
// planned 1:1s.
const timelineAhead = 28 * 24 * time.Hour

// page is what every page's layout shows.
type page struct {
	Title       string
	Viewer      string // the trusted header's identity, if any
	GeneratedAt time.Time
	WindowDays  int
	Refresh     bool // reload every few seconds: the first analysis runs
}

// bandCounts are pairs per band, with their shares for a stacked bar.
type bandCounts struct {
	Healthy, Drifting, AtRisk int
}

func (b bandCounts) Total() int { return b.Healthy + b.Drifting + b.AtRisk }

// Share is the percentage of n in the total, for bar widths.
func (b bandCounts) Share(n int) string {
	if b.Total() == 0 {
		return "0"
	}
	return fmt.Sprintf("%.2f", 100*float64(n)/float64(b.Total()))
}

func (b *bandCounts) add(band analyzer.Band) {
	switch band {
	case analyzer.BandHealthy:
		b.Healthy++
	case analyzer.BandDrifting:
		b.Drifting++
	default:
		b.AtRisk++
	}
}

type overviewPage struct {
	page
	Bands    bandCounts
	Coverage float64
	Teams    []teamRow
	Managers []managerRow
}

type teamRow struct {
	Name       string
	Pairs      int
	Coverage   float64
	Bands      bandCounts
	MedianDays string
	Managers   []string
}

type managerRow struct {
	Email     string
	Teams     []string
	Pairs     int
	MeanScore int
	Coverage  float64
	Bands     bandCounts
	Longest   string // days since the last 1:1, longest among the pairs
}

func (s *Server) overview(w http.ResponseWriter, r *http.Request) {
	rep := s.report.Load()
	if rep == nil {
		s.waiting(w, r)
		return
	}
	v := overviewPage{page: s.pageFor(r, rep, "Rapport — 1:1 health")}
	managersOf := map[string][]string{}
	byManager := map[string]*managerRow{}
	var managers []*managerRow
	covered, longest := 0, map[string]int{}
	scores := map[string]int{}
	for _, p := range rep.Pairs {
		v.Bands.add(p.Band)
		if p.Covered {
			covered++
		}
		if p.Team != "" && !slices.Contains(managersOf[p.Team], p.Manager) {
			managersOf[p.Team] = append(managersOf[p.Team], p.Manager)
		}
		m := byManager[p.Manager]
		if m == nil {
			m = &managerRow{Email: p.Manager}
			byManager[p.Manager] = m
			managers = append(managers, m)
			longest[p.Manager] = -1
		}
		if p.Team != "" && !slices.Contains(m.Teams, p.Team) {
			m.Teams = append(m.Teams, p.Team)
		}
		m.Pairs++
		m.Bands.add(p.Band)
		scores[p.Manager] += p.Score
		if p.Covered {
			m.Coverage++
		}
		if p.DaysSinceLast != nil {
			longest[p.Manager] = max(longest[p.Manager], *p.DaysSinceLast)
		}
	}
	if n := len(rep.Pairs); n > 0 {
		v.Coverage = float64(covered) / float64(n)
	}
	for _, t := range rep.Teams {
		row := teamRow{Name: t.Team, Pairs: t.Pairs, Coverage: t.Coverage, Managers: managersOf[t.Team],
			Bands: bandCounts{t.Healthy, t.Drifting, t.AtRisk}, MedianDays: "—"}
		if t.MedianDaysSinceLast != nil {
			row.MedianDays = fmt.Sprintf("%g", math.Round(*t.MedianDaysSinceLast*10)/10)
		}
		v.Teams = append(v.Teams, row)
	}
	for _, m := range managers {
		m.MeanScore = int(math.Round(float64(scores[m.Email]) / float64(m.Pairs)))
		m.Coverage /= float64(m.Pairs)
		m.Longest = "never met"
		if d := longest[m.Email]; d >= 0 {
			m.Longest = days(d)
		}
		v.Managers = append(v.Managers, *m)
	}
	// The managers most in need of attention first.
	slices.SortStableFunc(v.Managers, func(a, b managerRow) int {
		return cmp.Or(cmp.Compare(b.Bands.AtRisk, a.Bands.AtRisk), cmp.Compare(a.MeanScore, b.MeanScore), cmp.Compare(a.Email, b.Email))
	})
	s.render(w, http.StatusOK, "overview", v)
}

type managerPage struct {
	page
	Manager string
	Teams   []string
	Bands   bandCounts
	Ticks   []tick
	NowAt   string // left position of now on the timelines, in percent
	Pairs   []pairView
	Legend  []cell
}

type tick struct {
	At, Label string
}

type pairView struct {
	Report, Team string
	Band         analyzer.Band
	Score        int
	Facts        []string
	Signals      []string
	Cells        []cell
	Hidden       int // occurrences before the timeline starts
}

type cell struct {
	At    string // left position in percent
	Class string // the fate, and "late" for late moves
	Title string
}

func (s *Server) manager(w http.ResponseWriter, r *http.Request) {
	rep := s.report.Load()
	if rep == nil {
		s.waiting(w, r)
		return
	}
	who := r.PathValue("manager")
	v := managerPage{page: s.pageFor(r, rep, who+" — Rapport"), Manager: who, Legend: legend}
	from := rep.GeneratedAt.Add(-time.Duration(rep.WindowDays) * 24 * time.Hour)
	to := rep.GeneratedAt.Add(timelineAhead)
	pos := func(t time.Time) string {
		return fmt.Sprintf("%.2f", 100*float64(t.Sub(from))/float64(to.Sub(from)))
	}
	for _, p := range rep.Pairs {
		if p.Manager != who {
			continue
		}
		if p.Team != "" && !slices.Contains(v.Teams, p.Team) {
			v.Teams = append(v.Teams, p.Team)
		}
		v.Bands.add(p.Band)
		pv := pairView{Report: p.Report, Team: p.Team, Band: p.Band, Score: p.Score, Facts: facts(p), Signals: make([]string, 0, len(p.Signals))}
		for _, sig := range p.Signals {
			pv.Signals = append(pv.Signals, signalText(sig))
		}
		for _, o := range p.Occurrences {
			if o.Planned.Before(from) {
				pv.Hidden++
				continue
			}
			if !o.Planned.Before(to) {
				continue
			}
			c := cell{At: pos(o.Planned), Class: string(o.Fate), Title: occurrenceTitle(o)}
			if o.Late {
				c.Class += " late"
			}
			pv.Cells = append(pv.Cells, c)
		}
		v.Pairs = append(v.Pairs, pv)
	}
	if len(v.Pairs) == 0 {
		s.render(w, http.StatusNotFound, "message", messagePage{page: s.pageFor(r, rep, "Not found — Rapport"),
			Heading: "No such manager", Text: "Nobody called " + who + " manages a pair in the latest analysis."})
		return
	}
	// The pairs most in need of attention first.
	slices.SortStableFunc(v.Pairs, func(a, b pairView) int {
		return cmp.Or(cmp.Compare(a.Score, b.Score), cmp.Compare(a.Report, b.Report))
	})
	for m := time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, 1, 0); m.Before(to); m = m.AddDate(0, 1, 0) {
		v.Ticks = append(v.Ticks, tick{At: pos(m), Label: m.Format("Jan 2006")})
	}
	v.NowAt = pos(rep.GeneratedAt)
	s.render(w, http.StatusOK, "manager", v)
}

// legend explains the timeline's cells.
var legend = []cell{
	{Class: "held", Title: "held as planned"},
	{Class: "moved", Title: "moved (or made up)"},
	{Class: "moved late", Title: "moved less than a day before"},
	{Class: "shortened", Title: "shortened"},
	{Class: "skipped", Title: "skipped"},
	{Class: "excused", Title: "excused (out of office)"},
	{Class: "upcoming", Title: "upcoming"},
}

type messagePage struct {
	page
	Heading, Text string
}

// waiting is every page before the first analysis: it reloads itself.
func (s *Server) waiting(w http.ResponseWriter, r *http.Request) {
	p := s.pageFor(r, nil, "Rapport — starting")
	p.Refresh = true
	s.render(w, http.StatusServiceUnavailable, "message", messagePage{page: p,
		Heading: "The first analysis is running", Text: "Rapport is reading the calendars. This page reloads itself."})
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.render(w, http.StatusNotFound, "message", messagePage{page: s.pageFor(r, s.report.Load(), "Not found — Rapport"),
		Heading: "Not found", Text: "There is no page at " + r.URL.Path + "."})
}

func (s *Server) pageFor(r *http.Request, rep *analyzer.Report, title string) page {
	p := page{Title: title}
	p.Viewer, _ = r.Context().Value(viewerKey{}).(string)
	if rep != nil {
		p.GeneratedAt, p.WindowDays = rep.GeneratedAt, rep.WindowDays
	}
	return p
}

// render executes a page into a buffer first, so that a template error is
// a clean 500 rather than half a page.
func (s *Server) render(w http.ResponseWriter, code int, name string, data any) {
	var b bytes.Buffer
	if err := pages[name].ExecuteTemplate(&b, "layout.html", data); err != nil {
		s.log.Error("web: rendering a page failed", "page", name, "err", err)
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = b.WriteTo(w)
}

func bandLabel(b analyzer.Band) string { return strings.ReplaceAll(string(b), "_", " ") }

func days(n int) string {
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}

func daysF(f float64) string {
	if f == math.Trunc(f) {
		return days(int(f))
	}
	return fmt.Sprintf("%.1f days", f)
}

// facts are a pair's key numbers, in words.
func facts(p analyzer.PairReport) []string {
	var out []string
	if p.DaysSinceLast != nil {
		out = append(out, "last 1:1 "+days(*p.DaysSinceLast)+" ago")
	} else {
		out = append(out, "no 1:1 held yet")
	}
	if p.IntendedIntervalDays != nil {
		out = append(out, "planned every "+daysF(*p.IntendedIntervalDays))
	}
	if p.RealizedIntervalDays != nil {
		out = append(out, "met every "+daysF(*p.RealizedIntervalDays))
	}
	if p.NextPlanned != nil {
		out = append(out, "next "+p.NextPlanned.Format("Mon 2 Jan 15:04 MST"))
	} else {
		out = append(out, "nothing scheduled")
	}
	c := p.Counts
	out = append(out, fmt.Sprintf("in the window: %d held, %d moved (%d late), %d shortened, %d skipped, %d excused",
		c.Held, c.Moved, c.LateMoved, c.Shortened, c.Skipped, c.Excused))
	return out
}

// signalText says what a crossed signal means, with its numbers.
func signalText(s analyzer.Signal) string {
	pc := func(f float64) string { return fmt.Sprintf("%.0f%%", 100*f) }
	switch s.Name {
	case analyzer.SignalRescheduleRate:
		return fmt.Sprintf("Often moved: %s of planned 1:1s were moved (threshold %s).", pc(s.Value), pc(s.Threshold))
	case analyzer.SignalLateReschedules:
		return fmt.Sprintf("Moved at short notice %g times (threshold %g).", s.Value, s.Threshold)
	case analyzer.SignalShortened:
		return fmt.Sprintf("Shortened: %s of held 1:1s were cut short (threshold %s).", pc(s.Value), pc(s.Threshold))
	case analyzer.SignalSkipRate:
		return fmt.Sprintf("Skipped: %s of planned 1:1s did not happen (threshold %s).", pc(s.Value), pc(s.Threshold))
	case analyzer.SignalFallingCadence:
		return fmt.Sprintf("Falling cadence: meeting every %s, expected every %s at most.", daysF(s.Value), daysF(s.Threshold))
	case analyzer.SignalOverdue:
		return fmt.Sprintf("Overdue: %s since the last 1:1 (limit %s).", daysF(s.Value), daysF(s.Threshold))
	case analyzer.SignalNothingScheduled:
		return "Nothing scheduled: no upcoming 1:1."
	case analyzer.SignalNoAgenda:
		return fmt.Sprintf("No agenda: %s of held 1:1s had no written agenda (threshold %s).", pc(s.Value), pc(s.Threshold))
	}
	return fmt.Sprintf("%s: %g (threshold %g).", s.Name, s.Value, s.Threshold)
}

// occurrenceTitle is a cell's tooltip: its fate and dates.
func occurrenceTitle(o analyzer.Occurrence) string {
	const layout = "Mon 2 Jan 2006 15:04 MST"
	planned := o.Planned.Format(layout)
	switch o.Fate {
	case analyzer.FateMoved:
		if o.MakeUp {
			return fmt.Sprintf("moved: planned %s, made up %s", planned, o.Start.Format(layout))
		}
		t := fmt.Sprintf("moved: planned %s, held %s", planned, o.Start.Format(layout))
		if o.Late {
			t += " (moved less than a day before)"
		}
		return t
	case analyzer.FateShortened:
		t := fmt.Sprintf("shortened: %s, %.0f of %.0f minutes", o.Start.Format(layout), o.End.Sub(o.Start).Minutes(), o.PlannedEnd.Sub(o.Planned).Minutes())
		if o.Moved {
			t += ", moved from " + planned
		}
		return t
	case analyzer.FateSkipped:
		return "skipped: planned " + planned
	case analyzer.FateExcused:
		return "excused (out of office): planned " + planned
	case analyzer.FateUpcoming:
		if o.Start.IsZero() {
			return "upcoming: " + planned
		}
		return "upcoming: " + o.Start.Format(layout)
	}
	if o.Start.IsZero() {
		return "held: " + planned
	}
	return "held: " + o.Start.Format(layout)
}
