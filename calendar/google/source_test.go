package google_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	gcal "google.golang.org/api/calendar/v3"

	"github.com/rapport-dev/rapport/calendar"
	"github.com/rapport-dev/rapport/calendar/google"
	"github.com/rapport-dev/rapport/calendar/google/googletest"
)

const (
	alice = "alice@example.com"
	bob   = "bob@example.com"
	carol = "carol@example.com"
)

func TestTheFirstSyncReadsTheWholeCalendarAndLaterOnesOnlyWhatChanged(t *testing.T) {
	srv := googletest.NewServer(t)
	srv.AddCalendar(alice, alice, "Europe/Berlin")
	srv.Put(alice, weekly(t, "series1", "2026-01-05T10:00", 30, alice, bob))
	srv.Put(alice, single(t, "oneoff1", "2026-01-07T15:00", 30))
	h := newHarness(t, srv, google.Config{Calendars: []string{google.Managers}, Managers: []string{alice}})

	first := h.only()
	if !first.Full || first.WholeSeries {
		t.Errorf("first sync: Full %v, WholeSeries %v; want a full snapshot of single events", first.Full, first.WholeSeries)
	}
	if got, want := uids(first), []string{"series1@google.com", "oneoff1@google.com"}; !slices.Equal(got, want) {
		t.Errorf("first sync events %v, want %v", got, want)
	}
	if first.Calendar.Owner != alice || first.Calendar.Name != alice {
		t.Errorf("calendar %+v, want owner and name %s", first.Calendar, alice)
	}
	if first.Cursor == "" {
		t.Fatal("first sync left no cursor")
	}

	unchanged := h.only()
	if unchanged.Full || len(unchanged.Events) != 0 || len(unchanged.Deleted) != 0 {
		t.Errorf("no-change poll: Full %v, %d events, deleted %v; want nothing", unchanged.Full, len(unchanged.Events), unchanged.Deleted)
	}

	moved := single(t, "oneoff1", "2026-01-08T15:00", 30)
	moved.Sequence, moved.Updated = 1, "2026-01-06T08:00:00.000Z"
	srv.Put(alice, moved)
	changed := h.only()
	if changed.Full || !slices.Equal(uids(changed), []string{"oneoff1@google.com"}) {
		t.Fatalf("after a move: Full %v, events %v; want only the moved event", changed.Full, uids(changed))
	}
	if got := changed.Events[0].Start.Format(time.RFC3339); got != "2026-01-08T15:00:00+01:00" {
		t.Errorf("moved start %s", got)
	}

	srv.Delete(alice, "series1")
	gone := h.only()
	if !slices.Equal(gone.Deleted, []string{"series1@google.com"}) || len(gone.Events) != 0 {
		t.Errorf("after deleting the series: deleted %v, events %v; want the series' UID deleted", gone.Deleted, uids(gone))
	}
}

func TestEveryRequestAsksForMastersWithExceptionsAndDeletedEventsInFullPages(t *testing.T) {
	srv := googletest.NewServer(t)
	srv.AddCalendar(alice, alice, "Europe/Berlin")
	srv.Put(alice, weekly(t, "series1", "2026-01-05T10:00", 30, alice, bob))
	h := newHarness(t, srv, google.Config{Calendars: []string{alice}})
	h.only()
	h.only()
	reqs := srv.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	for i, r := range reqs {
		q := r.Query
		for k, want := range map[string]string{"maxResults": "2500", "showDeleted": "true", "singleEvents": "false"} {
			if q.Get(k) != want {
				t.Errorf("request %d: %s=%q, want %q", i, k, q.Get(k), want)
			}
		}
		for _, k := range []string{"timeMin", "timeMax", "orderBy", "q", "updatedMin", "iCalUID"} {
			if q.Has(k) {
				t.Errorf("request %d has %s, which a sync token cannot be combined with", i, k)
			}
		}
		if !strings.Contains(q.Get("fields"), "nextSyncToken") || strings.Contains(q.Get("fields"), "location") {
			t.Errorf("request %d asks for fields %q; want a partial response without locations", i, q.Get("fields"))
		}
	}
	if reqs[0].Query.Has("syncToken") || !reqs[1].Query.Has("syncToken") {
		t.Error("the first request must be a full listing and the second an incremental one")
	}
}

func TestANoChangePollCostsExactlyOneRequestPerCalendar(t *testing.T) {
	for _, n := range []int{1, 10, 250} {
		t.Run(fmt.Sprintf("%d calendars", n), func(t *testing.T) {
			srv := googletest.NewServer(t)
			var managers []string
			for i := range n {
				m := fmt.Sprintf("manager%03d@example.com", i)
				managers = append(managers, m)
				srv.AddCalendar(m, m, "Europe/Berlin")
				srv.Put(m, weekly(t, fmt.Sprintf("series%03d", i), "2026-01-05T10:00", 30, m, bob))
			}
			h := newHarness(t, srv, google.Config{Calendars: []string{google.Managers}, Managers: managers})
			h.sync()
			srv.ResetRequests()
			for _, ch := range h.sync() {
				if ch.Err != nil || ch.Full || len(ch.Events) > 0 {
					t.Fatalf("calendar %s: err %v, full %v, %d events; want an empty incremental poll", ch.Calendar.ID, ch.Err, ch.Full, len(ch.Events))
				}
			}
			if got := srv.Count("", ""); got != n*google.RequestsPerCalendarPoll {
				t.Errorf("a no-change poll of %d calendars made %d requests, want %d", n, got, n)
			}
			for _, m := range managers {
				if got := srv.Count(googletest.CallEventsList, m); got != 1 {
					t.Fatalf("calendar %s: %d requests, want 1", m, got)
				}
			}
			t.Logf("no-change poll: %d calendars, %d requests (%.2f per calendar)", n, srv.Count("", ""), float64(srv.Count("", ""))/float64(n))
		})
	}
}

func TestAChangedCalendarStillCostsOneRequest(t *testing.T) {
	srv := googletest.NewServer(t)
	srv.AddCalendar(alice, alice, "Europe/Berlin")
	srv.Put(alice, weekly(t, "series1", "2026-01-05T10:00", 30, alice, bob))
	h := newHarness(t, srv, google.Config{Calendars: []string{alice}})
	h.only()
	srv.ResetRequests()
	moved := weekly(t, "series1", "2026-01-05T10:00", 30, alice, bob)
	srv.Put(alice, &gcal.Event{
		Id: "series1_20260112T090000Z", ICalUID: "series1@google.com", Status: "confirmed",
		RecurringEventId: "series1", OriginalStartTime: timed(t, "2026-01-12T10:00", "Europe/Berlin"),
		Start: timed(t, "2026-01-13T10:00", "Europe/Berlin"), End: timed(t, "2026-01-13T10:30", "Europe/Berlin"),
		Summary: moved.Summary, Attendees: moved.Attendees, Organizer: moved.Organizer,
	})
	srv.CancelInstance(alice, "series1", timed(t, "2026-01-19T10:00", "Europe/Berlin"))
	ch := h.only()
	if got := srv.Count("", ""); got != 1 {
		t.Errorf("a poll with two changes made %d requests, want 1", got)
	}
	if len(ch.Events) != 2 {
		t.Errorf("got %v, want the moved and the cancelled instance", uids(ch))
	}
}

func TestPagesAreFollowedAndOnlyTheLastOneCarriesTheSyncToken(t *testing.T) {
	srv := googletest.NewServer(t)
	srv.PageLimit = 3 // Google may return short pages
	srv.AddCalendar(alice, alice, "Europe/Berlin")
	for i := range 10 {
		srv.Put(alice, single(t, fmt.Sprintf("oneoff%02d", i), fmt.Sprintf("2026-01-%02dT10:00", i+5), 30))
	}
	h := newHarness(t, srv, google.Config{Calendars: []string{alice}})
	ch := h.only()
	if len(ch.Events) != 10 {
		t.Fatalf("%d events, want all 10 across pages", len(ch.Events))
	}
	if got := srv.Count("", ""); got != 4 {
		t.Errorf("%d requests for 10 events in pages of 3, want 4", got)
	}
	for i, r := range srv.Requests() {
		if (i == 0) == r.Query.Has("pageToken") {
			t.Errorf("request %d: pageToken present %v", i, r.Query.Has("pageToken"))
		}
	}
	srv.ResetRequests()
	if ch := h.only(); len(ch.Events) != 0 {
		t.Errorf("the next poll got %d events, want none: the sync token must come from the last page", len(ch.Events))
	}
	if got := srv.Count("", ""); got != 1 {
		t.Errorf("no-change poll after paging: %d requests, want 1", got)
	}
}

func TestAnExpiredSyncTokenRereadsThatCalendarAloneInFull(t *testing.T) {
	srv := googletest.NewServer(t)
	for _, m := range []string{alice, carol} {
		srv.AddCalendar(m, m, "Europe/Berlin")
		srv.Put(m, weekly(t, "series-"+m[:5], "2026-01-05T10:00", 30, m, bob))
	}
	h := newHarness(t, srv, google.Config{Calendars: []string{google.Managers}, Managers: []string{alice, carol}})
	h.sync()
	srv.ExpireSyncTokens(alice)
	srv.ResetRequests()
	got := byID(h.sync())
	if ch := got[alice]; ch.Err != nil || !ch.Full || len(ch.Events) != 1 {
		t.Errorf("alice: err %v, full %v, %d events; want a full re-read after 410", ch.Err, ch.Full, len(ch.Events))
	}
	if ch := got[carol]; ch.Err != nil || ch.Full {
		t.Errorf("carol: err %v, full %v; want her incremental poll untouched", ch.Err, ch.Full)
	}
	var statuses []int
	for _, r := range srv.Requests() {
		if r.Calendar == alice {
			statuses = append(statuses, r.Status)
		}
	}
	if !slices.Equal(statuses, []int{http.StatusGone, http.StatusOK}) {
		t.Errorf("alice's requests answered %v, want [410 200]", statuses)
	}
	if !strings.Contains(h.log.String(), "sync token expired") {
		t.Error("the re-read is not logged")
	}
}

func TestRateLimitsAndServerErrorsAreRetriedWithBackoffHonouringRetryAfter(t *testing.T) {
	tests := []struct {
		name       string
		fault      googletest.Fault
		wantWaits  int
		retryAfter time.Duration // 0: a jittered backoff
	}{
		{"429 with Retry-After waits as told", googletest.Fault{Status: 429, Reason: "rateLimitExceeded", RetryAfter: "7", Times: 2}, 2, 7 * time.Second},
		{"403 rateLimitExceeded backs off", googletest.Fault{Status: 403, Reason: "rateLimitExceeded", Times: 2}, 2, 0},
		{"403 userRateLimitExceeded backs off", googletest.Fault{Status: 403, Reason: "userRateLimitExceeded", Times: 1}, 1, 0},
		{"503 with Retry-After waits as told", googletest.Fault{Status: 503, Reason: "backendError", RetryAfter: "3", Times: 3}, 3, 3 * time.Second},
		{"500 backs off", googletest.Fault{Status: 500, Reason: "backendError", Times: 1}, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := googletest.NewServer(t)
			srv.AddCalendar(alice, alice, "Europe/Berlin")
			srv.Put(alice, weekly(t, "series1", "2026-01-05T10:00", 30, alice, bob))
			h := newHarness(t, srv, google.Config{Calendars: []string{alice}})
			h.src = mustNew(t, google.Config{Name: "w", Auth: google.AuthNone, Endpoint: srv.Endpoint(), Calendars: []string{alice},
				Retry: policyWith(h.sleeper, 5)})
			srv.Inject(tt.fault)
			ch := h.only()
			if len(ch.Events) != 1 {
				t.Errorf("%d events after the burst, want 1", len(ch.Events))
			}
			waits := h.sleeper.waits()
			if len(waits) != tt.wantWaits {
				t.Fatalf("waited %v, want %d waits", waits, tt.wantWaits)
			}
			for _, w := range waits {
				if tt.retryAfter > 0 && w != tt.retryAfter {
					t.Errorf("waited %s, want the server's Retry-After %s", w, tt.retryAfter)
				}
				if tt.retryAfter == 0 && w >= 10*time.Second {
					t.Errorf("waited %s, more than the policy allows", w)
				}
			}
			if got := srv.Count("", ""); got != tt.wantWaits+1 {
				t.Errorf("%d requests, want %d", got, tt.wantWaits+1)
			}
		})
	}
}

func TestQuotaAuthorizationAndMissingCalendarErrorsAreNotRetriedAndStayWithTheirCalendar(t *testing.T) {
	tests := []struct {
		name  string
		fault googletest.Fault
		want  string
	}{
		{"403 quotaExceeded", googletest.Fault{Status: 403, Reason: "quotaExceeded"}, "HTTP 403 Forbidden (quotaExceeded)"},
		{"403 dailyLimitExceeded", googletest.Fault{Status: 403, Reason: "dailyLimitExceeded"}, "(dailyLimitExceeded)"},
		{"401 authError", googletest.Fault{Status: 401, Reason: "authError"}, "HTTP 401 Unauthorized"},
		{"403 forbidden", googletest.Fault{Status: 403, Reason: "forbidden"}, "HTTP 403 Forbidden (forbidden)"},
		{"404 notFound", googletest.Fault{Status: 404, Reason: "notFound"}, "HTTP 404 Not Found"},
		{"400 invalid", googletest.Fault{Status: 400, Reason: "invalid"}, "HTTP 400 Bad Request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := googletest.NewServer(t)
			for _, m := range []string{alice, carol} {
				srv.AddCalendar(m, m, "Europe/Berlin")
				srv.Put(m, weekly(t, "series-"+m[:5], "2026-01-05T10:00", 30, m, bob))
			}
			h := newHarness(t, srv, google.Config{})
			h.src = mustNew(t, google.Config{Name: "w", Auth: google.AuthNone, Endpoint: srv.Endpoint(),
				Calendars: []string{google.Managers}, Managers: []string{alice, carol}, Retry: policyWith(h.sleeper, 5)})
			tt.fault.Calendar = alice
			srv.Inject(tt.fault)
			got := byID(h.sync())
			if err := got[alice].Err; err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "google: calendar alice@example.com: ") {
				t.Errorf("alice's error %v, want one naming the calendar and %q", err, tt.want)
			}
			if got[alice].Cursor != "" {
				t.Errorf("a failed first sync left cursor %q", got[alice].Cursor)
			}
			if ch := got[carol]; ch.Err != nil || len(ch.Events) != 1 {
				t.Errorf("carol: err %v, %d events; the other calendar must be unaffected", ch.Err, len(ch.Events))
			}
			if n := srv.Count("", alice); n != 1 {
				t.Errorf("alice's calendar was asked %d times, want once (no retry)", n)
			}
			if w := h.sleeper.waits(); len(w) != 0 {
				t.Errorf("waited %v before giving up, want no wait", w)
			}
		})
	}
}

func TestAFailedIncrementalSyncKeepsTheCursorForNextTime(t *testing.T) {
	srv := googletest.NewServer(t)
	srv.AddCalendar(alice, alice, "Europe/Berlin")
	srv.Put(alice, weekly(t, "series1", "2026-01-05T10:00", 30, alice, bob))
	h := newHarness(t, srv, google.Config{Calendars: []string{alice}, Retry: noRetry()})
	first := h.only()
	srv.Inject(googletest.Fault{Status: 503, Reason: "backendError"})
	changes := h.sync()
	if changes[0].Err == nil || changes[0].Cursor != first.Cursor {
		t.Errorf("failed poll: err %v, cursor %q; want an error and the old cursor %q", changes[0].Err, changes[0].Cursor, first.Cursor)
	}
}

func TestTheRequestBudgetDefersCalendarsAndTheNextSyncStartsWithThem(t *testing.T) {
	srv := googletest.NewServer(t)
	var managers []string
	for i := range 5 {
		m := fmt.Sprintf("m%d@example.com", i)
		managers = append(managers, m)
		srv.AddCalendar(m, m, "Europe/Berlin")
	}
	h := newHarness(t, srv, google.Config{Calendars: []string{google.Managers}, Managers: managers, RequestBudget: 3, Parallel: 1})
	synced := func(changes []calendar.Changes) (ok, deferred []string) {
		for _, ch := range changes {
			switch {
			case ch.Err == nil:
				ok = append(ok, ch.Calendar.ID)
			case errors.Is(ch.Err, google.ErrBudgetExhausted):
				deferred = append(deferred, ch.Calendar.ID)
			default:
				t.Fatalf("%s: %v", ch.Calendar.ID, ch.Err)
			}
		}
		return ok, deferred
	}
	ok, deferred := synced(h.sync())
	if !slices.Equal(ok, managers[:3]) || !slices.Equal(deferred, managers[3:]) {
		t.Fatalf("first sync: synced %v, deferred %v", ok, deferred)
	}
	if srv.Count("", "") != 3 {
		t.Errorf("first sync made %d requests with a budget of 3", srv.Count("", ""))
	}
	ok, _ = synced(h.sync())
	if !slices.Contains(ok, managers[3]) || !slices.Contains(ok, managers[4]) {
		t.Errorf("second sync synced %v; want it to start with the deferred %v", ok, managers[3:])
	}
	if !strings.Contains(h.log.String(), "request budget used up") {
		t.Error("deferral is not logged")
	}
}

func TestABudgetDerivedFromTheIntervalKeepsADayInsideTheQuota(t *testing.T) {
	for _, tt := range []struct {
		interval time.Duration
		want     int
	}{
		{time.Minute, 694},
		{5 * time.Minute, 3472},
		{10 * time.Minute, 6944},
		{time.Hour, 41666},
	} {
		if got := google.BudgetFor(tt.interval); got != tt.want {
			t.Errorf("BudgetFor(%s) = %d, want %d", tt.interval, got, tt.want)
		}
		if perDay := google.BudgetFor(tt.interval) * int(24*time.Hour/tt.interval); perDay > google.QuotaPerDay {
			t.Errorf("interval %s: %d requests a day, over the quota", tt.interval, perDay)
		}
	}
	if got := google.MinInterval(5000); got != 432*time.Second {
		t.Errorf("MinInterval(5000) = %s, want 7m12s", got)
	}
	t.Logf("5,000 managers need a poll interval of at least %s; at 5m a sync reads %d calendars, at 10m %d",
		google.MinInterval(5000), google.MaxCalendars(5*time.Minute), google.MaxCalendars(10*time.Minute))
}

func TestNoMoreThanParallelCalendarsAreSyncedAtOnce(t *testing.T) {
	srv := googletest.NewServer(t)
	var managers []string
	for i := range 12 {
		m := fmt.Sprintf("m%d@example.com", i)
		managers = append(managers, m)
		srv.AddCalendar(m, m, "UTC")
	}
	var inFlight, peak atomic.Int32
	client := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		time.Sleep(20 * time.Millisecond)
		return http.DefaultTransport.RoundTrip(r)
	})}
	src, err := google.New(google.Config{Name: "w", Auth: google.AuthNone, Endpoint: srv.Endpoint(),
		Calendars: []string{google.Managers}, Managers: managers, Parallel: 3}, client, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Sync(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if p := peak.Load(); p > 3 || p < 2 {
		t.Errorf("peak of %d requests at once, want up to Parallel=3 (and some parallelism)", p)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestAResponseLargerThanTheLimitIsRefused(t *testing.T) {
	srv := googletest.NewServer(t)
	srv.AddCalendar(alice, alice, "UTC")
	for i := range 50 {
		srv.Put(alice, single(t, fmt.Sprintf("e%02d", i), "2026-01-05T10:00", 30))
	}
	src := mustNew(t, google.Config{Name: "w", Auth: google.AuthNone, Endpoint: srv.Endpoint(), Calendars: []string{alice},
		MaxResponseBytes: 2000, Retry: noRetry()})
	changes, _ := src.Sync(context.Background(), nil)
	if err := changes[0].Err; err == nil || !strings.Contains(err.Error(), "MaxResponseBytes") {
		t.Errorf("err %v, want the response refused as too large", err)
	}
	if n := srv.Count("", ""); n != 1 {
		t.Errorf("%d requests, want 1: a too large response is not retried", n)
	}
}

func TestSyncFailsAsAWholeOnlyWhenTheContextIsDone(t *testing.T) {
	srv := googletest.NewServer(t)
	src := mustNew(t, google.Config{Name: "w", Auth: google.AuthNone, Endpoint: srv.Endpoint(), Calendars: []string{alice}})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := src.Sync(ctx, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Sync with a done context: %v", err)
	}
	changes, err := src.Sync(context.Background(), nil)
	if err != nil || len(changes) != 1 || changes[0].Err == nil {
		t.Errorf("Sync of a calendar the server does not have: err %v, changes %+v; want its Changes.Err", err, changes)
	}
}

func TestAnUnreadableCursorStartsOverWithAFullSync(t *testing.T) {
	srv := googletest.NewServer(t)
	srv.AddCalendar(alice, alice, "UTC")
	srv.Put(alice, single(t, "e1", "2026-01-05T10:00", 30))
	h := newHarness(t, srv, google.Config{Calendars: []string{alice}})
	h.cursors[alice] = "not json"
	if ch := h.only(); !ch.Full || len(ch.Events) != 1 {
		t.Errorf("full %v, %d events; want a full read", ch.Full, len(ch.Events))
	}
}

func TestLogsNameCalendarsButNeverTitlesOrTokens(t *testing.T) {
	srv := googletest.NewServer(t)
	srv.AddCalendar(alice, "Alice's calendar", "Europe/Berlin")
	ev := weekly(t, "series1", "2026-01-05T10:00", 30, alice, bob)
	ev.Summary = "Secret reorg talk <script>\r\nX-Injected: 1"
	srv.Put(alice, ev)
	h := newHarness(t, srv, google.Config{Calendars: []string{alice}})
	h.only()
	srv.Inject(googletest.Fault{Status: 503, RetryAfter: "1", Times: 1})
	h.only()
	log := h.log.String()
	if !strings.Contains(log, alice) {
		t.Error("logs do not name the calendar")
	}
	for _, secret := range []string{"Secret reorg", "syncToken", "s.ey", "pageToken"} {
		if strings.Contains(log, secret) {
			t.Errorf("logs contain %q:\n%s", secret, log)
		}
	}
}

func TestNewNamesTheBadField(t *testing.T) {
	tests := []struct {
		name string
		cfg  google.Config
		want string
	}{
		{"no name", google.Config{}, "google: Name: empty"},
		{"unknown auth", google.Config{Name: "w", Auth: "magic"}, `source "w": Auth: "magic" is not`},
		{"no auth", google.Config{Name: "w"}, `source "w": Auth: empty`},
		{"service account without a key", google.Config{Name: "w", Auth: google.AuthServiceAccount, Managers: []string{alice}}, "Credentials: empty"},
		{"service account key that is not JSON", google.Config{Name: "w", Auth: google.AuthServiceAccount, Managers: []string{alice}, Credentials: []byte("{nope")}, "Credentials: not a service-account JSON key: invalid JSON at offset"},
		{"oauth without a token file", google.Config{Name: "w", Auth: google.AuthOAuth, Credentials: []byte(`{"installed":{"client_id":"x","client_secret":"y","auth_uri":"https://a/","token_uri":"https://t/"}}`)}, "TokenFile: empty"},
		{"oauth cannot read every manager", google.Config{Name: "w", Auth: google.AuthOAuth, Calendars: []string{google.Managers}, Managers: []string{alice}}, "Calendars[0]: \"managers\" reads every manager's calendar"},
		{"managers without managers", google.Config{Name: "w", Auth: google.AuthNone, Endpoint: "http://127.0.0.1:1/", Calendars: []string{google.Managers}}, "Managers: empty"},
		{"a manager that is not an email", google.Config{Name: "w", Auth: google.AuthNone, Endpoint: "http://127.0.0.1:1/", Calendars: []string{google.Managers}, Managers: []string{alice, "bob"}}, `Managers[1]: "bob" is not an email address`},
		{"a report that is not an email", google.Config{Name: "w", Auth: google.AuthNone, Endpoint: "http://127.0.0.1:1/", Calendars: []string{google.Managers}, Managers: []string{alice}, Reports: []string{"x y"}, IncludeReports: true}, `Reports[0]`},
		{"auth none without endpoint", google.Config{Name: "w", Auth: google.AuthNone}, "Endpoint: empty; auth none"},
		{"endpoint with credentials", google.Config{Name: "w", Auth: google.AuthNone, Endpoint: "https://user:pw@proxy.example.com/"}, "Endpoint: \"https://proxy.example.com/\": credentials, a query or a fragment are not allowed"},
		{"endpoint not http", google.Config{Name: "w", Auth: google.AuthNone, Endpoint: "ftp://proxy.example.com/"}, "Endpoint: \"ftp://proxy.example.com/\" is not an http or https URL"},
		{"empty calendar id", google.Config{Name: "w", Auth: google.AuthNone, Endpoint: "http://127.0.0.1:1/", Calendars: []string{" "}}, "Calendars[0]: empty"},
		{"calendar id with a slash", google.Config{Name: "w", Auth: google.AuthNone, Endpoint: "http://127.0.0.1:1/", Calendars: []string{"../x"}}, "Calendars[0]: \"../x\" is not a calendar id"},
		{"negative parallel", google.Config{Name: "w", Auth: google.AuthNone, Endpoint: "http://127.0.0.1:1/", Parallel: -1}, "Parallel: -1 is negative"},
		{"negative budget", google.Config{Name: "w", Auth: google.AuthNone, Endpoint: "http://127.0.0.1:1/", RequestBudget: -1}, "RequestBudget: -1 is negative"},
		{"subject without a service account", google.Config{Name: "w", Auth: google.AuthNone, Endpoint: "http://127.0.0.1:1/", Subject: alice}, "Subject: only a service account"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := google.New(tt.cfg, nil, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New: %v, want an error containing %q", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "pw@") {
				t.Errorf("the error quotes a password: %v", err)
			}
		})
	}
}

func mustNew(t *testing.T, cfg google.Config) *google.Source {
	t.Helper()
	src, err := google.New(cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

func policyWith(s *fakeSleeper, attempts int) (p retryPolicy) {
	p.Attempts, p.Sleep, p.Max = attempts, s.Sleep, 10*time.Second
	return p
}
