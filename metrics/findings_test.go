package metrics

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"

	"github.com/rapport-dev/rapport/analyzer"
)

var update = flag.Bool("update", false, "rewrite the golden exposition files in testdata")

// exposition gathers g in the text format.
func exposition(t testing.TB, g prometheus.Gatherer) string {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	enc := expfmt.NewEncoder(&b, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			t.Fatal(err)
		}
	}
	return b.String()
}

func TestFindingsAtEachGranularity(t *testing.T) {
	rep, org := smallOrg()
	for _, tc := range []struct {
		labels string
		// present and absent are metric names that must and must not be
		// exposed, beyond the golden file.
		present, absent []string
	}{
		{LabelsPair, []string{"rapport_pair_health_score", "rapport_manager_pairs", "rapport_team_pairs"}, nil},
		{LabelsManager, []string{"rapport_manager_pairs", "rapport_team_pairs"}, []string{"rapport_pair_health_score", "rapport_pair_band"}},
		{LabelsTeam, []string{"rapport_team_pairs", "rapport_pairs"}, []string{"rapport_pair_band", "rapport_manager_pairs"}},
	} {
		t.Run("labels "+tc.labels, func(t *testing.T) {
			f := NewFindings()
			f.Update(rep, View{Labels: tc.labels, Org: org, PrivacyMinGroup: 2})
			golden := filepath.Join("testdata", "findings-"+tc.labels+".prom")
			if *update {
				reg := prometheus.NewPedanticRegistry()
				reg.MustRegister(f)
				if err := os.WriteFile(golden, []byte(exposition(t, reg)), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if err := testutil.CollectAndCompare(f, bytes.NewReader(want)); err != nil {
				t.Error(err)
			}
			for _, name := range tc.present {
				if testutil.CollectAndCount(f, name) == 0 {
					t.Errorf("%s absent", name)
				}
			}
			for _, name := range tc.absent {
				if n := testutil.CollectAndCount(f, name); n != 0 {
					t.Errorf("%s has %d series at labels %s", name, n, tc.labels)
				}
			}
		})
	}
}

func TestSmallTeamsFoldIntoTheirParentForPrivacy(t *testing.T) {
	rep, org := smallOrg()
	for _, tc := range []struct {
		name  string
		min   int
		teams string // the team label values exposed, sorted
	}{
		{"a minimum of 1 shows every team", 1, "platform tiny"},
		{"a minimum of 2 hides the one-pair team, and its pool is too small to show", 2, "platform"},
		{"a minimum of 4 pools both teams as the parent", 4, "engineering"},
		{"a minimum of 5 shows no team at all", 5, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := NewFindings()
			f.Update(rep, View{Labels: LabelsTeam, Org: org, PrivacyMinGroup: tc.min})
			reg := prometheus.NewPedanticRegistry()
			reg.MustRegister(f)
			mfs, err := reg.Gather()
			if err != nil {
				t.Fatal(err)
			}
			var teams []string
			for _, mf := range mfs {
				if mf.GetName() != "rapport_team_coverage_ratio" {
					continue
				}
				for _, m := range mf.GetMetric() {
					teams = append(teams, m.GetLabel()[0].GetValue())
				}
			}
			if got := strings.Join(teams, " "); got != tc.teams {
				t.Errorf("teams %q, want %q", got, tc.teams)
			}
		})
	}
}

func TestFindingsShowOnlyTheLatestReport(t *testing.T) {
	rep, org := smallOrg()
	f := NewFindings()
	if n := testutil.CollectAndCount(f); n != 0 {
		t.Fatalf("%d series before the first report", n)
	}
	v := View{Labels: LabelsPair, Org: org, PrivacyMinGroup: 1}
	f.Update(rep, v)
	if n := testutil.CollectAndCount(f, "rapport_pair_health_score"); n != 4 {
		t.Fatalf("%d pair scores, want 4", n)
	}
	// Yann left: his pair's series go with the next report, nothing stale.
	later := rep
	later.Pairs = rep.Pairs[:3]
	later.Teams = rep.Teams[:1]
	f.Update(later, v)
	if n := testutil.CollectAndCount(f, "rapport_pair_health_score"); n != 3 {
		t.Errorf("%d pair scores after a pair left, want 3", n)
	}
	if n := testutil.CollectAndCount(f, "rapport_manager_pairs"); n != 3 {
		t.Errorf("%d manager band series after a manager left, want 3 (one manager)", n)
	}
}

func TestAScrapeNeverSeesHalfAnUpdate(t *testing.T) {
	small, org := smallOrg()
	v := View{Labels: LabelsPair, Org: org, PrivacyMinGroup: 1}
	f := NewFindings()
	f.Update(small, v)
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(f)
	empty := analyzer.Report{GeneratedAt: small.GeneratedAt, WindowDays: small.WindowDays}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 200 {
			if i%2 == 0 {
				f.Update(empty, v)
			} else {
				f.Update(small, v)
			}
		}
	}()
	for range 200 {
		n, err := testutil.GatherAndCount(reg, "rapport_pair_health_score")
		if err != nil {
			t.Fatal(err)
		}
		if n != 0 && n != 4 {
			t.Fatalf("a scrape saw %d pair scores: half an update", n)
		}
	}
	wg.Wait()
}

func TestLabelValuesAreMadeValidUTF8(t *testing.T) {
	rep := analyzer.Report{GeneratedAt: now, WindowDays: 84, Pairs: []analyzer.PairReport{{
		Manager: "m\xffx@example.com", Report: "r@example.com", Band: analyzer.BandHealthy, Score: 100,
	}}}
	f := NewFindings()
	f.Update(rep, View{Labels: LabelsPair})
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(f)
	if _, err := reg.Gather(); err != nil {
		t.Fatalf("gather: %v", err)
	}
	if !strings.Contains(exposition(t, reg), `manager="m`+"\uFFFD"+`x@example.com"`) {
		t.Error("the invalid byte was not replaced")
	}
}
