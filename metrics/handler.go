package metrics

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"hash/crc32"
	"log/slog"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
)

// Handler serves /metrics in the Prometheus text format: what g gathers
// (Rapport's own metrics, Go's, the process's), then the findings of f.
//
// The findings are not gathered through a registry on every scrape: with
// metrics.labels "pair", 10,000 pairs are some 140,000 series, which a
// registry takes most of a second to collect, check, sort and encode. Their
// text and compressed forms are made once per analysis instead, and a
// scrape copies them. g should therefore not include f; findings families
// it does return are dropped rather than exposed twice. f is still a
// prometheus.Collector, for any registry that wants it.
func Handler(g prometheus.Gatherer, f *Findings, logger *slog.Logger) http.Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	contentType := string(expfmt.NewFormat(expfmt.TypeTextPlain))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mfs, err := g.Gather()
		if err != nil {
			// A registry returns what it could gather along with the error.
			logger.Error("metrics: gathering failed", "err", err)
			if len(mfs) == 0 {
				http.Error(w, "gathering metrics failed", http.StatusInternalServerError)
				return
			}
		}
		var own bytes.Buffer
		enc := expfmt.NewEncoder(&own, expfmt.NewFormat(expfmt.TypeTextPlain))
		for _, mf := range mfs {
			if isFinding(mf.GetName()) {
				continue
			}
			if err := enc.Encode(mf); err != nil {
				logger.Error("metrics: encoding failed", "family", mf.GetName(), "err", err)
			}
		}
		text, deflated := f.exposition()
		h := w.Header()
		h.Set("Content-Type", contentType)
		h.Add("Vary", "Accept-Encoding")
		if !acceptsGzip(r) {
			_, _ = w.Write(own.Bytes())
			_, _ = w.Write(text)
			return
		}
		h.Set("Content-Encoding", "gzip")
		_, _ = w.Write(gzipJoin(own.Bytes(), text, deflated))
	})
}

// acceptsGzip reports whether the request accepts gzip (and not with
// q=0).
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, params, _ := strings.Cut(part, ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		q := strings.TrimRight(strings.ReplaceAll(params, " ", ""), "0")
		return q != "q=" && q != "q=0."
	}
	return false
}

// deflate compresses b as a complete raw DEFLATE stream. Compressed from a
// fresh state, its blocks refer to nothing before their own start, so the
// stream may follow any flushed DEFLATE data.
func deflate(b []byte) []byte {
	var out bytes.Buffer
	zw, _ := flate.NewWriter(&out, flate.BestSpeed)
	_, _ = zw.Write(b)
	_ = zw.Close()
	return out.Bytes()
}

// gzipJoin makes one gzip member (RFC 1952) of head followed by tail, where
// tailDeflated is deflate(tail): head is compressed and flushed to a byte
// boundary, tail's cached blocks follow, and the trailer covers both.
func gzipJoin(head, tail, tailDeflated []byte) []byte {
	var out bytes.Buffer
	out.Write([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255}) // deflate, no flags, no mtime, unknown OS
	zw, _ := flate.NewWriter(&out, flate.BestSpeed)
	_, _ = zw.Write(head)
	if len(tailDeflated) == 0 {
		_ = zw.Close()
	} else {
		_ = zw.Flush() // a sync flush: not the final block
		out.Write(tailDeflated)
	}
	crc := crc32.Update(crc32.ChecksumIEEE(head), crc32.IEEETable, tail)
	out.Write(binary.LittleEndian.AppendUint32(nil, crc))
	out.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(head)+len(tail))))
	return out.Bytes()
}
