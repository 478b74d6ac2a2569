package advice

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/agentapi/advice/advicekey"
)

// Path is the route, registered for GET (and so HEAD).
const Path = "/api/v1/sync-sources"

// Handler serves signed sync-source advice on the public listener.
type Handler struct {
	o   Options
	key ed25519.PrivateKey
	fan *fanOut
	m   *metrics
}

// New loads the advice key (creating it at the first start) and returns
// the handler.
func New(o Options) (*Handler, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	key, created, err := advicekey.LoadOrCreate(o.KeyPath)
	if err != nil {
		return nil, err
	}
	if created {
		o.Log.Info("created the sync-source advice key; agents pin its public key as sync_sources.public_key",
			"path", o.KeyPath, "public_key", advicekey.PublicKeyString(key))
	}
	m, err := newMetrics(o.Registerer)
	if err != nil {
		return nil, err
	}
	return &Handler{o: o, key: key, fan: newFanOut(o.FanOut, o.Window), m: m}, nil
}

// PublicKey is the key agents pin.
func (h *Handler) PublicKey() ed25519.PublicKey { return h.key.Public().(ed25519.PublicKey) }

// Register adds GET Path to mux.
func (h *Handler) Register(mux *http.ServeMux) { mux.HandleFunc("GET "+Path, h.serve) }

func (h *Handler) serve(w http.ResponseWriter, r *http.Request) {
	a, err := h.answer(r.URL.RawQuery)
	if err != nil {
		status := http.StatusInternalServerError
		var pe *paramError
		if errors.As(err, &pe) {
			status = pe.status
		}
		h.m.request(status)
		w.Header().Set("Cache-Control", "no-store")
		http.Error(w, strings.ReplaceAll(err.Error(), "\n", " "), status)
		return
	}
	body, err := json.Marshal(a)
	if err != nil {
		h.m.request(http.StatusInternalServerError)
		h.o.Log.Error("encode advice", "err", err)
		http.Error(w, "cannot encode advice", http.StatusInternalServerError)
		return
	}
	h.m.request(http.StatusOK)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	w.Write(append(body, '\n'))
}

// answer builds and signs the advice for a raw query.
func (h *Handler) answer(raw string) (Advice, error) {
	q, err := ParseQuery(raw)
	if err != nil {
		return Advice{}, err
	}
	f, v := h.o.Fleet(), h.o.View()
	if f == nil {
		return Advice{}, unavailable("the mirror list is not loaded")
	}
	req, ok := f.Mirror(q.Mirror)
	switch {
	case !ok:
		return Advice{}, notFound("unknown mirror %q", q.Mirror)
	case !slices.Contains(f.Layout(), q.Tree):
		return Advice{}, notFound("unknown tree %q", q.Tree)
	case !req.Carries(q.Tree):
		return Advice{}, notFound("mirror %q does not carry tree %q", q.Mirror, q.Tree)
	case v == nil || v.Signal[q.Tree] == 0:
		return Advice{}, unavailable("the checker has not seen a signal for tree %q yet", q.Tree)
	}
	signal, now := v.Signal[q.Tree], h.o.Now()
	picked, capped := h.fan.pick(req.Name(), rank(f, v, req, q.Tree, signal), h.o.MaxSources, now)
	h.m.handed.Add(float64(len(picked)))
	h.m.capped.Add(float64(capped))
	sources := make([]string, len(picked))
	for i, c := range picked {
		sources[i] = c.url
	}
	issued := now.Unix()
	return Sign(h.key, Advice{Tree: q.Tree, Signal: signal, Issued: issued,
		Expires: issued + int64(h.o.Validity/time.Second), Sources: sources}), nil
}

func notFound(format string, args ...any) *paramError {
	return &paramError{http.StatusNotFound, fmt.Sprintf(format, args...)}
}

func unavailable(format string, args ...any) *paramError {
	return &paramError{http.StatusServiceUnavailable, fmt.Sprintf(format, args...)}
}
