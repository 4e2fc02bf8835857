// Package google is the Google Calendar source: it reads calendars through
// the Calendar API v3 (google.golang.org/api/calendar/v3) into Rapport's
// calendar model, incrementally, within the API's quotas.
//
// # Modes
//
// Organisation mode (Auth service_account, Calendars "managers"): a
// service account with domain-wide delegation reads each manager's primary
// calendar as that manager (a JWT whose "sub" is the manager and whose
// scope is CalendarScope, read-only), and with IncludeReports each report's
// too, for their out-of-office events. A Workspace administrator grants the
// delegation once, in the Admin console, to the service account's client
// ID for CalendarScope (and DirectoryScope for DirectoryTeams).
//
// Single-user mode (Auth oauth): one user authorizes Rapport once with
// Authorize (an installed-app OAuth flow with a loopback redirect, state
// and PKCE); the token is stored in a 0600 file that the source refreshes
// and rewrites. A revoked authorization is reported as ErrReauthorize,
// naming the command to run again.
//
// Auth none with Endpoint talks to an emulator or a proxy that
// authenticates on its own; the tests use it with the fake server of
// package googletest.
//
// # Synchronisation
//
// Every calendar is read with events.list, singleEvents=false (a recurring
// event is its master, whose `recurrence` lines go through the one
// recurrence engine, plus one exception per changed or cancelled
// instance), showDeleted=true, maxResults=2500, page by page. The first
// sync reads everything and reports it Full; Google then hands out a sync
// token, kept as the calendar's cursor, and later syncs ask only for what
// changed since. When Google answers 410 Gone (the token expired), that
// calendar alone is read whole again. Each Google event becomes one
// calendar.Event (WholeSeries false): masters and single events keyed by
// their iCalUID, exceptions by the master's iCalUID and their
// originalStartTime. A cancelled master or single event is a deleted UID;
// a cancelled instance is an override with Status cancelled, a skipped
// slot.
//
// Rate limits (429, and 403 rateLimitExceeded / userRateLimitExceeded)
// and server errors (5xx) are retried through package retry, with
// exponential backoff and full jitter, honouring Retry-After. Quota
// exhaustion (403 quotaExceeded), authorization failures (401, 403) and
// missing calendars (404) are not retried: retrying would only spend
// quota. They are reported for that calendar alone (Changes.Err).
//
// # Quotas and the request budget
//
// A poll of a calendar that did not change costs exactly one request: one
// events.list with the calendar's sync token, answered by one empty page
// and the next token. Changes ride on that same request (up to 2,500 per
// page), so a normal poll costs one request per calendar whatever
// happened. More is spent only on a full read (the first sync, or after an
// expired token: ⌈events ÷ 2,500⌉ requests, one to three for a typical
// calendar), on an events.get for a deletion Google reports by id alone
// whose event this process has not seen yet (at most 20 per calendar and
// sync; none in a full read), and on retries.
//
// Google's Calendar API "Usage limits" page (2026) gives two default
// quotas: 10,000 requests per minute per project and 600 requests per minute
// per user per project, over a sliding minute. Since 2021 these per-minute
// quotas replaced the daily one of 1,000,000 requests per project, and since
// May 2026 projects created from then on have a per-project daily billing
// threshold instead (its figure is shown in the Cloud console). Rapport
// budgets against 1,000,000 requests a day (QuotaPerDay), the conservative
// reading of both; a project with another daily figure sets RequestBudget.
//
// With N calendars polled every I minutes, at one request per calendar:
//
//	per day:     N × 1,440 ÷ I ≤ 1,000,000   so  N ≤ 694.4 × I
//	per minute:  N ÷ I ≤ 10,000 on average   so  N ≤ 10,000 × I (never the binding limit)
//	per user:    with domain-wide delegation each manager is their own user,
//	             at 1 request per poll, far below 600 a minute; one OAuth
//	             user reading N calendars needs N ÷ I ≤ 600.
//
//	poll interval   calendars read in every poll
//	1 minute          694
//	5 minutes       3,472
//	10 minutes      6,944
//	15 minutes     10,416
//	30 minutes     20,833
//	1 hour         41,666
//
// A 5,000-manager organisation therefore needs an interval of at least
// 7.2 minutes (MinInterval); 10 minutes keeps 28% of the quota for full
// reads, changes and retries. Reading the reports' calendars too
// (IncludeReports) multiplies N by one plus the reports per manager: with
// 7 reports each, 40,000 calendars need an interval of 57.6 minutes.
//
// RequestBudget caps the requests of one Sync, retries included. With
// Interval set and no budget given it is BudgetFor(Interval), the
// interval's share of the daily quota (3,472 at 5 minutes), so that a too
// short interval cannot overrun the quota: the calendars that do not fit
// are reported with ErrBudgetExhausted, keep their cursors and are read
// first in the next Sync. Every calendar is still read, only less often:
// 5,000 calendars polled every 5 minutes are each read at least every 10
// minutes, every 7.2 on average.
// Parallel (default 4) bounds the burst: at about 150 ms a request, some
// 1,600 requests a minute, well inside 10,000.
package google
