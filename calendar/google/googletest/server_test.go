package googletest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	gcal "google.golang.org/api/calendar/v3"

	"github.com/rapport-dev/rapport/calendar/google/googletest"
)

const cal = "alice@example.com"

func event(id string) *gcal.Event {
	return &gcal.Event{Id: id, ICalUID: id + "@google.com", Status: "confirmed", Summary: "1:1",
		Start: &gcal.EventDateTime{DateTime: "2026-03-02T10:00:00+01:00", TimeZone: "Europe/Berlin"},
		End:   &gcal.EventDateTime{DateTime: "2026-03-02T10:30:00+01:00", TimeZone: "Europe/Berlin"}}
}

type listResult struct {
	status int
	body   gcal.Events
	reason string
	raw    string
}

func list(t *testing.T, srv *googletest.Server, q url.Values) listResult {
	t.Helper()
	resp, err := http.Get(srv.URL + "/calendar/v3/calendars/" + url.PathEscape(cal) + "/events?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := listResult{status: resp.StatusCode, raw: string(raw)}
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			t.Fatal(err)
		}
		return r
	}
	var e struct {
		Error struct {
			Errors []struct{ Reason string }
		}
	}
	_ = json.Unmarshal(raw, &e)
	if len(e.Error.Errors) > 0 {
		r.reason = e.Error.Errors[0].Reason
	}
	return r
}

func newServer(t *testing.T, n int) *googletest.Server {
	srv := googletest.NewServer(t)
	srv.AddCalendar(cal, cal, "Europe/Berlin")
	for i := range n {
		srv.Put(cal, event(fmt.Sprintf("e%02d", i)))
	}
	return srv
}

// fullListing pages through a full listing and returns its sync token.
func fullListing(t *testing.T, srv *googletest.Server) string {
	t.Helper()
	q := url.Values{"showDeleted": {"true"}}
	for {
		r := list(t, srv, q)
		if r.status != 200 {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		if r.body.NextPageToken == "" {
			return r.body.NextSyncToken
		}
		q.Set("pageToken", r.body.NextPageToken)
	}
}

func TestTheFakeRefusesWhatEventsListRefuses(t *testing.T) {
	srv := newServer(t, 1)
	token := fullListing(t, srv)
	tests := []struct {
		name   string
		q      url.Values
		status int
	}{
		{"syncToken with timeMin", url.Values{"syncToken": {token}, "timeMin": {"2026-01-01T00:00:00Z"}}, 400},
		{"syncToken with timeMax", url.Values{"syncToken": {token}, "timeMax": {"2026-01-01T00:00:00Z"}}, 400},
		{"syncToken with orderBy", url.Values{"syncToken": {token}, "orderBy": {"updated"}}, 400},
		{"syncToken with q", url.Values{"syncToken": {token}, "q": {"1:1"}}, 400},
		{"syncToken with updatedMin", url.Values{"syncToken": {token}, "updatedMin": {"2026-01-01T00:00:00Z"}}, 400},
		{"syncToken with iCalUID", url.Values{"syncToken": {token}, "iCalUID": {"x"}}, 400},
		{"syncToken with showDeleted=false", url.Values{"syncToken": {token}, "showDeleted": {"false"}}, 400},
		{"orderBy=startTime without singleEvents", url.Values{"orderBy": {"startTime"}}, 400},
		{"a sync token that is not one", url.Values{"syncToken": {"garbage"}}, 400},
		{"maxResults of zero", url.Values{"maxResults": {"0"}}, 400},
		{"an unknown field", url.Values{"fields": {"items(id,colour)"}}, 400},
		{"unbalanced fields", url.Values{"fields": {"items(id"}}, 400},
		{"a page token of another listing", url.Values{"pageToken": {"p.eyJjIjoieCJ9"}}, 400},
		{"a plain incremental listing", url.Values{"syncToken": {token}}, 200},
		{"a plain full listing", url.Values{}, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r := list(t, srv, tt.q); r.status != tt.status {
				t.Errorf("status %d (%s), want %d", r.status, r.raw, tt.status)
			}
		})
	}
}

func TestTheFakePagesAndIssuesTheSyncTokenOnTheLastPageOnly(t *testing.T) {
	srv := newServer(t, 7)
	q := url.Values{"maxResults": {"3"}}
	var ids []string
	for page := 0; ; page++ {
		r := list(t, srv, q)
		if len(r.body.Items) > 3 {
			t.Fatalf("page %d has %d items for maxResults=3", page, len(r.body.Items))
		}
		for _, it := range r.body.Items {
			ids = append(ids, it.Id)
		}
		if r.body.NextPageToken != "" {
			if r.body.NextSyncToken != "" {
				t.Errorf("page %d carries both tokens", page)
			}
			q.Set("pageToken", r.body.NextPageToken)
			if page == 0 {
				// Changing a parameter between pages is refused.
				bad := url.Values{"pageToken": {r.body.NextPageToken}, "showDeleted": {"true"}}
				if got := list(t, srv, bad); got.status != 400 {
					t.Errorf("page token with other parameters: %d", got.status)
				}
			}
			continue
		}
		if r.body.NextSyncToken == "" {
			t.Error("the last page carries no sync token")
		}
		break
	}
	if len(ids) != 7 {
		t.Errorf("listed %v, want all 7 events once", ids)
	}
	if r := list(t, srv, url.Values{"maxResults": {"9999"}}); len(r.body.Items) != 7 || r.status != 200 {
		t.Errorf("maxResults above 2500 is capped, not refused: %d", r.status)
	}
}

func TestTheFakeReturnsChangesDeletionsAndCancelledInstancesSinceAToken(t *testing.T) {
	srv := newServer(t, 2)
	token := fullListing(t, srv)
	if r := list(t, srv, url.Values{"syncToken": {token}}); len(r.body.Items) != 0 || r.body.NextSyncToken == "" {
		t.Fatalf("no-change listing: %d items, token %q", len(r.body.Items), r.body.NextSyncToken)
	}
	srv.Delete(cal, "e00")
	srv.CancelInstance(cal, "series", &gcal.EventDateTime{DateTime: "2026-03-09T10:00:00+01:00", TimeZone: "Europe/Berlin"})
	r := list(t, srv, url.Values{"syncToken": {token}})
	if len(r.body.Items) != 2 {
		t.Fatalf("%d items, want the deletion and the cancelled instance", len(r.body.Items))
	}
	del, inst := r.body.Items[0], r.body.Items[1]
	if del.Id != "e00" || del.Status != "cancelled" || del.Summary != "" || del.ICalUID != "" {
		t.Errorf("deleted event %+v, want only its id and status", del)
	}
	if inst.Id != "series_20260309T090000Z" || inst.RecurringEventId != "series" || inst.OriginalStartTime == nil {
		t.Errorf("cancelled instance %+v", inst)
	}
	// A full listing without showDeleted leaves the deleted event out but
	// keeps the cancelled instance (singleEvents=false).
	r = list(t, srv, url.Values{})
	for _, it := range r.body.Items {
		if it.Id == "e00" {
			t.Error("a deleted event in a full listing without showDeleted")
		}
	}
	if len(r.body.Items) != 2 {
		t.Errorf("full listing: %d items, want e01 and the cancelled instance", len(r.body.Items))
	}
}

func TestTheFakeExpiresSyncTokensWith410(t *testing.T) {
	srv := newServer(t, 1)
	token := fullListing(t, srv)
	srv.ExpireSyncTokens(cal)
	r := list(t, srv, url.Values{"syncToken": {token}})
	if r.status != http.StatusGone || r.reason != "fullSyncRequired" {
		t.Errorf("status %d, reason %q", r.status, r.reason)
	}
}

func TestTheFakeInjectsBurstsWithRetryAfter(t *testing.T) {
	srv := newServer(t, 1)
	srv.Inject(googletest.Fault{Status: 429, Reason: "rateLimitExceeded", RetryAfter: "2", Times: 2})
	for i, want := range []int{429, 429, 200} {
		resp, err := http.Get(srv.URL + "/calendar/v3/calendars/" + cal + "/events")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want || (want == 429 && resp.Header.Get("Retry-After") != "2") {
			t.Errorf("request %d: %s, Retry-After %q", i, resp.Status, resp.Header.Get("Retry-After"))
		}
	}
	if got := srv.Count(googletest.CallEventsList, cal); got != 3 {
		t.Errorf("counted %d requests", got)
	}
}

func TestTheFakeAnswersOnlyTheFieldsAskedFor(t *testing.T) {
	srv := newServer(t, 1)
	r := list(t, srv, url.Values{"fields": {"nextSyncToken,items(id,start/dateTime)"}})
	if r.status != 200 || strings.Contains(r.raw, "summary") || strings.Contains(r.raw, "timeZone") || !strings.Contains(r.raw, `"dateTime"`) {
		t.Errorf("partial response %s", r.raw)
	}
}
