package google

import "time"

// Calendar API quotas, from Google's "Usage limits" page of the Calendar
// API (developers.google.com/workspace/calendar/api/guides/quota). See the
// package documentation for what they mean for an organisation's size.
const (
	// QuotaPerMinutePerProject is the default per-project rate limit.
	QuotaPerMinutePerProject = 10_000
	// QuotaPerMinutePerUser is the default per-user, per-project rate
	// limit. With domain-wide delegation every manager is a user of their
	// own; one OAuth user reading many calendars shares one.
	QuotaPerMinutePerUser = 600
	// QuotaPerDay is the daily request volume a source budgets against by
	// default: the former default daily quota of a project, which also
	// keeps a new project's daily billing threshold in view. Projects with
	// another daily figure set RequestBudget.
	QuotaPerDay = 1_000_000
)

// RequestsPerCalendarPoll is what polling a calendar costs when it has not
// changed, and usually when it has: one events.list with its sync token.
const RequestsPerCalendarPoll = 1

// BudgetFor is the request budget of one Sync that keeps a source polled
// every interval inside the project's quotas: the interval's share of
// QuotaPerDay, or of QuotaPerMinutePerProject if that is smaller. It is at
// least 1.
func BudgetFor(interval time.Duration) int {
	if interval <= 0 {
		return 0
	}
	daily := int64(QuotaPerDay) * int64(interval) / int64(24*time.Hour)
	perMinute := int64(QuotaPerMinutePerProject) * int64(interval) / int64(time.Minute)
	return int(max(min(daily, perMinute), 1))
}

// MaxCalendars is how many calendars a source polled every interval can
// read in every Sync on a no-change poll: BudgetFor(interval) divided by
// RequestsPerCalendarPoll.
func MaxCalendars(interval time.Duration) int {
	return BudgetFor(interval) / RequestsPerCalendarPoll
}

// MinInterval is the shortest poll interval at which every one of n
// calendars is read in every Sync within QuotaPerDay.
func MinInterval(n int) time.Duration {
	if n <= 0 {
		return 0
	}
	perDay := int64(n) * RequestsPerCalendarPoll
	// ceil(perDay × 24h / QuotaPerDay), to the second
	secs := (perDay*int64(24*time.Hour/time.Second) + QuotaPerDay - 1) / QuotaPerDay
	return time.Duration(secs) * time.Second
}
