package api

import (
	"net/http"
	"strings"
)

// ReadyCheck is one condition of readiness: Check returns nil when it
// holds, else why not.
type ReadyCheck struct {
	Name  string
	Check func() error
}

// Ready serves GET /readyz: 200 "ready" when every check holds, else 503
// with one line per check that does not (name: reason). The checks run
// on each request: keep them cheap (read a pointer or a flag).
type Ready struct {
	checks []ReadyCheck
}

// NewReady returns the readiness route over checks.
func NewReady(checks ...ReadyCheck) *Ready { return &Ready{checks: checks} }

// Register adds GET /readyz to mux.
func (rd *Ready) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /readyz", rd.serve)
}

func (rd *Ready) serve(w http.ResponseWriter, _ *http.Request) {
	var notReady []string
	for _, c := range rd.checks {
		if err := c.Check(); err != nil {
			notReady = append(notReady, c.Name+": "+oneLine(err.Error()))
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if len(notReady) > 0 {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("not ready\n" + strings.Join(notReady, "\n") + "\n"))
		return
	}
	w.Write([]byte("ready\n"))
}

func oneLine(s string) string {
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
}
