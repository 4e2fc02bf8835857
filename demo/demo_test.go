package demo

import (
	"bytes"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/rapport-dev/rapport/analyzer"
	"github.com/rapport-dev/rapport/calendar"
	"github.com/rapport-dev/rapport/calendar/ics"
)

// The story is checked at several instants, so that it is known to be
// anchored at now and not at fixed dates, whatever the weekday and hour.
var nows = []struct {
	name string
	now  time.Time
}{
	{"on a Monday morning in November", time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC)},
	{"on a Thursday afternoon in August", time.Date(2026, 8, 13, 16, 45, 0, 0, time.UTC)},
	{"on the night Europe moves to summer time", time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC)},
}

// syncGap is how long before now the demo command first syncs.
const syncGap = 7 * 24 * time.Hour

func TestCalendars(t *testing.T) {
	for _, n := range nows {
		for _, asOf := range []time.Time{n.now, n.now.Add(-syncGap)} {
			t.Run(n.name+"/as of "+asOf.Format(time.RFC3339), func(t *testing.T) {
				cals := Calendars(n.now, asOf)
				t.Run("there is one calendar per manager", func(t *testing.T) {
					if got, want := sortedKeys(cals), []string{"alice@example.com", "marcus@example.com", "sophie@example.com"}; !slices.Equal(got, want) {
						t.Errorf("owners %v, want %v", got, want)
					}
				})
				t.Run("the same instants give the same bytes", func(t *testing.T) {
					again := Calendars(n.now, asOf)
					for owner, data := range cals {
						if !bytes.Equal(data, again[owner]) {
							t.Errorf("%s: two calls differ", owner)
						}
					}
				})
				t.Run("every calendar decodes without problems or warnings", func(t *testing.T) {
					decode(t, cals)
				})
				t.Run("lines end in CRLF and are folded at 75 octets", func(t *testing.T) {
					for owner, data := range cals {
						checkLines(t, owner, data)
					}
				})
				t.Run("nothing was created or modified after the instant shown", func(t *testing.T) {
					for _, r := range decode(t, cals) {
						if e := r.Event; e.LastModified.After(asOf) || e.Created.After(asOf) || e.LastModified.IsZero() {
							t.Errorf("%s %s: created %v, modified %v", r.Calendar.Owner, e.UID, e.Created, e.LastModified)
						}
					}
				})
			})
		}
	}
}

func checkLines(t *testing.T, owner string, data []byte) {
	t.Helper()
	if !bytes.HasSuffix(data, []byte("END:VCALENDAR\r\n")) {
		t.Errorf("%s: does not end with END:VCALENDAR CRLF", owner)
	}
	for i, l := range strings.Split(strings.TrimSuffix(string(data), "\r\n"), "\r\n") {
		switch {
		case strings.ContainsAny(l, "\r\n"):
			t.Errorf("%s line %d: bare CR or LF in %q", owner, i+1, l)
		case len(l) > 75:
			t.Errorf("%s line %d: %d octets: %q", owner, i+1, len(l), l)
		case !utf8.ValidString(l):
			t.Errorf("%s line %d: a UTF-8 sequence is split: %q", owner, i+1, l)
		}
	}
}

func TestCalendarText(t *testing.T) {
	now := nows[0].now
	cals := Calendars(now, now)
	alice := string(cals["alice@example.com"])
	tests := []struct {
		name string
		want string
	}{
		{"commas and semicolons in TEXT are escaped", `SUMMARY:Platform weekly: roadmap\, on-call\; demos`},
		{"backslashes and newlines in TEXT are escaped", `DESCRIPTION:Notes: \\\\files\\platform\\weekly (or the team drive)\nDial-in: h`},
		{"a parameter value with a colon, comma or semicolon is quoted", `CN="Hudson; 12th floor, east"`},
		{"one series uses a Windows zone name", "DTSTART;TZID=W. Europe Standard Time:"},
		{"the Windows zone is defined by a VTIMEZONE", "BEGIN:VTIMEZONE\r\nTZID:W. Europe Standard Time\r\n"},
		{"an out-of-office is marked the Outlook way", "X-MICROSOFT-CDO-BUSYSTATUS:OOF"},
		{"a room is an attendee of type ROOM", "ATTENDEE;CUTYPE=ROOM;ROLE=NON-PARTICIPANT;PARTSTAT=ACCEPTED;CN=Spree (4th"},
		{"a slot is declined through PARTSTAT on an override", "PARTSTAT=DECLINED"},
		{"a slot is cancelled by an override", "STATUS:CANCELLED"},
		{"a slot is removed by EXDATE", "EXDATE;TZID="},
	}
	all := alice + string(cals["marcus@example.com"]) + string(cals["sophie@example.com"])
	unfolded := strings.ReplaceAll(all, "\r\n ", "")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(all, tt.want) && !strings.Contains(unfolded, tt.want) {
				t.Errorf("no %q in the calendars", tt.want)
			}
		})
	}
	t.Run("escaped text decodes to what was written", func(t *testing.T) {
		var found bool
		for _, r := range decode(t, map[string][]byte{"alice@example.com": []byte(alice)}) {
			if r.Event.UID == "platform-weekly@demo.rapport.example" {
				found = r.Event.Summary == "Platform weekly: roadmap, on-call; demos" && r.Event.HasDescription
			}
		}
		if !found {
			t.Error("the team meeting's summary did not decode as written")
		}
	})
}

func TestEscapeAndFold(t *testing.T) {
	escapes := []struct{ in, want string }{
		{"plain", "plain"},
		{`a\b`, `a\\b`},
		{"a,b;c", `a\,b\;c`},
		{"one\ntwo\r\nthree", `one\ntwo\nthree`},
	}
	for _, tt := range escapes {
		if got := escapeText(tt.in); got != tt.want {
			t.Errorf("escapeText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	folds := []struct {
		name string
		in   string
	}{
		{"a short line is not folded", "SUMMARY:short"},
		{"a line of exactly 75 octets is not folded", "X:" + strings.Repeat("a", 73)},
		{"a long ASCII line is folded", "DESCRIPTION:" + strings.Repeat("abcdefghij", 20)},
		{"a long line of multi-byte characters is folded between characters", "SUMMARY:" + strings.Repeat("Müller Núñez Weiß ", 12)},
	}
	for _, tt := range folds {
		t.Run(tt.name, func(t *testing.T) {
			out := fold(tt.in)
			checkLines(t, "fold", []byte(out+"END:VCALENDAR\r\n"))
			if got := strings.ReplaceAll(strings.TrimSuffix(out, "\r\n"), "\r\n ", ""); got != tt.in {
				t.Errorf("unfolds to %q", got)
			}
			if len(tt.in) <= 75 && strings.Contains(out, "\r\n ") {
				t.Errorf("folded a short line: %q", out)
			}
		})
	}
}

func TestOrg(t *testing.T) {
	org := Org()
	zones := Zones()
	var managed []analyzer.Team
	var parents []analyzer.Team
	for _, team := range org.Teams {
		if team.Manager == "" {
			parents = append(parents, team)
		} else {
			managed = append(managed, team)
		}
	}
	email := regexp.MustCompile(`^[a-z]+@example\.com$`)
	t.Run("there are three teams under one parent team", func(t *testing.T) {
		if len(managed) != 3 || len(parents) != 1 || parents[0].Name != "engineering" {
			t.Fatalf("%d managed teams, parents %+v", len(managed), parents)
		}
		for _, team := range managed {
			if team.Parent != "engineering" {
				t.Errorf("%s: parent %q", team.Name, team.Parent)
			}
		}
	})
	t.Run("every team has leaders", func(t *testing.T) {
		for _, team := range org.Teams {
			if len(team.Leaders) == 0 {
				t.Errorf("%s has no leader", team.Name)
			}
		}
	})
	t.Run("each manager has four to six reports, twelve pairs or more in all", func(t *testing.T) {
		n := 0
		for _, team := range managed {
			if len(team.Reports) < 4 || len(team.Reports) > 6 {
				t.Errorf("%s: %d reports", team.Name, len(team.Reports))
			}
			n += len(team.Reports)
		}
		if n < 12 {
			t.Errorf("%d pairs", n)
		}
	})
	t.Run("everyone is at example.com and has a time zone", func(t *testing.T) {
		for _, team := range org.Teams {
			for _, e := range append(append([]string{team.Manager}, team.Reports...), team.Leaders...) {
				if e == "" {
					continue
				}
				if !email.MatchString(e) {
					t.Errorf("%q is no example.com address", e)
				}
				if _, err := time.LoadLocation(zones[e]); err != nil || zones[e] == "" {
					t.Errorf("%s: zone %q: %v", e, zones[e], err)
				}
			}
		}
	})
	t.Run("managers are in different zones, one of them in the southern hemisphere", func(t *testing.T) {
		seen := map[string]bool{}
		southern := false
		for _, team := range managed {
			z := zones[team.Manager]
			if seen[z] {
				t.Errorf("two managers in %s", z)
			}
			seen[z] = true
			loc, _ := time.LoadLocation(z)
			_, jan := time.Date(2026, 1, 15, 12, 0, 0, 0, loc).Zone()
			_, jul := time.Date(2026, 7, 15, 12, 0, 0, 0, loc).Zone()
			southern = southern || jan > jul // summer time in January
		}
		if !southern {
			t.Error("no manager keeps summer time in January")
		}
	})
}

// want is what the analyzer must find in each pair's story.
var want = map[string]struct {
	band    analyzer.Band
	signals []string
}{
	"bruno": {analyzer.BandHealthy, nil},
	"carla": {analyzer.BandHealthy, nil},
	"dirk":  {analyzer.BandHealthy, nil},
	"erin":  {analyzer.BandDrifting, []string{"reschedule_rate", "late_reschedules"}},
	"felix": {analyzer.BandHealthy, nil},
	"gita":  {analyzer.BandHealthy, nil},
	"grace": {analyzer.BandDrifting, []string{"shortened"}},
	"hiro":  {analyzer.BandDrifting, []string{"shortened"}},
	"ines":  {analyzer.BandDrifting, []string{"skip_rate"}},
	"jamal": {analyzer.BandHealthy, []string{"no_agenda"}},
	"kai":   {analyzer.BandHealthy, nil},
	"lena":  {analyzer.BandDrifting, []string{"falling_cadence"}},
	"mateo": {analyzer.BandAtRisk, []string{"skip_rate", "falling_cadence"}},
	"nora":  {analyzer.BandAtRisk, []string{"overdue", "nothing_scheduled"}},
	"omar":  {analyzer.BandHealthy, nil},
	"priya": {analyzer.BandHealthy, nil},
}

func TestStoryThroughTheAnalyzer(t *testing.T) {
	for _, n := range nows {
		t.Run(n.name, func(t *testing.T) {
			r := analyze(n.now, decode(t, Calendars(n.now, n.now)))
			if len(r.Problems) > 0 {
				t.Fatalf("analysis problems: %v", r.Problems)
			}
			byReport := map[string]analyzer.PairReport{}
			for _, p := range r.Pairs {
				byReport[strings.TrimSuffix(p.Report, "@example.com")] = p
			}

			for _, row := range pairs {
				t.Run(row.report+": "+row.pattern, func(t *testing.T) {
					p, ok := byReport[row.report]
					w := want[row.report]
					switch {
					case !ok:
						t.Fatal("no such pair in the report")
					case !slices.Equal(signalNames(p), w.signals) || p.Band != w.band:
						t.Errorf("signals %v band %s (score %d), want %v %s; counts %+v", signalNames(p), p.Band, p.Score, w.signals, w.band, p.Counts)
					}
				})
			}
			if len(byReport) != len(pairs) {
				t.Errorf("%d pairs analysed, the story has %d", len(byReport), len(pairs))
			}

			t.Run("every signal fires for some pair", func(t *testing.T) {
				fired := map[string]bool{}
				for _, p := range r.Pairs {
					for _, s := range p.Signals {
						fired[s.Name] = true
					}
				}
				for _, name := range []string{analyzer.SignalRescheduleRate, analyzer.SignalLateReschedules, analyzer.SignalShortened,
					analyzer.SignalSkipRate, analyzer.SignalFallingCadence, analyzer.SignalOverdue, analyzer.SignalNothingScheduled, analyzer.SignalNoAgenda} {
					if !fired[name] {
						t.Errorf("%s never fires", name)
					}
				}
			})
			t.Run("there are healthy, drifting and at-risk pairs", func(t *testing.T) {
				bands := map[analyzer.Band]int{}
				for _, p := range r.Pairs {
					bands[p.Band]++
				}
				for _, b := range []analyzer.Band{analyzer.BandHealthy, analyzer.BandDrifting, analyzer.BandAtRisk} {
					if bands[b] == 0 {
						t.Errorf("no %s pair", b)
					}
				}
			})
			t.Run("every occurrence fate appears", func(t *testing.T) {
				fates := map[analyzer.Fate]int{}
				for _, p := range r.Pairs {
					for _, o := range p.Occurrences {
						fates[o.Fate]++
					}
				}
				for _, f := range []analyzer.Fate{analyzer.FateHeld, analyzer.FateMoved, analyzer.FateShortened, analyzer.FateSkipped, analyzer.FateExcused, analyzer.FateUpcoming} {
					if fates[f] == 0 {
						t.Errorf("no %s occurrence", f)
					}
				}
			})
			for _, s := range []struct{ name, uid string }{
				{"the weekly Europe/Berlin series crosses DST changes without a move", "alice-carla-weekly@demo.rapport.example"},
				{"the weekly Australia/Sydney series crosses DST changes without a move", "sophie-kai-weekly@demo.rapport.example"},
				{"the Windows-zone series crosses DST changes without a move", "alice-dirk-weekly@demo.rapport.example"},
			} {
				t.Run(s.name, func(t *testing.T) {
					offsets := map[int]bool{}
					for _, p := range r.Pairs {
						for _, o := range p.Occurrences {
							if o.UID != s.uid {
								continue
							}
							if o.Moved || o.Fate == analyzer.FateMoved {
								t.Errorf("planned %v moved to %v", o.Planned, o.Start)
							}
							_, off := o.Planned.Zone()
							offsets[off] = true
						}
					}
					if len(offsets) < 2 {
						t.Errorf("the analysed occurrences have UTC offsets %v: no DST change crossed", offsets)
					}
				})
			}
			t.Run("the made-up skip is counted as moved", func(t *testing.T) {
				omar := byReport["omar"]
				var made []analyzer.Occurrence
				for _, o := range omar.Occurrences {
					if o.MakeUp {
						made = append(made, o)
					}
				}
				if len(made) != 1 || made[0].Fate != analyzer.FateMoved || made[0].Start.Weekday() != time.Thursday {
					t.Errorf("make-ups %+v, want one moved to the Thursday", made)
				}
				if omar.Counts.Moved != 1 || omar.Counts.Skipped != 0 {
					t.Errorf("counts %+v, want one moved and none skipped", omar.Counts)
				}
			})
			t.Run("the report's absences excuse the skips they overlap", func(t *testing.T) {
				if c := byReport["dirk"].Counts; c.Excused != 3 || c.Skipped != 0 {
					t.Errorf("counts %+v, want 3 excused and none skipped", c)
				}
			})
			t.Run("the new relationship began three weeks ago", func(t *testing.T) {
				var first time.Time
				for _, o := range byReport["felix"].Occurrences {
					if first.IsZero() || o.Planned.Before(first) {
						first = o.Planned
					}
				}
				if age := n.now.Sub(first); age < 14*24*time.Hour || age > 28*24*time.Hour {
					t.Errorf("first 1:1 %v, %v before now", first, age)
				}
			})
			t.Run("the long-standing pair has met for over a year", func(t *testing.T) {
				recs := decode(t, Calendars(n.now, n.now))
				for _, rec := range recs {
					if rec.Event.UID == "alice-bruno-weekly@demo.rapport.example" && !rec.Event.IsOverride() {
						if age := n.now.Sub(rec.Event.Start); age < 365*24*time.Hour {
							t.Errorf("series began %v before now", age)
						}
						return
					}
				}
				t.Error("no series")
			})
		})
	}
}

// A one-off 1:1 moved a few hours before it was due, between the demo's two
// syncs, is seen at its first time by the first and at its new time by the
// second; the analyzer, given that history, finds a late move.
func TestAOneOffRetimedBetweenSyncs(t *testing.T) {
	const uid = "alice-gita-promotion@demo.rapport.example"
	for _, n := range nows {
		t.Run(n.name, func(t *testing.T) {
			asOf := n.now.Add(-syncGap)
			before := find(t, decode(t, Calendars(n.now, asOf)), uid)
			after := find(t, decode(t, Calendars(n.now, n.now)), uid)
			switch {
			case !after.Start.After(before.Start):
				t.Errorf("moved from %v to %v", before.Start, after.Start)
			case !after.End.Before(n.now):
				t.Errorf("the 1:1 at %v is not over by now", after.Start)
			case !after.LastModified.After(asOf):
				t.Errorf("modified %v, before the first sync", after.LastModified)
			}
			if lead := before.Start.Sub(after.LastModified); lead < time.Hour || lead > 6*time.Hour {
				t.Errorf("moved %v before its first start, want a few hours", lead)
			}

			r := analyze(n.now, twoSyncs(t, n.now, asOf))
			for _, p := range r.Pairs {
				for _, o := range p.Occurrences {
					if o.UID == uid {
						if o.Fate != analyzer.FateMoved || !o.Late || !o.Planned.Equal(before.Start) {
							t.Errorf("fate %s late %v planned %v, want moved late from %v", o.Fate, o.Late, o.Planned, before.Start)
						}
						return
					}
				}
			}
			t.Error("the one-off is in no pair's history")
		})
	}
}

func find(t *testing.T, recs []analyzer.Record, uid string) calendar.Event {
	t.Helper()
	for _, r := range recs {
		if r.Event.UID == uid {
			return r.Event
		}
	}
	t.Fatalf("no event %s", uid)
	return calendar.Event{}
}

// twoSyncs is what a store holds after syncing at asOf and then at now: the
// current events, with the earlier version of those that changed.
func twoSyncs(t *testing.T, now, asOf time.Time) []analyzer.Record {
	t.Helper()
	type key struct {
		owner string
		calendar.Key
	}
	first := map[key]calendar.Event{}
	for _, r := range decode(t, Calendars(now, asOf)) {
		first[key{r.Calendar.Owner, r.Event.Key()}] = r.Event
	}
	recs := decode(t, Calendars(now, now))
	for i := range recs {
		r := &recs[i]
		old, seen := first[key{r.Calendar.Owner, r.Event.Key()}]
		switch {
		case !seen:
			r.ObservedAt = now
		case !old.Start.Equal(r.Event.Start) || !old.End.Equal(r.Event.End) || old.Status != r.Event.Status:
			r.ObservedAt = now
			r.Versions = []analyzer.Version{{ObservedAt: asOf, Start: old.Start, End: old.End, Status: old.Status, LastModified: old.LastModified}}
		default:
			r.ObservedAt = asOf
		}
	}
	return recs
}

// decode decodes every calendar into records, as the ics source does.
func decode(t *testing.T, cals map[string][]byte) []analyzer.Record {
	t.Helper()
	var out []analyzer.Record
	for _, owner := range sortedKeys(cals) {
		res, err := ics.DecodeBytes(cals[owner], ics.Options{Where: owner})
		if err != nil {
			t.Fatalf("%s: %v", owner, err)
		}
		for _, p := range res.Problems {
			t.Errorf("%s: problem: %v", owner, p)
		}
		for _, w := range res.Warnings {
			t.Errorf("%s: warning: %v", owner, w)
		}
		for _, e := range res.Events {
			out = append(out, analyzer.Record{Calendar: calendar.Calendar{ID: owner, Owner: owner}, Event: e})
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func analyze(now time.Time, recs []analyzer.Record) analyzer.Report {
	return analyzer.Analyze(analyzer.Input{Now: now, Settings: analyzer.DefaultSettings(), Org: Org(), Records: recs})
}

func signalNames(p analyzer.PairReport) []string {
	var names []string
	for _, s := range p.Signals {
		names = append(names, s.Name)
	}
	return names
}

// The story holds whatever the weekday and hour of now, in every season:
// `rapport demo` anchors it at the clock.
func TestTheStoryHoldsAtAnyHour(t *testing.T) {
	for _, from := range []time.Time{
		time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC), // Europe and Sydney change clocks
		time.Date(2026, 9, 27, 0, 0, 0, 0, time.UTC), // Sydney, then Europe and New York change clocks
		time.Date(2027, 1, 4, 0, 0, 0, 0, time.UTC),  // a new year
	} {
		for now := from; now.Before(from.AddDate(0, 0, 15)); now = now.Add(11*time.Hour + 17*time.Minute) {
			r := analyze(now, twoSyncs(t, now, now.Add(-syncGap)))
			for _, p := range r.Pairs {
				id := strings.TrimSuffix(p.Report, "@example.com")
				w := want[id]
				if !slices.Equal(signalNames(p), w.signals) || p.Band != w.band {
					t.Errorf("at %v, %s: signals %v band %s, want %v %s; counts %+v", now, id, signalNames(p), p.Band, w.signals, w.band, p.Counts)
				}
				if id == "gita" && (p.Counts.Moved != 1 || p.Counts.LateMoved != 1) {
					t.Errorf("at %v, the re-timed one-off is not one late move: counts %+v", now, p.Counts)
				}
			}
		}
	}
}
