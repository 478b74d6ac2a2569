package httpapi

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

	"github.com/mirrorsignal/mirrorsignal/server/publish"
	"github.com/mirrorsignal/mirrorsignal/server/store"
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
	cur := Signal{Name: "current.mirrors.example.test.", Record: signal.NewRecord(layout)}
	now := func() time.Time { return time.Unix(1_800_000_000, 0) }
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	p := publish.New(st, layout, time.Minute, now, func(s store.State) {
		cur.Record = publish.RecordOf(layout, s)
		cur.Serial = s.Serial
	}, log)
	return New(func() Signal { return cur }, p, []byte(token), log).Handler(nil)
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
	var got SignalJSON
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
