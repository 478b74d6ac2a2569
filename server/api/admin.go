package api

import (
	"context"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/mirrorsignal/mirrorsignal/server/api/apiv1"
	"github.com/mirrorsignal/mirrorsignal/server/publish"
)

// Publisher is what the admin API calls.
type Publisher interface {
	Publish(ctx context.Context, req publish.Request) (publish.Result, error)
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

// Register adds the admin routes to mux.
func (a *Admin) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST "+apiv1.PathPublish, a.postPublish)
}

func (a *Admin) postPublish(w http.ResponseWriter, r *http.Request) {
	if !a.authorized(r) {
		a.log.Warn("admin request refused: bad or missing token", "remote", r.RemoteAddr)
		w.Header().Set("WWW-Authenticate", `Bearer realm="signald admin"`)
		httpError(w, http.StatusUnauthorized, "missing or wrong admin token")
		return
	}
	var req apiv1.PublishRequest
	if err := decodeJSON(w, r, &req); err != nil {
		httpError(w, http.StatusBadRequest, err.Error())
		return
	}
	res, err := a.publisher.Publish(r.Context(), publish.Request{Tree: req.Tree, Stamp: req.At, Force: req.Force})
	if err != nil {
		httpError(w, publishStatus(err), err.Error())
		return
	}
	writeJSON(w, http.StatusOK, apiv1.PublishResponse{
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
