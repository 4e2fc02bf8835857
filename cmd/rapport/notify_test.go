package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// at is inside Alice's (Europe/Berlin) send window, on the Wednesday after
// the digest's Monday: her nudge and digest are both due.
const at = "2026-04-01T12:00:00Z"

func emlFiles(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestOnceDryRunPrintsTheEmailsAndRecordsNothing(t *testing.T) {
	outbox := filepath.Join(t.TempDir(), "outbox")
	cfg := writeConfig(t, "notify:\n  from: \"Rapport <rapport@example.com>\"\n  outbox: "+outbox+"\n")

	out, stderr, code := runCmd(t, "once", "--config", cfg, "--now", at, "--dry-run")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"Rapport report", "Dry run: 2 email(s) would be sent", "To: alice@example.com",
		"Subject: Your 1:1s with bob@example.com: nothing scheduled", "Why it matters:", "Try this:"} {
		if !strings.Contains(out, want) {
			t.Errorf("the dry run does not print %q:\n%s", want, out)
		}
	}
	if files := emlFiles(t, outbox); len(files) != 0 {
		t.Fatalf("a dry run wrote %v", files)
	}

	// The real run sends what the dry run showed; the next sends nothing.
	for i, want := range []int{2, 2} {
		_, stderr, code := runCmd(t, "once", "--config", cfg, "--now", at)
		if code != 0 {
			t.Fatalf("run %d: exit %d: %s", i, code, stderr)
		}
		if n := len(emlFiles(t, outbox)); n != want {
			t.Errorf("run %d: %d .eml files, want %d", i, n, want)
		}
	}
	for _, f := range emlFiles(t, outbox) {
		data, _ := os.ReadFile(f)
		m, err := mail.ReadMessage(bytes.NewReader(data))
		if err != nil || !strings.HasPrefix(m.Header.Get("Content-Type"), "multipart/alternative") {
			t.Errorf("%s: %v, Content-Type %q", f, err, m.Header.Get("Content-Type"))
		}
	}
	out, _, _ = runCmd(t, "outbox", "--config", cfg, "--all")
	if strings.Count(out, " sent ") != 2 {
		t.Errorf("outbox --all:\n%s", out)
	}
}

func TestOnceDryRunAsJSONIsAStreamOfObjects(t *testing.T) {
	cfg := writeConfig(t, "")
	out, stderr, code := runCmd(t, "once", "--config", cfg, "--now", at, "--dry-run", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	dec := json.NewDecoder(strings.NewReader(out))
	var report struct{ Pairs []any }
	if err := dec.Decode(&report); err != nil || len(report.Pairs) != 1 {
		t.Fatalf("the report: %v, %+v", err, report)
	}
	var kinds []string
	for {
		var e struct{ Kind, To, Subject, Text, HTML, MessageID string }
		if err := dec.Decode(&e); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if e.To != "alice@example.com" || e.Subject == "" || e.Text == "" || !strings.Contains(e.HTML, "<!DOCTYPE html>") {
			t.Errorf("email %+v", e)
		}
		kinds = append(kinds, e.Kind)
	}
	if strings.Join(kinds, ",") != "nudge,digest" {
		t.Errorf("kinds %v, want a nudge and a digest", kinds)
	}
}

func TestOnceWithoutEmailConfiguredSendsNothing(t *testing.T) {
	cfg := writeConfig(t, "")
	_, stderr, code := runCmd(t, "once", "--config", cfg, "--now", at)
	if code != 0 || strings.Contains(stderr, "email") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

func TestOnceKeepsWhatTheMailServerDidNotTakeAndOutboxListsIt(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close() // nothing listens there now
	cfg := writeConfig(t, "notify:\n  from: rapport@example.com\n  smtp: {host: 127.0.0.1, port: "+port+", tls: none}\n")
	_, stderr, code := runCmd(t, "once", "--config", cfg, "--now", at)
	if code != 0 || !strings.Contains(stderr, "2 queued, 0 sent, 2 to retry") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	out, _, code := runCmd(t, "outbox", "--config", cfg)
	if code != 0 || strings.Count(out, " pending ") != 2 || !strings.Contains(out, "connection refused") {
		t.Errorf("outbox (exit %d):\n%s", code, out)
	}
}

func TestSnoozeAddsListsAndEndsPauses(t *testing.T) {
	cfg := writeConfig(t, "")
	now := "--now=2026-04-01T12:00:00Z"
	out, stderr, code := runCmd(t, "snooze", "--config", cfg, now, "--pair", "Alice@Example.com/bob@example.com", "--until", "2026-04-20", "--reason", "parental\r\nleave")
	if code != 0 || !strings.Contains(out, "no nudges about alice@example.com/bob@example.com until 2026-04-20T00:00:00Z") {
		t.Fatalf("add: exit %d, %q, %q", code, out, stderr)
	}
	out, _, _ = runCmd(t, "snooze", "--config", cfg, now, "--list")
	if !strings.Contains(out, "alice@example.com/bob@example.com") || !strings.Contains(out, "parental leave") {
		t.Errorf("list:\n%s", out)
	}
	out, _, _ = runCmd(t, "snooze", "--config", cfg, "--now=2026-04-21T00:00:00Z", "--list")
	if !strings.Contains(out, "no snoozes in force") {
		t.Errorf("list after the end:\n%s", out)
	}
	// A snoozed pair gets no nudge, only its digest.
	dry, _, _ := runCmd(t, "once", "--config", cfg, "--now", at, "--dry-run")
	if !strings.Contains(dry, "Dry run: 1 email(s)") || !strings.Contains(dry, "snoozed until") {
		t.Errorf("dry run while snoozed:\n%s", dry)
	}
	out, _, code = runCmd(t, "snooze", "--config", cfg, now, "--pair", "alice@example.com/bob@example.com", "--end")
	if code != 0 || !strings.Contains(out, "ended 1 snooze(s)") {
		t.Errorf("end: exit %d, %q", code, out)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--pair", "alice@example.com/zoe@example.com", "--until", "2026-04-20"}, "not a pair of the configured org"},
		{[]string{"--pair", "alice@example.com", "--until", "2026-04-20"}, "is not manager-email/report-email"},
		{[]string{"--pair", "alice@example.com/bob@example.com", "--until", "2026-03-01"}, "not in the future"},
		{[]string{"--pair", "alice@example.com/bob@example.com", "--until", "2028-03-01"}, "more than a year"},
		{[]string{"--pair", "alice@example.com/bob@example.com"}, "--until is required"},
		{[]string{"--list", "--pair", "alice@example.com/bob@example.com"}, "--list takes no"},
	} {
		_, stderr, code := runCmd(t, append([]string{"snooze", "--config", cfg, now}, c.args...)...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("snooze %v: exit %d, stderr %q; want 2 and %q", c.args, code, stderr, c.want)
		}
	}
}

func TestPreviewRendersAnExampleOfEverySignal(t *testing.T) {
	for _, name := range []string{"reschedule_rate", "late_reschedules", "shortened", "skip_rate", "falling_cadence", "overdue", "nothing_scheduled", "no_agenda", "back_on_track", "digest"} {
		out, stderr, code := runCmd(t, "preview", "--signal", name)
		if code != 0 || !strings.HasPrefix(out, "Subject: ") || !strings.Contains(out, "unsubscribe") {
			t.Errorf("%s: exit %d, %q\n%s", name, code, stderr, out)
		}
	}
	out, _, code := runCmd(t, "preview", "--signal", "no_agenda", "--html")
	if code != 0 || !strings.HasPrefix(out, "<!DOCTYPE html>") || !strings.Contains(out, "Try this:") {
		t.Errorf("--html: exit %d\n%s", code, out)
	}
	if _, stderr, code := runCmd(t, "preview", "--signal", "nope"); code != 2 || !strings.Contains(stderr, "skip_rate") {
		t.Errorf("an unknown signal: exit %d, %q", code, stderr)
	}
}

func TestDemoWritesItsNudgesAndDigestsToTheOutbox(t *testing.T) {
	// A Monday morning, and a Sunday evening: the demo shows its digests
	// whatever day it runs.
	for _, now := range []string{"2026-03-16T09:00:00Z", "2026-11-22T20:00:00Z"} {
		t.Run(now, func(t *testing.T) { demoOutbox(t, now) })
	}
}

func demoOutbox(t *testing.T, now string) {
	outbox := filepath.Join(t.TempDir(), "mail")
	_, stderr, code := runCmd(t, "demo", "--once", "--now", now, "--outbox", outbox)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, outbox) {
		t.Errorf("the demo does not say where the emails are: %q", stderr)
	}
	var nudges, digests int
	for _, f := range emlFiles(t, outbox) {
		switch {
		case strings.Contains(f, "-nudge-"):
			nudges++
		case strings.Contains(f, "-digest-"):
			digests++
		}
	}
	// Alice, Marcus and Sophie have drifting pairs; they and the two
	// leaders get digests.
	if nudges != 3 || digests != 5 {
		t.Errorf("%d nudges and %d digests, want 3 and 5", nudges, digests)
	}
}
