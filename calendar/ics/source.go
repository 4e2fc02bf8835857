package ics

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rapport-dev/rapport/calendar"
	"github.com/rapport-dev/rapport/retry"
)

// Defaults of a Config.
const (
	DefaultMaxBytes = 20 << 20
	DefaultTimeout  = 30 * time.Second
)

// Config configures a Source over .ics files, directories and subscription
// URLs (a `type: ics` source).
type Config struct {
	Name  string // source name, for errors and logs
	Owner string // canonical email: whose calendar this is
	// Paths are files, directories (every *.ics file directly inside) or
	// http, https and webcal URLs. A URL may carry user:password for basic
	// authentication; it is never logged.
	Paths       []string
	DefaultZone *time.Location // places floating times; nil means UTC
	MaxBytes    int64          // per file or response; zero means DefaultMaxBytes
	Timeout     time.Duration  // per HTTP request; zero means DefaultTimeout
	Retry       retry.Policy   // for HTTP requests
}

// Source reads iCalendar files and subscription URLs. Each file or URL is
// one calendar, read whole whenever it changed.
type Source struct {
	name     string
	owner    string
	targets  []target
	zone     *time.Location
	maxBytes int64
	timeout  time.Duration
	retry    retry.Policy
	client   *http.Client
	log      *slog.Logger
	now      func() time.Time
}

var _ calendar.Source = (*Source)(nil)

// target is one configured path: a file or directory, or a URL.
type target struct {
	path string // cleaned file or directory path; empty for a URL
	u    *urlTarget
}

type urlTarget struct {
	id         string // the URL without userinfo: the calendar's ID
	fetch      string // what is requested: id with webcal made https
	show       string // redacted, for errors and logs
	name       string // last path segment, until X-WR-CALNAME is known
	user, pass string
	auth       bool
}

// New checks cfg and returns a Source. A nil client means a plain
// http.Client (the per-request timeout comes from Timeout); a nil logger
// discards.
func New(cfg Config, client *http.Client, logger *slog.Logger) (*Source, error) {
	if strings.TrimSpace(cfg.Name) == "" {
		return nil, errors.New("ics: Name: empty; every source needs a name")
	}
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("ics: source %q: %s: %s", cfg.Name, field, fmt.Sprintf(format, args...))
	}
	s := &Source{
		name:     cfg.Name,
		owner:    calendar.CanonicalEmail(cfg.Owner),
		zone:     cfg.DefaultZone,
		maxBytes: cfg.MaxBytes,
		timeout:  cfg.Timeout,
		retry:    cfg.Retry,
		client:   client,
		log:      logger,
		now:      time.Now,
	}
	if s.owner != "" && !strings.Contains(s.owner, "@") {
		return nil, bad("Owner", "%q is not an email address", cfg.Owner)
	}
	if len(cfg.Paths) == 0 {
		return nil, bad("Paths", "empty; list at least one file, directory or URL")
	}
	seen := map[string]int{}
	for i, p := range cfg.Paths {
		field := fmt.Sprintf("Paths[%d]", i)
		if strings.TrimSpace(p) == "" {
			return nil, bad(field, "empty")
		}
		var t target
		if strings.Contains(p, "://") {
			u, err := parseURL(p)
			if err != nil {
				return nil, bad(field, "%v", err)
			}
			t.u = u
		} else {
			t.path = filepath.Clean(p)
		}
		key := t.path
		if t.u != nil {
			key = t.u.id
		}
		if j, dup := seen[key]; dup {
			return nil, bad(field, "the same calendar as Paths[%d]", j)
		}
		seen[key] = i
		s.targets = append(s.targets, t)
	}
	switch {
	case cfg.MaxBytes < 0:
		return nil, bad("MaxBytes", "%d is negative", cfg.MaxBytes)
	case cfg.MaxBytes == 0:
		s.maxBytes = DefaultMaxBytes
	}
	switch {
	case cfg.Timeout < 0:
		return nil, bad("Timeout", "%s is negative", cfg.Timeout)
	case cfg.Timeout == 0:
		s.timeout = DefaultTimeout
	}
	if err := cfg.Retry.Validate(); err != nil {
		return nil, bad("Retry", "%v", err)
	}
	if s.client == nil {
		s.client = &http.Client{}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s, nil
}

// parseURL reads a subscription URL. Its errors never quote the URL, which
// may hold a password or a secret path.
func parseURL(raw string) (*urlTarget, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, errors.New("not a valid URL")
	}
	scheme := strings.ToLower(u.Scheme)
	switch scheme {
	case "http", "https":
	case "webcal", "webcals":
		// webcal:// is https:// with a hint to open a calendar app.
		scheme = "https"
	default:
		return nil, fmt.Errorf("scheme %q is not http, https or webcal", clip(u.Scheme, 20))
	}
	if u.Host == "" {
		return nil, fmt.Errorf("%s URL without a host", scheme)
	}
	t := &urlTarget{}
	if u.User != nil {
		t.user = u.User.Username()
		t.pass, _ = u.User.Password()
		t.auth = true
	}
	clean := *u
	clean.Scheme, clean.User, clean.Fragment, clean.RawFragment = scheme, nil, "", ""
	t.id, t.fetch = clean.String(), clean.String()
	t.show = retry.RedactURL(&clean)
	// The redacted last segment: the name is shown, and a private URL's
	// secret may be its last segment.
	t.name = cleanName(t.show[strings.LastIndexByte(t.show, '/')+1:])
	if t.name == "" {
		t.name = clean.Host
	}
	return t, nil
}

// cursor is the state kept between syncs, JSON-encoded into
// Changes.Cursor: enough to know that a file or URL did not change without
// decoding it again.
type cursor struct {
	V       int    `json:"v"`
	SHA256  string `json:"sha256,omitempty"` // of the content last decoded
	Name    string `json:"name,omitempty"`   // the calendar's name then
	Size    int64  `json:"size,omitempty"`   // files: size and mtime at the last read
	MTime   int64  `json:"mtime,omitempty"`  // Unix nanoseconds
	Checked int64  `json:"checked,omitempty"`
	ETag    string `json:"etag,omitempty"` // URLs: the validators to send back
	LastMod string `json:"last_modified,omitempty"`
}

const cursorVersion = 1

func parseCursor(s string) cursor {
	var c cursor
	if s == "" || json.Unmarshal([]byte(s), &c) != nil || c.V != cursorVersion {
		return cursor{} // unknown: start over with a full read
	}
	return c
}

func (c cursor) String() string {
	c.V = cursorVersion
	b, _ := json.Marshal(c) // cannot fail: strings and integers only
	return string(b)
}

// racySlack is how close to the last check a file's mtime may be before
// size and mtime stop proving it unchanged: a file rewritten within the
// file system's timestamp granularity (2 s on FAT) of the last read keeps
// its mtime, so its content is hashed again (git's "racy clean" problem).
const racySlack = 2 * time.Second

// maxParallel bounds how many calendars of one source are read at once.
const maxParallel = 4

// Sync reads every calendar whose content changed since the cursors: a
// changed one is returned whole (Full, WholeSeries), an unchanged one with
// no events, a failed one with Err. A file that disappeared from a listed
// directory is returned Full with no events. Sync fails as a whole only
// when ctx is done before anything was tried.
func (s *Source) Sync(ctx context.Context, cursors map[string]string) ([]calendar.Changes, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("ics: source %q: %w", s.name, err)
	}
	jobs := s.plan(cursors)
	out := make([]calendar.Changes, len(jobs))
	sem := make(chan struct{}, maxParallel)
	var wg sync.WaitGroup
	for i, j := range jobs {
		if j.run == nil {
			out[i] = j.done
			continue
		}
		wg.Go(func() {
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
				out[i] = j.run(ctx)
			case <-ctx.Done():
				out[i] = j.cancelled(ctx)
			}
		})
	}
	wg.Wait()
	for _, ch := range out {
		s.logResult(ch)
	}
	return out, nil
}

// job is one calendar to report: done already, or to be read by run.
type job struct {
	done      calendar.Changes
	run       func(ctx context.Context) calendar.Changes
	cancelled func(ctx context.Context) calendar.Changes
}

// plan expands directories and lists what to read, in configuration order
// and, within a directory, by file name.
func (s *Source) plan(cursors map[string]string) []job {
	var jobs []job
	seen := map[string]bool{}
	explicit := map[string]bool{}
	for _, t := range s.targets {
		if t.u == nil {
			explicit[t.path] = true
		}
	}
	add := func(id string, run func(ctx context.Context, prev string) calendar.Changes, cal calendar.Calendar, where string) {
		if seen[id] {
			return // listed twice: once explicitly and once in a directory
		}
		seen[id] = true
		prev := cursors[id]
		jobs = append(jobs, job{
			run: func(ctx context.Context) calendar.Changes { return run(ctx, prev) },
			cancelled: func(ctx context.Context) calendar.Changes {
				return calendar.Changes{Calendar: cal, Cursor: prev, Err: fmt.Errorf("ics: %s: %w", where, context.Cause(ctx))}
			},
		})
	}
	for _, t := range s.targets {
		if t.u != nil {
			u := t.u
			add(u.id, func(ctx context.Context, prev string) calendar.Changes { return s.syncURL(ctx, u, prev) },
				s.cal(u.id, u.name), u.show)
			continue
		}
		fi, err := os.Stat(t.path)
		if err != nil || !fi.IsDir() {
			path := t.path
			add(path, func(ctx context.Context, prev string) calendar.Changes { return s.syncFile(ctx, path, prev) },
				s.cal(path, filepath.Base(path)), path)
			continue
		}
		files, err := listDir(t.path)
		if err != nil {
			jobs = append(jobs, job{done: calendar.Changes{
				Calendar: s.cal(t.path, filepath.Base(t.path)),
				Err:      fmt.Errorf("ics: %s: %w", t.path, err),
			}})
			continue
		}
		present := map[string]bool{}
		for _, path := range files {
			present[path] = true
			add(path, func(ctx context.Context, prev string) calendar.Changes { return s.syncFile(ctx, path, prev) },
				s.cal(path, filepath.Base(path)), path)
		}
		// Calendars this directory had at the last sync and has no more.
		var gone []string
		for id, c := range cursors {
			if c != "" && !present[id] && !seen[id] && !explicit[id] && isICS(id) && filepath.Dir(id) == t.path {
				gone = append(gone, id)
			}
		}
		slices.Sort(gone)
		for _, id := range gone {
			seen[id] = true
			name := filepath.Base(id)
			if c := parseCursor(cursors[id]); c.Name != "" {
				name = c.Name
			}
			jobs = append(jobs, job{done: calendar.Changes{Calendar: s.cal(id, name), Full: true}})
		}
	}
	return jobs
}

func isICS(name string) bool { return strings.EqualFold(filepath.Ext(name), ".ics") }

// listDir returns the .ics files directly inside dir, sorted, skipping
// hidden files (editor swap and lock files) and subdirectories.
func listDir(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") || !isICS(name) {
			continue
		}
		path := filepath.Join(dir, name)
		if fi, err := os.Stat(path); err == nil && fi.IsDir() {
			continue
		}
		files = append(files, path) // an unreadable one fails on its own
	}
	return files, nil
}

func (s *Source) cal(id, name string) calendar.Calendar {
	return calendar.Calendar{ID: id, Name: name, Owner: s.owner}
}

// syncFile reads one file if its size, mtime or content changed.
func (s *Source) syncFile(ctx context.Context, path, prev string) calendar.Changes {
	old := parseCursor(prev)
	ch := calendar.Changes{Calendar: s.cal(path, filepath.Base(path)), Cursor: prev}
	if old.Name != "" {
		ch.Calendar.Name = old.Name
	}
	fail := func(err error) calendar.Changes {
		ch.Err = fmt.Errorf("ics: %s: %w", path, err)
		return ch
	}
	checked := s.now()
	f, err := os.Open(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is in the prefix already
		}
		return fail(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	switch {
	case err != nil:
		return fail(err)
	case !fi.Mode().IsRegular():
		return fail(errors.New("not a regular file"))
	case fi.Size() > s.maxBytes:
		return fail(fmt.Errorf("%d bytes is larger than the MaxBytes limit of %s", fi.Size(), formatBytes(s.maxBytes)))
	}
	next := old
	next.Size, next.MTime, next.ETag, next.LastMod = fi.Size(), fi.ModTime().UnixNano(), "", ""
	racy := old.MTime > old.Checked-int64(racySlack)
	if old.SHA256 != "" && old.Size == next.Size && old.MTime == next.MTime && !racy {
		return ch // unchanged, and the cursor with it
	}
	next.Checked = checked.UnixNano()
	data, err := io.ReadAll(io.LimitReader(f, s.maxBytes+1))
	if err != nil {
		return fail(err)
	}
	if int64(len(data)) > s.maxBytes {
		return fail(fmt.Errorf("larger than the MaxBytes limit of %s", formatBytes(s.maxBytes)))
	}
	return s.decode(ctx, ch, old, next, data, path, "")
}

// decode fills a calendar's changes from its content, unless the content is
// what the cursor says was decoded last time. where names the calendar in
// problems and logs: a path or a redacted URL.
func (s *Source) decode(ctx context.Context, ch calendar.Changes, old, next cursor, data []byte, where, ctype string) calendar.Changes {
	sum := sha256.Sum256(data)
	next.SHA256 = hex.EncodeToString(sum[:])
	if next.SHA256 == old.SHA256 {
		ch.Cursor = next.String()
		return ch
	}
	res, err := DecodeBytes(data, Options{Where: where, DefaultZone: s.zone})
	if err != nil {
		if mt, _, perr := mime.ParseMediaType(ctype); perr == nil && mt != "text/calendar" {
			err = fmt.Errorf("%w (served as %s)", err, clip(mt, 60))
		}
		ch.Err = err // "ics: <where>: ..." already
		return ch
	}
	if name := calName(data); name != "" {
		ch.Calendar.Name = name
	}
	next.Name = ch.Calendar.Name
	ch.Full, ch.WholeSeries = true, true
	ch.Events, ch.Problems = res.Events, res.Problems
	ch.Cursor = next.String()
	s.logObjects(ctx, where, "problem", slog.LevelWarn, res.Problems)
	s.logObjects(ctx, where, "lenient reading", slog.LevelDebug, res.Warnings)
	return ch
}

// maxLogged bounds how many objects of one calendar are logged one by one.
const maxLogged = 10

// logObjects logs per-object problems or warnings: a summary at level, then
// the first few one by one at debug. ObjectErrors carry UIDs, properties
// and values, never titles.
func (s *Source) logObjects(ctx context.Context, show, what string, level slog.Level, errs []*calendar.ObjectError) {
	if len(errs) == 0 {
		return
	}
	s.log.Log(ctx, level, "ics: objects with a "+what, "source", s.name, "calendar", show, "count", len(errs), "err", errs[0])
	for _, e := range errs[:min(len(errs), maxLogged)] {
		s.log.DebugContext(ctx, "ics: "+what, "source", s.name, "calendar", show, "err", e)
	}
}

func (s *Source) logResult(ch calendar.Changes) {
	show := ch.Calendar.ID
	for _, t := range s.targets {
		if t.u != nil && t.u.id == ch.Calendar.ID {
			show = t.u.show
		}
	}
	switch {
	case ch.Err != nil:
		s.log.Warn("ics: calendar not synced", "source", s.name, "calendar", show, "err", ch.Err)
	case ch.Full && ch.Cursor == "" && len(ch.Events) == 0:
		s.log.Info("ics: calendar removed", "source", s.name, "calendar", show)
	case ch.Full:
		s.log.Info("ics: calendar read", "source", s.name, "calendar", show, "events", len(ch.Events), "problems", len(ch.Problems))
	default:
		s.log.Debug("ics: calendar unchanged", "source", s.name, "calendar", show)
	}
}

// syncURL fetches one subscription URL, conditionally when the cursor has
// validators.
func (s *Source) syncURL(ctx context.Context, u *urlTarget, prev string) calendar.Changes {
	old := parseCursor(prev)
	ch := calendar.Changes{Calendar: s.cal(u.id, u.name), Cursor: prev}
	if old.Name != "" {
		ch.Calendar.Name = old.Name
	}
	if err := ctx.Err(); err != nil {
		ch.Err = fmt.Errorf("ics: GET %s: %w", u.show, err)
		return ch
	}
	var (
		body        []byte
		ctype       string
		notModified bool
		next        = old
	)
	policy := s.retry
	policy.OnRetry = func(attempt int, delay time.Duration, err error) {
		s.log.DebugContext(ctx, "ics: retrying", "source", s.name, "calendar", u.show, "attempt", attempt, "delay", delay, "err", err)
		if s.retry.OnRetry != nil {
			s.retry.OnRetry(attempt, delay, err)
		}
	}
	err := retry.Do(ctx, policy, func(ctx context.Context) error {
		actx, cancel := context.WithTimeout(ctx, s.timeout)
		defer cancel()
		req, err := http.NewRequestWithContext(actx, http.MethodGet, u.fetch, nil)
		if err != nil {
			// Not wrapped: the error would quote the URL.
			return retry.Permanent(fmt.Errorf("GET %s: cannot build the request", u.show))
		}
		req.Header.Set("User-Agent", "rapport")
		req.Header.Set("Accept", "text/calendar")
		if u.auth {
			req.SetBasicAuth(u.user, u.pass)
		}
		if old.SHA256 != "" {
			if old.ETag != "" {
				req.Header.Set("If-None-Match", old.ETag)
			}
			if old.LastMod != "" {
				req.Header.Set("If-Modified-Since", old.LastMod)
			}
		}
		resp, err := s.client.Do(req)
		if err != nil {
			return s.transportError(ctx, actx, u, err)
		}
		defer resp.Body.Close()
		if err := retry.ClassifyHTTP(resp); err != nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10)) // lets the connection be reused
			return err
		}
		if resp.StatusCode == http.StatusNotModified {
			if old.SHA256 == "" {
				return retry.Permanent(fmt.Errorf("GET %s: HTTP 304 Not Modified to an unconditional request", u.show))
			}
			notModified = true
			return nil
		}
		tooLarge := retry.Permanent(fmt.Errorf("GET %s: response larger than the MaxBytes limit of %s", u.show, formatBytes(s.maxBytes)))
		if resp.ContentLength > s.maxBytes {
			return tooLarge
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, s.maxBytes+1))
		if err != nil {
			return s.transportError(ctx, actx, u, err)
		}
		if int64(len(data)) > s.maxBytes {
			return tooLarge
		}
		body, ctype, notModified = data, resp.Header.Get("Content-Type"), false
		next.ETag = validator(resp.Header.Get("ETag"))
		next.LastMod = validator(resp.Header.Get("Last-Modified"))
		return nil
	})
	if err != nil {
		ch.Err = fmt.Errorf("ics: %w", err)
		return ch
	}
	if notModified {
		return ch
	}
	next.Size, next.MTime, next.Checked = 0, 0, 0
	return s.decode(ctx, ch, old, next, body, u.show, ctype)
}

// transportError describes a failed request or body read without the URL
// that net/http puts in its errors (it strips only the password).
func (s *Source) transportError(parent, attempt context.Context, u *urlTarget, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if parent.Err() == nil && errors.Is(attempt.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("GET %s: timed out after %s: %w", u.show, s.timeout, context.DeadlineExceeded)
	}
	return fmt.Errorf("GET %s: %w", u.show, err)
}

// validator keeps an ETag or Last-Modified only if it can be sent back
// verbatim and is of a sane length.
func validator(v string) string {
	if len(v) > 512 || strings.ContainsFunc(v, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return ""
	}
	return v
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	default:
		return fmt.Sprintf("%d bytes", n)
	}
}

// calName finds the calendar's X-WR-CALNAME among the properties before its
// first event, without decoding the stream.
func calName(data []byte) string {
	var value []byte
	found := false
	for len(data) > 0 {
		var line []byte
		line, data, _ = bytes.Cut(data, []byte("\n"))
		line = bytes.TrimRight(line, "\r")
		if found {
			if len(line) > 0 && (line[0] == ' ' || line[0] == '\t') {
				value = append(value, line[1:]...) // a folded continuation
				continue
			}
			break
		}
		if hasPrefixFold(line, "BEGIN:VEVENT") {
			break
		}
		if hasPrefixFold(line, "X-WR-CALNAME") && len(line) > 12 && (line[12] == ':' || line[12] == ';') {
			if _, v, ok := bytes.Cut(line[12:], []byte(":")); ok {
				value, found = append([]byte(nil), v...), true
			}
		}
	}
	return cleanName(unescapeText(string(value)))
}

func hasPrefixFold(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && strings.EqualFold(string(b[:len(prefix)]), prefix)
}

// unescapeText undoes RFC 5545 §3.3.11 TEXT escaping.
func unescapeText(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case 'n', 'N':
			b.WriteByte(' ')
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// cleanName makes a name from the calendar safe to show and log.
func cleanName(s string) string { return calendar.CleanText(s, calendar.MaxName) }
