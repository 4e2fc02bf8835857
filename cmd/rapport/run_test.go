package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe to write from the daemon while the
// test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// freeAddr returns a loopback address with a port free right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// started runs the command in the background; stop cancels it and
// returns its error and how long it took to stop.
func started(t *testing.T, args ...string) (stderr *syncBuffer, stop func() (error, time.Duration)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stderr = &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, io.Discard, stderr) }()
	var once sync.Once
	var err error
	var took time.Duration
	stop = func() (error, time.Duration) {
		once.Do(func() {
			start := time.Now()
			cancel()
			select {
			case err = <-done:
			case <-time.After(30 * time.Second):
				t.Fatalf("%s did not stop\n%s", args[0], stderr)
			}
			took = time.Since(start)
		})
		return err, took
	}
	t.Cleanup(func() { stop() })
	return stderr, stop
}

// fetch GETs url with an optional basic-auth password.
func fetch(t *testing.T, url, password string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if password != "" {
		req.SetBasicAuth("leader", password)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// eventually polls until ok or fails after a deadline; the daemon runs on
// the wall clock here, as in production.
func eventually(t *testing.T, what string, stderr *syncBuffer, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("never %s\n%s", what, stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestRunServesSyncsReloadsAndStops(t *testing.T) {
	addr := freeAddr(t)
	cfg := writeConfig(t, "listen: "+addr+"\n")
	stderr, stop := started(t, "run", "--config", cfg)
	base := "http://" + addr

	eventually(t, "alive", stderr, func() bool { code, _ := fetch(t, base+"/healthz", ""); return code == 200 })
	eventually(t, "ready", stderr, func() bool { code, _ := fetch(t, base+"/readyz", ""); return code == 200 })

	if code, body := fetch(t, base+"/", ""); code != 200 || !strings.Contains(body, "platform") {
		t.Errorf("dashboard: %d\n%s", code, body)
	}
	if code, body := fetch(t, base+"/managers/alice@example.com", ""); code != 200 || !strings.Contains(body, "bob@example.com") {
		t.Errorf("drill-down: %d\n%s", code, body)
	}
	if code, body := fetch(t, base+"/api/v1/pairs", ""); code != 200 || !strings.Contains(body, `"report": "bob@example.com"`) {
		t.Errorf("API: %d\n%s", code, body)
	}
	_, m := fetch(t, base+"/metrics", "")
	for _, want := range []string{
		`rapport_source_last_sync_successful{source="alice"} 1`,
		`rapport_manager_pairs{band=`,
		`rapport_config_last_reload_successful 1`,
		`rapport_build_info{`,
		`go_goroutines `,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if strings.Contains(m, "rapport_pair_health_score") {
		t.Error("per-pair series at the default granularity, manager")
	}

	// An invalid configuration is refused and counted; the daemon goes on.
	valid, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, append(valid, []byte("metrics: {labels: everything}\n")...), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	eventually(t, "counted the failed reload", stderr, func() bool {
		_, m := fetch(t, base+"/metrics", "")
		return strings.Contains(m, `rapport_config_reloads_total{result="failure"} 1`) && strings.Contains(m, "rapport_config_last_reload_successful 0")
	})
	if !strings.Contains(stderr.String(), "metrics.labels") || !strings.Contains(stderr.String(), "keeping the current one") {
		t.Errorf("the log does not explain the refused reload:\n%s", stderr)
	}
	if code, _ := fetch(t, base+"/readyz", ""); code != 200 {
		t.Errorf("not ready after a refused reload: %d", code)
	}

	// A valid one applies: per-pair series appear.
	if err := os.WriteFile(cfg, append(valid, []byte("metrics: {labels: pair}\n")...), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	eventually(t, "applied the reload", stderr, func() bool {
		_, m := fetch(t, base+"/metrics", "")
		return strings.Contains(m, `rapport_pair_health_score{manager="alice@example.com",report="bob@example.com",team="platform"}`) &&
			strings.Contains(m, "rapport_config_last_reload_successful 1")
	})

	err, took := stop()
	if err != nil {
		t.Errorf("run: %v\n%s", err, stderr)
	}
	if took > 10*time.Second {
		t.Errorf("took %s to stop, over the 10 s deadline", took)
	}
	if code, _ := fetch(t, base+"/healthz", ""); code != 0 {
		t.Errorf("still serving after stop: %d", code)
	}
}

func TestRunRequiresAuthenticationBeyondLoopback(t *testing.T) {
	port := strings.TrimPrefix(freeAddr(t), "127.0.0.1:")
	t.Run("without authentication it refuses to start", func(t *testing.T) {
		cfg := writeConfig(t, "listen: 0.0.0.0:"+port+"\n")
		_, stderr, code := runCmd(t, "run", "--config", cfg)
		if code != 2 || !strings.Contains(stderr, "web.basic_auth or web.trusted_header") {
			t.Errorf("exit %d: %s", code, stderr)
		}
	})
	t.Run("with basic auth it serves to the right password only", func(t *testing.T) {
		dir := t.TempDir()
		secret := filepath.Join(dir, "web_password")
		if err := os.WriteFile(secret, []byte("s3cret\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg := writeConfig(t, "listen: 0.0.0.0:"+port+"\nweb: {basic_auth: {username: leader, password_file: "+secret+"}}\n")
		stderr, _ := started(t, "run", "--config", cfg)
		base := "http://127.0.0.1:" + port
		eventually(t, "alive", stderr, func() bool { code, _ := fetch(t, base+"/healthz", ""); return code == 200 })
		for _, tc := range []struct {
			path, password string
			want           int
		}{
			{"/", "", 401}, {"/", "guess", 401}, {"/metrics", "", 401}, {"/api/v1/teams", "", 401},
			{"/metrics", "s3cret", 200}, {"/readyz", "", 0}, {"/healthz", "", 200},
		} {
			code, _ := fetch(t, base+tc.path, tc.password)
			if tc.want != 0 && code != tc.want {
				t.Errorf("GET %s with password %q: %d, want %d", tc.path, tc.password, code, tc.want)
			}
		}
	})
}

func TestHealthcheck(t *testing.T) {
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	defer ok.Close()
	sick := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "not ready", http.StatusServiceUnavailable)
	}))
	defer sick.Close()
	for _, tc := range []struct {
		name string
		args []string
		code int
		out  string
	}{
		{"a 2xx answer is healthy", []string{"--url", ok.URL}, 0, "healthy: 200 OK"},
		{"a 503 answer is unhealthy", []string{"--url", sick.URL}, 1, "503"},
		{"no answer is unhealthy", []string{"--url", "http://" + freeAddr(t) + "/healthz", "--timeout", "2s"}, 1, "connection refused"},
		{"a bad flag is a usage error", []string{"--nope"}, 2, "flag provided but not defined"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, stderr, code := runCmd(t, append([]string{"healthcheck"}, tc.args...)...)
			if code != tc.code || !strings.Contains(out+stderr, tc.out) {
				t.Errorf("exit %d, out %q, err %q; want exit %d with %q", code, out, stderr, tc.code, tc.out)
			}
		})
	}
}

func TestDemoServesTheDashboardUnlessOnce(t *testing.T) {
	t.Run("served", func(t *testing.T) {
		addr := freeAddr(t)
		stderr, stop := started(t, "demo", "--listen", addr, "--dir", t.TempDir(), "--outbox", t.TempDir(), "--interval", "1h", "--now", "2026-03-02T09:00:00Z")
		base := "http://" + addr
		eventually(t, "serving the demo", stderr, func() bool { code, _ := fetch(t, base+"/", ""); return code == 200 })
		if !strings.Contains(stderr.String(), "dashboard at http://"+addr+"/") {
			t.Errorf("the URL is not printed:\n%s", stderr)
		}
		if _, body := fetch(t, base+"/", ""); !strings.Contains(body, "mobile") || !strings.Contains(body, "sophie@example.com") {
			t.Errorf("the demo dashboard lacks the demo teams:\n%s", body)
		}
		if _, m := fetch(t, base+"/metrics", ""); !strings.Contains(m, `rapport_pair_band{band="at_risk"`) {
			t.Errorf("the demo's metrics lack per-pair series:\n%.2000s", m)
		}
		if err, _ := stop(); err != nil {
			t.Errorf("demo: %v", err)
		}
	})
	t.Run("not served with --once", func(t *testing.T) {
		addr := freeAddr(t)
		_, stderr, code := runCmd(t, "demo", "--once", "--listen", addr, "--dir", t.TempDir(), "--outbox", t.TempDir(), "--now", "2026-03-02T09:00:00Z")
		if code != 0 || strings.Contains(stderr, "dashboard at") {
			t.Errorf("exit %d: %s", code, stderr)
		}
	})
	t.Run("refused beyond loopback, the demo has no password", func(t *testing.T) {
		_, stderr, code := runCmd(t, "demo", "--listen", "0.0.0.0:"+strings.Split(freeAddr(t), ":")[1], "--dir", t.TempDir(), "--outbox", t.TempDir(), "--now", "2026-03-02T09:00:00Z")
		if code != 2 || !strings.Contains(stderr, "--listen") {
			t.Errorf("exit %d: %s", code, stderr)
		}
	})
}

func TestRunUsage(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no configuration", []string{"run"}, "--config is required"},
		{"a stray argument", []string{"run", "--config", "x.yml", "extra"}, `unexpected argument "extra"`},
		{"a missing file", []string{"run", "--config", filepath.Join(t.TempDir(), "nope.yml")}, "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := runCmd(t, tc.args...)
			if code != 2 || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d: %s", code, stderr)
			}
		})
	}
}
