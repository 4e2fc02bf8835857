package caldav_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-ical"
	"github.com/emersion/go-webdav"
	gwcaldav "github.com/emersion/go-webdav/caldav"

	"github.com/rapport-dev/rapport/calendar/caldav"
)

// memoryBackend is a go-webdav CalDAV server backend in memory. go-webdav's
// server is a third real implementation to sync from, one that has neither
// sync-collection nor a CTag nor a supported-report-set: the source must
// find that out and fall back to listing ETags.
type memoryBackend struct {
	mu      sync.Mutex
	cals    map[string]*gwcaldav.Calendar
	objects map[string]map[string]gwcaldav.CalendarObject // calendar path → object path → object
}

func (b *memoryBackend) CurrentUserPrincipal(context.Context) (string, error) { return "/alice/", nil }
func (b *memoryBackend) CalendarHomeSetPath(context.Context) (string, error) {
	return "/alice/calendars/", nil
}

func (b *memoryBackend) CreateCalendar(_ context.Context, c *gwcaldav.Calendar) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.cals[c.Path] = c
	b.objects[c.Path] = map[string]gwcaldav.CalendarObject{}
	return nil
}

func (b *memoryBackend) ListCalendars(context.Context) ([]gwcaldav.Calendar, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []gwcaldav.Calendar
	for _, c := range b.cals {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(x, y gwcaldav.Calendar) int { return strings.Compare(x.Path, y.Path) })
	return out, nil
}

func (b *memoryBackend) GetCalendar(_ context.Context, p string) (*gwcaldav.Calendar, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if c, ok := b.cals[p]; ok {
		return c, nil
	}
	return nil, webdav.NewHTTPError(http.StatusNotFound, nil)
}

func calendarOf(p string) string { return p[:strings.LastIndexByte(p, '/')+1] }

func (b *memoryBackend) GetCalendarObject(_ context.Context, p string, _ *gwcaldav.CalendarCompRequest) (*gwcaldav.CalendarObject, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if o, ok := b.objects[calendarOf(p)][p]; ok {
		return &o, nil
	}
	return nil, webdav.NewHTTPError(http.StatusNotFound, nil)
}

func (b *memoryBackend) ListCalendarObjects(_ context.Context, p string, _ *gwcaldav.CalendarCompRequest) ([]gwcaldav.CalendarObject, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []gwcaldav.CalendarObject
	for _, o := range b.objects[p] {
		out = append(out, o)
	}
	slices.SortFunc(out, func(x, y gwcaldav.CalendarObject) int { return strings.Compare(x.Path, y.Path) })
	return out, nil
}

func (b *memoryBackend) QueryCalendarObjects(ctx context.Context, p string, _ *gwcaldav.CalendarQuery) ([]gwcaldav.CalendarObject, error) {
	return b.ListCalendarObjects(ctx, p, nil)
}

func (b *memoryBackend) PutCalendarObject(_ context.Context, p string, cal *ical.Calendar, _ *gwcaldav.PutCalendarObjectOptions) (*gwcaldav.CalendarObject, error) {
	var buf bytes.Buffer
	if err := ical.NewEncoder(&buf).Encode(cal); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(buf.Bytes())
	o := gwcaldav.CalendarObject{Path: p, ModTime: time.Now(), ContentLength: int64(buf.Len()), ETag: hex.EncodeToString(sum[:8]), Data: cal}
	b.mu.Lock()
	defer b.mu.Unlock()
	objs, ok := b.objects[calendarOf(p)]
	if !ok {
		return nil, webdav.NewHTTPError(http.StatusNotFound, nil)
	}
	objs[p] = o
	return &o, nil
}

func (b *memoryBackend) DeleteCalendarObject(_ context.Context, p string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.objects[calendarOf(p)], p)
	return nil
}

func TestGoWebDAVServerWithoutSyncCollectionOrCTagIsSyncedByETags(t *testing.T) {
	backend := &memoryBackend{cals: map[string]*gwcaldav.Calendar{}, objects: map[string]map[string]gwcaldav.CalendarObject{}}
	_ = backend.CreateCalendar(t.Context(), &gwcaldav.Calendar{Path: "/alice/calendars/work/", Name: "Work", SupportedComponentSet: []string{"VEVENT"}})
	count := newCounter()
	srv := httptest.NewServer(&gwcaldav.Handler{Backend: backend})
	defer srv.Close()
	work := srv.URL + "/alice/calendars/work/"
	d := &davServer{base: srv.URL}
	for i, uid := range []string{"a", "b", "c"} {
		d.put(t, work, uid+".ics", []byte(event(uid, i+1)))
	}

	h := newHarness(t, caldav.Config{URL: srv.URL}, &http.Client{Transport: count})
	ch := h.only(h.sync())
	if ch.Err != nil || !ch.Full || ch.Calendar.ID != work || ch.Calendar.Name != "Work" || !slices.Equal(uidsOf(ch.Events), []string{"a", "b", "c"}) {
		t.Fatalf("first sync: %+v", ch)
	}
	if !strings.Contains(h.cursors[work], `"m":"etag","f":true`) {
		t.Errorf("cursor %s; want ETag mode after sync-collection was refused", h.cursors[work])
	}

	count.reset()
	ch = h.only(h.sync())
	if n, methods := count.reset(); n != 1 || ch.Err != nil || ch.Full || len(ch.Events) > 0 {
		t.Errorf("nothing changed: %d requests %q, changes %+v; want one listing and nothing", n, methods, ch)
	}

	d.put(t, work, "b.ics", []byte(event("b", 12)))
	d.remove(t, work, "c.ics")
	count.reset()
	ch = h.only(h.sync())
	if n, methods := count.reset(); n != 2 {
		t.Errorf("one edit, one deletion: %d requests %q; want a listing and a multiget", n, methods)
	}
	if ch.Err != nil || ch.Full || !slices.Equal(uidsOf(ch.Events), []string{"b"}) || !slices.Equal(ch.Deleted, []string{"c"}) {
		t.Errorf("changes %+v; want b changed, c deleted", ch)
	}
}
