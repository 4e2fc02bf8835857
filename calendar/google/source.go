package google

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	gcal "google.golang.org/api/calendar/v3"
	"google.golang.org/api/googleapi"

	"github.com/rapport-dev/rapport/calendar"
	"github.com/rapport-dev/rapport/retry"
)

// Authentication methods (Config.Auth).
const (
	// AuthServiceAccount is a service-account key; with domain-wide
	// delegation it reads each manager's calendar as that manager.
	AuthServiceAccount = "service_account"
	// AuthOAuth is one user's authorization, stored by Authorize.
	AuthOAuth = "oauth"
	// AuthNone sends no credentials: for emulators and proxies behind
	// Endpoint that authenticate on their own.
	AuthNone = "none"
)

// Calendar ids with a special meaning in Config.Calendars.
const (
	// Managers stands for the primary calendar of every manager in
	// Config.Managers (and of every report with IncludeReports).
	Managers = "managers"
	// Primary is the authorized user's (or service account's) own calendar.
	Primary = "primary"
)

// Defaults and bounds.
const (
	DefaultParallel = 4
	DefaultTimeout  = 30 * time.Second
	// PageSize is what events.list is asked for: Google's maximum, so that
	// a calendar costs as few requests as possible.
	PageSize = 2500
	// DefaultMaxResponseBytes bounds one response: a full page of 2,500
	// events is a few MiB.
	DefaultMaxResponseBytes = 64 << 20
	// maxPages bounds one calendar's listing (a million events).
	maxPages = 400
)

// CalendarScope is the one scope Rapport asks for: read-only access to
// calendars and events.
const CalendarScope = gcal.CalendarReadonlyScope

// listFields is the partial response Rapport asks events.list for: times,
// status, people, recurrence and whether there is a description, and
// nothing else (no locations, conference data or reminders).
const listFields = "nextPageToken,nextSyncToken,summary,timeZone," +
	"items(id,iCalUID,status,recurringEventId,originalStartTime,start,end,endTimeUnspecified," +
	"recurrence,summary,description,attachments(fileId)," +
	"attendees(email,displayName,resource,optional,responseStatus,self),organizer(email,self)," +
	"sequence,created,updated,eventType,transparency)"

// Config configures a Source over Google Calendar (a `type: google`
// source).
type Config struct {
	Name string // source name, for errors and logs
	// Auth is AuthServiceAccount, AuthOAuth or AuthNone.
	Auth string
	// Credentials is the service-account key JSON (service_account) or the
	// OAuth client JSON of a desktop app (oauth). Never logged.
	Credentials []byte
	// TokenFile (oauth) is where Authorize stored the user's token; Sync
	// keeps it up to date as tokens are refreshed.
	TokenFile string
	// ConfigFile, when set, is named in the message that asks the user to
	// authorize again.
	ConfigFile string
	// Calendars are calendar ids, or Managers. Default: Managers with a
	// service account, Primary otherwise.
	Calendars []string
	// Managers are the org's managers (canonical emails): with Managers in
	// Calendars, their primary calendars are read, each as its owner
	// through domain-wide delegation.
	Managers []string
	// Reports, with IncludeReports, are read too, for their out-of-office
	// events. Each costs one more request per poll.
	Reports        []string
	IncludeReports bool
	// Subject (service_account) is the user the service account acts as for
	// the calendars listed by id; empty: the service account itself (for
	// calendars shared with it).
	Subject string
	// Owner is whose calendar Primary is, when reading one user's calendars
	// (oauth). Default: the user Google marks as "self" in the events.
	Owner string
	// Endpoint overrides the API root URL (proxies, local emulators,
	// tests), e.g. "http://127.0.0.1:8085/"; "calendar/v3/" is appended
	// unless it ends with it already.
	Endpoint string
	// Parallel bounds how many calendars are synced at once. Default:
	// DefaultParallel.
	Parallel int
	// RequestBudget bounds the API requests of one Sync (retries
	// included). Calendars that do not fit wait for the next Sync, which
	// starts with them. Zero: derived from Interval (see BudgetFor), or
	// unlimited when Interval is zero too.
	RequestBudget int
	// Interval is how often Sync runs; it sets the default RequestBudget.
	Interval time.Duration
	// Timeout bounds each request. Default: DefaultTimeout.
	Timeout time.Duration
	// MaxResponseBytes bounds each response. Default:
	// DefaultMaxResponseBytes.
	MaxResponseBytes int64
	// Retry is the backoff for rate limits, 5xx and transport errors.
	Retry retry.Policy
}

// Source reads Google calendars incrementally with sync tokens. It is safe
// for concurrent use, though Syncs of one source are meant to run one after
// the other.
type Source struct {
	name     string
	auth     *authority
	targets  []target
	parallel int
	budget   int // 0: unlimited
	timeout  time.Duration
	retry    retry.Policy
	log      *slog.Logger
	uids     *uidCache

	mu    sync.Mutex
	start int // where the next Sync begins: fairness under the budget
}

var _ calendar.Source = (*Source)(nil)

// target is one calendar to read.
type target struct {
	id      string // calendar id: an email for primary calendars
	owner   string // canonical email, when known
	subject string // the user to act as (domain-wide delegation)
}

// New checks cfg and returns a Source. It does no I/O: credentials are
// parsed, tokens are fetched when needed. A nil client means a plain
// http.Client; it carries every request, token requests included. A nil
// logger discards.
func New(cfg Config, client *http.Client, logger *slog.Logger) (*Source, error) {
	if strings.TrimSpace(cfg.Name) == "" {
		return nil, errors.New("google: Name: empty; every source needs a name")
	}
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("google: source %q: %s: %s", cfg.Name, field, fmt.Sprintf(format, args...))
	}
	s := &Source{
		name:     cfg.Name,
		parallel: cfg.Parallel,
		budget:   cfg.RequestBudget,
		timeout:  cfg.Timeout,
		retry:    cfg.Retry,
		log:      logger,
		uids:     newUIDCache(maxCachedUIDs),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	switch {
	case cfg.Parallel < 0:
		return nil, bad("Parallel", "%d is negative", cfg.Parallel)
	case cfg.Parallel == 0:
		s.parallel = DefaultParallel
	}
	switch {
	case cfg.RequestBudget < 0:
		return nil, bad("RequestBudget", "%d is negative", cfg.RequestBudget)
	case cfg.Interval < 0:
		return nil, bad("Interval", "%s is negative", cfg.Interval)
	case cfg.RequestBudget == 0 && cfg.Interval > 0:
		s.budget = BudgetFor(cfg.Interval)
	}
	switch {
	case cfg.Timeout < 0:
		return nil, bad("Timeout", "%s is negative", cfg.Timeout)
	case cfg.Timeout == 0:
		s.timeout = DefaultTimeout
	}
	if cfg.MaxResponseBytes < 0 {
		return nil, bad("MaxResponseBytes", "%d is negative", cfg.MaxResponseBytes)
	}
	if err := cfg.Retry.Validate(); err != nil {
		return nil, bad("Retry", "%v", err)
	}
	endpoint, err := apiRoot(cfg.Endpoint)
	if err != nil {
		return nil, bad("Endpoint", "%v", err)
	}
	if cfg.Auth == AuthNone && endpoint == "" {
		return nil, bad("Endpoint", "empty; auth none talks to an emulator or proxy, which Endpoint must name")
	}
	if s.targets, err = targets(cfg); err == nil {
		s.auth, err = newAuthority(cfg, endpoint, client, s.timeout, cfg.MaxResponseBytes, s.log)
	}
	var fe *fieldError
	switch {
	case errors.As(err, &fe):
		return nil, bad(fe.field, "%s", fe.msg)
	case err != nil:
		return nil, fmt.Errorf("google: source %q: %w", cfg.Name, err)
	}
	return s, nil
}

type fieldError struct{ field, msg string }

func (e *fieldError) Error() string { return e.field + ": " + e.msg }

// apiRoot checks Endpoint and returns the API root it names, ending in "/"
// ("" for Google's own).
func apiRoot(endpoint string) (string, error) {
	endpoint = strings.TrimSpace(endpoint)
	if endpoint == "" {
		return "", nil
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return "", errors.New("not a valid URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return "", fmt.Errorf("%q is not an http or https URL", retry.RedactURL(u))
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%q: credentials, a query or a fragment are not allowed", retry.RedactURL(u))
	}
	root := strings.TrimSuffix(strings.TrimSuffix(u.String(), "/"), "/calendar/v3") + "/"
	return root, nil
}

// targets lists the calendars cfg names, each once.
func targets(cfg Config) ([]target, error) {
	cals := cfg.Calendars
	if len(cals) == 0 {
		cals = []string{Primary}
		if cfg.Auth == AuthServiceAccount {
			cals = []string{Managers}
		}
	}
	var out []target
	seen := map[string]bool{}
	add := func(t target) {
		if !seen[t.id] {
			seen[t.id] = true
			out = append(out, t)
		}
	}
	person := func(field string, i int, email string) (string, error) {
		e := calendar.CanonicalEmail(email)
		if !strings.Contains(e, "@") || strings.ContainsAny(e, " /") {
			return "", &fieldError{fmt.Sprintf("%s[%d]", field, i), fmt.Sprintf("%q is not an email address", clip(email, 80))}
		}
		return e, nil
	}
	for i, id := range cals {
		id = strings.TrimSpace(id)
		field := fmt.Sprintf("Calendars[%d]", i)
		switch {
		case id == "":
			return nil, &fieldError{field, "empty"}
		case id == Managers:
			if cfg.Auth == AuthOAuth {
				return nil, &fieldError{field, `"managers" reads every manager's calendar, which needs a service account with domain-wide delegation, not one user's authorization`}
			}
			if len(cfg.Managers) == 0 {
				return nil, &fieldError{"Managers", `empty; "managers" in Calendars needs the org's managers`}
			}
			people := [][]string{cfg.Managers}
			fields := []string{"Managers"}
			if cfg.IncludeReports {
				people, fields = append(people, cfg.Reports), append(fields, "Reports")
			}
			for k, list := range people {
				for j, m := range list {
					e, err := person(fields[k], j, m)
					if err != nil {
						return nil, err
					}
					t := target{id: e, owner: e}
					if cfg.Auth == AuthServiceAccount {
						t.subject = e
					}
					add(t)
				}
			}
		default:
			if len(id) > 1024 || strings.ContainsAny(id, "/\\?#") || strings.ContainsFunc(id, func(r rune) bool { return r < ' ' }) {
				return nil, &fieldError{field, fmt.Sprintf("%q is not a calendar id", clip(id, 80))}
			}
			t := target{id: id, subject: calendar.CanonicalEmail(cfg.Subject)}
			switch {
			case id == Primary:
				t.owner = calendar.CanonicalEmail(cfg.Owner)
			case strings.Contains(id, "@") && !strings.HasSuffix(id, ".calendar.google.com"):
				t.owner = calendar.CanonicalEmail(id) // a user's primary calendar
			}
			add(t)
		}
	}
	if cfg.Auth != AuthServiceAccount && cfg.Subject != "" {
		return nil, &fieldError{"Subject", "only a service account can act as another user"}
	}
	return out, nil
}

// cursor is the state kept between syncs, JSON-encoded into
// Changes.Cursor: the sync token of the last complete listing.
type cursor struct {
	V    int    `json:"v"`
	Sync string `json:"sync,omitempty"`
}

const cursorVersion = 1

func parseCursor(s string) cursor {
	var c cursor
	if s == "" || json.Unmarshal([]byte(s), &c) != nil || c.V != cursorVersion {
		return cursor{} // unknown: start over with a full sync
	}
	return c
}

func (c cursor) String() string {
	if c.Sync == "" {
		return ""
	}
	c.V = cursorVersion
	b, _ := json.Marshal(c) // cannot fail: strings and integers only
	return string(b)
}

// budget counts the requests one Sync may still make.
type budget struct {
	limited bool
	left    atomic.Int64
	used    atomic.Int64
}

func newBudget(n int) *budget {
	b := &budget{limited: n > 0}
	b.left.Store(int64(n))
	return b
}

// take reserves one request; false when the budget is used up.
func (b *budget) take() bool {
	if b.limited && b.left.Add(-1) < 0 {
		return false
	}
	b.used.Add(1)
	return true
}

// Sync reads every calendar: those with a cursor incrementally (only what
// changed since), the others whole (Full). A calendar whose sync token
// expired is read whole again, alone. A failure of one calendar (a 404, a
// refused delegation, a quota) is its Changes.Err; the others go on. Sync
// fails as a whole only when ctx is done before anything was tried.
//
// Events are reported one Google event per calendar.Event (WholeSeries is
// false): each exception is its own resource with its own changes.
func (s *Source) Sync(ctx context.Context, cursors map[string]string) ([]calendar.Changes, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("google: source %q: %w", s.name, err)
	}
	n := len(s.targets)
	if n == 0 {
		return nil, nil
	}
	s.mu.Lock()
	first := s.start % n
	s.mu.Unlock()

	b := newBudget(s.budget)
	out := make([]calendar.Changes, n)
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(s.parallel, n) {
		wg.Go(func() {
			for i := range jobs {
				out[i] = s.syncCalendar(ctx, s.targets[i], cursors[s.targets[i].id], b)
			}
		})
	}
	// In rotated order, so that when the budget runs out it is not always
	// the same calendars that wait.
	for k := range n {
		jobs <- (first + k) % n
	}
	close(jobs)
	wg.Wait()

	deferred, next := 0, -1
	for k := range n {
		i := (first + k) % n
		if errors.Is(out[i].Err, ErrBudgetExhausted) {
			if next < 0 {
				next = i
			}
			deferred++
		}
	}
	if next >= 0 {
		s.mu.Lock()
		s.start = next
		s.mu.Unlock()
	}
	for _, ch := range out {
		s.logResult(ctx, ch)
	}
	if deferred > 0 {
		s.log.WarnContext(ctx, "google: request budget used up; calendars deferred to the next sync",
			"source", s.name, "budget", s.budget, "deferred", deferred, "calendars", n)
	}
	s.log.DebugContext(ctx, "google: synced", "source", s.name, "calendars", n, "requests", b.used.Load())
	return out, nil
}

func (s *Source) logResult(ctx context.Context, ch calendar.Changes) {
	id := ch.Calendar.ID
	switch {
	case errors.Is(ch.Err, ErrBudgetExhausted):
		s.log.DebugContext(ctx, "google: calendar deferred", "source", s.name, "calendar", id)
	case ch.Err != nil:
		s.log.WarnContext(ctx, "google: calendar not synced", "source", s.name, "calendar", id, "err", ch.Err)
	case ch.Full:
		s.log.InfoContext(ctx, "google: calendar read", "source", s.name, "calendar", id,
			"events", len(ch.Events), "problems", len(ch.Problems))
	case len(ch.Events) > 0 || len(ch.Deleted) > 0:
		s.log.InfoContext(ctx, "google: calendar changed", "source", s.name, "calendar", id,
			"events", len(ch.Events), "deleted", len(ch.Deleted), "problems", len(ch.Problems))
	default:
		s.log.DebugContext(ctx, "google: calendar unchanged", "source", s.name, "calendar", id)
	}
	if len(ch.Problems) > 0 {
		s.log.WarnContext(ctx, "google: events skipped", "source", s.name, "calendar", id,
			"count", len(ch.Problems), "err", ch.Problems[0])
	}
}

// syncCalendar syncs one calendar from its previous cursor.
func (s *Source) syncCalendar(ctx context.Context, t target, prev string, b *budget) calendar.Changes {
	ch := calendar.Changes{Calendar: calendar.Calendar{ID: t.id, Name: t.id, Owner: t.owner}, Cursor: prev}
	fail := func(err error) calendar.Changes {
		ch.Err = fmt.Errorf("google: calendar %s: %w", t.id, err)
		return ch
	}
	if err := ctx.Err(); err != nil {
		return fail(context.Cause(ctx))
	}
	svc, err := s.auth.service(t.subject)
	if err != nil {
		return fail(err)
	}
	token := parseCursor(prev).Sync
	res, err := s.list(ctx, svc, t, token, b)
	if errors.Is(err, errFullSync) && token != "" {
		// Google no longer honours the token (it expired, or the calendar's
		// sharing changed): read this calendar whole, and only this one.
		s.log.InfoContext(ctx, "google: sync token expired; reading the calendar again", "source", s.name, "calendar", t.id)
		token = ""
		res, err = s.list(ctx, svc, t, "", b)
	}
	if err != nil {
		return fail(err)
	}
	var zone *time.Location
	if res.timeZone != "" {
		if zone, err = calendar.LookupZone(res.timeZone); err != nil {
			s.log.WarnContext(ctx, "google: calendar zone unknown; all-day events placed in UTC",
				"source", s.name, "calendar", t.id, "err", err)
			zone = nil
		}
	}
	conv := converter{
		where:   "google calendar " + t.id,
		zone:    zone,
		full:    token == "",
		resolve: s.resolver(svc, t, b),
	}
	c := conv.convert(ctx, res.items)
	s.uids.remember(t.id, c.uids)

	ch.Full = token == ""
	ch.Events, ch.Deleted, ch.Problems = c.events, c.deleted, c.problems
	ch.Cursor = cursor{Sync: res.next}.String()
	if name := cleanName(res.summary); name != "" {
		ch.Calendar.Name = name
	}
	if ch.Calendar.Owner == "" {
		if owner := ownerOf(res.items); owner != "" {
			ch.Calendar.Owner = owner
		} else if t.id == Primary && strings.Contains(res.summary, "@") && !strings.ContainsAny(res.summary, " <>") {
			// A primary calendar is named after its owner's address.
			ch.Calendar.Owner = calendar.CanonicalEmail(res.summary)
		}
	}
	if res.next == "" {
		s.log.WarnContext(ctx, "google: the listing ended without a sync token; the next sync reads the calendar whole",
			"source", s.name, "calendar", t.id)
	}
	return ch
}

// listing is one calendar's events.list pages, concatenated.
type listing struct {
	items             []*gcal.Event
	next              string // nextSyncToken of the last page
	summary, timeZone string
}

// list reads every page of events.list: all events when token is empty,
// else what changed since token. Masters come with their exceptions
// (singleEvents=false) and deleted events are included (showDeleted).
func (s *Source) list(ctx context.Context, svc *gcal.Service, t target, token string, b *budget) (listing, error) {
	var out listing
	page := ""
	for n := 0; ; n++ {
		if n >= maxPages {
			return out, fmt.Errorf("events.list: more than %d pages", maxPages)
		}
		var resp *gcal.Events
		err := s.call(ctx, t, b, "events.list", func(ctx context.Context) error {
			call := svc.Events.List(t.id).
				MaxResults(PageSize).
				ShowDeleted(true).
				SingleEvents(false).
				Fields(listFields).
				Context(ctx)
			if token != "" {
				call.SyncToken(token)
			}
			if page != "" {
				call.PageToken(page)
			}
			r, err := call.Do()
			resp = r
			return err
		})
		if err != nil {
			return out, err
		}
		out.items = append(out.items, resp.Items...)
		out.summary, out.timeZone = resp.Summary, resp.TimeZone
		if resp.NextPageToken == "" {
			out.next = resp.NextSyncToken
			return out, nil
		}
		if resp.NextPageToken == page {
			return out, errors.New("events.list: the server repeated its page token")
		}
		page = resp.NextPageToken
	}
}

// call makes one API request through retry.Do: each attempt takes one
// request from the budget and is bounded by the source's Timeout.
func (s *Source) call(ctx context.Context, t target, b *budget, name string, do func(ctx context.Context) error) error {
	policy := s.retry
	policy.OnRetry = func(attempt int, delay time.Duration, err error) {
		s.log.DebugContext(ctx, "google: retrying", "source", s.name, "calendar", t.id, "attempt", attempt, "delay", delay, "err", err)
		if s.retry.OnRetry != nil {
			s.retry.OnRetry(attempt, delay, err)
		}
	}
	return retry.Do(ctx, policy, func(ctx context.Context) error {
		if !b.take() {
			return retry.Permanent(ErrBudgetExhausted)
		}
		actx, cancel := context.WithTimeout(ctx, s.timeout)
		defer cancel()
		err := do(actx)
		if err != nil && ctx.Err() == nil && errors.Is(actx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("%s: timed out after %s: %w", name, s.timeout, context.DeadlineExceeded)
		}
		if errors.Is(err, errTooLarge) {
			return retry.Permanent(fmt.Errorf("%s: %w", name, err))
		}
		return classify(name, err, s.auth.hints)
	})
}

// resolver finds the iCalUID of a master or single event known by its id
// only: from what this Source has seen, else from events.get, else
// Google's own form for events created in Google Calendar ("<id>@google.com").
func (s *Source) resolver(svc *gcal.Service, t target, b *budget) uidResolver {
	lookups := 0
	return func(ctx context.Context, id string) string {
		if uid, ok := s.uids.get(t.id, id); ok {
			return uid
		}
		if lookups++; lookups > maxLookups {
			return id + "@google.com"
		}
		var ev *gcal.Event
		err := s.call(ctx, t, b, "events.get", func(ctx context.Context) error {
			r, err := svc.Events.Get(t.id, id).Fields(googleapi.Field("id,iCalUID,recurrence")).Context(ctx).Do()
			ev = r
			return err
		})
		if err == nil && ev != nil && ev.ICalUID != "" {
			s.uids.remember(t.id, map[string]string{id: ev.ICalUID})
			return ev.ICalUID
		}
		s.log.DebugContext(ctx, "google: iCalUID of a deleted event unknown; assuming Google's own", "source", s.name, "calendar", t.id, "err", err)
		return id + "@google.com"
	}
}

// maxLookups bounds the events.get requests one calendar's sync may make
// to attribute cancellations, so that a burst of deletions cannot spend
// the quota.
const maxLookups = 20

// maxCachedUIDs bounds the iCalUIDs remembered across syncs (about 100
// bytes each).
const maxCachedUIDs = 200_000

// uidCache remembers the iCalUIDs of series masters and of events whose
// iCalUID is not Google's default, by calendar and event id, so that a
// later cancellation carrying only ids can be attributed without a request.
type uidCache struct {
	mu  sync.Mutex
	max int
	m   map[string]string
}

func newUIDCache(max int) *uidCache { return &uidCache{max: max, m: map[string]string{}} }

func (c *uidCache) get(cal, id string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	uid, ok := c.m[cal+"\x00"+id]
	return uid, ok
}

func (c *uidCache) remember(cal string, uids map[string]string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, uid := range uids {
		if len(c.m) >= c.max {
			// Full: forget an arbitrary tenth. A forgotten id costs one
			// events.get if its event is ever cancelled.
			n := c.max / 10
			for k := range c.m {
				if n--; n < 0 {
					break
				}
				delete(c.m, k)
			}
		}
		c.m[cal+"\x00"+id] = uid
	}
}
