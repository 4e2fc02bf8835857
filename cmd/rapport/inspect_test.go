package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCmd(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, &out, &errb)
	code = exitCode(err, &errb)
	return out.String(), errb.String(), code
}

func TestInspectJSONFollowsTheContract(t *testing.T) {
	out, stderr, code := runCmd(t, "inspect", "--format", "json", "--now", "2026-03-25", "--to", "2026-05-01", "testdata/team.ics")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := []map[string]string{
		{"uid": "alice-bob-1on1@example.com", "recurrence_id": "2026-03-02T10:00:00+01:00", "start": "2026-03-02T10:00:00+01:00", "end": "2026-03-02T10:30:00+01:00", "status": "CONFIRMED", "fate": "held"},
		{"uid": "hostile@example.com", "recurrence_id": "", "start": "2026-03-04T12:00:00Z", "end": "2026-03-04T12:30:00Z", "status": "CONFIRMED", "fate": "held"},
		{"uid": "alice-bob-1on1@example.com", "recurrence_id": "2026-03-09T10:00:00+01:00", "start": "2026-03-09T10:00:00+01:00", "end": "2026-03-09T10:30:00+01:00", "status": "CANCELLED", "fate": "skipped"},
		{"uid": "alice-bob-1on1@example.com", "recurrence_id": "2026-03-16T10:00:00+01:00", "start": "2026-03-17T15:00:00+01:00", "end": "2026-03-17T15:30:00+01:00", "status": "CONFIRMED", "fate": "moved"},
		{"uid": "alice-bob-1on1@example.com", "recurrence_id": "2026-03-23T10:00:00+01:00", "start": "2026-03-23T10:00:00+01:00", "end": "2026-03-23T10:10:00+01:00", "status": "CONFIRMED", "fate": "shortened"},
		{"uid": "alice-bob-1on1@example.com", "recurrence_id": "2026-03-30T10:00:00+02:00", "start": "2026-03-30T10:00:00+02:00", "end": "2026-03-30T10:30:00+02:00", "status": "CANCELLED", "fate": "skipped"},
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(want), out)
	}
	keys := []string{"file", "uid", "summary", "recurrence_id", "start", "end", "status", "fate"}
	for i, line := range lines {
		var got map[string]any
		if err := json.Unmarshal([]byte(line), &got); err != nil {
			t.Fatalf("line %d is not JSON: %v", i, err)
		}
		if len(got) != len(keys) {
			t.Errorf("line %d has keys %v, want exactly %v", i, got, keys)
		}
		for _, k := range keys {
			if _, ok := got[k].(string); !ok {
				t.Errorf("line %d: %q missing or not a string", i, k)
			}
		}
		for k, v := range want[i] {
			if got[k] != v {
				t.Errorf("line %d: %s = %v, want %v", i, k, got[k], v)
			}
		}
		if got["file"] != "testdata/team.ics" {
			t.Errorf("line %d: file = %v", i, got["file"])
		}
	}
}

func TestInspectTextIsATableSafeForTerminals(t *testing.T) {
	out, _, code := runCmd(t, "inspect", "--now", "2026-03-25", "--to", "2026-05-01", "testdata/team.ics")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	if !strings.HasPrefix(out, "START") || !strings.Contains(out, "shortened") {
		t.Errorf("unexpected table:\n%s", out)
	}
	for i, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "Bcc:") && !strings.Contains(line, "<script>") {
			t.Errorf("line %d: hostile title was split across lines: %q", i, line)
		}
	}
	if strings.Count(out, "\n") != 7 {
		t.Errorf("want a header and 6 rows, got:\n%s", out)
	}
}

func TestInspectReportsBrokenObjectsAndKeepsTheRest(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "broken.ics")
	data := "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:ok\r\nDTSTART:20260302T100000Z\r\nEND:VEVENT\r\n" +
		"BEGIN:VEVENT\r\nUID:bad\r\nDTSTART:20260302T100000Z\r\nRRULE:FREQ=FORTNIGHTLY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	if err := os.WriteFile(file, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	out, stderr, code := runCmd(t, "inspect", "--format", "json", "--now", "2026-04-01", file)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if !strings.Contains(out, `"uid":"ok"`) {
		t.Errorf("the good event is missing:\n%s", out)
	}
	if !strings.Contains(stderr, file+`: object "bad" RRULE:`) {
		t.Errorf("stderr does not name file, object and property:\n%s", stderr)
	}
}

func TestUsageErrorsExitWithTwo(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"no command", nil},
		{"an unknown command", []string{"frobnicate"}},
		{"inspect without files", []string{"inspect"}},
		{"inspect with a bad time", []string{"inspect", "--from", "yesterday", "x.ics"}},
		{"inspect with a bad format", []string{"inspect", "--format", "xml", "x.ics"}},
		{"inspect with --to before --from", []string{"inspect", "--from", "2026-03-02", "--to", "2026-03-01", "x.ics"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, stderr, code := runCmd(t, tt.args...); code != 2 {
				t.Errorf("exit %d, want 2; stderr: %s", code, stderr)
			}
		})
	}
}

func TestInspectOfAMissingFileIsARuntimeFailure(t *testing.T) {
	_, stderr, code := runCmd(t, "inspect", "does-not-exist.ics")
	if code != 1 || !strings.Contains(stderr, "does-not-exist.ics") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

func TestVersionPrintsAVersion(t *testing.T) {
	out, _, code := runCmd(t, "version")
	if code != 0 || !strings.HasPrefix(out, "rapport ") {
		t.Errorf("exit %d, output %q", code, out)
	}
}
