package api

import (
	"errors"
	"strings"
	"testing"

	"github.com/mirrorsignal/mirrorsignal/server/httpserve"
)

func TestReady(t *testing.T) {
	zone, store := errors.New("zone not built yet"), error(nil)
	h := httpserve.Mux(NewReady(
		ReadyCheck{Name: "zone", Check: func() error { return zone }},
		ReadyCheck{Name: "store", Check: func() error { return store }},
		ReadyCheck{Name: "checker", Check: func() error { return nil }},
	))
	rec := get(h, "/readyz")
	if rec.Code != 503 || rec.Body.String() != "not ready\nzone: zone not built yet\n" {
		t.Fatalf("%d %q", rec.Code, rec.Body.String())
	}
	store = errors.New("database is locked\nretry")
	rec = get(h, "/readyz")
	if rec.Code != 503 || !strings.Contains(rec.Body.String(), "store: database is locked retry\n") {
		t.Fatalf("%d %q", rec.Code, rec.Body.String())
	}
	zone, store = nil, nil
	if rec = get(h, "/readyz"); rec.Code != 200 || rec.Body.String() != "ready\n" {
		t.Fatalf("%d %q", rec.Code, rec.Body.String())
	}
	if rec = get(httpserve.Mux(NewReady()), "/readyz"); rec.Code != 200 {
		t.Fatalf("no checks: %d", rec.Code)
	}
}
