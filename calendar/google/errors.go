package google

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"google.golang.org/api/googleapi"

	"github.com/rapport-dev/rapport/retry"
)

// ErrReauthorize is wrapped by the errors of a single-user (OAuth) source
// whose stored authorization no longer works: Google answered a token
// refresh with invalid_grant (revoked, expired, or the password changed).
// Only the user can fix it, by running the authorization again.
var ErrReauthorize = errors.New("the Google authorization was revoked or expired")

// ErrBudgetExhausted is wrapped by the Changes.Err of a calendar that was
// not synced because the source's per-cycle request budget was used up. The
// calendar keeps its cursor and is synced first in a later cycle; it is a
// sign that the poll interval is too short for the number of calendars.
var ErrBudgetExhausted = errors.New("request budget of this cycle used up")

// errFullSync marks Google's 410 Gone for a sync token it no longer
// honours: the calendar must be read again from scratch.
var errFullSync = errors.New("sync token expired; a full sync is required")

// APIError is an answer of the Calendar or Directory API that was not a
// success, without the request URL (whose query carries sync and page
// tokens) or the response body.
type APIError struct {
	Call    string // e.g. "events.list"
	Code    int    // HTTP status
	Reason  string // Google's first error reason, e.g. "rateLimitExceeded"
	Message string // Google's message, cleaned and clipped
}

func (e *APIError) Error() string {
	msg := fmt.Sprintf("%s: HTTP %d", e.Call, e.Code)
	if t := http.StatusText(e.Code); t != "" {
		msg += " " + t
	}
	if e.Reason != "" {
		msg += " (" + e.Reason + ")"
	}
	if e.Message != "" && e.Message != http.StatusText(e.Code) {
		msg += ": " + e.Message
	}
	return msg
}

// Reasons Google gives with 403 and 429 (Calendar API "Handle API errors").
// The rate limits pass within a minute and are retried; the quota and
// authorization ones are not, since retrying only burns more quota.
var retryableReasons = map[string]bool{
	"rateLimitExceeded":     true,
	"userRateLimitExceeded": true,
	"backendError":          true,
}

// hints say how to fix an authorization problem of this source.
type hints struct {
	reauth     string // OAuth: the command that authorizes again
	delegation string // service account: the scope delegation must grant
}

// classify turns the error of one API call into what retry.Do needs: nil,
// a retryable error (with the server's Retry-After when it sent one), or a
// permanent one.
func classify(call string, err error, h hints) error {
	if err == nil {
		return nil
	}
	var ge *googleapi.Error
	if errors.As(err, &ge) {
		ae := &APIError{Call: call, Code: ge.Code, Message: clip(cleanName(ge.Message), 200)}
		if len(ge.Errors) > 0 {
			ae.Reason = clip(cleanName(ge.Errors[0].Reason), 60)
			if ae.Message == "" {
				ae.Message = clip(cleanName(ge.Errors[0].Message), 200)
			}
		}
		switch code := ge.Code; {
		case code == http.StatusGone:
			return retry.Permanent(fmt.Errorf("%w: %w", errFullSync, ae))
		case code == http.StatusTooManyRequests,
			code == http.StatusForbidden && retryableReasons[ae.Reason],
			code == http.StatusRequestTimeout,
			code >= 500 && code != http.StatusNotImplemented && code != http.StatusHTTPVersionNotSupported:
			return withRetryAfter(ae, ge.Header)
		default:
			// 400, 401, 403 quotaExceeded/forbidden, 404, ...
			return retry.Permanent(ae)
		}
	}
	// Errors of the token source come wrapped in the transport's *url.Error.
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return tokenError(re, h)
	}
	if errors.Is(err, ErrReauthorize) || errors.Is(err, ErrNotAuthorized) {
		return retry.Permanent(err) // only the user can fix these
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		// Its text quotes the URL with the sync and page tokens.
		err = fmt.Errorf("%s: %s: %w", call, strings.ToLower(ue.Op), ue.Err)
	} else {
		err = fmt.Errorf("%s: %w", call, err)
	}
	if errors.Is(err, context.Canceled) {
		return retry.Permanent(err)
	}
	return err // a transport failure: worth another try
}

// withRetryAfter wraps a retryable error with the wait the server asked
// for, if it asked.
func withRetryAfter(err error, h http.Header) error {
	if h == nil {
		return err
	}
	now := time.Now()
	if date, derr := http.ParseTime(h.Get("Date")); derr == nil {
		now = date // a skewed local clock must not stretch the wait
	}
	if d, ok := retry.ParseRetryAfter(h.Get("Retry-After"), now); ok {
		return &retry.After{Delay: d, Err: err}
	}
	return err
}

// tokenError describes a failed token request. Google's token endpoint
// answers 400 invalid_grant for a revoked or expired refresh token, and for
// a service account that may not act for the user (domain-wide delegation
// not granted for the scope, or no such user).
func tokenError(re *oauth2.RetrieveError, h hints) error {
	code, desc := re.ErrorCode, re.ErrorDescription
	if code == "" {
		// x/oauth2/jwt does not parse the error response (RFC 6749 §5.2).
		var body struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		if json.Unmarshal(re.Body, &body) == nil {
			code, desc = body.Error, body.Description
		}
	}
	desc = clip(cleanName(desc), 200)
	status := 0
	if re.Response != nil {
		status = re.Response.StatusCode
	}
	if status >= 500 || status == http.StatusTooManyRequests {
		return fmt.Errorf("token request: HTTP %d", status)
	}
	if code == "invalid_grant" && h.reauth != "" {
		return retry.Permanent(fmt.Errorf("%w; run `%s` again", ErrReauthorize, h.reauth))
	}
	msg := "token request refused"
	if code != "" {
		msg += ": " + clip(cleanName(code), 60)
	}
	if desc != "" {
		msg += ": " + desc
	}
	if h.delegation != "" {
		msg += "; check that the user exists and that the service account's client ID has domain-wide delegation for " + h.delegation
	}
	return retry.Permanent(errors.New(msg))
}
