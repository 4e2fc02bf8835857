package store

import (
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"sync"
	"time"

	"github.com/rapport-dev/rapport/calendar"
)

// The JSON an event is stored as. It has its own types, not the model's, so
// that renaming a model field does not silently change the stored format.

// stamp is a time.Time with its zone: the instant in RFC 3339 with its
// offset, and the zone's name. A zone that cannot be found again by that name
// has K set: the key of its TZif data in the zones table, or keyFixed when
// only its offset is known.
type stamp struct {
	T string `json:"t"`
	Z string `json:"z,omitempty"`
	K string `json:"k,omitempty"`
}

const keyFixed = "fixed"

type eventJSON struct {
	UID            string             `json:"uid"`
	RecurrenceID   stamp              `json:"recurrence_id,omitzero"`
	ThisAndFuture  bool               `json:"this_and_future,omitempty"`
	Summary        string             `json:"summary,omitempty"`
	HasDescription bool               `json:"has_description,omitempty"`
	Start          stamp              `json:"start,omitzero"`
	End            stamp              `json:"end,omitzero"`
	AllDay         bool               `json:"all_day,omitempty"`
	Floating       bool               `json:"floating,omitempty"`
	Status         calendar.Status    `json:"status,omitempty"`
	Sequence       int                `json:"sequence,omitempty"`
	Created        stamp              `json:"created,omitzero"`
	LastModified   stamp              `json:"last_modified,omitzero"`
	Organizer      string             `json:"organizer,omitempty"`
	Attendees      []attendeeJSON     `json:"attendees,omitempty"`
	Type           calendar.EventType `json:"type,omitempty"`
	Transparent    bool               `json:"transparent,omitempty"`
	Recurrence     *recurrenceJSON    `json:"recurrence,omitempty"`
}

type attendeeJSON struct {
	Email    string                `json:"email"`
	Name     string                `json:"name,omitempty"`
	Kind     calendar.AttendeeKind `json:"kind,omitempty"`
	Status   calendar.PartStat     `json:"status,omitempty"`
	Optional bool                  `json:"optional,omitempty"`
}

type recurrenceJSON struct {
	Rules       []string     `json:"rules,omitempty"`
	RDates      []periodJSON `json:"rdates,omitempty"`
	ExDates     []stamp      `json:"exdates,omitempty"`
	ExDateDates []stamp      `json:"exdate_dates,omitempty"`
}

type periodJSON struct {
	Start stamp `json:"start"`
	End   stamp `json:"end,omitzero"`
}

// zoneRow is a zone to keep in the zones table.
type zoneRow struct {
	name string
	tzif []byte
}

// zones resolves zone names and remembers the answers; it is shared by all
// of a Store's reads and writes.
type zones struct {
	logger *slog.Logger

	mu     sync.Mutex
	byName map[string]*time.Location // nil: LookupZone does not know it
	byKey  map[string]*time.Location // zones table entries, decoded
	custom map[*time.Location]customZone
	fixed  map[fixedZone]*time.Location
	warned map[string]bool
}

type customZone struct {
	key string // "" when the zone cannot be serialised
	row zoneRow
}

type fixedZone struct {
	name   string
	offset int
}

func newZones(logger *slog.Logger) *zones {
	return &zones{
		logger: logger,
		byName: map[string]*time.Location{},
		byKey:  map[string]*time.Location{},
		custom: map[*time.Location]customZone{},
		fixed:  map[fixedZone]*time.Location{},
		warned: map[string]bool{},
	}
}

// lookup is calendar.LookupZone, remembered. Call with z.mu held.
func (z *zones) lookup(name string) *time.Location {
	if loc, ok := z.byName[name]; ok {
		return loc
	}
	var loc *time.Location
	switch name {
	case "UTC":
		loc = time.UTC
	default:
		if l, err := calendar.LookupZone(name); err == nil {
			loc = l
		}
	}
	z.byName[name] = loc
	return loc
}

func (z *zones) fixedZone(name string, offset int) *time.Location {
	k := fixedZone{name, offset}
	loc, ok := z.fixed[k]
	if !ok {
		loc = time.FixedZone(name, offset)
		z.fixed[k] = loc
	}
	return loc
}

// encoder turns events into their stored JSON and collects the zones that
// must be stored with them.
type encoder struct {
	z     *zones
	zones map[string]zoneRow // by key
}

func (z *zones) encoder() *encoder { return &encoder{z: z, zones: map[string]zoneRow{}} }

func (e *encoder) stamp(t time.Time) stamp {
	if t.IsZero() {
		return stamp{}
	}
	loc := t.Location()
	s := stamp{T: t.Format(time.RFC3339Nano), Z: loc.String()}
	if loc == time.UTC || s.Z == "" {
		return s // UTC, or an unnamed fixed offset: "t" says it all
	}
	_, offset := t.Zone()
	z := e.z
	z.mu.Lock()
	defer z.mu.Unlock()
	if l := z.lookup(s.Z); l != nil {
		if _, o := t.In(l).Zone(); o == offset {
			return s
		}
	}
	// LookupZone does not know the zone by this name (or knows another
	// zone by it): keep the zone's own rules if it can give them.
	c, ok := z.custom[loc]
	if !ok {
		if tzif, ok := calendar.ZoneData(loc); ok {
			sum := sha256.Sum256(tzif)
			c = customZone{key: s.Z + "@" + hex.EncodeToString(sum[:8]), row: zoneRow{s.Z, tzif}}
			z.byKey[c.key] = loc
		}
		z.custom[loc] = c
	}
	if c.key == "" {
		s.K = keyFixed
		return s
	}
	e.zones[c.key] = c.row
	s.K = c.key
	return s
}

func (e *encoder) event(ev *calendar.Event) eventJSON {
	j := eventJSON{
		UID:            ev.UID,
		RecurrenceID:   e.stamp(ev.RecurrenceID),
		ThisAndFuture:  ev.ThisAndFuture,
		Summary:        ev.Summary,
		HasDescription: ev.HasDescription,
		Start:          e.stamp(ev.Start),
		End:            e.stamp(ev.End),
		AllDay:         ev.AllDay,
		Floating:       ev.Floating,
		Status:         ev.Status,
		Sequence:       ev.Sequence,
		Created:        e.stamp(ev.Created),
		LastModified:   e.stamp(ev.LastModified),
		Organizer:      ev.Organizer,
		Type:           ev.Type,
		Transparent:    ev.Transparent,
	}
	for _, a := range ev.Attendees {
		j.Attendees = append(j.Attendees, attendeeJSON(a))
	}
	if r := ev.Recurrence; r != nil {
		rj := &recurrenceJSON{Rules: r.Rules}
		for _, p := range r.RDates {
			rj.RDates = append(rj.RDates, periodJSON{e.stamp(p.Start), e.stamp(p.End)})
		}
		for _, t := range r.ExDates {
			rj.ExDates = append(rj.ExDates, e.stamp(t))
		}
		for _, t := range r.ExDateDates {
			rj.ExDateDates = append(rj.ExDateDates, e.stamp(t))
		}
		j.Recurrence = rj
	}
	return j
}

// time decodes a stamp. Zones resolve, in order: by the stored TZif data
// when the stamp has a key (LookupZone did not know the zone when it was
// written, so the stored rules are the event's own), by name through
// calendar.LookupZone, and finally as the fixed offset in "t", with a
// warning, because later instances of a series may then be an hour off.
func (z *zones) time(s stamp) (time.Time, error) {
	if s.T == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s.T)
	if err != nil {
		return time.Time{}, err
	}
	_, offset := t.Zone()
	z.mu.Lock()
	defer z.mu.Unlock()
	var loc *time.Location
	switch {
	case s.Z == "":
		if offset == 0 {
			return t.UTC(), nil
		}
	case s.K == keyFixed:
	case s.K != "":
		loc = z.byKey[s.K]
		if loc == nil {
			loc = z.lookup(s.Z)
		}
	default:
		loc = z.lookup(s.Z)
	}
	if loc == nil {
		if s.Z != "" && s.K != keyFixed && !z.warned[s.Z] {
			z.warned[s.Z] = true
			z.logger.Warn("store: unknown time zone, using its fixed offset", "zone", s.Z, "key", s.K)
		}
		loc = z.fixedZone(s.Z, offset)
	}
	return t.In(loc), nil
}

// decoder decodes stored event JSON, keeping the first error.
type decoder struct {
	z   *zones
	err error
}

func (d *decoder) time(s stamp) time.Time {
	t, err := d.z.time(s)
	if err != nil && d.err == nil {
		d.err = err
	}
	return t
}

func (d *decoder) event(j *eventJSON) calendar.Event {
	ev := calendar.Event{
		UID:            j.UID,
		RecurrenceID:   d.time(j.RecurrenceID),
		ThisAndFuture:  j.ThisAndFuture,
		Summary:        j.Summary,
		HasDescription: j.HasDescription,
		Start:          d.time(j.Start),
		End:            d.time(j.End),
		AllDay:         j.AllDay,
		Floating:       j.Floating,
		Status:         j.Status,
		Sequence:       j.Sequence,
		Created:        d.time(j.Created),
		LastModified:   d.time(j.LastModified),
		Organizer:      j.Organizer,
		Attendees:      attendees(j.Attendees),
		Type:           j.Type,
		Transparent:    j.Transparent,
	}
	if rj := j.Recurrence; rj != nil {
		r := &calendar.Recurrence{Rules: rj.Rules}
		for _, p := range rj.RDates {
			r.RDates = append(r.RDates, calendar.Period{Start: d.time(p.Start), End: d.time(p.End)})
		}
		for _, s := range rj.ExDates {
			r.ExDates = append(r.ExDates, d.time(s))
		}
		for _, s := range rj.ExDateDates {
			r.ExDateDates = append(r.ExDateDates, d.time(s))
		}
		ev.Recurrence = r
	}
	return ev
}

func attendees(js []attendeeJSON) []calendar.Attendee {
	if js == nil {
		return nil
	}
	out := make([]calendar.Attendee, len(js))
	for i, a := range js {
		out[i] = calendar.Attendee(a)
	}
	return out
}
