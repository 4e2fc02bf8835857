package caldav

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rapport-dev/rapport/retry"
)

// This file is the one place where requests are made: every PROPFIND and
// REPORT goes through request, which adds the credentials, bounds the
// response, follows redirects itself and retries through retry.Do.

// maxRedirects bounds the redirects followed for one request. RFC 6764 §5
// expects one for /.well-known/caldav; more than a few is a loop.
const maxRedirects = 5

// maxErrorBody bounds how much of an error response is read to find a
// WebDAV precondition (RFC 4918 §16) such as DAV:valid-sync-token.
const maxErrorBody = 64 << 10

// errTooLarge is a response or object beyond the configured limits.
var errTooLarge = errors.New("larger than the limit")

// davRequest is one WebDAV request. Its body is kept as bytes so that every
// attempt and every redirect sends it again.
type davRequest struct {
	method string
	url    *url.URL
	depth  string // the Depth header; empty sends none
	body   []byte
	// policy overrides the source's retry policy when set (Attempts != 0).
	policy retry.Policy
}

// davResponse is what read gets: the final URL after redirects, against
// which hrefs resolve, and the body, cut at the limit.
type davResponse struct {
	url    *url.URL
	status int
	body   io.Reader
}

// davError is a non-success status, with the WebDAV precondition the server
// named in its error body (RFC 4918 §16), if any.
type davError struct {
	status       *retry.StatusError
	precondition string // local name of the DAV:error child, e.g. "valid-sync-token"
	hint         string
}

func (e *davError) Error() string {
	msg := e.status.Error()
	if e.precondition != "" {
		msg += " (precondition " + e.precondition + ")"
	}
	if e.hint != "" {
		msg += " (" + e.hint + ")"
	}
	return msg
}

func (e *davError) Unwrap() error { return e.status }

// statusOf returns the HTTP status of a failed request, or 0.
func statusOf(err error) int {
	var se *retry.StatusError
	if errors.As(err, &se) {
		return se.StatusCode
	}
	return 0
}

// preconditionOf returns the WebDAV precondition a failed request named.
func preconditionOf(err error) string {
	var de *davError
	if errors.As(err, &de) {
		return de.precondition
	}
	return ""
}

// request sends r, following redirects, and calls read with a successful
// response; read runs again on every attempt, so it must start from
// scratch. Errors name the method and the redacted URL, never credentials.
func (s *Source) request(ctx context.Context, r davRequest, read func(resp *davResponse) error) error {
	policy := s.retry
	if r.policy.Attempts != 0 {
		policy = r.policy
		policy.Sleep = s.retry.Sleep
		policy.Rand = s.retry.Rand
	}
	limit := s.maxResponse
	show := retry.RedactURL(r.url)
	policy.OnRetry = func(attempt int, delay time.Duration, err error) {
		s.log.DebugContext(ctx, "caldav: retrying", "source", s.name, "calendar", show, "attempt", attempt, "delay", delay, "err", err)
		if s.retry.OnRetry != nil {
			s.retry.OnRetry(attempt, delay, err)
		}
	}
	return retry.Do(ctx, policy, func(ctx context.Context) error {
		actx, cancel := context.WithTimeout(ctx, s.timeout)
		defer cancel()
		resp, err := s.send(actx, r)
		if err != nil {
			return s.transportError(ctx, actx, r.method, show, err)
		}
		defer resp.Body.Close()
		if err := s.classify(resp); err != nil {
			return err
		}
		lr := &limitedReader{r: resp.Body, n: limit}
		err = read(&davResponse{url: resp.Request.URL, status: resp.StatusCode, body: lr})
		if err != nil {
			final := retry.RedactURL(resp.Request.URL)
			switch {
			case errors.Is(err, errTooLarge) || lr.over:
				return retry.Permanent(fmt.Errorf("%s %s: response %w of %s", r.method, final, errTooLarge, formatBytes(limit)))
			case isXMLError(err):
				return retry.Permanent(fmt.Errorf("%s %s: %w", r.method, final, err))
			case retry.IsPermanent(err):
				return err
			}
			// A body cut short by the network is worth another try.
			return s.transportError(ctx, actx, r.method, final, err)
		}
		// Drain a little, so that the connection can be reused.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		return nil
	})
}

// send makes the request and follows redirects itself, keeping the method
// and body: net/http turns a redirected PROPFIND into a GET (as RFC 7231
// §6.4.2-3 allows for 301 and 302), but RFC 6764 §5 expects the client to
// repeat its PROPFIND at the target of /.well-known/caldav. The credentials
// follow the redirect, whatever its host (a provider's /.well-known/caldav
// points at its CalDAV host), but a redirect from https to http is refused,
// since they would cross in clear.
func (s *Source) send(ctx context.Context, r davRequest) (*http.Response, error) {
	u := r.url
	for hop := 0; ; hop++ {
		req, err := http.NewRequestWithContext(ctx, r.method, u.String(), bytes.NewReader(r.body))
		if err != nil {
			// Not wrapped: the error would quote the URL.
			return nil, retry.Permanent(errors.New("cannot build the request"))
		}
		req.Header.Set("User-Agent", "rapport")
		if r.body != nil {
			req.Header.Set("Content-Type", `application/xml; charset="utf-8"`)
		}
		if r.depth != "" {
			req.Header.Set("Depth", r.depth)
		}
		s.auth(req)
		resp, err := s.client.Do(req)
		if err != nil {
			return nil, err
		}
		switch resp.StatusCode {
		case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
			http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		default:
			return resp, nil
		}
		loc := resp.Header.Get("Location")
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		resp.Body.Close()
		next, err := u.Parse(loc)
		switch {
		case loc == "" || err != nil:
			return nil, retry.Permanent(fmt.Errorf("HTTP %d redirect without a usable Location", resp.StatusCode))
		case next.Scheme != "http" && next.Scheme != "https":
			return nil, retry.Permanent(fmt.Errorf("redirect to a %q URL refused", clip(next.Scheme, 20)))
		case u.Scheme == "https" && next.Scheme == "http":
			return nil, retry.Permanent(fmt.Errorf("redirect from https to http (%s) refused: the credentials would be sent in clear", retry.RedactURL(next)))
		case hop+1 >= maxRedirects:
			return nil, retry.Permanent(fmt.Errorf("more than %d redirects", maxRedirects))
		}
		next.User, next.Fragment = nil, ""
		u = next
	}
}

// classify turns a response into nil (success) or an error for retry.Do,
// reading a WebDAV error body for its precondition.
func (s *Source) classify(resp *http.Response) error {
	err := retry.ClassifyHTTP(resp)
	if err == nil {
		return nil
	}
	var se *retry.StatusError
	if !errors.As(err, &se) {
		return err
	}
	de := &davError{status: se}
	if resp.StatusCode >= 400 && resp.StatusCode < 500 {
		de.precondition = precondition(io.LimitReader(resp.Body, maxErrorBody))
	}
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		de.hint = "check Username and Password, or Token"
	case http.StatusForbidden:
		if de.precondition == "" {
			de.hint = "the account may not read this"
		}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	if retry.IsPermanent(err) {
		return retry.Permanent(de)
	}
	var after *retry.After
	if errors.As(err, &after) {
		return &retry.After{Delay: after.Delay, Err: de}
	}
	return de
}

// precondition finds the precondition of a DAV:error body (RFC 4918 §16),
// e.g. "valid-sync-token": its first child in the WebDAV or CalDAV
// namespace. Servers add their own elements too (SabreDAV puts
// s:exception and s:message first), which are not preconditions. Empty
// when the body is something else.
func precondition(r io.Reader) string {
	dec := xml.NewDecoder(r)
	dec.CharsetReader = charsetReader
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if depth == 1 && (t.Name.Space != nsDAV || t.Name.Local != "error") {
				return ""
			}
			if depth == 2 && (t.Name.Space == nsDAV || t.Name.Space == nsCalDAV) {
				return clip(t.Name.Local, 60)
			}
		case xml.EndElement:
			depth--
		}
	}
}

// transportError describes a failed request without the URL that net/http
// puts in its errors, and says when the per-request timeout was the cause.
func (s *Source) transportError(parent, attempt context.Context, method, show string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if retry.IsPermanent(err) || isCertificateError(err) {
		// A certificate the client does not trust stays untrusted.
		return retry.Permanent(fmt.Errorf("%s %s: %w", method, show, err))
	}
	if parent.Err() == nil && errors.Is(attempt.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%s %s: timed out after %s: %w", method, show, s.timeout, context.DeadlineExceeded)
	}
	return fmt.Errorf("%s %s: %w", method, show, err)
}

// limitedReader reads at most n bytes and then fails with errTooLarge, so
// that a response over the limit is an error rather than silently cut.
type limitedReader struct {
	r    io.Reader
	n    int64
	over bool
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		// One more byte tells a body of exactly n bytes from a longer one.
		var one [1]byte
		k, err := l.r.Read(one[:])
		if k > 0 {
			l.over = true
			return 0, errTooLarge
		}
		return 0, err
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	k, err := l.r.Read(p)
	l.n -= int64(k)
	return k, err
}

func isCertificateError(err error) bool {
	var verify *tls.CertificateVerificationError
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	return errors.As(err, &verify) || errors.As(err, &unknown) || errors.As(err, &host) || errors.As(err, &invalid)
}

func isXMLError(err error) bool {
	var se *xml.SyntaxError
	var ue xml.UnmarshalError
	var ms *malformedError
	return errors.As(err, &se) || errors.As(err, &ue) || errors.As(err, &ms)
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

func clip(s string, n int) string {
	s = strings.ToValidUTF8(s, "�")
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
