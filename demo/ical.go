package demo

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// vevent is one VEVENT as it stands at some instant: a series master, an
// override of one instance (RecurrenceID set), or a single event.
type vevent struct {
	UID          string
	RecurrenceID time.Time
	Summary      string
	Description  string // empty: no agenda
	Location     string
	Start, End   time.Time // in the event's zone; all-day events at local midnight
	AllDay       bool
	// TZID is the zone name written for Start and End, when it is not the
	// name of their location (a Windows name, say).
	TZID        string
	RRule       string    // without UNTIL
	Until       time.Time // the series ends with the slot starting then
	ExDates     []time.Time
	Status      string // CONFIRMED, CANCELLED; empty writes none
	Organizer   *attendee
	Attendees   []attendee
	Transparent bool
	BusyStatus  string // X-MICROSOFT-CDO-BUSYSTATUS (Outlook), e.g. OOF
	Created     time.Time
	Modified    time.Time
	Sequence    int
}

// attendee is an ORGANIZER or ATTENDEE.
type attendee struct {
	Email    string
	Name     string
	CUType   string // ROOM for rooms; empty for people
	Role     string // REQ-PARTICIPANT, NON-PARTICIPANT, ...
	PartStat string // ACCEPTED, DECLINED, ...
}

func (v vevent) clone() vevent {
	v.ExDates = slices.Clone(v.ExDates)
	v.Attendees = slices.Clone(v.Attendees)
	if v.Organizer != nil {
		o := *v.Organizer
		v.Organizer = &o
	}
	return v
}

// tzid is the zone name the event's times are written in; empty for UTC
// and for all-day events.
func (v *vevent) tzid() string {
	switch {
	case v.AllDay:
		return ""
	case v.TZID != "":
		return v.TZID
	case v.Start.Location() == time.UTC:
		return ""
	}
	return v.Start.Location().String()
}

// writer writes iCalendar content lines (RFC 5545 §3.1): CRLF endings,
// lines folded at 75 octets without splitting a UTF-8 sequence.
type writer struct{ b bytes.Buffer }

const maxLine = 75

// line writes one content line, folding it.
func (w *writer) line(name string, params []string, value string) {
	var l strings.Builder
	l.WriteString(name)
	for _, p := range params {
		l.WriteString(";" + p)
	}
	l.WriteString(":" + value)
	w.b.WriteString(fold(l.String()))
}

// fold splits a content line into physical lines of at most 75 octets,
// continuation lines starting with a space, each ended by CRLF.
func fold(s string) string {
	var out strings.Builder
	limit := maxLine
	for len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		out.WriteString(s[:cut] + "\r\n ")
		s = s[cut:]
		limit = maxLine - 1 // the leading space counts
	}
	out.WriteString(s + "\r\n")
	return out.String()
}

// escapeText escapes a TEXT value (RFC 5545 §3.3.11).
func escapeText(s string) string {
	return strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\r\n", `\n`, "\n", `\n`, "\r", `\n`).Replace(s)
}

// param writes a parameter, quoting a value that holds ":", ";" or ","
// (RFC 5545 §3.2); a value cannot hold a double quote at all.
func param(name, value string) string {
	value = strings.ReplaceAll(value, `"`, "'")
	if strings.ContainsAny(value, ":;,") {
		value = `"` + value + `"`
	}
	return name + "=" + value
}

const (
	dateTimeFormat = "20060102T150405"
	dateFormat     = "20060102"
)

func utcStamp(t time.Time) string { return t.UTC().Format(dateTimeFormat) + "Z" }

// timeLine writes DTSTART, DTEND or RECURRENCE-ID in the event's form.
func (w *writer) timeLine(name string, v *vevent, t time.Time) {
	switch tz := v.tzid(); {
	case v.AllDay:
		w.line(name, []string{"VALUE=DATE"}, t.Format(dateFormat))
	case tz == "":
		w.line(name, nil, utcStamp(t))
	default:
		w.line(name, []string{param("TZID", tz)}, t.Format(dateTimeFormat))
	}
}

func (w *writer) person(name string, a attendee) {
	var ps []string
	if a.CUType != "" {
		ps = append(ps, "CUTYPE="+a.CUType)
	}
	if a.Role != "" {
		ps = append(ps, "ROLE="+a.Role)
	}
	if a.PartStat != "" {
		ps = append(ps, "PARTSTAT="+a.PartStat)
	}
	if a.Name != "" {
		ps = append(ps, param("CN", a.Name))
	}
	w.line(name, ps, "mailto:"+a.Email)
}

// event writes one VEVENT.
func (w *writer) event(v *vevent) {
	w.line("BEGIN", nil, "VEVENT")
	w.line("UID", nil, v.UID)
	w.line("DTSTAMP", nil, utcStamp(v.Modified))
	w.line("CREATED", nil, utcStamp(v.Created))
	w.line("LAST-MODIFIED", nil, utcStamp(v.Modified))
	w.line("SEQUENCE", nil, fmt.Sprint(v.Sequence))
	if !v.RecurrenceID.IsZero() {
		w.timeLine("RECURRENCE-ID", v, v.RecurrenceID)
	}
	w.timeLine("DTSTART", v, v.Start)
	w.timeLine("DTEND", v, v.End)
	if v.RRule != "" {
		rule := v.RRule
		if !v.Until.IsZero() {
			rule += ";UNTIL=" + utcStamp(v.Until)
		}
		w.line("RRULE", nil, rule)
	}
	if len(v.ExDates) > 0 {
		ds := make([]string, len(v.ExDates))
		for i, d := range v.ExDates {
			ds[i] = d.Format(dateTimeFormat)
		}
		w.line("EXDATE", []string{param("TZID", v.tzid())}, strings.Join(ds, ","))
	}
	w.line("SUMMARY", nil, escapeText(v.Summary))
	if v.Description != "" {
		w.line("DESCRIPTION", nil, escapeText(v.Description))
	}
	if v.Location != "" {
		w.line("LOCATION", nil, escapeText(v.Location))
	}
	if v.Status != "" {
		w.line("STATUS", nil, v.Status)
	}
	if v.Transparent {
		w.line("TRANSP", nil, "TRANSPARENT")
	} else {
		w.line("TRANSP", nil, "OPAQUE")
	}
	if v.BusyStatus != "" {
		w.line("X-MICROSOFT-CDO-BUSYSTATUS", nil, v.BusyStatus)
	}
	if v.Organizer != nil {
		w.person("ORGANIZER", attendee{Email: v.Organizer.Email, Name: v.Organizer.Name})
	}
	for _, a := range v.Attendees {
		w.person("ATTENDEE", a)
	}
	w.line("END", nil, "VEVENT")
}

// calendarText writes a whole VCALENDAR: the owner's name and zone, a
// VTIMEZONE for every zone the events name, then the events.
func calendarText(name, zone string, events []vevent) []byte {
	var w writer
	w.line("BEGIN", nil, "VCALENDAR")
	w.line("VERSION", nil, "2.0")
	w.line("PRODID", nil, "-//Rapport//Demo organisation//EN")
	w.line("CALSCALE", nil, "GREGORIAN")
	w.line("X-WR-CALNAME", nil, escapeText(name))
	w.line("X-WR-TIMEZONE", nil, zone)
	var zones []string
	for i := range events {
		if tz := events[i].tzid(); tz != "" && !slices.Contains(zones, tz) {
			zones = append(zones, tz)
		}
	}
	slices.Sort(zones)
	for _, tz := range zones {
		def, ok := vtimezones[tz]
		if !ok {
			panic("demo: no VTIMEZONE for " + tz)
		}
		for _, l := range strings.Split(strings.TrimSpace(def), "\n") {
			w.b.WriteString(fold(strings.TrimSpace(l)))
		}
	}
	for i := range events {
		w.event(&events[i])
	}
	w.line("END", nil, "VCALENDAR")
	return w.b.Bytes()
}

// vtimezones define the zones the demo uses, as calendar programs write
// them (the Windows one as Outlook does), so that the files stand alone.
var vtimezones = map[string]string{
	"Europe/Berlin": `
BEGIN:VTIMEZONE
TZID:Europe/Berlin
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE`,
	"W. Europe Standard Time": `
BEGIN:VTIMEZONE
TZID:W. Europe Standard Time
BEGIN:STANDARD
DTSTART:16010101T030000
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010101T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3
END:DAYLIGHT
END:VTIMEZONE`,
	"America/New_York": `
BEGIN:VTIMEZONE
TZID:America/New_York
BEGIN:DAYLIGHT
TZOFFSETFROM:-0500
TZOFFSETTO:-0400
TZNAME:EDT
DTSTART:19700308T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:-0400
TZOFFSETTO:-0500
TZNAME:EST
DTSTART:19701101T020000
RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU
END:STANDARD
END:VTIMEZONE`,
	"Australia/Sydney": `
BEGIN:VTIMEZONE
TZID:Australia/Sydney
BEGIN:STANDARD
TZOFFSETFROM:+1100
TZOFFSETTO:+1000
TZNAME:AEST
DTSTART:19700405T030000
RRULE:FREQ=YEARLY;BYMONTH=4;BYDAY=1SU
END:STANDARD
BEGIN:DAYLIGHT
TZOFFSETFROM:+1000
TZOFFSETTO:+1100
TZNAME:AEDT
DTSTART:19701004T020000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=1SU
END:DAYLIGHT
END:VTIMEZONE`,
	"Asia/Kolkata": `
BEGIN:VTIMEZONE
TZID:Asia/Kolkata
BEGIN:STANDARD
TZOFFSETFROM:+0530
TZOFFSETTO:+0530
TZNAME:IST
DTSTART:19700101T000000
END:STANDARD
END:VTIMEZONE`,
}
