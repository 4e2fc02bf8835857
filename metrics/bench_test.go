package metrics

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rapport-dev/rapport/analyzer"
)

var (
	benchOnce sync.Once
	benchRep  analyzer.Report
	benchOrg  analyzer.Org
)

// benchReport is an analysis of 10,000 pairs: 1,000 managers of ten
// reports each, in 1,000 teams under 100 parents.
func benchReport(b *testing.B) (analyzer.Report, analyzer.Org) {
	benchOnce.Do(func() { benchRep, benchOrg = largeOrg(1000, 10) })
	if len(benchRep.Pairs) != 10000 {
		b.Fatalf("%d pairs", len(benchRep.Pairs))
	}
	return benchRep, benchOrg
}

// BenchmarkScrape serves /metrics for 10,000 pairs at each label
// granularity, plain and as Prometheus asks for it (gzip); the goal is
// under 100 ms.
func BenchmarkScrape(b *testing.B) {
	rep, org := benchReport(b)
	for _, labels := range []string{LabelsPair, LabelsManager, LabelsTeam} {
		for _, gz := range []bool{false, true} {
			name := labels + "/plain"
			if gz {
				name = labels + "/gzip"
			}
			b.Run(name, func(b *testing.B) {
				reg := prometheus.NewRegistry()
				m, err := New(reg, testBuild)
				if err != nil {
					b.Fatal(err)
				}
				m.UpdateFindings(rep, View{Labels: labels, Org: org, PrivacyMinGroup: 5})
				m.Findings.exposition() // made once per analysis, not per scrape
				h := Handler(reg, m.Findings, nil)
				req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
				if gz {
					req.Header.Set("Accept-Encoding", "gzip")
				}
				var size int
				b.ReportAllocs()
				for b.Loop() {
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, req)
					size = rec.Body.Len()
				}
				text, _ := m.Findings.exposition()
				b.ReportMetric(float64(size), "bytes/scrape")
				b.ReportMetric(float64(bytes.Count(text, []byte("\nrapport_"))), "series")
			})
		}
	}
}

// BenchmarkUpdate builds the findings snapshot of 10,000 pairs and its
// encodings: what each analysis cycle costs the metrics.
func BenchmarkUpdate(b *testing.B) {
	rep, org := benchReport(b)
	for _, labels := range []string{LabelsPair, LabelsManager, LabelsTeam} {
		b.Run(labels, func(b *testing.B) {
			f := NewFindings()
			b.ReportAllocs()
			for b.Loop() {
				f.Update(rep, View{Labels: labels, Org: org, PrivacyMinGroup: 5})
				f.exposition()
			}
		})
	}
}
