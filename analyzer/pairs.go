package analyzer

import (
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/rapport-dev/rapport/calendar"
)

// PairKey identifies a manager–report relationship.
type PairKey struct {
	Manager string
	Report  string
}

func (k PairKey) String() string { return k.Manager + "/" + k.Report }

// oneOnOneTitle matches the ways people title a 1:1: "1:1", "1-1", "1on1",
// "one-on-one", "1x1", "Alice / Bob", "Alice <> Bob".
var oneOnOneTitle = regexp.MustCompile(`(?i)(\b1\s*(:|-|x|on|o)\s*1\b|\bone[\s-]*on[\s-]*one\b|^[^/<>]{2,}\s(/|<>)\s[^/<>]{2,}$)`)

// LooksLikeOneOnOne reports whether a title reads like a 1:1.
func LooksLikeOneOnOne(title string) bool { return oneOnOneTitle.MatchString(strings.TrimSpace(title)) }

// outOfOfficeTitle matches titles people give to absences.
var outOfOfficeTitle = regexp.MustCompile(`(?i)\b(ooo|out[\s-]of[\s-](the[\s-])?office|vacation|pto|leave|holidays?|urlaub|annual leave|sick|off work)\b`)

// orgIndex answers "who manages whom" from the configured teams.
type orgIndex struct {
	teamOf  map[PairKey]string
	manages map[string]map[string]bool
}

func indexOrg(org Org) orgIndex {
	ix := orgIndex{teamOf: map[PairKey]string{}, manages: map[string]map[string]bool{}}
	for _, t := range org.Teams {
		m := calendar.CanonicalEmail(t.Manager)
		for _, r := range t.Reports {
			r = calendar.CanonicalEmail(r)
			ix.teamOf[PairKey{m, r}] = t.Name
			if ix.manages[m] == nil {
				ix.manages[m] = map[string]bool{}
			}
			ix.manages[m][r] = true
		}
	}
	return ix
}

// series is one deduplicated series as the analyzer uses it: its events
// merged from every calendar it was seen on.
type series struct {
	calendar.Series
	events  []calendar.Event // backing the Series' pointers
	chosen  []*Record        // the copy each of events came from
	deleted time.Time        // the master was deleted at this time
	owners  []string         // whose calendars it was on
}

// record returns the stored copy behind one of the series' events.
func (s *series) record(e *calendar.Event) *Record {
	for i := range s.events {
		if &s.events[i] == e {
			return s.chosen[i]
		}
	}
	return nil
}

func (s *series) ownedBy(email string) bool { return slices.Contains(s.owners, email) }

// mergeSeries groups records by UID across calendars, ordered by UID. Of
// several copies of one event (the organizer's and each attendee's) it
// keeps the newest, and takes each attendee's own answer from their own
// calendar, where it is most current.
func mergeSeries(records []Record) []*series {
	// Sorting indices keeps this to a few allocations however many records
	// there are: it runs over the whole store every cycle.
	idx := make([]int32, len(records))
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortStableFunc(idx, func(a, b int32) int {
		ra, rb := &records[a].Event, &records[b].Event
		if c := strings.Compare(ra.UID, rb.UID); c != 0 {
			return c
		}
		return ra.RecurrenceID.Compare(rb.RecurrenceID)
	})
	var out []*series
	var copies []*Record
	for lo := 0; lo < len(idx); {
		uid := records[idx[lo]].Event.UID
		hi := lo
		for hi < len(idx) && records[idx[hi]].Event.UID == uid {
			hi++
		}
		s := &series{}
		for k := lo; k < hi; {
			rid := records[idx[k]].Event.RecurrenceID
			copies = copies[:0]
			for ; k < hi && records[idx[k]].Event.RecurrenceID.Equal(rid); k++ {
				r := &records[idx[k]]
				copies = append(copies, r)
				if o := r.Calendar.Owner; o != "" && !slices.Contains(s.owners, o) {
					s.owners = append(s.owners, o)
				}
			}
			best := pickCopy(copies)
			s.chosen = append(s.chosen, best)
			s.events = append(s.events, best.Event)
		}
		lo = hi
		grouped := calendar.GroupSeries(s.events)
		if len(grouped) == 0 {
			continue
		}
		s.Series = grouped[0]
		if s.Master != nil {
			if r := s.record(s.Master); r != nil && !r.DeletedAt.IsZero() {
				s.deleted = r.DeletedAt
			}
		}
		out = append(out, s)
	}
	return out
}

// pickCopy chooses among copies of one event: live before deleted, higher
// SEQUENCE, later LAST-MODIFIED; attendee answers are then taken from each
// attendee's own copy.
func pickCopy(cs []*Record) *Record {
	best := cs[0]
	for _, c := range cs[1:] {
		switch {
		case best.DeletedAt.IsZero() != c.DeletedAt.IsZero():
			if c.DeletedAt.IsZero() {
				best = c
			}
		case c.Event.Sequence != best.Event.Sequence:
			if c.Event.Sequence > best.Event.Sequence {
				best = c
			}
		case c.Event.LastModified.After(best.Event.LastModified):
			best = c
		}
	}
	if len(cs) == 1 {
		return best
	}
	merged := *best
	merged.Event.Attendees = append([]calendar.Attendee(nil), best.Event.Attendees...)
	for i, a := range merged.Event.Attendees {
		for _, c := range cs {
			if c.Calendar.Owner == a.Email {
				if own, ok := c.Event.Attendee(a.Email); ok && own.Status != calendar.PartStatNeedsAction {
					merged.Event.Attendees[i].Status = own.Status
				}
			}
		}
	}
	return &merged
}

// participants returns the distinct people of an event: the organizer and
// every attendee who is a person, less optional attendees who declined (an
// FYI invitation is not participation). ok is false when a group is
// invited, which makes it no 1:1.
func participants(e *calendar.Event) (people []string, ok bool) {
	seen := map[string]bool{}
	add := func(p string) {
		if p != "" && !seen[p] {
			seen[p] = true
			people = append(people, p)
		}
	}
	add(e.Organizer)
	for _, a := range e.Attendees {
		switch {
		case a.Kind == calendar.KindGroup:
			return nil, false
		case !a.IsPerson():
			continue
		case a.Optional && a.Status == calendar.PartStatDeclined:
			continue
		}
		add(a.Email)
	}
	sort.Strings(people)
	return people, true
}

// pairOf decides whether a series is a 1:1 and of which pair.
func (ix orgIndex) pairOf(s *series, infer bool) (PairKey, bool) {
	e := s.Master
	if e == nil && len(s.Overrides) > 0 {
		e = s.Overrides[0]
	}
	if e == nil || e.Type != calendar.TypeDefault || e.AllDay || isOutOfOffice(e) {
		return PairKey{}, false // an absence or an all-day note is no meeting
	}
	people, ok := participants(e)
	if !ok || len(people) != 2 {
		return PairKey{}, false
	}
	a, b := people[0], people[1]
	switch {
	case ix.manages[a][b]:
		return PairKey{a, b}, true
	case ix.manages[b][a]:
		return PairKey{b, a}, true
	}
	if !infer || !(e.IsRecurring() || LooksLikeOneOnOne(e.Summary)) {
		return PairKey{}, false
	}
	// Single-user mode: the calendar's owner is the manager; failing that,
	// whoever organises the meeting.
	for _, m := range []string{ownerAmong(s, a, b), e.Organizer} {
		switch m {
		case a:
			return PairKey{a, b}, true
		case b:
			return PairKey{b, a}, true
		}
	}
	return PairKey{a, b}, true
}

func ownerAmong(s *series, a, b string) string {
	switch {
	case s.ownedBy(a) && !s.ownedBy(b):
		return a
	case s.ownedBy(b) && !s.ownedBy(a):
		return b
	}
	return ""
}

// isOutOfOffice reports whether an event marks an absence, and of whom:
// the provider's own out-of-office type, or an all-day or busy event titled
// like an absence.
func isOutOfOffice(e *calendar.Event) bool {
	if e.Type == calendar.TypeOutOfOffice {
		return true
	}
	if e.Type != calendar.TypeDefault || e.Status == calendar.StatusCancelled {
		return false
	}
	return (e.AllDay || !e.Transparent) && outOfOfficeTitle.MatchString(e.Summary)
}

// absentees are the people an out-of-office event speaks for. An absence
// someone else sent to a calendar's owner (the "I'm out" invitation a
// report sends their manager) speaks for its organizer and the other
// invitees, not for the owner who merely received it; an absence the owner
// made, or one with no organizer, speaks for the owner and its invitees.
// Invitees who declined are not away.
func absentees(s *series, e *calendar.Event) []string {
	var out []string
	for _, o := range s.owners {
		if e.Organizer == "" || e.Organizer == o {
			out = append(out, o)
		}
	}
	if e.Organizer != "" {
		out = append(out, e.Organizer)
	}
	for _, a := range e.Attendees {
		if !a.IsPerson() || a.Status == calendar.PartStatDeclined || a.Email == e.Organizer {
			continue
		}
		if s.ownedBy(a.Email) && e.Organizer != "" && e.Organizer != a.Email {
			continue // the owner received someone else's absence
		}
		out = append(out, a.Email)
	}
	return out
}
