package api

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/api/apiv1"
	"github.com/mirrorsignal/mirrorsignal/server/publish"
	"github.com/mirrorsignal/mirrorsignal/server/store"
)

// Publisher is what the admin API calls.
type Publisher interface {
	Start(ctx context.Context, req publish.Request) (publish.Status, error)
	Status(ctx context.Context, id int64) (publish.Status, error)
	List(ctx context.Context, limit int) ([]publish.Status, error)
	Cancel(ctx context.Context, id int64) error
}

// Admin serves the admin routes. It is registered only on the admin
// listener: a Unix socket that only signald's user can open (where the
// token is not needed) or loopback TCP (where it is).
type Admin struct {
	publisher    Publisher
	token        []byte
	requireToken bool
	log          *slog.Logger
}

// NewAdmin returns the admin routes. With requireToken, every request must
// carry `Authorization: Bearer <token>`; token must then not be empty.
func NewAdmin(p Publisher, token []byte, requireToken bool, log *slog.Logger) *Admin {
	return &Admin{publisher: p, token: token, requireToken: requireToken, log: log.With("component", "admin")}
}

// Register adds the admin routes to mux, each behind the token check.
func (a *Admin) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST "+apiv1.PathPublish, a.guard(a.postPublish))
	mux.HandleFunc("GET "+apiv1.PathPublishes, a.guard(a.listPublishes))
	mux.HandleFunc("GET "+apiv1.PathPublishes+"/{id}", a.guard(a.getPublish))
	mux.HandleFunc("POST "+apiv1.PathPublishes+"/{id}/cancel", a.guard(a.cancelPublish))
}

// guard refuses a request without the token where one is needed.
func (a *Admin) guard(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !a.authorized(r) {
			a.log.Warn("admin request refused: bad or missing token", "remote", r.RemoteAddr)
			w.Header().Set("WWW-Authenticate", `Bearer realm="signald admin"`)
			httpError(w, http.StatusUnauthorized, "missing or wrong admin token")
			return
		}
		h(w, r)
	}
}

// postPublish starts a publish: 200 when it has already ended (committed
// at once, or unchanged), 202 while it plants or gates.
func (a *Admin) postPublish(w http.ResponseWriter, r *http.Request) {
	var req apiv1.PublishRequest
	if err := decodeJSON(w, r, &req); err != nil {
		httpError(w, http.StatusBadRequest, err.Error())
		return
	}
	s, err := a.publisher.Start(r.Context(), publish.Request{Tree: req.Tree, Stamp: req.At, Force: req.Force})
	if err != nil {
		httpError(w, publishStatus(err), err.Error())
		return
	}
	code := http.StatusOK
	if store.Pending(s.State) && !s.Unchanged {
		code = http.StatusAccepted
	}
	writeJSON(w, code, PublishOf(s))
}

// maxList caps GET /api/v1/admin/publishes?limit=.
const maxList = 500

func (a *Admin) listPublishes(w http.ResponseWriter, r *http.Request) {
	limit := 50
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxList {
			httpError(w, http.StatusBadRequest, fmt.Sprintf("limit %q must be a number from 1 to %d", v, maxList))
			return
		}
		limit = n
	}
	list, err := a.publisher.List(r.Context(), limit)
	if err != nil {
		httpError(w, publishStatus(err), err.Error())
		return
	}
	out := apiv1.Publishes{Publishes: make([]apiv1.Publish, 0, len(list))}
	for _, s := range list {
		out.Publishes = append(out.Publishes, PublishOf(s))
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *Admin) getPublish(w http.ResponseWriter, r *http.Request) {
	id, ok := publishID(w, r)
	if !ok {
		return
	}
	s, err := a.publisher.Status(r.Context(), id)
	if err != nil {
		httpError(w, publishStatus(err), err.Error())
		return
	}
	writeJSON(w, http.StatusOK, PublishOf(s))
}

func (a *Admin) cancelPublish(w http.ResponseWriter, r *http.Request) {
	id, ok := publishID(w, r)
	if !ok {
		return
	}
	if err := a.publisher.Cancel(r.Context(), id); err != nil {
		httpError(w, publishStatus(err), err.Error())
		return
	}
	a.getPublish(w, r)
}

func publishID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	v := r.PathValue("id")
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id < 1 {
		httpError(w, http.StatusBadRequest, fmt.Sprintf("publish id %q is not a positive number", v))
		return 0, false
	}
	return id, true
}

// PublishOf is the API view of a publish.
func PublishOf(s publish.Status) apiv1.Publish {
	out := apiv1.Publish{ID: s.ID, Tree: s.Tree, Stamp: s.Stamp, Force: s.Forced, State: s.State, Reason: s.Reason,
		Created: timeOrEmpty(s.Created), Updated: timeOrEmpty(s.Updated), Deadline: timeOrEmpty(s.Deadline),
		Previous: s.Previous, Serial: s.Serial, Event: s.EventID, Unchanged: s.Unchanged}
	if s.State == store.Committed {
		out.Record = s.Record.String()
	}
	if s.Total > 0 || len(s.Hosts) > 0 {
		g := &apiv1.Gate{Need: s.Need, Total: s.Total, Seen: []apiv1.HostSeen{}}
		for _, h := range s.Hosts {
			g.Seen = append(g.Seen, apiv1.HostSeen{Host: h.Host, Stamp: h.Stamp, FirstSeen: timeOrEmpty(h.FirstSeen)})
		}
		for _, h := range s.Awaited {
			g.Awaited = append(g.Awaited, apiv1.Awaited{Host: h, Error: s.Errors[h]})
		}
		out.Tier1 = g
	}
	return out
}

func timeOrEmpty(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func publishStatus(err error) int {
	switch {
	case errors.Is(err, publish.ErrUnknownTree):
		return http.StatusNotFound
	case errors.Is(err, publish.ErrBadStamp), errors.Is(err, publish.ErrFuture):
		return http.StatusUnprocessableEntity
	case errors.Is(err, publish.ErrBackwards), errors.Is(err, publish.ErrNotPending):
		return http.StatusConflict
	case errors.Is(err, publish.ErrNoPublish):
		return http.StatusNotFound
	default:
		// The store could not commit (disk full, read-only, I/O error):
		// nothing changed, and the publish may be retried.
		return http.StatusServiceUnavailable
	}
}

// authorized checks the bearer token where one is required. A token that
// is sent anyway on the socket is checked too: a wrong one is refused.
func (a *Admin) authorized(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	if h == "" && !a.requireToken {
		return true
	}
	got, ok := strings.CutPrefix(h, "Bearer ")
	return ok && len(a.token) > 0 && subtle.ConstantTimeCompare([]byte(got), a.token) == 1
}
