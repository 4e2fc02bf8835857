package metrics

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"gopkg.in/yaml.v3"

	"github.com/rapport-dev/rapport/internal/itest"
)

// The examples that reference metric names: they must follow renames.
var (
	examples       = filepath.Join("..", "examples")
	rulesFile      = filepath.Join(examples, "prometheus", "rules.yml")
	dashboardFile  = filepath.Join(examples, "grafana", "rapport-dashboard.json")
	datasourceFile = filepath.Join(examples, "grafana", "provisioning", "datasources", "prometheus.yml")
)

func TestAlertingAndRecordingRulesPassPromtool(t *testing.T) {
	promtool := itest.Require(t, "promtool", "apt-get install prometheus")
	for _, args := range [][]string{
		{"check", "rules", "rules.yml"},
		{"test", "rules", "rules_test.yml"},
		{"check", "config", "prometheus.yml"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			cmd := exec.Command(promtool, args...)
			cmd.Dir = filepath.Join(examples, "prometheus")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
			}
		})
	}
}

// metricNames are the names a query may use: every family of a fully
// populated registry, with the series names of histograms.
func metricNames(t *testing.T) map[string]bool {
	t.Helper()
	reg, m := fullRegistry(t, LabelsPair)
	reg.MustRegister(m.Findings)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, mf := range mfs {
		names[mf.GetName()] = true
		if mf.GetType() == dto.MetricType_HISTOGRAM {
			for _, s := range []string{"_bucket", "_sum", "_count"} {
				names[mf.GetName()+s] = true
			}
		}
	}
	return names
}

type rulesDoc struct {
	Groups []struct {
		Name  string
		Rules []struct {
			Record, Alert, Expr string
		}
	}
}

func loadRules(t *testing.T) rulesDoc {
	t.Helper()
	data, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	var doc rulesDoc
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

var identifier = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)

// unknownNames returns the rapport_ metric names expr uses that are
// neither exported nor recorded.
func unknownNames(expr string, names, recorded map[string]bool) []string {
	var out []string
	for _, id := range identifier.FindAllString(expr, -1) {
		if !strings.Contains(id, "rapport_") {
			continue
		}
		if strings.Contains(id, ":") {
			if !recorded[id] {
				out = append(out, id+" (not recorded in rules.yml)")
			}
			continue
		}
		if !names[id] {
			out = append(out, id)
		}
	}
	return out
}

func TestRulesQueryExistingMetrics(t *testing.T) {
	names := metricNames(t)
	doc := loadRules(t)
	recorded := map[string]bool{}
	for _, g := range doc.Groups {
		for _, r := range g.Rules {
			if r.Record != "" {
				recorded[r.Record] = true
			}
		}
	}
	alerts := 0
	for _, g := range doc.Groups {
		for _, r := range g.Rules {
			if r.Alert != "" {
				alerts++
			}
			if bad := unknownNames(r.Expr, names, recorded); len(bad) > 0 {
				t.Errorf("rule %s%s queries unknown metrics: %v", r.Record, r.Alert, bad)
			}
		}
	}
	if alerts < 4 {
		t.Errorf("%d alerts, want at least the four of the issue", alerts)
	}
}

type panel struct {
	ID         int
	Type       string
	Title      string
	Datasource struct{ Type, UID string }
	Targets    []struct {
		Expr       string
		Datasource struct{ Type, UID string }
	}
	Panels []panel // of a collapsed row
}

func TestGrafanaDashboardQueriesExistingMetrics(t *testing.T) {
	names := metricNames(t)
	recorded := map[string]bool{}
	for _, g := range loadRules(t).Groups {
		for _, r := range g.Rules {
			if r.Record != "" {
				recorded[r.Record] = true
			}
		}
	}
	var provisioned struct {
		Datasources []struct{ Name, UID, Type, URL string }
	}
	data, err := os.ReadFile(datasourceFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &provisioned); err != nil {
		t.Fatal(err)
	}
	if len(provisioned.Datasources) != 1 || provisioned.Datasources[0].Type != "prometheus" || provisioned.Datasources[0].URL != "http://prometheus:9090" {
		t.Fatalf("provisioned datasources = %+v, want the compose Prometheus", provisioned.Datasources)
	}
	uid := provisioned.Datasources[0].UID

	data, err = os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		UID, Title    string
		SchemaVersion int
		Panels        []panel
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	if dash.UID == "" || dash.Title == "" || dash.SchemaVersion == 0 {
		t.Errorf("dashboard uid %q title %q schemaVersion %d", dash.UID, dash.Title, dash.SchemaVersion)
	}
	var all []panel
	for _, p := range dash.Panels {
		all = append(all, p)
		all = append(all, p.Panels...)
	}
	queries, ids := 0, map[int]bool{}
	for _, p := range all {
		if ids[p.ID] {
			t.Errorf("panel id %d used twice", p.ID)
		}
		ids[p.ID] = true
		if p.Type == "row" {
			continue
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		if p.Datasource.UID != uid {
			t.Errorf("panel %q uses datasource %q, want the provisioned %q", p.Title, p.Datasource.UID, uid)
		}
		for _, q := range p.Targets {
			queries++
			if !strings.Contains(q.Expr, "rapport_") {
				t.Errorf("panel %q: query %q uses no Rapport metric", p.Title, q.Expr)
			}
			if bad := unknownNames(q.Expr, names, recorded); len(bad) > 0 {
				t.Errorf("panel %q: query %q uses unknown metrics %v", p.Title, q.Expr, bad)
			}
		}
	}
	if queries < 10 {
		t.Errorf("only %d queries in the dashboard", queries)
	}
}
