package googletest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"time"
)

// OAuth is a fake of Google's OAuth 2.0 endpoints: the authorization
// endpoint of the installed-app flow (consent always given, or refused),
// and the token endpoint for the authorization_code (with PKCE),
// refresh_token and JWT-bearer (service account) grants. It keeps what it
// issued, so that a fake API server can check bearer tokens (Check).
type OAuth struct {
	*httptest.Server

	// Deny makes the consent screen refuse, as a user pressing "Cancel".
	Deny bool
	// AllowSubject, when set, decides which users a service account may
	// act as (domain-wide delegation); others get unauthorized_client.
	AllowSubject func(sub string) bool
	// AccessTTL is the lifetime of access tokens. Default one hour.
	AccessTTL time.Duration

	mu         sync.Mutex
	clientID   string
	secret     string
	keys       map[string]*rsa.PublicKey // service accounts, by client_email
	codes      map[string]*grant
	refresh    map[string]string // refresh token → user
	access     map[string]issued
	assertions []Claims
	authReqs   []url.Values
	tokenReqs  []url.Values
	n          int
}

type grant struct {
	user, redirect, challenge string
}

type issued struct {
	sub     string
	scope   string
	expires time.Time
}

// Claims are the claims of a service account's JWT assertion.
type Claims struct {
	Iss   string `json:"iss"`
	Sub   string `json:"sub"`
	Scope string `json:"scope"`
	Aud   string `json:"aud"`
	Iat   int64  `json:"iat"`
	Exp   int64  `json:"exp"`
}

// NewOAuth starts the fake; it is closed when the test ends.
func NewOAuth(t interface{ Cleanup(func()) }) *OAuth {
	o := &OAuth{
		clientID: "1234-rapport.apps.googleusercontent.com",
		secret:   "GOCSPX-fake-client-secret",
		keys:     map[string]*rsa.PublicKey{},
		codes:    map[string]*grant{},
		refresh:  map[string]string{},
		access:   map[string]issued{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/auth", o.authorize)
	mux.HandleFunc("/token", o.token)
	o.Server = httptest.NewServer(mux)
	if t != nil {
		t.Cleanup(o.Close)
	}
	return o
}

// TokenURL is the token endpoint.
func (o *OAuth) TokenURL() string { return o.URL + "/token" }

// ClientJSON is an OAuth client of type "Desktop app" whose endpoints are
// this fake.
func (o *OAuth) ClientJSON() []byte {
	b, _ := json.Marshal(map[string]any{"installed": map[string]any{
		"client_id":     o.clientID,
		"client_secret": o.secret,
		"project_id":    "rapport-test",
		"auth_uri":      o.URL + "/auth",
		"token_uri":     o.TokenURL(),
		"redirect_uris": []string{"http://localhost"},
	}})
	return b
}

// ServiceAccountJSON makes a service-account key for email whose token_uri
// is this fake; the fake verifies the assertions signed with it.
func (o *OAuth) ServiceAccountJSON(email string) []byte {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic("googletest: " + err.Error())
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		panic("googletest: " + err.Error())
	}
	o.mu.Lock()
	o.keys[email] = &key.PublicKey
	o.mu.Unlock()
	b, _ := json.Marshal(map[string]any{
		"type":           "service_account",
		"project_id":     "rapport-test",
		"private_key_id": "fakekeyid",
		"private_key":    string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email":   email,
		"client_id":      "1000000000000000001",
		"token_uri":      o.TokenURL(),
	})
	return b
}

// Browser is a fake browser for the installed-app flow: given the consent
// URL it asks the authorization endpoint (the user consents, or not, see
// Deny) and follows the redirect back to the app's loopback address.
func (o *OAuth) Browser(user string) func(url string) error {
	return func(u string) error {
		parsed, err := url.Parse(u)
		if err != nil {
			return err
		}
		q := parsed.Query()
		q.Set("login_hint", user)
		parsed.RawQuery = q.Encode()
		resp, err := http.Get(parsed.String())
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusForbidden {
			return fmt.Errorf("browser: HTTP %s", resp.Status)
		}
		return nil
	}
}

// Assertions are the claims of every JWT assertion received.
func (o *OAuth) Assertions() []Claims {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]Claims(nil), o.assertions...)
}

// AuthRequests are the queries the authorization endpoint received.
func (o *OAuth) AuthRequests() []url.Values {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]url.Values(nil), o.authReqs...)
}

// TokenRequests are the forms the token endpoint received.
func (o *OAuth) TokenRequests() []url.Values {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]url.Values(nil), o.tokenReqs...)
}

// RevokeAll revokes every refresh token, as a user removing the app's
// access does.
func (o *OAuth) RevokeAll() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.refresh = map[string]string{}
}

// ExpireAccessTokens makes every access token issued so far invalid.
func (o *OAuth) ExpireAccessTokens() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.access = map[string]issued{}
}

// Subject says whom a request's bearer token was issued to.
func (o *OAuth) Subject(r *http.Request) (string, bool) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return "", false
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	is, ok := o.access[tok]
	if !ok || time.Now().After(is.expires) {
		return "", false
	}
	return is.sub, true
}

// Check is a Server.Auth that accepts a valid bearer token, and with
// ownCalendarsOnly only for the token owner's own calendar, as a user
// reading their primary calendar (or acted as by delegation) would.
func (o *OAuth) Check(ownCalendarsOnly bool) func(r *http.Request, calendarID string) error {
	return func(r *http.Request, calendarID string) error {
		sub, ok := o.Subject(r)
		switch {
		case !ok:
			return errors.New("no valid bearer token")
		case ownCalendarsOnly && calendarID != "primary" && !strings.EqualFold(sub, calendarID):
			return ErrForbidden
		}
		return nil
	}
}

func (o *OAuth) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	o.mu.Lock()
	o.authReqs = append(o.authReqs, q)
	o.mu.Unlock()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	switch {
	case q.Get("client_id") != o.clientID:
		http.Error(w, "invalid_client", http.StatusUnauthorized)
		return
	case err != nil || redirect.Scheme != "http" || redirect.Hostname() != "127.0.0.1" && redirect.Hostname() != "localhost":
		http.Error(w, "redirect_uri_mismatch: installed apps redirect to a loopback address", http.StatusBadRequest)
		return
	case q.Get("response_type") != "code":
		http.Error(w, "unsupported_response_type", http.StatusBadRequest)
		return
	case q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "":
		http.Error(w, "invalid_request: PKCE with S256 is required", http.StatusBadRequest)
		return
	}
	back := redirect.Query()
	back.Set("state", q.Get("state"))
	if o.Deny {
		back.Set("error", "access_denied")
	} else {
		code := o.next("code")
		o.mu.Lock()
		o.codes[code] = &grant{user: q.Get("login_hint"), redirect: q.Get("redirect_uri"), challenge: q.Get("code_challenge")}
		o.mu.Unlock()
		back.Set("code", code)
	}
	redirect.RawQuery = back.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

func (o *OAuth) next(prefix string) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.n++
	return fmt.Sprintf("%s-%d-%x", prefix, o.n, time.Now().UnixNano()&0xffff)
}

func tokenError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}

func (o *OAuth) token(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	if err := r.ParseForm(); err != nil {
		tokenError(w, http.StatusBadRequest, "invalid_request", "bad form")
		return
	}
	form := r.PostForm
	o.mu.Lock()
	o.tokenReqs = append(o.tokenReqs, form)
	o.mu.Unlock()
	switch form.Get("grant_type") {
	case "authorization_code":
		if !o.clientOK(r) {
			tokenError(w, http.StatusUnauthorized, "invalid_client", "The OAuth client was not found.")
			return
		}
		o.mu.Lock()
		g := o.codes[form.Get("code")]
		delete(o.codes, form.Get("code")) // a code is good once
		o.mu.Unlock()
		sum := sha256.Sum256([]byte(form.Get("code_verifier")))
		switch {
		case g == nil:
			tokenError(w, http.StatusBadRequest, "invalid_grant", "Malformed auth code.")
		case g.redirect != form.Get("redirect_uri"):
			tokenError(w, http.StatusBadRequest, "redirect_uri_mismatch", "Bad Request")
		case base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge:
			tokenError(w, http.StatusBadRequest, "invalid_grant", "Invalid code verifier.")
		default:
			refresh := o.next("refresh")
			o.mu.Lock()
			o.refresh[refresh] = g.user
			o.mu.Unlock()
			o.issue(w, g.user, "https://www.googleapis.com/auth/calendar.readonly", refresh)
		}
	case "refresh_token":
		if !o.clientOK(r) {
			tokenError(w, http.StatusUnauthorized, "invalid_client", "The OAuth client was not found.")
			return
		}
		o.mu.Lock()
		user, ok := o.refresh[form.Get("refresh_token")]
		o.mu.Unlock()
		if !ok {
			tokenError(w, http.StatusBadRequest, "invalid_grant", "Token has been expired or revoked.")
			return
		}
		o.issue(w, user, "https://www.googleapis.com/auth/calendar.readonly", "")
	case "urn:ietf:params:oauth:grant-type:jwt-bearer":
		c, err := o.verify(form.Get("assertion"))
		if err != nil {
			tokenError(w, http.StatusBadRequest, "invalid_grant", err.Error())
			return
		}
		o.mu.Lock()
		o.assertions = append(o.assertions, c)
		o.mu.Unlock()
		if c.Sub != "" && o.AllowSubject != nil && !o.AllowSubject(c.Sub) {
			tokenError(w, http.StatusUnauthorized, "unauthorized_client",
				"Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.")
			return
		}
		sub := c.Sub
		if sub == "" {
			sub = c.Iss
		}
		o.issue(w, sub, c.Scope, "")
	default:
		tokenError(w, http.StatusBadRequest, "unsupported_grant_type", "Invalid grant_type.")
	}
}

// clientOK checks the client's credentials, sent as HTTP basic
// authentication or in the form (x/oauth2 may use either).
func (o *OAuth) clientOK(r *http.Request) bool {
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if u, err := url.QueryUnescape(id); err == nil {
		id = u
	}
	if u, err := url.QueryUnescape(secret); err == nil {
		secret = u
	}
	return id == o.clientID && secret == o.secret
}

func (o *OAuth) issue(w http.ResponseWriter, sub, scope, refresh string) {
	ttl := o.AccessTTL
	if ttl == 0 {
		ttl = time.Hour
	}
	access := o.next("ya29.access")
	o.mu.Lock()
	o.access[access] = issued{sub: sub, scope: scope, expires: time.Now().Add(ttl)}
	o.mu.Unlock()
	resp := map[string]any{
		"access_token": access,
		"token_type":   "Bearer",
		"expires_in":   int(ttl / time.Second),
		"scope":        scope,
	}
	if refresh != "" {
		resp["refresh_token"] = refresh
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(resp)
}

// verify checks a service account's assertion (RS256 with its key, the
// token endpoint as audience, not expired) and returns its claims.
func (o *OAuth) verify(assertion string) (Claims, error) {
	var c Claims
	parts := strings.Split(assertion, ".")
	if len(parts) != 3 {
		return c, errors.New("Invalid JWT: not three parts")
	}
	var header struct{ Alg, Typ string }
	hb, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil || json.Unmarshal(hb, &header) != nil || header.Alg != "RS256" {
		return c, errors.New("Invalid JWT header")
	}
	pb, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil || json.Unmarshal(pb, &c) != nil {
		return c, errors.New("Invalid JWT payload")
	}
	o.mu.Lock()
	key := o.keys[c.Iss]
	o.mu.Unlock()
	if key == nil {
		return c, errors.New("Invalid JWT: unknown issuer")
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return c, errors.New("Invalid JWT signature")
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(key, crypto.SHA256, sum[:], sig); err != nil {
		return c, errors.New("Invalid JWT Signature.")
	}
	switch now := time.Now().Unix(); {
	case c.Aud != o.TokenURL():
		return c, errors.New("Invalid JWT: audience is not the token endpoint")
	case c.Exp < now || c.Iat > now+300:
		return c, errors.New("Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.")
	}
	return c, nil
}
