package caldav_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rapport-dev/rapport/calendar"
	"github.com/rapport-dev/rapport/calendar/caldav"
	"github.com/rapport-dev/rapport/retry"
)

// Whatever the server supports, a sync with nothing changed costs one small
// request per calendar, and a change costs that request, a listing where
// the server has no sync-collection, and one multiget of what changed.
func TestIncrementalSyncCostsOneRequestPerCalendar(t *testing.T) {
	tests := []struct {
		name           string
		noSync, noCTag bool
		unchanged      []string // the requests of a sync with nothing changed
		changed        []string // of a sync after one edit and one deletion
	}{
		{
			name:      "with sync-collection (RFC 6578), a sync-collection REPORT",
			unchanged: []string{"REPORT /personal/ sync-collection", "REPORT /work/ sync-collection"},
			changed:   []string{"REPORT /personal/ sync-collection", "REPORT /personal/ calendar-multiget", "REPORT /work/ sync-collection"},
		},
		{
			name:      "with only a CTag, a Depth: 0 PROPFIND",
			noSync:    true,
			unchanged: []string{"PROPFIND /personal/ propfind", "PROPFIND /work/ propfind"},
			changed: []string{"PROPFIND /personal/ propfind", "PROPFIND /personal/ propfind", "REPORT /personal/ calendar-multiget",
				"PROPFIND /work/ propfind"},
		},
		{
			name:      "with neither, a Depth: 1 listing of ETags",
			noSync:    true,
			noCTag:    true,
			unchanged: []string{"PROPFIND /personal/ propfind", "PROPFIND /work/ propfind"},
			changed:   []string{"PROPFIND /personal/ propfind", "REPORT /personal/ calendar-multiget", "PROPFIND /work/ propfind"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeServer(t)
			f.noSync, f.noCTag = tt.noSync, tt.noCTag
			personal := f.calendar("personal", "Personal")
			work := f.calendar("work", "Work")
			for i, uid := range []string{"a", "b", "c"} {
				f.put(personal, uid+".ics", event(uid, i+1))
			}
			f.put(work, "w.ics", event("w", 9))
			h := newHarness(t, caldav.Config{URL: f.URL}, nil)
			h.sync()
			f.took()

			changes := h.sync()
			if got := short(f, f.took()); !slices.Equal(got, sorted(tt.unchanged)) {
				t.Errorf("nothing changed: requests %q, want %q", got, tt.unchanged)
			}
			for _, ch := range changes {
				if ch.Full || len(ch.Events) > 0 || len(ch.Deleted) > 0 || ch.Err != nil {
					t.Errorf("nothing changed: %s: %+v", ch.Calendar.ID, ch)
				}
			}

			f.put(personal, "b.ics", event("b", 20))
			f.remove(personal, "c.ics")
			changes = h.sync()
			if got := short(f, f.took()); !slices.Equal(got, sorted(tt.changed)) {
				t.Errorf("one edit, one deletion: requests %q, want %q", got, tt.changed)
			}
			ch := changes[0]
			if ch.Calendar.ID != personal || ch.Full || !ch.WholeSeries || !slices.Equal(uidsOf(ch.Events), []string{"b"}) || !slices.Equal(ch.Deleted, []string{"c"}) {
				t.Errorf("personal: Full %v WholeSeries %v events %q deleted %q; want b changed and c deleted",
					ch.Full, ch.WholeSeries, uidsOf(ch.Events), ch.Deleted)
			}
			if len(changes[1].Events) > 0 || changes[1].Full {
				t.Errorf("work changed: %+v", changes[1])
			}
		})
	}
}

// short drops the fake's home prefix from requests, for readable tables,
// and sorts them: calendars sync in parallel.
func short(f *fakeServer, reqs []string) []string {
	out := make([]string, len(reqs))
	for i, r := range reqs {
		out[i] = strings.Replace(r, f.home, "/", 1)
	}
	return sorted(out)
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// Zimbra and older SOGo releases send ETags without the quotes RFC 9110
// requires, which go-webdav rejects; they are read, and compared with the
// quoted form of the same tag as equal.
func TestUnquotedETagsAreReadAndCompared(t *testing.T) {
	f := newFakeServer(t)
	f.noSync, f.unquotedETags = true, true
	personal := f.calendar("personal", "Personal")
	f.put(personal, "a.ics", event("a", 5))
	h := newHarness(t, caldav.Config{URL: personal}, nil)
	if ch := h.only(h.sync()); ch.Err != nil || !slices.Equal(uidsOf(ch.Events), []string{"a"}) {
		t.Fatalf("first sync: Err %v events %q", ch.Err, uidsOf(ch.Events))
	}
	if !strings.Contains(h.cursors[personal], `"a.ics":["`) {
		t.Errorf("cursor %s does not keep a.ics's ETag", h.cursors[personal])
	}
	f.took()
	// The CTag moves (another client touched the calendar) but a.ics did
	// not change, and now comes quoted.
	f.mu.Lock()
	f.cal(personal).seq++
	f.unquotedETags = false
	f.mu.Unlock()
	ch := h.only(h.sync())
	if ch.Err != nil || len(ch.Events) > 0 || len(ch.Deleted) > 0 {
		t.Errorf("second sync: Err %v events %d deleted %q; want nothing", ch.Err, len(ch.Events), ch.Deleted)
	}
	if got := f.took(); slices.ContainsFunc(got, func(r string) bool { return strings.Contains(r, "multiget") }) {
		t.Errorf("the unchanged object was fetched again: %q", got)
	}
}

// An object the server refuses (403: a private event shared read-only, as
// SOGo and Zimbra answer) or has lost between listing and fetching (404) is
// reported in Problems, named by calendar URL and href (and UID when known),
// and the others are read. It is tried again at the next change.
func TestAnObjectRefusedOrMissingInTheMultistatusIsSkipped(t *testing.T) {
	f := newFakeServer(t)
	personal := f.calendar("personal", "Personal")
	for i, uid := range []string{"a", "private", "b", "lost"} {
		f.put(personal, uid+".ics", event(uid, i+1))
	}
	refuse := true
	f.setHook(func(w http.ResponseWriter, r *http.Request, kind, body string) bool {
		if kind != "calendar-multiget" || !refuse {
			return false
		}
		// The answer of a SOGo server, by hand: one object refused, one
		// gone, two read.
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		w.WriteHeader(http.StatusMultiStatus)
		p := f.home + "personal/"
		io.WriteString(w, `<?xml version="1.0" encoding="utf-8"?>
<D:multistatus xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<D:response><D:href>`+p+`a.ics</D:href><D:propstat><D:prop><D:getetag>"a-1"</D:getetag><C:calendar-data>`+event("a", 1)+`</C:calendar-data></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>
<D:response><D:href>`+p+`private.ics</D:href><D:propstat><D:prop><D:getetag>"p-1"</D:getetag></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat><D:propstat><D:prop><C:calendar-data/></D:prop><D:status>HTTP/1.1 403 Forbidden</D:status></D:propstat></D:response>
<D:response><D:href>`+p+`b.ics</D:href><D:propstat><D:prop><D:getetag>"b-1"</D:getetag><C:calendar-data><![CDATA[`+event("b", 3)+`]]></C:calendar-data></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>
<D:response><D:href>`+p+`lost.ics</D:href><D:status>HTTP/1.1 404 Not Found</D:status></D:response>
</D:multistatus>`)
		return true
	})
	h := newHarness(t, caldav.Config{URL: f.URL}, nil)
	ch := h.only(h.sync())
	if ch.Err != nil || !slices.Equal(uidsOf(ch.Events), []string{"a", "b"}) {
		t.Fatalf("Err %v, events %q; want a and b", ch.Err, uidsOf(ch.Events))
	}
	var msgs []string
	for _, p := range ch.Problems {
		msgs = append(msgs, p.Error())
	}
	want := []string{
		"http://" + f.Listener.Addr().String() + "/…/personal/lost.ics: HTTP 404 Not Found in the multistatus",
		"http://" + f.Listener.Addr().String() + "/…/personal/private.ics: calendar-data refused with HTTP 403 Forbidden",
	}
	if slices.Sort(msgs); !slices.Equal(msgs, want) {
		t.Errorf("problems\n%q\nwant\n%q", msgs, want)
	}

	// At the next change both are asked for again: now readable, and the
	// lost one gone for good.
	refuse = false
	f.remove(personal, "lost.ics")
	f.put(personal, "a.ics", event("a", 11))
	f.took()
	ch = h.only(h.sync())
	if ch.Err != nil || len(ch.Problems) > 0 || !slices.Equal(uidsOf(ch.Events), []string{"a", "private"}) {
		t.Errorf("next change: Err %v, problems %v, events %q; want a and private", ch.Err, ch.Problems, uidsOf(ch.Events))
	}
}

// Objects over MaxObjectBytes are not read, whether the listing gives
// their size or only the multiget shows it; a multiget answer over
// MaxResponseBytes is split until the object at fault stands alone.
func TestHugeObjectsAreSkippedAndHugeResponsesSplit(t *testing.T) {
	big := strings.Replace(event("big", 2), "SUMMARY:Alice / Bob", "DESCRIPTION:"+strings.Repeat("x", 70)+strings.Repeat("\r\n "+strings.Repeat("x", 70), 80), 1)
	size := int64(len(big))

	t.Run("a size in the listing over MaxObjectBytes is not fetched", func(t *testing.T) {
		f := newFakeServer(t)
		personal := f.calendar("personal", "Personal")
		f.put(personal, "a.ics", event("a", 1))
		f.put(personal, "big.ics", big)
		h := newHarness(t, caldav.Config{URL: personal, MaxObjectBytes: 2000}, nil)
		ch := h.only(h.sync())
		if !slices.Equal(uidsOf(ch.Events), []string{"a"}) || len(ch.Problems) != 1 {
			t.Fatalf("events %q, problems %v; want a, and big refused", uidsOf(ch.Events), ch.Problems)
		}
		want := fmt.Sprintf("/…/personal/big.ics: %d bytes is larger than the MaxObjectBytes limit of 2000 bytes", size)
		if got := ch.Problems[0].Error(); !strings.HasSuffix(got, want) {
			t.Errorf("problem %q, want it to end %q", got, want)
		}
		for _, r := range f.took() {
			if strings.Contains(r, "multiget") && strings.Contains(r, "big") {
				t.Errorf("big.ics was fetched: %s", r)
			}
		}
	})

	t.Run("calendar-data over MaxObjectBytes, its size unlisted, is dropped", func(t *testing.T) {
		f := newFakeServer(t)
		f.noSync = true
		personal := f.calendar("personal", "Personal")
		f.put(personal, "a.ics", event("a", 1))
		f.put(personal, "big.ics", big)
		f.setHook(func(w http.ResponseWriter, r *http.Request, kind, body string) bool {
			if r.Method == "PROPFIND" && r.Header.Get("Depth") == "1" && strings.HasSuffix(r.URL.Path, "/personal/") {
				// A listing without getcontentlength, as Google's has.
				w.Header().Set("Content-Type", "application/xml")
				w.WriteHeader(http.StatusMultiStatus)
				p := f.home + "personal/"
				io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><D:multistatus xmlns:D="DAV:">`+
					`<D:response><D:href>`+p+`a.ics</D:href><D:propstat><D:status>HTTP/1.1 200 OK</D:status><D:prop><D:getetag>"1"</D:getetag></D:prop></D:propstat></D:response>`+
					`<D:response><D:href>`+p+`big.ics</D:href><D:propstat><D:status>HTTP/1.1 200 OK</D:status><D:prop><D:getetag>"2"</D:getetag></D:prop></D:propstat></D:response>`+
					`</D:multistatus>`)
				return true
			}
			return false
		})
		h := newHarness(t, caldav.Config{URL: personal, MaxObjectBytes: 2000}, nil)
		ch := h.only(h.sync())
		if !slices.Equal(uidsOf(ch.Events), []string{"a"}) || len(ch.Problems) != 1 || !strings.Contains(ch.Problems[0].Error(), "big.ics") {
			t.Fatalf("events %q, problems %v; want a, and big refused", uidsOf(ch.Events), ch.Problems)
		}
	})

	t.Run("a multiget answer over MaxResponseBytes is split down to the object at fault", func(t *testing.T) {
		f := newFakeServer(t)
		f.noLength = true // sizes unknown, so that the batch is not sized beforehand
		personal := f.calendar("personal", "Personal")
		var want []string
		for i, uid := range []string{"a", "b", "c", "d", "e", "f", "g"} {
			f.put(personal, uid+".ics", event(uid, i+1))
			want = append(want, uid)
		}
		f.put(personal, "big.ics", big)
		// big.ics fits MaxObjectBytes, but no answer that holds it fits
		// MaxResponseBytes.
		h := newHarness(t, caldav.Config{URL: personal, MaxObjectBytes: size + 10, MaxResponseBytes: size + 10}, nil)
		ch := h.only(h.sync())
		if ch.Err != nil || !slices.Equal(uidsOf(ch.Events), want) || len(ch.Problems) != 1 || !strings.Contains(ch.Problems[0].Error(), "big.ics") {
			t.Fatalf("Err %v, events %q, problems %v; want all but big", ch.Err, uidsOf(ch.Events), ch.Problems)
		}
		multigets := 0
		for _, r := range f.took() {
			if strings.Contains(r, "multiget") {
				multigets++
			}
		}
		if multigets > 2*8 {
			t.Errorf("%d multigets for 8 objects; the split is not bounded", multigets)
		}
	})
}

// Some servers answer a multiget with every object of the calendar, as
// some ignore a calendar-query's time-range; only what was asked for is
// taken. Members that are to-dos by their content type are never fetched,
// and a to-do fetched anyway yields nothing and no problem.
func TestAServerThatAnswersWithEverythingGivesOnlyWhatWasAskedFor(t *testing.T) {
	f := newFakeServer(t)
	personal := f.calendar("personal", "Personal")
	f.put(personal, "a.ics", event("a", 1))
	f.put(personal, "b.ics", event("b", 2))
	f.setObject(personal, "todo.ics", &fakeObject{etag: "t1", ctype: "text/calendar; charset=utf-8; component=vtodo",
		data: "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VTODO\r\nUID:todo\r\nEND:VTODO\r\nEND:VCALENDAR\r\n"})
	f.setObject(personal, "todo2.ics", &fakeObject{etag: "t2", ctype: "text/calendar",
		data: "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VTODO\r\nUID:todo2\r\nEND:VTODO\r\nEND:VCALENDAR\r\n"})
	h := newHarness(t, caldav.Config{URL: personal}, nil)
	first := h.only(h.sync())
	if !slices.Equal(uidsOf(first.Events), []string{"a", "b"}) || len(first.Problems) > 0 {
		t.Fatalf("first sync: events %q problems %v", uidsOf(first.Events), first.Problems)
	}
	if got := f.took(); slices.ContainsFunc(got, func(r string) bool { return strings.Contains(r, "todo.ics") }) {
		t.Errorf("a to-do was fetched: %q", got)
	}

	f.put(personal, "b.ics", event("b", 22))
	f.setHook(func(w http.ResponseWriter, r *http.Request, kind, body string) bool {
		if kind != "calendar-multiget" {
			return false
		}
		// Answer with every object, whatever was asked for.
		f.mu.Lock()
		defer f.mu.Unlock()
		var out string
		for _, name := range []string{"a.ics", "b.ics", "todo.ics"} {
			out += f.propResponse(f.home+"personal/"+name, body, f.objectProps(f.cal(personal).objects[name], true))
		}
		f.multistatus(w, out)
		return true
	})
	ch := h.only(h.sync())
	if ch.Full || !slices.Equal(uidsOf(ch.Events), []string{"b"}) || len(ch.Deleted) > 0 || len(ch.Problems) > 0 {
		t.Errorf("Full %v events %q deleted %q problems %v; want only b", ch.Full, uidsOf(ch.Events), ch.Deleted, ch.Problems)
	}
	if !strings.Contains(h.log.String(), "ignored objects that were not asked for") {
		t.Errorf("the extra objects were not noticed in the log")
	}
}

// 5xx answers and timeouts are retried with backoff through retry.Do,
// honouring Retry-After; a calendar that keeps failing fails alone.
func TestServerErrorsAndTimeoutsAreRetried(t *testing.T) {
	t.Run("a 503 with Retry-After is retried after the time asked", func(t *testing.T) {
		f := newFakeServer(t)
		personal := f.calendar("personal", "Personal")
		f.put(personal, "a.ics", event("a", 1))
		failures := 2
		f.setHook(func(w http.ResponseWriter, r *http.Request, kind, body string) bool {
			if kind == "calendar-multiget" && failures > 0 {
				failures--
				w.Header().Set("Retry-After", "7")
				http.Error(w, "Service Unavailable: maintenance", http.StatusServiceUnavailable)
				return true
			}
			return false
		})
		h := newHarness(t, caldav.Config{URL: personal}, nil)
		ch := h.only(h.sync())
		if ch.Err != nil || !slices.Equal(uidsOf(ch.Events), []string{"a"}) {
			t.Fatalf("Err %v events %q", ch.Err, uidsOf(ch.Events))
		}
		if want := []time.Duration{7 * time.Second, 7 * time.Second}; !slices.Equal(h.delays, want) {
			t.Errorf("waited %v, want %v", h.delays, want)
		}
	})

	t.Run("a request that times out is tried again", func(t *testing.T) {
		f := newFakeServer(t)
		personal := f.calendar("personal", "Personal")
		f.put(personal, "a.ics", event("a", 1))
		slow := 1
		f.setHook(func(w http.ResponseWriter, r *http.Request, kind, body string) bool {
			if kind == "sync-collection" && slow > 0 {
				slow--
				select {
				case <-r.Context().Done():
				case <-time.After(5 * time.Second):
				}
				return true
			}
			return false
		})
		h := newHarness(t, caldav.Config{URL: personal, Timeout: 200 * time.Millisecond}, nil)
		ch := h.only(h.sync())
		if ch.Err != nil || !slices.Equal(uidsOf(ch.Events), []string{"a"}) || len(h.delays) != 1 {
			t.Fatalf("Err %v events %q retries %v; want one retry, then a", ch.Err, uidsOf(ch.Events), h.delays)
		}
		if !strings.Contains(h.log.String(), "timed out after 200ms") {
			t.Errorf("the log does not say the request timed out:\n%s", h.log.String())
		}
	})

	t.Run("a change that cannot be fetched is not lost: the calendar fails and keeps its cursor", func(t *testing.T) {
		f := newFakeServer(t)
		personal := f.calendar("personal", "Personal")
		f.put(personal, "a.ics", event("a", 1))
		h := newHarness(t, caldav.Config{URL: personal, Retry: retryPolicy(2)}, nil)
		h.sync()
		before := h.cursors[personal]
		f.put(personal, "b.ics", event("b", 2))
		f.setHook(func(w http.ResponseWriter, r *http.Request, kind, body string) bool {
			if kind == "calendar-multiget" {
				http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
				return true
			}
			return false
		})
		if ch := h.only(h.sync()); ch.Err == nil || !strings.Contains(ch.Err.Error(), "HTTP 503") || h.cursors[personal] != before {
			t.Fatalf("Err %v, cursor moved %v; want the calendar failed and its cursor kept", ch.Err, h.cursors[personal] != before)
		}
		f.setHook(nil)
		if ch := h.only(h.sync()); ch.Err != nil || !slices.Equal(uidsOf(ch.Events), []string{"b"}) {
			t.Errorf("once the server is back: Err %v events %q; want b", ch.Err, uidsOf(ch.Events))
		}
	})

	t.Run("a calendar that keeps failing fails alone, named by its redacted URL", func(t *testing.T) {
		f := newFakeServer(t)
		personal := f.calendar("personal", "Personal")
		broken := f.calendar("f0c4e0a1-9b7d-4c55-8f0e-2d7c1b5a9e33", "Broken")
		f.put(personal, "a.ics", event("a", 1))
		f.setHook(func(w http.ResponseWriter, r *http.Request, kind, body string) bool {
			if strings.Contains(r.URL.Path, "f0c4e0a1") {
				http.Error(w, "Internal Server Error", http.StatusInternalServerError)
				return true
			}
			return false
		})
		h := newHarness(t, caldav.Config{URL: f.URL, Retry: retryPolicy(3)}, nil)
		changes := h.sync()
		if len(changes) != 2 || changes[0].Calendar.ID != broken || changes[1].Err != nil || len(changes[1].Events) != 1 {
			t.Fatalf("changes %+v; want the broken calendar failed and personal read", changes)
		}
		show := "http://" + f.Listener.Addr().String() + "/…/f0c4e0a1-9b7…"
		want := "caldav: " + show + ": REPORT " + show + ": HTTP 500 Internal Server Error (gave up after 3 attempts)"
		if err := changes[0].Err; err == nil || err.Error() != want {
			t.Errorf("error %v\nwant  %s", err, want)
		}
		if len(h.delays) != 2 {
			t.Errorf("%d retries, want 2", len(h.delays))
		}
		if _, ok := h.cursors[broken]; ok {
			t.Errorf("the failed calendar got a cursor")
		}
	})
}

// One broken object never stops the others: an unreadable iCalendar object
// is a problem with its UID and property, and an object that makes the
// server fail the whole multiget (Radicale answers 500 for a corrupt item
// file) is found by splitting the batch.
func TestOneBrokenObjectNeverStopsTheRest(t *testing.T) {
	f := newFakeServer(t)
	personal := f.calendar("personal", "Personal")
	for i, uid := range []string{"a", "b", "c", "d", "e"} {
		f.put(personal, uid+".ics", event(uid, i+1))
	}
	f.put(personal, "bad-dtstart.ics", strings.Replace(event("bad-dtstart", 9), "DTSTART:20260109T090000Z", "DTSTART:2026-01-09 nine o'clock", 1))
	f.put(personal, "poison.ics", event("poison", 10))
	f.setHook(func(w http.ResponseWriter, r *http.Request, kind, body string) bool {
		if kind == "calendar-multiget" && strings.Contains(body, "poison.ics") {
			http.Error(w, "Internal Server Error", http.StatusInternalServerError)
			return true
		}
		return false
	})
	h := newHarness(t, caldav.Config{URL: personal}, nil)
	ch := h.only(h.sync())
	if ch.Err != nil || !slices.Equal(uidsOf(ch.Events), []string{"a", "b", "c", "d", "e"}) {
		t.Fatalf("Err %v events %q; want a to e", ch.Err, uidsOf(ch.Events))
	}
	var got []string
	for _, p := range ch.Problems {
		got = append(got, p.Object+" "+p.Property+" "+p.Where)
	}
	host := "http://" + f.Listener.Addr().String()
	want := []string{"  " + host + "/…/personal/poison.ics", "bad-dtstart DTSTART " + host + "/…/personal/bad-dtstart.ics"}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("problems (object, property, where)\n%q\nwant\n%q", got, want)
	}
	for _, p := range ch.Problems {
		var oe *calendar.ObjectError
		if !errors.As(p, &oe) {
			t.Errorf("problem %v is not an ObjectError", p)
		}
	}
}

func retryPolicy(attempts int) retry.Policy { return retry.Policy{Attempts: attempts} }
