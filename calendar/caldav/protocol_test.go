package caldav_test

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/rapport-dev/rapport/calendar/caldav"
)

// A sync token the server refuses starts the calendar over: read whole and
// reported Full. Servers refuse in different ways: SabreDAV (Nextcloud,
// Baïkal) and Radicale with 403 and DAV:valid-sync-token (RFC 6578 §3.2),
// others with 409 and the same precondition, 400, 404 or 410 without it,
// and Xandikos with a 500.
func TestARefusedSyncTokenStartsOver(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
	}{
		{"403 with valid-sync-token, as SabreDAV and Radicale answer", 403, `<?xml version="1.0" encoding="utf-8"?><d:error xmlns:d="DAV:"><d:valid-sync-token/></d:error>`},
		{"409 with valid-sync-token", 409, `<?xml version="1.0"?><D:error xmlns:D="DAV:"><D:valid-sync-token/></D:error>`},
		{"400 without a precondition", 400, `Bad Request`},
		{"404 without a precondition", 404, `Not Found`},
		{"410 Gone", 410, `Gone`},
		{"500, as Xandikos answers a token it does not know", 500, `500 Internal Server Error\n\nServer got itself in trouble`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeServer(t)
			personal := f.calendar("personal", "Personal")
			f.put(personal, "a.ics", event("a", 1))
			f.put(personal, "b.ics", event("b", 2))
			h := newHarness(t, caldav.Config{URL: personal}, nil)
			h.sync()
			f.put(personal, "c.ics", event("c", 3))
			refused := 0
			f.setHook(func(w http.ResponseWriter, r *http.Request, kind, body string) bool {
				if kind == "sync-collection" && !strings.Contains(body, "<D:sync-token/>") {
					refused++
					w.Header().Set("Content-Type", "application/xml; charset=utf-8")
					w.WriteHeader(tt.status)
					io.WriteString(w, tt.body)
					return true
				}
				return false
			})
			ch := h.only(h.sync())
			if ch.Err != nil || !ch.Full || !slices.Equal(uidsOf(ch.Events), []string{"a", "b", "c"}) {
				t.Fatalf("Err %v Full %v events %q; want a full read", ch.Err, ch.Full, uidsOf(ch.Events))
			}
			if refused == 0 {
				t.Fatal("the token was never sent")
			}
			f.setHook(nil)
			f.took()
			if ch := h.only(h.sync()); ch.Err != nil || ch.Full || len(ch.Events) > 0 {
				t.Errorf("after starting over: %+v; want nothing changed", ch)
			}
			if got := f.took(); len(got) != 1 {
				t.Errorf("after starting over, nothing changed took %q; want one request", got)
			}
		})
	}
}

// A server that announces a sync-token but refuses sync-collection is
// synced by CTag instead, and is not asked again.
func TestRefusedSyncCollectionFallsBackToTheCTag(t *testing.T) {
	f := newFakeServer(t)
	personal := f.calendar("personal", "Personal")
	f.put(personal, "a.ics", event("a", 1))
	f.setHook(func(w http.ResponseWriter, r *http.Request, kind, body string) bool {
		if kind == "sync-collection" {
			w.Header().Set("Content-Type", "application/xml; charset=utf-8")
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `<?xml version="1.0"?><D:error xmlns:D="DAV:"><D:supported-report/></D:error>`)
			return true
		}
		return false
	})
	h := newHarness(t, caldav.Config{URL: personal}, nil)
	if ch := h.only(h.sync()); ch.Err != nil || !ch.Full || !slices.Equal(uidsOf(ch.Events), []string{"a"}) {
		t.Fatalf("first sync: Err %v Full %v events %q", ch.Err, ch.Full, uidsOf(ch.Events))
	}
	var c map[string]any
	if err := json.Unmarshal([]byte(h.cursors[personal]), &c); err != nil || c["m"] != "ctag" || c["f"] != true {
		t.Errorf("cursor %s, want CTag mode remembered as a fallback", h.cursors[personal])
	}
	f.took()
	f.put(personal, "b.ics", event("b", 2))
	ch := h.only(h.sync())
	if ch.Err != nil || ch.Full || !slices.Equal(uidsOf(ch.Events), []string{"b"}) {
		t.Errorf("second sync: Err %v Full %v events %q; want b", ch.Err, ch.Full, uidsOf(ch.Events))
	}
	if ch := h.only(h.sync()); ch.Err != nil || ch.Full || len(ch.Events) > 0 {
		t.Errorf("third sync: %+v; want nothing changed", ch)
	}
	for _, r := range f.took() {
		if strings.Contains(r, "sync-collection") {
			t.Errorf("sync-collection asked again: %s", r)
		}
	}
}

// A server may answer a sync-collection in parts (RFC 6578 §3.6): a 507 for
// the collection itself says there is more, from the token given.
func TestATruncatedSyncCollectionIsFollowed(t *testing.T) {
	f := newFakeServer(t)
	personal := f.calendar("personal", "Personal")
	for i, uid := range []string{"a", "b", "c"} {
		f.put(personal, uid+".ics", event(uid, i+1))
	}
	p := f.home + "personal/"
	f.setHook(func(w http.ResponseWriter, r *http.Request, kind, body string) bool {
		if kind != "sync-collection" {
			return false
		}
		w.Header().Set("Content-Type", "application/xml; charset=utf-8")
		w.WriteHeader(http.StatusMultiStatus)
		obj := func(name, etag string) string {
			return `<d:response><d:href>` + p + name + `</d:href><d:propstat><d:prop><d:getetag>"` + etag +
				`"</d:getetag></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>`
		}
		switch {
		case strings.Contains(body, "<D:sync-token/>"):
			io.WriteString(w, msOpen+obj("a.ics", "1")+obj("b.ics", "2")+
				`<d:response><d:href>`+p+`</d:href><d:status>HTTP/1.1 507 Insufficient Storage</d:status></d:response>`+
				`<d:sync-token>http://sabre.io/ns/sync/2</d:sync-token></d:multistatus>`)
		case strings.Contains(body, "sync/2<"):
			io.WriteString(w, msOpen+obj("c.ics", "3")+`<d:sync-token>http://sabre.io/ns/sync/3</d:sync-token></d:multistatus>`)
		default:
			io.WriteString(w, msOpen+`<d:sync-token>http://sabre.io/ns/sync/3</d:sync-token></d:multistatus>`)
		}
		return true
	})
	h := newHarness(t, caldav.Config{URL: personal}, nil)
	ch := h.only(h.sync())
	if ch.Err != nil || !ch.Full || !slices.Equal(uidsOf(ch.Events), []string{"a", "b", "c"}) {
		t.Fatalf("Err %v Full %v events %q; want all three", ch.Err, ch.Full, uidsOf(ch.Events))
	}
	if !strings.Contains(h.cursors[personal], `"t":"http://sabre.io/ns/sync/3"`) {
		t.Errorf("cursor %s, want the last token", h.cursors[personal])
	}
}

// An object moved from one href to another in one sync (deleted here,
// created there) keeps its UID: it is not reported deleted.
func TestAnObjectMovedToAnotherHrefIsNotDeleted(t *testing.T) {
	f := newFakeServer(t)
	personal := f.calendar("personal", "Personal")
	f.put(personal, "old-name.ics", event("moving", 1))
	h := newHarness(t, caldav.Config{URL: personal}, nil)
	h.sync()
	f.remove(personal, "old-name.ics")
	f.put(personal, "new-name.ics", event("moving", 2))
	ch := h.only(h.sync())
	if len(ch.Deleted) > 0 || !slices.Equal(uidsOf(ch.Events), []string{"moving"}) {
		t.Errorf("deleted %q events %q; want moving changed, nothing deleted", ch.Deleted, uidsOf(ch.Events))
	}
	f.remove(personal, "new-name.ics")
	if ch := h.only(h.sync()); !slices.Equal(ch.Deleted, []string{"moving"}) {
		t.Errorf("deleted %q; want moving", ch.Deleted)
	}
}

// The cursor is compact JSON: an object named after its UID keeps only its
// ETag, others their UIDs too; hrefs are relative to the calendar. An
// unreadable cursor starts over.
func TestTheCursorIsCompactAndAnUnreadableOneStartsOver(t *testing.T) {
	f := newFakeServer(t)
	personal := f.calendar("personal", "Personal")
	f.put(personal, "a.ics", event("a", 1))
	f.put(personal, "8c1f.ics", event("b@example.com", 2))
	h := newHarness(t, caldav.Config{URL: personal}, nil)
	h.sync()
	want := `{"v":1,"m":"sync","t":"http://sabre.io/ns/sync/2","n":"Personal","o":{"8c1f.ics":["11c-2","b@example.com"],"a.ics":["110-1"]}}`
	if got := h.cursors[personal]; got != want {
		t.Errorf("cursor\n%s\nwant\n%s", got, want)
	}
	for _, bad := range []string{"not json", `{"v":99,"m":"sync"}`, `{"v":1,"m":"carrier-pigeon"}`} {
		h.cursors[personal] = bad
		if ch := h.only(h.sync()); ch.Err != nil || !ch.Full || len(ch.Events) != 2 {
			t.Errorf("cursor %q: Err %v Full %v events %d; want a full read", bad, ch.Err, ch.Full, len(ch.Events))
		}
	}
}
