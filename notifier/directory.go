package notifier

import (
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/rapport-dev/rapport/analyzer"
	"github.com/rapport-dev/rapport/calendar"
)

// Directory is what the calendars say about people and 1:1 series: display
// names and titles for the emails, and when each series began. Everything
// in it comes from calendar data anyone can write, so it is untrusted: it
// is cleaned of control characters and cut to length wherever it is shown,
// escaped in HTML, and never put in a header raw.
type Directory struct {
	// Names are display names by canonical email.
	Names map[string]string
	// Series are 1:1 series by UID.
	Series map[string]Series
}

// Series is what an email may say about a 1:1 series.
type Series struct {
	Title string
	Start time.Time // the first planned occurrence (DTSTART)
}

// Length limits of untrusted text in emails, in characters.
const (
	maxName    = 64
	maxTitle   = 80
	maxSubject = 120
	maxReason  = 200
)

// DirectoryFromEvents collects names and series from calendar events:
// attendees' display names, and each series' title and start (a master's
// over its overrides').
func DirectoryFromEvents(events []calendar.Event) Directory {
	d := Directory{Names: map[string]string{}, Series: map[string]Series{}}
	// Deterministic whatever the order of the events: masters first, then
	// by UID and start.
	sorted := make([]*calendar.Event, len(events))
	for i := range events {
		sorted[i] = &events[i]
	}
	sort.SliceStable(sorted, func(i, j int) bool {
		a, b := sorted[i], sorted[j]
		if a.IsOverride() != b.IsOverride() {
			return !a.IsOverride()
		}
		if a.UID != b.UID {
			return a.UID < b.UID
		}
		return a.Start.Before(b.Start)
	})
	for _, e := range sorted {
		for _, a := range e.Attendees {
			if name := Clean(a.Name, maxName); name != "" && a.Email != "" && d.Names[a.Email] == "" {
				d.Names[a.Email] = name
			}
		}
		if e.UID == "" {
			continue
		}
		s, ok := d.Series[e.UID]
		if !ok {
			s = Series{Title: Clean(e.Summary, maxTitle), Start: e.Start}
		} else if e.Start.Before(s.Start) && !e.IsOverride() {
			s.Start = e.Start
		}
		if s.Title == "" {
			s.Title = Clean(e.Summary, maxTitle)
		}
		d.Series[e.UID] = s
	}
	return d
}

// Name is a person's display name, or their email when none is known.
func (d Directory) Name(email string) string {
	if n := Clean(d.Names[email], maxName); n != "" {
		return n
	}
	return Clean(email, maxName+200)
}

// Title is the title of the pair's current 1:1 series: that of its latest
// occurrence whose series has one.
func (d Directory) Title(pr analyzer.PairReport) string {
	for i := len(pr.Occurrences) - 1; i >= 0; i-- {
		if t := Clean(d.Series[pr.Occurrences[i].UID].Title, maxTitle); t != "" {
			return t
		}
	}
	return ""
}

// Clean makes untrusted text safe to show: control and format characters
// (CR, LF, tabs, bidirectional overrides, zero-width characters) become
// spaces or go, runs of spaces collapse, invalid UTF-8 is replaced, and the
// result is cut to max characters, ending in "…" when cut.
func Clean(s string, max int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	var b strings.Builder
	space := false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r) || unicode.IsControl(r):
			space = b.Len() > 0
			continue
		case unicode.Is(unicode.Cf, r):
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	out := b.String()
	if max > 0 && utf8.RuneCountInString(out) > max {
		r := []rune(out)
		out = strings.TrimRight(string(r[:max-1]), " ") + "…"
	}
	return out
}
