package notifier

import (
	"testing"
	"time"

	"github.com/rapport-dev/rapport/analyzer"
	"github.com/rapport-dev/rapport/calendar"
	"github.com/rapport-dev/rapport/config"
)

func TestTheDirectoryTakesNamesAndSeriesFromCalendarsCleaned(t *testing.T) {
	start := time.Date(2025, 1, 6, 10, 0, 0, 0, time.UTC)
	master := calendar.Event{UID: "s1", Summary: "Ann / Mia\r\nBcc: x@y", Start: start,
		Recurrence: &calendar.Recurrence{Rules: []string{"FREQ=WEEKLY"}},
		Attendees:  []calendar.Attendee{{Email: ann, Name: "Ann\u202E Lee\r\n"}, {Email: mgr}}}
	override := calendar.Event{UID: "s1", RecurrenceID: start.AddDate(0, 0, 7), Summary: "moved", Start: start.AddDate(0, 0, 8),
		Attendees: []calendar.Attendee{{Email: ann, Name: "Someone Else"}}}
	for _, events := range [][]calendar.Event{{master, override}, {override, master}} {
		d := DirectoryFromEvents(events)
		if got := d.Name(ann); got != "Ann Lee" {
			t.Errorf("Name(ann) = %q, want the master's, cleaned", got)
		}
		if got := d.Name(mgr); got != mgr {
			t.Errorf("Name of someone without a name = %q, want the email", got)
		}
		s := d.Series["s1"]
		if s.Title != "Ann / Mia Bcc: x@y" || !s.Start.Equal(start) {
			t.Errorf("series = %+v", s)
		}
		pr := analyzer.PairReport{Occurrences: []analyzer.Occurrence{{UID: "s1"}, {UID: "unknown"}}}
		if got := d.Title(pr); got != "Ann / Mia Bcc: x@y" {
			t.Errorf("Title = %q", got)
		}
	}
}

func TestThePolicyFollowsTheConfiguration(t *testing.T) {
	cfg := config.Default()
	berlin := mustZone("Europe/Berlin")
	cfg.Location = berlin
	cfg.Notify.Cooldown = config.Duration(7 * 24 * time.Hour)
	cfg.Notify.Digest.Weekday = config.Weekday(time.Friday)
	p := FromConfig(cfg, nil)
	if p.Cooldown != 7*24*time.Hour || p.DigestDay != time.Friday || p.DigestAt != 9*60 || !p.BackOnTrack ||
		p.Window != (Window{Start: 8 * 60, End: 18 * 60, WeekdaysOnly: true}) || p.PrivacyMinGroup != 5 || p.zone("x@y") != berlin {
		t.Errorf("policy = %+v", p)
	}
	if s := SMTPConfigFrom(config.SMTP{Host: "h", Port: 465, TLS: "tls", Username: "u", Password: config.NewSecret("p")}); s.Password != "p" || s.TLS != "tls" {
		t.Errorf("smtp = %+v", s)
	}
}
