package web

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/rapport-dev/rapport/analyzer"
)

// pairsResponse is GET /api/v1/pairs: the report contract without teams.
type pairsResponse struct {
	GeneratedAt time.Time             `json:"generated_at"`
	WindowDays  int                   `json:"window_days"`
	Pairs       []analyzer.PairReport `json:"pairs"`
}

// teamsResponse is GET /api/v1/teams: the report contract without pairs.
type teamsResponse struct {
	GeneratedAt time.Time             `json:"generated_at"`
	WindowDays  int                   `json:"window_days"`
	Teams       []analyzer.TeamReport `json:"teams"`
}

// apiPairs serves the pairs, optionally only those of ?team=, ?manager=
// and ?band=.
func (s *Server) apiPairs(w http.ResponseWriter, r *http.Request) {
	rep := s.report.Load()
	if rep == nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "no analysis yet: the first cycle is running"})
		return
	}
	q := r.URL.Query()
	team, manager, band := q.Get("team"), q.Get("manager"), q.Get("band")
	out := pairsResponse{GeneratedAt: rep.GeneratedAt, WindowDays: rep.WindowDays, Pairs: make([]analyzer.PairReport, 0, len(rep.Pairs))}
	for _, p := range rep.Pairs {
		if (q.Has("team") && p.Team != team) || (manager != "" && p.Manager != manager) || (band != "" && string(p.Band) != band) {
			continue
		}
		out.Pairs = append(out.Pairs, p)
	}
	writeJSON(w, http.StatusOK, out)
}

// apiTeams serves the team roll-ups, as in the report.
func (s *Server) apiTeams(w http.ResponseWriter, r *http.Request) {
	rep := s.report.Load()
	if rep == nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "no analysis yet: the first cycle is running"})
		return
	}
	teams := rep.Teams
	if teams == nil {
		teams = []analyzer.TeamReport{}
	}
	writeJSON(w, http.StatusOK, teamsResponse{GeneratedAt: rep.GeneratedAt, WindowDays: rep.WindowDays, Teams: teams})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
