package notifier

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/rapport-dev/rapport/analyzer"
	"github.com/rapport-dev/rapport/config"
	"github.com/rapport-dev/rapport/retry"
	"github.com/rapport-dev/rapport/store"
)

var _ Store = (*store.Store)(nil)

func openTestStore(t *testing.T, path string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// noSleep keeps retries within a cycle instant.
func noSleep(ctx context.Context, _ time.Duration) error { return ctx.Err() }

func newTestNotifier(t *testing.T, st Store, snd Sender) *Notifier {
	t.Helper()
	n, err := New(Options{
		Policy: Policy{DigestDay: time.Monday, DigestAt: 9 * 60, BackOnTrack: true},
		From:   "Rapport <rapport@example.com>",
		Store:  st, Sender: snd,
		Retry:   retry.Policy{Attempts: 2, Sleep: noSleep},
		Backoff: retry.Policy{Base: 5 * time.Minute, Max: 30 * time.Minute, Rand: func() float64 { return 0.5 }},
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// findings: Mia's two reports drift, Noah's one; Mia's 1:1 has a hostile
// title.
func findings() Findings {
	org := analyzer.Org{Teams: []analyzer.Team{
		{Name: "web", Manager: mgr, Reports: []string{ann, ben}},
		{Name: "app", Manager: mgr2, Reports: []string{cat}},
	}}
	a := inTeam(pair(mgr, ann, "skip_rate"), "web")
	a.Occurrences = []analyzer.Occurrence{{UID: "ann-1on1", Planned: day0.AddDate(0, 0, -7), Fate: analyzer.FateSkipped}}
	pairs := []analyzer.PairReport{a, inTeam(pair(mgr, ben, "no_agenda", "overdue"), "web"), inTeam(pair(mgr2, cat, "shortened"), "app")}
	return Findings{
		Report: analyzer.Report{Pairs: pairs, Teams: rollUp(org, pairs), WindowDays: 84},
		Org:    org,
		Directory: Directory{
			Names:  map[string]string{ann: "Ann\r\nBcc: victim@example.com"},
			Series: map[string]Series{"ann-1on1": {Title: "<script>alert(1)</script>\r\nBcc: victim@example.com"}},
		},
	}
}

// day0 is Monday 2 March 2026 09:00 UTC: everyone's (UTC) send window is
// open and the digest is due, so each recipient gets a nudge and a digest.
const wantFirstDay = 4 // two nudges, two digests

func messageIDs(t *testing.T, msgs []received) []string {
	t.Helper()
	var ids []string
	for _, r := range msgs {
		m, err := mail.ReadMessage(bytes.NewReader(r.data))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.Header.Get("Message-Id"))
	}
	sort.Strings(ids)
	return ids
}

func noDuplicates(t *testing.T, msgs []received) {
	t.Helper()
	ids := messageIDs(t, msgs)
	for i := 1; i < len(ids); i++ {
		if ids[i] == ids[i-1] {
			t.Errorf("%s was sent twice", ids[i])
		}
	}
}

// freeAddr is a loopback address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestAServerDownForAWhileLosesNothingAndSendsNothingTwice(t *testing.T) {
	ctx := context.Background()
	st := openTestStore(t, filepath.Join(t.TempDir(), "rapport.db"))
	addr := freeAddr(t)
	// The sender knows the server's address before the server is up.
	probe := startServer(t, startTLS, "127.0.0.1:0")
	snd := probe.sender(t, config.TLSStartTLS)
	probe.stop()
	_, port, _ := net.SplitHostPort(addr)
	snd.cfg.Port = atoi(port)
	n := newTestNotifier(t, st, snd)
	f := findings()

	res, err := n.Cycle(ctx, f, day0)
	if err != nil {
		t.Fatal(err)
	}
	if res.Queued != wantFirstDay || res.Sent != 0 || res.Retrying != wantFirstDay {
		t.Fatalf("while down: %+v, want %d queued and retrying", res, wantFirstDay)
	}
	// Still down an hour later: tried again (the backoff has passed), kept.
	res, err = n.Cycle(ctx, f, day0.Add(time.Hour))
	if err != nil || res.Queued != 0 || res.Retrying != wantFirstDay {
		t.Fatalf("an hour later: %+v, %v", res, err)
	}
	pending, _ := st.Outbox(ctx, store.OutboxPending)
	if len(pending) != wantFirstDay || pending[0].Attempts != 2 || !strings.Contains(pending[0].LastError, "dial") {
		t.Fatalf("pending = %+v", pending)
	}

	srv := startServer(t, startTLS, addr)
	res, err = n.Cycle(ctx, f, day0.Add(2*time.Hour))
	if err != nil || res.Sent != wantFirstDay || res.Queued != 0 {
		t.Fatalf("back up: %+v, %v; want the %d waiting sent", res, err, wantFirstDay)
	}
	for _, at := range []time.Duration{3 * time.Hour, 26 * time.Hour} {
		if res, err := n.Cycle(ctx, f, day0.Add(at)); err != nil || res.Sent != 0 {
			t.Fatalf("%s later: %+v, %v; want nothing sent", at, res, err)
		}
	}
	got := srv.received()
	if len(got) != wantFirstDay {
		t.Errorf("%d messages received, want %d", len(got), wantFirstDay)
	}
	noDuplicates(t, got)
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

func TestARestartBetweenSentAndTheNextCycleSendsNothingTwice(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "rapport.db")
	srv := startServer(t, startTLS, "127.0.0.1:0")
	f := findings()

	st := openTestStore(t, path)
	res, err := newTestNotifier(t, st, srv.sender(t, config.TLSStartTLS)).Cycle(ctx, f, day0)
	if err != nil || res.Sent != wantFirstDay {
		t.Fatalf("first run: %+v, %v", res, err)
	}
	st.Close()

	// A new process over the same file, the same findings, an hour later
	// and on the next days.
	st = openTestStore(t, path)
	n := newTestNotifier(t, st, srv.sender(t, config.TLSStartTLS))
	for _, at := range []time.Duration{time.Hour, 24 * time.Hour, 48 * time.Hour} {
		res, err := n.Cycle(ctx, f, day0.Add(at))
		if err != nil || res.Queued != 0 || res.Sent != 0 {
			t.Errorf("after the restart, +%s: %+v, %v; want nothing", at, res, err)
		}
	}
	// Something new is still told, once.
	f.Report.Pairs[2] = inTeam(pair(mgr2, cat, "shortened", "skip_rate"), "app")
	if res, err := n.Cycle(ctx, f, day0.Add(72*time.Hour)); err != nil || res.Sent != 1 {
		t.Errorf("a new signal after the restart: %+v, %v; want one nudge", res, err)
	}
	got := srv.received()
	if len(got) != wantFirstDay+1 {
		t.Errorf("%d messages received, want %d", len(got), wantFirstDay+1)
	}
	noDuplicates(t, got)
}

func TestAPermanentRefusalIsRecordedAndVisible(t *testing.T) {
	ctx := context.Background()
	st := openTestStore(t, ":memory:")
	srv := startServer(t, startTLS, "127.0.0.1:0")
	srv.fail = func(stage string) error {
		if stage == "rcpt" {
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
		}
		return nil
	}
	res, err := newTestNotifier(t, st, srv.sender(t, config.TLSStartTLS)).Cycle(ctx, findings(), day0)
	if err != nil {
		t.Fatal(err)
	}
	failed, _ := st.Outbox(ctx, store.OutboxFailed)
	pending, _ := st.Outbox(ctx, store.OutboxPending)
	if res.Failed != wantFirstDay || len(failed) != wantFirstDay || len(pending) != 0 {
		t.Fatalf("result %+v; %d failed, %d pending; want all failed", res, len(failed), len(pending))
	}
	if !strings.Contains(failed[0].LastError, "550") {
		t.Errorf("last error %q does not say what the server said", failed[0].LastError)
	}
}

func TestMessagesThatCannotBeDeliveredForTwoDaysAreGivenUp(t *testing.T) {
	ctx := context.Background()
	st := openTestStore(t, ":memory:")
	down := senderFunc(func(context.Context, Message) error { return errors.New("connection refused") })
	n := newTestNotifier(t, st, down)
	if _, err := n.Cycle(ctx, findings(), day0); err != nil {
		t.Fatal(err)
	}
	res, err := n.Deliver(ctx, day0.Add(47*time.Hour))
	if err != nil || res.Retrying != wantFirstDay {
		t.Fatalf("after 47h: %+v, %v; want still retrying", res, err)
	}
	res, err = n.Deliver(ctx, day0.Add(49*time.Hour))
	if err != nil || res.Failed != wantFirstDay {
		t.Fatalf("after 49h: %+v, %v; want given up", res, err)
	}
}

type senderFunc func(context.Context, Message) error

func (f senderFunc) Send(ctx context.Context, m Message) error { return f(ctx, m) }

func TestAPlanWritesNothing(t *testing.T) {
	ctx := context.Background()
	st := openTestStore(t, ":memory:")
	sent := 0
	n := newTestNotifier(t, st, senderFunc(func(context.Context, Message) error { sent++; return nil }))
	for range 2 {
		_, msgs, err := n.Plan(ctx, findings(), day0)
		if err != nil || len(msgs) != wantFirstDay {
			t.Fatalf("Plan = %d messages, %v", len(msgs), err)
		}
	}
	if all, _ := st.Outbox(ctx); len(all) != 0 || sent != 0 {
		t.Fatalf("a plan wrote %d messages and sent %d", len(all), sent)
	}
	if res, err := n.Cycle(ctx, findings(), day0); err != nil || res.Sent != wantFirstDay {
		t.Errorf("the cycle after two plans: %+v, %v; want everything sent", res, err)
	}
}

func TestNothingIsDeliveredBeforeTheRecipientsWindow(t *testing.T) {
	ctx := context.Background()
	st := openTestStore(t, ":memory:")
	var sent []time.Time
	n := newTestNotifier(t, st, senderFunc(func(_ context.Context, m Message) error { sent = append(sent, m.NotBefore); return nil }))
	sunday := time.Date(2026, 3, 1, 20, 0, 0, 0, time.UTC)
	res, err := n.Cycle(ctx, findings(), sunday)
	if err != nil || res.Queued != 2 || res.Sent != 0 {
		t.Fatalf("Sunday evening: %+v, %v; want two nudges queued for Monday", res, err)
	}
	res, err = n.Cycle(ctx, findings(), time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC))
	if err != nil || res.Sent != 2 {
		t.Fatalf("Monday 08:00: %+v, %v; want the two nudges sent", res, err)
	}
}

func TestTheOutboxDirectoryHoldsEachMessageOnce(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "outbox")
	d, err := NewDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := hostileMessage(t)
	for range 2 {
		if err := d.Send(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) != 1 || filepath.Base(files[0]) != FileName(m) || !strings.HasSuffix(files[0], ".eml") {
		t.Fatalf("files = %v", files)
	}
	data, _ := os.ReadFile(files[0])
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	checkMultipart(t, msg)
	if strings.ContainsAny(FileName(Message{ID: "x", Period: "../../etc", Kind: "a/b", To: "../x@y"}), "/\\") {
		t.Error("a file name leaves the directory")
	}
}
