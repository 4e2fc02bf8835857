package caldav_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

// splitObjects splits an iCalendar stream into CalDAV calendar objects, one
// per UID as RFC 4791 §4.1 requires: each carries the calendar's own
// properties (METHOD excepted, which §4.1 forbids), every VTIMEZONE, and
// the components of its UID. It works on lines only, unfolding just enough
// to read UIDs: the objects keep the producer's bytes.
func splitObjects(t testing.TB, data []byte) (uids []string, objects map[string][]byte) {
	t.Helper()
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	var header, zones []string
	groups := map[string][]string{}
	var block []string
	var blockName, blockUID string
	depth := 0
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		logical := line
		for i+1 < len(lines) && (strings.HasPrefix(lines[i+1], " ") || strings.HasPrefix(lines[i+1], "\t")) {
			i++
			line += "\n" + lines[i]
			logical += lines[i][1:]
		}
		upper := strings.ToUpper(logical)
		switch {
		case upper == "BEGIN:VCALENDAR" || upper == "END:VCALENDAR":
			continue
		case strings.HasPrefix(upper, "BEGIN:"):
			if depth == 0 {
				block, blockName, blockUID = nil, strings.TrimPrefix(upper, "BEGIN:"), ""
			}
			depth++
		case strings.HasPrefix(upper, "END:"):
			depth--
		case depth == 0:
			if !strings.HasPrefix(upper, "METHOD") {
				header = append(header, line)
			}
			continue
		case depth == 1 && strings.HasPrefix(upper, "UID:"):
			blockUID = logical[4:]
		}
		block = append(block, line)
		if depth == 0 {
			switch blockName {
			case "VTIMEZONE":
				zones = append(zones, block...)
			case "VEVENT":
				if blockUID == "" {
					t.Fatalf("a VEVENT without UID")
				}
				if _, ok := groups[blockUID]; !ok {
					uids = append(uids, blockUID)
				}
				groups[blockUID] = append(groups[blockUID], block...)
			}
		}
	}
	objects = map[string][]byte{}
	for uid, comps := range groups {
		var b bytes.Buffer
		all := slices.Concat([]string{"BEGIN:VCALENDAR"}, header, zones, comps, []string{"END:VCALENDAR"})
		for _, l := range all {
			b.WriteString(strings.ReplaceAll(l, "\n", "\r\n") + "\r\n")
		}
		objects[uid] = b.Bytes()
	}
	return uids, objects
}

// objectName is the file name a client gives a UID's object: the UID with
// the characters that are awkward in a URL path replaced.
func objectName(uid string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.', r == '@':
			return r
		}
		return '_'
	}, uid) + ".ics"
}

func TestSplitObjectsKeepsOneUIDPerObjectWithItsZones(t *testing.T) {
	in := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:PUBLISH\r\nX-WR-TIMEZONE:Europe/Berlin\r\n" +
		"BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n" +
		"BEGIN:VEVENT\r\nUID:a-very-long-uid-that-the-producer-fol\r\n ded\r\nDTSTART:20260105T090000Z\r\nEND:VEVENT\r\n" +
		"BEGIN:VEVENT\r\nUID:b\r\nDTSTART:20260105T090000Z\r\nBEGIN:VALARM\r\nUID:not-the-event\r\nEND:VALARM\r\nEND:VEVENT\r\n" +
		"BEGIN:VEVENT\r\nUID:a-very-long-uid-that-the-producer-folded\r\nRECURRENCE-ID:20260112T090000Z\r\nEND:VEVENT\r\n" +
		"END:VCALENDAR\r\n"
	uids, objects := splitObjects(t, []byte(in))
	if want := []string{"a-very-long-uid-that-the-producer-folded", "b"}; !slices.Equal(uids, want) {
		t.Fatalf("uids %q, want %q", uids, want)
	}
	a := string(objects[uids[0]])
	for _, want := range []string{"X-WR-TIMEZONE:Europe/Berlin\r\n", "TZID:Europe/Berlin", "RECURRENCE-ID", " ded\r\n"} {
		if !strings.Contains(a, want) {
			t.Errorf("object a lacks %q:\n%s", want, a)
		}
	}
	if strings.Contains(a, "METHOD") || strings.Contains(a, "UID:b") {
		t.Errorf("object a holds METHOD or another UID:\n%s", a)
	}
	if b := string(objects["b"]); !strings.Contains(b, "UID:not-the-event") || strings.Count(b, "BEGIN:VEVENT") != 1 {
		t.Errorf("object b:\n%s", b)
	}
}
