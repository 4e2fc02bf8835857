package google_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rapport-dev/rapport/calendar/google"
	"github.com/rapport-dev/rapport/calendar/google/googletest"
)

func TestAuthorizeRunsTheLoopbackFlowWithPKCEAndStoresTheTokenPrivately(t *testing.T) {
	o := googletest.NewOAuth(t)
	path := filepath.Join(t.TempDir(), "state", "google-token.json")
	var out bytes.Buffer
	if err := google.Authorize(context.Background(), o.ClientJSON(), path, o.Browser(alice), &out); err != nil {
		t.Fatalf("Authorize: %v", err)
	}

	reqs := o.AuthRequests()
	if len(reqs) != 1 {
		t.Fatalf("%d authorization requests, want 1", len(reqs))
	}
	q := reqs[0]
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || redirect.Hostname() != "127.0.0.1" || redirect.Port() == "" || redirect.Port() == "0" {
		t.Errorf("redirect_uri %q, want a loopback address with a chosen port", q.Get("redirect_uri"))
	}
	for k, want := range map[string]string{
		"scope": google.CalendarScope, "access_type": "offline", "prompt": "consent",
		"code_challenge_method": "S256", "response_type": "code",
	} {
		if q.Get(k) != want {
			t.Errorf("%s=%q, want %q", k, q.Get(k), want)
		}
	}
	if len(q.Get("state")) < 32 || len(q.Get("code_challenge")) < 43 {
		t.Errorf("state %q, challenge %q: want unguessable values", q.Get("state"), q.Get("code_challenge"))
	}
	if !strings.Contains(out.String(), "https://") && !strings.Contains(out.String(), o.URL+"/auth?") {
		t.Errorf("the consent address is not shown:\n%s", out.String())
	}
	var exchange url.Values
	for _, f := range o.TokenRequests() {
		if f.Get("grant_type") == "authorization_code" {
			exchange = f
		}
	}
	if exchange == nil || len(exchange.Get("code_verifier")) < 43 {
		t.Fatalf("token exchange %v, want one with the PKCE verifier", exchange)
	}

	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("token file mode %v, want 0600", fi.Mode().Perm())
	}
	if di, _ := os.Stat(filepath.Dir(path)); di.Mode().Perm() != 0o700 {
		t.Errorf("token directory mode %v, want 0700", di.Mode().Perm())
	}
	var tok map[string]any
	data, _ := os.ReadFile(path)
	if err := json.Unmarshal(data, &tok); err != nil || tok["refresh_token"] == "" || tok["access_token"] == "" {
		t.Errorf("token file %s: %v", data, err)
	}
	if strings.Contains(out.String(), tok["refresh_token"].(string)) || strings.Contains(out.String(), tok["access_token"].(string)) {
		t.Error("a token was printed")
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("the token directory holds %d files, want only the token", len(entries))
	}
}

func TestAuthorizeFailsWhenTheUserRefuses(t *testing.T) {
	o := googletest.NewOAuth(t)
	o.Deny = true
	path := filepath.Join(t.TempDir(), "token.json")
	err := google.Authorize(context.Background(), o.ClientJSON(), path, o.Browser(alice), nil)
	if err == nil || !strings.Contains(err.Error(), "did not authorize Rapport: access_denied") {
		t.Errorf("err %v", err)
	}
	if _, serr := os.Stat(path); !errors.Is(serr, os.ErrNotExist) {
		t.Error("a token file was written")
	}
}

func TestAuthorizeIgnoresARedirectThatIsNotItsOwn(t *testing.T) {
	o := googletest.NewOAuth(t)
	browser := o.Browser(alice)
	open := func(consent string) error {
		u, _ := url.Parse(consent)
		redirect := u.Query().Get("redirect_uri")
		// Another page sends the browser to the loopback with a forged code.
		resp, err := http.Get(redirect + "?code=forged&state=guess")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("a forged redirect was answered %s", resp.Status)
		}
		return browser(consent)
	}
	if err := google.Authorize(context.Background(), o.ClientJSON(), filepath.Join(t.TempDir(), "t.json"), open, nil); err != nil {
		t.Fatalf("Authorize after a forged redirect: %v", err)
	}
}

func TestAuthorizeGivesUpWhenTheContextEnds(t *testing.T) {
	o := googletest.NewOAuth(t)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := google.Authorize(ctx, o.ClientJSON(), filepath.Join(t.TempDir(), "t.json"), func(string) error { return nil }, nil)
	if err == nil || !strings.Contains(err.Error(), "no answer from the browser") {
		t.Errorf("err %v", err)
	}
}

func TestAuthorizeNeedsADesktopAppClient(t *testing.T) {
	for _, tt := range []struct{ name, json, want string }{
		{"a web client", `{"web":{"client_id":"x","client_secret":"y","auth_uri":"https://a","token_uri":"https://t","redirect_uris":["https://x/cb"]}}`, `"Web application"; create one of type "Desktop app"`},
		{"a service-account key", `{"type":"service_account","private_key":"-----BEGIN PRIVATE KEY-----secret"}`, `not an OAuth client of type "Desktop app"`},
		{"not JSON", `client_secret=hunter2`, "not JSON"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := google.Authorize(context.Background(), []byte(tt.json), filepath.Join(t.TempDir(), "t.json"), nil, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err %v, want %q", err, tt.want)
			}
			if err != nil && (strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), "hunter2")) {
				t.Errorf("the error quotes the credentials: %v", err)
			}
		})
	}
}

// singleUser authorizes alice and returns a source reading her primary
// calendar with that authorization.
func singleUser(t *testing.T, o *googletest.OAuth, srv *googletest.Server) (*harness, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "token.json")
	if err := google.Authorize(context.Background(), o.ClientJSON(), path, o.Browser(alice), nil); err != nil {
		t.Fatal(err)
	}
	srv.Auth = o.Check(false)
	srv.AddCalendar(google.Primary, alice, "Europe/Berlin")
	srv.Put(google.Primary, weekly(t, "s1", "2026-03-02T10:00", 30, alice, bob))
	h := newHarness(t, srv, google.Config{
		Auth: google.AuthOAuth, Credentials: o.ClientJSON(), TokenFile: path,
		ConfigFile: "/etc/rapport.yml", Retry: noRetry(),
	})
	return h, path
}

func refreshes(o *googletest.OAuth) int {
	n := 0
	for _, f := range o.TokenRequests() {
		if f.Get("grant_type") == "refresh_token" {
			n++
		}
	}
	return n
}

func TestASingleUserSourceRefreshesItsTokenAndWritesItBack(t *testing.T) {
	o := googletest.NewOAuth(t)
	o.AccessTTL = 5 * time.Second // inside x/oauth2's expiry margin: refreshed before use
	srv := googletest.NewServer(t)
	h, path := singleUser(t, o, srv)
	before, _ := os.ReadFile(path)

	ch := h.only()
	if len(ch.Events) != 1 || ch.Calendar.ID != google.Primary || ch.Calendar.Owner != alice {
		t.Fatalf("calendar %+v, %d events; want alice's primary calendar", ch.Calendar, len(ch.Events))
	}
	if refreshes(o) != 1 {
		t.Errorf("%d refreshes, want 1", refreshes(o))
	}
	after, _ := os.ReadFile(path)
	if bytes.Equal(before, after) {
		t.Error("the refreshed token was not written back")
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("token file mode %v after the refresh", fi.Mode().Perm())
	}
	var tok struct {
		RefreshToken string `json:"refresh_token"`
	}
	if json.Unmarshal(after, &tok) != nil || tok.RefreshToken == "" {
		t.Errorf("the refresh token was lost: %s", after)
	}
}

func TestARevokedAuthorizationAsksTheUserToAuthorizeAgain(t *testing.T) {
	o := googletest.NewOAuth(t)
	o.AccessTTL = 5 * time.Second
	srv := googletest.NewServer(t)
	h, path := singleUser(t, o, srv)
	o.RevokeAll()

	changes := h.sync()
	err := changes[0].Err
	want := "the Google authorization was revoked or expired; run `rapport auth google --config /etc/rapport.yml` again"
	if !errors.Is(err, google.ErrReauthorize) || !strings.Contains(err.Error(), want) {
		t.Fatalf("err %v, want ErrReauthorize saying %q", err, want)
	}
	if n := refreshes(o); n != 1 {
		t.Errorf("%d refresh attempts, want 1: a revoked grant is not retried", n)
	}

	// The user authorizes again while the daemon runs: the next sync
	// picks the new token up.
	if err := google.Authorize(context.Background(), o.ClientJSON(), path, o.Browser(alice), nil); err != nil {
		t.Fatal(err)
	}
	if ch := h.only(); len(ch.Events) != 1 {
		t.Errorf("after authorizing again: %d events", len(ch.Events))
	}
}

func TestASingleUserSourceWithoutATokenAsksToAuthorize(t *testing.T) {
	o := googletest.NewOAuth(t)
	srv := googletest.NewServer(t)
	srv.AddCalendar(google.Primary, alice, "UTC")
	h := newHarness(t, srv, google.Config{Auth: google.AuthOAuth, Credentials: o.ClientJSON(),
		TokenFile: filepath.Join(t.TempDir(), "missing.json"), Retry: noRetry()})
	err := h.sync()[0].Err
	if !errors.Is(err, google.ErrNotAuthorized) || !strings.Contains(err.Error(), "run `rapport auth google --config FILE`") {
		t.Errorf("err %v", err)
	}
	if srv.Count("", "") != 0 {
		t.Error("the API was called without a token")
	}
}

const serviceAccount = "rapport@rapport-test.iam.gserviceaccount.com"

func TestDelegationActsAsEachManagerWithTheReadOnlyScope(t *testing.T) {
	o := googletest.NewOAuth(t)
	key := o.ServiceAccountJSON(serviceAccount)
	srv := googletest.NewServer(t)
	srv.Auth = o.Check(true) // a token works for its subject's own calendar only
	for _, m := range []string{alice, carol} {
		srv.AddCalendar(m, m, "Europe/Berlin")
		srv.Put(m, weekly(t, "s-"+m[:5], "2026-03-02T10:00", 30, m, bob))
	}
	h := newHarness(t, srv, google.Config{Auth: google.AuthServiceAccount, Credentials: key,
		Calendars: []string{google.Managers}, Managers: []string{alice, carol}})
	for _, ch := range h.sync() {
		if ch.Err != nil || len(ch.Events) != 1 {
			t.Errorf("%s: err %v, %d events", ch.Calendar.ID, ch.Err, len(ch.Events))
		}
	}
	subjects := map[string]bool{}
	for _, c := range o.Assertions() {
		subjects[c.Sub] = true
		if c.Iss != serviceAccount || c.Scope != google.CalendarScope || c.Aud != o.TokenURL() {
			t.Errorf("assertion %+v: want iss %s, scope %s, aud %s", c, serviceAccount, google.CalendarScope, o.TokenURL())
		}
		if c.Exp-c.Iat > 3600 {
			t.Errorf("assertion valid for %ds, more than an hour", c.Exp-c.Iat)
		}
	}
	if len(subjects) != 2 || !subjects[alice] || !subjects[carol] {
		t.Errorf("assertions for %v, want one per manager", subjects)
	}
	h.sync()
	if n := len(o.Assertions()); n != 2 {
		t.Errorf("%d assertions after a second sync, want the 2 tokens reused", n)
	}
	if strings.Contains(h.log.String(), "PRIVATE KEY") {
		t.Error("the key was logged")
	}
}

func TestARefusedDelegationFailsThatManagerOnlyAndSaysWhatToCheck(t *testing.T) {
	o := googletest.NewOAuth(t)
	o.AllowSubject = func(sub string) bool { return sub == alice }
	srv := googletest.NewServer(t)
	srv.Auth = o.Check(true)
	for _, m := range []string{alice, carol} {
		srv.AddCalendar(m, m, "Europe/Berlin")
	}
	h := newHarness(t, srv, google.Config{Auth: google.AuthServiceAccount, Credentials: o.ServiceAccountJSON(serviceAccount),
		Calendars: []string{google.Managers}, Managers: []string{alice, carol}})
	got := byID(h.sync())
	if got[alice].Err != nil {
		t.Errorf("alice: %v", got[alice].Err)
	}
	err := got[carol].Err
	if err == nil || !strings.Contains(err.Error(), "unauthorized_client") || !strings.Contains(err.Error(), "domain-wide delegation for "+google.CalendarScope) {
		t.Errorf("carol: %v", err)
	}
	n := 0
	for _, c := range o.Assertions() {
		if c.Sub == carol {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d token requests for carol, want 1: a refusal is not retried", n)
	}
	if len(h.sleeper.waits()) != 0 {
		t.Errorf("waited %v", h.sleeper.waits())
	}
}

func TestABrokenServiceAccountKeyIsRefusedUpFront(t *testing.T) {
	key := []byte(`{"type":"service_account","client_email":"x@y.iam.gserviceaccount.com","private_key":"-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----\n","token_uri":"https://oauth2.googleapis.com/token"}`)
	_, err := google.New(google.Config{Name: "w", Auth: google.AuthServiceAccount, Credentials: key, Managers: []string{alice}}, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "Credentials: private_key is not a PEM-encoded PKCS#8 or PKCS#1 key") {
		t.Errorf("err %v", err)
	}
	if err != nil && strings.Contains(err.Error(), "c2VjcmV0") {
		t.Error("the error quotes the key")
	}
}
