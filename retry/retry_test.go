package retry_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rapport-dev/rapport/retry"
)

// sleeper records the delays Do asks for instead of waiting them.
type sleeper struct {
	delays []time.Duration
	// onSleep, when set, runs before the fake wait ends (e.g. to cancel).
	onSleep func()
}

func (s *sleeper) Sleep(ctx context.Context, d time.Duration) error {
	s.delays = append(s.delays, d)
	if s.onSleep != nil {
		s.onSleep()
	}
	return ctx.Err()
}

func constRand(r float64) func() float64 { return func() float64 { return r } }

var errFlaky = errors.New("flaky")

// failing returns an op that fails n times with err (forever when n < 0),
// then succeeds, and counts its calls.
func failing(n int, err error, calls *int) func(context.Context) error {
	return func(context.Context) error {
		*calls++
		if n < 0 || *calls <= n {
			return err
		}
		return nil
	}
}

func TestRetryBacksOffExponentiallyWithFullJitter(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name      string
		policy    retry.Policy
		failures  int
		wantCalls int
		wantErr   bool
		want      []time.Duration
	}{
		{
			name:      "delays double from Base and stop at Max",
			policy:    retry.Policy{Attempts: 6, Base: 100 * ms, Max: time.Second, Rand: constRand(0.5)},
			failures:  -1,
			wantCalls: 6, wantErr: true,
			want: []time.Duration{50 * ms, 100 * ms, 200 * ms, 400 * ms, 500 * ms},
		},
		{
			name:      "the jitter scales the whole ceiling",
			policy:    retry.Policy{Attempts: 4, Base: 100 * ms, Max: time.Second, Rand: constRand(0.25)},
			failures:  -1,
			wantCalls: 4, wantErr: true,
			want: []time.Duration{25 * ms, 50 * ms, 100 * ms},
		},
		{
			name:      "a draw of zero retries at once",
			policy:    retry.Policy{Attempts: 3, Base: 100 * ms, Max: time.Second, Rand: constRand(0)},
			failures:  -1,
			wantCalls: 3, wantErr: true,
			want: []time.Duration{0, 0},
		},
		{
			name:      "a broken random source never stretches the wait",
			policy:    retry.Policy{Attempts: 3, Base: 100 * ms, Max: time.Second, Rand: constRand(7)},
			failures:  -1,
			wantCalls: 3, wantErr: true,
			want: []time.Duration{0, 0},
		},
		{
			name:      "success after two failures stops retrying",
			policy:    retry.Policy{Attempts: 5, Base: 100 * ms, Max: time.Second, Rand: constRand(0.5)},
			failures:  2,
			wantCalls: 3,
			want:      []time.Duration{50 * ms, 100 * ms},
		},
		{
			name:      "one attempt never sleeps",
			policy:    retry.Policy{Attempts: 1, Rand: constRand(0.5)},
			failures:  -1,
			wantCalls: 1, wantErr: true,
		},
		{
			name:      "the zero policy uses the defaults",
			policy:    retry.Policy{Rand: constRand(0.5)},
			failures:  -1,
			wantCalls: retry.DefaultAttempts, wantErr: true,
			want: []time.Duration{retry.DefaultBase / 2, retry.DefaultBase, 2 * retry.DefaultBase},
		},
		{
			name:      "a huge attempt count does not overflow the ceiling",
			policy:    retry.Policy{Attempts: 80, Base: time.Second, Max: time.Minute, Rand: constRand(0.5)},
			failures:  70,
			wantCalls: 71,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &sleeper{}
			p := tt.policy
			p.Sleep = s.Sleep
			calls := 0
			err := retry.Do(context.Background(), p, failing(tt.failures, errFlaky, &calls))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, errFlaky) {
				t.Errorf("err = %v, want it to wrap the op's error", err)
			}
			if calls != tt.wantCalls {
				t.Errorf("calls = %d, want %d", calls, tt.wantCalls)
			}
			if tt.want != nil && !equalDelays(s.delays, tt.want) {
				t.Errorf("delays = %v, want %v", s.delays, tt.want)
			}
			for _, d := range s.delays {
				if d < 0 || d > p.Max && p.Max > 0 {
					t.Errorf("delay %s outside [0, Max %s]", d, p.Max)
				}
			}
		})
	}
}

func equalDelays(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestRetryJitterStaysWithinItsCeiling(t *testing.T) {
	base, maxDelay := 100*time.Millisecond, 2*time.Second
	rng := rand.New(rand.NewPCG(1, 2))
	p := retry.Policy{Base: base, Max: maxDelay, Rand: rng.Float64}
	for n := range 12 {
		ceiling := min(base<<n, maxDelay)
		var lo, hi time.Duration = ceiling, 0
		for range 2000 {
			d := p.Delay(n, errFlaky)
			if d < 0 || d >= ceiling {
				t.Fatalf("retry %d: delay %s outside [0, %s)", n, d, ceiling)
			}
			lo, hi = min(lo, d), max(hi, d)
		}
		// Full jitter uses the whole range, not a band near the ceiling.
		if lo > ceiling/10 || hi < ceiling*9/10 {
			t.Errorf("retry %d: delays spanned only [%s, %s] of [0, %s)", n, lo, hi, ceiling)
		}
	}
}

func TestRetryHonoursRetryAfterCappedAtMax(t *testing.T) {
	tests := []struct {
		name  string
		after time.Duration
		max   time.Duration
		want  time.Duration
	}{
		{"the server's wait replaces the backoff", 3 * time.Second, 10 * time.Second, 3 * time.Second},
		{"a longer wait than Max is capped", time.Hour, 10 * time.Second, 10 * time.Second},
		{"retry now means no wait", 0, 10 * time.Second, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &sleeper{}
			p := retry.Policy{Attempts: 2, Base: time.Millisecond, Max: tt.max, Sleep: s.Sleep, Rand: constRand(0.5)}
			calls := 0
			rateLimited := &retry.After{Delay: tt.after, Err: errFlaky}
			if err := retry.Do(context.Background(), p, failing(1, rateLimited, &calls)); err != nil {
				t.Fatalf("Do: %v", err)
			}
			if !equalDelays(s.delays, []time.Duration{tt.want}) {
				t.Errorf("delays = %v, want [%s]", s.delays, tt.want)
			}
		})
	}
}

func TestRetryStopsAtAPermanentError(t *testing.T) {
	s := &sleeper{}
	calls := 0
	notFound := errors.New("404")
	err := retry.Do(context.Background(), retry.Policy{Attempts: 5, Sleep: s.Sleep}, failing(-1, retry.Permanent(notFound), &calls))
	if calls != 1 || len(s.delays) != 0 {
		t.Errorf("calls = %d, sleeps = %v; want one call and no sleep", calls, s.delays)
	}
	if !errors.Is(err, notFound) || !retry.IsPermanent(err) {
		t.Errorf("err = %v, want the permanent 404", err)
	}
	if err.Error() != "404" {
		t.Errorf("err reads %q, want the wrapped error's text", err)
	}
	if retry.Permanent(nil) != nil {
		t.Error("Permanent(nil) != nil")
	}
	if retry.IsPermanent(errFlaky) {
		t.Error("an unmarked error is permanent")
	}
}

func TestRetryStopsWhenTheContextIsCancelled(t *testing.T) {
	t.Run("cancelled before the first try", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		calls := 0
		err := retry.Do(ctx, retry.Policy{Sleep: (&sleeper{}).Sleep}, failing(-1, errFlaky, &calls))
		if calls != 0 || !errors.Is(err, context.Canceled) {
			t.Errorf("calls = %d, err = %v; want no call and context.Canceled", calls, err)
		}
	})
	t.Run("cancelled while waiting", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		s := &sleeper{onSleep: cancel}
		calls := 0
		err := retry.Do(ctx, retry.Policy{Attempts: 5, Sleep: s.Sleep}, failing(-1, errFlaky, &calls))
		if calls != 1 || len(s.delays) != 1 {
			t.Errorf("calls = %d, sleeps = %d; want 1 and 1", calls, len(s.delays))
		}
		if !errors.Is(err, context.Canceled) || !errors.Is(err, errFlaky) {
			t.Errorf("err = %v, want both the op's error and context.Canceled", err)
		}
	})
	t.Run("cancelled during the try", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		s := &sleeper{}
		calls := 0
		err := retry.Do(ctx, retry.Policy{Attempts: 5, Sleep: s.Sleep}, func(context.Context) error {
			calls++
			cancel()
			return errFlaky
		})
		if calls != 1 || len(s.delays) != 0 || !errors.Is(err, context.Canceled) {
			t.Errorf("calls = %d, sleeps = %v, err = %v; want one call, no sleep, context.Canceled", calls, s.delays, err)
		}
	})
	t.Run("the real sleeper returns at once", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		time.AfterFunc(20*time.Millisecond, cancel)
		start := time.Now()
		calls := 0
		p := retry.Policy{Attempts: 3, Base: time.Hour, Max: time.Hour, Rand: constRand(0.99)}
		err := retry.Do(ctx, p, failing(-1, errFlaky, &calls))
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("Do took %s after cancellation", took)
		}
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	})
}

func TestRetryGivingUpSaysHowOften(t *testing.T) {
	calls := 0
	err := retry.Do(context.Background(), retry.Policy{Attempts: 3, Sleep: (&sleeper{}).Sleep}, failing(-1, errFlaky, &calls))
	if err == nil || !strings.Contains(err.Error(), "3 attempts") {
		t.Errorf("err = %v, want it to say 3 attempts", err)
	}
}

func TestRetryPolicyValidateNamesTheField(t *testing.T) {
	tests := []struct {
		name   string
		policy retry.Policy
		want   string // substring; empty means valid
	}{
		{"zero is valid", retry.Policy{}, ""},
		{"negative attempts", retry.Policy{Attempts: -1}, "Attempts"},
		{"negative base", retry.Policy{Base: -time.Second}, "Base"},
		{"negative max", retry.Policy{Max: -time.Second}, "Max"},
		{"base above max", retry.Policy{Base: time.Minute, Max: time.Second}, "Base"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.policy.Validate()
			if tt.want == "" {
				if err != nil {
					t.Errorf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate() = %v, want it to name %s", err, tt.want)
			}
		})
	}
}

func TestRetryParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		header string
		want   time.Duration
		ok     bool
	}{
		{"seconds", "120", 2 * time.Minute, true},
		{"seconds with space", " 5 ", 5 * time.Second, true},
		{"zero seconds", "0", 0, true},
		{"an IMF-fixdate", "Mon, 02 Mar 2026 09:00:30 GMT", 30 * time.Second, true},
		{"an obsolete RFC 850 date", "Monday, 02-Mar-26 09:01:00 GMT", time.Minute, true},
		{"an ANSI C date", "Mon Mar  2 09:00:10 2026", 10 * time.Second, true},
		{"a date in the past means now", "Mon, 02 Mar 2026 08:00:00 GMT", 0, true},
		{"an absurd number is bounded", "99999999999999999999999", 24 * time.Hour, true},
		{"empty", "", 0, false},
		{"negative", "-5", 0, false},
		{"a fraction", "1.5", 0, false},
		{"garbage", "soon", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := retry.ParseRetryAfter(tt.header, now)
			if got != tt.want || ok != tt.ok {
				t.Errorf("ParseRetryAfter(%q) = %s, %v; want %s, %v", tt.header, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestRetryClassifyHTTP(t *testing.T) {
	const secretURL = "https://alice:hunter2@calendar.example.com/ical/alice%40example.com/private-s3cr3t/basic.ics?token=t0k3n"
	tests := []struct {
		name       string
		code       int
		retryAfter string
		date       string
		wantNil    bool
		permanent  bool
		wantAfter  time.Duration // >0: expect *retry.After with this delay
	}{
		{name: "200 is success", code: 200, wantNil: true},
		{name: "204 is success", code: 204, wantNil: true},
		{name: "304 is not modified, not an error", code: 304, wantNil: true},
		{name: "408 is retried", code: 408},
		{name: "425 is retried", code: 425},
		{name: "429 is retried", code: 429},
		{name: "429 with Retry-After carries the wait", code: 429, retryAfter: "7", wantAfter: 7 * time.Second},
		{name: "500 is retried", code: 500},
		{name: "502 is retried", code: 502},
		{name: "503 with Retry-After carries the wait", code: 503, retryAfter: "120", wantAfter: 2 * time.Minute},
		{name: "503 with an unreadable Retry-After is retried with backoff", code: 503, retryAfter: "later"},
		{name: "503 with a Retry-After date is measured from the server's Date", code: 503,
			date: "Mon, 02 Mar 2026 09:00:00 GMT", retryAfter: "Mon, 02 Mar 2026 09:01:30 GMT", wantAfter: 90 * time.Second},
		{name: "501 is permanent", code: 501, permanent: true},
		{name: "400 is permanent", code: 400, permanent: true},
		{name: "401 is permanent", code: 401, permanent: true},
		{name: "403 is permanent", code: 403, permanent: true},
		{name: "404 is permanent", code: 404, permanent: true},
		{name: "410 is permanent", code: 410, permanent: true},
		{name: "a redirect that was not followed is permanent", code: 302, permanent: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, _ := url.Parse(secretURL)
			resp := &http.Response{
				StatusCode: tt.code,
				Status:     strconv.Itoa(tt.code) + " " + http.StatusText(tt.code),
				Header:     http.Header{},
				Request:    &http.Request{Method: http.MethodGet, URL: u},
			}
			if tt.retryAfter != "" {
				resp.Header.Set("Retry-After", tt.retryAfter)
			}
			if tt.date != "" {
				resp.Header.Set("Date", tt.date)
			}
			err := retry.ClassifyHTTP(resp)
			if tt.wantNil {
				if err != nil {
					t.Fatalf("ClassifyHTTP = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatal("ClassifyHTTP = nil, want an error")
			}
			if got := retry.IsPermanent(err); got != tt.permanent {
				t.Errorf("IsPermanent = %v, want %v", got, tt.permanent)
			}
			var se *retry.StatusError
			if !errors.As(err, &se) || se.StatusCode != tt.code {
				t.Errorf("err = %#v, want a *StatusError with code %d", err, tt.code)
			}
			var after *retry.After
			if gotAfter := errors.As(err, &after); gotAfter != (tt.wantAfter > 0) || gotAfter && after.Delay != tt.wantAfter {
				t.Errorf("err = %v, want Retry-After %s", err, tt.wantAfter)
			}
			msg := err.Error()
			for _, want := range []string{strconv.Itoa(tt.code), "https://calendar.example.com/…/basic.ics"} {
				if !strings.Contains(msg, want) {
					t.Errorf("message %q lacks %q", msg, want)
				}
			}
			for _, secret := range []string{"alice:", "hunter2", "s3cr3t", "t0k3n", "token"} {
				if strings.Contains(msg, secret) {
					t.Errorf("message %q leaks %q", msg, secret)
				}
			}
		})
	}
}

func TestRetryRedactURL(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"https://calendar.google.com/calendar/ical/alice%40example.com/private-0123456789abcdef/basic.ics", "https://calendar.google.com/…/basic.ics"},
		{"https://bob:pw@example.com/cal.ics?key=secret#frag", "https://example.com/cal.ics"},
		{"http://127.0.0.1:8080/a/b/", "http://127.0.0.1:8080/…/b"},
		{"https://example.com", "https://example.com/"},
		{"https://example.com/", "https://example.com/"},
		{"https://example.com/feed/0123456789abcdefghijklmnopqrstuvwxyz", "https://example.com/…/0123456789ab…"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			u, err := url.Parse(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := retry.RedactURL(u); got != tt.want {
				t.Errorf("RedactURL = %q, want %q", got, tt.want)
			}
		})
	}
	if retry.RedactURL(nil) != "" {
		t.Error("RedactURL(nil) is not empty")
	}
}
