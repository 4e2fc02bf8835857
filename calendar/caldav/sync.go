package caldav

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"

	"github.com/rapport-dev/rapport/calendar"
	"github.com/rapport-dev/rapport/calendar/ics"
	"github.com/rapport-dev/rapport/retry"
)

// How a calendar is synced, in order of preference.
const (
	// modeSync asks an RFC 6578 sync-collection REPORT for what changed
	// since the last sync-token.
	modeSync = "sync"
	// modeCTag asks the calendar's CTag (Apple's getctag) and lists the
	// ETags of its objects only when it changed.
	modeCTag = "ctag"
	// modeETag lists the ETags of the objects every time.
	modeETag = "etag"
)

const (
	// multigetMax bounds the hrefs of one calendar-multiget.
	multigetMax = 100
	// maxSyncPages bounds how many truncated sync-collection answers (RFC
	// 6578 §3.6, 507 on the collection) are followed in one sync.
	maxSyncPages = 100
	// maxLogged bounds how many problems of one calendar are logged one
	// by one.
	maxLogged = 10
)

// errUnsupported says the server refused sync-collection itself.
var errUnsupported = errors.New("sync-collection not supported")

// object is what the cursor keeps of one calendar object.
type object struct {
	// etag is the object's ETag when last read; empty when it could not
	// be read and must be fetched again at the next change.
	etag string
	// uids are the UIDs it held, so that its deletion can name them: a
	// deleted href's UID is otherwise unknown.
	uids []string
}

// state is a calendar's sync state, kept in its cursor.
type state struct {
	mode     string
	fallback bool // sync-collection failed: do not try it again
	token    string
	ctag     string
	name     string
	// objects are by href path, unescaped. They are read from the cursor
	// only when needed: a sync with nothing changed reads and writes none
	// of them, which keeps it cheap for a calendar of thousands.
	objects map[string]*object
}

// sameHeader reports whether two states differ in nothing but objects.
func (st state) sameHeader(o state) bool {
	return st.mode == o.mode && st.fallback == o.fallback && st.token == o.token && st.ctag == o.ctag && st.name == o.name
}

// cursorVersion changes when the cursor's meaning does; an unknown version
// starts over.
const cursorVersion = 1

// cursorHeader is the compact JSON of a state, less its objects.
type cursorHeader struct {
	V int    `json:"v"`
	M string `json:"m"`
	F bool   `json:"f,omitempty"`
	T string `json:"t,omitempty"`
	C string `json:"c,omitempty"`
	N string `json:"n,omitempty"`
}

// cursorJSON is the compact JSON of a state. Objects are keyed by their
// href relative to the calendar, and an object whose only UID is its file
// name without ".ics" (the common case) stores its ETag alone.
type cursorJSON struct {
	cursorHeader
	O map[string][]string `json:"o,omitempty"`
}

// parseCursor reads a cursor's state, without its objects.
func parseCursor(s string) (state, bool) {
	var c cursorHeader
	if s == "" || json.Unmarshal([]byte(s), &c) != nil || c.V != cursorVersion {
		return state{}, false // unknown: start over with a full read
	}
	switch c.M {
	case modeSync, modeCTag, modeETag:
	default:
		return state{}, false
	}
	return state{mode: c.M, fallback: c.F, token: c.T, ctag: c.C, name: c.N}, true
}

// parseObjects reads a cursor's objects.
func parseObjects(s, calPath string) map[string]*object {
	var c struct {
		O map[string][]string `json:"o"`
	}
	_ = json.Unmarshal([]byte(s), &c) // parseCursor read it already
	out := make(map[string]*object, len(c.O))
	for rel, v := range c.O {
		if len(v) == 0 {
			continue
		}
		p := rel
		if !strings.HasPrefix(rel, "/") {
			p = calPath + rel
		}
		o := &object{etag: v[0]}
		if len(v) == 1 {
			o.uids = []string{defaultUID(p)}
		}
		for _, uid := range v[1:] {
			if uid != "" {
				o.uids = append(o.uids, uid)
			}
		}
		out[p] = o
	}
	return out
}

func (st state) encode(calPath string) string {
	c := cursorJSON{cursorHeader: cursorHeader{V: cursorVersion, M: st.mode, F: st.fallback, T: st.token, C: st.ctag, N: st.name}}
	if len(st.objects) > 0 {
		c.O = make(map[string][]string, len(st.objects))
	}
	for p, o := range st.objects {
		rel := p
		if r, ok := strings.CutPrefix(p, calPath); ok && r != "" && !strings.HasPrefix(r, "/") {
			rel = r
		}
		v := []string{o.etag}
		switch {
		case len(o.uids) == 1 && o.uids[0] == defaultUID(p):
		case len(o.uids) == 0:
			v = append(v, "")
		default:
			v = append(v, o.uids...)
		}
		c.O[rel] = v
	}
	b, _ := json.Marshal(c) // cannot fail: strings only
	return string(b)
}

// defaultUID is the UID an object's file name suggests: most clients name
// an object after its UID.
func defaultUID(p string) string {
	base := path.Base(p)
	if len(base) > 4 && strings.EqualFold(base[len(base)-4:], ".ics") {
		base = base[:len(base)-4]
	}
	return base
}

// member is a calendar object as a listing or a sync report names it.
type member struct {
	path   string // unescaped: the key in the cursor
	ref    string // as sent back to the server in a multiget
	etag   string
	ctype  *string
	length int64 // -1 when unknown
}

func memberOf(r *response) member {
	return member{path: r.url.Path, ref: r.url.EscapedPath(), etag: etag(r.props.ETag),
		ctype: r.props.ContentType, length: contentLength(r.props.ContentLength)}
}

// calSync is one sync of one calendar.
type calSync struct {
	s      *Source
	cal    *calInfo
	prev   string // the cursor
	old    state
	hadOld bool

	next    state
	full    bool
	fetch   []member
	gone    []string // paths of deleted objects
	changed bool     // anything at all to report

	oldObjs map[string]*object // the cursor's objects, once read
}

// oldObjects returns the objects of the cursor, reading them the first time.
func (sy *calSync) oldObjects() map[string]*object {
	if sy.oldObjs == nil {
		sy.oldObjs = map[string]*object{}
		if sy.hadOld {
			sy.oldObjs = parseObjects(sy.prev, sy.cal.url.Path)
		}
	}
	return sy.oldObjs
}

// objects returns the next state's objects: until something changes them,
// the cursor's.
func (sy *calSync) objects() map[string]*object {
	if sy.next.objects == nil {
		old := sy.oldObjects()
		sy.next.objects = make(map[string]*object, len(old))
		for p, o := range old {
			sy.next.objects[p] = o
		}
	}
	return sy.next.objects
}

// syncCalendar syncs one calendar from its cursor.
func (s *Source) syncCalendar(ctx context.Context, cal *calInfo, prev string) calendar.Changes {
	ch := calendar.Changes{Calendar: s.cal(cal), WholeSeries: true, Cursor: prev}
	sy := &calSync{s: s, cal: cal, prev: prev}
	sy.old, sy.hadOld = parseCursor(prev)
	if err := sy.plan(ctx); err != nil {
		if st := statusOf(err); st == http.StatusNotFound || st == http.StatusGone {
			s.forget() // moved or deleted: find the calendars again next time
		}
		ch.Err = fmt.Errorf("caldav: %s: %w", cal.show, err)
		return ch
	}
	if !sy.changed {
		if !sy.hadOld || sy.next.objects != nil || !sy.next.sameHeader(sy.old) {
			sy.objects()
			ch.Cursor = sy.next.encode(cal.url.Path)
		}
		return ch
	}
	fetched, err := sy.fetchAll(ctx)
	if err != nil {
		ch.Err = fmt.Errorf("caldav: %s: %w", cal.show, err)
		return ch
	}
	sy.apply(ctx, &ch, fetched)
	ch.Cursor = sy.next.encode(cal.url.Path)
	return ch
}

// mode picks how to sync the calendar: RFC 6578 sync-collection unless the
// calendar's supported-report-set lacks it or it failed before, else the
// CTag (which falls to ETag listings for a server without one).
func (sy *calSync) mode() string {
	switch {
	case sy.cal.mode != "": // known only from its cursor
		return sy.cal.mode
	case sy.hadOld && sy.old.fallback:
		return sy.old.mode
	case !sy.cal.noSync:
		return modeSync
	case sy.hadOld && sy.old.mode == modeETag:
		return modeETag
	default:
		return modeCTag
	}
}

// plan finds out what changed: which objects to fetch and which are gone.
func (sy *calSync) plan(ctx context.Context) error {
	sy.next = state{name: sy.cal.name}
	if sy.hadOld {
		// A server that refused sync-collection once is not asked again
		// until the calendar starts over (a cursor reset).
		sy.next.fallback = sy.old.fallback
		if sy.next.name == "" {
			sy.next.name = sy.old.name
		}
	}
	mode := sy.mode()
	if mode == modeSync {
		err := sy.planSync(ctx)
		if !errors.Is(err, errUnsupported) {
			return err
		}
		sy.s.log.Info("caldav: sync-collection refused; using the CTag and ETags instead", "source", sy.s.name, "calendar", sy.cal.show, "err", err)
		sy.next.fallback = true
		mode = modeCTag
	}
	return sy.planListing(ctx, mode)
}

// planSync asks what changed with an RFC 6578 sync-collection REPORT. A
// refused token (403 or 409 with the DAV:valid-sync-token precondition,
// §3.2; servers also answer 400, 404 or 500) starts over: the calendar is
// read whole again, and reported Full.
func (sy *calSync) planSync(ctx context.Context) error {
	sy.next.mode = modeSync
	token := ""
	if sy.hadOld && sy.old.mode == modeSync {
		token = sy.old.token
	}
	res, err := sy.s.reportSync(ctx, sy.cal, token)
	if err != nil && token != "" && restartable(err) {
		sy.s.log.Info("caldav: sync token refused; reading the calendar again", "source", sy.s.name, "calendar", sy.cal.show, "err", err)
		token = ""
		res, err = sy.s.reportSync(ctx, sy.cal, "")
	}
	if err != nil {
		if token == "" && unsupported(err) {
			return fmt.Errorf("%w: %w", errUnsupported, err)
		}
		return err
	}
	sy.next.token = res.token
	if token == "" {
		// Started over: everything listed is the calendar.
		sy.full, sy.changed = true, true
		sy.next.objects = map[string]*object{}
		for _, m := range res.changed {
			sy.fetch = append(sy.fetch, m)
		}
		return nil
	}
	if len(res.deleted) == 0 && len(res.changed) == 0 {
		return nil
	}
	for _, p := range res.deleted {
		if _, ok := sy.objects()[p]; ok {
			sy.gone = append(sy.gone, p)
		}
	}
	queued := map[string]bool{}
	for _, m := range res.changed {
		if o := sy.objects()[m.path]; o != nil && o.etag != "" && o.etag == m.etag {
			continue // reported, but the ETag says it is what was read
		}
		queued[m.path] = true
		sy.fetch = append(sy.fetch, m)
	}
	if len(sy.fetch) == 0 && len(sy.gone) == 0 {
		return nil
	}
	sy.changed = true
	sy.retryUnread(queued)
	return nil
}

// retryUnread queues the objects that could not be read last time, now
// that the calendar is being fetched from anyway.
func (sy *calSync) retryUnread(queued map[string]bool) {
	var unread []string
	for p, o := range sy.objects() {
		if o.etag == "" && !queued[p] && !slices.Contains(sy.gone, p) {
			unread = append(unread, p)
		}
	}
	slices.Sort(unread)
	for _, p := range unread {
		sy.fetch = append(sy.fetch, member{path: p, ref: escapePath(p), length: -1})
	}
}

// restartable reports whether a failed incremental sync-collection is worth
// one from scratch: the server refused the token, in whichever way it does.
func restartable(err error) bool {
	if preconditionOf(err) == "valid-sync-token" {
		return true
	}
	st := statusOf(err)
	return st != 0 && st != http.StatusUnauthorized && st != http.StatusTooManyRequests
}

// unsupported reports whether a sync-collection from scratch failed because
// the server does not do it, rather than because of the calendar.
func unsupported(err error) bool {
	switch statusOf(err) {
	case http.StatusBadRequest, http.StatusForbidden, http.StatusMethodNotAllowed,
		http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity, http.StatusNotImplemented:
		return preconditionOf(err) == "" || preconditionOf(err) == "supported-report"
	}
	return false
}

// syncResult is what a sync-collection REPORT says.
type syncResult struct {
	token   string
	changed []member
	deleted []string
}

// reportSync runs a sync-collection REPORT (RFC 6578 §3.2), following
// truncated answers (§3.6: a 507 for the collection itself, with a token
// to continue from).
func (s *Source) reportSync(ctx context.Context, cal *calInfo, token string) (syncResult, error) {
	changed := map[string]member{}
	deleted := map[string]bool{}
	var order []string
	for page := 0; ; page++ {
		if page == maxSyncPages {
			return syncResult{}, fmt.Errorf("REPORT %s: sync-collection still truncated after %d answers", cal.show, maxSyncPages)
		}
		var (
			more     bool
			next     string
			pageMems []member
			pageDels []string
		)
		// RFC 6578 §3.2 defines the report for Depth: 0, the default
		// when no Depth is sent.
		err := s.request(ctx, davRequest{method: "REPORT", url: cal.url, body: syncCollectionBody(token)}, func(resp *davResponse) error {
			more, pageMems, pageDels = false, nil, nil
			var err error
			next, err = parseMultistatus(resp.body, resp.url, func(r *response) error {
				switch {
				case samePath(r.url.Path, cal.url.Path):
					more = more || r.status == http.StatusInsufficientStorage
				case r.status == http.StatusNotFound || r.status == http.StatusGone:
					pageDels = append(pageDels, r.url.Path)
				case r.status/100 > 2:
					// Neither changed nor deleted: nothing to act on.
				case r.props.ResourceType.has(nsDAV, "collection"):
				default:
					pageMems = append(pageMems, memberOf(r))
				}
				return nil
			})
			return err
		})
		if err != nil {
			return syncResult{}, err
		}
		for _, p := range pageDels {
			delete(changed, p)
			deleted[p] = true
		}
		for _, m := range pageMems {
			if _, ok := changed[m.path]; !ok {
				order = append(order, m.path)
			}
			changed[m.path] = m
			delete(deleted, m.path)
		}
		if next == "" {
			return syncResult{}, fmt.Errorf("REPORT %s: the sync-collection answer has no sync-token", cal.show)
		}
		token = next
		if !more {
			break
		}
	}
	res := syncResult{token: token}
	for _, p := range order {
		if m, ok := changed[p]; ok {
			res.changed = append(res.changed, m)
			delete(changed, p)
		}
	}
	for p := range deleted {
		res.deleted = append(res.deleted, p)
	}
	slices.Sort(res.deleted)
	return res, nil
}

// planListing finds what changed by listing ETags: at every sync in ETag
// mode, and in CTag mode only when the CTag changed.
func (sy *calSync) planListing(ctx context.Context, mode string) error {
	sy.next.mode, sy.next.token = mode, ""
	if mode == modeCTag {
		r, err := sy.s.propfind0(ctx, sy.cal.url, propfindCTag)
		if err != nil {
			return err
		}
		ctag := ""
		if r.props.CTag != nil {
			ctag = strings.TrimSpace(*r.props.CTag)
		}
		if ctag == "" {
			// No CTag: list ETags, now and at every sync, rather than
			// ask for a CTag that never comes.
			sy.next.mode = modeETag
		}
		sy.next.ctag = ctag
		if ctag != "" && sy.hadOld && sy.old.mode == modeCTag && sy.old.ctag == ctag {
			return nil
		}
	}
	members, err := sy.s.listMembers(ctx, sy.cal)
	if err != nil {
		return err
	}
	if !sy.hadOld {
		sy.full, sy.changed = true, true
		sy.fetch = members
		return nil
	}
	listed := map[string]bool{}
	for _, m := range members {
		listed[m.path] = true
		if o := sy.objects()[m.path]; o != nil && o.etag != "" && o.etag == m.etag {
			continue
		}
		sy.fetch = append(sy.fetch, m)
	}
	for p := range sy.objects() {
		if !listed[p] {
			sy.gone = append(sy.gone, p)
		}
	}
	slices.Sort(sy.gone)
	sy.changed = len(sy.fetch) > 0 || len(sy.gone) > 0
	return nil
}

// listMembers lists a calendar's objects with their ETags (a Depth: 1
// PROPFIND, RFC 4918 §9.1).
func (s *Source) listMembers(ctx context.Context, cal *calInfo) ([]member, error) {
	var members []member
	err := s.request(ctx, davRequest{method: "PROPFIND", url: cal.url, depth: "1", body: []byte(propfindMembers)}, func(resp *davResponse) error {
		members = nil
		_, err := parseMultistatus(resp.body, resp.url, func(r *response) error {
			if samePath(r.url.Path, cal.url.Path) || r.status/100 > 2 || r.props.ResourceType.has(nsDAV, "collection") {
				return nil
			}
			members = append(members, memberOf(r))
			return nil
		})
		return err
	})
	return members, err
}

func samePath(a, b string) bool { return strings.TrimRight(a, "/") == strings.TrimRight(b, "/") }

func escapePath(p string) string { return (&url.URL{Path: p}).EscapedPath() }

// fetched is one object read, or why it was not.
type fetched struct {
	member
	data string
	err  error
	// final says the failure is the object's own (it is too large), so it
	// is not tried again until it changes.
	final bool
	skip  bool // not an event object: nothing to read
}

// fetchAll reads the objects to fetch with calendar-multiget, in batches
// bounded by count and, where the listing gave sizes, by bytes.
func (sy *calSync) fetchAll(ctx context.Context) ([]fetched, error) {
	var out []fetched
	var batch []member
	var size int64
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		got, err := sy.multiget(ctx, batch, sy.s.retry, true)
		if err != nil {
			return err
		}
		out = append(out, got...)
		batch, size = nil, 0
		return nil
	}
	for _, m := range sy.fetch {
		switch {
		case otherComponent(m.ctype):
			out = append(out, fetched{member: m, skip: true})
			continue
		case m.length > sy.s.maxObject:
			out = append(out, fetched{member: m, final: true,
				err: fmt.Errorf("%s is larger than the MaxObjectBytes limit of %s", formatBytes(m.length), formatBytes(sy.s.maxObject))})
			continue
		}
		if len(batch) > 0 && (len(batch) == multigetMax || size+max(m.length, 0) > sy.s.maxResponse/2) {
			if err := flush(); err != nil {
				return nil, err
			}
		}
		batch = append(batch, m)
		size += max(m.length, 0)
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return out, nil
}

// multiget reads a batch. When the whole batch fails in a way one object
// can cause (a response over the limit, XML the decoder refuses, a server
// error) it is split in two and each half tried once, down to the object
// at fault, so that one object never stops the others. When both halves
// fail too, or every object does, the server is at fault: the calendar
// fails, and its cursor stays, so that the next sync asks again.
func (sy *calSync) multiget(ctx context.Context, batch []member, policy retry.Policy, top bool) ([]fetched, error) {
	got, err := sy.s.multigetOnce(ctx, sy.cal, batch, policy)
	if err == nil {
		return got, nil
	}
	if ctx.Err() != nil || !splittable(err) {
		return nil, err
	}
	// A response over the limit or XML that does not parse is the
	// object's own doing, and stays until it changes; a server error may
	// pass.
	final := errors.Is(err, errTooLarge) || isXMLError(err)
	if len(batch) == 1 {
		if top && !final {
			return nil, err // nothing else was asked: fail, and ask again next time
		}
		return []fetched{{member: batch[0], err: err, final: final}}, nil
	}
	once := retry.Policy{Attempts: 1}
	half := len(batch) / 2
	a, errA := sy.multiget(ctx, batch[:half], once, false)
	b, errB := sy.multiget(ctx, batch[half:], once, false)
	switch {
	case errA != nil && errB != nil:
		return nil, err
	case errA != nil:
		a = failAll(batch[:half], errA)
	case errB != nil:
		b = failAll(batch[half:], errB)
	}
	out := append(a, b...)
	if top && !slices.ContainsFunc(out, func(f fetched) bool { return f.err == nil || f.final }) {
		return nil, err // every object failed: the server, not the objects
	}
	return out, nil
}

func failAll(batch []member, err error) []fetched {
	out := make([]fetched, len(batch))
	for i, m := range batch {
		out[i] = fetched{member: m, err: err}
	}
	return out
}

// splittable reports whether a failed multiget may be the fault of one of
// its objects.
func splittable(err error) bool {
	st := statusOf(err)
	return errors.Is(err, errTooLarge) || isXMLError(err) ||
		st >= 500 || st == http.StatusBadRequest || st == http.StatusRequestEntityTooLarge
}

// multigetOnce runs one calendar-multiget REPORT (RFC 4791 §7.9). Each
// object's answer stands alone: a 404 or 403 for one, a missing or
// oversized calendar-data, is that object's failure. Objects the request
// did not name (a server that answers with every object, as some ignore a
// time-range) are ignored.
func (s *Source) multigetOnce(ctx context.Context, cal *calInfo, batch []member, policy retry.Policy) ([]fetched, error) {
	want := make(map[string]int, len(batch))
	refs := make([]string, len(batch))
	for i, m := range batch {
		want[m.path] = i
		refs[i] = m.ref
	}
	var out []fetched
	// RFC 4791 §7.9 has the server ignore Depth for this report; clients
	// in the wild send 1, and so does this one, for servers that look.
	err := s.request(ctx, davRequest{method: "REPORT", url: cal.url, depth: "1", body: multigetBody(refs), policy: policy}, func(resp *davResponse) error {
		out = make([]fetched, len(batch))
		answered := make([]bool, len(batch))
		extra := 0
		_, err := parseMultistatus(resp.body, resp.url, func(r *response) error {
			i, ok := want[r.url.Path]
			if !ok || answered[i] {
				extra++
				return nil
			}
			answered[i] = true
			f := fetched{member: batch[i]}
			if e := etag(r.props.ETag); e != "" {
				f.etag = e
			}
			switch data := r.props.CalendarData; {
			case r.status != 0 && r.status/100 != 2:
				f.err = fmt.Errorf("HTTP %d %s in the multistatus", r.status, http.StatusText(r.status))
			case data == nil && r.dataStatus != 0:
				f.err = fmt.Errorf("calendar-data refused with HTTP %d %s", r.dataStatus, http.StatusText(r.dataStatus))
			case data == nil:
				f.err = errors.New("no calendar-data in the answer")
			case int64(len(*data)) > s.maxObject:
				f.err = fmt.Errorf("%s is larger than the MaxObjectBytes limit of %s", formatBytes(int64(len(*data))), formatBytes(s.maxObject))
				f.final = true
			default:
				f.data = *data
			}
			out[i] = f
			return nil
		})
		if err != nil {
			return err
		}
		for i, ok := range answered {
			if !ok {
				out[i] = fetched{member: batch[i], err: errors.New("not in the server's answer to calendar-multiget")}
			}
		}
		if extra > 0 {
			s.log.DebugContext(ctx, "caldav: ignored objects that were not asked for", "source", s.name, "calendar", cal.show, "count", extra)
		}
		return nil
	})
	return out, err
}

// apply decodes what was fetched into the changes, and the next state.
func (sy *calSync) apply(ctx context.Context, ch *calendar.Changes, got []fetched) {
	ch.Full = sy.full
	var removed []string // UIDs that objects no longer hold
	objects := sy.objects()
	for _, p := range sy.gone {
		if o := objects[p]; o != nil {
			removed = append(removed, o.uids...)
			delete(objects, p)
		}
	}
	var warnings []*calendar.ObjectError
	for _, f := range got {
		old := sy.oldObjects()[f.path]
		var oldUIDs []string
		if old != nil {
			oldUIDs = old.uids
		}
		where := sy.objectWhere(f.path)
		switch {
		case f.skip:
			objects[f.path] = &object{etag: f.etag}
			removed = append(removed, oldUIDs...)
			continue
		case f.err != nil:
			next := &object{uids: oldUIDs}
			if f.final {
				next.etag = f.etag
			}
			objects[f.path] = next
			ch.Problems = append(ch.Problems, &calendar.ObjectError{Where: where, Object: first(oldUIDs), Err: f.err})
			continue
		}
		res, err := ics.DecodeBytes([]byte(f.data), ics.Options{Where: where, DefaultZone: sy.s.zone})
		if err != nil {
			objects[f.path] = &object{etag: f.etag, uids: oldUIDs}
			msg := strings.TrimPrefix(err.Error(), "ics: "+where+": ")
			ch.Problems = append(ch.Problems, &calendar.ObjectError{Where: where, Object: first(oldUIDs), Err: errors.New(msg)})
			continue
		}
		var uids []string
		for _, e := range res.Events {
			if !slices.Contains(uids, e.UID) {
				uids = append(uids, e.UID)
			}
		}
		for _, p := range res.Problems {
			if p.Object != "" && !slices.Contains(uids, p.Object) {
				uids = append(uids, p.Object)
			}
		}
		for _, u := range oldUIDs {
			if !slices.Contains(uids, u) {
				removed = append(removed, u)
			}
		}
		objects[f.path] = &object{etag: f.etag, uids: uids}
		ch.Events = append(ch.Events, res.Events...)
		ch.Problems = append(ch.Problems, res.Problems...)
		warnings = append(warnings, res.Warnings...)
	}
	if !sy.full {
		// A UID still held by another object (moved from one href to
		// another) is not gone.
		live := map[string]bool{}
		for _, o := range objects {
			for _, u := range o.uids {
				live[u] = true
			}
		}
		for _, u := range removed {
			if !live[u] && !slices.Contains(ch.Deleted, u) {
				ch.Deleted = append(ch.Deleted, u)
			}
		}
		slices.Sort(ch.Deleted)
	}
	sy.s.logObjects(ctx, sy.cal.show, "problem", slog.LevelWarn, ch.Problems)
	sy.s.logObjects(ctx, sy.cal.show, "lenient reading", slog.LevelDebug, warnings)
}

// objectWhere names an object in problems: the redacted calendar URL and
// the object's name, e.g. "https://dav.example.com/…/work/3f2a.ics".
func (sy *calSync) objectWhere(p string) string {
	return sy.cal.show + "/" + clip(path.Base(p), 64)
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// logObjects logs per-object problems or warnings: a summary at level, then
// the first few one by one at debug. ObjectErrors carry UIDs, hrefs and
// properties, never titles.
func (s *Source) logObjects(ctx context.Context, show, what string, level slog.Level, errs []*calendar.ObjectError) {
	if len(errs) == 0 {
		return
	}
	s.log.Log(ctx, level, "caldav: objects with a "+what, "source", s.name, "calendar", show, "count", len(errs), "err", errs[0])
	for _, e := range errs[:min(len(errs), maxLogged)] {
		s.log.DebugContext(ctx, "caldav: "+what, "source", s.name, "calendar", show, "err", e)
	}
}
