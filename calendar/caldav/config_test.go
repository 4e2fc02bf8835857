package caldav_test

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rapport-dev/rapport/calendar/caldav"
)

func TestNewNamesTheBadField(t *testing.T) {
	ok := caldav.Config{Name: "fastmail", URL: "https://caldav.example.com/"}
	tests := []struct {
		name   string
		change func(c *caldav.Config)
		want   string
	}{
		{"a source needs a name", func(c *caldav.Config) { c.Name = " " }, "caldav: Name: empty; every source needs a name"},
		{"the URL is required", func(c *caldav.Config) { c.URL = "" }, `caldav: source "fastmail": URL: empty; give the server, principal or calendar URL`},
		{"the URL is http or https", func(c *caldav.Config) { c.URL = "ftp://dav.example.com/" }, `URL: scheme "ftp" is not http or https`},
		{"the URL has a host", func(c *caldav.Config) { c.URL = "https:///dav/" }, `URL: no host`},
		{"credentials in the URL are refused without being quoted", func(c *caldav.Config) { c.URL = "https://alice:hunter2@dav.example.com/" },
			`URL: carries credentials; set Username and Password (or Token) instead`},
		{"an unreadable URL is not quoted", func(c *caldav.Config) { c.URL = "https://dav.example.com/%zz-hunter2" }, `URL: not a valid URL`},
		{"Owner is an email", func(c *caldav.Config) { c.Owner = "alice" }, `Owner: "alice" is not an email address`},
		{"a token and a password are not both used", func(c *caldav.Config) { c.Username, c.Password, c.Token = "a", "b", "c" },
			`Token: set together with Username and Password; use one or the other`},
		{"a password needs a user", func(c *caldav.Config) { c.Password = "hunter2" }, `Username: empty while Password is set`},
		{"a user needs a password", func(c *caldav.Config) { c.Username = "alice" }, `Password: empty while Username is set`},
		{"a token is one header value", func(c *caldav.Config) { c.Token = "abc\r\nX-Evil: 1" }, `Token: holds a space or a control character`},
		{"CAPEM holds certificates", func(c *caldav.Config) { c.CAPEM = []byte("not a certificate") }, `CAPEM: holds no PEM certificate`},
		{"CAPEM and RootCAs are not both set", func(c *caldav.Config) { c.CAPEM, c.RootCAs = testCA(t), x509.NewCertPool() },
			`RootCAs: set together with CAPEM; use one`},
		{"Calendars entries are not empty", func(c *caldav.Config) { c.Calendars = []string{"Work", ""} }, `Calendars[1]: empty`},
		{"Calendars URLs are http or https", func(c *caldav.Config) { c.Calendars = []string{"webcal://x.example.com/a"} }, `Calendars[0]: scheme "webcal" is not http or https`},
		{"MaxObjectBytes is not negative", func(c *caldav.Config) { c.MaxObjectBytes = -1 }, `MaxObjectBytes: -1 is negative`},
		{"MaxResponseBytes holds an object", func(c *caldav.Config) { c.MaxObjectBytes, c.MaxResponseBytes = 100, 10 }, `MaxResponseBytes: 10 is less than MaxObjectBytes 100`},
		{"Timeout is not negative", func(c *caldav.Config) { c.Timeout = -time.Second }, `Timeout: -1s is negative`},
		{"DiscoveryInterval is not negative", func(c *caldav.Config) { c.DiscoveryInterval = -time.Second }, `DiscoveryInterval: -1s is negative`},
		{"the retry policy is checked", func(c *caldav.Config) { c.Retry.Attempts = -1 }, `Retry: retry: Attempts: -1 is negative`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			tt.change(&cfg)
			_, err := caldav.New(cfg, nil, nil)
			if err == nil || !strings.HasSuffix(err.Error(), tt.want) {
				t.Fatalf("error %v, want it to end %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("the error quotes a secret: %v", err)
			}
		})
	}
	t.Run("a client whose transport cannot take the CA is refused rather than ignored", func(t *testing.T) {
		cfg := ok
		cfg.CAPEM = testCA(t)
		_, err := caldav.New(cfg, &http.Client{Transport: newCounter()}, nil)
		if err == nil || !strings.Contains(err.Error(), "CAPEM: the client's Transport is a *caldav_test.counter") {
			t.Errorf("error %v", err)
		}
	})
}

// testCA is the PEM of an httptest TLS server's certificate.
func testCA(t *testing.T) []byte {
	t.Helper()
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	defer srv.Close()
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
}

func TestConfigPrintsWithoutSecrets(t *testing.T) {
	cfg := caldav.Config{Name: "fastmail", URL: "https://caldav.example.com/dav/s3cr3t-dir/calendars/",
		Username: "alice", Password: "hunter2", Calendars: []string{"Work"}}
	for _, s := range []string{cfg.String(), fmt.Sprintf("%v", cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg)} {
		if strings.Contains(s, "hunter2") || strings.Contains(s, "s3cr3t") {
			t.Errorf("printed with a secret: %s", s)
		}
	}
	if want := `caldav.Config{Name: "fastmail", URL: https://caldav.example.com/…/calendars, Owner: "", auth: basic, Calendars: 1}`; cfg.String() != want {
		t.Errorf("String() = %s\nwant       %s", cfg.String(), want)
	}
}

// The credentials go with every request (basic or bearer), and never
// appear in an error or a log line, nor does a secret path.
func TestCredentialsAreSentAndNeverShown(t *testing.T) {
	const password, token, secretPath = "hunter2-password", "tok-hunter2-bearer", "b7f3c9d1e5a24f68a0c3e9b7d5f1a2c4e6b8d0f2"
	for _, tt := range []struct {
		name string
		cfg  caldav.Config
		want string
	}{
		{"basic", caldav.Config{Username: "alice@example.com", Password: password}, "Basic "},
		{"bearer", caldav.Config{Token: token}, "Bearer " + token},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeServer(t)
			personal := f.calendar(secretPath, "Personal")
			f.put(personal, "a.ics", event("a", 1))
			tt.cfg.URL = personal
			h := newHarness(t, tt.cfg, nil)
			h.sync()
			f.mu.Lock()
			auths := slices.Clone(f.auths)
			f.mu.Unlock()
			for _, a := range auths {
				if !strings.HasPrefix(a, tt.want) {
					t.Errorf("Authorization %q, want %q…", a, tt.want)
				}
			}
			// Now the server refuses them.
			f.setHook(func(w http.ResponseWriter, r *http.Request, kind, body string) bool {
				w.Header().Set("WWW-Authenticate", `Basic realm="Nextcloud"`)
				http.Error(w, "Unauthorized: "+r.Header.Get("Authorization"), http.StatusUnauthorized)
				return true
			})
			ch := h.only(h.sync())
			if ch.Err == nil || !strings.Contains(ch.Err.Error(), "HTTP 401 Unauthorized (check Username and Password, or Token)") {
				t.Errorf("error %v, want a 401 with a hint", ch.Err)
			}
			shown := ch.Err.Error() + h.log.String()
			for _, secret := range []string{password, token, "hunter2", secretPath} {
				if strings.Contains(shown, secret) {
					t.Errorf("%q shown in errors or logs:\n%s", secret, shown)
				}
			}
		})
	}
}

// A private CA given as PEM is trusted, in addition to the system's.
func TestACustomCertificateAuthorityIsTrusted(t *testing.T) {
	f := newFakeServer(t)
	f.Close()
	f.Server = httptest.NewUnstartedServer(http.HandlerFunc(f.serve))
	f.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshakes refused on purpose
	f.StartTLS()
	t.Cleanup(f.Close)
	personal := f.calendar("personal", "Personal")
	f.put(personal, "a.ics", event("a", 1))
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: f.Certificate().Raw})

	h := newHarness(t, caldav.Config{URL: personal}, nil)
	if _, err := h.src.Sync(t.Context(), nil); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("without the CA: error %v, want a certificate error", err)
	}
	if len(h.delays) > 0 {
		t.Errorf("an untrusted certificate was retried %d times", len(h.delays))
	}
	h = newHarness(t, caldav.Config{URL: personal, CAPEM: ca}, &http.Client{Timeout: time.Minute})
	if ch := h.only(h.sync()); ch.Err != nil || len(ch.Events) != 1 {
		t.Errorf("with the CA: %+v", ch)
	}
	pool := x509.NewCertPool()
	pool.AddCert(f.Certificate())
	h = newHarness(t, caldav.Config{URL: personal, RootCAs: pool}, nil)
	if ch := h.only(h.sync()); ch.Err != nil || len(ch.Events) != 1 {
		t.Errorf("with RootCAs: %+v", ch)
	}
}

// Redirects keep their method and body (net/http would turn a PROPFIND into
// a GET), are bounded, and never go from https to http, where the
// credentials would cross in clear.
func TestRedirects(t *testing.T) {
	t.Run("a redirect from https to http is refused", func(t *testing.T) {
		plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			t.Errorf("the http server was asked: %s %s with %q", r.Method, r.URL, r.Header.Get("Authorization"))
		}))
		defer plain.Close()
		tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, plain.URL+"/dav/", http.StatusMovedPermanently)
		}))
		defer tlsSrv.Close()
		pool := x509.NewCertPool()
		pool.AddCert(tlsSrv.Certificate())
		h := newHarness(t, caldav.Config{URL: tlsSrv.URL + "/dav/", Username: "alice", Password: "hunter2", RootCAs: pool}, nil)
		_, err := h.src.Sync(t.Context(), nil)
		if err == nil || !strings.Contains(err.Error(), "redirect from https to http") {
			t.Errorf("error %v, want the downgrade refused", err)
		}
	})
	t.Run("a redirect loop ends", func(t *testing.T) {
		n := 0
		loop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n++
			http.Redirect(w, r, fmt.Sprintf("/hop-%d/", n), http.StatusTemporaryRedirect)
		}))
		defer loop.Close()
		h := newHarness(t, caldav.Config{URL: loop.URL + "/dav/"}, nil)
		_, err := h.src.Sync(t.Context(), nil)
		if err == nil || !strings.Contains(err.Error(), "more than 5 redirects") {
			t.Errorf("error %v", err)
		}
		if n > 3*5 {
			t.Errorf("%d requests for three discovery URLs", n)
		}
	})
	t.Run("a PROPFIND redirected stays a PROPFIND with its body", func(t *testing.T) {
		f := newFakeServer(t)
		personal := f.calendar("personal", "Personal")
		f.put(personal, "a.ics", event("a", 1))
		var methods []string
		f.setHook(func(w http.ResponseWriter, r *http.Request, kind, body string) bool {
			methods = append(methods, r.Method+" "+kind)
			if r.URL.Path == "/old/" {
				http.Redirect(w, r, personal, http.StatusFound)
				return true
			}
			return false
		})
		h := newHarness(t, caldav.Config{URL: f.URL + "/old/"}, nil)
		if ch := h.only(h.sync()); ch.Err != nil || len(ch.Events) != 1 || ch.Calendar.ID != personal {
			t.Errorf("changes %+v", ch)
		}
		if len(methods) < 2 || methods[1] != "PROPFIND propfind" {
			t.Errorf("requests %q; want the redirect followed by a PROPFIND", methods)
		}
	})
}
