package config

import (
	"time"

	"github.com/rapport-dev/rapport/analyzer"
)

// applyDefaults fills in every key the file left out. It is the one place
// where defaults live (the field comments repeat them for readers of the
// API). set reports whether the file gave a key path a value: a key written
// with a zero value ("interval: 0s") is kept, so that validation rejects it
// instead of it being silently replaced.
func applyDefaults(c *Config, set func(path string) bool) {
	if !set("state") {
		c.State = "rapport.db"
	}
	if !set("timezone") {
		c.Timezone = "UTC"
	}
	if !set("window") {
		c.Window = Duration(analyzer.DefaultSettings().Window)
	}
	if !set("listen") {
		c.Listen = "127.0.0.1:9464"
	}
	if !set("retention") {
		// 13 months: a year of history plus the window it is compared with.
		c.Retention = Duration(395 * day)
	}

	if !set("org.privacy_min_group") {
		c.Org.PrivacyMinGroup = 5
	}

	for i := range c.Sources {
		s, p := &c.Sources[i], indexPath("sources", i)
		if !set(p + ".interval") {
			s.Interval = Duration(5 * time.Minute)
		}
		if !set(p + ".timeout") {
			s.Timeout = Duration(time.Minute)
		}
		if s.Type == TypeGoogle && !set(p+".calendars") {
			if s.Auth == AuthServiceAccount {
				s.Calendars = []string{GoogleManagers}
			} else {
				s.Calendars = []string{"primary"}
			}
		}
	}

	n := &c.Notify
	if !set("notify.smtp.tls") {
		n.SMTP.TLS = TLSStartTLS
	}
	if !set("notify.smtp.port") {
		switch n.SMTP.TLS {
		case TLSImplicit:
			n.SMTP.Port = 465
		case TLSNone:
			n.SMTP.Port = 25
		default:
			n.SMTP.Port = 587
		}
	}
	if !set("notify.cooldown") {
		n.Cooldown = Duration(14 * day)
	}
	if !set("notify.digest.weekday") {
		n.Digest.Weekday = Weekday(time.Monday)
	}
	if !set("notify.digest.time") {
		n.Digest.Time = 9 * 60
	}
	if !set("notify.send_window.start") {
		n.SendWindow.Start = 8 * 60
	}
	if !set("notify.send_window.end") {
		n.SendWindow.End = 18 * 60
	}
	if !set("notify.send_window.weekdays_only") {
		n.SendWindow.WeekdaysOnly = true
	}
	if !set("notify.back_on_track") {
		n.BackOnTrack = true
	}

	if !set("metrics.labels") {
		c.Metrics.Labels = LabelsManager
	}

	// The signal thresholds' defaults are the analyzer's: one place.
	a := analyzer.DefaultSettings()
	t := &c.Thresholds
	for _, d := range []struct {
		key string
		v   *float64
		def float64
	}{
		{"reschedule_rate", &t.RescheduleRate, a.RescheduleRate},
		{"shortened_rate", &t.ShortenedRate, a.ShortenedRate},
		{"shortened_ratio", &t.ShortenedRatio, a.ShortenedRatio},
		{"skip_rate", &t.SkipRate, a.SkipRate},
		{"cadence_factor", &t.CadenceFactor, a.CadenceFactor},
		{"cadence_trend_factor", &t.CadenceTrendFactor, a.CadenceTrendFactor},
		{"no_agenda_rate", &t.NoAgendaRate, a.NoAgendaRate},
	} {
		if !set("thresholds." + d.key) {
			*d.v = d.def
		}
	}
	if !set("thresholds.late_moves") {
		t.LateMoves = a.LateMoves
	}
	if !set("thresholds.late_notice") {
		t.LateNotice = Duration(a.LateNotice)
	}
	if !set("thresholds.max_gap") {
		t.MaxGap = Duration(a.MaxGap)
	}
}
