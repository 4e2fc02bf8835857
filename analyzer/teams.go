package analyzer

import "sort"

// TeamReport is a team's cadence health in aggregate.
type TeamReport struct {
	Team                string   `json:"team"`
	Pairs               int      `json:"pairs"`
	Coverage            float64  `json:"coverage"` // reports who met within 2× their interval / all reports
	Healthy             int      `json:"healthy"`
	Drifting            int      `json:"drifting"`
	AtRisk              int      `json:"at_risk"`
	MedianDaysSinceLast *float64 `json:"median_days_since_last"`

	covered int
	days    []int
}

func (t *TeamReport) add(p PairReport) {
	t.Pairs++
	switch p.Band {
	case BandHealthy:
		t.Healthy++
	case BandDrifting:
		t.Drifting++
	default:
		t.AtRisk++
	}
	if p.Covered {
		t.covered++
	}
	if p.DaysSinceLast != nil {
		t.days = append(t.days, *p.DaysSinceLast)
	}
}

func (t *TeamReport) merge(o TeamReport) {
	t.Pairs += o.Pairs
	t.Healthy += o.Healthy
	t.Drifting += o.Drifting
	t.AtRisk += o.AtRisk
	t.covered += o.covered
	t.days = append(t.days, o.days...)
}

func (t *TeamReport) finish() {
	t.Coverage = 0
	if t.Pairs > 0 {
		t.Coverage = round(float64(t.covered) / float64(t.Pairs))
	}
	t.MedianDaysSinceLast = nil
	if n := len(t.days); n > 0 {
		d := append([]int(nil), t.days...)
		sort.Ints(d)
		m := float64(d[n/2])
		if n%2 == 0 {
			m = float64(d[n/2-1]+d[n/2]) / 2
		}
		t.MedianDaysSinceLast = &m
	}
}

// rollUp aggregates pairs per configured team, in configuration order.
// Teams that only group other teams have no pairs of their own and are not
// listed; pairs inferred from calendars belong to no team.
func rollUp(org Org, pairs []PairReport) []TeamReport {
	byName := map[string]*TeamReport{}
	out := make([]TeamReport, 0, len(org.Teams))
	for _, t := range org.Teams {
		if _, dup := byName[t.Name]; dup || len(t.Reports) == 0 {
			continue
		}
		out = append(out, TeamReport{Team: t.Name})
		byName[t.Name] = nil
	}
	for i := range out {
		byName[out[i].Team] = &out[i]
	}
	for _, p := range pairs {
		if t := byName[p.Team]; t != nil && p.Team != "" {
			t.add(p)
		}
	}
	for i := range out {
		out[i].finish()
	}
	return out
}

// FoldTeams protects privacy in aggregates shown to leaders: a team with
// fewer pairs than min is folded into its parent team (repeatedly, up the
// tree), and what has no parent left to fold into is pooled as "other";
// a pool still under min is not shown at all.
func FoldTeams(org Org, teams []TeamReport, min int) []TeamReport {
	parent := map[string]string{}
	for _, t := range org.Teams {
		parent[t.Name] = t.Parent
	}
	acc := map[string]*TeamReport{}
	var order []string
	for _, t := range teams {
		tt := t
		acc[t.Team] = &tt
		order = append(order, t.Team)
	}
	// Teams that only group others (no reports of their own) are not in the
	// roll-up, but small teams fold into them.
	for _, t := range org.Teams {
		if _, ok := acc[t.Name]; !ok {
			acc[t.Name] = &TeamReport{Team: t.Name}
			order = append(order, t.Name)
		}
	}
	// Fold bottom-up until nothing small with a parent remains; the depth
	// bound guards against a cycle in the configuration.
	for range len(order) + 1 {
		changed := false
		for _, name := range order {
			t := acc[name]
			if t == nil || t.Pairs >= min || t.Pairs == 0 {
				continue
			}
			p := parent[name]
			if p == "" || acc[p] == nil || p == name {
				continue
			}
			acc[p].merge(*t)
			delete(acc, name)
			changed = true
		}
		if !changed {
			break
		}
	}
	var out []TeamReport
	other := TeamReport{Team: "other"}
	for _, name := range order {
		t := acc[name]
		if t == nil || t.Pairs == 0 {
			continue
		}
		if t.Pairs < min {
			other.merge(*t)
			continue
		}
		t.finish()
		out = append(out, *t)
	}
	if other.Pairs >= min {
		other.finish()
		out = append(out, other)
	}
	return out
}
