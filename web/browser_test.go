package web

import (
	"bytes"
	"context"
	"flag"
	"image/png"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/rapport-dev/rapport/internal/itest"
)

var screenshot = flag.String("screenshot", "", "write PNG screenshots of the dashboard: FILE for the overview, FILE with -manager before .png for a drill-down (go test ./web -run Screenshot -screenshot=/tmp/dash.png)")

// chromium finds the browser, or skips with an install hint; with
// RAPPORT_REQUIRE_INTEGRATION=1 it fails instead.
func chromium(t *testing.T) string {
	t.Helper()
	return itest.Require(t, "chromium", "apt-get install chromium")
}

// browse runs headless chromium on url with extra flags, and returns what
// it wrote on stdout and its log.
func browse(t *testing.T, browser, url string, extra ...string) (stdout, log string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	args := append([]string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
		"--user-data-dir=" + t.TempDir(), "--enable-logging=stderr", "--v=0",
	}, extra...)
	cmd := exec.CommandContext(ctx, browser, append(args, url)...)
	cmd.WaitDelay = 5 * time.Second
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %s: %v\n%s", url, err, errOut.String())
	}
	return out.String(), errOut.String()
}

// consoleErrors are the page's console messages (a script error, a
// resource or style refused by the Content Security Policy), as chromium
// logs them with --enable-logging=stderr.
func consoleErrors(log string) []string {
	var out []string
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, ":CONSOLE") || strings.Contains(line, "Uncaught") || strings.Contains(line, "Refused to") {
			out = append(out, line)
		}
	}
	return out
}

func TestDashboardInAHeadlessBrowser(t *testing.T) {
	browser := chromium(t)
	rep := sharedDemo(t)
	srv, err := New(Options{Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	srv.Publish(rep)
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()

	t.Run("the overview lists every team and manager", func(t *testing.T) {
		dom, log := browse(t, browser, ts.URL+"/", "--dump-dom")
		if errs := consoleErrors(log); len(errs) > 0 {
			t.Errorf("console errors:\n%s", strings.Join(errs, "\n"))
		}
		if !strings.Contains(dom, "1:1 health across the organisation") {
			t.Fatalf("not the overview:\n%s", dom)
		}
		for _, team := range rep.Teams {
			if !strings.Contains(dom, `<td class="team-name">`+team.Team+`</td>`) {
				t.Errorf("team %s missing", team.Team)
			}
		}
		for _, p := range rep.Pairs {
			if !strings.Contains(dom, ">"+p.Manager+"</a>") {
				t.Errorf("manager %s missing", p.Manager)
			}
		}
	})

	for _, manager := range []string{"alice@example.com", "marcus@example.com", "sophie@example.com"} {
		t.Run("the drill-down to "+manager+" shows each pair's timeline", func(t *testing.T) {
			dom, log := browse(t, browser, ts.URL+"/managers/"+url.PathEscape(manager), "--dump-dom")
			if errs := consoleErrors(log); len(errs) > 0 {
				t.Errorf("console errors:\n%s", strings.Join(errs, "\n"))
			}
			pairs := 0
			for _, p := range rep.Pairs {
				if p.Manager != manager {
					continue
				}
				pairs++
				if !strings.Contains(dom, `<span class="name">`+p.Report+`</span>`) {
					t.Errorf("pair %s missing", p.Report)
				}
			}
			if got := strings.Count(dom, `<div class="pair `); got != pairs || pairs == 0 {
				t.Errorf("%d pair rows, want %d", got, pairs)
			}
			if !strings.Contains(dom, `class="cell held"`) || !strings.Contains(dom, `title="held: `) {
				t.Errorf("no held 1:1 with its date on the timeline")
			}
			if !strings.Contains(dom, `class="legend"`) {
				t.Errorf("no legend")
			}
		})
	}
}

// TestScreenshot writes screenshots of the overview and a drill-down when
// -screenshot is given, for a developer to look at.
func TestScreenshot(t *testing.T) {
	if *screenshot == "" {
		t.Skip("give -screenshot=FILE.png to write screenshots")
	}
	browser := chromium(t)
	srv, err := New(Options{Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	srv.Publish(sharedDemo(t))
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	shots := map[string]string{
		*screenshot: ts.URL + "/",
		strings.TrimSuffix(*screenshot, ".png") + "-manager.png": ts.URL + "/managers/sophie@example.com",
	}
	for file, u := range shots {
		_, log := browse(t, browser, u, "--screenshot="+file, "--window-size=1400,1600", "--hide-scrollbars")
		if errs := consoleErrors(log); len(errs) > 0 {
			t.Errorf("console errors on %s:\n%s", u, strings.Join(errs, "\n"))
		}
		f, err := os.Open(file)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		t.Logf("wrote %s (%dx%d) of %s", file, img.Bounds().Dx(), img.Bounds().Dy(), u)
	}
}
