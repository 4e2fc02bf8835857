package caldav_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rapport-dev/rapport/internal/itest"
)

// davServer is a real CalDAV server started for a test on a random
// loopback port, with its storage in a temporary directory.
type davServer struct {
	kind string // "radicale" or "xandikos"
	base string // "http://127.0.0.1:PORT"
	dir  string // the storage directory
	// user and password are what the source sends. Radicale runs with
	// --auth-type=none, which takes any password but still needs a user
	// to know whose principal /user/ is; Xandikos has no authentication
	// and ignores them.
	user, password string
	// homePath is the calendar home, e.g. "/alice/".
	homePath string
}

// serverKinds are the servers the integration tests run against.
var serverKinds = []string{"radicale", "xandikos"}

func startServer(t testing.TB, kind string) *davServer {
	t.Helper()
	switch kind {
	case "radicale":
		return startRadicale(t)
	case "xandikos":
		return startXandikos(t)
	}
	t.Fatalf("unknown server %q", kind)
	return nil
}

// startRadicale runs Radicale with no config file (Debian's would ask for
// remote_user authentication), any password taken, and every
// authenticated user allowed everywhere.
func startRadicale(t testing.TB) *davServer {
	t.Helper()
	bin := itest.Require(t, "radicale", "apt-get install radicale")
	dir := t.TempDir()
	d := &davServer{kind: "radicale", dir: dir, user: "alice", password: "not-a-secret", homePath: "/alice/"}
	d.base = run(t, bin, func(port int) []string {
		return []string{"--config", "", "--storage-filesystem-folder=" + filepath.Join(dir, "storage"),
			fmt.Sprintf("--server-hosts=127.0.0.1:%d", port), "--auth-type=none",
			"--rights-type=authenticated", "--logging-level=warning"}
	}, d)
	return d
}

// startXandikos runs Xandikos with its principal /user/ created.
func startXandikos(t testing.TB) *davServer {
	t.Helper()
	bin := itest.Require(t, "xandikos", "apt-get install xandikos")
	dir := t.TempDir()
	d := &davServer{kind: "xandikos", dir: dir, user: "alice", password: "not-a-secret", homePath: "/user/calendars/"}
	d.base = run(t, bin, func(port int) []string {
		return []string{"--autocreate", "-d", dir, "-l", "127.0.0.1", "-p", fmt.Sprint(port)}
	}, d)
	return d
}

// run starts a server on a free port and waits until it answers. A port
// taken between choosing and binding it makes the server exit: another
// port is tried.
func run(t testing.TB, bin string, args func(port int) []string, d *davServer) string {
	t.Helper()
	var lastLog string
	for try := 0; try < 3; try++ {
		port := freePort(t)
		log := &syncWriter{w: &bytes.Buffer{}}
		cmd := exec.Command(bin, args(port)...)
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Start(); err != nil {
			t.Fatalf("start %s: %v", bin, err)
		}
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		stop := func() {
			_ = cmd.Process.Kill() // the process this test started, by its own handle
			<-exited
		}
		base := fmt.Sprintf("http://127.0.0.1:%d", port)
		if waitReady(base, d, exited, 30*time.Second) {
			t.Cleanup(func() {
				stop()
				if t.Failed() && testing.Verbose() {
					t.Logf("%s log:\n%s", d.kind, clipLog(log.String()))
				}
			})
			return base
		}
		stop()
		lastLog = log.String()
	}
	t.Fatalf("%s did not start; its log:\n%s", d.kind, clipLog(lastLog))
	return ""
}

func clipLog(s string) string {
	if len(s) > 8000 {
		return "…" + s[len(s)-8000:]
	}
	return s
}

// syncWriter is a server's log, written by its process while a test may
// read it.
type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.String()
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// waitReady polls the server's calendar home until it answers a PROPFIND.
func waitReady(base string, d *davServer, exited <-chan struct{}, patience time.Duration) bool {
	deadline := time.Now().Add(patience)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return false
		default:
		}
		req, _ := http.NewRequest("PROPFIND", base+d.homePath, strings.NewReader(`<?xml version="1.0"?><propfind xmlns="DAV:"><prop><resourcetype/></prop></propfind>`))
		req.Header.Set("Depth", "0")
		req.Header.Set("Content-Type", "application/xml")
		req.SetBasicAuth(d.user, d.password)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusMultiStatus {
				return true
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

// calendarURL is the URL of the named calendar in the home.
func (d *davServer) calendarURL(name string) string { return d.base + d.homePath + name + "/" }

// do makes one request as the test's own client (never the source's).
func (d *davServer) do(t testing.TB, method, url, ctype string, body []byte, want ...int) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.SetBasicAuth(d.user, d.password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	for _, w := range want {
		if resp.StatusCode == w {
			return
		}
	}
	t.Fatalf("%s %s: %s %s", method, url, resp.Status, msg)
}

// mkcalendar creates a calendar for events (RFC 4791 §5.3.1).
func (d *davServer) mkcalendar(t testing.TB, name, displayName string) string {
	t.Helper()
	body := fmt.Sprintf(`<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop>
<D:displayname>%s</D:displayname>
<C:supported-calendar-component-set><C:comp name="VEVENT"/></C:supported-calendar-component-set>
</D:prop></D:set></C:mkcalendar>`, displayName)
	u := d.calendarURL(name)
	d.do(t, "MKCALENDAR", u, "application/xml; charset=utf-8", []byte(body), http.StatusCreated)
	return u
}

// put stores one calendar object.
func (d *davServer) put(t testing.TB, calURL, name string, data []byte) {
	t.Helper()
	d.do(t, http.MethodPut, calURL+name, "text/calendar; charset=utf-8", data, http.StatusCreated, http.StatusNoContent, http.StatusOK)
}

// remove deletes one calendar object.
func (d *davServer) remove(t testing.TB, calURL, name string) {
	t.Helper()
	d.do(t, http.MethodDelete, calURL+name, "", nil, http.StatusOK, http.StatusNoContent)
}

// counter is an http.RoundTripper that counts requests and bytes both
// ways, so that tests can hold the source to its request budget.
type counter struct {
	next              http.RoundTripper
	requests          atomic.Int64
	sent, received    atomic.Int64
	mu                sync.Mutex
	methods           []string
	withAuthorization atomic.Int64
}

func newCounter() *counter { return &counter{next: http.DefaultTransport} }

func (c *counter) RoundTrip(req *http.Request) (*http.Response, error) {
	c.requests.Add(1)
	if req.Header.Get("Authorization") != "" {
		c.withAuthorization.Add(1)
	}
	c.mu.Lock()
	c.methods = append(c.methods, req.Method+" "+req.URL.Path)
	c.mu.Unlock()
	if req.ContentLength > 0 {
		c.sent.Add(req.ContentLength)
	}
	resp, err := c.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resp.Body = &countingBody{ReadCloser: resp.Body, n: &c.received}
	return resp, nil
}

// reset zeroes the counts and returns the requests made since the last
// reset.
func (c *counter) reset() (requests int64, methods []string) {
	c.mu.Lock()
	methods, c.methods = c.methods, nil
	c.mu.Unlock()
	c.sent.Store(0)
	c.received.Store(0)
	return c.requests.Swap(0), methods
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

// writeFile writes a file, creating its directory.
func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
