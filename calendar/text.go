package calendar

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxName bounds a calendar or person name taken from a calendar.
const MaxName = 200

// CleanText makes text from a calendar (a title, a calendar's or a
// person's name: written by whoever sent the invitation) safe to show and
// log: valid UTF-8, no control characters (so no CRLF injection into logs,
// terminals or headers), runs of white space folded, at most max runes.
func CleanText(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if max > 0 && utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max-1]) + "…"
	}
	return s
}
