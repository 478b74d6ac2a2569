package web

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/status"
	"github.com/mirrorsignal/mirrorsignal/server/status/statustest"
)

// fleet is the fixture snapshot the tests render.
func fleet(o statustest.Options) *status.Snapshot { return statustest.Fleet(o) }

// testMux serves a site over src, with the clock 30 s after the snapshot.
func testMux(t testing.TB, src Source) *http.ServeMux {
	t.Helper()
	now := src.Current().Generated
	if now.IsZero() {
		now = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	}
	s := New(Options{Status: src, Now: func() time.Time { return now.Add(30 * time.Second) },
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	mux := http.NewServeMux()
	s.Register(mux)
	return mux
}

// hubOf is a hub holding snap.
func hubOf(snap *status.Snapshot) *status.Hub {
	h := status.NewHub()
	h.Set(snap)
	return h
}

// get requests target from mux and returns the status and body.
func get(t testing.TB, mux http.Handler, target string) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	res := rec.Result()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}
