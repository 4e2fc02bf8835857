package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeConfig writes a configuration reading testdata/team.ics for Alice's
// team, with its store in a temporary directory.
func writeConfig(t *testing.T, extra string) string {
	t.Helper()
	dir := t.TempDir()
	ics, err := filepath.Abs("testdata/team.ics")
	if err != nil {
		t.Fatal(err)
	}
	cfg := `state: ` + filepath.Join(dir, "rapport.db") + `
timezone: Europe/Berlin
org:
  teams:
    - name: platform
      manager: alice@example.com
      reports: [bob@example.com]
sources:
  - name: alice
    type: ics
    owner: alice@example.com
    paths: [` + ics + `]
` + extra
	path := filepath.Join(dir, "rapport.yml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestOnceSyncsAnalyzesAndPrintsTheReport(t *testing.T) {
	cfg := writeConfig(t, "")
	out, stderr, code := runCmd(t, "once", "--config", cfg, "--now", "2026-04-01T12:00:00Z", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep struct {
		Pairs []struct {
			Manager, Report string
			Counts          map[string]int
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if len(rep.Pairs) != 1 || rep.Pairs[0].Report != "bob@example.com" {
		t.Fatalf("pairs = %+v", rep.Pairs)
	}
	c := rep.Pairs[0].Counts
	if c["held"] != 1 || c["moved"] != 1 || c["shortened"] != 1 || c["skipped"] != 2 {
		t.Errorf("counts = %v, want 1 held, 1 moved, 1 shortened, 2 skipped", c)
	}

	// report reads the same store without syncing.
	out2, stderr, code := runCmd(t, "report", "--config", cfg, "--now", "2026-04-01T12:00:00Z", "--format", "json")
	if code != 0 {
		t.Fatalf("report: exit %d: %s", code, stderr)
	}
	if out2 != out {
		t.Errorf("report differs from once:\n%s\n---\n%s", out2, out)
	}
	text, _, code := runCmd(t, "report", "--config", cfg, "--now", "2026-04-01T12:00:00Z")
	if code != 0 || !strings.Contains(text, "alice@example.com") || !strings.Contains(text, "skip_rate") {
		t.Errorf("text report (exit %d):\n%s", code, text)
	}
}

func TestCheckConfig(t *testing.T) {
	out, stderr, code := runCmd(t, "check-config", "--config", writeConfig(t, ""))
	if code != 0 || !strings.Contains(out, "OK: 1 source(s), 1 team(s), 1 listed pair(s)") {
		t.Errorf("exit %d, out %q, err %q", code, out, stderr)
	}
	_, stderr, code = runCmd(t, "check-config", "--config", writeConfig(t, "listn: x\n"))
	if code != 2 || !strings.Contains(stderr, "listn: unknown key") {
		t.Errorf("an unknown key: exit %d, stderr %q", code, stderr)
	}
	_, _, code = runCmd(t, "once")
	if code != 2 {
		t.Errorf("once without --config: exit %d, want 2", code)
	}
}

func TestAuthGoogleNeedsAnOAuthSource(t *testing.T) {
	_, stderr, code := runCmd(t, "auth", "google", "--config", writeConfig(t, ""))
	if code != 2 || !strings.Contains(stderr, "no google source with auth: oauth") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	if _, _, code := runCmd(t, "auth", "github"); code != 2 {
		t.Errorf("auth github: exit %d, want 2", code)
	}
}

func TestEveryProviderIsWired(t *testing.T) {
	dir := t.TempDir()
	creds := filepath.Join(dir, "sa.json")
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	sa, _ := json.Marshal(map[string]string{
		"type": "service_account", "client_email": "rapport@example.iam.gserviceaccount.com",
		"private_key": string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"token_uri":   "https://oauth2.googleapis.com/token",
	})
	if err := os.WriteFile(creds, sa, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, `  - name: fastmail
    type: caldav
    url: https://caldav.example.com/
    owner: alice@example.com
  - name: workspace
    type: google
    auth: service_account
    credentials_file: `+creds+`
`)
	out, stderr, code := runCmd(t, "check-config", "--config", cfg)
	if code != 0 || !strings.Contains(out, "3 source(s)") {
		t.Errorf("exit %d, out %q, stderr %q", code, out, stderr)
	}
}
