// Package retry is Rapport's one retry mechanism, shared by every calendar
// provider and by mail delivery: exponential backoff with full jitter,
// honouring a server's Retry-After (RFC 9110 §10.2.3), never retrying a
// permanent error, and stopping as soon as the context is done.
//
// Full jitter draws each delay uniformly from [0, min(Max, Base·2ⁿ)), which
// spreads the retries of many clients that failed together (see "Exponential
// Backoff And Jitter", AWS Architecture Blog, 2015).
package retry

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The defaults of a zero Policy.
const (
	DefaultAttempts = 4
	DefaultBase     = 500 * time.Millisecond
	DefaultMax      = 30 * time.Second
)

// Policy says how often and how patiently an operation is retried. The zero
// Policy is usable: every zero field takes its default.
type Policy struct {
	// Attempts is the total number of tries, the first included; 1 means
	// never retry. Zero means DefaultAttempts.
	Attempts int
	// Base is the ceiling of the first delay; it doubles on every retry.
	// Zero means DefaultBase.
	Base time.Duration
	// Max caps every delay, a server's Retry-After included. Zero means
	// DefaultMax.
	Max time.Duration
	// Sleep waits d or until ctx is done, returning ctx's error then. Nil
	// means a real timer; tests inject a fake that records the delays.
	Sleep func(ctx context.Context, d time.Duration) error
	// Rand returns a number in [0, 1) that scales the jittered delay. Nil
	// means math/rand/v2.
	Rand func() float64
	// OnRetry, when set, is told of each failure that will be retried and
	// how long Do waits before the next try, for logging.
	OnRetry func(attempt int, delay time.Duration, err error)
}

// Validate reports a policy that cannot be meant, naming the field.
func (p Policy) Validate() error {
	switch {
	case p.Attempts < 0:
		return fmt.Errorf("retry: Attempts: %d is negative", p.Attempts)
	case p.Base < 0:
		return fmt.Errorf("retry: Base: %s is negative", p.Base)
	case p.Max < 0:
		return fmt.Errorf("retry: Max: %s is negative", p.Max)
	case p.Base > 0 && p.Max > 0 && p.Base > p.Max:
		return fmt.Errorf("retry: Base: %s is more than Max %s", p.Base, p.Max)
	}
	return nil
}

func (p Policy) withDefaults() Policy {
	if p.Attempts <= 0 {
		p.Attempts = DefaultAttempts
	}
	if p.Base <= 0 {
		p.Base = DefaultBase
	}
	if p.Max <= 0 {
		p.Max = DefaultMax
	}
	if p.Base > p.Max {
		p.Base = p.Max
	}
	if p.Sleep == nil {
		p.Sleep = sleep
	}
	if p.Rand == nil {
		p.Rand = rand.Float64
	}
	return p
}

// Delay is the wait before retry number n (0 for the first retry) after err:
// the server's Retry-After when err carries one, else a full-jitter draw
// from [0, min(Max, Base·2ⁿ)). Either way it is at most Max.
func (p Policy) Delay(n int, err error) time.Duration {
	p = p.withDefaults()
	var after *After
	if errors.As(err, &after) && after.Delay >= 0 {
		return min(after.Delay, p.Max)
	}
	ceiling := p.Base
	for i := 0; i < n && ceiling < p.Max; i++ {
		if ceiling > p.Max/2 {
			ceiling = p.Max
			break
		}
		ceiling *= 2
	}
	ceiling = min(ceiling, p.Max)
	r := p.Rand()
	if r < 0 || r >= 1 || r != r { // a broken source must not stretch the wait
		r = 0
	}
	return time.Duration(r * float64(ceiling))
}

// Do calls op until it succeeds, returns a permanent error, the attempts
// are used up, or ctx is done. It returns nil or op's last error; when it
// gave up because ctx is done, the error wraps ctx's error too.
func Do(ctx context.Context, p Policy, op func(ctx context.Context) error) error {
	p = p.withDefaults()
	if err := ctx.Err(); err != nil {
		return err
	}
	for attempt := 1; ; attempt++ {
		err := op(ctx)
		switch {
		case err == nil:
			return nil
		case IsPermanent(err):
			return err
		case ctx.Err() != nil:
			return stopped(ctx, err)
		case attempt >= p.Attempts:
			if attempt > 1 {
				return fmt.Errorf("%w (gave up after %d attempts)", err, attempt)
			}
			return err
		}
		d := p.Delay(attempt-1, err)
		if p.OnRetry != nil {
			p.OnRetry(attempt, d, err)
		}
		if serr := p.Sleep(ctx, d); serr != nil {
			if ctx.Err() != nil {
				return stopped(ctx, err)
			}
			return fmt.Errorf("%w (retry wait failed: %w)", err, serr)
		}
	}
}

// stopped joins op's error with the reason ctx is done, unless op's error
// already says so.
func stopped(ctx context.Context, err error) error {
	cause := context.Cause(ctx)
	if errors.Is(err, cause) {
		return err
	}
	return fmt.Errorf("%w (stopped: %w)", err, cause)
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// After is a retryable error whose server said how long to wait, e.g. an
// HTTP 429 or 503 with Retry-After. Do waits Delay (capped at the policy's
// Max) instead of a jittered backoff.
type After struct {
	Delay time.Duration
	Err   error
}

func (e *After) Error() string {
	return fmt.Sprintf("%v (retry after %s)", e.Err, e.Delay)
}

func (e *After) Unwrap() error { return e.Err }

type permanent struct{ err error }

func (e *permanent) Error() string { return e.err.Error() }
func (e *permanent) Unwrap() error { return e.err }

// Permanent marks err as one that retrying cannot fix, such as a 404 or a
// malformed request; Do returns it at once. Permanent(nil) is nil. The
// marked error reads and unwraps as err.
func Permanent(err error) error {
	if err == nil || IsPermanent(err) {
		return err
	}
	return &permanent{err}
}

// IsPermanent reports whether err, or an error it wraps, was marked by
// Permanent.
func IsPermanent(err error) bool {
	var p *permanent
	return errors.As(err, &p)
}

// maxRetryAfter bounds what a server can ask for, so that the arithmetic
// cannot overflow; Policy.Max caps it much lower anyway.
const maxRetryAfter = 24 * time.Hour

// ParseRetryAfter reads a Retry-After header value (RFC 9110 §10.2.3):
// either a number of seconds or an HTTP-date, which is measured from now.
// A date in the past means no wait. It reports false for an empty or
// unreadable value.
func ParseRetryAfter(header string, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(header)
	if v == "" {
		return 0, false
	}
	if v[0] >= '0' && v[0] <= '9' {
		secs, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			if errors.Is(err, strconv.ErrRange) {
				return maxRetryAfter, true
			}
			return 0, false
		}
		if secs > uint64(maxRetryAfter/time.Second) {
			return maxRetryAfter, true
		}
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	d := t.Sub(now)
	return min(max(d, 0), maxRetryAfter), true
}

// StatusError is an HTTP response that was not a success. It names the
// request with RedactURL, so that it can be logged and shown.
type StatusError struct {
	Method     string
	URL        string // redacted
	StatusCode int
	Status     string // e.g. "404 Not Found"
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s %s: HTTP %s", e.Method, e.URL, e.Status)
}

// ClassifyHTTP turns a response into an error for Do: nil for 2xx and 304
// Not Modified; a retryable *StatusError for 408, 425, 429 and 5xx (wrapped
// in *After when the server sent a readable Retry-After); a permanent one
// for everything else. It neither reads nor closes the body.
//
// 501 Not Implemented and 505 HTTP Version Not Supported are permanent:
// asking again cannot change them. Providers with their own rate-limit
// signals (Google's 403 rateLimitExceeded) classify those themselves first.
func ClassifyHTTP(resp *http.Response) error {
	code := resp.StatusCode
	if (code >= 200 && code < 300) || code == http.StatusNotModified {
		return nil
	}
	se := &StatusError{Method: http.MethodGet, StatusCode: code, Status: resp.Status}
	if resp.Request != nil {
		if resp.Request.Method != "" {
			se.Method = resp.Request.Method
		}
		se.URL = RedactURL(resp.Request.URL)
	}
	if se.Status == "" {
		se.Status = strconv.Itoa(code) + " " + http.StatusText(code)
	}
	switch {
	case code == http.StatusRequestTimeout, code == http.StatusTooEarly,
		code == http.StatusTooManyRequests,
		code >= 500 && code != http.StatusNotImplemented && code != http.StatusHTTPVersionNotSupported:
		// An HTTP-date is read against the server's own Date, so that a
		// skewed local clock cannot stretch or void the wait.
		now := time.Now()
		if date, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
			now = date
		}
		if d, ok := ParseRetryAfter(resp.Header.Get("Retry-After"), now); ok {
			return &After{Delay: d, Err: se}
		}
		return se
	default:
		return Permanent(se)
	}
}

// maxSegment is how much of a URL's last path segment RedactURL keeps.
const maxSegment = 24

// RedactURL renders u for errors and logs without its secrets: no userinfo,
// query or fragment, and of the path only the last segment, itself cut when
// long, e.g. "https://calendar.google.com/…/basic.ics". Private calendar
// URLs carry their secret anywhere in the path, so no more is shown.
func RedactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	var b strings.Builder
	if u.Scheme != "" {
		b.WriteString(u.Scheme + "://")
	}
	b.WriteString(u.Host)
	p := strings.TrimRight(u.EscapedPath(), "/")
	if p == "" {
		b.WriteString("/")
		return b.String()
	}
	dir, last := "", p
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		dir, last = p[:i], p[i+1:]
	}
	if dir != "" {
		b.WriteString("/…")
	}
	if r := []rune(last); len(r) > maxSegment {
		last = string(r[:maxSegment/2]) + "…"
	}
	b.WriteString("/" + last)
	return b.String()
}
