package caldav

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
)

func TestParseMultistatus(t *testing.T) {
	base, _ := url.Parse("https://dav.example.com/cal/alice/work/")
	type got struct {
		href, etag, data string
		status           int
		dataStatus       int
	}
	tests := []struct {
		name  string
		xml   string
		want  []got
		token string
		err   string
	}{
		{
			name: "Radicale: default namespace, sync-token before the responses, an empty 404 propstat ignored",
			xml: `<?xml version='1.0' encoding='utf-8'?>
<multistatus xmlns="DAV:"><sync-token>http://radicale.org/ns/sync/9ce8</sync-token><response><href>/cal/alice/work/ev1.ics</href><propstat><prop><getetag>"446a"</getetag></prop><status>HTTP/1.1 200 OK</status></propstat><propstat><prop><getcontentlength /></prop><status>HTTP/1.1 404 Not Found</status></propstat></response></multistatus>`,
			want:  []got{{href: "/cal/alice/work/ev1.ics", etag: "446a"}},
			token: "http://radicale.org/ns/sync/9ce8",
		},
		{
			name: "Xandikos: ns0 prefixes, status before prop, sync-token last",
			xml: `<ns0:multistatus xmlns:ns0="DAV:"><ns0:response><ns0:href>/cal/alice/work/ev1.ics</ns0:href><ns0:status>HTTP/1.1 404 Not Found</ns0:status></ns0:response>` +
				`<ns0:sync-token>8cbafa69</ns0:sync-token></ns0:multistatus>`,
			want:  []got{{href: "/cal/alice/work/ev1.ics", status: 404}},
			token: "8cbafa69",
		},
		{
			name: "Google: absolute hrefs, unquoted and weak ETags, calendar-data in CDATA",
			xml: `<?xml version="1.0" encoding="UTF-8"?><D:multistatus xmlns:D="DAV:" xmlns:caldav="urn:ietf:params:xml:ns:caldav">` +
				`<D:response><D:href>https://dav.example.com/cal/alice/work/a%40b.ics</D:href><D:propstat><D:status>HTTP/1.1 200 OK</D:status>` +
				`<D:prop><D:getetag>W/"63"</D:getetag><caldav:calendar-data><![CDATA[BEGIN:VCALENDAR]]></caldav:calendar-data></D:prop></D:propstat></D:response>` +
				`<D:response><D:href>c.ics</D:href><D:propstat><D:status>HTTP/1.1 200 OK</D:status><D:prop><D:getetag>1700000000</D:getetag></D:prop></D:propstat></D:response>` +
				`</D:multistatus>`,
			want: []got{{href: "/cal/alice/work/a@b.ics", etag: "63", data: "BEGIN:VCALENDAR"}, {href: "/cal/alice/work/c.ics", etag: "1700000000"}},
		},
		{
			name: "SOGo: calendar-data refused in its own propstat",
			xml: `<D:multistatus xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:response><D:href>/cal/alice/work/p.ics</D:href>` +
				`<D:propstat><D:prop><D:getetag>"p"</D:getetag></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>` +
				`<D:propstat><D:prop><C:calendar-data/></D:prop><D:status>HTTP/1.1 403 Forbidden</D:status></D:propstat></D:response></D:multistatus>`,
			want: []got{{href: "/cal/alice/work/p.ics", etag: "p", dataStatus: 403}},
		},
		{
			name: "a response without an href is passed over",
			xml:  `<multistatus xmlns="DAV:"><response><status>HTTP/1.1 200 OK</status></response><response><href>x.ics</href></response></multistatus>`,
			want: []got{{href: "/cal/alice/work/x.ics"}},
		},
		{
			name: "ISO-8859-1, which encoding/xml alone refuses",
			xml:  "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><multistatus xmlns=\"DAV:\"><response><href>/caf\xe9.ics</href></response></multistatus>",
			want: []got{{href: "/café.ics"}},
		},
		{name: "an HTML page is not a multistatus", xml: `<html><body>Login</body></html>`, err: "not a WebDAV multistatus (the document is <html>)"},
		{name: "an empty body is not a multistatus", xml: ``, err: "empty response, not a WebDAV multistatus"},
		{name: "a body cut short is an error", xml: `<multistatus xmlns="DAV:"><response><href>a.ics</href></response>`, err: "unexpected EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out []got
			token, err := parseMultistatus(strings.NewReader(tt.xml), base, func(r *response) error {
				g := got{href: r.url.Path, etag: etag(r.props.ETag), status: r.status, dataStatus: r.dataStatus}
				if r.props.CalendarData != nil {
					g.data = *r.props.CalendarData
				}
				out = append(out, g)
				return nil
			})
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(out, tt.want) || token != tt.token {
				t.Errorf("got %+v token %q\nwant %+v token %q", out, token, tt.want, tt.token)
			}
		})
	}
}

func TestCalendarProperties(t *testing.T) {
	base, _ := url.Parse("https://dav.example.com/")
	x := `<d:multistatus xmlns:d="DAV:" xmlns:cal="urn:ietf:params:xml:ns:caldav" xmlns:cs="http://calendarserver.org/ns/">
<d:response><d:href>/c/events/</d:href><d:propstat><d:prop><d:resourcetype><d:collection/><cal:calendar/></d:resourcetype>
<d:displayname>Work&#13;&#10;Evil: header</d:displayname>
<d:supported-report-set><d:supported-report><d:report><d:sync-collection/></d:report></d:supported-report></d:supported-report-set>
<cal:supported-calendar-component-set><cal:comp name="VEVENT"/><cal:comp name="VTODO"/></cal:supported-calendar-component-set></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>
<d:response><d:href>/c/xandikos/</d:href><d:propstat><d:prop><d:resourcetype><d:collection/><cal:calendar/></d:resourcetype>
<d:supported-report-set><d:supported-report><cal:calendar-multiget/></d:supported-report><d:supported-report><d:sync-collection/></d:supported-report></d:supported-report-set>
</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>
<d:response><d:href>/c/old/</d:href><d:propstat><d:prop><d:resourcetype><d:collection/><cal:calendar/></d:resourcetype>
<d:supported-report-set><d:supported-report><d:report><cal:calendar-multiget/></d:report></d:supported-report></d:supported-report-set>
</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>
<d:response><d:href>/c/tasks/</d:href><d:propstat><d:prop><d:resourcetype><d:collection/><cal:calendar/></d:resourcetype>
<cal:supported-calendar-component-set><cal:comp name="VTODO"/></cal:supported-calendar-component-set></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>
<d:response><d:href>/c/inbox/</d:href><d:propstat><d:prop><d:resourcetype><d:collection/><cal:schedule-inbox/></d:resourcetype></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>
</d:multistatus>`
	var got []string
	_, err := parseMultistatus(strings.NewReader(x), base, func(r *response) error {
		if isCalendar(&r.props) && r.props.Components.supportsEvents() {
			c := newCalInfo(r.url, &r.props)
			got = append(got, fmt.Sprintf("%s %q sync-collection:%v", c.id, c.name, !c.noSync))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`https://dav.example.com/c/events/ "Work Evil: header" sync-collection:true`,
		`https://dav.example.com/c/xandikos/ "xandikos" sync-collection:true`,
		`https://dav.example.com/c/old/ "old" sync-collection:false`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("calendars\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestETagsAreNormalized(t *testing.T) {
	for in, want := range map[string]string{
		`"abc"`:    "abc",
		`abc`:      "abc",
		` W/"abc"`: "abc",
		`""`:       "",
		`"a"b"`:    `a"b`,
	} {
		if got := etag(&in); got != want {
			t.Errorf("etag(%q) = %q, want %q", in, got, want)
		}
	}
	if etag(nil) != "" {
		t.Error("etag(nil) not empty")
	}
}

func TestOtherComponentsAreKnownByTheirContentType(t *testing.T) {
	for ctype, want := range map[string]bool{
		"text/calendar; charset=utf-8; component=vtodo":  true,
		"text/calendar;charset=utf-8;component=VJOURNAL": true,
		"text/calendar; component=vevent":                false,
		"text/calendar":                                  false,
		"application/octet-stream":                       false,
		"garbage;;":                                      false,
	} {
		if got := otherComponent(&ctype); got != want {
			t.Errorf("otherComponent(%q) = %v, want %v", ctype, got, want)
		}
	}
}

func TestPreconditionIsReadFromADAVError(t *testing.T) {
	for body, want := range map[string]string{
		`<?xml version="1.0"?><d:error xmlns:d="DAV:"><d:valid-sync-token/></d:error>`: "valid-sync-token",
		`<error xmlns="DAV:"><number-of-matches-within-limits/></error>`:               "number-of-matches-within-limits",
		// SabreDAV (Nextcloud, Baïkal) writes its own elements first.
		`<?xml version="1.0" encoding="utf-8"?>
<d:error xmlns:d="DAV:" xmlns:s="http://sabredav.org/ns">
  <s:sabredav-version>4.6.0</s:sabredav-version>
  <s:exception>Sabre\DAV\Exception\InvalidSyncToken</s:exception>
  <s:message>Invalid or unknown sync token</s:message>
  <d:valid-sync-token/>
</d:error>`: "valid-sync-token",
		`<d:error xmlns:d="DAV:" xmlns:s="http://sabredav.org/ns"><s:exception>Forbidden</s:exception></d:error>`: "",
		`<html>Forbidden</html>`: "",
		`Forbidden`:              "",
	} {
		if got := precondition(strings.NewReader(body)); got != want {
			t.Errorf("precondition(%q) = %q, want %q", body, got, want)
		}
	}
}

func TestLimitedReaderTellsAFullBodyFromALargerOne(t *testing.T) {
	exact := &limitedReader{r: strings.NewReader("12345"), n: 5}
	if b, err := io.ReadAll(exact); err != nil || string(b) != "12345" {
		t.Errorf("exactly the limit: %q, %v", b, err)
	}
	over := &limitedReader{r: strings.NewReader("123456"), n: 5}
	if _, err := io.ReadAll(over); !errors.Is(err, errTooLarge) || !over.over {
		t.Errorf("over the limit: %v", err)
	}
}

// When neither the URL, /.well-known/caldav nor the root lead to a
// principal, the _caldavs._tcp SRV record of the domain is asked (RFC 6764
// §3), through go-webdav.
func TestDiscoveryFallsBackToTheSRVRecord(t *testing.T) {
	var asked []string
	real := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked = append(asked, r.Method+" "+r.URL.Path)
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusMultiStatus)
		io.WriteString(w, `<multistatus xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><response><href>`+r.URL.Path+`</href><propstat><prop>
<resourcetype><collection/><C:calendar/></resourcetype><displayname>Found by SRV</displayname></prop><status>HTTP/1.1 200 OK</status></propstat></response></multistatus>`)
	}))
	defer real.Close()
	// example.invalid has no server, and the test asks no DNS about it.
	tr := real.Client().Transport.(*http.Transport).Clone()
	dial := tr.DialContext
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if strings.HasPrefix(addr, "example.invalid:") {
			return nil, errors.New("no such host")
		}
		return dial(ctx, network, addr)
	}
	s, err := New(Config{Name: "srv", URL: "https://example.invalid/"}, &http.Client{Transport: tr}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.retry.Attempts = 1
	s.lookupSRV = func(ctx context.Context, domain string) (string, error) {
		if domain != "example.invalid" {
			t.Errorf("SRV lookup for %q", domain)
		}
		return real.URL + "/.well-known/caldav", nil
	}
	cals, err := s.discover(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(cals) != 1 || cals[0].name != "Found by SRV" {
		t.Errorf("calendars %+v", cals)
	}
	if len(asked) == 0 || asked[0] != "PROPFIND /.well-known/caldav" {
		t.Errorf("asked %q", asked)
	}
}
