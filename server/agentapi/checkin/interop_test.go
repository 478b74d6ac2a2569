package checkin

// This test imports the agent's real client (agent/checkin): the server
// must not import agent in its code, but a test checking that the two
// sides of the wire format agree may.

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	agent "github.com/mirrorsignal/mirrorsignal/agent/checkin"
	"github.com/mirrorsignal/mirrorsignal/server/httpserve"
)

func TestAgentClientInterop(t *testing.T) {
	const m1 = "m1.example.net"
	f := newFixture(t)
	srv := httptest.NewServer(httpserve.Mux(f.h))
	defer srv.Close()
	c := &agent.Client{URL: srv.URL + "/api/v1/checkin", Token: tokens[m1], HTTP: srv.Client(), Now: f.clock}
	ctx := context.Background()

	if err := c.Send(ctx, m1, map[string]int64{"content": 1_799_999_000, "altarch": 1_799_000_000}); err != nil {
		t.Fatalf("agent check-in refused: %v", err)
	}
	if got := f.rechecked(); len(got) != 1 || got[0] != m1 {
		t.Fatalf("Recheck calls %q", got)
	}
	// The same second and body again is the same signature: a replay.
	if err := c.Send(ctx, m1, map[string]int64{"content": 1_799_999_000, "altarch": 1_799_000_000}); err == nil || !strings.Contains(err.Error(), "409") {
		t.Fatalf("replayed check-in: %v", err)
	}
	f.advance(time.Second)
	if err := c.Send(ctx, m1, nil); err != nil {
		t.Fatalf("check-in without trees: %v", err)
	}
	wrong := *c
	wrong.Token = []byte("not-the-secret-at-all")
	f.advance(time.Second)
	if err := wrong.Send(ctx, m1, nil); err == nil || !strings.Contains(err.Error(), msgAuth) {
		t.Fatalf("wrong token: %v", err)
	}
	if got := f.rechecked(); len(got) != 2 {
		t.Fatalf("Recheck calls %q, want 2", got)
	}
}

func TestSignAgreesWithAgent(t *testing.T) {
	// Known answer from agent/checkin's test (computed with Python's hmac).
	const want = "bbc27a9cb3c85562d0598e44392c00fee8c079e194704f06daab84394f6aa43b"
	sig := mac([]byte("secret"), "1800000000", []byte("{}"))
	if got, ok := parseSignature(want); !ok || got != sig {
		t.Fatalf("mac differs from the known answer")
	}
	if got := agent.Sign([]byte("secret"), "1800000000", []byte("{}")); got != want {
		t.Fatalf("agent.Sign = %s", got)
	}
	if agent.HeaderMirror != HeaderMirror || agent.HeaderTimestamp != HeaderTimestamp || agent.HeaderSignature != HeaderSignature || agent.MaxSkew != MaxSkew {
		t.Fatal("header names or skew differ from the agent's")
	}
}
