package analyzer_test

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rapport-dev/rapport/analyzer"
)

// The report JSON is a contract (DESIGN.md, "Report JSON"): scripts and
// dashboards rely on its exact keys, types and enumerations.
func TestReportJSONFollowsTheContract(t *testing.T) {
	var moves []string
	for _, d := range []string{"20260316", "20260323", "20260330", "20260406"} {
		moves = append(moves, override("ab", "bob@example.com", d, d+"T160000", d+"T163000", "LAST-MODIFIED:"+d+"T080000Z"))
	}
	r := analyze(t, calendarOf(t, "alice@example.com", weekly("ab", "bob@example.com", "20260105")+"\n"+strings.Join(moves, "\n")))
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	c := contract{t: t}
	c.keys("report", doc, "generated_at", "window_days", "pairs", "teams")
	c.time("generated_at", doc["generated_at"])
	c.number("window_days", doc["window_days"])
	pairs := c.list("pairs", doc["pairs"])
	if len(pairs) != 2 {
		t.Fatalf("want 2 pairs, got %d", len(pairs))
	}
	sawSignal := false
	for _, p := range pairs {
		pm := c.object("pair", p)
		c.keys("pair", pm, "manager", "report", "team", "band", "score", "intended_interval_days", "realized_interval_days",
			"days_since_last", "next_planned", "counts", "signals")
		c.oneOf("band", pm["band"], "healthy", "drifting", "at_risk")
		if s := c.number("score", pm["score"]); s < 0 || s > 100 {
			t.Errorf("score %v out of 0-100", s)
		}
		for _, k := range []string{"intended_interval_days", "realized_interval_days", "days_since_last"} {
			if pm[k] != nil {
				c.number(k, pm[k])
			}
		}
		if pm["next_planned"] != nil {
			c.time("next_planned", pm["next_planned"])
		}
		counts := c.object("counts", pm["counts"])
		c.keys("counts", counts, "held", "moved", "late_moved", "shortened", "skipped", "excused", "upcoming")
		for k, v := range counts {
			c.number("counts."+k, v)
		}
		for _, s := range c.list("signals", pm["signals"]) {
			sawSignal = true
			sm := c.object("signal", s)
			c.keys("signal", sm, "name", "value", "threshold", "evidence")
			c.oneOf("signal name", sm["name"], "reschedule_rate", "late_reschedules", "shortened", "skip_rate", "falling_cadence", "overdue", "nothing_scheduled", "no_agenda")
			c.number("value", sm["value"])
			c.number("threshold", sm["threshold"])
			for _, e := range c.list("evidence", sm["evidence"]) {
				em := c.object("evidence", e)
				c.keys("evidence", em, "planned", "actual", "fate", "late")
				c.time("planned", em["planned"])
				if em["actual"] != nil {
					c.time("actual", em["actual"])
				}
				c.oneOf("fate", em["fate"], "held", "moved", "shortened", "skipped", "excused", "upcoming")
				if _, ok := em["late"].(bool); !ok {
					t.Errorf("evidence.late is %T, want bool", em["late"])
				}
			}
		}
	}
	if !sawSignal {
		t.Error("the scenario should have produced signals")
	}
	teams := c.list("teams", doc["teams"])
	if len(teams) != 1 {
		t.Fatalf("want 1 team, got %d", len(teams))
	}
	tm := c.object("team", teams[0])
	c.keys("team", tm, "team", "pairs", "coverage", "healthy", "drifting", "at_risk", "median_days_since_last")
	if cov := c.number("coverage", tm["coverage"]); cov < 0 || cov > 1 {
		t.Errorf("coverage %v out of 0-1", cov)
	}
}

type contract struct{ t *testing.T }

func (c contract) keys(what string, m map[string]any, want ...string) {
	c.t.Helper()
	var got []string
	for k := range m {
		got = append(got, k)
	}
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		c.t.Errorf("%s keys = %v, want %v", what, got, want)
	}
}

func (c contract) object(what string, v any) map[string]any {
	c.t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		c.t.Fatalf("%s is %T, want an object", what, v)
	}
	return m
}

func (c contract) list(what string, v any) []any {
	c.t.Helper()
	l, ok := v.([]any)
	if !ok {
		c.t.Fatalf("%s is %T, want a list (never null)", what, v)
	}
	return l
}

func (c contract) number(what string, v any) float64 {
	c.t.Helper()
	n, ok := v.(float64)
	if !ok {
		c.t.Errorf("%s is %T, want a number", what, v)
	}
	return n
}

func (c contract) time(what string, v any) {
	c.t.Helper()
	s, ok := v.(string)
	if _, err := time.Parse(time.RFC3339, s); !ok || err != nil {
		c.t.Errorf("%s = %v, want an RFC 3339 time", what, v)
	}
}

func (c contract) oneOf(what string, v any, allowed ...string) {
	c.t.Helper()
	s, _ := v.(string)
	for _, a := range allowed {
		if s == a {
			return
		}
	}
	c.t.Errorf("%s = %v, want one of %v", what, v, allowed)
}

func TestReportWithNoPairsHasEmptyListsNotNull(t *testing.T) {
	r := analyzer.Analyze(analyzer.Input{Now: now, Settings: analyzer.DefaultSettings()})
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"pairs":[]`) || !strings.Contains(string(data), `"teams":[]`) {
		t.Errorf("got %s", data)
	}
}
