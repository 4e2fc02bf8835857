package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/rapport-dev/rapport/analyzer"
	"github.com/rapport-dev/rapport/config"
	"github.com/rapport-dev/rapport/daemon"
	"github.com/rapport-dev/rapport/metrics"
	"github.com/rapport-dev/rapport/notifier"
	"github.com/rapport-dev/rapport/store"
	"github.com/rapport-dev/rapport/web"
)

// runDaemon is `rapport run`: the scheduler, the metrics and the web
// server, until SIGINT or SIGTERM; SIGHUP reloads the configuration.
func runDaemon(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfgPath string
	fs := newFlagSet("run", "--config FILE", stderr)
	fs.StringVar(&cfgPath, "config", "", "configuration file")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("run: unexpected argument %q", fs.Arg(0))
	}
	cfg, err := loadConfig(cfgPath)
	if err != nil {
		return err
	}
	logger := daemonLogger(stderr)

	reg := prometheus.NewRegistry()
	m, err := newMetrics(reg)
	if err != nil {
		return err
	}
	var d *daemon.Daemon
	srv, err := web.New(webOptions(cfg, reg, m, func() error { return d.Ready() }, logger))
	if err != nil {
		return usageError{err} // the configuration exposes the dashboard without authentication
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	st, err := openStore(ctx, cfg.State, logger)
	if err != nil {
		ln.Close()
		return err
	}
	defer st.Close()

	first := cfg
	load := func(ctx context.Context) (daemon.Plan, error) {
		c := first
		first = nil
		if c == nil {
			var err error
			if c, err = config.Load(cfgPath, os.LookupEnv); err != nil {
				return daemon.Plan{}, err
			}
			warnRestartNeeded(cfg, c, logger)
		}
		return planFrom(ctx, c, cfgPath, st, logger, m, srv)
	}
	d, err = daemon.New(daemon.Options{Store: st, Load: load, Logger: logger, Observer: m})
	if err != nil {
		ln.Close()
		return err
	}

	reload := make(chan struct{}, 1)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for range hup {
			select {
			case reload <- struct{}{}:
			default: // a reload is already pending
			}
		}
	}()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	served := make(chan error, 1)
	go func() {
		err := srv.Serve(ctx, ln)
		cancel() // a server that cannot serve stops the daemon too
		served <- err
	}()
	logger.Info("rapport started", "version", buildVersion(), "listen", ln.Addr().String(), "config", cfgPath)
	runErr := d.Run(ctx, reload)
	cancel()
	return errors.Join(runErr, <-served)
}

// newMetrics registers Rapport's metrics, Go's and the process's on reg.
func newMetrics(reg *prometheus.Registry) (*metrics.Metrics, error) {
	if err := reg.Register(collectors.NewGoCollector()); err != nil {
		return nil, err
	}
	if err := reg.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})); err != nil {
		return nil, err
	}
	return metrics.New(reg, buildInfo())
}

func buildInfo() metrics.Build {
	b := metrics.Build{Version: buildVersion(), GoVersion: runtime.Version()}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" {
				b.Revision = s.Value
			}
		}
	}
	return b
}

// webOptions maps the configuration's listen and web keys onto the
// server's options.
func webOptions(cfg *config.Config, reg *prometheus.Registry, m *metrics.Metrics, ready func() error, logger *slog.Logger) web.Options {
	opts := web.Options{
		Listen:        cfg.Listen,
		TrustedHeader: cfg.Web.TrustedHeader,
		Metrics:       metrics.Handler(reg, m.Findings, logger),
		Ready:         ready,
		Logger:        logger,
	}
	if b := cfg.Web.BasicAuth; b.Username != "" {
		opts.BasicAuth = &web.BasicAuth{Username: b.Username, Password: b.Password.Reveal()}
	}
	return opts
}

// planFrom turns a configuration into what the daemon runs.
func planFrom(ctx context.Context, cfg *config.Config, cfgPath string, st *store.Store, logger *slog.Logger, m *metrics.Metrics, srv *web.Server) (daemon.Plan, error) {
	client := func(provider string) *http.Client {
		return &http.Client{Transport: m.RoundTripper(provider, nil)}
	}
	sources, err := sourcesFrom(cfg, cfgPath, client, logger)
	if err != nil {
		return daemon.Plan{}, err
	}
	org, err := orgFor(ctx, cfg, cfgPath, client, logger)
	if err != nil {
		// The directory is an addition: without it the configured teams
		// are still analyzed, and the next reload tries again.
		logger.Warn("reading the directory failed; using the configured teams", "err", err)
	}
	view := metrics.View{Labels: cfg.Metrics.Labels, Org: org, PrivacyMinGroup: cfg.Org.PrivacyMinGroup}
	p := daemon.Plan{
		Org:       org,
		Settings:  settingsFrom(cfg),
		Retention: time.Duration(cfg.Retention),
		Publishers: []daemon.Publisher{
			daemon.PublishFunc(func(rep analyzer.Report) { m.UpdateFindings(rep, view) }),
			srv,
		},
	}
	if emailEnabled(cfg) {
		n, err := configNotifier(cfg, st, int(time.Duration(cfg.Window)/(24*time.Hour)), logger)
		if err != nil {
			return daemon.Plan{}, err
		}
		p.Notifier = &daemonNotifier{n: n, st: st, org: org, counts: m}
	}
	for i, src := range sources {
		sc := cfg.Sources[i]
		p.Sources = append(p.Sources, daemon.Source{Source: src, Interval: time.Duration(sc.Interval), Version: fingerprint(sc)})
	}
	return p, nil
}

// fingerprint changes when anything in a source's configuration does,
// secrets included; it is a hash, never shown.
func fingerprint(sc config.Source) string {
	h := sha256.New()
	fmt.Fprintf(h, "%#v\x00%s\x00%s\x00%s", sc, sc.Password.Reveal(), sc.Token.Reveal(), sc.Credentials.Reveal())
	return hex.EncodeToString(h.Sum(nil))
}

// warnRestartNeeded logs the keys a reload does not apply.
func warnRestartNeeded(running, next *config.Config, logger *slog.Logger) {
	if running.Listen != next.Listen {
		logger.Warn("listen changed; restart to apply", "running", running.Listen, "configured", next.Listen)
	}
	if running.State != next.State {
		logger.Warn("state changed; restart to apply", "running", running.State, "configured", next.State)
	}
	if running.Web.TrustedHeader != next.Web.TrustedHeader || running.Web.BasicAuth.Username != next.Web.BasicAuth.Username ||
		running.Web.BasicAuth.Password.Reveal() != next.Web.BasicAuth.Password.Reveal() {
		logger.Warn("web access settings changed; restart to apply")
	}
}

// daemonLogger logs to stderr at info level; RAPPORT_LOG_LEVEL changes it.
func daemonLogger(stderr io.Writer) *slog.Logger {
	level := slog.LevelInfo
	if v := os.Getenv("RAPPORT_LOG_LEVEL"); v != "" {
		_ = level.UnmarshalText([]byte(v))
	}
	return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
}

// runHealthcheck is `rapport healthcheck`: exit status 0 when the URL
// answers 2xx, 1 otherwise. Distroless images have no curl; Docker's
// HEALTHCHECK runs this.
func runHealthcheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	target := "http://127.0.0.1:9464/healthz"
	timeout := 5 * time.Second
	fs := newFlagSet("healthcheck", "[--url URL] [--timeout D]", stderr)
	fs.StringVar(&target, "url", target, "URL that must answer 2xx")
	fs.DurationVar(&timeout, "timeout", timeout, "how long to wait for the answer")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("healthcheck: unexpected argument %q", fs.Arg(0))
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return usagef("healthcheck: --url: %v", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("healthcheck: %s: %s", target, resp.Status)
	}
	_, err = fmt.Fprintf(stdout, "healthy: %s\n", resp.Status)
	return err
}

// demoServer serves the demo's dashboard, API and metrics.
type demoServer struct {
	srv      *web.Server
	m        *metrics.Metrics
	view     metrics.View
	cancel   context.CancelFunc
	finished chan error
}

// checkDemoListen refuses, before any work, a --listen address the demo
// could not serve on without credentials.
func checkDemoListen(listen string, once bool) error {
	if once {
		return nil
	}
	if _, err := web.New(web.Options{Listen: listen}); err != nil {
		return usagef("demo: --listen: %v", err)
	}
	return nil
}

// serveDemo starts the web server of `rapport demo` on listen and prints
// its URL. The demo has no credentials, so listen must be loopback.
func serveDemo(ctx context.Context, listen string, org analyzer.Org, logger *slog.Logger, stderr io.Writer) (*demoServer, error) {
	reg := prometheus.NewRegistry()
	m, err := newMetrics(reg)
	if err != nil {
		return nil, err
	}
	cfg := config.Default()
	cfg.Listen = listen
	srv, err := web.New(webOptions(cfg, reg, m, nil, logger))
	if err != nil {
		return nil, usagef("demo: --listen: %v", err)
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	m.Configured(nil, nil, time.Now())
	ctx, cancel := context.WithCancel(ctx)
	s := &demoServer{srv: srv, m: m, cancel: cancel, finished: make(chan error, 1),
		view: metrics.View{Labels: metrics.LabelsPair, Org: org, PrivacyMinGroup: cfg.Org.PrivacyMinGroup}}
	go func() { s.finished <- srv.Serve(ctx, ln) }()
	fmt.Fprintf(stderr, "rapport demo: dashboard at http://%s/ (metrics at /metrics, API at /api/v1/pairs)\n", ln.Addr())
	return s, nil
}

// publish shows a new report.
func (s *demoServer) publish(rep analyzer.Report) {
	s.srv.Publish(rep)
	s.m.UpdateFindings(rep, s.view)
}

// stop shuts the server down and waits for it.
func (s *demoServer) stop() error {
	s.cancel()
	return <-s.finished
}

// daemonNotifier runs the notifier after each analysis and counts what it
// delivered.
type daemonNotifier struct {
	n      *notifier.Notifier
	st     *store.Store
	org    analyzer.Org
	counts interface {
		EmailSent()
		EmailFailed()
	}

	// The directory of names and titles is read from the whole store; names
	// change rarely, so it is read again at most every directoryTTL rather
	// than on every analysis of a large organisation.
	dir     notifier.Directory
	dirRead time.Time
}

const directoryTTL = time.Hour

func (d *daemonNotifier) Notify(ctx context.Context, rep analyzer.Report, now time.Time) error {
	if d.dirRead.IsZero() || now.Sub(d.dirRead) >= directoryTTL {
		dir, err := directory(ctx, d.st)
		if err != nil {
			return err
		}
		d.dir, d.dirRead = dir, now
	}
	res, err := d.n.Cycle(ctx, notifier.Findings{Report: rep, Org: d.org, Directory: d.dir}, now)
	for range res.Sent {
		d.counts.EmailSent()
	}
	for range res.Failed {
		d.counts.EmailFailed()
	}
	return err
}
