package api

import (
	"net/http"
	"sync/atomic"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/api/apiv1"
	"github.com/mirrorsignal/mirrorsignal/server/zone"
)

// Signal serves GET /api/v1/signal and /healthz on the public listener. It
// subscribes to the zone and reports the snapshot last delivered.
type Signal struct {
	cur atomic.Pointer[zone.Snapshot]
}

// NewSignal returns the public routes.
func NewSignal() *Signal { return &Signal{} }

// ZoneChanged keeps s as the zone to report.
func (a *Signal) ZoneChanged(s *zone.Snapshot) { a.cur.Store(s) }

// Register adds the public routes to mux.
func (a *Signal) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", Healthz)
	mux.HandleFunc("GET "+apiv1.PathSignal, a.getSignal)
}

// Healthz answers liveness: the process serves HTTP.
func Healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok\n"))
}

func (a *Signal) getSignal(w http.ResponseWriter, _ *http.Request) {
	s := a.cur.Load()
	if s == nil {
		httpError(w, http.StatusServiceUnavailable, "zone not built yet")
		return
	}
	writeJSON(w, http.StatusOK, SignalOf(s))
}

// SignalOf is the API view of a snapshot.
func SignalOf(s *zone.Snapshot) apiv1.Signal {
	out := apiv1.Signal{Name: s.Name, Record: s.Record.String(), Trees: s.Record.Layout, Serial: s.Serial, Published: map[string]apiv1.Tree{}}
	for i, tree := range s.Record.Layout {
		tj := apiv1.Tree{Stamp: s.Record.Stamps[i]}
		if tj.Stamp != 0 {
			tj.Time = rfc3339(tj.Stamp)
		}
		out.Published[tree] = tj
	}
	out.DNSSEC = apiv1.DNSSEC{Signed: s.DNSSEC.Signed, KeyTags: s.DNSSEC.KeyTags}
	if !s.DNSSEC.Expiry.IsZero() {
		out.DNSSEC.Expiry = s.DNSSEC.Expiry.UTC().Format(time.RFC3339)
	}
	return out
}

func rfc3339(sec int64) string { return time.Unix(sec, 0).UTC().Format(time.RFC3339) }
