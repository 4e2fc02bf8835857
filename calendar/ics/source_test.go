package ics_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rapport-dev/rapport/calendar"
	"github.com/rapport-dev/rapport/calendar/ics"
	"github.com/rapport-dev/rapport/retry"
)

// sourceEvents returns an iCalendar stream with one single event per UID.
func sourceEvents(uids ...string) string {
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//rapport//source test//EN\r\n")
	for i, uid := range uids {
		fmt.Fprintf(&b, "BEGIN:VEVENT\r\nUID:%s\r\nDTSTAMP:20260101T000000Z\r\n"+
			"DTSTART:202601%02dT090000Z\r\nDTEND:202601%02dT093000Z\r\nSUMMARY:Alice / Bob\r\nEND:VEVENT\r\n", uid, i+1, i+1)
	}
	b.WriteString("END:VCALENDAR\r\n")
	return b.String()
}

// fakeSleeper records retry waits instead of waiting.
type fakeSleeper struct {
	mu     sync.Mutex
	delays []time.Duration
}

func (f *fakeSleeper) Sleep(ctx context.Context, d time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.delays = append(f.delays, d)
	return ctx.Err()
}

// sourceHarness builds a Source and plays the store: it keeps the cursors
// from one sync to the next, and captures the log.
type sourceHarness struct {
	t       *testing.T
	src     *ics.Source
	cursors map[string]string
	sleeper *fakeSleeper
	log     *bytes.Buffer
}

func newSourceHarness(t *testing.T, cfg ics.Config, client *http.Client) *sourceHarness {
	t.Helper()
	h := &sourceHarness{t: t, cursors: map[string]string{}, sleeper: &fakeSleeper{}, log: &bytes.Buffer{}}
	if cfg.Name == "" {
		cfg.Name = "team-files"
	}
	if cfg.Owner == "" {
		cfg.Owner = "Alice@Example.com"
	}
	if cfg.Retry.Sleep == nil {
		cfg.Retry.Sleep = h.sleeper.Sleep
	}
	logger := slog.New(slog.NewTextHandler(h.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	src, err := ics.New(cfg, client, logger)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	h.src = src
	return h
}

// sync runs one Sync and remembers the cursors as a store would: a
// calendar reported Full with no cursor is gone.
func (h *sourceHarness) sync() []calendar.Changes {
	h.t.Helper()
	changes, err := h.src.Sync(context.Background(), h.cursors)
	if err != nil {
		h.t.Fatalf("Sync: %v", err)
	}
	for _, ch := range changes {
		switch {
		case ch.Err != nil:
		case ch.Full && ch.Cursor == "":
			delete(h.cursors, ch.Calendar.ID)
		default:
			h.cursors[ch.Calendar.ID] = ch.Cursor
		}
	}
	return changes
}

// only returns the single calendar's changes of a sync.
func (h *sourceHarness) only(changes []calendar.Changes) calendar.Changes {
	h.t.Helper()
	if len(changes) != 1 {
		h.t.Fatalf("got %d calendars, want 1: %+v", len(changes), changes)
	}
	return changes[0]
}

func uidsOf(ch calendar.Changes) []string {
	var uids []string
	for _, e := range ch.Events {
		uids = append(uids, e.UID)
	}
	return uids
}

func writeFile(t *testing.T, path, content string, mtime time.Time) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if !mtime.IsZero() {
		if err := os.Chtimes(path, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
}

func copyTestdata(t *testing.T, name, dir string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "source", name))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	writeFile(t, path, string(data), time.Now().Add(-time.Hour))
	return path
}

func TestSourceFileIsReadWholeOnlyWhenItChanges(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alice.ics")
	long := time.Now().Add(-time.Hour)
	writeFile(t, path, sourceEvents("a", "b"), long)
	h := newSourceHarness(t, ics.Config{Paths: []string{path}}, nil)

	steps := []struct {
		name       string
		edit       func()
		wantFull   bool
		wantUIDs   []string
		sameCursor bool
	}{
		{name: "the first sync is full", wantFull: true, wantUIDs: []string{"a", "b"}},
		{name: "an unchanged file yields no events and keeps its cursor", sameCursor: true},
		{name: "a touched file with the same content is unchanged",
			edit: func() { writeFile(t, path, sourceEvents("a", "b"), long.Add(time.Minute)) }},
		{name: "an edited file is read whole again", wantFull: true, wantUIDs: []string{"a", "c", "d"},
			edit: func() { writeFile(t, path, sourceEvents("a", "c", "d"), long.Add(2*time.Minute)) }},
		{name: "and is unchanged after that", sameCursor: true},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			if step.edit != nil {
				step.edit()
			}
			before := h.cursors[path]
			ch := h.only(h.sync())
			if ch.Err != nil {
				t.Fatalf("Err: %v", ch.Err)
			}
			if ch.Full != step.wantFull || ch.WholeSeries != step.wantFull {
				t.Errorf("Full, WholeSeries = %v, %v; want %v", ch.Full, ch.WholeSeries, step.wantFull)
			}
			if got := strings.Join(uidsOf(ch), ","); got != strings.Join(step.wantUIDs, ",") {
				t.Errorf("events %q, want %q", got, step.wantUIDs)
			}
			if ch.Cursor == "" {
				t.Error("no cursor")
			}
			if step.sameCursor && ch.Cursor != before {
				t.Errorf("cursor changed from %s to %s", before, ch.Cursor)
			}
			want := calendar.Calendar{ID: path, Name: "alice.ics", Owner: "alice@example.com"}
			if ch.Calendar != want {
				t.Errorf("Calendar = %+v, want %+v", ch.Calendar, want)
			}
		})
	}
}

func TestSourceFileRewrittenWithinTheSameSecondAndSizeIsStillSeen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "racy.ics")
	writeFile(t, path, sourceEvents("a"), time.Time{})
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	h := newSourceHarness(t, ics.Config{Paths: []string{path}}, nil)
	h.sync()
	// Same size, same mtime, other content: only the hash can tell.
	writeFile(t, path, sourceEvents("b"), fi.ModTime())
	ch := h.only(h.sync())
	if !ch.Full || strings.Join(uidsOf(ch), ",") != "b" {
		t.Errorf("Full = %v, events %v; want the rewritten event b", ch.Full, uidsOf(ch))
	}
}

func TestSourceCalendarNameComesFromXWRCalname(t *testing.T) {
	dir := t.TempDir()
	path := copyTestdata(t, "alice.ics", dir)
	h := newSourceHarness(t, ics.Config{Paths: []string{path}, DefaultZone: time.UTC}, nil)
	for _, step := range []string{"first sync", "unchanged sync keeps the name"} {
		t.Run(step, func(t *testing.T) {
			ch := h.only(h.sync())
			if ch.Err != nil {
				t.Fatal(ch.Err)
			}
			if ch.Calendar.Name != "Alice, work" {
				t.Errorf("Name = %q, want %q", ch.Calendar.Name, "Alice, work")
			}
		})
	}
}

func TestSourceFileWithOneBrokenEventKeepsTheOthers(t *testing.T) {
	path := copyTestdata(t, "one-broken.ics", t.TempDir())
	h := newSourceHarness(t, ics.Config{Paths: []string{path}}, nil)
	ch := h.only(h.sync())
	if ch.Err != nil {
		t.Fatalf("Err: %v", ch.Err)
	}
	if got := strings.Join(uidsOf(ch), ","); got != "good-1@example.com,good-2@example.com" {
		t.Errorf("events %q, want both good ones", got)
	}
	if len(ch.Problems) != 1 {
		t.Fatalf("Problems = %v, want one", ch.Problems)
	}
	p := ch.Problems[0]
	if p.Object != "broken@example.com" || p.Property != "DTSTART" || !strings.HasPrefix(p.Where, path) {
		t.Errorf("problem %+v, want broken@example.com DTSTART in %s", p, path)
	}
	log := h.log.String()
	if !strings.Contains(log, "broken@example.com") {
		t.Errorf("the problem is not logged:\n%s", log)
	}
	if strings.Contains(log, "Top secret") {
		t.Errorf("the log shows a meeting title:\n%s", log)
	}
}

func TestSourceDirectoryListsItsCalendarsAndReportsARemovedOne(t *testing.T) {
	dir := t.TempDir()
	long := time.Now().Add(-time.Hour)
	writeFile(t, filepath.Join(dir, "b.ics"), sourceEvents("b1"), long)
	writeFile(t, filepath.Join(dir, "a.ICS"), sourceEvents("a1", "a2"), long)
	writeFile(t, filepath.Join(dir, "notes.txt"), "not a calendar", long)
	writeFile(t, filepath.Join(dir, ".#a.ics"), "an editor's lock file", long)
	if err := os.Mkdir(filepath.Join(dir, "archive.ics"), 0o755); err != nil {
		t.Fatal(err)
	}
	h := newSourceHarness(t, ics.Config{Paths: []string{dir + string(filepath.Separator)}}, nil)
	a, b := filepath.Join(dir, "a.ICS"), filepath.Join(dir, "b.ics")

	type want struct {
		id     string
		full   bool
		events int
	}
	steps := []struct {
		name string
		edit func()
		want []want
	}{
		{name: "every .ics file is a calendar, in name order",
			want: []want{{a, true, 2}, {b, true, 1}}},
		{name: "a file removed since the last sync is reported full and empty",
			edit: func() {
				if err := os.Remove(b); err != nil {
					t.Fatal(err)
				}
			},
			want: []want{{a, false, 0}, {b, true, 0}}},
		{name: "and only once",
			want: []want{{a, false, 0}}},
		{name: "a new file appears",
			edit: func() { writeFile(t, filepath.Join(dir, "c.ics"), sourceEvents("c1"), long) },
			want: []want{{a, false, 0}, {filepath.Join(dir, "c.ics"), true, 1}}},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			if step.edit != nil {
				step.edit()
			}
			changes := h.sync()
			var got []want
			for _, ch := range changes {
				if ch.Err != nil {
					t.Errorf("%s: %v", ch.Calendar.ID, ch.Err)
				}
				got = append(got, want{ch.Calendar.ID, ch.Full, len(ch.Events)})
			}
			if fmt.Sprint(got) != fmt.Sprint(step.want) {
				t.Errorf("got %v\nwant %v", got, step.want)
			}
		})
	}
}

func TestSourceAFailingCalendarLeavesTheOthersAlone(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.ics")
	writeFile(t, good, sourceEvents("g"), time.Time{})
	missing := filepath.Join(dir, "missing.ics")
	notFound := httptest.NewServer(http.NotFoundHandler())
	defer notFound.Close()
	h := newSourceHarness(t, ics.Config{Paths: []string{missing, notFound.URL + "/gone.ics", good}}, nil)
	h.cursors[missing] = "kept"

	changes, err := h.src.Sync(context.Background(), h.cursors)
	if err != nil {
		t.Fatalf("Sync: %v", err)
	}
	if len(changes) != 3 {
		t.Fatalf("got %d calendars, want 3", len(changes))
	}
	if err := changes[0].Err; !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), missing) || !strings.HasPrefix(err.Error(), "ics: ") {
		t.Errorf("missing file: Err = %v, want ics: <path>: not exist", err)
	}
	if changes[0].Cursor != "kept" {
		t.Errorf("a failed calendar's cursor = %q, want it kept", changes[0].Cursor)
	}
	if changes[1].Err == nil {
		t.Error("404: no Err")
	}
	if changes[2].Err != nil || !changes[2].Full || len(changes[2].Events) != 1 {
		t.Errorf("good file: %+v, want it read", changes[2])
	}
}

func TestSourceSyncFailsOnlyWhenNothingCanBeTried(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.ics")
	writeFile(t, path, sourceEvents("a"), time.Time{})
	h := newSourceHarness(t, ics.Config{Paths: []string{path}}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.src.Sync(ctx, nil); !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "team-files") {
		t.Errorf("Sync with a cancelled context = %v, want context.Canceled naming the source", err)
	}
}

func TestSourceUnreadableCursorStartsOver(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.ics")
	writeFile(t, path, sourceEvents("a"), time.Time{})
	h := newSourceHarness(t, ics.Config{Paths: []string{path}}, nil)
	h.cursors[path] = "not json"
	if ch := h.only(h.sync()); !ch.Full || len(ch.Events) != 1 {
		t.Errorf("Full = %v with %d events, want a full read", ch.Full, len(ch.Events))
	}
}

func TestSourceFileLargerThanMaxBytesIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.ics")
	writeFile(t, path, sourceEvents("a", "b", "c", "d", "e", "f"), time.Time{})
	h := newSourceHarness(t, ics.Config{Paths: []string{path}, MaxBytes: 512}, nil)
	ch := h.only(h.sync())
	if ch.Err == nil || !strings.Contains(ch.Err.Error(), "MaxBytes limit of 512 bytes") {
		t.Errorf("Err = %v, want it to name the 512 bytes limit", ch.Err)
	}
}

// icsServer serves a calendar and records the requests it got.
type icsServer struct {
	*httptest.Server
	mu       sync.Mutex
	requests []*http.Request
	handle   func(w http.ResponseWriter, r *http.Request, n int)
}

func newICSServer(t *testing.T, handle func(w http.ResponseWriter, r *http.Request, n int)) *icsServer {
	s := &icsServer{handle: handle}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.requests = append(s.requests, r.Clone(context.Background()))
		n := len(s.requests)
		s.mu.Unlock()
		s.handle(w, r, n)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *icsServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

func (s *icsServer) request(i int) *http.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[i]
}

func TestSourceURLConditionalRequests(t *testing.T) {
	body := sourceEvents("u1", "u2")
	tests := []struct {
		name       string
		handle     func(w http.ResponseWriter, r *http.Request, n int)
		wantHeader string // sent on the second request
		wantValue  string
	}{
		{
			name: "an ETag is sent back as If-None-Match and 304 means no change",
			handle: func(w http.ResponseWriter, r *http.Request, n int) {
				if r.Header.Get("If-None-Match") == `"v1"` {
					w.WriteHeader(http.StatusNotModified)
					return
				}
				w.Header().Set("ETag", `"v1"`)
				w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
				fmt.Fprint(w, body)
			},
			wantHeader: "If-None-Match", wantValue: `"v1"`,
		},
		{
			name: "a Last-Modified is sent back as If-Modified-Since and 304 means no change",
			handle: func(w http.ResponseWriter, r *http.Request, n int) {
				if r.Header.Get("If-Modified-Since") == "Mon, 02 Mar 2026 09:00:00 GMT" {
					w.WriteHeader(http.StatusNotModified)
					return
				}
				w.Header().Set("Last-Modified", "Mon, 02 Mar 2026 09:00:00 GMT")
				fmt.Fprint(w, body)
			},
			wantHeader: "If-Modified-Since", wantValue: "Mon, 02 Mar 2026 09:00:00 GMT",
		},
		{
			name: "a 200 with the same body means no change",
			handle: func(w http.ResponseWriter, r *http.Request, n int) {
				fmt.Fprint(w, body)
			},
		},
		{
			name: "a 200 with the same body and a new ETag means no change",
			handle: func(w http.ResponseWriter, r *http.Request, n int) {
				w.Header().Set("ETag", fmt.Sprintf(`"v%d"`, n))
				fmt.Fprint(w, body)
			},
			wantHeader: "If-None-Match", wantValue: `"v1"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newICSServer(t, tt.handle)
			h := newSourceHarness(t, ics.Config{Paths: []string{srv.URL + "/cal/team.ics"}}, srv.Client())

			first := h.only(h.sync())
			if first.Err != nil || !first.Full || len(first.Events) != 2 {
				t.Fatalf("first sync: Full = %v, %d events, Err = %v; want full with 2", first.Full, len(first.Events), first.Err)
			}
			if first.Calendar.ID != srv.URL+"/cal/team.ics" || first.Calendar.Name != "team.ics" {
				t.Errorf("Calendar = %+v", first.Calendar)
			}
			second := h.only(h.sync())
			if second.Err != nil || second.Full || len(second.Events) != 0 {
				t.Errorf("second sync: Full = %v, %d events, Err = %v; want no change", second.Full, len(second.Events), second.Err)
			}
			if second.Cursor == "" {
				t.Error("second sync: no cursor")
			}
			if n := srv.count(); n != 2 {
				t.Errorf("%d requests, want 2", n)
			}
			r := srv.request(1)
			if tt.wantHeader != "" && r.Header.Get(tt.wantHeader) != tt.wantValue {
				t.Errorf("%s = %q, want %q", tt.wantHeader, r.Header.Get(tt.wantHeader), tt.wantValue)
			}
			if r.Header.Get("User-Agent") != "rapport" || r.Header.Get("Accept") != "text/calendar" {
				t.Errorf("User-Agent %q, Accept %q; want rapport, text/calendar", r.Header.Get("User-Agent"), r.Header.Get("Accept"))
			}
		})
	}
}

func TestSourceURLChangedBodyIsReadWholeAgain(t *testing.T) {
	var version atomic.Int32
	version.Store(1)
	srv := newICSServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		etag := fmt.Sprintf(`"v%d"`, version.Load())
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		if version.Load() == 1 {
			fmt.Fprint(w, sourceEvents("a"))
		} else {
			fmt.Fprint(w, sourceEvents("a", "b"))
		}
	})
	h := newSourceHarness(t, ics.Config{Paths: []string{srv.URL + "/team.ics"}}, srv.Client())
	h.sync()
	version.Store(2)
	ch := h.only(h.sync())
	if !ch.Full || strings.Join(uidsOf(ch), ",") != "a,b" {
		t.Errorf("Full = %v, events %v; want the new version whole", ch.Full, uidsOf(ch))
	}
}

func TestSourceURLRetriesA503AndHonoursRetryAfter(t *testing.T) {
	srv := newICSServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			w.Header().Set("Retry-After", "2")
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprint(w, sourceEvents("a"))
	})
	h := newSourceHarness(t, ics.Config{Paths: []string{srv.URL + "/team.ics"}, Retry: retry.Policy{Attempts: 3, Max: time.Minute}}, srv.Client())
	start := time.Now()
	ch := h.only(h.sync())
	if ch.Err != nil || !ch.Full || len(ch.Events) != 1 {
		t.Fatalf("Full = %v, %d events, Err = %v; want the calendar after a retry", ch.Full, len(ch.Events), ch.Err)
	}
	if srv.count() != 2 {
		t.Errorf("%d requests, want 2", srv.count())
	}
	if fmt.Sprint(h.sleeper.delays) != "[2s]" {
		t.Errorf("waits %v, want the server's [2s]", h.sleeper.delays)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("the sync took %s: it waited for real", took)
	}
}

func TestSourceURLFailures(t *testing.T) {
	tests := []struct {
		name         string
		cfg          ics.Config
		handle       func(w http.ResponseWriter, r *http.Request, n int)
		wantRequests int
		want         []string // substrings of Changes.Err
		wantIs       error
	}{
		{
			name:         "404 is permanent and names the URL",
			handle:       func(w http.ResponseWriter, r *http.Request, n int) { http.NotFound(w, r) },
			wantRequests: 1,
			want:         []string{"ics: GET http://127.0.0.1:", "/…/team.ics", "404 Not Found"},
		},
		{
			name: "a 500 that persists gives up after the attempts",
			cfg:  ics.Config{Retry: retry.Policy{Attempts: 3}},
			handle: func(w http.ResponseWriter, r *http.Request, n int) {
				http.Error(w, "boom", http.StatusInternalServerError)
			},
			wantRequests: 3,
			want:         []string{"500 Internal Server Error", "3 attempts"},
		},
		{
			name: "a body larger than MaxBytes names the limit",
			cfg:  ics.Config{MaxBytes: 1024},
			handle: func(w http.ResponseWriter, r *http.Request, n int) {
				fmt.Fprint(w, strings.Repeat("X", 4096))
			},
			wantRequests: 1,
			want:         []string{"/…/team.ics", "larger than the MaxBytes limit of 1 KiB"},
		},
		{
			name: "a streamed body larger than MaxBytes names the limit",
			cfg:  ics.Config{MaxBytes: 1024},
			handle: func(w http.ResponseWriter, r *http.Request, n int) {
				for range 8 {
					fmt.Fprint(w, strings.Repeat("X", 512))
					w.(http.Flusher).Flush() // no Content-Length
				}
			},
			wantRequests: 1,
			want:         []string{"larger than the MaxBytes limit of 1 KiB"},
		},
		{
			name: "a slow server times out",
			cfg:  ics.Config{Timeout: 50 * time.Millisecond, Retry: retry.Policy{Attempts: 1}},
			handle: func(w http.ResponseWriter, r *http.Request, n int) {
				select {
				case <-r.Context().Done():
				case <-time.After(10 * time.Second):
				}
			},
			wantRequests: 1,
			want:         []string{"/…/team.ics", "timed out after 50ms"},
			wantIs:       context.DeadlineExceeded,
		},
		{
			name: "a login page is not a calendar",
			handle: func(w http.ResponseWriter, r *http.Request, n int) {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				fmt.Fprint(w, "<html><body>Please sign in</body></html>")
			},
			wantRequests: 1,
			want:         []string{"not an iCalendar stream", "served as text/html"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newICSServer(t, tt.handle)
			cfg := tt.cfg
			cfg.Paths = []string{srv.URL + "/private/team.ics"}
			h := newSourceHarness(t, cfg, srv.Client())
			ch := h.only(h.sync())
			if ch.Err == nil {
				t.Fatalf("no Err; Changes = %+v", ch)
			}
			for _, want := range tt.want {
				if !strings.Contains(ch.Err.Error(), want) {
					t.Errorf("Err %q lacks %q", ch.Err, want)
				}
			}
			if !strings.HasPrefix(ch.Err.Error(), "ics: ") {
				t.Errorf("Err %q is not prefixed ics:", ch.Err)
			}
			if tt.wantIs != nil && !errors.Is(ch.Err, tt.wantIs) {
				t.Errorf("Err %v is not %v", ch.Err, tt.wantIs)
			}
			if n := srv.count(); n != tt.wantRequests {
				t.Errorf("%d requests, want %d", n, tt.wantRequests)
			}
			if ch.Full || len(ch.Events) != 0 {
				t.Errorf("a failed calendar reports Full = %v with %d events", ch.Full, len(ch.Events))
			}
		})
	}
}

func TestSourceURLSecretsNeverAppearInErrorsOrLogs(t *testing.T) {
	secrets := []string{"alice", "hunter2", "s3cr3t", "t0k3n"}
	handlers := map[string]func(w http.ResponseWriter, r *http.Request, n int){
		"404": func(w http.ResponseWriter, r *http.Request, n int) { http.NotFound(w, r) },
		"503": func(w http.ResponseWriter, r *http.Request, n int) {
			http.Error(w, "busy", http.StatusServiceUnavailable)
		},
		"timeout": func(w http.ResponseWriter, r *http.Request, n int) { <-r.Context().Done() },
		"oversize": func(w http.ResponseWriter, r *http.Request, n int) {
			fmt.Fprint(w, strings.Repeat("X", 4096))
		},
		"not a calendar": func(w http.ResponseWriter, r *http.Request, n int) { fmt.Fprint(w, "<html>") },
		"redirect loop": func(w http.ResponseWriter, r *http.Request, n int) {
			http.Redirect(w, r, r.URL.String(), http.StatusFound)
		},
		"works": func(w http.ResponseWriter, r *http.Request, n int) {
			if u, p, ok := r.BasicAuth(); !ok || u != "alice" || p != "hunter2" {
				http.Error(w, "who are you", http.StatusUnauthorized)
				return
			}
			fmt.Fprint(w, sourceEvents("a"))
		},
	}
	for name, handle := range handlers {
		t.Run(name, func(t *testing.T) {
			srv := newICSServer(t, handle)
			raw := strings.Replace(srv.URL, "http://", "http://alice:hunter2@", 1) +
				"/calendar/ical/private-s3cr3t/basic.ics?token=t0k3n"
			h := newSourceHarness(t, ics.Config{
				Paths:    []string{raw},
				MaxBytes: 1024,
				Timeout:  50 * time.Millisecond,
				Retry:    retry.Policy{Attempts: 2},
			}, srv.Client())
			ch := h.only(h.sync())
			if name == "works" {
				if ch.Err != nil || len(ch.Events) != 1 {
					t.Fatalf("Err = %v, %d events; want basic auth to work", ch.Err, len(ch.Events))
				}
			} else if ch.Err == nil {
				t.Fatal("no Err")
			}
			if strings.Contains(ch.Calendar.ID, "hunter2") || strings.Contains(ch.Calendar.ID, "alice@") {
				t.Errorf("Calendar.ID %q keeps the userinfo", ch.Calendar.ID)
			}
			var texts []string
			if ch.Err != nil {
				texts = append(texts, ch.Err.Error())
			}
			texts = append(texts, h.log.String(), ch.Calendar.Name)
			for _, text := range texts {
				for _, secret := range secrets {
					if strings.Contains(text, secret) {
						t.Errorf("%q leaks %q", text, secret)
					}
				}
			}
		})
	}
}

func TestSourceWebcalIsHTTPS(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, sourceEvents("a"))
	}))
	defer srv.Close()
	webcal := strings.Replace(srv.URL, "https://", "webcal://", 1) + "/team.ics"
	h := newSourceHarness(t, ics.Config{Paths: []string{webcal}}, srv.Client())
	ch := h.only(h.sync())
	if ch.Err != nil || len(ch.Events) != 1 {
		t.Fatalf("Err = %v, %d events", ch.Err, len(ch.Events))
	}
	if want := srv.URL + "/team.ics"; ch.Calendar.ID != want {
		t.Errorf("ID = %q, want %q", ch.Calendar.ID, want)
	}
}

func TestSourceNewNamesTheBadField(t *testing.T) {
	tests := []struct {
		name string
		cfg  ics.Config
		want string
	}{
		{"no name", ics.Config{Paths: []string{"a.ics"}}, "ics: Name: empty"},
		{"no paths", ics.Config{Name: "s"}, `ics: source "s": Paths: empty`},
		{"an empty path", ics.Config{Name: "s", Paths: []string{"a.ics", " "}}, "Paths[1]: empty"},
		{"an unknown scheme", ics.Config{Name: "s", Paths: []string{"ftp://u:secret@host/a.ics"}}, `Paths[0]: scheme "ftp" is not http, https or webcal`},
		{"a URL without a host", ics.Config{Name: "s", Paths: []string{"https:///a.ics"}}, "Paths[0]: https URL without a host"},
		{"an unparsable URL", ics.Config{Name: "s", Paths: []string{"https://u:secret@host:port/%zz"}}, "Paths[0]: not a valid URL"},
		{"the same URL twice", ics.Config{Name: "s", Paths: []string{"https://h/a.ics", "webcal://u:secret@h/a.ics"}}, "Paths[1]: the same calendar as Paths[0]"},
		{"the same file twice", ics.Config{Name: "s", Paths: []string{"./a.ics", "a.ics"}}, "Paths[1]: the same calendar as Paths[0]"},
		{"an owner that is no email", ics.Config{Name: "s", Owner: "alice", Paths: []string{"a.ics"}}, "Owner:"},
		{"a negative MaxBytes", ics.Config{Name: "s", Paths: []string{"a.ics"}, MaxBytes: -1}, "MaxBytes: -1 is negative"},
		{"a negative Timeout", ics.Config{Name: "s", Paths: []string{"a.ics"}, Timeout: -time.Second}, "Timeout: -1s is negative"},
		{"a bad retry policy", ics.Config{Name: "s", Paths: []string{"a.ics"}, Retry: retry.Policy{Attempts: -2}}, "Retry: retry: Attempts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ics.New(tt.cfg, nil, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New = %v, want %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("error %q leaks the URL's password", err)
			}
		})
	}
	if _, err := ics.New(ics.Config{Name: "s", Owner: "a@b.c", Paths: []string{"a.ics", "webcal://h/x.ics"}}, nil, nil); err != nil {
		t.Errorf("a valid config: %v", err)
	}
}
