package replica

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
)

// ExportPath is the route of the export on a primary's public listener.
const ExportPath = "/api/v1/status/export"

// Register adds GET /api/v1/status/export (httpserve.Routes).
func (e *Exporter) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET "+ExportPath, e.serveExport)
}

// serveExport serves the current export: gzip when the client accepts
// it, each encoding with its own strong ETag, 304 when If-None-Match
// names it, ranges and If-Range through http.ServeContent.
func (e *Exporter) serveExport(w http.ResponseWriter, r *http.Request) {
	x := e.cur.Load()
	if x == nil {
		w.Header().Set("Retry-After", strconv.Itoa(int(e.o.MinInterval.Seconds())+1))
		http.Error(w, "no status exported yet: the primary has not built its zone", http.StatusServiceUnavailable)
		return
	}
	h := w.Header()
	h.Set("Vary", "Accept-Encoding")
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Type", "application/json")
	body, etag := x.body, x.etag
	if acceptsGzip(r.Header.Values("Accept-Encoding")) {
		body, etag = x.gz, x.etagGz
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("ETag", etag)
	http.ServeContent(w, r, "", x.generated, bytes.NewReader(body))
}

// acceptsGzip reports whether an Accept-Encoding header lists gzip with
// a non-zero q value.
func acceptsGzip(values []string) bool {
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			coding, params, _ := strings.Cut(part, ";")
			if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
				continue
			}
			return qValue(params) > 0
		}
	}
	return false
}

// qValue is the q parameter of an Accept-Encoding element; 1 when absent,
// 0 when malformed.
func qValue(params string) float64 {
	for p := range strings.SplitSeq(params, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(k), "q") {
			continue
		}
		q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || q < 0 || q > 1 {
			return 0
		}
		return q
	}
	return 1
}
