package analyzer_test

import (
	"testing"

	"github.com/rapport-dev/rapport/analyzer"
)

func TestFoldTeamsKeepsSmallTeamsOutOfLeadersSight(t *testing.T) {
	org := analyzer.Org{Teams: []analyzer.Team{
		{Name: "engineering"},
		{Name: "platform", Parent: "engineering"},
		{Name: "payments", Parent: "engineering"},
		{Name: "mobile", Parent: "engineering"},
		{Name: "design"},
		{Name: "legal"},
	}}
	teams := []analyzer.TeamReport{
		{Team: "engineering"},
		{Team: "platform", Pairs: 6, Healthy: 6},
		{Team: "payments", Pairs: 2, Drifting: 2},
		{Team: "mobile", Pairs: 3, AtRisk: 3},
		{Team: "design", Pairs: 3, Healthy: 3},
		{Team: "legal", Pairs: 1, AtRisk: 1},
	}
	tests := []struct {
		name string
		min  int
		want map[string]int // team → pairs
	}{
		{"teams at or above the minimum stand alone; small ones fold into their parent", 5,
			map[string]int{"platform": 6, "engineering": 5}},
		{"a minimum of one hides nothing", 1,
			map[string]int{"platform": 6, "payments": 2, "mobile": 3, "design": 3, "legal": 1}},
		{"small teams without a parent pool as other when the pool is large enough", 4,
			map[string]int{"platform": 6, "engineering": 5, "other": 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := map[string]int{}
			for _, tr := range analyzer.FoldTeams(org, teams, tt.min) {
				got[tr.Team] = tr.Pairs
				if tr.Pairs < tt.min {
					t.Errorf("%s shown with %d pairs, under the minimum %d", tr.Team, tr.Pairs, tt.min)
				}
				if tr.Healthy+tr.Drifting+tr.AtRisk != tr.Pairs {
					t.Errorf("%s: bands do not add up to pairs", tr.Team)
				}
			}
			if len(got) != len(tt.want) {
				t.Errorf("teams = %v, want %v", got, tt.want)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("teams = %v, want %v", got, tt.want)
					break
				}
			}
		})
	}
}
