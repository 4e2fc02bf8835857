package google

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/oauth2"
	googleoauth "golang.org/x/oauth2/google"
)

// ErrNotAuthorized is wrapped by the errors of a single-user source whose
// token file does not exist yet.
var ErrNotAuthorized = errors.New("Rapport is not authorized to read Google Calendar yet")

// Authorize runs Google's OAuth flow for installed apps (RFC 8252): it
// listens on a loopback port (127.0.0.1, chosen by the system), sends the
// user to Google's consent page with a state and a PKCE challenge (S256),
// waits for the redirect back, exchanges the code, and stores the token at
// tokenPath (mode 0600; a missing directory is created 0700). It asks for
// read-only calendar access (CalendarScope) and offline access, so that the
// stored refresh token keeps Rapport authorized.
//
// clientJSON is the OAuth client of a "Desktop app" from the Google Cloud
// console. open is given the consent URL to show in a browser (nil: the
// user opens it by hand); the URL is also written to out, with progress.
// Authorize returns when the token is stored, the user refused, or ctx is
// done: the caller bounds the wait.
//
// Token requests use the HTTP client in ctx under oauth2.HTTPClient, if
// any.
func Authorize(ctx context.Context, clientJSON []byte, tokenPath string, open func(url string) error, out io.Writer) error {
	if out == nil {
		out = io.Discard
	}
	if tokenPath == "" {
		return errors.New("google: authorize: empty token path")
	}
	conf, err := oauthConfig(clientJSON)
	if err != nil {
		return fmt.Errorf("google: authorize: %w", err)
	}

	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("google: authorize: loopback listener: %w", err)
	}
	conf.RedirectURL = "http://" + ln.Addr().String() + "/"
	state, err := randomState()
	if err != nil {
		ln.Close()
		return fmt.Errorf("google: authorize: %w", err)
	}
	verifier := oauth2.GenerateVerifier()
	authURL := conf.AuthCodeURL(state,
		oauth2.AccessTypeOffline,
		oauth2.ApprovalForce, // a refresh token even if the user consented before
		oauth2.S256ChallengeOption(verifier))

	results := make(chan callback, 1)
	srv := &http.Server{
		Handler:           &loopback{state: state, results: results},
		ReadHeaderTimeout: 10 * time.Second,
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(ln) // ends with Shutdown
	}()
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		<-served
	}()

	fmt.Fprintf(out, "Open this address in a browser to let Rapport read your calendars (read-only):\n\n  %s\n\nWaiting for Google to send the browser back to %s ...\n", authURL, conf.RedirectURL)
	if open != nil {
		if err := open(authURL); err != nil {
			fmt.Fprintf(out, "(The browser could not be opened: %v. Open the address by hand.)\n", err)
		}
	}

	var cb callback
	select {
	case cb = <-results:
	case <-ctx.Done():
		return fmt.Errorf("google: authorize: no answer from the browser: %w", context.Cause(ctx))
	}
	if cb.err != nil {
		return fmt.Errorf("google: authorize: %w", cb.err)
	}
	tok, err := conf.Exchange(ctx, cb.code, oauth2.VerifierOption(verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			return fmt.Errorf("google: authorize: exchanging the code: %w", tokenError(re, hints{}))
		}
		return fmt.Errorf("google: authorize: exchanging the code: %w", err)
	}
	if tok.RefreshToken == "" {
		return errors.New("google: authorize: Google issued no refresh token, so the authorization could not outlive this hour; remove Rapport's access at https://myaccount.google.com/permissions and try again")
	}
	if err := saveToken(tokenPath, tok); err != nil {
		return fmt.Errorf("google: authorize: %w", err)
	}
	fmt.Fprintf(out, "Authorized. The token is stored in %s.\n", tokenPath)
	return nil
}

// oauthConfig reads the OAuth client JSON of a desktop app. Its redirect
// URI is replaced by the loopback address of each authorization; clients
// downloaded without "redirect_uris" get a placeholder, which x/oauth2
// insists on.
func oauthConfig(clientJSON []byte) (*oauth2.Config, error) {
	var file map[string]json.RawMessage
	if err := json.Unmarshal(clientJSON, &file); err != nil {
		return nil, fmt.Errorf("the OAuth client is not JSON: %s", credentialError(err))
	}
	var installed map[string]any
	if json.Unmarshal(file["installed"], &installed) != nil || installed == nil {
		if _, web := file["web"]; web {
			return nil, errors.New(`the OAuth client is a "Web application"; create one of type "Desktop app", whose loopback redirect needs no registration`)
		}
		return nil, errors.New(`not an OAuth client of type "Desktop app" (no "installed" key)`)
	}
	if _, ok := installed["redirect_uris"]; !ok {
		installed["redirect_uris"] = []string{"http://localhost"}
		file["installed"], _ = json.Marshal(installed)
		clientJSON, _ = json.Marshal(file)
	}
	conf, err := googleoauth.ConfigFromJSON(clientJSON, CalendarScope)
	if err != nil {
		return nil, errors.New(credentialError(err))
	}
	// Google's documented form: client_id and client_secret in the body.
	// Left to auto-detection, x/oauth2 would send every refused refresh
	// twice, once per style.
	conf.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	return conf, nil
}

func randomState() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

type callback struct {
	code string
	err  error
}

// loopback receives the browser's redirect. A request without the right
// state is answered and ignored: any page the user visits could send the
// browser here, and must neither end nor steer the flow.
type loopback struct {
	state   string
	results chan<- callback
	once    sync.Once
}

func (l *loopback) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" || r.Method != http.MethodGet {
		http.NotFound(w, r)
		return
	}
	q := r.URL.Query()
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(l.state)) != 1 {
		http.Error(w, "This request does not belong to the authorization in progress.", http.StatusBadRequest)
		return
	}
	var cb callback
	switch code, e := q.Get("code"), q.Get("error"); {
	case e != "":
		cb.err = fmt.Errorf("Google did not authorize Rapport: %s", clip(cleanName(e), 60))
	case code == "":
		cb.err = errors.New("Google sent the browser back without a code")
	default:
		cb.code = code
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	msg := "Rapport is authorized to read your calendars. You can close this tab."
	if cb.err != nil {
		w.WriteHeader(http.StatusForbidden)
		msg = "Rapport was not authorized: " + cb.err.Error()
	}
	fmt.Fprintf(w, "<!doctype html><title>Rapport</title><p>%s</p>\n", html.EscapeString(msg))
	l.once.Do(func() { l.results <- cb })
}

// saveToken writes the token JSON atomically: a temporary file in the same
// directory (created 0600), synced, then renamed over the old one, so that
// a crash leaves the old token or the new one, never half of either.
func saveToken(path string, tok *oauth2.Token) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("token directory: %w", err)
	}
	f, err := os.CreateTemp(dir, ".rapport-token-*")
	if err != nil {
		return fmt.Errorf("token file: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after a successful rename, there is nothing to remove
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("token file: %w", err)
	}
	if err := json.NewEncoder(f).Encode(tok); err != nil {
		f.Close()
		return fmt.Errorf("token file: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("token file: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("token file: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("token file: %w", err)
	}
	return nil
}

// loadToken reads a token written by saveToken.
func loadToken(path string) (*oauth2.Token, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var tok oauth2.Token
	if err := json.Unmarshal(data, &tok); err != nil {
		return nil, fmt.Errorf("%s: not a token: %s", path, credentialError(err))
	}
	if tok.RefreshToken == "" {
		return nil, fmt.Errorf("%s: the token has no refresh token", path)
	}
	return &tok, nil
}

// fileTokenSource is the single-user token: loaded from its file, refreshed
// when it expires, and written back when Google issued a new one. It reads
// the file again when it changed on disk, so that authorizing again while
// the daemon runs takes effect without a restart.
type fileTokenSource struct {
	path   string
	conf   *oauth2.Config
	ctx    context.Context
	reauth string
	log    *slog.Logger

	mu    sync.Mutex
	saved *oauth2.Token      // as last read or written
	src   oauth2.TokenSource // refreshes from saved
	stamp fileStamp
}

type fileStamp struct {
	size  int64
	mtime time.Time
}

func (f *fileTokenSource) Token() (*oauth2.Token, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fi, err := os.Stat(f.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: no token in %s; run `%s`", ErrNotAuthorized, f.path, f.reauth)
	}
	if err != nil {
		return nil, fmt.Errorf("token file: %w", err)
	}
	if st := (fileStamp{fi.Size(), fi.ModTime()}); f.src == nil || st != f.stamp {
		tok, err := loadToken(f.path)
		if err != nil {
			return nil, fmt.Errorf("%w: %w; run `%s`", ErrNotAuthorized, err, f.reauth)
		}
		f.saved, f.stamp = tok, st
		f.src = f.conf.TokenSource(f.ctx, tok)
	}
	tok, err := f.src.Token()
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.ErrorCode == "invalid_grant" {
			return nil, fmt.Errorf("%w; run `%s` again", ErrReauthorize, f.reauth)
		}
		return nil, err
	}
	if tok.AccessToken != f.saved.AccessToken || tok.RefreshToken != f.saved.RefreshToken {
		// Refreshed: persist it, so that a restart does not refresh again
		// and a rotated refresh token is not lost.
		if err := saveToken(f.path, tok); err != nil {
			// Not fatal: Google's refresh tokens outlive their refreshes.
			f.log.Warn("google: the refreshed token could not be stored", "file", f.path, "err", err)
		} else if fi, err := os.Stat(f.path); err == nil {
			f.stamp = fileStamp{fi.Size(), fi.ModTime()}
		}
		f.saved = tok
	}
	return tok, nil
}
