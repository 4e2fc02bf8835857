package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rapport-dev/rapport/analyzer"
	"github.com/rapport-dev/rapport/calendar/google"
)

// With org.directory: google, the Workspace directory's manager relations
// join the configured teams; a report the configuration lists keeps its
// configured manager.
func TestTheDirectoryAddsPairsToTheConfiguredOrg(t *testing.T) {
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.Path)
		if !strings.HasSuffix(r.URL.Path, "/admin/directory/v1/users") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"users":[
			{"primaryEmail":"carol@example.com","relations":[{"type":"manager","value":"alice@example.com"}]},
			{"primaryEmail":"bob@example.com","relations":[{"type":"manager","value":"zed@example.com"}]},
			{"primaryEmail":"dan@example.com","relations":[{"type":"manager","value":"erin@example.com"}]},
			{"primaryEmail":"erin@example.com"}]}`))
	}))
	defer srv.Close()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "rapport.yml")
	cfg := `state: ` + filepath.Join(dir, "rapport.db") + `
org:
  directory: google
  directory_admin: admin@example.com
  teams:
    - name: platform
      manager: alice@example.com
      reports: [bob@example.com]
sources:
  - name: workspace
    type: google
    auth: none
    endpoint: ` + srv.URL + `/
`
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := loadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	org, err := orgFor(context.Background(), c, cfgPath, defaultClient, newLogger(os.Stderr))
	if err != nil {
		t.Fatalf("orgFor: %v (requests: %v)", err, paths)
	}
	got := map[string]string{}
	for _, tm := range org.Teams {
		for _, r := range tm.Reports {
			got[r] = tm.Name + ":" + tm.Manager
		}
	}
	want := map[string]string{
		"bob@example.com":   "platform:alice@example.com",
		"carol@example.com": "platform:alice@example.com",
		"dan@example.com":   "erin@example.com:erin@example.com",
	}
	if len(got) != len(want) {
		t.Errorf("reports = %v, want %v", got, want)
	}
	for r, w := range want {
		if got[r] != w {
			t.Errorf("%s: %q, want %q", r, got[r], w)
		}
	}
}

func TestWithDirectoryLeavesTheConfiguredOrgAlone(t *testing.T) {
	org := analyzer.Org{Teams: []analyzer.Team{{Name: "a", Manager: "m@x", Reports: []string{"r@x"}}}}
	got := withDirectory(org, []google.Team{{Manager: "m@x", Reports: []string{"s@x"}}, {Manager: "n@x", Reports: []string{"u@x"}}})
	if len(org.Teams) != 1 || len(org.Teams[0].Reports) != 1 {
		t.Errorf("the configured org was modified: %+v", org)
	}
	if len(got.Teams) != 2 || len(got.Teams[0].Reports) != 2 {
		t.Errorf("merged org = %+v", got)
	}
}
