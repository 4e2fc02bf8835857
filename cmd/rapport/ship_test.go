package main

import (
	"bufio"
	"debug/elf"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"gopkg.in/yaml.v3"

	"github.com/rapport-dev/rapport/config"
	"github.com/rapport-dev/rapport/demo"
	"github.com/rapport-dev/rapport/internal/itest"
	"github.com/rapport-dev/rapport/web"
)

const repoRoot = "../.."

// dockerfile returns the Dockerfile's instructions, continuation lines
// joined.
func dockerfile(t *testing.T) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	var cur strings.Builder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasSuffix(line, `\`) {
			cur.WriteString(strings.TrimSuffix(line, `\`) + " ")
			continue
		}
		cur.WriteString(line)
		out = append(out, cur.String())
		cur.Reset()
	}
	return out
}

func instruction(t *testing.T, lines []string, prefix string) []string {
	t.Helper()
	var out []string
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	if len(out) == 0 {
		t.Fatalf("the Dockerfile has no %s", prefix)
	}
	return out
}

func TestTheDockerfileRunsAsNonRootWithStateHealthcheckAndLabels(t *testing.T) {
	lines := dockerfile(t)
	froms := instruction(t, lines, "FROM ")
	if len(froms) != 2 || !strings.Contains(froms[0], " AS build") {
		t.Errorf("want a build stage and a runtime stage: %v", froms)
	}
	if rt := froms[len(froms)-1]; !strings.Contains(rt, "distroless/static") && !strings.Contains(rt, "scratch") {
		t.Errorf("runtime image %q is not distroless/static or scratch", rt)
	}
	user := instruction(t, lines, "USER ")
	if u := strings.Fields(user[len(user)-1])[1]; strings.HasPrefix(u, "0") || strings.HasPrefix(u, "root") {
		t.Errorf("runs as %q", u)
	}
	if v := instruction(t, lines, "VOLUME "); !strings.Contains(v[0], "/var/lib/rapport") {
		t.Errorf("volume %q", v[0])
	}
	hc := instruction(t, lines, "HEALTHCHECK ")[0]
	if !strings.Contains(hc, `"healthcheck", "--url", "http://127.0.0.1:9464/healthz"`) {
		t.Errorf("healthcheck %q does not use rapport healthcheck on the default port", hc)
	}
	if e := instruction(t, lines, "EXPOSE ")[0]; e != "EXPOSE 9464" || !strings.HasSuffix(config.Default().Listen, ":9464") {
		t.Errorf("%q does not match the default listen %s", e, config.Default().Listen)
	}
	entry := instruction(t, lines, "ENTRYPOINT ")[0]
	copied := false
	for _, c := range instruction(t, lines, "COPY ") {
		if strings.HasPrefix(c, "COPY --from=build /rapport ") && strings.Contains(entry, strings.Fields(c)[3]) {
			copied = true
		}
	}
	if !copied {
		t.Errorf("ENTRYPOINT %q is not the binary copied from the build stage", entry)
	}
	labels := strings.Join(instruction(t, lines, "LABEL "), " ")
	for _, l := range []string{"org.opencontainers.image.title", "org.opencontainers.image.source", "org.opencontainers.image.version"} {
		if !strings.Contains(labels, l) {
			t.Errorf("no %s label", l)
		}
	}
	if cmd := instruction(t, lines, "CMD ")[0]; !strings.Contains(cmd, `"run", "--config", "/etc/rapport/rapport.yml"`) {
		t.Errorf("CMD %q", cmd)
	}
}

// TestTheDockerfileBuildsAStaticBinary runs the Dockerfile's build command
// as written, only with the output in a temporary directory, and checks
// that the binary needs no dynamic loader and no shared library: it must
// run on distroless/static.
func TestTheDockerfileBuildsAStaticBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the release binary")
	}
	var build string
	for _, l := range instruction(t, dockerfile(t), "RUN ") {
		if strings.Contains(l, "go build") {
			build = strings.TrimPrefix(l, "RUN ")
		}
	}
	for _, want := range []string{"CGO_ENABLED=0 ", "-trimpath", `-ldflags "-s -w -X main.version=${VERSION}"`, "-o /rapport ", "./cmd/rapport"} {
		if !strings.Contains(build, want) {
			t.Fatalf("the build command %q lacks %q", build, want)
		}
	}
	out := filepath.Join(t.TempDir(), "rapport")
	cmdline := strings.Replace(build, "-o /rapport ", "-o "+out+" ", 1)
	cmd := exec.Command("sh", "-c", cmdline)
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), "VERSION=v9.9.9-test")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", cmdline, err, b)
	}

	f, err := elf.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary has a PT_INTERP: it needs a dynamic loader")
		}
		if p.Type == elf.PT_DYNAMIC {
			t.Error("the binary has a PT_DYNAMIC segment")
		}
	}
	if libs, err := f.ImportedLibraries(); err != nil || len(libs) > 0 {
		t.Errorf("DT_NEEDED %v (%v)", libs, err)
	}
	if f.Section(".symtab") != nil {
		t.Error("symbols not stripped (-s)")
	}

	v, err := exec.Command(out, "version").Output()
	if err != nil || !strings.Contains(string(v), "rapport v9.9.9-test ") {
		t.Errorf("version: %q %v", v, err)
	}
	// The image's healthcheck, with the real binary.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	defer srv.Close()
	if b, err := exec.Command(out, "healthcheck", "--url", srv.URL+"/healthz").CombinedOutput(); err != nil {
		t.Errorf("healthcheck: %v\n%s", err, b)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	err = exec.Command(out, "healthcheck", "--url", "http://"+closed+"/healthz").Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Errorf("healthcheck of a closed port: %v, want exit status 1", err)
	}
}

func TestTheDockerignoreKeepsTheContextSmall(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{".git", "**/*.test", "**/*.db"} {
		if !slices.Contains(strings.Fields(string(data)), want) {
			t.Errorf(".dockerignore lacks %s", want)
		}
	}
}

const examples = repoRoot + "/examples"

func TestTheExampleConfigLoadsAndMatchesTheDemo(t *testing.T) {
	cfg, err := config.Load(filepath.Join(examples, "rapport.yml"), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sourcesFrom(cfg, "", defaultClient, newLogger(io.Discard)); err != nil {
		t.Fatal(err)
	}
	// It listens beyond loopback inside the container, so it must carry
	// credentials the web server accepts.
	reg := prometheus.NewRegistry()
	m, err := newMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := web.New(webOptions(cfg, reg, m, nil, newLogger(io.Discard))); err != nil {
		t.Errorf("the web server refuses the example: %v", err)
	}
	if cfg.Web.BasicAuth.Username == "" {
		t.Error("no basic auth in the example")
	}
	// Its teams are the demo's, whose calendars the compose file seeds.
	got := orgFrom(cfg)
	want := demo.Org()
	if len(got.Teams) != len(want.Teams) {
		t.Fatalf("%d teams, the demo has %d", len(got.Teams), len(want.Teams))
	}
	for i := range want.Teams {
		g, w := got.Teams[i], want.Teams[i]
		if g.Name != w.Name || g.Parent != w.Parent || g.Manager != w.Manager || !slices.Equal(g.Reports, w.Reports) {
			t.Errorf("team %d = %+v, the demo has %+v", i, g, w)
		}
	}
}

// compose is the part of docker-compose.yml the tests read.
type compose struct {
	Services map[string]struct {
		Image       string
		Build       map[string]string
		Command     []string
		Volumes     []string
		Ports       []string
		DependsOn   any `yaml:"depends_on"`
		Environment map[string]string
	}
	Volumes map[string]any
}

// mounts returns a service's bind mounts: container path → host path.
func mounts(volumes []string) map[string]string {
	out := map[string]string{}
	for _, v := range volumes {
		parts := strings.Split(v, ":")
		if len(parts) >= 2 {
			out[parts[1]] = parts[0]
		}
	}
	return out
}

func TestTheComposeExampleWiresRapportPrometheusGrafanaAndMail(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(examples, "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var c compose
	if err := yaml.Unmarshal(data, &c); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"seed", "rapport", "prometheus", "grafana", "mailpit"} {
		if _, ok := c.Services[s]; !ok {
			t.Fatalf("no %s service", s)
		}
	}
	// Every bind-mounted host path exists.
	for name, s := range c.Services {
		for _, host := range mounts(s.Volumes) {
			if strings.HasPrefix(host, ".") {
				if _, err := os.Stat(filepath.Join(examples, host)); err != nil {
					t.Errorf("service %s mounts %s: %v", name, host, err)
				}
			} else if _, ok := c.Volumes[host]; !ok {
				t.Errorf("service %s mounts undeclared volume %s", name, host)
			}
		}
	}

	cfg, err := config.Load(filepath.Join(examples, "rapport.yml"), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	rapport := c.Services["rapport"]
	if m := mounts(rapport.Volumes); m["/etc/rapport/rapport.yml"] != "./rapport.yml" || m["/etc/rapport/secrets"] != "./secrets" {
		t.Errorf("rapport mounts %v, want the example config and its secrets", m)
	}
	if !slices.Equal(rapport.Command, []string{"run", "--config", "/etc/rapport/rapport.yml"}) {
		t.Errorf("rapport runs %v", rapport.Command)
	}
	_, port, _ := net.SplitHostPort(cfg.Listen)
	if !slices.Contains(rapport.Ports, "127.0.0.1:"+port+":"+port) {
		t.Errorf("rapport publishes %v, the config listens on %s", rapport.Ports, cfg.Listen)
	}

	// The seed writes the demo's calendars where the config reads them.
	seed := c.Services["seed"]
	if len(seed.Command) != 4 || seed.Command[0] != "demo" || seed.Command[1] != "--once" || seed.Command[2] != "--dir" {
		t.Fatalf("seed runs %v", seed.Command)
	}
	for _, src := range cfg.Sources {
		want := filepath.Join(seed.Command[3], "calendars", strings.ReplaceAll(src.Owner, "@", "_at_")+".ics")
		if len(src.Paths) != 1 || src.Paths[0] != want {
			t.Errorf("source %s reads %v, the seed writes %s", src.Name, src.Paths, want)
		}
	}

	// Prometheus scrapes Rapport with the same password.
	var prom struct {
		RuleFiles     []string `yaml:"rule_files"`
		ScrapeConfigs []struct {
			BasicAuth struct {
				Username     string
				PasswordFile string `yaml:"password_file"`
			} `yaml:"basic_auth"`
			StaticConfigs []struct{ Targets []string } `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	data, err = os.ReadFile(filepath.Join(examples, "prometheus", "prometheus.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &prom); err != nil {
		t.Fatal(err)
	}
	pm := mounts(c.Services["prometheus"].Volumes)
	if pm["/etc/prometheus"] != "./prometheus" || !slices.Contains(prom.RuleFiles, "rules.yml") {
		t.Errorf("prometheus mounts %v with rule files %v", pm, prom.RuleFiles)
	}
	sc := prom.ScrapeConfigs[0]
	if sc.StaticConfigs[0].Targets[0] != "rapport:"+port {
		t.Errorf("prometheus scrapes %v, rapport listens on %s", sc.StaticConfigs[0].Targets, port)
	}
	if sc.BasicAuth.Username != cfg.Web.BasicAuth.Username || pm[sc.BasicAuth.PasswordFile] != "./secrets/web_password" {
		t.Errorf("prometheus authenticates as %q with %s (mounted from %q)", sc.BasicAuth.Username, sc.BasicAuth.PasswordFile, pm[sc.BasicAuth.PasswordFile])
	}

	// Grafana has the datasource and the dashboard provisioned.
	gm := mounts(c.Services["grafana"].Volumes)
	if gm["/etc/grafana/provisioning"] != "./grafana/provisioning" {
		t.Errorf("grafana mounts %v", gm)
	}
	var provider struct {
		Providers []struct {
			Options struct{ Path string }
		}
	}
	data, err = os.ReadFile(filepath.Join(examples, "grafana", "provisioning", "dashboards", "rapport.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &provider); err != nil {
		t.Fatal(err)
	}
	dashboard := provider.Providers[0].Options.Path + "/rapport-dashboard.json"
	if gm[dashboard] != "./grafana/rapport-dashboard.json" {
		t.Errorf("the dashboard provider reads %s, grafana mounts %v", dashboard, gm)
	}

	// Rapport's mail goes to the catcher.
	if cfg.Notify.SMTP.Host != "mailpit" || cfg.Notify.SMTP.Port != 1025 || c.Services["mailpit"].Image == "" {
		t.Errorf("notify.smtp %s:%d", cfg.Notify.SMTP.Host, cfg.Notify.SMTP.Port)
	}
}

func TestTheSystemdUnitIsHardenedAndVerifies(t *testing.T) {
	path := filepath.Join(examples, "systemd", "rapport.service")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	unit := string(data)
	for _, want := range []string{
		"ExecStart=/usr/local/bin/rapport run --config /etc/rapport/rapport.yml",
		"ExecReload=/bin/kill -HUP $MAINPID",
		"DynamicUser=yes", "StateDirectory=rapport", "NoNewPrivileges=yes", "ProtectSystem=strict",
		"ProtectHome=yes", "PrivateTmp=yes", "CapabilityBoundingSet=\n", "SystemCallFilter=@system-service",
		"RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX", "MemoryDenyWriteExecute=yes",
	} {
		if !strings.Contains(unit, want) {
			t.Errorf("the unit lacks %q", strings.TrimSpace(want))
		}
	}
	m := regexp.MustCompile(`TimeoutStopSec=(\d+)s`).FindStringSubmatch(unit)
	if m == nil {
		t.Error("no TimeoutStopSec")
	} else if secs, _ := strconv.Atoi(m[1]); secs <= 10 {
		t.Errorf("TimeoutStopSec=%ss must leave Rapport its 10 s", m[1])
	}

	analyze := itest.Require(t, "systemd-analyze", "apt-get install systemd")
	// verify checks that ExecStart exists; the binary is not installed here.
	dir := t.TempDir()
	copyPath := filepath.Join(dir, "rapport.service")
	if err := os.WriteFile(copyPath, []byte(strings.ReplaceAll(unit, "/usr/local/bin/rapport", "/bin/true")), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", copyPath).CombinedOutput()
	var problems []string
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "rapport.service") {
			problems = append(problems, line)
		}
	}
	if err != nil || len(problems) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}
