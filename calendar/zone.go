package calendar

import (
	_ "embed"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	_ "time/tzdata" // IANA zones must resolve in a static binary without system tzdata.
	"unicode/utf8"

	"github.com/teambition/rrule-go"
)

// ErrUnknownZone is wrapped by the errors of LookupZone and ResolveZone for
// a TZID that names no zone they know. Callers can then fall back to the
// calendar's own VTIMEZONE definition (ZoneFromObservances).
var ErrUnknownZone = errors.New("unknown time zone")

// LookupZone resolves a TZID as real calendars write it, trying in turn:
//   - "UTC", "GMT", "Z" and IANA names ("Europe/Berlin", "Etc/GMT+5"), also
//     with spaces for underscores or in the wrong case ("Europe/lisbon");
//   - Windows zone IDs ("W. Europe Standard Time", any case), mapped to IANA
//     by CLDR's windowsZones table (see windowszones.NOTICE);
//   - "globally unique" prefixed TZIDs ("/mozilla.org/20070129_1/Europe/Berlin",
//     "/freeassociation.sourceforge.net/Tzfile/Europe/London", "posix/Europe/Vaduz"),
//     by their longest path suffix that is a zone name;
//   - Outlook display names ("(UTC+01:00) Amsterdam, Berlin, Bern, Rome,
//     Stockholm, Vienna"), by the first place that names a zone whose UTC
//     offset matches the one displayed.
//
// Surrounding spaces and quotes and a stray trailing colon are ignored.
// Anything else is an error wrapping ErrUnknownZone. Results are cached,
// because every event of every poll asks.
func LookupZone(tzid string) (*time.Location, error) {
	if r, ok := zoneCache.Load(tzid); ok {
		r := r.(zoneResult)
		return r.loc, r.err
	}
	loc := lookupZone(tzid)
	var err error
	if loc == nil {
		err = fmt.Errorf("calendar: %w %q", ErrUnknownZone, zoneClip(tzid))
	}
	// Bounded, so that a hostile feed inventing TZIDs cannot grow it forever;
	// past the bound lookups still work, only uncached.
	if zoneCached.Load() < zoneCacheMax {
		if _, loaded := zoneCache.LoadOrStore(tzid, zoneResult{loc, err}); !loaded {
			zoneCached.Add(1)
		}
	}
	return loc, err
}

// ResolveZone resolves a TZID referenced by an event against the VTIMEZONE
// definitions its calendar ships: define returns the zone a definition
// with that exact TZID describes, or nil. It is asked only when the name is
// unknown, so a calendar's definitions need be built only when used.
//
// Names LookupZone knows win over the shipped definitions. Outlook and
// Exchange ship, under Windows names, VTIMEZONEs holding only the current
// rules (DTSTART 1601, one STANDARD and one DAYLIGHT); other producers ship
// tzurl/vzic snapshots that stop at the year they were made. The IANA zone
// agrees with them today and is right for the past and for later rule
// changes, so an event series keeps the offsets its attendees really had.
// Names LookupZone does not know (custom zones, display names it cannot map)
// can only be resolved by their definition.
func ResolveZone(tzid string, define func(tzid string) *time.Location) (*time.Location, error) {
	loc, err := LookupZone(tzid)
	if err == nil || define == nil {
		return loc, err
	}
	if l := define(tzid); l != nil {
		return l, nil
	}
	// A reference may be quoted or carry a stray colon that the
	// definition's TZID lacks.
	if c := zoneClean(tzid); c != tzid {
		if l := define(c); l != nil {
			return l, nil
		}
	}
	return nil, err
}

const zoneCacheMax = 4096

var (
	zoneCache  sync.Map // raw TZID → zoneResult
	zoneCached atomic.Int64
)

type zoneResult struct {
	loc *time.Location
	err error
}

func lookupZone(tzid string) *time.Location {
	name := zoneClean(tzid)
	if name == "" || len(name) > 256 {
		return nil
	}
	switch strings.ToUpper(name) {
	case "Z", "UTC":
		return time.UTC
	}
	if loc := zoneByName(name); loc != nil {
		return loc
	}
	if strings.HasPrefix(name, "(") {
		return zoneFromDisplayName(name)
	}
	// Prefixed TZIDs: drop leading path segments until a zone name remains.
	segs := strings.FieldsFunc(name, func(r rune) bool { return r == '/' })
	for i := range segs {
		if loc := zoneByName(strings.Join(segs[i:], "/")); loc != nil {
			return loc
		}
	}
	return nil
}

// zoneClean strips what producers wrap around a TZID: spaces, quotes and
// trailing colons ("Pacific Standard Time:").
func zoneClean(s string) string {
	for {
		t := strings.TrimSpace(s)
		t = strings.TrimRight(t, ":")
		if len(t) >= 2 && (t[0] == '"' && t[len(t)-1] == '"' || t[0] == '\'' && t[len(t)-1] == '\'') {
			t = t[1 : len(t)-1]
		}
		if t == s {
			return t
		}
		s = t
	}
}

// zoneByName resolves an IANA name (in a few tolerant spellings) or a
// Windows zone ID.
func zoneByName(name string) *time.Location {
	if iana, ok := windowsZones()[zoneKey(name)]; ok {
		if loc, err := time.LoadLocation(iana); err == nil {
			return loc
		}
	}
	under := strings.ReplaceAll(name, " ", "_")
	tries := []string{name, under, zoneTitle(under)}
	if !strings.Contains(under, "/") {
		tries = append(tries, strings.ToUpper(under)) // "cet", "est5edt"
	}
	for i, n := range tries {
		if i > 0 && n == tries[i-1] || !zoneIANAish(n) {
			continue
		}
		if loc, err := time.LoadLocation(n); err == nil {
			return loc
		}
	}
	return nil
}

// zoneIANAish reports whether name may be handed to time.LoadLocation: it
// must look like a zone name, and not name a special file or the "posix/"
// and "right/" trees of system zoneinfo (same rules under another name, and
// leap-second-shifted times), which the prefix stripping handles instead.
func zoneIANAish(name string) bool {
	switch name {
	case "", "Local", "localtime", "posixrules", "Factory":
		return false
	}
	first, _, _ := strings.Cut(name, "/")
	if strings.EqualFold(first, "posix") || strings.EqualFold(first, "right") {
		return false
	}
	for _, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			r == '/' || r == '_' || r == '-' || r == '+'
		if !ok {
			return false
		}
	}
	return name[0] != '/' && !strings.Contains(name, "//")
}

// zoneTitle capitalises a zone name the way IANA spells most names
// ("america/port_of_spain" → "America/Port_of_Spain").
func zoneTitle(name string) string {
	b := []byte(strings.ToLower(name))
	for i := 0; i < len(b); {
		j := i
		for j < len(b) && b[j] != '/' && b[j] != '_' && b[j] != '-' {
			j++
		}
		switch w := string(b[i:j]); {
		case i > 0 && b[i-1] != '/' && (w == "of" || w == "au" || w == "es" || w == "de"):
			// particles stay lower case
		case j > i && b[i] >= 'a' && b[i] <= 'z':
			b[i] -= 'a' - 'A'
		}
		i = j + 1
	}
	return string(b)
}

// zoneKey normalises a Windows zone ID for a case-insensitive match.
func zoneKey(name string) string { return strings.ToLower(strings.Join(strings.Fields(name), " ")) }

//go:embed windowszones.json
var windowsZonesJSON []byte

// windowsZones maps zoneKey(Windows ID) to its primary IANA zone.
var windowsZones = sync.OnceValue(func() map[string]string {
	var f struct{ Mapping map[string]string }
	if err := json.Unmarshal(windowsZonesJSON, &f); err != nil {
		panic("calendar: embedded windowszones.json: " + err.Error())
	}
	m := make(map[string]string, len(f.Mapping))
	for win, iana := range f.Mapping {
		m[zoneKey(win)] = iana
	}
	return m
})

// windowsCities maps the lower-cased city of each IANA zone the Windows
// table uses ("berlin") to that zone, so display names can pick CLDR's
// primary zone for the places they list.
var windowsCities = sync.OnceValue(func() map[string]string {
	m := map[string]string{}
	for _, iana := range windowsZones() {
		city := strings.ToLower(iana[strings.LastIndexByte(iana, '/')+1:])
		m[city] = iana
	}
	return m
})

// zoneDisplayPlaces covers the labels of Windows display names that are not
// IANA cities: regions, and cities IANA files under another one.
var zoneDisplayPlaces = map[string]string{
	"coordinated universal time":  "UTC",
	"eastern time (us & canada)":  "America/New_York",
	"central time (us & canada)":  "America/Chicago",
	"mountain time (us & canada)": "America/Denver",
	"pacific time (us & canada)":  "America/Los_Angeles",
	"atlantic time (canada)":      "America/Halifax",
	"indiana (east)":              "America/Indiana/Indianapolis",
	"alaska":                      "America/Anchorage",
	"hawaii":                      "Pacific/Honolulu",
	"arizona":                     "America/Phoenix",
	"saskatchewan":                "America/Regina",
	"newfoundland":                "America/St_Johns",
	"central america":             "America/Guatemala",
	"baja california":             "America/Tijuana",
	"greenland":                   "America/Nuuk",
	"brasilia":                    "America/Sao_Paulo",
	"west central africa":         "Africa/Lagos",
	"beijing":                     "Asia/Shanghai",
	"new delhi":                   "Asia/Kolkata",
}

var zoneRegions = []string{"Europe", "America", "Asia", "Africa", "Australia", "Pacific", "Atlantic", "Indian", "Antarctica"}

// zoneFromDisplayName maps an Outlook display name such as
// "(UTC-05:00) Eastern Time (US & Canada)" or "(UTC) Dublin, Edinburgh,
// Lisbon, London". The displayed offset guards against a place name that
// exists in another zone ("La Paz" is Bolivia and Baja California Sur).
func zoneFromDisplayName(name string) *time.Location {
	head, rest, ok := strings.Cut(name[1:], ")")
	if !ok {
		return nil
	}
	offset, ok := zoneDisplayOffset(head)
	if !ok {
		return nil
	}
	var places []string
	for _, p := range strings.Split(rest, ",") {
		p = zoneFold(strings.ToLower(strings.TrimSpace(p)))
		if i := strings.IndexByte(p, '('); i > 0 && zoneDisplayPlaces[p] == "" {
			p = strings.TrimSpace(p[:i]) // "yangon (rangoon)"
		}
		if p != "" {
			places = append(places, strings.ReplaceAll(p, " ", "_"))
		}
	}
	try := func(iana string) *time.Location {
		if !zoneIANAish(iana) {
			return nil
		}
		if loc, err := time.LoadLocation(iana); err == nil && zoneHasOffset(loc, offset) {
			return loc
		}
		return nil
	}
	// First the zones Windows itself maps to (CLDR's primary zone for the
	// Windows ID behind the display name), then any IANA city of the name.
	for _, p := range places {
		if loc := try(zoneDisplayPlaces[strings.ReplaceAll(p, "_", " ")]); loc != nil {
			return loc
		}
		if loc := try(windowsCities()[p]); loc != nil {
			return loc
		}
	}
	for _, p := range places {
		for _, r := range zoneRegions {
			if loc := try(zoneTitle(r + "/" + p)); loc != nil {
				return loc
			}
		}
	}
	return nil
}

// zoneDisplayOffset parses "UTC", "GMT", "UTC+01:00", "GMT -05:00".
func zoneDisplayOffset(s string) (int, bool) {
	s = strings.ToUpper(strings.ReplaceAll(s, " ", ""))
	if !strings.HasPrefix(s, "UTC") && !strings.HasPrefix(s, "GMT") {
		return 0, false
	}
	s = s[3:]
	if s == "" {
		return 0, true
	}
	var h, m int
	if _, err := fmt.Sscanf(s[1:], "%d:%d", &h, &m); err != nil || h > 14 || m > 59 {
		return 0, false
	}
	off := h*3600 + m*60
	switch s[0] {
	case '+':
		return off, true
	case '-':
		return -off, true
	}
	return 0, false
}

// zoneHasOffset reports whether loc uses offset in January or July of a
// fixed recent year: display names show the standard offset, which is one
// of the two on either hemisphere.
func zoneHasOffset(loc *time.Location, offset int) bool {
	for _, m := range []time.Month{time.January, time.July} {
		if _, o := time.Date(2025, m, 1, 12, 0, 0, 0, time.UTC).In(loc).Zone(); o == offset {
			return true
		}
	}
	return false
}

// zoneFold removes the accents display names carry ("Brasília").
var zoneFold = strings.NewReplacer(
	"á", "a", "à", "a", "â", "a", "ä", "a", "ã", "a", "å", "a",
	"é", "e", "è", "e", "ê", "e", "ë", "e",
	"í", "i", "ì", "i", "î", "i", "ï", "i",
	"ó", "o", "ò", "o", "ô", "o", "ö", "o", "õ", "o",
	"ú", "u", "ù", "u", "û", "u", "ü", "u",
	"ç", "c", "ñ", "n",
).Replace

func zoneClip(s string) string {
	if len(s) <= 80 {
		return s
	}
	for i := 80; i > 0; i-- {
		if utf8.RuneStart(s[i]) {
			return s[:i] + "…"
		}
	}
	return ""
}

// Observance is one STANDARD or DAYLIGHT sub-component of a VTIMEZONE.
//
// Times are local wall-clock times in the observance's OffsetFrom (the
// offset in force just before each onset), carried in time.UTC: only their
// date and clock fields are read, never their location. A decoder turns
// what producers write into that form:
//   - DTSTART and RDATE DATE-TIMEs without "Z": as written;
//   - DTSTART or RDATE in UTC ("…Z", which RFC 5545 forbids here but
//     producers write): add OffsetFrom, t.Add(time.Duration(OffsetFrom)*time.Second);
//   - RDATE;VALUE=DATE (also forbidden, also seen): that date at DTSTART's
//     time of day as written, then as above (in UTC when DTSTART is): the
//     producer's evident meaning, and what ical.js does;
//   - RDATE;VALUE=PERIOD: the period's start.
type Observance struct {
	Start      time.Time   // DTSTART: the first onset, local wall-clock
	OffsetFrom int         // TZOFFSETFROM, seconds east of UTC
	OffsetTo   int         // TZOFFSETTO, seconds east of UTC
	Name       string      // TZNAME, may be empty
	DST        bool        // a DAYLIGHT sub-component
	RRule      string      // RRULE value, may be empty
	RDates     []time.Time // RDATE values, local wall-clock
}

// The span over which RRULEs are expanded: calendars need no more, past
// 2200 the last rule's offset stays in force, and before 1900 only DTSTART
// and RDATE onsets count.
const (
	zoneFirstYear = 1900
	zoneLastYear  = 2200
	// zoneMaxSteps bounds the iterations of one RRULE (a monthly rule over
	// four centuries); zoneMaxTransitions bounds a whole zone.
	zoneMaxSteps       = 50000
	zoneMaxTransitions = 100000
)

// ZoneFromObservances builds a zone from a VTIMEZONE definition. Each onset
// of each observance (DTSTART, RRULE instances between 1900 and 2200, RDATEs)
// becomes a transition at local onset − OffsetFrom; before the first, the
// zone has that first observance's OffsetFrom. A DTSTART that the RRULE does
// not produce is not an onset: Outlook writes 16010101T020000 as a
// placeholder for both STANDARD and DAYLIGHT. Transitions at the same instant
// keep the later observance.
//
// The result is a real *time.Location named tzid (built from TZif data, see
// ZoneData), so it works with time.Date, Time.In and friends. Equal
// definitions give the same *time.Location.
func ZoneFromObservances(tzid string, obs []Observance) (*time.Location, error) {
	if len(obs) == 0 {
		return nil, fmt.Errorf("calendar: VTIMEZONE %q: no STANDARD or DAYLIGHT", zoneClip(tzid))
	}
	var txs []zoneTx
	for i, o := range obs {
		onsets, err := o.onsets()
		if err != nil {
			kind := "STANDARD"
			if o.DST {
				kind = "DAYLIGHT"
			}
			return nil, fmt.Errorf("calendar: VTIMEZONE %q %s #%d: %w", zoneClip(tzid), kind, i+1, err)
		}
		for _, at := range onsets {
			txs = append(txs, zoneTx{at, i})
		}
		if len(txs) > zoneMaxTransitions {
			return nil, fmt.Errorf("calendar: VTIMEZONE %q: more than %d transitions", zoneClip(tzid), zoneMaxTransitions)
		}
	}
	sort.SliceStable(txs, func(i, j int) bool { return txs[i].at < txs[j].at })
	// Keep the last of the transitions at one instant.
	kept := txs[:0]
	for i, t := range txs {
		if i+1 < len(txs) && txs[i+1].at == t.at {
			continue
		}
		kept = append(kept, t)
	}
	txs = kept

	initial := obs[0].OffsetTo // no onset at all: the first observance's offset
	if len(txs) > 0 {
		initial = obs[txs[0].obs].OffsetFrom
	}
	data, err := zoneTZif(initial, obs, txs)
	if err != nil {
		return nil, fmt.Errorf("calendar: VTIMEZONE %q: %w", zoneClip(tzid), err)
	}
	loc, err := zoneRegister(tzid, data)
	if err != nil {
		return nil, fmt.Errorf("calendar: VTIMEZONE %q: %w", zoneClip(tzid), err)
	}
	return loc, nil
}

// ZoneData returns the TZif (RFC 8536) data of a zone made by
// ZoneFromObservances or LoadZoneData, so that a store can persist it.
func ZoneData(loc *time.Location) ([]byte, bool) {
	zoneReg.Lock()
	defer zoneReg.Unlock()
	data, ok := zoneReg.byLoc[loc]
	if !ok {
		return nil, false
	}
	return []byte(data), true
}

// LoadZoneData rebuilds a zone from the name and TZif data that ZoneData
// gave. The result is registered like one from ZoneFromObservances.
func LoadZoneData(name string, tzif []byte) (*time.Location, error) {
	loc, err := zoneRegister(name, tzif)
	if err != nil {
		return nil, fmt.Errorf("calendar: zone %q: %w", zoneClip(name), err)
	}
	return loc, nil
}

type zoneTx struct {
	at  int64 // Unix seconds
	obs int   // index of the observance
}

// onsets returns the UTC instants at which o takes effect.
func (o Observance) onsets() ([]int64, error) {
	for _, f := range []struct {
		name string
		v    int
	}{{"TZOFFSETFROM", o.OffsetFrom}, {"TZOFFSETTO", o.OffsetTo}} {
		if f.v <= -86400 || f.v >= 86400 {
			return nil, fmt.Errorf("%s %+d s is not a UTC offset (within ±24 h)", f.name, f.v)
		}
	}
	if o.Start.IsZero() {
		return nil, errors.New("DTSTART is missing")
	}
	// In a zone fixed at OffsetFrom, wall-clock times are exactly the
	// onsets, and a UTC UNTIL compares with them as RFC 5545 means.
	from := time.FixedZone("", o.OffsetFrom)
	local := func(t time.Time) time.Time {
		y, m, d := t.Date()
		hh, mm, ss := t.Clock()
		return time.Date(y, m, d, hh, mm, ss, 0, from)
	}
	start := local(o.Start)
	var out []int64
	startIsOnset := true
	if strings.TrimSpace(o.RRule) != "" {
		rr, err := ParseRule(o.RRule, start)
		if err != nil {
			return nil, err
		}
		// Coarser rules only: a finer one is no time-zone rule, and an
		// impossible DAILY rule would scan to year 9999 one day at a time.
		opt := rr.OrigOptions
		if opt.Freq != rrule.YEARLY && opt.Freq != rrule.MONTHLY {
			return nil, fmt.Errorf("RRULE: FREQ=%v is not a time-zone rule", opt.Freq)
		}
		// An explicit end: without UNTIL, rrule-go stops 292 years after
		// DTSTART (the longest time.Duration), which for Outlook's 1601
		// placeholder is 1892.
		if end := time.Date(zoneLastYear+1, 1, 1, 0, 0, 0, 0, time.UTC); opt.Until.IsZero() || opt.Until.After(end) {
			opt.Until = end
			if rr, err = rrule.NewRRule(opt); err != nil {
				return nil, fmt.Errorf("RRULE: %w", err)
			}
		}
		next := rr.Iterator()
		for n := 0; ; n++ {
			t, ok := next()
			if !ok || t.Year() > zoneLastYear {
				break
			}
			if n == 0 {
				startIsOnset = t.Equal(start)
			}
			if n >= zoneMaxSteps {
				return nil, fmt.Errorf("RRULE: more than %d onsets before %d", zoneMaxSteps, zoneLastYear)
			}
			if t.Year() >= zoneFirstYear {
				out = append(out, t.Unix())
			}
		}
	}
	if startIsOnset {
		out = append(out, start.Unix())
	}
	for _, rd := range o.RDates {
		out = append(out, local(rd).Unix())
	}
	return out, nil
}

// zoneType is one local time type of the TZif data.
type zoneType struct {
	offset int
	dst    bool
	name   string
}

// zoneTZif writes version 2 TZif data (RFC 8536): a minimal v1 block (no
// transitions; readers of v2 skip it), the v2 block with 64-bit transition
// times, and an empty footer, since the transitions already run to 2200.
func zoneTZif(initial int, obs []Observance, txs []zoneTx) ([]byte, error) {
	// Type 0 is the offset before the first transition. Go uses the first
	// type for that only if no transition refers to it, so it is never
	// shared.
	types := []zoneType{{offset: initial}}
	index := map[zoneType]int{}
	var when []int64
	var which []byte
	prev := types[0]
	for _, t := range txs {
		o := obs[t.obs]
		ty := zoneType{o.OffsetTo, o.DST, zoneAbbrev(o.Name)}
		if ty == prev {
			continue // changes nothing
		}
		prev = ty
		i, ok := index[ty]
		if !ok {
			i = len(types)
			index[ty] = i
			types = append(types, ty)
		}
		if i > 255 {
			return nil, errors.New("more than 256 distinct offsets and names")
		}
		when = append(when, t.at)
		which = append(which, byte(i))
	}

	// Abbreviations: index 0 is the empty name, which Go formats as a
	// numeric offset ("+0530"); names that do not fit the one-byte index
	// fall back to it.
	chars := []byte{0}
	at := map[string]int{"": 0}
	nameIdx := make([]byte, len(types))
	for i, ty := range types {
		j, ok := at[ty.name]
		if !ok {
			if len(chars) <= 255 {
				j = len(chars)
				chars = append(append(chars, ty.name...), 0)
			}
			at[ty.name] = j
		}
		nameIdx[i] = byte(j)
	}

	b := make([]byte, 0, 128+len(when)*9+len(types)*6+len(chars))
	header := func(timecnt int) {
		b = append(b, "TZif2"...)
		b = append(b, make([]byte, 15)...)
		for _, n := range []int{0, 0, 0, timecnt, len(types), len(chars)} { // isut, isstd, leap, time, type, char
			b = binary.BigEndian.AppendUint32(b, uint32(n))
		}
	}
	typesAndNames := func() {
		for i, ty := range types {
			b = binary.BigEndian.AppendUint32(b, uint32(int32(ty.offset)))
			dst := byte(0)
			if ty.dst {
				dst = 1
			}
			b = append(b, dst, nameIdx[i])
		}
		b = append(b, chars...)
	}
	header(0)
	typesAndNames()
	header(len(when))
	for _, w := range when {
		b = binary.BigEndian.AppendUint64(b, uint64(w))
	}
	b = append(b, which...)
	typesAndNames()
	b = append(b, "\n\n"...)
	return b, nil
}

// zoneAbbrev makes a TZNAME usable as a TZif abbreviation: no NULs or
// control characters, and short.
func zoneAbbrev(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return -1
		}
		return r
	}, strings.TrimSpace(s))
	for len(s) > 32 {
		_, n := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-n]
	}
	return s
}

// zoneReg interns zones by name and data: the same definition, decoded on
// every poll, yields the same *time.Location, and the registry grows only
// with distinct definitions.
var zoneReg struct {
	sync.Mutex
	byKey map[string]*time.Location // name + "\x00" + TZif
	byLoc map[*time.Location]string // TZif
}

func zoneRegister(name string, data []byte) (*time.Location, error) {
	key := name + "\x00" + string(data)
	zoneReg.Lock()
	defer zoneReg.Unlock()
	if loc, ok := zoneReg.byKey[key]; ok {
		return loc, nil
	}
	loc, err := time.LoadLocationFromTZData(name, data)
	if err != nil {
		return nil, fmt.Errorf("bad TZif data: %w", err)
	}
	if zoneReg.byKey == nil {
		zoneReg.byKey = map[string]*time.Location{}
		zoneReg.byLoc = map[*time.Location]string{}
	}
	zoneReg.byKey[key] = loc
	zoneReg.byLoc[loc] = key[len(name)+1:]
	return loc, nil
}
