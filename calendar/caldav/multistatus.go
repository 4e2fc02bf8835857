package caldav

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"mime"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// XML namespaces of the properties Rapport reads.
const (
	nsDAV    = "DAV:"                          // RFC 4918
	nsCalDAV = "urn:ietf:params:xml:ns:caldav" // RFC 4791
	nsCS     = "http://calendarserver.org/ns/" // getctag: Apple's calendarserver-ctag.txt
)

// The request bodies. They are constants with the hrefs and tokens escaped
// into them, which keeps them readable next to the RFCs.
const (
	// propfindCollection asks what a URL is: a principal, a home, a
	// calendar (RFC 4791 §6.2.1 home set, §5.2.3 components, RFC 5397
	// current-user-principal, RFC 3253 §3.1.5 supported-report-set). It
	// asks nothing that the server computes from a calendar's objects
	// (getctag, sync-token): Radicale reads every object of every calendar
	// to answer those for a home, which takes minutes on a large account.
	propfindCollection = `<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
 <D:prop><D:resourcetype/><D:displayname/><D:current-user-principal/><C:calendar-home-set/>
  <C:supported-calendar-component-set/><D:supported-report-set/></D:prop>
</D:propfind>`

	// propfindCTag is the cheap "did anything change" question of servers
	// without sync-collection.
	propfindCTag = `<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/">
 <D:prop><CS:getctag/></D:prop>
</D:propfind>`

	// propfindMembers lists a calendar's objects with their ETags.
	propfindMembers = `<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:">
 <D:prop><D:resourcetype/><D:getetag/><D:getcontenttype/><D:getcontentlength/></D:prop>
</D:propfind>`
)

// syncCollectionBody is an RFC 6578 §3.2 sync-collection REPORT; an empty
// token asks for every member (the initial synchronization, §3.4).
func syncCollectionBody(token string) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n" + `<D:sync-collection xmlns:D="DAV:">`)
	if token == "" {
		b.WriteString(`<D:sync-token/>`)
	} else {
		b.WriteString(`<D:sync-token>`)
		_ = xml.EscapeText(&b, []byte(token))
		b.WriteString(`</D:sync-token>`)
	}
	b.WriteString(`<D:sync-level>1</D:sync-level>` +
		`<D:prop><D:getetag/><D:getcontenttype/><D:getcontentlength/></D:prop></D:sync-collection>`)
	return b.Bytes()
}

// multigetBody is an RFC 4791 §7.9 calendar-multiget REPORT for hrefs.
func multigetBody(hrefs []string) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n" +
		`<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">` +
		`<D:prop><D:getetag/><C:calendar-data/></D:prop>`)
	for _, h := range hrefs {
		b.WriteString("<D:href>")
		_ = xml.EscapeText(&b, []byte(h))
		b.WriteString("</D:href>")
	}
	b.WriteString(`</C:calendar-multiget>`)
	return b.Bytes()
}

// response is one DAV:response of a multistatus (RFC 4918 §14.24), with
// the properties of its successful propstats merged.
type response struct {
	url    *url.URL // the href, resolved against the request URL
	status int      // the response's own status; 0 when it has propstats
	props  props
	// dataStatus is the status of a non-2xx propstat holding
	// calendar-data: a 403 there is an object the account may not read.
	dataStatus int
}

// props are the properties Rapport reads. A pointer is nil when the
// property was absent or not found.
type props struct {
	ResourceType  *anyElements    `xml:"DAV: resourcetype"`
	DisplayName   *string         `xml:"DAV: displayname"`
	ETag          *string         `xml:"DAV: getetag"`
	ContentType   *string         `xml:"DAV: getcontenttype"`
	ContentLength *string         `xml:"DAV: getcontentlength"`
	SyncToken     *string         `xml:"DAV: sync-token"`
	CTag          *string         `xml:"http://calendarserver.org/ns/ getctag"`
	Principal     *hrefList       `xml:"DAV: current-user-principal"`
	HomeSet       *hrefList       `xml:"urn:ietf:params:xml:ns:caldav calendar-home-set"`
	Components    *compSet        `xml:"urn:ietf:params:xml:ns:caldav supported-calendar-component-set"`
	Reports       *anyDescendants `xml:"DAV: supported-report-set"`
	CalendarData  *string         `xml:"urn:ietf:params:xml:ns:caldav calendar-data"`
}

type anyElements struct {
	Elements []struct {
		XMLName xml.Name
	} `xml:",any"`
}

func (a *anyElements) has(space, local string) bool {
	if a == nil {
		return false
	}
	for _, e := range a.Elements {
		if e.XMLName.Space == space && e.XMLName.Local == local {
			return true
		}
	}
	return false
}

// anyDescendants records the names of every element inside one, for
// supported-report-set (RFC 3253 §3.1.5): Xandikos leaves out the
// DAV:report wrapper that the RFC puts around each report's name.
type anyDescendants struct{ names []xml.Name }

func (a *anyDescendants) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	for depth := 1; depth > 0; {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			a.names = append(a.names, t.Name)
		case xml.EndElement:
			depth--
		}
	}
	return nil
}

// lacks reports whether the set is known and does not name the element:
// an absent set says nothing.
func (a *anyDescendants) lacks(space, local string) bool {
	if a == nil {
		return false
	}
	return !slices.ContainsFunc(a.names, func(n xml.Name) bool { return n.Space == space && n.Local == local })
}

type hrefList struct {
	Hrefs []string `xml:"DAV: href"`
}

type compSet struct {
	Comps []struct {
		Name string `xml:"name,attr"`
	} `xml:"urn:ietf:params:xml:ns:caldav comp"`
}

// supportsEvents reports whether a calendar can hold VEVENTs. A calendar
// without the property supports every component (RFC 4791 §5.2.3).
func (c *compSet) supportsEvents() bool {
	if c == nil || len(c.Comps) == 0 {
		return true
	}
	for _, comp := range c.Comps {
		if strings.EqualFold(strings.TrimSpace(comp.Name), "VEVENT") {
			return true
		}
	}
	return false
}

type rawResponse struct {
	Hrefs     []string `xml:"DAV: href"`
	Status    string   `xml:"DAV: status"`
	Propstats []struct {
		Status string `xml:"DAV: status"`
		Prop   props  `xml:"DAV: prop"`
	} `xml:"DAV: propstat"`
}

// malformedError is a response that is XML but not a WebDAV multistatus.
type malformedError struct{ msg string }

func (e *malformedError) Error() string { return e.msg }

// parseMultistatus reads a DAV:multistatus (RFC 4918 §13) one response at a
// time, calling each with it, and returns the RFC 6578 sync-token when the
// multistatus carries one. Hrefs resolve against base, so that an absolute
// href on another host (iCloud's calendar home) keeps its host.
func parseMultistatus(r io.Reader, base *url.URL, each func(*response) error) (syncToken string, err error) {
	dec := xml.NewDecoder(r)
	dec.CharsetReader = charsetReader
	depth := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			if depth == 0 {
				return "", &malformedError{"empty response, not a WebDAV multistatus"}
			}
			return syncToken, &malformedError{"multistatus cut short"}
		}
		if err != nil {
			return "", err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			switch {
			case depth == 1 && (t.Name.Space != nsDAV || t.Name.Local != "multistatus"):
				return "", &malformedError{fmt.Sprintf("not a WebDAV multistatus (the document is <%s>)", clip(t.Name.Local, 40))}
			case depth == 2 && t.Name.Space == nsDAV && t.Name.Local == "response":
				var raw rawResponse
				if err := dec.DecodeElement(&raw, &t); err != nil {
					return "", err
				}
				depth--
				resp, ok := raw.resolve(base)
				if !ok {
					continue // no usable href: nothing to say about it
				}
				if err := each(resp); err != nil {
					return "", err
				}
			case depth == 2 && t.Name.Space == nsDAV && t.Name.Local == "sync-token":
				var tokenText string
				if err := dec.DecodeElement(&tokenText, &t); err != nil {
					return "", err
				}
				depth--
				syncToken = strings.TrimSpace(tokenText)
			case depth == 2:
				if err := dec.Skip(); err != nil {
					return "", err
				}
				depth--
			}
		case xml.EndElement:
			depth--
			if depth == 0 {
				return syncToken, nil
			}
		}
	}
}

func (raw *rawResponse) resolve(base *url.URL) (*response, bool) {
	if len(raw.Hrefs) == 0 {
		return nil, false
	}
	u := resolveHref(base, raw.Hrefs[0])
	if u == nil {
		return nil, false
	}
	resp := &response{url: u, status: parseStatus(raw.Status)}
	for _, ps := range raw.Propstats {
		code := parseStatus(ps.Status)
		if code == 0 {
			code = 200 // a propstat without status is taken at its word
		}
		if code/100 == 2 {
			resp.props.merge(&ps.Prop)
			continue
		}
		if ps.Prop.CalendarData != nil {
			resp.dataStatus = code
		}
	}
	return resp, true
}

// merge takes the properties o has and p has not.
func (p *props) merge(o *props) {
	set := func(dst **string, src *string) {
		if *dst == nil && src != nil {
			*dst = src
		}
	}
	set(&p.DisplayName, o.DisplayName)
	set(&p.ETag, o.ETag)
	set(&p.ContentType, o.ContentType)
	set(&p.ContentLength, o.ContentLength)
	set(&p.SyncToken, o.SyncToken)
	set(&p.CTag, o.CTag)
	set(&p.CalendarData, o.CalendarData)
	if p.ResourceType == nil {
		p.ResourceType = o.ResourceType
	}
	if p.Principal == nil {
		p.Principal = o.Principal
	}
	if p.HomeSet == nil {
		p.HomeSet = o.HomeSet
	}
	if p.Components == nil {
		p.Components = o.Components
	}
	if p.Reports == nil {
		p.Reports = o.Reports
	}
}

// parseStatus reads "HTTP/1.1 404 Not Found"; 0 when absent or unreadable.
func parseStatus(s string) int {
	f := strings.Fields(s)
	if len(f) < 2 {
		return 0
	}
	n, err := strconv.Atoi(f[1])
	if err != nil || n < 100 || n > 999 {
		return 0
	}
	return n
}

// resolveHref resolves an href against the URL of the request that
// returned it. Servers that do not escape their hrefs (a space in a
// name) are taken literally.
func resolveHref(base *url.URL, href string) *url.URL {
	href = strings.TrimSpace(href)
	if href == "" {
		return nil
	}
	ref, err := url.Parse(href)
	if err != nil {
		ref = &url.URL{Path: href}
	}
	u := base.ResolveReference(ref)
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil
	}
	u.User, u.RawQuery, u.Fragment, u.RawFragment = nil, "", "", ""
	return u
}

// etag normalizes an ETag for comparison and storage: go-webdav, like RFC
// 9110 §8.8.3, wants it quoted, but servers send it unquoted too (and weak
// W/ tags), sometimes in one form in a listing and the other in a multiget.
func etag(p *string) string {
	if p == nil {
		return ""
	}
	v := strings.TrimSpace(*p)
	v = strings.TrimPrefix(v, "W/")
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
	}
	return clip(v, 256)
}

// otherComponent reports whether a member's content type says it holds a
// to-do, a journal or anything else but events (Radicale and SabreDAV add
// a component parameter: "text/calendar; component=vtodo"), so that it need
// not be fetched.
func otherComponent(ctype *string) bool {
	if ctype == nil {
		return false
	}
	mt, params, err := mime.ParseMediaType(*ctype)
	if err != nil || mt != "text/calendar" {
		return false
	}
	c, ok := params["component"]
	return ok && !strings.EqualFold(c, "vevent")
}

// contentLength reads getcontentlength; -1 when unknown.
func contentLength(p *string) int64 {
	if p == nil {
		return -1
	}
	n, err := strconv.ParseInt(strings.TrimSpace(*p), 10, 64)
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// charsetReader accepts the charsets servers declare besides UTF-8, which
// encoding/xml alone refuses.
func charsetReader(charset string, input io.Reader) (io.Reader, error) {
	switch strings.ToLower(strings.TrimSpace(charset)) {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return input, nil
	case "iso-8859-1", "latin1", "latin-1", "iso8859-1":
		return &latin1Reader{r: input}, nil
	}
	return nil, fmt.Errorf("unsupported charset %q", clip(charset, 30))
}

// latin1Reader decodes ISO-8859-1, whose bytes are the first 256 runes.
type latin1Reader struct {
	r   io.Reader
	buf []byte
}

func (l *latin1Reader) Read(p []byte) (int, error) {
	if len(l.buf) == 0 {
		in := make([]byte, max(len(p)/2, 1))
		n, err := l.r.Read(in)
		for _, c := range in[:n] {
			l.buf = utf8.AppendRune(l.buf, rune(c))
		}
		if n == 0 {
			return 0, err
		}
	}
	n := copy(p, l.buf)
	l.buf = l.buf[n:]
	return n, nil
}
