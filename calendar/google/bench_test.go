package google_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rapport-dev/rapport/calendar/google"
	"github.com/rapport-dev/rapport/calendar/google/googletest"
)

// BenchmarkNoChangePoll polls N unchanged calendars (each with a weekly
// 1:1 series and a few single events) through the fake server and reports
// the requests one poll costs and what that means for the quota: the
// calendars a 5-minute and a 10-minute poll can read within 1,000,000
// requests a day.
func BenchmarkNoChangePoll(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		b.Run(fmt.Sprintf("calendars=%d", n), func(b *testing.B) {
			srv := googletest.NewServer(b)
			var managers []string
			for i := range n {
				m := fmt.Sprintf("manager%04d@example.com", i)
				managers = append(managers, m)
				srv.AddCalendar(m, m, "Europe/Berlin")
				srv.Put(m, weekly(b, fmt.Sprintf("s%04d", i), "2026-01-05T10:00", 30, m, bob))
				for j := range 3 {
					srv.Put(m, single(b, fmt.Sprintf("e%04d%d", i, j), fmt.Sprintf("2026-01-%02dT15:00", 6+j), 30))
				}
			}
			src, err := google.New(google.Config{Name: "w", Auth: google.AuthNone, Endpoint: srv.Endpoint(),
				Calendars: []string{google.Managers}, Managers: managers, Parallel: 8}, nil, nil)
			if err != nil {
				b.Fatal(err)
			}
			cursors := map[string]string{}
			sync := func() {
				changes, err := src.Sync(context.Background(), cursors)
				if err != nil {
					b.Fatal(err)
				}
				for _, ch := range changes {
					if ch.Err != nil {
						b.Fatal(ch.Err)
					}
					cursors[ch.Calendar.ID] = ch.Cursor
				}
			}
			sync()
			srv.ResetRequests()
			b.ResetTimer()
			for b.Loop() {
				sync()
			}
			b.StopTimer()
			perPoll := float64(srv.Count("", "")) / float64(b.N)
			b.ReportMetric(perPoll, "requests/poll")
			b.ReportMetric(perPoll/float64(n), "requests/calendar")
			b.ReportMetric(float64(google.MaxCalendars(5*time.Minute))*float64(n)/perPoll, "max-calendars@5m")
			b.ReportMetric(float64(google.MaxCalendars(10*time.Minute))*float64(n)/perPoll, "max-calendars@10m")
		})
	}
}
