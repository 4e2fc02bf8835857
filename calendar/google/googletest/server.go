// Package googletest is a fake of the Google APIs the Google Calendar
// source talks to, for tests: an httptest server that enforces the
// documented semantics of the Calendar API's events.list (sync tokens,
// paging, deleted events, 410 for expired tokens, the parameters that may
// not be combined), serves events.get and the Admin SDK Directory's
// users.list, and can inject failures (429, 403 rate limits, 5xx with
// Retry-After). OAuth, for the token side, is in oauth.go.
//
// The semantics follow the Calendar API reference for Events: list and
// the "Synchronize resources efficiently" guide:
//   - syncToken cannot be combined with timeMin, timeMax, orderBy, q,
//     updatedMin, iCalUID or the extended-property filters (400), nor with
//     showDeleted=false: deleted events are always part of an incremental
//     result;
//   - maxResults defaults to 250 and never exceeds 2500; a page may hold
//     fewer items (PageLimit), and nextPageToken says more follow;
//   - nextSyncToken is issued on the last page only;
//   - a sync token the server no longer honours is answered 410 Gone with
//     reason fullSyncRequired;
//   - with singleEvents=false, cancelled instances of recurring events are
//     listed even without showDeleted; cancelled masters and single events
//     only with it (or in an incremental result);
//   - a partial response (fields) returns only the fields asked for, and an
//     unknown field is a 400.
//
// It serves what a test puts in: events are google.golang.org/api types,
// stored as given and stamped with an etag and, if missing, updated.
package googletest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	admin "google.golang.org/api/admin/directory/v1"
	gcal "google.golang.org/api/calendar/v3"
)

// The calls the server answers, as named in Request.Call and Fault.Call.
const (
	CallEventsList = "events.list"
	CallEventsGet  = "events.get"
	CallUsersList  = "users.list"
)

// Server is a fake Calendar and Directory API.
type Server struct {
	*httptest.Server

	// Auth, when set, checks every request before it is answered; an error
	// makes it a 401 (or a 403 when the error is ErrForbidden).
	Auth func(r *http.Request, calendarID string) error
	// PageLimit, when positive, caps every page below maxResults, as
	// Google may ("the number of events in the resulting page may be less
	// than this value, or none at all").
	PageLimit int
	// Clock stamps the events put without `updated`. Default time.Now.
	Clock func() time.Time

	mu       sync.Mutex
	seq      int64
	cals     map[string]*fakeCalendar
	faults   []*Fault
	requests []Request
	users    []*admin.User
}

// ErrForbidden, returned by Server.Auth, makes a request a 403.
var ErrForbidden = fmt.Errorf("googletest: forbidden")

type fakeCalendar struct {
	id, summary, zone string
	gen               int // sync tokens of an earlier generation are expired
	events            map[string]*entry
}

type entry struct {
	ev  *gcal.Event
	seq int64 // when it last changed
	// kept is a deleted event with its details, which events.get still
	// returns ("cancelled events continue to expose event details").
	kept *gcal.Event
}

// Request is one request the server received.
type Request struct {
	Call     string // CallEventsList, CallEventsGet, CallUsersList, or "" for anything else
	Calendar string
	Query    url.Values
	Status   int // the status it was answered with
}

// Fault makes the next Times matching requests fail.
type Fault struct {
	Call       string // "" matches any call
	Calendar   string // "" matches any calendar
	Status     int
	Reason     string // Google's error reason, e.g. "rateLimitExceeded"
	RetryAfter string // the Retry-After header, if any
	Times      int    // how many requests it fails; at least 1
}

// NewServer starts a fake server; it is closed when the test ends if t is
// given (t may be nil, then the caller closes it).
func NewServer(t interface{ Cleanup(func()) }) *Server {
	s := &Server{cals: map[string]*fakeCalendar{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	if t != nil {
		t.Cleanup(s.Close)
	}
	return s
}

// Endpoint is the API root to configure a client with (google.Config's
// Endpoint).
func (s *Server) Endpoint() string { return s.URL + "/" }

// AddCalendar creates a calendar (or renames and re-zones it). zone is the
// calendar's IANA time zone, returned as events.list's timeZone.
func (s *Server) AddCalendar(id, summary, zone string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.cal(id)
	c.summary, c.zone = summary, zone
}

func (s *Server) cal(id string) *fakeCalendar {
	c := s.cals[id]
	if c == nil {
		c = &fakeCalendar{id: id, summary: id, events: map[string]*entry{}}
		s.cals[id] = c
	}
	return c
}

// Put inserts or replaces an event (by id) in a calendar, creating the
// calendar if needed. The event is copied; its etag is set, and its
// updated stamp if empty.
func (s *Server) Put(calendarID string, ev *gcal.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.put(calendarID, ev)
}

func (s *Server) put(calendarID string, ev *gcal.Event) {
	cp := clone(ev)
	s.seq++
	cp.Kind = "calendar#event"
	cp.Etag = fmt.Sprintf("%q", strconv.FormatInt(3485815948352798+s.seq, 10))
	if cp.Updated == "" {
		cp.Updated = s.now().UTC().Format("2006-01-02T15:04:05.000Z")
	}
	s.cal(calendarID).events[cp.Id] = &entry{ev: cp, seq: s.seq}
}

func (s *Server) now() time.Time {
	if s.Clock != nil {
		return s.Clock()
	}
	return time.Now()
}

// Delete deletes an event the way Google records it: the event stays,
// with status "cancelled". Listings show only what Google guarantees of a
// deleted event (id; for an instance also recurringEventId and
// originalStartTime); events.get still shows its details, as Google does on
// the organizer's calendar so that an event can be restored.
func (s *Server) Delete(calendarID, eventID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.cal(calendarID).events[eventID]
	if e == nil {
		return
	}
	kept := clone(e.ev)
	kept.Status = "cancelled"
	s.put(calendarID, bare(e.ev))
	s.cal(calendarID).events[eventID].kept = kept
}

// CancelInstance cancels one instance of a series, as deleting it in the
// Calendar UI does: an exception "<masterId>_<start in UTC basic format>"
// with status cancelled, recurringEventId and originalStartTime.
func (s *Server) CancelInstance(calendarID, masterID string, original *gcal.EventDateTime) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.put(calendarID, &gcal.Event{
		Id:                InstanceID(masterID, original),
		Status:            "cancelled",
		RecurringEventId:  masterID,
		OriginalStartTime: original,
	})
}

// InstanceID is the id Google gives an instance of series masterID that
// was planned at original: "<masterId>_20250325T130000Z", or for all-day
// series "<masterId>_20250325".
func InstanceID(masterID string, original *gcal.EventDateTime) string {
	if original.DateTime == "" {
		return masterID + "_" + strings.ReplaceAll(original.Date, "-", "")
	}
	t, err := time.Parse(time.RFC3339, original.DateTime)
	if err != nil {
		panic("googletest: InstanceID: " + err.Error())
	}
	return masterID + "_" + t.UTC().Format("20060102T150405Z")
}

func bare(ev *gcal.Event) *gcal.Event {
	return &gcal.Event{
		Id:                ev.Id,
		Status:            "cancelled",
		RecurringEventId:  ev.RecurringEventId,
		OriginalStartTime: ev.OriginalStartTime,
	}
}

func clone(ev *gcal.Event) *gcal.Event {
	b, err := json.Marshal(ev)
	if err != nil {
		panic("googletest: " + err.Error())
	}
	var cp gcal.Event
	if err := json.Unmarshal(b, &cp); err != nil {
		panic("googletest: " + err.Error())
	}
	return &cp
}

// Event returns the stored form of an event, or nil.
func (s *Server) Event(calendarID, eventID string) *gcal.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.cals[calendarID]; c != nil {
		if e := c.events[eventID]; e != nil {
			return clone(e.ev)
		}
	}
	return nil
}

// ExpireSyncTokens makes every sync token issued so far for the calendar
// expire: the next incremental listing is answered 410 Gone.
func (s *Server) ExpireSyncTokens(calendarID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cal(calendarID).gen++
}

// Inject queues a fault; faults are matched in the order injected.
func (s *Server) Inject(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.Times < 1 {
		f.Times = 1
	}
	s.faults = append(s.faults, &f)
}

// AddUser adds a directory user with an optional manager relation.
func (s *Server) AddUser(email, manager string, suspended bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := &admin.User{PrimaryEmail: email, Suspended: suspended}
	if manager != "" {
		u.Relations = []any{map[string]any{"type": "manager", "value": manager}}
	}
	s.users = append(s.users, u)
}

// Requests returns the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Count returns how many requests of a call (any call for "") were
// received for a calendar (any calendar for "").
func (s *Server) Count(call, calendarID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.requests {
		if (call == "" || r.Call == call) && (calendarID == "" || r.Calendar == calendarID) {
			n++
		}
	}
	return n
}

// ResetRequests forgets the requests received so far.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	call, calID, eventID, ok := route(r)
	req := Request{Call: call, Calendar: calID, Query: r.URL.Query()}
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	defer func() {
		req.Status = rec.status
		s.mu.Lock()
		s.requests = append(s.requests, req)
		s.mu.Unlock()
	}()
	if !ok {
		writeError(rec, http.StatusNotFound, "notFound", "Not Found")
		return
	}
	if r.Method != http.MethodGet {
		writeError(rec, http.StatusMethodNotAllowed, "methodNotAllowed", "googletest serves reads only")
		return
	}
	if f := s.fault(call, calID); f != nil {
		if f.RetryAfter != "" {
			rec.Header().Set("Retry-After", f.RetryAfter)
		}
		writeError(rec, f.Status, f.Reason, http.StatusText(f.Status))
		return
	}
	if s.Auth != nil {
		if err := s.Auth(r, calID); err != nil {
			if err == ErrForbidden {
				writeError(rec, http.StatusForbidden, "forbidden", "The caller does not have permission")
				return
			}
			rec.Header().Set("WWW-Authenticate", `Bearer realm="https://accounts.google.com/"`)
			writeError(rec, http.StatusUnauthorized, "authError", "Request had invalid authentication credentials.")
			return
		}
	}
	switch call {
	case CallEventsList:
		s.list(rec, r, calID)
	case CallEventsGet:
		s.get(rec, r, calID, eventID)
	case CallUsersList:
		s.listUsers(rec, r)
	}
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// route names the call a request makes.
func route(r *http.Request) (call, calID, eventID string, ok bool) {
	p := r.URL.EscapedPath()
	if p == "/admin/directory/v1/users" {
		return CallUsersList, "", "", true
	}
	rest, found := strings.CutPrefix(p, "/calendar/v3/calendars/")
	if !found {
		return "", "", "", false
	}
	parts := strings.Split(rest, "/")
	if len(parts) < 2 || parts[1] != "events" {
		return "", "", "", false
	}
	calID, err := url.PathUnescape(parts[0])
	if err != nil {
		return "", "", "", false
	}
	switch len(parts) {
	case 2:
		return CallEventsList, calID, "", true
	case 3:
		eventID, err := url.PathUnescape(parts[2])
		return CallEventsGet, calID, eventID, err == nil
	}
	return "", "", "", false
}

func (s *Server) fault(call, calID string) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if (f.Call == "" || f.Call == call) && (f.Calendar == "" || f.Calendar == calID) {
			if f.Times--; f.Times <= 0 {
				s.faults = slices.Delete(s.faults, i, i+1)
			}
			return f
		}
	}
	return nil
}

// writeError writes Google's JSON error format.
func writeError(w http.ResponseWriter, code int, reason, message string) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(code)
	domain := "global"
	if reason == "fullSyncRequired" {
		domain = "calendar"
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"code":    code,
		"message": message,
		"errors":  []any{map[string]any{"domain": domain, "reason": reason, "message": message}},
	}})
}

func invalid(w http.ResponseWriter, format string, args ...any) {
	writeError(w, http.StatusBadRequest, "invalid", fmt.Sprintf(format, args...))
}

// syncToken is what a sync token stands for.
type syncToken struct {
	Cal string `json:"c"`
	Seq int64  `json:"s"`
	Gen int    `json:"g"`
}

// pageToken is where a listing continues, and under which parameters.
type pageToken struct {
	Cal    string `json:"c"`
	Since  int64  `json:"since"` // -1: a full listing
	Seq    int64  `json:"k"`     // the last item delivered, by (seq, id)
	ID     string `json:"i"`
	Params string `json:"p"`
}

func encodeToken(prefix string, v any) string {
	b, _ := json.Marshal(v)
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

func decodeToken(prefix, s string, v any) bool {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(rest)
	return err == nil && json.Unmarshal(b, v) == nil
}

// notWithSyncToken are the parameters events.list refuses with syncToken.
var notWithSyncToken = []string{"timeMin", "timeMax", "orderBy", "q", "updatedMin", "iCalUID", "privateExtendedProperty", "sharedExtendedProperty"}

// paramsKey is the part of a query a page token is bound to: everything
// but the page token itself and the response shape.
func paramsKey(q url.Values) string {
	keep := url.Values{}
	for k, v := range q {
		switch k {
		case "pageToken", "fields", "alt", "prettyPrint", "maxResults":
		default:
			keep[k] = v
		}
	}
	return keep.Encode()
}

func (s *Server) list(w http.ResponseWriter, r *http.Request, calID string) {
	q := r.URL.Query()
	token := q.Get("syncToken")
	if token != "" {
		for _, p := range notWithSyncToken {
			if q.Has(p) {
				invalid(w, "The parameter %s cannot be used together with syncToken.", p)
				return
			}
		}
		if q.Get("showDeleted") == "false" {
			invalid(w, "showDeleted cannot be false with syncToken: deleted events are always included.")
			return
		}
	}
	singleEvents := q.Get("singleEvents") == "true"
	if q.Get("orderBy") == "startTime" && !singleEvents {
		invalid(w, "orderBy=startTime requires singleEvents=true.")
		return
	}
	if singleEvents {
		writeError(w, http.StatusNotImplemented, "notImplemented", "googletest does not expand instances (singleEvents=true)")
		return
	}
	maxResults := 250
	if v := q.Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			invalid(w, "Invalid value for maxResults: %q", v)
			return
		}
		maxResults = min(n, 2500)
	}
	if s.PageLimit > 0 {
		maxResults = min(maxResults, s.PageLimit)
	}
	var timeMin, timeMax time.Time
	for p, t := range map[string]*time.Time{"timeMin": &timeMin, "timeMax": &timeMax} {
		if v := q.Get(p); v != "" {
			var err error
			if *t, err = time.Parse(time.RFC3339, v); err != nil {
				invalid(w, "Bad value for %s: %q", p, v)
				return
			}
		}
	}
	showDeleted := q.Get("showDeleted") == "true"

	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.cals[calID]
	if c == nil {
		writeError(w, http.StatusNotFound, "notFound", "Not Found")
		return
	}
	since := int64(-1)
	if token != "" {
		var st syncToken
		if !decodeToken("s.", token, &st) || st.Cal != calID {
			invalid(w, "Invalid sync token value.")
			return
		}
		if st.Gen < c.gen {
			writeError(w, http.StatusGone, "fullSyncRequired", "Sync token is no longer valid, a full sync is required.")
			return
		}
		since = st.Seq
	}
	var after pageToken
	if pt := q.Get("pageToken"); pt != "" {
		if !decodeToken("p.", pt, &after) || after.Cal != calID || after.Since != since || after.Params != paramsKey(q) {
			invalid(w, "Invalid page token, or the request's parameters changed between pages.")
			return
		}
	} else {
		after.Seq = -1
	}

	var items []*entry
	for _, e := range c.events {
		cancelled := e.ev.Status == "cancelled"
		switch {
		case since >= 0 && e.seq <= since:
			continue // unchanged since the token
		case since < 0 && cancelled && !showDeleted && e.ev.RecurringEventId == "":
			continue // a deleted master or single event
		case e.seq < after.Seq || e.seq == after.Seq && e.ev.Id <= after.ID:
			continue // on an earlier page
		case since < 0 && !inWindow(e.ev, timeMin, timeMax):
			continue
		}
		items = append(items, e)
	}
	slices.SortFunc(items, func(a, b *entry) int {
		if a.seq != b.seq {
			return int(a.seq - b.seq)
		}
		return strings.Compare(a.ev.Id, b.ev.Id)
	})
	resp := &gcal.Events{
		Kind:       "calendar#events",
		Etag:       fmt.Sprintf(`"p%d"`, s.seq),
		Summary:    c.summary,
		TimeZone:   c.zone,
		AccessRole: "owner",
		Updated:    s.now().UTC().Format("2006-01-02T15:04:05.000Z"),
		Items:      []*gcal.Event{},
	}
	page := items[:min(len(items), maxResults)]
	for _, e := range page {
		resp.Items = append(resp.Items, e.ev)
	}
	if len(page) < len(items) {
		last := page[len(page)-1]
		resp.NextPageToken = encodeToken("p.", pageToken{Cal: calID, Since: since, Seq: last.seq, ID: last.ev.Id, Params: paramsKey(q)})
	} else {
		// Everything changed up to now has been delivered, on this page or
		// an earlier one of this listing.
		resp.NextSyncToken = encodeToken("s.", syncToken{Cal: calID, Seq: s.seq, Gen: c.gen})
	}
	writeJSON(w, r, resp, eventsSchema)
}

// inWindow is events.list's timeMin/timeMax filter, for single events:
// their end after timeMin and their start before timeMax. Masters stay
// (their instances might fall inside), and so do exceptions.
func inWindow(ev *gcal.Event, timeMin, timeMax time.Time) bool {
	if len(ev.Recurrence) > 0 || ev.RecurringEventId != "" || ev.Start == nil {
		return true
	}
	parse := func(dt *gcal.EventDateTime) (time.Time, bool) {
		if dt == nil {
			return time.Time{}, false
		}
		if dt.DateTime != "" {
			t, err := time.Parse(time.RFC3339, dt.DateTime)
			return t, err == nil
		}
		t, err := time.Parse(time.DateOnly, dt.Date)
		return t, err == nil
	}
	start, ok1 := parse(ev.Start)
	end, ok2 := parse(ev.End)
	if !ok1 || !ok2 {
		return true
	}
	return (timeMin.IsZero() || end.After(timeMin)) && (timeMax.IsZero() || start.Before(timeMax))
}

func (s *Server) get(w http.ResponseWriter, r *http.Request, calID, eventID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.cals[calID]
	if c == nil || c.events[eventID] == nil {
		writeError(w, http.StatusNotFound, "notFound", "Not Found")
		return
	}
	e := c.events[eventID]
	if e.kept != nil {
		writeJSON(w, r, e.kept, eventSchema)
		return
	}
	writeJSON(w, r, e.ev, eventSchema)
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("customer") == "" && q.Get("domain") == "" {
		invalid(w, "Bad Request: customer or domain is required.")
		return
	}
	maxResults := 100
	if v := q.Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			invalid(w, "Invalid value for maxResults: %q", v)
			return
		}
		maxResults = n
	}
	if s.PageLimit > 0 {
		maxResults = min(maxResults, s.PageLimit)
	}
	offset := 0
	if pt := q.Get("pageToken"); pt != "" {
		if !decodeToken("u.", pt, &offset) {
			invalid(w, "Invalid page token.")
			return
		}
	}
	s.mu.Lock()
	users := slices.Clone(s.users)
	s.mu.Unlock()
	resp := &admin.Users{Kind: "admin#directory#users"}
	end := min(offset+maxResults, len(users))
	if offset < end {
		resp.Users = users[offset:end]
	}
	if end < len(users) {
		resp.NextPageToken = encodeToken("u.", end)
	}
	writeJSON(w, r, resp, usersSchema)
}
