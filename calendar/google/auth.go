package google

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	googleoauth "golang.org/x/oauth2/google"
	"golang.org/x/oauth2/jwt"
	gcal "google.golang.org/api/calendar/v3"
	"google.golang.org/api/option"
)

// authority makes the API clients of a source: one per user acted as,
// each with its own cached token.
type authority struct {
	mode  string
	hints hints
	base  *http.Client // carries every request; responses bounded
	root  string       // the API root ("" for Google's own)

	jwt      *jwt.Config        // service_account
	user     oauth2.TokenSource // oauth: the stored, refreshed user token
	tokenCtx context.Context    // carries the HTTP client token requests use

	mu       sync.Mutex
	services map[string]*gcal.Service // by subject
}

func newAuthority(cfg Config, root string, client *http.Client, timeout time.Duration, maxBytes int64, logger *slog.Logger) (*authority, error) {
	if client == nil {
		client = &http.Client{}
	}
	if maxBytes == 0 {
		maxBytes = DefaultMaxResponseBytes
	}
	base := *client // the caller's client is not changed
	rt := client.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	base.Transport = &limitTransport{base: rt, max: maxBytes}
	a := &authority{
		mode:     cfg.Auth,
		base:     &base,
		root:     root,
		services: map[string]*gcal.Service{},
	}
	// Token requests are made outside any one sync's context (the token
	// is shared by later syncs), so the client's own timeout bounds them.
	a.tokenCtx = context.WithValue(context.Background(), oauth2.HTTPClient,
		&http.Client{Transport: base.Transport, Timeout: timeout})

	switch cfg.Auth {
	case AuthNone:
	case AuthServiceAccount:
		if len(cfg.Credentials) == 0 {
			return nil, &fieldError{"Credentials", "empty; a service account needs its JSON key"}
		}
		jc, err := googleoauth.JWTConfigFromJSON(cfg.Credentials, CalendarScope)
		if err != nil {
			return nil, &fieldError{"Credentials", "not a service-account JSON key: " + credentialError(err)}
		}
		if err := checkPrivateKey(jc.PrivateKey); err != nil {
			return nil, &fieldError{"Credentials", err.Error()}
		}
		a.jwt = jc
		a.hints.delegation = CalendarScope
	case AuthOAuth:
		if len(cfg.Credentials) == 0 {
			return nil, &fieldError{"Credentials", "empty; single-user mode needs the OAuth client JSON of a desktop app"}
		}
		oc, err := oauthConfig(cfg.Credentials)
		if err != nil {
			return nil, &fieldError{"Credentials", err.Error()}
		}
		if strings.TrimSpace(cfg.TokenFile) == "" {
			return nil, &fieldError{"TokenFile", "empty; single-user mode keeps the user's authorization there"}
		}
		a.hints.reauth = ReauthorizeCommand(cfg.ConfigFile)
		a.user = oauth2.ReuseTokenSource(nil, &fileTokenSource{
			path: cfg.TokenFile, conf: oc, ctx: a.tokenCtx, reauth: a.hints.reauth, log: logger,
		})
	case "":
		return nil, &fieldError{"Auth", `empty; use "service_account", "oauth" or "none"`}
	default:
		return nil, &fieldError{"Auth", fmt.Sprintf(`%q is not "service_account", "oauth" or "none"`, clip(cfg.Auth, 40))}
	}
	return a, nil
}

// ReauthorizeCommand is the command that (re)authorizes a single-user
// source, as named in errors: `rapport auth google --config FILE`.
func ReauthorizeCommand(configFile string) string {
	if configFile == "" {
		configFile = "FILE"
	}
	return "rapport auth google --config " + configFile
}

// credentialError describes a credentials parsing error without quoting
// the credentials: JSON syntax errors name an offset, never content.
func credentialError(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("invalid JSON at offset %d", se.Offset)
	}
	return clip(cleanName(err.Error()), 200)
}

// checkPrivateKey fails early on a key the token requests could never
// sign with (x/oauth2 would only say so at the first request, where the
// error looks like a transient one).
func checkPrivateKey(key []byte) error {
	if len(key) == 0 {
		return errors.New("the key has no private_key")
	}
	if block, _ := pem.Decode(key); block != nil {
		key = block.Bytes
	}
	if _, err := x509.ParsePKCS8PrivateKey(key); err == nil {
		return nil
	}
	if _, err := x509.ParsePKCS1PrivateKey(key); err == nil {
		return nil
	}
	return errors.New("private_key is not a PEM-encoded PKCS#8 or PKCS#1 key")
}

// service returns the Calendar API client acting as subject (empty: the
// credentials' own identity).
func (a *authority) service(subject string) (*gcal.Service, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if svc, ok := a.services[subject]; ok {
		return svc, nil
	}
	hc, err := a.httpClient(subject)
	if err != nil {
		return nil, err
	}
	opts := []option.ClientOption{option.WithHTTPClient(hc)}
	if a.root != "" {
		opts = append(opts, option.WithEndpoint(a.root+"calendar/v3/"))
	}
	svc, err := gcal.NewService(context.Background(), opts...)
	if err != nil {
		return nil, fmt.Errorf("calendar client: %w", err)
	}
	a.services[subject] = svc
	return svc, nil
}

// httpClient is the authenticated client acting as subject.
func (a *authority) httpClient(subject string) (*http.Client, error) {
	var ts oauth2.TokenSource
	switch a.mode {
	case AuthNone:
		return a.base, nil
	case AuthServiceAccount:
		jc := *a.jwt
		jc.Subject = subject // domain-wide delegation: act as this user
		ts = jc.TokenSource(a.tokenCtx)
	case AuthOAuth:
		ts = a.user
	default:
		return nil, fmt.Errorf("unknown auth %q", a.mode)
	}
	c := *a.base
	c.Transport = &oauth2.Transport{Source: ts, Base: a.base.Transport}
	return &c, nil
}

// errTooLarge ends the reading of a response beyond MaxResponseBytes.
var errTooLarge = errors.New("response larger than the MaxResponseBytes limit")

// limitTransport bounds every response body, so that a broken or hostile
// server cannot make a sync read without end.
type limitTransport struct {
	base http.RoundTripper
	max  int64
}

func (t *limitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil || resp.Body == nil {
		return resp, err
	}
	if resp.ContentLength > t.max {
		resp.Body.Close()
		return nil, errTooLarge
	}
	resp.Body = &limitedBody{rc: resp.Body, left: t.max}
	return resp, nil
}

type limitedBody struct {
	rc   io.ReadCloser
	left int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, errTooLarge
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.rc.Read(p)
	if b.left -= int64(n); b.left < 0 {
		return n, errTooLarge
	}
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }
