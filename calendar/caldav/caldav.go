// Package caldav is the calendar source for CalDAV servers (RFC 4791):
// Nextcloud, Fastmail, iCloud, mailbox.org, Radicale, Baïkal, SOGo, Zimbra,
// DAViCal, Xandikos and Google's CalDAV endpoint.
//
// It finds the account's calendars from a base URL (RFC 6764: the URL
// itself, /.well-known/caldav, the server root, then the _caldavs._tcp SRV
// record; RFC 5397 current-user-principal; RFC 4791 §6.2.1
// calendar-home-set), or takes calendar URLs as given. It then syncs each
// calendar incrementally, costing one small request per calendar when
// nothing changed: an RFC 6578 sync-collection REPORT where the server
// supports it, else the calendar's CTag, else a listing of its ETags. Only
// changed objects are fetched, with calendar-multiget (RFC 4791 §7.9), and
// each is decoded on its own by package ics, so that one broken object
// never hides the others.
//
// The requests themselves are made here rather than through go-webdav's
// client, which at the versions the module proxy serves has no
// sync-collection, rejects unquoted ETags, drops the host of hrefs (iCloud
// keeps calendars on another host than the principal), decodes objects with
// a second iCalendar decoder and fails a whole multiget on one bad object,
// and reads responses without bound. go-webdav provides the SRV discovery.
package caldav

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-webdav/caldav"

	"github.com/rapport-dev/rapport/calendar"
	"github.com/rapport-dev/rapport/retry"
)

// Defaults of a Config.
const (
	DefaultMaxObjectBytes    = 4 << 20
	DefaultMaxResponseBytes  = 64 << 20
	DefaultTimeout           = 60 * time.Second
	DefaultDiscoveryInterval = time.Hour
)

// Config configures a Source (a `type: caldav` source). It mirrors
// config.Source; Password and Token never appear in its String or logs.
type Config struct {
	Name string // source name, for errors and logs
	// URL is where discovery starts: a server, a principal, a calendar home
	// or one calendar; http or https, without credentials.
	URL   string
	Owner string // canonical email: whose calendars these are
	// Username and Password are HTTP basic credentials; Token is a bearer
	// token instead. Neither is needed when the client authenticates.
	Username string
	Password string
	Token    string
	// CAPEM is a PEM bundle of extra certificate authorities to trust for
	// the server (the content of ca_file), added to the system's. RootCAs,
	// when set instead, is the whole set trusted.
	CAPEM   []byte
	RootCAs *x509.CertPool
	// Calendars narrows what is read: display names (case-insensitive) or
	// calendar URLs, absolute or as a path. A URL outside the calendar
	// home (a calendar shared from another account) is read too. Empty
	// means every calendar of the account that can hold events.
	Calendars   []string
	DefaultZone *time.Location // places floating times; nil means UTC
	Retry       retry.Policy   // for every request
	// MaxObjectBytes bounds one calendar object; a larger one is skipped
	// and reported. Zero means DefaultMaxObjectBytes.
	MaxObjectBytes int64
	// MaxResponseBytes bounds one response; a multiget over it is split.
	// Zero means DefaultMaxResponseBytes.
	MaxResponseBytes int64
	// Timeout bounds one request. Zero means DefaultTimeout.
	Timeout time.Duration
	// DiscoveryInterval is how often the calendar list is found again, to
	// see calendars added, renamed or removed. Zero means
	// DefaultDiscoveryInterval.
	DiscoveryInterval time.Duration
}

// String describes the config without its secrets.
func (c Config) String() string {
	auth := "none"
	switch {
	case c.Token != "":
		auth = "bearer token"
	case c.Username != "":
		auth = "basic"
	}
	u := c.URL
	if p, err := url.Parse(c.URL); err == nil {
		u = retry.RedactURL(p)
	} else {
		u = "(unreadable URL)"
	}
	return fmt.Sprintf("caldav.Config{Name: %q, URL: %s, Owner: %q, auth: %s, Calendars: %d}", c.Name, u, c.Owner, auth, len(c.Calendars))
}

// GoString is String, so that %#v does not print the secrets either.
func (c Config) GoString() string { return c.String() }

// LogValue is String, for slog.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

// Source syncs the calendars of one CalDAV account.
type Source struct {
	name        string
	owner       string
	base        *url.URL
	filters     []filter
	zone        *time.Location
	retry       retry.Policy
	timeout     time.Duration
	maxObject   int64
	maxResponse int64
	every       time.Duration
	client      *http.Client
	auth        func(*http.Request)
	log         *slog.Logger
	now         func() time.Time
	// lookupSRV finds the context URL of an RFC 6764 §3 _caldavs._tcp SRV
	// record; tests replace it.
	lookupSRV func(ctx context.Context, domain string) (string, error)

	mu           sync.Mutex
	known        []*calInfo // the calendars found by the last discovery
	missing      []calendar.Changes
	discoveredAt time.Time
}

var _ calendar.Source = (*Source)(nil)

// filter is one entry of Config.Calendars.
type filter struct {
	raw  string
	name string   // a display name, lower-cased
	url  *url.URL // an absolute URL, or a path with no host
}

// New checks cfg and returns a Source. The client is used for every
// request, so that transports and authentication can be wrapped from
// outside; nil means a plain http.Client. It is copied, not changed: the
// copy follows no redirects (the source follows them itself), and trusts
// CAPEM or RootCAs when set. A nil logger discards.
func New(cfg Config, client *http.Client, logger *slog.Logger) (*Source, error) {
	if strings.TrimSpace(cfg.Name) == "" {
		return nil, errors.New("caldav: Name: empty; every source needs a name")
	}
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("caldav: source %q: %s: %s", cfg.Name, field, fmt.Sprintf(format, args...))
	}
	s := &Source{
		name:        cfg.Name,
		owner:       calendar.CanonicalEmail(cfg.Owner),
		zone:        cfg.DefaultZone,
		retry:       cfg.Retry,
		timeout:     cfg.Timeout,
		maxObject:   cfg.MaxObjectBytes,
		maxResponse: cfg.MaxResponseBytes,
		every:       cfg.DiscoveryInterval,
		log:         logger,
		now:         time.Now,
		lookupSRV: func(ctx context.Context, domain string) (string, error) {
			return caldav.DiscoverContextURL(ctx, domain)
		},
	}
	if s.owner != "" && !strings.Contains(s.owner, "@") {
		return nil, bad("Owner", "%q is not an email address", clip(cfg.Owner, 80))
	}
	base, err := parseBaseURL(cfg.URL)
	if err != nil {
		return nil, bad("URL", "%v", err)
	}
	s.base = base
	for i, c := range cfg.Calendars {
		f, err := parseFilter(c)
		if err != nil {
			return nil, bad(fmt.Sprintf("Calendars[%d]", i), "%v", err)
		}
		s.filters = append(s.filters, f)
	}
	switch {
	case cfg.Token != "" && (cfg.Username != "" || cfg.Password != ""):
		return nil, bad("Token", "set together with Username and Password; use one or the other")
	case cfg.Password != "" && cfg.Username == "":
		return nil, bad("Username", "empty while Password is set")
	case cfg.Username != "" && cfg.Password == "":
		return nil, bad("Password", "empty while Username is set")
	case strings.ContainsAny(cfg.Username, "\r\n:"):
		return nil, bad("Username", "holds a colon or a line break")
	case strings.ContainsFunc(cfg.Password, isCtl):
		return nil, bad("Password", "holds a control character")
	case strings.ContainsFunc(cfg.Token, isCtl) || strings.ContainsAny(cfg.Token, " "):
		return nil, bad("Token", "holds a space or a control character")
	}
	switch {
	case cfg.Token != "":
		bearer := "Bearer " + cfg.Token
		s.auth = func(r *http.Request) { r.Header.Set("Authorization", bearer) }
	case cfg.Username != "":
		user, pass := cfg.Username, cfg.Password
		s.auth = func(r *http.Request) { r.SetBasicAuth(user, pass) }
	default:
		s.auth = func(*http.Request) {}
	}
	switch {
	case cfg.MaxObjectBytes < 0:
		return nil, bad("MaxObjectBytes", "%d is negative", cfg.MaxObjectBytes)
	case cfg.MaxObjectBytes == 0:
		s.maxObject = DefaultMaxObjectBytes
	}
	switch {
	case cfg.MaxResponseBytes < 0:
		return nil, bad("MaxResponseBytes", "%d is negative", cfg.MaxResponseBytes)
	case cfg.MaxResponseBytes == 0:
		s.maxResponse = max(DefaultMaxResponseBytes, s.maxObject*2)
	case cfg.MaxResponseBytes < s.maxObject:
		return nil, bad("MaxResponseBytes", "%d is less than MaxObjectBytes %d", cfg.MaxResponseBytes, s.maxObject)
	}
	switch {
	case cfg.Timeout < 0:
		return nil, bad("Timeout", "%s is negative", cfg.Timeout)
	case cfg.Timeout == 0:
		s.timeout = DefaultTimeout
	}
	switch {
	case cfg.DiscoveryInterval < 0:
		return nil, bad("DiscoveryInterval", "%s is negative", cfg.DiscoveryInterval)
	case cfg.DiscoveryInterval == 0:
		s.every = DefaultDiscoveryInterval
	}
	if err := cfg.Retry.Validate(); err != nil {
		return nil, bad("Retry", "%v", err)
	}
	s.client, err = httpClient(client, cfg.CAPEM, cfg.RootCAs)
	if err != nil {
		field := "CAPEM"
		if cfg.RootCAs != nil {
			field = "RootCAs"
		}
		return nil, bad(field, "%v", err)
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s, nil
}

func isCtl(r rune) bool { return r < ' ' || r == 0x7f }

// parseBaseURL reads Config.URL. Its errors never quote the URL, which may
// hold credentials or a secret path.
func parseBaseURL(raw string) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, errors.New("empty; give the server, principal or calendar URL")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("not a valid URL")
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("scheme %q is not http or https", clip(u.Scheme, 20))
	case u.Host == "":
		return nil, errors.New("no host")
	case u.User != nil:
		return nil, errors.New("carries credentials; set Username and Password (or Token) instead")
	}
	u.Fragment, u.RawFragment = "", ""
	if u.Path == "" {
		u.Path = "/"
	}
	return u, nil
}

func parseFilter(raw string) (filter, error) {
	v := strings.TrimSpace(raw)
	f := filter{raw: v}
	switch {
	case v == "":
		return f, errors.New("empty")
	case strings.Contains(v, "://"):
		u, err := parseBaseURL(v)
		if err != nil {
			return f, err
		}
		f.url = u
	case strings.HasPrefix(v, "/"):
		u, err := url.Parse(v)
		if err != nil {
			return f, errors.New("not a valid path")
		}
		f.url = &url.URL{Path: u.Path}
	default:
		f.name = strings.ToLower(cleanName(v))
	}
	return f, nil
}

// httpClient copies client, so that the caller's is not changed: the copy
// returns redirects to the source, which follows them itself, and trusts
// the given certificate authorities.
func httpClient(client *http.Client, caPEM []byte, roots *x509.CertPool) (*http.Client, error) {
	c := &http.Client{}
	if client != nil {
		cp := *client
		c = &cp
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if len(caPEM) == 0 && roots == nil {
		return c, nil
	}
	if len(caPEM) > 0 && roots != nil {
		return nil, errors.New("set together with CAPEM; use one")
	}
	if roots == nil {
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(caPEM) {
			return nil, errors.New("holds no PEM certificate")
		}
		roots = pool
	}
	var t *http.Transport
	switch rt := c.Transport.(type) {
	case nil:
		t = http.DefaultTransport.(*http.Transport).Clone()
	case *http.Transport:
		t = rt.Clone()
	default:
		return nil, fmt.Errorf("the client's Transport is a %T, whose TLS settings cannot be changed; give it the certificate authorities instead", rt)
	}
	if t.TLSClientConfig == nil {
		t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	} else {
		t.TLSClientConfig = t.TLSClientConfig.Clone()
	}
	t.TLSClientConfig.RootCAs = roots
	c.Transport = t
	return c, nil
}

// maxParallel bounds how many calendars of one source sync at once.
const maxParallel = 4

// Sync syncs every calendar of the account: each changed one with what
// changed, an unchanged one with no events, a failed one with Err. A
// calendar that has a cursor but is gone from the server (or from
// Calendars) is returned Full with no events and no cursor. Sync fails as a
// whole only when ctx is done, or when no calendar can be found at all.
func (s *Source) Sync(ctx context.Context, cursors map[string]string) ([]calendar.Changes, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("caldav: source %q: %w", s.name, err)
	}
	cals, extra, err := s.calendars(ctx, cursors)
	if err != nil {
		return nil, fmt.Errorf("caldav: source %q: %w", s.name, err)
	}
	out := make([]calendar.Changes, len(cals))
	sem := make(chan struct{}, maxParallel)
	var wg sync.WaitGroup
	for i, cal := range cals {
		prev := cursors[cal.id]
		wg.Go(func() {
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
				out[i] = s.syncCalendar(ctx, cal, prev)
			case <-ctx.Done():
				out[i] = calendar.Changes{Calendar: s.cal(cal), Cursor: prev,
					Err: fmt.Errorf("caldav: %s: %w", cal.show, context.Cause(ctx))}
			}
		})
	}
	wg.Wait()
	out = append(out, extra...)
	for _, ch := range out {
		s.logResult(ch)
	}
	return out, nil
}

func (s *Source) cal(c *calInfo) calendar.Calendar {
	return calendar.Calendar{ID: c.id, Name: c.name, Owner: s.owner}
}

func (s *Source) logResult(ch calendar.Changes) {
	show := showID(ch.Calendar.ID)
	switch {
	case ch.Err != nil:
		s.log.Warn("caldav: calendar not synced", "source", s.name, "calendar", show, "err", ch.Err)
	case ch.Full && ch.Cursor == "" && len(ch.Events) == 0:
		s.log.Info("caldav: calendar removed", "source", s.name, "calendar", show)
	case ch.Full || len(ch.Events) > 0 || len(ch.Deleted) > 0 || len(ch.Problems) > 0:
		s.log.Info("caldav: calendar synced", "source", s.name, "calendar", show, "full", ch.Full,
			"events", len(ch.Events), "deleted", len(ch.Deleted), "problems", len(ch.Problems))
	default:
		s.log.Debug("caldav: calendar unchanged", "source", s.name, "calendar", show)
	}
}

func showID(id string) string {
	u, err := url.Parse(id)
	if err != nil || u.Host == "" {
		return clip(id, 80)
	}
	return retry.RedactURL(u)
}

// calInfo is one calendar collection, as discovery (or a cursor) knows it.
type calInfo struct {
	url  *url.URL
	id   string // url without credentials: Calendar.ID
	show string // redacted, for errors and logs
	name string
	// noSync says the calendar's supported-report-set lacks RFC 6578
	// sync-collection, so that it is not tried.
	noSync bool
	// mode is set for a calendar known only from its cursor (discovery
	// failed): how it was synced last time.
	mode string
}

func newCalInfo(u *url.URL, p *props) *calInfo {
	if !strings.HasSuffix(u.Path, "/") {
		// A collection's URL ends in a slash (RFC 4918 §5.2), so that one
		// calendar has one ID however it was named.
		cp := *u
		cp.Path += "/"
		if cp.RawPath != "" {
			cp.RawPath += "/"
		}
		u = &cp
	}
	c := &calInfo{url: u, id: u.String(), show: retry.RedactURL(u)}
	if p != nil {
		if p.DisplayName != nil {
			c.name = cleanName(*p.DisplayName)
		}
		c.noSync = p.Reports.lacks(nsDAV, "sync-collection")
	}
	if c.name == "" {
		c.name = cleanName(lastSegment(u.Path))
	}
	return c
}

func lastSegment(p string) string {
	p = strings.TrimRight(p, "/")
	return p[strings.LastIndexByte(p, '/')+1:]
}

// calendars returns the calendars to sync, from the last discovery while
// it is recent, and extra changes to report: calendars named in Calendars
// that do not exist, and calendars that are gone.
func (s *Source) calendars(ctx context.Context, cursors map[string]string) ([]*calInfo, []calendar.Changes, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.known != nil && s.now().Sub(s.discoveredAt) < s.every {
		return s.copyKnown(), slices.Clone(s.missing), nil
	}
	found, err := s.discover(ctx)
	if err != nil {
		if s.known != nil {
			s.log.Warn("caldav: discovery failed; syncing the calendars found before", "source", s.name, "err", err)
			return s.copyKnown(), nil, nil
		}
		if cals := fromCursors(cursors); len(cals) > 0 {
			s.log.Warn("caldav: discovery failed; syncing the calendars synced before", "source", s.name, "err", err)
			return cals, nil, nil
		}
		return nil, nil, err
	}
	selected, missing := s.selectCalendars(ctx, found)
	selected, gone := s.gone(ctx, selected, cursors)
	s.known, s.missing, s.discoveredAt = selected, missing, s.now()
	s.log.Info("caldav: calendars found", "source", s.name, "calendars", len(selected), "missing", len(missing), "gone", len(gone))
	for _, c := range selected {
		s.log.Debug("caldav: calendar found", "source", s.name, "calendar", c.show, "name", c.name, "sync_collection", !c.noSync)
	}
	return s.copyKnown(), append(slices.Clone(missing), gone...), nil
}

// copyKnown copies the calendars found, so that a sync cannot change them.
func (s *Source) copyKnown() []*calInfo {
	out := make([]*calInfo, len(s.known))
	for i, c := range s.known {
		cp := *c
		out[i] = &cp
	}
	return out
}

// forget makes the next sync discover the calendars again, e.g. after one
// of them answered 404.
func (s *Source) forget() {
	s.mu.Lock()
	s.discoveredAt = time.Time{}
	s.mu.Unlock()
}

// fromCursors lists the calendars the cursors name, for a sync whose
// discovery failed: what was synced before is synced again.
func fromCursors(cursors map[string]string) []*calInfo {
	var out []*calInfo
	for id, prev := range cursors {
		u, err := url.Parse(id)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			continue
		}
		c := newCalInfo(u, nil)
		st, ok := parseCursor(prev)
		if !ok {
			continue
		}
		c.mode = st.mode
		if st.name != "" {
			c.name = st.name
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b *calInfo) int { return strings.Compare(a.id, b.id) })
	return out
}

// propfind0 asks what one URL is.
func (s *Source) propfind0(ctx context.Context, u *url.URL, body string) (*response, error) {
	var got *response
	err := s.request(ctx, davRequest{method: "PROPFIND", url: u, depth: "0", body: []byte(body)}, func(resp *davResponse) error {
		got = nil
		_, err := parseMultistatus(resp.body, resp.url, func(r *response) error {
			// A Depth: 0 PROPFIND answers for its own URL; a server that
			// redirected answers for the target. Take the first answer.
			if got == nil {
				got = r
			}
			return nil
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	if got == nil {
		return nil, fmt.Errorf("PROPFIND %s: the multistatus has no response", retry.RedactURL(u))
	}
	if got.status/100 > 2 {
		return nil, fmt.Errorf("PROPFIND %s: HTTP %d in the multistatus", retry.RedactURL(u), got.status)
	}
	return got, nil
}

func isCalendar(p *props) bool { return p.ResourceType.has(nsCalDAV, "calendar") }

// discover finds the account's calendars, following RFC 6764 §6: the
// configured URL, then /.well-known/caldav (§5) and the server root, then
// the _caldavs._tcp SRV record (§3); from there the current user's
// principal (RFC 5397) and its calendar homes (RFC 4791 §6.2.1), and the
// calendars in each home that can hold events (§5.2.3). A URL that is
// itself a calendar is the only calendar.
func (s *Source) discover(ctx context.Context) ([]*calInfo, error) {
	tried := map[string]bool{}
	var firstErr error
	try := func(u *url.URL) (homes []*url.URL, cal *calInfo, err error) {
		if tried[u.String()] {
			return nil, nil, nil
		}
		tried[u.String()] = true
		r, err := s.propfind0(ctx, u, propfindCollection)
		if err != nil {
			return nil, nil, err
		}
		if isCalendar(&r.props) {
			return nil, newCalInfo(r.url, &r.props), nil
		}
		if r.props.HomeSet == nil && r.props.Principal != nil && len(r.props.Principal.Hrefs) > 0 {
			principal := resolveHref(r.url, r.props.Principal.Hrefs[0])
			if principal != nil && principal.String() != r.url.String() {
				if r, err = s.propfind0(ctx, principal, propfindCollection); err != nil {
					return nil, nil, err
				}
			}
		}
		if r.props.HomeSet != nil {
			for _, h := range r.props.HomeSet.Hrefs {
				// The home may be on another host (iCloud's
				// pNN-caldav.icloud.com): resolveHref keeps it.
				if hu := resolveHref(r.url, h); hu != nil {
					homes = append(homes, hu)
				}
			}
		}
		return homes, nil, nil
	}
	var homes []*url.URL
	for _, u := range s.candidates(s.base) {
		h, cal, err := try(u)
		if cal != nil {
			return []*calInfo{cal}, nil
		}
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			if st := statusOf(err); st == http.StatusUnauthorized {
				return nil, err // the next URL will not take these credentials either
			}
			continue
		}
		if len(h) > 0 {
			homes = h
			break
		}
	}
	if len(homes) == 0 && s.srvApplies() {
		if ctxURL, err := s.lookupSRV(ctx, s.base.Hostname()); err == nil {
			if u, perr := url.Parse(ctxURL); perr == nil && u.Scheme == "https" {
				for _, c := range s.candidates(u) {
					h, cal, err := try(c)
					if cal != nil {
						return []*calInfo{cal}, nil
					}
					if err == nil && len(h) > 0 {
						homes = h
						break
					}
				}
			}
		}
	}
	if len(homes) == 0 {
		if firstErr != nil {
			return nil, fmt.Errorf("no calendar home found from %s: %w", retry.RedactURL(s.base), firstErr)
		}
		return nil, fmt.Errorf("no calendar home found from %s (no current-user-principal or calendar-home-set)", retry.RedactURL(s.base))
	}
	var cals []*calInfo
	seen := map[string]bool{}
	var homeErrs []error
	for _, h := range homes {
		list, err := s.listHome(ctx, h)
		if err != nil {
			homeErrs = append(homeErrs, err)
			continue
		}
		for _, c := range list {
			if !seen[c.id] {
				seen[c.id] = true
				cals = append(cals, c)
			}
		}
	}
	if len(homeErrs) == len(homes) {
		return nil, errors.Join(homeErrs...)
	}
	for _, err := range homeErrs {
		s.log.Warn("caldav: a calendar home could not be listed", "source", s.name, "err", err)
	}
	slices.SortFunc(cals, func(a, b *calInfo) int { return strings.Compare(a.id, b.id) })
	return cals, nil
}

// candidates are the URLs discovery asks, in RFC 6764 §6 order.
func (s *Source) candidates(u *url.URL) []*url.URL {
	wk := &url.URL{Scheme: u.Scheme, Host: u.Host, Path: "/.well-known/caldav"}
	root := &url.URL{Scheme: u.Scheme, Host: u.Host, Path: "/"}
	return []*url.URL{u, wk, root}
}

// srvApplies says whether an SRV lookup makes sense for the base URL: a
// domain name given without a path, not an address or a local name.
func (s *Source) srvApplies() bool {
	host := s.base.Hostname()
	return s.base.Path == "/" && net.ParseIP(host) == nil && strings.Contains(host, ".") && host != "localhost"
}

// listHome lists the calendars of one calendar home that can hold events.
func (s *Source) listHome(ctx context.Context, home *url.URL) ([]*calInfo, error) {
	var cals []*calInfo
	err := s.request(ctx, davRequest{method: "PROPFIND", url: home, depth: "1", body: []byte(propfindCollection)}, func(resp *davResponse) error {
		cals = nil
		_, err := parseMultistatus(resp.body, resp.url, func(r *response) error {
			if r.status/100 > 2 || !isCalendar(&r.props) || !r.props.Components.supportsEvents() {
				return nil // the home itself, an inbox, a task list, an address book
			}
			cals = append(cals, newCalInfo(r.url, &r.props))
			return nil
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("listing the calendar home: %w", err)
	}
	return cals, nil
}

// selectCalendars applies Config.Calendars to the calendars found. A URL
// that discovery did not find is asked directly: a calendar shared from
// another account lives outside this one's home.
func (s *Source) selectCalendars(ctx context.Context, found []*calInfo) ([]*calInfo, []calendar.Changes) {
	if len(s.filters) == 0 {
		return found, nil
	}
	var out []*calInfo
	var missing []calendar.Changes
	seen := map[string]bool{}
	add := func(c *calInfo) {
		if !seen[c.id] {
			seen[c.id] = true
			out = append(out, c)
		}
	}
	for _, f := range s.filters {
		matched := false
		for _, c := range found {
			if f.matches(c.url, c.name) {
				add(c)
				matched = true
			}
		}
		if matched {
			continue
		}
		if f.url == nil {
			missing = append(missing, calendar.Changes{
				Calendar: calendar.Calendar{ID: f.raw, Name: f.raw, Owner: s.owner},
				Err:      fmt.Errorf("caldav: no calendar named %q among the %d found", clip(f.raw, 80), len(found)),
			})
			continue
		}
		u := s.base.ResolveReference(f.url)
		r, err := s.propfind0(ctx, u, propfindCollection)
		switch {
		case err != nil:
			missing = append(missing, calendar.Changes{
				Calendar: calendar.Calendar{ID: u.String(), Name: lastSegment(u.Path), Owner: s.owner},
				Err:      fmt.Errorf("caldav: %w", err),
			})
		case !isCalendar(&r.props):
			missing = append(missing, calendar.Changes{
				Calendar: calendar.Calendar{ID: u.String(), Name: lastSegment(u.Path), Owner: s.owner},
				Err:      fmt.Errorf("caldav: %s is not a calendar", retry.RedactURL(u)),
			})
		default:
			add(newCalInfo(r.url, &r.props))
		}
	}
	slices.SortFunc(out, func(a, b *calInfo) int { return strings.Compare(a.id, b.id) })
	return out, missing
}

// matches reports whether a calendar is the one the filter names. URLs
// compare without their trailing slash; a filter path matches any host.
func (f filter) matches(u *url.URL, name string) bool {
	if f.url == nil {
		return f.name != "" && strings.ToLower(name) == f.name
	}
	if f.url.Host != "" && !strings.EqualFold(f.url.Host, u.Host) {
		return false
	}
	return strings.TrimRight(f.url.Path, "/") == strings.TrimRight(u.Path, "/")
}

// gone finds the calendars that have a cursor but were not found. One that
// Calendars no longer selects, or that the server answers 404 or 410 for,
// is gone: it is reported Full with no events, which tombstones its events.
// One that still exists (a calendar not listed in the home) is synced; any
// other answer leaves it alone until the next discovery. Nothing is ever
// called gone on a failed discovery.
func (s *Source) gone(ctx context.Context, selected []*calInfo, cursors map[string]string) ([]*calInfo, []calendar.Changes) {
	have := map[string]bool{}
	for _, c := range selected {
		have[c.id] = true
	}
	var ids []string
	for id, prev := range cursors {
		if prev != "" && !have[id] {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	var out []calendar.Changes
	for _, id := range ids {
		u, err := url.Parse(id)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			continue
		}
		c := newCalInfo(u, nil)
		if st, ok := parseCursor(cursors[id]); ok && st.name != "" {
			c.name = st.name
		}
		removed := calendar.Changes{Calendar: s.cal(c), Full: true}
		if len(s.filters) > 0 && !slices.ContainsFunc(s.filters, func(f filter) bool { return f.matches(u, c.name) }) {
			out = append(out, removed)
			continue
		}
		r, err := s.propfind0(ctx, u, propfindCollection)
		switch {
		case err == nil && isCalendar(&r.props):
			selected = append(selected, newCalInfo(r.url, &r.props))
		case err == nil:
			out = append(out, removed) // something else lives there now
		case statusOf(err) == http.StatusNotFound || statusOf(err) == http.StatusGone:
			out = append(out, removed)
		default:
			s.log.Warn("caldav: a calendar synced before was not found, and asking for it failed", "source", s.name, "calendar", c.show, "err", err)
		}
	}
	slices.SortFunc(selected, func(a, b *calInfo) int { return strings.Compare(a.id, b.id) })
	return selected, out
}

// cleanName makes a name from the calendar safe to show and log.
func cleanName(s string) string { return calendar.CleanText(s, calendar.MaxName) }
