// Package ics reads iCalendar data (RFC 5545) into Rapport's calendar model,
// and is the source for .ics files, directories and subscription URLs.
// The CalDAV source decodes its objects with this package too.
package ics

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"github.com/rapport-dev/rapport/calendar"
)

// Result is what one iCalendar stream decodes to.
type Result struct {
	Events []calendar.Event
	// Problems are objects that could not be read; each was skipped.
	Problems []*calendar.ObjectError
	// Warnings are objects read with a lenient reading, such as an unknown
	// TZID taken as the calendar's default zone.
	Warnings []*calendar.ObjectError
}

// Options shape decoding.
type Options struct {
	// Where names the stream in errors: a file path or URL.
	Where string
	// DefaultZone places floating times; nil means UTC. A calendar's own
	// X-WR-TIMEZONE takes precedence.
	DefaultZone *time.Location
}

// Decode reads every VEVENT of every VCALENDAR in r. Only an unreadable
// stream is an error: a broken object is reported in Result.Problems and the
// rest is decoded, so that one bad event never hides the others.
func Decode(r io.Reader, opt Options) (*Result, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("ics: %s: %w", opt.Where, err)
	}
	return DecodeBytes(data, opt)
}

// DecodeBytes is Decode over a byte slice.
func DecodeBytes(data []byte, opt Options) (*Result, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	res := &Result{}
	cals, err := decodeAll(data)
	if err != nil {
		// The stream as a whole does not parse: read it object by object,
		// so that only the broken ones are lost.
		cals, err = decodeByObject(data, opt, res)
		if err != nil {
			return nil, err
		}
	}
	for _, cal := range cals {
		decodeCalendar(cal, opt, res)
	}
	return res, nil
}

// safeDecode runs go-ical's decoder, turning its panics into errors: it
// panics on some malformed lines (a parameter cut short at the end of a
// line, found by fuzzing), and a hostile calendar must never stop the daemon.
func safeDecode(dec *ical.Decoder) (cal *ical.Calendar, err error) {
	defer func() {
		if r := recover(); r != nil {
			cal, err = nil, fmt.Errorf("malformed iCalendar: %v", r)
		}
	}()
	return dec.Decode()
}

func decodeAll(data []byte) ([]*ical.Component, error) {
	dec := ical.NewDecoder(bytes.NewReader(data))
	var cals []*ical.Component
	for {
		cal, err := safeDecode(dec)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		cals = append(cals, cal.Component)
	}
	if len(cals) == 0 {
		return nil, errors.New("no VCALENDAR")
	}
	return cals, nil
}

// decodeByObject splits the stream at component boundaries and decodes
// each VEVENT (with the calendar's properties and time zones) on its own.
func decodeByObject(data []byte, opt Options, res *Result) ([]*ical.Component, error) {
	cal := ical.NewComponent(ical.CompCalendar)
	var block bytes.Buffer
	var inside string // the top-level component being collected
	depth, startLine, line := 0, 0, 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), len(data)+1)
	sawCalendar := false
	for sc.Scan() {
		line++
		text := sc.Text()
		upper := strings.ToUpper(strings.TrimSpace(text))
		switch {
		case strings.HasPrefix(upper, "BEGIN:"):
			name := strings.TrimPrefix(upper, "BEGIN:")
			if name == ical.CompCalendar && inside == "" {
				sawCalendar = true
				continue
			}
			if depth == 0 {
				inside, startLine = name, line
				block.Reset()
			}
			depth++
		case strings.HasPrefix(upper, "END:") && depth > 0:
			depth--
			block.WriteString(text + "\r\n")
			if depth == 0 {
				comp, err := decodeComponent(block.Bytes())
				switch {
				case err != nil && inside == ical.CompEvent:
					res.Problems = append(res.Problems, &calendar.ObjectError{
						Where:  fmt.Sprintf("%s:%d", opt.Where, startLine),
						Object: uidOf(block.Bytes()), Err: err,
					})
				case err == nil:
					cal.Children = append(cal.Children, comp)
				}
				inside = ""
			}
			continue
		}
		if depth > 0 {
			block.WriteString(text + "\r\n")
		} else if k, v, ok := strings.Cut(text, ":"); ok && strings.EqualFold(k, "X-WR-TIMEZONE") {
			p := ical.NewProp("X-WR-TIMEZONE")
			p.Value = v
			cal.Props.Add(p)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("ics: %s: %w", opt.Where, err)
	}
	if !sawCalendar {
		return nil, fmt.Errorf("ics: %s: not an iCalendar stream (no BEGIN:VCALENDAR)", opt.Where)
	}
	return []*ical.Component{cal}, nil
}

func decodeComponent(block []byte) (*ical.Component, error) {
	wrapped := append([]byte("BEGIN:VCALENDAR\r\n"), block...)
	wrapped = append(wrapped, "END:VCALENDAR\r\n"...)
	cal, err := safeDecode(ical.NewDecoder(bytes.NewReader(wrapped)))
	if err != nil {
		return nil, err
	}
	if len(cal.Children) != 1 {
		return nil, errors.New("malformed component")
	}
	return cal.Children[0], nil
}

// uidOf finds the UID line of a raw component, for error messages.
func uidOf(block []byte) string {
	for _, l := range strings.Split(string(block), "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(l), ":"); ok && strings.EqualFold(k, "UID") {
			return clip(v, 200)
		}
	}
	return ""
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// decodeCalendar decodes the VEVENTs of one VCALENDAR.
func decodeCalendar(cal *ical.Component, opt Options, res *Result) {
	z := newZones(cal, opt.DefaultZone)
	if p := cal.Props.Get("X-WR-TIMEZONE"); p != nil {
		if loc, err := calendar.LookupZone(p.Value); err == nil {
			// Google exports write UTC and floating times and recur them in
			// the calendar's zone.
			z.def, z.wr = loc, true
		} else {
			res.Warnings = append(res.Warnings, &calendar.ObjectError{Where: opt.Where, Property: "X-WR-TIMEZONE", Err: err})
		}
	}
	for _, c := range cal.Children {
		if c.Name != ical.CompEvent {
			continue
		}
		d := eventDecoder{zones: z}
		ev, err := d.decode(c)
		for _, w := range d.warnings {
			res.Warnings = append(res.Warnings, &calendar.ObjectError{Where: opt.Where, Object: ev.UID, Property: w.prop, Err: w.err})
		}
		if err != nil {
			var pe *propError
			oe := &calendar.ObjectError{Where: opt.Where, Object: ev.UID, Err: err}
			if errors.As(err, &pe) {
				oe.Property, oe.Err = pe.prop, pe.err
			}
			res.Problems = append(res.Problems, oe)
			continue
		}
		res.Events = append(res.Events, ev)
	}
}

type propError struct {
	prop string
	err  error
}

func (e *propError) Error() string { return e.prop + ": " + e.err.Error() }
func (e *propError) Unwrap() error { return e.err }

type eventDecoder struct {
	zones    *zones
	warnings []propError
}

func (d *eventDecoder) decode(c *ical.Component) (calendar.Event, error) {
	var ev calendar.Event
	ev.UID = text(c, ical.PropUID)
	if ev.UID == "" {
		// Some exporters omit UID. A stable synthetic one keeps the event's
		// identity across polls as long as it does not change.
		sum := sha256.Sum256([]byte(text(c, ical.PropDateTimeStart) + "\x00" + text(c, ical.PropSummary)))
		ev.UID = "rapport-no-uid-" + hex.EncodeToString(sum[:8])
	}
	start, err := d.time(c.Props.Get(ical.PropDateTimeStart))
	if err != nil {
		return ev, &propError{"DTSTART", err}
	}
	ev.Start, ev.AllDay, ev.Floating = start.t, start.date, start.floating

	switch {
	case c.Props.Get(ical.PropDateTimeEnd) != nil:
		end, err := d.time(c.Props.Get(ical.PropDateTimeEnd))
		if err != nil {
			return ev, &propError{"DTEND", err}
		}
		ev.End = end.t
	case c.Props.Get(ical.PropDuration) != nil:
		dur, err := ParseDuration(c.Props.Get(ical.PropDuration).Value)
		if err != nil {
			return ev, &propError{"DURATION", err}
		}
		ev.End = dur.AddTo(ev.Start)
	case ev.AllDay:
		ev.End = ev.Start.AddDate(0, 0, 1) // RFC 5545 §3.6.1: a DATE DTSTART lasts one day
	default:
		ev.End = ev.Start
	}
	if ev.End.Before(ev.Start) {
		// Producers that swap them mean the span between the two.
		ev.Start, ev.End = ev.End.In(ev.Start.Location()), ev.Start.In(ev.End.Location())
	}

	if p := c.Props.Get(ical.PropRecurrenceID); p != nil {
		rid, err := d.time(p)
		if err != nil {
			return ev, &propError{"RECURRENCE-ID", err}
		}
		ev.RecurrenceID = rid.t
		ev.ThisAndFuture = strings.EqualFold(p.Params.Get("RANGE"), "THISANDFUTURE")
	}

	ev.Summary = text(c, ical.PropSummary)
	ev.HasDescription = strings.TrimSpace(text(c, ical.PropDescription)) != "" ||
		c.Props.Get(ical.PropAttach) != nil || c.Props.Get("X-ALT-DESC") != nil
	ev.Status = calendar.ParseStatus(text(c, ical.PropStatus))
	if p := c.Props.Get(ical.PropSequence); p != nil {
		n, err := strconv.Atoi(strings.TrimSpace(p.Value))
		if err != nil {
			d.warn("SEQUENCE", err)
		}
		ev.Sequence = n
	}
	ev.Created = d.instant(c, ical.PropCreated)
	ev.LastModified = d.instant(c, ical.PropLastModified)
	if ev.LastModified.IsZero() {
		ev.LastModified = d.instant(c, ical.PropDateTimeStamp)
	}
	ev.Transparent = strings.EqualFold(text(c, ical.PropTransparency), "TRANSPARENT")
	for _, name := range []string{"X-MICROSOFT-CDO-BUSYSTATUS", "X-MICROSOFT-CDO-INTENDEDSTATUS"} {
		if strings.EqualFold(text(c, name), "OOF") {
			ev.Type = calendar.TypeOutOfOffice
		}
	}
	if p := c.Props.Get(ical.PropOrganizer); p != nil {
		ev.Organizer = calendar.CanonicalEmail(p.Value)
	}
	for _, p := range c.Props.Values(ical.PropAttendee) {
		role := strings.ToUpper(p.Params.Get(ical.ParamRole))
		ev.Attendees = append(ev.Attendees, calendar.Attendee{
			Email:    calendar.CanonicalEmail(p.Value),
			Name:     p.Params.Get(ical.ParamCommonName),
			Kind:     calendar.ParseKind(p.Params.Get(ical.ParamCalendarUserType)),
			Status:   calendar.ParsePartStat(p.Params.Get(ical.ParamParticipationStatus)),
			Optional: role == "OPT-PARTICIPANT" || role == "NON-PARTICIPANT",
		})
	}
	if !ev.IsOverride() {
		rec, err := d.recurrence(c, ev.Start)
		if err != nil {
			return ev, err
		}
		ev.Recurrence = rec
	}
	return ev, nil
}

func (d *eventDecoder) warn(prop string, err error) {
	d.warnings = append(d.warnings, propError{prop, err})
}

// recurrence reads RRULE, RDATE and EXDATE. Rules are checked here so that a
// malformed one is reported where it is, once, rather than at every
// expansion.
func (d *eventDecoder) recurrence(c *ical.Component, start time.Time) (*calendar.Recurrence, error) {
	rec := &calendar.Recurrence{}
	seen := map[string]bool{}
	for _, p := range c.Props.Values(ical.PropRecurrenceRule) {
		if strings.TrimSpace(p.Value) == "" {
			// calendarlabs.com writes "RRULE:" on events that do not
			// recur. An empty rule says nothing, so it is not a broken one.
			d.warn("RRULE", errors.New("empty value ignored"))
			continue
		}
		if seen[p.Value] {
			continue // the same rule twice is one rule
		}
		seen[p.Value] = true
		if _, err := calendar.ParseRule(p.Value, start); err != nil {
			return nil, &propError{"RRULE", err}
		}
		rec.Rules = append(rec.Rules, p.Value)
	}
	for _, p := range c.Props.Values(ical.PropRecurrenceDates) {
		periods, err := d.list(&p, true)
		if err != nil {
			return nil, &propError{"RDATE", err}
		}
		for _, r := range periods {
			rec.RDates = append(rec.RDates, r.Period)
		}
	}
	for _, p := range c.Props.Values(ical.PropExceptionDates) {
		periods, err := d.list(&p, false)
		if err != nil {
			return nil, &propError{"EXDATE", err}
		}
		for _, x := range periods {
			if x.date {
				rec.ExDateDates = append(rec.ExDateDates, x.Start)
			} else {
				rec.ExDates = append(rec.ExDates, x.Start)
			}
		}
	}
	if len(rec.Rules) == 0 && len(rec.RDates) == 0 && len(rec.ExDates) == 0 && len(rec.ExDateDates) == 0 {
		return nil, nil
	}
	return rec, nil
}

type listValue struct {
	calendar.Period
	date bool
}

// list reads a multi-valued RDATE or EXDATE, with VALUE=DATE, DATE-TIME or
// (RDATE only) PERIOD.
func (d *eventDecoder) list(p *ical.Prop, periods bool) ([]listValue, error) {
	var out []listValue
	for _, v := range strings.Split(p.Value, ",") {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		one := *p
		one.Value = v
		if s, e, ok := strings.Cut(v, "/"); ok && periods {
			one.Value = s
			one.Params = cloneParams(p.Params)
			one.Params.Del(ical.ParamValue)
			st, err := d.time(&one)
			if err != nil {
				return nil, err
			}
			var end time.Time
			if strings.HasPrefix(e, "P") || strings.HasPrefix(e, "+P") {
				dur, err := ParseDuration(e)
				if err != nil {
					return nil, err
				}
				end = dur.AddTo(st.t)
			} else {
				one.Value = e
				et, err := d.time(&one)
				if err != nil {
					return nil, err
				}
				end = et.t
			}
			out = append(out, listValue{calendar.Period{Start: st.t, End: end}, false})
			continue
		}
		t, err := d.time(&one)
		if err != nil {
			return nil, err
		}
		out = append(out, listValue{calendar.Period{Start: t.t}, t.date})
	}
	return out, nil
}

func cloneParams(p ical.Params) ical.Params {
	out := make(ical.Params, len(p))
	for k, v := range p {
		out[k] = v
	}
	return out
}

func text(c *ical.Component, name string) string {
	p := c.Props.Get(name)
	if p == nil {
		return ""
	}
	if s, err := p.Text(); err == nil {
		return s
	}
	return p.Value
}

// instant reads a UTC timestamp property such as LAST-MODIFIED, leniently:
// a missing or unreadable one is zero, as it only orders versions.
func (d *eventDecoder) instant(c *ical.Component, name string) time.Time {
	p := c.Props.Get(name)
	if p == nil {
		return time.Time{}
	}
	t, err := d.time(p)
	if err != nil {
		d.warn(name, err)
		return time.Time{}
	}
	return t.t.UTC()
}

type timeValue struct {
	t        time.Time
	date     bool
	floating bool
}

// time reads a DATE or DATE-TIME value in its zone: TZID, UTC, or floating
// in the calendar's default zone. With X-WR-TIMEZONE, UTC and floating
// DTSTARTs are moved into that zone so that they recur in it.
func (d *eventDecoder) time(p *ical.Prop) (timeValue, error) {
	if p == nil {
		return timeValue{}, errors.New("missing")
	}
	v := strings.TrimSpace(p.Value)
	if len(v) == 9 && (v[8] == 'Z' || v[8] == 'z') && !strings.ContainsAny(v, "Tt") {
		// Google's birthday calendars write "RDATE:20131210Z": a DATE with
		// a stray UTC designator, which has no meaning on a whole day.
		d.warn(p.Name, fmt.Errorf("%q read as the DATE %s", v, v[:8]))
		v = v[:8]
	}
	isDate := strings.EqualFold(p.Params.Get(ical.ParamValue), "DATE") || len(v) == 8
	if isDate {
		t, err := time.ParseInLocation("20060102", v, d.zones.def)
		if err != nil {
			return timeValue{}, fmt.Errorf("%q is not a DATE", clip(v, 40))
		}
		return timeValue{t: t, date: true}, nil
	}
	if strings.HasSuffix(v, "Z") || strings.HasSuffix(v, "z") {
		t, err := time.Parse("20060102T150405", v[:len(v)-1])
		if err != nil {
			return timeValue{}, fmt.Errorf("%q is not a DATE-TIME", clip(v, 40))
		}
		if d.zones.wr {
			t = t.In(d.zones.def)
		}
		return timeValue{t: t}, nil
	}
	loc, floating := d.zones.def, true
	if tzid := p.Params.Get(ical.ParamTimezoneID); tzid != "" {
		l, err := d.zones.resolve(tzid)
		if err != nil {
			d.warn(p.Name, fmt.Errorf("%w; using %s", err, d.zones.def))
		} else {
			loc, floating = l, false
		}
	}
	t, err := time.ParseInLocation("20060102T150405", v, loc)
	if err != nil {
		return timeValue{}, fmt.Errorf("%q is not a DATE-TIME", clip(v, 40))
	}
	return timeValue{t: t, floating: floating}, nil
}
