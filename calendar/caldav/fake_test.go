package caldav_test

import (
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// fakeServer is a CalDAV server for tests of what real servers do wrong.
// Its answers are written as SabreDAV (Nextcloud, Baïkal) writes them: the
// d:/cal:/cs: prefixes, a 404 propstat for unknown properties, sync tokens
// as http://sabre.io/ns/sync/N. A test changes its state, flips its quirks,
// or answers a request itself with hook, with XML recorded from other
// servers.
type fakeServer struct {
	*httptest.Server
	t *testing.T

	mu        sync.Mutex
	principal string // "/remote.php/dav/principals/users/alice/"
	home      string // "/remote.php/dav/calendars/alice/"
	cals      map[string]*fakeCalendar
	requests  []string // "METHOD path kind"
	auths     []string // the Authorization header of each request

	// hook answers a request first when it returns true.
	hook func(w http.ResponseWriter, r *http.Request, kind, body string) bool
	// Quirks.
	unquotedETags bool // ETags without their quotes (seen from Zimbra and older SOGo)
	noSync        bool // no sync-token, sync-collection refused (501)
	noCTag        bool // no getctag
	noLength      bool // no getcontentlength (Google's listings have none)
}

type fakeCalendar struct {
	name    string
	comps   []string // supported components; nil means the property is absent
	objects map[string]*fakeObject
	seq     int         // the current sync token's number
	log     []fakeEvent // what changed at each seq
	minSeq  int         // older tokens are refused, as if expired
}

type fakeObject struct {
	etag  string
	data  string
	ctype string // the getcontenttype; empty means text/calendar; component=vevent
}

type fakeEvent struct {
	seq  int
	name string
}

func newFakeServer(t *testing.T) *fakeServer {
	f := &fakeServer{t: t, principal: "/remote.php/dav/principals/users/alice/", home: "/remote.php/dav/calendars/alice/", cals: map[string]*fakeCalendar{}}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

// calendar creates a calendar in the home and returns its URL.
func (f *fakeServer) calendar(name, display string, comps ...string) string {
	return f.calendarAt(f.home+name+"/", display, comps...)
}

// calendarAt creates a calendar at any path, e.g. in another user's home.
func (f *fakeServer) calendarAt(path, display string, comps ...string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if comps == nil {
		comps = []string{"VEVENT", "VTODO"}
	}
	f.cals[path] = &fakeCalendar{name: display, comps: comps, objects: map[string]*fakeObject{}}
	return f.URL + path
}

func (f *fakeServer) cal(u string) *fakeCalendar {
	c := f.cals[strings.TrimPrefix(u, f.URL)]
	if c == nil {
		f.t.Fatalf("no calendar %s", u)
	}
	return c
}

// put stores an object, as a client's PUT would.
func (f *fakeServer) put(calURL, name, data string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.cal(calURL)
	c.seq++
	c.objects[name] = &fakeObject{etag: fmt.Sprintf("%x-%d", len(data), c.seq), data: data}
	c.log = append(c.log, fakeEvent{c.seq, name})
}

// setObject changes an object's stored form without a client's PUT.
func (f *fakeServer) setObject(calURL, name string, o *fakeObject) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.cal(calURL)
	c.seq++
	c.objects[name] = o
	c.log = append(c.log, fakeEvent{c.seq, name})
}

func (f *fakeServer) remove(calURL, name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.cal(calURL)
	c.seq++
	delete(c.objects, name)
	c.log = append(c.log, fakeEvent{c.seq, name})
}

// expireTokens makes every token given so far invalid.
func (f *fakeServer) expireTokens(calURL string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.cal(calURL)
	c.minSeq = c.seq + 1
	c.seq++
}

// took returns the requests since the last call.
func (f *fakeServer) took() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.requests
	f.requests = nil
	return r
}

func (f *fakeServer) setHook(h func(w http.ResponseWriter, r *http.Request, kind, body string) bool) {
	f.mu.Lock()
	f.hook = h
	f.mu.Unlock()
}

// requestKind names a request by its body's root element.
func requestKind(body string) string {
	for _, k := range []string{"sync-collection", "calendar-multiget", "calendar-query", "propfind"} {
		if strings.Contains(body, ":"+k) || strings.Contains(body, "<"+k) {
			return k
		}
	}
	return ""
}

func (f *fakeServer) serve(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	body := string(b)
	kind := requestKind(body)
	f.mu.Lock()
	f.requests = append(f.requests, r.Method+" "+r.URL.Path+" "+kind)
	f.auths = append(f.auths, r.Header.Get("Authorization"))
	hook := f.hook
	f.mu.Unlock()
	if hook != nil && hook(w, r, kind, body) {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	p := r.URL.Path
	switch {
	case p == "/.well-known/caldav":
		http.Redirect(w, r, "/remote.php/dav/", http.StatusMovedPermanently)
	case r.Method == "PROPFIND" && (p == "/remote.php/dav/" || p == "/"):
		f.multistatus(w, f.propResponse(p, body, map[string]string{
			"d:current-user-principal": "<d:href>" + f.principal + "</d:href>",
			"d:resourcetype":           "<d:collection/>",
		}))
	case r.Method == "PROPFIND" && p == f.principal:
		f.multistatus(w, f.propResponse(p, body, map[string]string{
			"d:current-user-principal": "<d:href>" + f.principal + "</d:href>",
			"cal:calendar-home-set":    "<d:href>" + f.home + "</d:href>",
			"d:resourcetype":           "<d:principal/>",
			"d:displayname":            "Alice",
		}))
	case r.Method == "PROPFIND" && p == f.home:
		out := f.propResponse(p, body, map[string]string{"d:resourcetype": "<d:collection/>"})
		if r.Header.Get("Depth") == "1" {
			names := make([]string, 0, len(f.cals))
			for path := range f.cals {
				names = append(names, path)
			}
			slices.Sort(names)
			for _, path := range names {
				if strings.HasPrefix(path, f.home) { // not those shared from other homes
					out += f.propResponse(path, body, f.calendarProps(f.cals[path]))
				}
			}
			// What a Nextcloud home also holds.
			out += f.propResponse(f.home+"inbox/", body, map[string]string{"d:resourcetype": "<d:collection/><cal:schedule-inbox/>"})
		}
		f.multistatus(w, out)
	case f.cals[p] != nil:
		f.serveCalendar(w, r, f.cals[p], p, kind, body)
	case f.cals[p+"/"] != nil: // a collection named without its slash, as SabreDAV takes it
		f.serveCalendar(w, r, f.cals[p+"/"], p+"/", kind, body)
	default:
		http.NotFound(w, r)
	}
}

func (f *fakeServer) calendarProps(c *fakeCalendar) map[string]string {
	props := map[string]string{
		"d:resourcetype": "<d:collection/><cal:calendar/>",
		"d:displayname":  html.EscapeString(c.name),
	}
	if c.comps != nil {
		var comps string
		for _, name := range c.comps {
			comps += `<cal:comp name="` + name + `"/>`
		}
		props["cal:supported-calendar-component-set"] = comps
	}
	if !f.noCTag {
		props["cs:getctag"] = "http://sabre.io/ns/sync/" + strconv.Itoa(c.seq)
	}
	reports := `<d:supported-report><d:report><cal:calendar-multiget/></d:report></d:supported-report>` +
		`<d:supported-report><d:report><cal:calendar-query/></d:report></d:supported-report>`
	if !f.noSync {
		props["d:sync-token"] = "http://sabre.io/ns/sync/" + strconv.Itoa(c.seq)
		reports += `<d:supported-report><d:report><d:sync-collection/></d:report></d:supported-report>`
	}
	props["d:supported-report-set"] = reports
	return props
}

func (f *fakeServer) etag(o *fakeObject) string {
	if f.unquotedETags {
		return o.etag
	}
	return `"` + o.etag + `"`
}

func (f *fakeServer) serveCalendar(w http.ResponseWriter, r *http.Request, c *fakeCalendar, p, kind, body string) {
	switch {
	case r.Method == "PROPFIND":
		out := f.propResponse(p, body, f.calendarProps(c))
		if r.Header.Get("Depth") == "1" {
			for _, name := range sortedNames(c.objects) {
				o := c.objects[name]
				out += f.propResponse(p+name, body, f.objectProps(o, false))
			}
		}
		f.multistatus(w, out)
	case r.Method == "REPORT" && kind == "sync-collection":
		if f.noSync {
			w.WriteHeader(http.StatusNotImplemented)
			return
		}
		m := regexp.MustCompile(`sync-token>([^<]*)<`).FindStringSubmatch(body)
		from := 0
		if m != nil && m[1] != "" {
			n, err := strconv.Atoi(strings.TrimPrefix(m[1], "http://sabre.io/ns/sync/"))
			if err != nil || n < c.minSeq || n > c.seq {
				w.Header().Set("Content-Type", "application/xml; charset=utf-8")
				w.WriteHeader(http.StatusForbidden)
				io.WriteString(w, `<?xml version="1.0" encoding="utf-8"?>
<d:error xmlns:d="DAV:" xmlns:s="http://sabredav.org/ns">
  <s:sabredav-version>4.6.0</s:sabredav-version>
  <s:exception>Sabre\DAV\Exception\InvalidSyncToken</s:exception>
  <s:message>Invalid or unknown sync token</s:message>
  <d:valid-sync-token/>
</d:error>`)
				return
			}
			from = n
		}
		var out string
		var names []string
		if from == 0 {
			names = sortedNames(c.objects)
		} else {
			for _, e := range c.log {
				if e.seq > from && !slices.Contains(names, e.name) {
					names = append(names, e.name)
				}
			}
		}
		for _, name := range names {
			if o := c.objects[name]; o != nil {
				out += f.propResponse(p+name, body, f.objectProps(o, false))
			} else {
				out += "<d:response><d:href>" + p + name + "</d:href><d:status>HTTP/1.1 404 Not Found</d:status></d:response>"
			}
		}
		f.multistatusToken(w, out, "http://sabre.io/ns/sync/"+strconv.Itoa(c.seq))
	case r.Method == "REPORT" && kind == "calendar-multiget":
		var out string
		for _, href := range hrefsOf(body) {
			name := strings.TrimPrefix(href, p)
			if o := c.objects[name]; o != nil {
				out += f.propResponse(href, body, f.objectProps(o, true))
			} else {
				out += "<d:response><d:href>" + href + "</d:href><d:status>HTTP/1.1 404 Not Found</d:status></d:response>"
			}
		}
		f.multistatus(w, out)
	default:
		http.Error(w, "unexpected "+r.Method+" "+kind, http.StatusBadRequest)
	}
}

func (f *fakeServer) objectProps(o *fakeObject, data bool) map[string]string {
	ctype := o.ctype
	if ctype == "" {
		ctype = "text/calendar; charset=utf-8; component=vevent"
	}
	props := map[string]string{
		"d:getetag":        html.EscapeString(f.etag(o)),
		"d:getcontenttype": ctype,
		"d:resourcetype":   "",
	}
	if !f.noLength {
		props["d:getcontentlength"] = strconv.Itoa(len(o.data))
	}
	if data {
		props["cal:calendar-data"] = html.EscapeString(o.data)
	}
	return props
}

var propName = regexp.MustCompile(`<([a-zA-Z]+:)?([a-z-]+)/>`)

// propResponse answers the properties the request asks for: those it
// has in a 200 propstat, the others in a 404 one, as SabreDAV does.
func (f *fakeServer) propResponse(href, body string, have map[string]string) string {
	var ok, missing strings.Builder
	inProp := body
	if i := strings.Index(body, "prop>"); i >= 0 {
		inProp = body[i:]
	}
	for _, m := range propName.FindAllStringSubmatch(inProp, -1) {
		local := m[2]
		var key string
		for k := range have {
			if strings.HasSuffix(k, ":"+local) {
				key = k
			}
		}
		switch {
		case key != "":
			fmt.Fprintf(&ok, "<%s>%s</%s>", key, have[key], key)
		case local == "prop" || local == "sync-level":
		default:
			fmt.Fprintf(&missing, "<%s%s/>", prefixFor(local), local)
		}
	}
	out := "<d:response><d:href>" + href + "</d:href>"
	if ok.Len() > 0 {
		out += "<d:propstat><d:prop>" + ok.String() + "</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat>"
	}
	if missing.Len() > 0 {
		out += "<d:propstat><d:prop>" + missing.String() + "</d:prop><d:status>HTTP/1.1 404 Not Found</d:status></d:propstat>"
	}
	return out + "</d:response>"
}

func prefixFor(local string) string {
	switch local {
	case "getctag":
		return "cs:"
	case "calendar-home-set", "supported-calendar-component-set", "calendar-data":
		return "cal:"
	}
	return "d:"
}

const msOpen = `<?xml version="1.0"?>
<d:multistatus xmlns:d="DAV:" xmlns:s="http://sabredav.org/ns" xmlns:cal="urn:ietf:params:xml:ns:caldav" xmlns:cs="http://calendarserver.org/ns/" xmlns:oc="http://owncloud.org/ns" xmlns:nc="http://nextcloud.org/ns">`

func (f *fakeServer) multistatus(w http.ResponseWriter, responses string) {
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.WriteHeader(http.StatusMultiStatus)
	io.WriteString(w, msOpen+responses+"</d:multistatus>")
}

func (f *fakeServer) multistatusToken(w http.ResponseWriter, responses, token string) {
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.WriteHeader(http.StatusMultiStatus)
	io.WriteString(w, msOpen+responses+"<d:sync-token>"+token+"</d:sync-token></d:multistatus>")
}

var hrefRE = regexp.MustCompile(`<(?:[a-zA-Z]+:)?href>([^<]*)</`)

func hrefsOf(body string) []string {
	var out []string
	for _, m := range hrefRE.FindAllStringSubmatch(body, -1) {
		out = append(out, html.UnescapeString(m[1]))
	}
	return out
}

func sortedNames(m map[string]*fakeObject) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
