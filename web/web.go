// Package web serves Rapport over HTTP: the dashboard for leaders (teams
// with their coverage and bands, and each manager's pairs with every 1:1 on
// a timeline), the JSON API (/api/v1/pairs, /api/v1/teams: the parts of the
// report contract), /metrics, and the probes /healthz and /readyz.
//
// The dashboard is rendered on the server with html/template from embedded
// templates: no JavaScript, no external assets, and a Content Security
// Policy that allows nothing else. Every name and email on it comes from
// calendars or configuration and is escaped.
//
// Access: a server bound to a loopback address may run open; bound to any
// other address it requires basic authentication or a trusted header set
// by an authenticating reverse proxy, and New refuses to make it otherwise.
// The probes are always open, so that orchestrators can use them.
package web

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/rapport-dev/rapport/analyzer"
)

// BasicAuth is the one user name and password that may see the dashboard.
type BasicAuth struct {
	Username, Password string
}

// Options configure a Server.
type Options struct {
	// Listen is the host:port the server will be bound to; it decides
	// whether authentication is required.
	Listen string
	// BasicAuth, when set, is required of every request but the probes.
	BasicAuth *BasicAuth
	// TrustedHeader, when set, names a header that an authenticating
	// reverse proxy sets to the viewer's identity (e.g.
	// X-Forwarded-Email); requests without it, or with it empty, are
	// refused. Only the proxy must be able to reach the server.
	TrustedHeader string
	// Metrics serves /metrics; nil: not found.
	Metrics http.Handler
	// Ready backs /readyz: nil error means ready. Nil: always ready.
	Ready func() error
	// Logger defaults to discarding.
	Logger *slog.Logger
}

// Server is the HTTP server. Reports reach it through Publish.
type Server struct {
	opts    Options
	log     *slog.Logger
	report  atomic.Pointer[analyzer.Report]
	handler http.Handler
}

// Timeouts of the http.Server: a slow client cannot hold a connection, and
// a /metrics scrape of a large organisation has time to finish.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 60 * time.Second
	idleTimeout       = 2 * time.Minute
	maxHeaderBytes    = 64 << 10
	shutdownTimeout   = 5 * time.Second
)

// New checks the access rules and returns a Server.
func New(opts Options) (*Server, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.BasicAuth != nil && (opts.BasicAuth.Username == "" || opts.BasicAuth.Password == "") {
		return nil, errors.New("web: basic auth needs a user name and a password")
	}
	if opts.BasicAuth != nil && opts.TrustedHeader != "" {
		return nil, errors.New("web: set basic auth or a trusted header, not both")
	}
	host, _, err := net.SplitHostPort(opts.Listen)
	if err != nil {
		return nil, fmt.Errorf("web: listen %q: %w", opts.Listen, err)
	}
	if !isLoopback(host) && opts.BasicAuth == nil && opts.TrustedHeader == "" {
		return nil, fmt.Errorf("web: listen %q is reachable from other machines and would show every pair to anyone there: "+
			"set web.basic_auth or web.trusted_header, or listen on 127.0.0.1", opts.Listen)
	}
	s := &Server{opts: opts, log: opts.Logger}
	s.handler = s.routes()
	return s, nil
}

// isLoopback reports whether host names only the local machine. An empty
// host (all interfaces) does not.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Publish makes rep the report shown. rep must not be modified afterwards.
func (s *Server) Publish(rep analyzer.Report) { s.report.Store(&rep) }

// Handler returns the server's routes, with access control.
func (s *Server) Handler() http.Handler { return s.handler }

// Serve serves on ln until ctx is cancelled, then shuts down gracefully,
// giving requests under way a few seconds.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := s.httpServer(ctx)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("web: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
		return fmt.Errorf("web: shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("web: %w", err)
	}
	return nil
}

// httpServer is the http.Server of Serve, with its timeouts.
func (s *Server) httpServer(ctx context.Context) *http.Server {
	return &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		// Requests are not cut off by the signal; Shutdown waits for them.
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
}

func (s *Server) routes() http.Handler {
	open := http.NewServeMux()
	open.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	open.HandleFunc("GET /readyz", s.readyz)

	app := http.NewServeMux()
	app.HandleFunc("GET /{$}", s.overview)
	app.HandleFunc("GET /managers/{manager}", s.manager)
	app.HandleFunc("GET /api/v1/pairs", s.apiPairs)
	app.HandleFunc("GET /api/v1/teams", s.apiTeams)
	if s.opts.Metrics != nil {
		app.Handle("GET /metrics", s.opts.Metrics)
	}
	app.HandleFunc("/", s.notFound)
	open.Handle("/", s.authenticate(app))
	return securityHeaders(open)
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if s.opts.Ready != nil {
		if err := s.opts.Ready(); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintf(w, "not ready: %v\n", err)
			return
		}
	}
	fmt.Fprintln(w, "ready")
}

// viewerKey carries the trusted header's identity in a request's context.
type viewerKey struct{}

// authenticate lets a request through when it carries the configured
// credentials or trusted header.
func (s *Server) authenticate(next http.Handler) http.Handler {
	switch {
	case s.opts.BasicAuth != nil:
		wantUser := sha256.Sum256([]byte(s.opts.BasicAuth.Username))
		wantPass := sha256.Sum256([]byte(s.opts.BasicAuth.Password))
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			user, pass, ok := r.BasicAuth()
			// Hashes first: equal lengths, so the comparison's time
			// tells nothing, not even the length.
			u, p := sha256.Sum256([]byte(user)), sha256.Sum256([]byte(pass))
			good := subtle.ConstantTimeCompare(u[:], wantUser[:]) & subtle.ConstantTimeCompare(p[:], wantPass[:])
			if !ok || good != 1 {
				s.log.Debug("web: refused a request without valid credentials", "path", r.URL.Path, "remote", r.RemoteAddr)
				w.Header().Set("WWW-Authenticate", `Basic realm="Rapport", charset="UTF-8"`)
				http.Error(w, "Unauthorized", http.StatusUnauthorized)
				return
			}
			next.ServeHTTP(w, r)
		})
	case s.opts.TrustedHeader != "":
		header := s.opts.TrustedHeader
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			who := strings.TrimSpace(r.Header.Get(header))
			if who == "" {
				s.log.Debug("web: refused a request without the trusted header", "path", r.URL.Path, "remote", r.RemoteAddr)
				http.Error(w, "Forbidden: sign in through the proxy", http.StatusForbidden)
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), viewerKey{}, who)))
		})
	}
	return next
}

// securityHeaders forbids what the dashboard never does: scripts, frames,
// external assets, sniffing.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}
