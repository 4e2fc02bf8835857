package google

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	gcal "google.golang.org/api/calendar/v3"

	"github.com/rapport-dev/rapport/calendar"
)

// roomDomain is where Google Workspace keeps the calendars of bookable
// resources. Workspace lists them as rooms in the UI, so an attendee there
// is taken as a room; any other `resource: true` attendee is a resource.
const roomDomain = "@resource.calendar.google.com"

// instanceID matches the id Google gives one instance of a series,
// "<masterId>_<original start>": the start in UTC basic format
// ("_20250325T130000Z") or, for all-day series, a date ("_20250325").
// A "this and following" split gets "<masterId>_R<local start>", which is a
// new series and deliberately does not match.
var instanceID = regexp.MustCompile(`^(.+)_([0-9]{8})(T[0-9]{6}Z)?$`)

// uidResolver finds the iCalUID of a master or single event from its id,
// for cancelled items that carry nothing else.
type uidResolver func(ctx context.Context, eventID string) string

// converter turns the items of one calendar's events.list responses into
// the calendar model.
type converter struct {
	where   string         // the calendar, for problems
	zone    *time.Location // the calendar's zone (events.list timeZone); nil if unknown
	full    bool
	resolve uidResolver
}

// converted is what a batch of items means for the store.
type converted struct {
	events   []calendar.Event
	deleted  []string
	problems []*calendar.ObjectError
	// uids are the iCalUIDs of the masters and single events seen, by id,
	// for resolving later cancellations.
	uids map[string]string
}

// convert maps a batch of items, as delivered (pages concatenated), to
// events, deleted UIDs and problems. Google may deliver an item twice when
// it changed while the pages were read; the last delivery wins.
//
// Cancelled items mean:
//   - a master or single event: deleted. Its UID is reported in deleted
//     (incremental syncs only: in a full sync absence says it), and any
//     exception of it in the batch is dropped, since the series is gone.
//   - an instance (recurringEventId, or an instance id): an override of that
//     instance with Status cancelled, so that the slot counts as skipped.
func (c *converter) convert(ctx context.Context, items []*gcal.Event) converted {
	out := converted{uids: map[string]string{}}
	byID := map[string]int{}
	var list []*gcal.Event
	for _, it := range items {
		if it == nil || it.Id == "" {
			continue
		}
		if i, ok := byID[it.Id]; ok {
			list[i] = it
			continue
		}
		byID[it.Id] = len(list)
		list = append(list, it)
	}

	// Masters and single events first: their UIDs, zones and durations
	// serve the exceptions.
	type master struct {
		uid       string
		cancelled bool
		event     *calendar.Event // converted; nil if not (yet)
	}
	masters := map[string]*master{}
	for _, it := range list {
		if isException(it) {
			continue
		}
		m := &master{uid: it.ICalUID, cancelled: it.Status == "cancelled"}
		if m.uid != "" && (len(it.Recurrence) > 0 || m.uid != it.Id+"@google.com") {
			// What a later cancellation may need and cannot guess: series
			// (their instances are cancelled one by one) and UIDs that are
			// not Google's default.
			out.uids[it.Id] = m.uid
		}
		masters[it.Id] = m
	}
	resolved := map[string]string{}
	uidOf := func(id, given string) string {
		if given != "" {
			return given
		}
		if m := masters[id]; m != nil && m.uid != "" {
			return m.uid
		}
		uid, ok := resolved[id]
		if !ok {
			uid = c.resolve(ctx, id)
			resolved[id] = uid
		}
		return uid
	}

	live := map[string]bool{}    // UIDs with a live master or single event
	deleted := map[string]bool{} // UIDs of cancelled masters and single events
	var events []calendar.Event
	for _, it := range list {
		if isException(it) {
			continue
		}
		m := masters[it.Id]
		if m.cancelled && c.full {
			// A full listing (showDeleted) holds every event ever deleted;
			// absence from the snapshot already says they are gone, so
			// their UIDs are not worth a lookup each.
			continue
		}
		uid := uidOf(it.Id, it.ICalUID)
		if m.cancelled {
			deleted[uid] = true
			continue
		}
		ev, err := c.event(it, uid, nil, true)
		if err != nil {
			out.problems = append(out.problems, c.problem(uid, it.Id, err))
			// Not known to be gone: the store keeps what it has of it.
			continue
		}
		m.event = &ev
		live[uid] = true
		events = append(events, ev)
	}
	for _, it := range list {
		if !isException(it) {
			continue
		}
		masterID, fromID := exceptionOf(it)
		m := masters[masterID]
		if m != nil && m.cancelled {
			continue // the whole series is gone
		}
		uid := uidOf(masterID, it.ICalUID)
		zone := c.zone
		if m != nil && m.event != nil {
			zone = m.event.Start.Location()
		}
		recurrenceID, err := c.originalStart(it.OriginalStartTime, fromID, zone)
		if err != nil {
			out.problems = append(out.problems, c.problem(uid, it.Id, &propError{"originalStartTime", err}))
			continue
		}
		if it.RecurringEventId == "" && m != nil && m.event != nil && !planned(*m.event, recurrenceID) {
			// Sent with its id only, for a slot the series no longer has:
			// an exception Google detached when the series was cut short
			// ("delete this and following"). It is no skipped 1:1.
			continue
		}
		if it.Status == "cancelled" && it.Start == nil {
			// What Google guarantees of a cancelled instance: its id,
			// recurringEventId and originalStartTime. The slot it cancels
			// lasts as long as the series', when the series is known.
			ev := calendar.Event{
				UID: uid, RecurrenceID: recurrenceID,
				Start: recurrenceID, End: recurrenceID,
				Status:       calendar.StatusCancelled,
				Sequence:     int(it.Sequence),
				LastModified: instant(it.Updated),
				Created:      instant(it.Created),
			}
			if m != nil && m.event != nil {
				ev.End, ev.AllDay = recurrenceID.Add(m.event.Duration()), m.event.AllDay
			}
			events = append(events, ev)
			continue
		}
		ev, err := c.event(it, uid, zone, false)
		if err != nil {
			out.problems = append(out.problems, c.problem(uid, it.Id, err))
			continue
		}
		ev.RecurrenceID = recurrenceID
		if it.Status == "cancelled" {
			ev.Status = calendar.StatusCancelled
		}
		events = append(events, ev)
	}

	for uid := range deleted {
		if !live[uid] { // else deleted and re-created under the same iCalUID
			out.deleted = append(out.deleted, uid)
		}
	}
	for _, ev := range events {
		if deleted[ev.UID] && !live[ev.UID] {
			continue
		}
		out.events = append(out.events, ev)
	}
	slices.Sort(out.deleted)
	return out
}

// planned reports whether the master plans a slot starting at t, as the one
// recurrence engine expands it. A master that cannot be expanded is taken
// to plan it: better a cancelled slot too many than a lost one.
func planned(master calendar.Event, t time.Time) bool {
	if !master.IsRecurring() {
		return master.Start.Equal(t)
	}
	s := calendar.Series{UID: master.UID, Master: &master}
	occ, err := s.Expand(t.Add(-time.Second), t.Add(time.Second), calendar.ExpandOptions{IncludeExcluded: true})
	if err != nil {
		return true
	}
	for _, o := range occ {
		if o.PlannedStart.Equal(t) {
			return true
		}
	}
	return false
}

func (c *converter) problem(uid, id string, err error) *calendar.ObjectError {
	obj := uid
	if obj == "" {
		obj = id
	}
	oe := &calendar.ObjectError{Where: c.where, Object: obj, Err: err}
	var pe *propError
	if errors.As(err, &pe) {
		oe.Property, oe.Err = pe.prop, pe.err
	}
	return oe
}

// isException reports whether the item is one instance of a series: an
// exception with recurringEventId, or a cancelled instance that Google sent
// with its id only (as it does for instances beyond a series' new end).
func isException(it *gcal.Event) bool {
	if it.RecurringEventId != "" {
		return true
	}
	return it.Status == "cancelled" && it.Start == nil && instanceID.MatchString(it.Id)
}

// idStart is the original start an instance id encodes: an instant, or a
// day for the instances of all-day series.
type idStart struct {
	t    time.Time
	date bool
}

// exceptionOf returns the master id of an exception and the original start
// its id encodes (zero when the id does not encode one).
func exceptionOf(it *gcal.Event) (string, idStart) {
	masterID := it.RecurringEventId
	var from idStart
	if m := instanceID.FindStringSubmatch(it.Id); m != nil {
		if masterID == "" {
			masterID = m[1]
		}
		if m[1] == masterID {
			if m[3] != "" {
				from.t, _ = time.Parse("20060102T150405Z", m[2]+m[3])
			} else {
				from.t, _ = time.Parse("20060102", m[2])
				from.date = !from.t.IsZero()
			}
		}
	}
	return masterID, from
}

// originalStart is an exception's RecurrenceID: its originalStartTime (see
// when), else the start its id encodes.
func (c *converter) originalStart(o *gcal.EventDateTime, fromID idStart, zone *time.Location) (time.Time, error) {
	if o != nil && (o.DateTime != "" || o.Date != "") {
		t, _, err := c.when(o, zone)
		return t, err
	}
	switch {
	case fromID.t.IsZero():
		return time.Time{}, errors.New("missing")
	case fromID.date:
		y, m, d := fromID.t.Date()
		return time.Date(y, m, d, 0, 0, 0, 0, c.dayZone(zone)), nil
	case zone != nil:
		return fromID.t.In(zone), nil
	}
	return fromID.t, nil
}

// dayZone is where a date is midnight: the calendar's zone, as Google shows
// all-day events, else the series' zone, else UTC.
func (c *converter) dayZone(zone *time.Location) *time.Location {
	switch {
	case c.zone != nil:
		return c.zone
	case zone != nil:
		return zone
	}
	return time.UTC
}

// event maps one confirmed or tentative item (or a cancelled one that kept
// its details). Masters get their recurrence; exceptions never do. zone is
// where a dateTime without timeZone is placed: the series' zone for an
// exception; nil for a master, which decides its own.
func (c *converter) event(it *gcal.Event, uid string, zone *time.Location, master bool) (calendar.Event, error) {
	ev := calendar.Event{
		UID:            uid,
		Summary:        it.Summary,
		HasDescription: strings.TrimSpace(it.Description) != "" || len(it.Attachments) > 0,
		Status:         calendar.ParseStatus(it.Status),
		Sequence:       int(it.Sequence),
		Created:        instant(it.Created),
		LastModified:   instant(it.Updated),
		Type:           eventType(it.EventType),
		Transparent:    it.Transparency == "transparent",
	}
	if ev.UID == "" {
		return ev, errors.New("no iCalUID")
	}
	recurring := master && len(it.Recurrence) > 0
	if recurring {
		// The series' zone: its start.timeZone, else the calendar's (Google
		// requires timeZone on recurring events and fills it from the
		// calendar). A single event without one keeps its written offset.
		zone = c.zone
	}
	if it.Start == nil {
		return ev, &propError{"start", errors.New("missing")}
	}
	start, allDay, err := c.when(it.Start, zone)
	if err != nil {
		return ev, &propError{"start", err}
	}
	ev.Start, ev.AllDay = start, allDay
	switch {
	case it.End != nil && !it.EndTimeUnspecified && (it.End.DateTime != "" || it.End.Date != ""):
		end, _, err := c.when(it.End, start.Location())
		if err != nil {
			return ev, &propError{"end", err}
		}
		ev.End = end
	case allDay:
		ev.End = start.AddDate(0, 0, 1)
	default:
		ev.End = start
	}
	if ev.End.Before(ev.Start) {
		return ev, &propError{"end", fmt.Errorf("%s is before the start", ev.End.Format(time.RFC3339))}
	}
	if it.Organizer != nil {
		ev.Organizer = calendar.CanonicalEmail(it.Organizer.Email)
	}
	for _, a := range it.Attendees {
		if a == nil || strings.TrimSpace(a.Email) == "" {
			continue
		}
		email := calendar.CanonicalEmail(a.Email)
		kind := calendar.KindPerson
		if a.Resource {
			kind = calendar.KindResource
			if strings.HasSuffix(email, roomDomain) {
				kind = calendar.KindRoom
			}
		}
		ev.Attendees = append(ev.Attendees, calendar.Attendee{
			Email:    email,
			Name:     a.DisplayName,
			Kind:     kind,
			Status:   calendar.ParsePartStat(a.ResponseStatus),
			Optional: a.Optional,
		})
	}
	if recurring {
		rec, err := ParseRecurrence(it.Recurrence, ev.Start)
		if err != nil {
			return ev, err
		}
		ev.Recurrence = rec
	}
	return ev, nil
}

// when reads a start, end or originalStartTime: a date (midnight in the
// calendar's zone, as Google shows all-day events), or a dateTime in its
// timeZone, else in zone, else at the fixed offset it is written with.
func (c *converter) when(dt *gcal.EventDateTime, zone *time.Location) (time.Time, bool, error) {
	if dt.DateTime == "" {
		t, err := time.ParseInLocation(time.DateOnly, dt.Date, c.dayZone(zone))
		if err != nil {
			return time.Time{}, false, fmt.Errorf("date %q is not YYYY-MM-DD", clip(dt.Date, 40))
		}
		return t, true, nil
	}
	t, err := time.Parse(time.RFC3339, dt.DateTime)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("dateTime %q is not RFC 3339", clip(dt.DateTime, 40))
	}
	if dt.TimeZone != "" {
		if loc, err := calendar.LookupZone(dt.TimeZone); err == nil {
			return t.In(loc), false, nil
		}
		// An unknown zone name: the instant is still right.
	}
	if zone != nil {
		return t.In(zone), false, nil
	}
	// time.Parse may have chosen time.Local for a matching offset, which
	// would make the result depend on the machine: name no zone.
	_, off := t.Zone()
	if off == 0 {
		return t.UTC(), false, nil
	}
	return t.In(time.FixedZone("", off)), false, nil
}

// instant reads created or updated, leniently: they only order versions.
func instant(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

func eventType(s string) calendar.EventType {
	switch s {
	case "outOfOffice":
		return calendar.TypeOutOfOffice
	case "focusTime":
		return calendar.TypeFocusTime
	case "workingLocation":
		return calendar.TypeWorkingLocation
	case "birthday":
		return calendar.TypeBirthday
	default: // "default", "fromGmail"
		return calendar.TypeDefault
	}
}

// ownerOf finds the calendar's owner among the items: the attendee or
// organizer Google marks as `self`.
func ownerOf(items []*gcal.Event) string {
	for _, it := range items {
		if it == nil {
			continue
		}
		if it.Organizer != nil && it.Organizer.Self && strings.Contains(it.Organizer.Email, "@") {
			return calendar.CanonicalEmail(it.Organizer.Email)
		}
		for _, a := range it.Attendees {
			if a != nil && a.Self && strings.Contains(a.Email, "@") {
				return calendar.CanonicalEmail(a.Email)
			}
		}
	}
	return ""
}

// cleanName makes a name from the calendar safe to show and log.
func cleanName(s string) string { return calendar.CleanText(s, calendar.MaxName) }

// clip bounds a value quoted in an error, cutting at a rune boundary.
func clip(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
