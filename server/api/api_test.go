package api

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mirrorsignal/mirrorsignal/server/api/apiv1"
	"github.com/mirrorsignal/mirrorsignal/server/httpserve"
	"github.com/mirrorsignal/mirrorsignal/server/publish"
	"github.com/mirrorsignal/mirrorsignal/server/store"
	"github.com/mirrorsignal/mirrorsignal/server/zone"
	"github.com/mirrorsignal/mirrorsignal/signal"
)

const token = "0123456789abcdef0123456789abcdef"

func newAPI(t testing.TB) http.Handler {
	t.Helper()
	layout := signal.Layout{"content", "altarch", "vault"}
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "signald.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sig := NewSignal()
	sig.ZoneChanged(&zone.Snapshot{Name: "current.mirrors.example.test.", Record: signal.NewRecord(layout)})
	now := func() time.Time { return time.Unix(1_800_000_000, 0) }
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	p, err := publish.New(publish.Options{Store: st, Layout: layout, MaxFuture: time.Minute, Now: now, Log: log,
		Registerer: prometheus.NewRegistry(),
		Commit: func(s store.State) {
			sig.ZoneChanged(&zone.Snapshot{Name: "current.mirrors.example.test.", Record: s.Record(layout), Serial: s.Serial})
		}})
	if err != nil {
		t.Fatal(err)
	}
	return httpserve.Mux(sig, NewAdmin(p, []byte(token), true, log))
}

func do(h http.Handler, method, path, auth, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestAdminPublish(t *testing.T) {
	h := newAPI(t)
	bearer := "Bearer " + token
	tests := []struct {
		name, auth, body string
		status           int
		contains         string
	}{
		{"no token", "", `{"tree":"content"}`, 401, "token"},
		{"wrong token", "Bearer nope", `{"tree":"content"}`, 401, "token"},
		{"basic auth", "Basic " + token, `{"tree":"content"}`, 401, "token"},
		{"garbage body", bearer, `tree=content`, 400, "bad JSON"},
		{"unknown field", bearer, `{"tree":"content","when":1}`, 400, "unknown field"},
		{"trailing data", bearer, `{"tree":"content"}{}`, 400, "trailing"},
		{"huge body", bearer, `{"tree":"` + strings.Repeat("x", 5000) + `"}`, 400, "too large"},
		{"unknown tree", bearer, `{"tree":"isos"}`, 404, "unknown tree"},
		{"garbage epoch", bearer, `{"tree":"content","at":"soon"}`, 400, "bad JSON"},
		{"ancient epoch", bearer, `{"tree":"content","at":5}`, 422, "outside"},
		{"far future", bearer, `{"tree":"content","at":1900000000}`, 422, "future"},
		{"ok", bearer, `{"tree":"content","at":1799999000}`, 200, `"record": "1799999000:0:0"`},
		{"backwards", bearer, `{"tree":"content","at":1700000000}`, 409, "backwards"},
		{"forced", bearer, `{"tree":"content","at":1700000000,"force":true}`, 200, `"record": "1700000000:0:0"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := do(h, "POST", "/api/v1/admin/publish", tt.auth, tt.body)
			if rec.Code != tt.status || !strings.Contains(rec.Body.String(), tt.contains) {
				t.Fatalf("status %d body %q; want %d containing %q", rec.Code, rec.Body.String(), tt.status, tt.contains)
			}
			if tt.status != 200 && strings.Count(strings.TrimSpace(rec.Body.String()), "\n") != 0 {
				t.Fatalf("reason is not one line: %q", rec.Body.String())
			}
		})
	}
	rec := do(h, "GET", "/api/v1/signal", "", "")
	var got apiv1.Signal
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || got.Record != "1700000000:0:0" || got.Published["content"].Time != "2023-11-14T22:13:20Z" || got.Serial == 0 {
		t.Fatalf("signal = %+v, %v", got, err)
	}
}

func TestRoutes(t *testing.T) {
	h := newAPI(t)
	for _, tt := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/healthz", 200},
		{"GET", "/api/v1/signal", 200},
		{"GET", "/api/v1/admin/publish", 405},
		{"POST", "/api/v1/signal", 405},
		{"GET", "/nope", 404},
	} {
		if rec := do(h, tt.method, tt.path, "", ""); rec.Code != tt.status {
			t.Errorf("%s %s = %d, want %d", tt.method, tt.path, rec.Code, tt.status)
		}
	}
}

func FuzzAdminPublish(f *testing.F) {
	f.Add(`{"tree":"content","at":1799999000}`, "Bearer "+token)
	f.Add(`{"tree":"x"}`, "Bearer x")
	f.Add(`{`, "")
	h := newAPI(f)
	f.Fuzz(func(t *testing.T, body, auth string) {
		rec := do(h, "POST", "/api/v1/admin/publish", auth, body)
		if rec.Code >= 500 {
			t.Fatalf("status %d for body %q: %s", rec.Code, body, rec.Body.String())
		}
	})
}

// TestAdminNeverPublic: the public route set does not answer admin
// routes, whatever the token.
func TestAdminNeverPublic(t *testing.T) {
	pub := httpserve.Mux(NewSignal())
	for _, m := range []string{"GET", "POST"} {
		if rec := do(pub, m, "/api/v1/admin/publish", "Bearer "+token, `{"tree":"content"}`); rec.Code != http.StatusNotFound {
			t.Errorf("%s on the public listener = %d, want 404", m, rec.Code)
		}
	}
}

// TestAdminSocketTokenOptional: on the socket (no token required) a
// request without a token is served, but a wrong token is still refused.
func TestAdminSocketTokenOptional(t *testing.T) {
	a := NewAdmin(fakePublisher{}, []byte(token), false, slog.New(slog.NewTextHandler(io.Discard, nil)))
	h := httpserve.Mux(a)
	for _, tt := range []struct {
		auth string
		want int
	}{{"", 200}, {"Bearer " + token, 200}, {"Bearer wrong", 401}, {"Basic x", 401}} {
		if rec := do(h, "POST", "/api/v1/admin/publish", tt.auth, `{"tree":"content"}`); rec.Code != tt.want {
			t.Errorf("auth %q = %d, want %d", tt.auth, rec.Code, tt.want)
		}
	}
}

type fakePublisher struct{}

func (fakePublisher) Start(_ context.Context, req publish.Request) (publish.Status, error) {
	return publish.Status{Publish: store.Publish{ID: 1, Tree: req.Tree, Stamp: 1, State: store.Committed}}, nil
}

func (fakePublisher) Status(_ context.Context, id int64) (publish.Status, error) {
	if id != 1 {
		return publish.Status{}, publish.ErrNoPublish
	}
	return publish.Status{Publish: store.Publish{ID: 1, Tree: "content", State: store.Gating}, Need: 2, Total: 3, Awaited: []string{"t1c"}}, nil
}

func (f fakePublisher) List(ctx context.Context, _ int) ([]publish.Status, error) {
	s, _ := f.Status(ctx, 1)
	return []publish.Status{s}, nil
}

func (fakePublisher) Cancel(_ context.Context, id int64) error {
	if id == 2 {
		return publish.ErrNotPending
	}
	return nil
}

// TestPublishRoutes: the status, list and cancel routes, and their bad
// input.
func TestPublishRoutes(t *testing.T) {
	h := httpserve.Mux(NewAdmin(fakePublisher{}, []byte(token), true, slog.New(slog.NewTextHandler(io.Discard, nil))))
	bearer := "Bearer " + token
	for _, tt := range []struct {
		method, path, auth string
		status             int
		contains           string
	}{
		{"GET", "/api/v1/admin/publishes/1", bearer, 200, `"awaited"`},
		{"GET", "/api/v1/admin/publishes/1", "", 401, "token"},
		{"GET", "/api/v1/admin/publishes/7", bearer, 404, "no such publish"},
		{"GET", "/api/v1/admin/publishes/x", bearer, 400, "not a positive number"},
		{"GET", "/api/v1/admin/publishes/-3", bearer, 400, "not a positive number"},
		{"GET", "/api/v1/admin/publishes", bearer, 200, `"publishes"`},
		{"GET", "/api/v1/admin/publishes?limit=0", bearer, 400, "limit"},
		{"GET", "/api/v1/admin/publishes?limit=99999", bearer, 400, "limit"},
		{"POST", "/api/v1/admin/publishes/1/cancel", bearer, 200, `"state": "gating"`},
		{"POST", "/api/v1/admin/publishes/2/cancel", bearer, 409, "no longer pending"},
		{"GET", "/api/v1/admin/publishes/1/cancel", bearer, 405, ""},
	} {
		rec := do(h, tt.method, tt.path, tt.auth, "")
		if rec.Code != tt.status || !strings.Contains(rec.Body.String(), tt.contains) {
			t.Errorf("%s %s = %d %q; want %d containing %q", tt.method, tt.path, rec.Code, rec.Body.String(), tt.status, tt.contains)
		}
	}
}
