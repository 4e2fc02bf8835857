package notifier

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/rapport-dev/rapport/config"
	"github.com/rapport-dev/rapport/retry"
)

// testCert is a self-signed certificate for 127.0.0.1 and localhost, made
// once per test binary (a server restarted on the same address keeps it),
// and a pool that trusts it.
func testCert(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	certOnce.Do(func() { certShared, poolShared, errShared = makeCert() })
	if errShared != nil {
		t.Fatal(errShared)
	}
	return certShared, poolShared
}

var (
	certOnce   sync.Once
	certShared tls.Certificate
	poolShared *x509.CertPool
	errShared  error
)

func makeCert() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "rapport test smtp"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, pool, nil
}

const (
	smtpUser     = "rapport"
	smtpPassword = "s3cret"
)

// received is one message the test server accepted.
type received struct {
	from   string
	to     []string
	data   []byte
	tls    bool
	authed string
}

// mailServer is a real SMTP server (emersion/go-smtp) in the test process:
// AUTH PLAIN, only over TLS (STARTTLS, or implicit TLS).
type mailServer struct {
	t    *testing.T
	srv  *smtp.Server
	addr string
	pool *x509.CertPool

	mu   sync.Mutex
	msgs []received
	// fail, when set, answers a stage ("mail", "rcpt", "data") with an error.
	fail func(stage string) error
}

type serverMode int

const (
	startTLS serverMode = iota
	implicitTLS
	plainOnly // no TLS at all
)

// startServer listens on addr ("127.0.0.1:0" for any port).
func startServer(t *testing.T, mode serverMode, addr string) *mailServer {
	t.Helper()
	cert, pool := testCert(t)
	s := &mailServer{t: t, pool: pool}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{s: s, conn: c}, nil
	}))
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.MaxMessageBytes = 1 << 20
	srv.ErrorLog = testLogger{}
	var ln net.Listener
	var err error
	tlsConfig := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	switch mode {
	case startTLS:
		srv.TLSConfig = tlsConfig
		ln, err = net.Listen("tcp", addr)
	case implicitTLS:
		srv.TLSConfig = tlsConfig
		ln, err = tls.Listen("tcp", addr, tlsConfig)
	case plainOnly:
		srv.AllowInsecureAuth = true
		ln, err = net.Listen("tcp", addr)
	}
	if err != nil {
		t.Fatal(err)
	}
	s.srv, s.addr = srv, ln.Addr().String()
	go srv.Serve(ln)
	t.Cleanup(func() { s.stop() })
	return s
}

type testLogger struct{}

func (testLogger) Printf(string, ...any) {}
func (testLogger) Println(...any)        {}

func (s *mailServer) stop() { s.srv.Close() }

func (s *mailServer) received() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.msgs...)
}

func (s *mailServer) failing(stage string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail(stage)
	}
	return nil
}

// sender is an SMTP sender for this server.
func (s *mailServer) sender(t *testing.T, mode string) *SMTP {
	t.Helper()
	host, port, _ := net.SplitHostPort(s.addr)
	p := 0
	for _, c := range port {
		p = p*10 + int(c-'0')
	}
	snd, err := NewSMTP(SMTPConfig{Host: host, Port: p, TLS: mode, Username: smtpUser, Password: smtpPassword,
		TLSConfig: &tls.Config{RootCAs: s.pool}, Timeout: 5 * time.Second, HELO: "rapport.test"})
	if err != nil {
		t.Fatal(err)
	}
	return snd
}

type session struct {
	s      *mailServer
	conn   *smtp.Conn
	authed string
	cur    received
}

func (x *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (x *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != smtpUser || password != smtpPassword {
			return errors.New("invalid credentials")
		}
		x.authed = username
		return nil
	}), nil
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	if x.authed == "" {
		return smtp.ErrAuthRequired
	}
	if err := x.s.failing("mail"); err != nil {
		return err
	}
	_, isTLS := x.conn.TLSConnectionState()
	x.cur = received{from: from, tls: isTLS, authed: x.authed}
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if err := x.s.failing("rcpt"); err != nil {
		return err
	}
	x.cur.to = append(x.cur.to, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if err := x.s.failing("data"); err != nil {
		return err
	}
	x.cur.data = data
	x.s.mu.Lock()
	x.s.msgs = append(x.s.msgs, x.cur)
	x.s.mu.Unlock()
	x.cur = received{}
	return nil
}

func (x *session) Reset()        { x.cur = received{} }
func (x *session) Logout() error { return nil }

func hostileMessage(t *testing.T) Message {
	ex := hostileExample(t)
	r, err := DefaultTemplates().Render(ex.Email, ex.Context)
	if err != nil {
		t.Fatal(err)
	}
	return newMessage(ex.Email, r, ex.Context.From, ex.Context.Directory.Name(exManager))
}

func TestSMTPDeliversAMultipartMessageOverTLSWithAuthAndCleanHeaders(t *testing.T) {
	for _, c := range []struct {
		name string
		mode serverMode
		tls  string
	}{
		{"STARTTLS", startTLS, config.TLSStartTLS},
		{"implicit TLS", implicitTLS, config.TLSImplicit},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := startServer(t, c.mode, "127.0.0.1:0")
			m := hostileMessage(t)
			if err := srv.sender(t, c.tls).Send(context.Background(), m); err != nil {
				t.Fatal(err)
			}
			got := srv.received()
			if len(got) != 1 {
				t.Fatalf("%d messages received, want 1", len(got))
			}
			r := got[0]
			if !r.tls || r.authed != smtpUser {
				t.Errorf("tls %v, authenticated as %q: want both", r.tls, r.authed)
			}
			if r.from != "rapport@example.com" || len(r.to) != 1 || r.to[0] != exManager {
				t.Errorf("envelope from %q to %v: want rapport@example.com to only %s (no Bcc from a title)", r.from, r.to, exManager)
			}
			msg, err := mail.ReadMessage(bytes.NewReader(r.data))
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range []string{"Bcc", "Cc"} {
				if v := msg.Header.Get(h); v != "" {
					t.Errorf("header %s: %q", h, v)
				}
			}
			// Every header line is one Rapport writes, or the folded
			// continuation of one: the title's CRLF made no header of its own.
			known := map[string]bool{"auto-submitted": true, "date": true, "mime-version": true, "message-id": true,
				"subject": true, "x-auto-response-suppress": true, "x-rapport-kind": true, "list-unsubscribe": true,
				"from": true, "to": true, "content-type": true}
			for _, line := range strings.Split(string(r.data[:bytes.Index(r.data, []byte("\r\n\r\n"))]), "\r\n") {
				if strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t") {
					continue
				}
				name, _, _ := strings.Cut(line, ":")
				if !known[strings.ToLower(name)] {
					t.Errorf("unexpected header line %q", line)
				}
			}
			if id := msg.Header.Get("Message-Id"); id != "<"+m.ID+">" {
				t.Errorf("Message-ID %q, want <%s>", id, m.ID)
			}
			if u := msg.Header.Get("List-Unsubscribe"); u != "<mailto:rapport@example.com?subject=unsubscribe>" {
				t.Errorf("List-Unsubscribe %q", u)
			}
			text, html := checkMultipart(t, msg)
			if !strings.Contains(html, "&lt;script&gt;") || strings.Contains(html, "<script>") {
				t.Error("the HTML part does not escape the hostile title")
			}
			if !strings.Contains(text, "Why it matters:") || !strings.Contains(text, "rapport snooze --pair") {
				t.Errorf("the text part lacks its explanation or footer:\n%s", text)
			}
		})
	}
}

func TestSMTPWillNotSendWithoutTLSWhenSTARTTLSIsRequired(t *testing.T) {
	srv := startServer(t, plainOnly, "127.0.0.1:0")
	err := srv.sender(t, config.TLSStartTLS).Send(context.Background(), hostileMessage(t))
	if err == nil || len(srv.received()) != 0 {
		t.Fatalf("sent in the clear: err %v, %d received", err, len(srv.received()))
	}
	if retry.IsPermanent(err) {
		t.Errorf("a server without STARTTLS is a permanent error for every message: %v; want it retried (it may be fixed)", err)
	}
}

func TestSMTPRefusalsArePermanentAndHiccupsAreNot(t *testing.T) {
	for _, c := range []struct {
		name      string
		stage     string
		err       error
		permanent bool
	}{
		{"550 no such recipient", "rcpt", &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}, true},
		{"554 message refused", "data", &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "content refused"}, true},
		{"421 try again later", "mail", &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "busy"}, false},
		{"451 local error", "data", &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "disk full"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := startServer(t, startTLS, "127.0.0.1:0")
			srv.fail = func(stage string) error {
				if stage == c.stage {
					return c.err
				}
				return nil
			}
			err := srv.sender(t, config.TLSStartTLS).Send(context.Background(), hostileMessage(t))
			if err == nil {
				t.Fatal("no error")
			}
			if retry.IsPermanent(err) != c.permanent {
				t.Errorf("permanent = %v, want %v: %v", retry.IsPermanent(err), c.permanent, err)
			}
		})
	}
	t.Run("wrong password", func(t *testing.T) {
		srv := startServer(t, startTLS, "127.0.0.1:0")
		snd := srv.sender(t, config.TLSStartTLS)
		snd.cfg.Password = "wrong"
		err := snd.Send(context.Background(), hostileMessage(t))
		if err == nil || retry.IsPermanent(err) {
			t.Errorf("err = %v; want a retried error (fixing the password should not lose mail)", err)
		}
	})
}

func TestSMTPConfigIsChecked(t *testing.T) {
	for _, c := range []SMTPConfig{
		{Port: 587, TLS: "starttls"},
		{Host: "h", Port: 0, TLS: "starttls"},
		{Host: "h", Port: 587, TLS: "ssl"},
	} {
		if _, err := NewSMTP(c); err == nil {
			t.Errorf("NewSMTP(%+v) accepted", c)
		}
	}
}
