package google_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	gcal "google.golang.org/api/calendar/v3"

	"github.com/rapport-dev/rapport/calendar"
	"github.com/rapport-dev/rapport/calendar/google"
	"github.com/rapport-dev/rapport/calendar/google/googletest"
)

// mapped syncs the given items into a fresh calendar (zone Europe/Berlin)
// and returns the changes of a full sync.
func mapped(t *testing.T, items ...*gcal.Event) calendar.Changes {
	t.Helper()
	srv := googletest.NewServer(t)
	srv.AddCalendar(alice, alice, "Europe/Berlin")
	for _, it := range items {
		srv.Put(alice, it)
	}
	h := newHarness(t, srv, google.Config{Calendars: []string{alice}})
	return h.only()
}

func eventOf(t *testing.T, ch calendar.Changes, uid string, rid time.Time) calendar.Event {
	t.Helper()
	for _, e := range ch.Events {
		if e.UID == uid && e.RecurrenceID.Equal(rid) {
			return e
		}
	}
	t.Fatalf("no event %s@%s among %v (problems %v)", uid, rid, uids(ch), ch.Problems)
	return calendar.Event{}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestGoogleEventsMapFaithfullyOntoTheModel(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(e *gcal.Event)
		check func(t *testing.T, e calendar.Event)
	}{
		{"response statuses become participation statuses", func(e *gcal.Event) {
			e.Attendees = []*gcal.EventAttendee{
				{Email: "A@Example.com", ResponseStatus: "needsAction"},
				{Email: "b@example.com", ResponseStatus: "declined"},
				{Email: "c@example.com", ResponseStatus: "tentative"},
				{Email: "d@example.com", ResponseStatus: "accepted"},
			}
		}, func(t *testing.T, e calendar.Event) {
			want := []calendar.PartStat{calendar.PartStatNeedsAction, calendar.PartStatDeclined, calendar.PartStatTentative, calendar.PartStatAccepted}
			for i, a := range e.Attendees {
				if a.Status != want[i] {
					t.Errorf("attendee %d: %s, want %s", i, a.Status, want[i])
				}
			}
			if e.Attendees[0].Email != "a@example.com" {
				t.Errorf("email %q not canonical", e.Attendees[0].Email)
			}
		}},
		{"rooms and resources are not people; optional guests are optional", func(e *gcal.Event) {
			e.Attendees = []*gcal.EventAttendee{
				{Email: alice, DisplayName: "Alice", ResponseStatus: "accepted", Organizer: true, Self: true},
				{Email: "c_188abc@resource.calendar.google.com", DisplayName: "Spree (4th floor)", Resource: true, ResponseStatus: "accepted"},
				{Email: "projector@example.com", Resource: true, ResponseStatus: "accepted"},
				{Email: bob, Optional: true, ResponseStatus: "needsAction"},
			}
		}, func(t *testing.T, e calendar.Event) {
			kinds := []calendar.AttendeeKind{calendar.KindPerson, calendar.KindRoom, calendar.KindResource, calendar.KindPerson}
			for i, a := range e.Attendees {
				if a.Kind != kinds[i] {
					t.Errorf("attendee %s: kind %s, want %s", a.Email, a.Kind, kinds[i])
				}
			}
			if e.Attendees[0].Name != "Alice" || e.Attendees[0].Optional || !e.Attendees[3].Optional {
				t.Errorf("attendees %+v", e.Attendees)
			}
		}},
		{"organizer, sequence, created and updated are kept", func(e *gcal.Event) {
			e.Organizer = &gcal.EventOrganizer{Email: "Alice@Example.com"}
			e.Sequence = 3
			e.Created = "2025-12-01T08:00:00.000Z"
			e.Updated = "2026-01-02T10:11:12.345Z"
		}, func(t *testing.T, e calendar.Event) {
			if e.Organizer != alice || e.Sequence != 3 {
				t.Errorf("organizer %q, sequence %d", e.Organizer, e.Sequence)
			}
			if !e.Created.Equal(mustTime(t, "2025-12-01T08:00:00Z")) || !e.LastModified.Equal(mustTime(t, "2026-01-02T10:11:12.345Z")) {
				t.Errorf("created %s, last modified %s", e.Created, e.LastModified)
			}
		}},
		{"a tentative event is tentative", func(e *gcal.Event) { e.Status = "tentative" },
			func(t *testing.T, e calendar.Event) {
				if e.Status != calendar.StatusTentative {
					t.Errorf("status %s", e.Status)
				}
			}},
		{"out of office excuses, and is typed so", func(e *gcal.Event) {
			e.EventType, e.Transparency = "outOfOffice", ""
		}, func(t *testing.T, e calendar.Event) {
			if e.Type != calendar.TypeOutOfOffice {
				t.Errorf("type %q", e.Type)
			}
		}},
		{"focus time", func(e *gcal.Event) { e.EventType = "focusTime" },
			func(t *testing.T, e calendar.Event) {
				if e.Type != calendar.TypeFocusTime {
					t.Errorf("type %q", e.Type)
				}
			}},
		{"working location, transparent", func(e *gcal.Event) { e.EventType, e.Transparency = "workingLocation", "transparent" },
			func(t *testing.T, e calendar.Event) {
				if e.Type != calendar.TypeWorkingLocation || !e.Transparent {
					t.Errorf("type %q, transparent %v", e.Type, e.Transparent)
				}
			}},
		{"birthday", func(e *gcal.Event) { e.EventType = "birthday" },
			func(t *testing.T, e calendar.Event) {
				if e.Type != calendar.TypeBirthday {
					t.Errorf("type %q", e.Type)
				}
			}},
		{"fromGmail is a plain meeting", func(e *gcal.Event) { e.EventType = "fromGmail" },
			func(t *testing.T, e calendar.Event) {
				if e.Type != calendar.TypeDefault || e.Transparent {
					t.Errorf("type %q, transparent %v", e.Type, e.Transparent)
				}
			}},
		{"a description is an agenda", func(e *gcal.Event) { e.Description = "<p>1. growth</p>" },
			func(t *testing.T, e calendar.Event) {
				if !e.HasDescription {
					t.Error("no agenda seen")
				}
			}},
		{"a blank description is none", func(e *gcal.Event) { e.Description = " \n " },
			func(t *testing.T, e calendar.Event) {
				if e.HasDescription {
					t.Error("agenda seen in blanks")
				}
			}},
		{"an attached document is an agenda", func(e *gcal.Event) {
			e.Attachments = []*gcal.EventAttachment{{FileId: "1abc", FileUrl: "https://docs.google.com/document/d/1abc", Title: "Agenda"}}
		}, func(t *testing.T, e calendar.Event) {
			if !e.HasDescription {
				t.Error("no agenda seen")
			}
		}},
		{"an all-day event starts at midnight in the calendar's zone", func(e *gcal.Event) {
			e.Start = &gcal.EventDateTime{Date: "2026-03-02"}
			e.End = &gcal.EventDateTime{Date: "2026-03-04"}
		}, func(t *testing.T, e calendar.Event) {
			if !e.AllDay || e.Start.Format(time.RFC3339) != "2026-03-02T00:00:00+01:00" || e.Start.Location().String() != "Europe/Berlin" ||
				e.End.Format(time.RFC3339) != "2026-03-04T00:00:00+01:00" {
				t.Errorf("all day %v, %s – %s (%s)", e.AllDay, e.Start, e.End, e.Start.Location())
			}
		}},
		{"start.timeZone is the event's zone", func(e *gcal.Event) {
			e.Start = &gcal.EventDateTime{DateTime: "2026-03-02T15:00:00Z", TimeZone: "America/New_York"}
			e.End = &gcal.EventDateTime{DateTime: "2026-03-02T15:30:00Z", TimeZone: "America/New_York"}
		}, func(t *testing.T, e calendar.Event) {
			if e.Start.Location().String() != "America/New_York" || e.Start.Format(time.RFC3339) != "2026-03-02T10:00:00-05:00" {
				t.Errorf("start %s in %s", e.Start, e.Start.Location())
			}
		}},
		{"a single event without timeZone keeps its written offset", func(e *gcal.Event) {
			e.Start = &gcal.EventDateTime{DateTime: "2026-03-02T10:00:00+05:30"}
			e.End = &gcal.EventDateTime{DateTime: "2026-03-02T10:30:00+05:30"}
		}, func(t *testing.T, e calendar.Event) {
			if _, off := e.Start.Zone(); off != 5*3600+1800 || e.Start.Location() == time.Local {
				t.Errorf("start %s in %q", e.Start, e.Start.Location())
			}
		}},
		{"a Windows zone name is understood", func(e *gcal.Event) {
			e.Start = &gcal.EventDateTime{DateTime: "2026-03-02T10:00:00+01:00", TimeZone: "W. Europe Standard Time"}
		}, func(t *testing.T, e calendar.Event) {
			if e.Start.Location().String() != "Europe/Berlin" {
				t.Errorf("zone %s", e.Start.Location())
			}
		}},
		{"an end that is unspecified is the start", func(e *gcal.Event) { e.EndTimeUnspecified = true },
			func(t *testing.T, e calendar.Event) {
				if !e.End.Equal(e.Start) {
					t.Errorf("end %s, start %s", e.End, e.Start)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := single(t, "ev1", "2026-03-02T10:00", 30)
			tt.edit(e)
			ch := mapped(t, e)
			if len(ch.Problems) > 0 {
				t.Fatalf("problems: %v", ch.Problems)
			}
			tt.check(t, eventOf(t, ch, "ev1@google.com", time.Time{}))
		})
	}
}

func TestExceptionsAreOverridesOfTheirMastersUID(t *testing.T) {
	master := weekly(t, "s1", "2026-03-02T10:00", 60, alice, bob)
	master.ICalUID = "040000008200E00074C5B7101A82E008@outlook" // an invitation from elsewhere
	moved := &gcal.Event{
		Id: "s1_20260309T090000Z", ICalUID: master.ICalUID, Status: "confirmed",
		RecurringEventId: "s1", OriginalStartTime: timed(t, "2026-03-09T10:00", "Europe/Berlin"),
		Start: timed(t, "2026-03-10T14:00", "Europe/Berlin"), End: timed(t, "2026-03-10T14:30", "Europe/Berlin"),
		Attendees: master.Attendees, Summary: master.Summary, Sequence: 1,
	}
	cancelled := &gcal.Event{ // all Google guarantees of a cancelled instance
		Id: "s1_20260316T090000Z", Status: "cancelled",
		RecurringEventId: "s1", OriginalStartTime: timed(t, "2026-03-16T10:00", "Europe/Berlin"),
	}
	ch := mapped(t, master, moved, cancelled)
	if len(ch.Problems) > 0 {
		t.Fatal(ch.Problems)
	}
	m := eventOf(t, ch, master.ICalUID, time.Time{})
	if m.Recurrence == nil || !slices.Equal(m.Recurrence.Rules, []string{"FREQ=WEEKLY"}) || m.Start.Location().String() != "Europe/Berlin" {
		t.Fatalf("master recurrence %+v in %s", m.Recurrence, m.Start.Location())
	}
	o := eventOf(t, ch, master.ICalUID, mustTime(t, "2026-03-09T10:00:00+01:00"))
	if o.Recurrence != nil || o.Start.Format(time.RFC3339) != "2026-03-10T14:00:00+01:00" || o.Sequence != 1 {
		t.Errorf("moved override: start %s, recurrence %v", o.Start, o.Recurrence)
	}
	c := eventOf(t, ch, master.ICalUID, mustTime(t, "2026-03-16T10:00:00+01:00"))
	if c.Status != calendar.StatusCancelled || c.Duration() != time.Hour {
		t.Errorf("cancelled override: status %s, duration %s; want cancelled and the series' hour", c.Status, c.Duration())
	}

	occ := expand(t, ch, "2026-03-01T00:00:00Z", "2026-03-24T00:00:00Z")
	want := []string{
		"2026-03-02T10:00 planned 2026-03-02T10:00 CONFIRMED",
		"2026-03-10T14:00 planned 2026-03-09T10:00 CONFIRMED",
		"2026-03-16T10:00 planned 2026-03-16T10:00 CANCELLED",
		"2026-03-23T10:00 planned 2026-03-23T10:00 CONFIRMED",
	}
	if !slices.Equal(occ, want) {
		t.Errorf("occurrences\n%s\nwant\n%s", strings.Join(occ, "\n"), strings.Join(want, "\n"))
	}
}

func TestRecurrenceLinesGoThroughTheOneEngine(t *testing.T) {
	master := weekly(t, "s1", "2026-03-02T10:00", 30, alice, bob)
	master.Recurrence = []string{
		"RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=6",
		"EXDATE;TZID=Europe/Berlin:20260309T100000",
		"EXDATE:20260323T090000Z",
		"RDATE;TZID=Europe/Berlin:20260318T160000",
	}
	ch := mapped(t, master)
	if len(ch.Problems) > 0 {
		t.Fatal(ch.Problems)
	}
	got := expand(t, ch, "2026-03-01T00:00:00Z", "2026-05-01T00:00:00Z")
	// Berlin moves to summer time on 29 March: the slot stays at 10:00.
	want := []string{
		"2026-03-02T10:00 planned 2026-03-02T10:00 CONFIRMED",
		"2026-03-16T10:00 planned 2026-03-16T10:00 CONFIRMED",
		"2026-03-18T16:00 planned 2026-03-18T16:00 CONFIRMED",
		"2026-03-30T10:00 planned 2026-03-30T10:00 CONFIRMED",
		"2026-04-06T10:00 planned 2026-04-06T10:00 CONFIRMED",
	}
	if !slices.Equal(got, want) {
		t.Errorf("occurrences\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestAnAllDaySeriesCancelledOnOneDay(t *testing.T) {
	master := &gcal.Event{
		Id: "ooo", ICalUID: "ooo@google.com", Status: "confirmed", EventType: "outOfOffice",
		Start: &gcal.EventDateTime{Date: "2026-03-02"}, End: &gcal.EventDateTime{Date: "2026-03-03"},
		Recurrence: []string{"RRULE:FREQ=DAILY;COUNT=3"},
	}
	cancelled := &gcal.Event{Id: "ooo_20260303", Status: "cancelled", RecurringEventId: "ooo",
		OriginalStartTime: &gcal.EventDateTime{Date: "2026-03-03"}}
	ch := mapped(t, master, cancelled)
	got := expand(t, ch, "2026-03-01T00:00:00Z", "2026-03-10T00:00:00Z")
	want := []string{
		"2026-03-02T00:00 planned 2026-03-02T00:00 CONFIRMED",
		"2026-03-03T00:00 planned 2026-03-03T00:00 CANCELLED",
		"2026-03-04T00:00 planned 2026-03-04T00:00 CONFIRMED",
	}
	if !slices.Equal(got, want) {
		t.Errorf("occurrences\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestABrokenEventIsAProblemNamingItsPropertyAndTheRestIsKept(t *testing.T) {
	tests := []struct {
		name string
		edit func(e *gcal.Event)
		prop string
	}{
		{"a malformed rule", func(e *gcal.Event) { e.Recurrence = []string{"RRULE:FREQ=WEEKLY;UNTL=2026"} }, "RRULE"},
		{"an EXRULE", func(e *gcal.Event) { e.Recurrence = []string{"RRULE:FREQ=DAILY", "EXRULE:FREQ=WEEKLY"} }, "EXRULE"},
		{"an unknown zone in EXDATE", func(e *gcal.Event) {
			e.Recurrence = []string{"RRULE:FREQ=DAILY", "EXDATE;TZID=Mars/Olympus:20260303T100000"}
		}, "EXDATE"},
		{"no start", func(e *gcal.Event) { e.Start = nil }, "start"},
		{"a start that is no time", func(e *gcal.Event) { e.Start = &gcal.EventDateTime{DateTime: "tomorrow"} }, "start"},
		{"an end before the start", func(e *gcal.Event) { e.End = &gcal.EventDateTime{DateTime: "2020-01-01T00:00:00Z"} }, "end"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := single(t, "bad", "2026-03-02T10:00", 30)
			tt.edit(bad)
			ch := mapped(t, bad, single(t, "good", "2026-03-03T10:00", 30))
			if !slices.Equal(uids(ch), []string{"good@google.com"}) {
				t.Errorf("events %v, want only the good one", uids(ch))
			}
			if len(ch.Problems) != 1 {
				t.Fatalf("problems %v, want one", ch.Problems)
			}
			p := ch.Problems[0]
			if p.Object != "bad@google.com" || p.Property != tt.prop || !strings.Contains(p.Where, alice) {
				t.Errorf("problem %+v (%v), want object bad@google.com, property %s, in %s", p, p, tt.prop, alice)
			}
		})
	}
}

func TestADeletedEventKnownOnlyByItsIDIsAttributedToItsICalUID(t *testing.T) {
	srv := googletest.NewServer(t)
	srv.AddCalendar(alice, alice, "Europe/Berlin")
	master := weekly(t, "s1", "2026-03-02T10:00", 30, alice, bob)
	master.ICalUID = "invite-from-elsewhere@example.org"
	other := weekly(t, "s2", "2026-03-03T10:00", 30, alice, bob)
	other.ICalUID = "another-invite@example.org"
	srv.Put(alice, master)
	h := newHarness(t, srv, google.Config{Calendars: []string{alice}})
	h.only()

	// Seen by this source: attributed without a request.
	srv.CancelInstance(alice, "s1", timed(t, "2026-03-09T10:00", "Europe/Berlin"))
	srv.ResetRequests()
	ch := h.only()
	if len(ch.Events) != 1 || ch.Events[0].UID != master.ICalUID || ch.Events[0].Status != calendar.StatusCancelled {
		t.Fatalf("events %v", uids(ch))
	}
	if n := srv.Count("", ""); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}

	// Not seen by this source (created and cancelled between two polls
	// of a freshly started daemon): one events.get finds it.
	fresh := newHarness(t, srv, google.Config{Calendars: []string{alice}})
	fresh.cursors = h.cursors
	srv.Put(alice, other)
	srv.Put(alice, &gcal.Event{Id: "s2_20260310T090000Z", Status: "cancelled", RecurringEventId: "s2",
		OriginalStartTime: timed(t, "2026-03-10T10:00", "Europe/Berlin")})
	srv.ResetRequests()
	ch = fresh.only()
	if n := srv.Count(googletest.CallEventsGet, alice); n != 0 {
		t.Errorf("%d events.get though the master came in the same listing", n)
	}
	srv.Delete(alice, "s2")
	srv.ResetRequests()
	fresh2 := newHarness(t, srv, google.Config{Calendars: []string{alice}})
	fresh2.cursors = fresh.cursors
	ch = fresh2.only()
	if !slices.Equal(ch.Deleted, []string{other.ICalUID}) {
		t.Errorf("deleted %v, want %s", ch.Deleted, other.ICalUID)
	}
	if n := srv.Count(googletest.CallEventsGet, alice); n != 1 {
		t.Errorf("%d events.get, want 1 to find the iCalUID", n)
	}
}

func TestACancelledSeriesTakesItsExceptionsWithIt(t *testing.T) {
	srv := googletest.NewServer(t)
	srv.AddCalendar(alice, alice, "Europe/Berlin")
	srv.Put(alice, weekly(t, "s1", "2026-03-02T10:00", 30, alice, bob))
	h := newHarness(t, srv, google.Config{Calendars: []string{alice}})
	h.only()
	srv.CancelInstance(alice, "s1", timed(t, "2026-03-09T10:00", "Europe/Berlin"))
	srv.Delete(alice, "s1")
	ch := h.only()
	if len(ch.Events) != 0 || !slices.Equal(ch.Deleted, []string{"s1@google.com"}) {
		t.Errorf("events %v, deleted %v; want the series deleted and nothing else", uids(ch), ch.Deleted)
	}
	// A full re-read neither lists it nor its exceptions.
	srv.ExpireSyncTokens(alice)
	ch = h.only()
	if !ch.Full || len(ch.Events) != 0 || len(ch.Deleted) != 0 {
		t.Errorf("full re-read: full %v, events %v, deleted %v; want an empty snapshot", ch.Full, uids(ch), ch.Deleted)
	}
}

func TestParseRecurrence(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	start := time.Date(2026, 3, 2, 10, 0, 0, 0, berlin)
	tests := []struct {
		name    string
		lines   []string
		check   func(t *testing.T, r *calendar.Recurrence)
		wantErr string
	}{
		{"nothing is no recurrence", nil, func(t *testing.T, r *calendar.Recurrence) {
			if r != nil {
				t.Errorf("%+v", r)
			}
		}, ""},
		{"rules are kept as written, each once", []string{"RRULE:FREQ=WEEKLY;BYDAY=MO", "RRULE:FREQ=WEEKLY;BYDAY=MO"}, func(t *testing.T, r *calendar.Recurrence) {
			if !slices.Equal(r.Rules, []string{"FREQ=WEEKLY;BYDAY=MO"}) {
				t.Errorf("%v", r.Rules)
			}
		}, ""},
		{"EXDATE values: zoned, UTC, floating in the series' zone, and whole days", []string{
			"EXDATE;TZID=America/New_York:20260303T040000,20260304T040000",
			"EXDATE:20260305T090000Z",
			"EXDATE:20260306T100000",
			"EXDATE;VALUE=DATE:20260307",
		}, func(t *testing.T, r *calendar.Recurrence) {
			var got []string
			for _, x := range r.ExDates {
				got = append(got, x.UTC().Format("2006-01-02T15:04Z"))
			}
			want := []string{"2026-03-03T09:00Z", "2026-03-04T09:00Z", "2026-03-05T09:00Z", "2026-03-06T09:00Z"}
			if !slices.Equal(got, want) {
				t.Errorf("ExDates %v, want %v", got, want)
			}
			if len(r.ExDateDates) != 1 || r.ExDateDates[0].Format("2006-01-02") != "2026-03-07" {
				t.Errorf("ExDateDates %v", r.ExDateDates)
			}
		}, ""},
		{"RDATE periods with an end or a duration", []string{"RDATE;VALUE=PERIOD:20260310T090000Z/20260310T100000Z,20260311T090000Z/PT45M"},
			func(t *testing.T, r *calendar.Recurrence) {
				if len(r.RDates) != 2 || r.RDates[0].End.Sub(r.RDates[0].Start) != time.Hour || r.RDates[1].End.Sub(r.RDates[1].Start) != 45*time.Minute {
					t.Errorf("%+v", r.RDates)
				}
			}, ""},
		{"a quoted TZID", []string{`EXDATE;TZID="Europe/Berlin":20260309T100000`}, func(t *testing.T, r *calendar.Recurrence) {
			if len(r.ExDates) != 1 || !r.ExDates[0].Equal(start.AddDate(0, 0, 7)) {
				t.Errorf("%v", r.ExDates)
			}
		}, ""},
		{"a malformed rule", []string{"RRULE:FREQ=SOMETIMES"}, nil, "RRULE: "},
		{"an EXRULE", []string{"EXRULE:FREQ=DAILY"}, nil, "EXRULE: not supported"},
		{"an unknown line", []string{"XRULE:FREQ=DAILY"}, nil, `recurrence: unknown line "XRULE"`},
		{"a line without a value", []string{"RRULE"}, nil, "is not a content line"},
		{"an unknown zone", []string{"EXDATE;TZID=Nowhere/Atlantis:20260309T100000"}, nil, "EXDATE: calendar: unknown time zone"},
		{"a period on EXDATE", []string{"EXDATE:20260310T090000Z/PT1H"}, nil, "EXDATE: "},
		{"a bad date", []string{"EXDATE;VALUE=DATE:2026-03-09"}, nil, "EXDATE: "},
		{"too many lines", slices.Repeat([]string{"RDATE:20260310T090000Z"}, 101), nil, "more than the 100 allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := google.ParseRecurrence(tt.lines, start)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("err %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, r)
		})
	}
}

// expand expands every series of the changes over [from, to) and renders
// each occurrence as "start planned planned-start STATUS", wall-clock in
// the series' zone.
func expand(t *testing.T, ch calendar.Changes, from, to string) []string {
	t.Helper()
	var out []string
	for _, s := range calendar.GroupSeries(ch.Events) {
		occ, err := s.Expand(mustTime(t, from), mustTime(t, to), calendar.ExpandOptions{})
		if err != nil {
			t.Fatalf("expand %s: %v", s.UID, err)
		}
		for _, o := range occ {
			loc := o.Start.Location()
			if s.Master != nil {
				loc = s.Master.Start.Location()
			}
			out = append(out, o.Start.In(loc).Format("2006-01-02T15:04")+" planned "+o.PlannedStart.In(loc).Format("2006-01-02T15:04")+" "+string(o.Status))
		}
	}
	slices.Sort(out)
	return out
}

func TestDeletedEventsCostNoLookupsInAFullReadAndFewInAnIncrementalOne(t *testing.T) {
	srv := googletest.NewServer(t)
	srv.AddCalendar(alice, alice, "Europe/Berlin")
	for i := range 30 {
		srv.Put(alice, single(t, fmt.Sprintf("gone%02d", i), "2026-03-02T10:00", 30))
	}
	h := newHarness(t, srv, google.Config{Calendars: []string{alice}})
	h.only()
	for i := range 30 {
		srv.Delete(alice, fmt.Sprintf("gone%02d", i))
	}

	// A daemon started afresh reads the calendar whole: the deleted events
	// are listed, bare, and simply left out.
	fresh := newHarness(t, srv, google.Config{Calendars: []string{alice}})
	srv.ResetRequests()
	if ch := fresh.only(); len(ch.Events) != 0 || len(ch.Deleted) != 0 {
		t.Errorf("full read: events %v, deleted %v", uids(ch), ch.Deleted)
	}
	if n := srv.Count(googletest.CallEventsGet, ""); n != 0 {
		t.Errorf("a full read made %d events.get", n)
	}

	// An incremental poll that sees 30 deletions it cannot attribute looks
	// up a bounded number of them and assumes Google's own form for the
	// rest.
	srv.ResetRequests()
	again := newHarness(t, srv, google.Config{Calendars: []string{alice}})
	again.cursors = h.cursors
	ch := again.only()
	if len(ch.Deleted) != 30 {
		t.Errorf("%d deleted UIDs, want 30", len(ch.Deleted))
	}
	if n := srv.Count(googletest.CallEventsGet, ""); n > 20 {
		t.Errorf("%d events.get for one poll, want at most 20", n)
	}
}
