package httpapi

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/publish"
	"github.com/mirrorsignal/mirrorsignal/signal"
)

// maxBody caps request bodies of the admin API.
const maxBody = 4096

// Signal is the state the API reports.
type Signal struct {
	Name   string
	Record signal.Record
	Serial uint32
}

// Publisher is what the admin API calls.
type Publisher interface {
	Publish(ctx context.Context, req publish.Request) (publish.Result, error)
}

// API holds the handlers' dependencies.
type API struct {
	signal    func() Signal
	publisher Publisher
	token     []byte
	log       *slog.Logger
}

// New returns the API. token is the admin bearer token; it must not be empty.
func New(current func() Signal, p Publisher, token []byte, log *slog.Logger) *API {
	return &API{signal: current, publisher: p, token: token, log: log.With("component", "http")}
}

// Handler returns the routes; metrics, when not nil, serves /metrics.
func (a *API) Handler(metrics http.Handler) http.Handler {
	mux := http.NewServeMux()
	if metrics != nil {
		mux.Handle("GET /metrics", metrics)
	}
	mux.HandleFunc("GET /healthz", a.healthz)
	mux.HandleFunc("GET /api/v1/signal", a.getSignal)
	mux.HandleFunc("POST /api/v1/admin/publish", a.postPublish)
	return mux
}

func (a *API) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, "ok\n")
}

// SignalJSON is the body of GET /api/v1/signal.
type SignalJSON struct {
	Name      string              `json:"name"`
	Record    string              `json:"record"`
	Trees     []string            `json:"trees"`
	Serial    uint32              `json:"serial"`
	Published map[string]TreeJSON `json:"published"`
}

// TreeJSON is one tree's published time.
type TreeJSON struct {
	Stamp int64  `json:"stamp"`
	Time  string `json:"time,omitempty"` // RFC 3339, absent when never published
}

func (a *API) getSignal(w http.ResponseWriter, _ *http.Request) {
	s := a.signal()
	out := SignalJSON{Name: s.Name, Record: s.Record.String(), Trees: s.Record.Layout, Serial: s.Serial, Published: map[string]TreeJSON{}}
	for i, tree := range s.Record.Layout {
		tj := TreeJSON{Stamp: s.Record.Stamps[i]}
		if tj.Stamp != 0 {
			tj.Time = time.Unix(tj.Stamp, 0).UTC().Format(time.RFC3339)
		}
		out.Published[tree] = tj
	}
	writeJSON(w, http.StatusOK, out)
}

// PublishRequest is the body of POST /api/v1/admin/publish.
type PublishRequest struct {
	Tree  string `json:"tree"`
	At    int64  `json:"at,omitempty"` // Unix seconds; 0 = now
	Force bool   `json:"force,omitempty"`
}

// PublishResponse is its answer.
type PublishResponse struct {
	Tree      string `json:"tree"`
	Stamp     int64  `json:"stamp"`
	Previous  int64  `json:"previous"`
	Serial    uint32 `json:"serial"`
	Event     int64  `json:"event,omitempty"`
	Unchanged bool   `json:"unchanged,omitempty"`
	Record    string `json:"record"`
}

func (a *API) postPublish(w http.ResponseWriter, r *http.Request) {
	if !a.authorized(r) {
		a.log.Warn("admin request refused: bad or missing token", "remote", r.RemoteAddr)
		w.Header().Set("WWW-Authenticate", `Bearer realm="signald admin"`)
		httpError(w, http.StatusUnauthorized, "missing or wrong admin token")
		return
	}
	var req PublishRequest
	if err := decodeJSON(w, r, &req); err != nil {
		httpError(w, http.StatusBadRequest, err.Error())
		return
	}
	res, err := a.publisher.Publish(r.Context(), publish.Request{Tree: req.Tree, Stamp: req.At, Force: req.Force})
	if err != nil {
		httpError(w, publishStatus(err), err.Error())
		return
	}
	writeJSON(w, http.StatusOK, PublishResponse{
		Tree: res.Event.Tree, Stamp: res.Event.Stamp, Previous: res.Event.Previous, Serial: res.Event.Serial,
		Event: res.Event.ID, Unchanged: res.Unchanged, Record: res.Record.String(),
	})
}

func publishStatus(err error) int {
	switch {
	case errors.Is(err, publish.ErrUnknownTree):
		return http.StatusNotFound
	case errors.Is(err, publish.ErrBadStamp), errors.Is(err, publish.ErrFuture):
		return http.StatusUnprocessableEntity
	case errors.Is(err, publish.ErrBackwards):
		return http.StatusConflict
	default:
		// The store could not commit (disk full, read-only, I/O error):
		// nothing changed, and the publish may be retried.
		return http.StatusServiceUnavailable
	}
}

func (a *API) authorized(r *http.Request) bool {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && len(a.token) > 0 && subtle.ConstantTimeCompare([]byte(got), a.token) == 1
}

func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("bad JSON body: %v", err)
	}
	if dec.More() {
		return errors.New("bad JSON body: trailing data")
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// httpError writes a one-line plain-text reason.
func httpError(w http.ResponseWriter, status int, reason string) {
	reason = strings.ReplaceAll(reason, "\n", " ")
	http.Error(w, reason, status)
}
