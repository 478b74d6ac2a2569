package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/alert"
	"github.com/mirrorsignal/mirrorsignal/server/store"
)

// hookReceiver records the webhook POSTs whose signature is right.
type hookReceiver struct {
	mu     sync.Mutex
	got    []map[string]any
	forged int
}

func (h *hookReceiver) handler(secret string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
		h.mu.Lock()
		defer h.mu.Unlock()
		if r.Header.Get(alert.SignatureHeader) != alert.Sign([]byte(secret), body) {
			h.forged++
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var m map[string]any
		json.Unmarshal(body, &m)
		h.got = append(h.got, m)
	})
}

func (h *hookReceiver) find(typ, mirror string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, m := range h.got {
		if m["type"] == typ && m["mirror"] == mirror {
			n++
		}
	}
	return n
}

// TestCheckerThroughSignald: with a mirror list, signald checks every
// mirror, keeps the history in checker.db across kill -9, exports the
// checker's metrics, and sends one signed webhook when a mirror becomes
// unreachable.
func TestCheckerThroughSignald(t *testing.T) {
	f := newTier1(t)
	in := gatedInstance(t, f, "majority", "60s")
	const secret = "0123456789abcdef0123456789abcdef"
	hook := &hookReceiver{}
	hs := httptest.NewServer(hook.handler(secret))
	t.Cleanup(hs.Close)
	if err := os.MkdirAll(filepath.Join(in.dir, "var"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(in.dir, "var", "hook.secret"), []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	appendConfig(t, in.cfg, "[checker]\ninterval = \"2s\"\nfast_interval = \"1s\"\nhysteresis = 1\ntimeout = \"1s\"\n"+
		"[alert]\nmin_gap = \"1s\"\n[alert.webhook]\nurl = \""+hs.URL+"/hook\"\nsecret_file = \"hook.secret\"\n")
	in.start(t)
	stamp := time.Now().Unix() - 30
	if out, err := in.signalctl("publish", "vault", "--at", strconv.FormatInt(stamp, 10), "--config", in.cfg); err != nil {
		t.Fatalf("publish: %v\n%s", err, out)
	}
	db := filepath.Join(in.dir, "var", "checker.db")
	// The checker has seen every mirror (t1c behind) before t1c goes away:
	// a mirror's first state is taken as it is, without a message.
	for _, m := range []string{"t1a.example.net", "t1c.example.net"} {
		if !waitFor(30*time.Second, func() bool { return historyLen(t, db, m) > 0 }) {
			t.Fatalf("timed out waiting for history of %s", m)
		}
	}

	f.http[2].Close() // t1c goes away
	if !waitFor(30*time.Second, func() bool { return hook.find("unreachable", "t1c.example.net") == 1 }) {
		t.Fatalf("timed out waiting for the unreachable webhook: %+v\n%s", hook.got, in.stderr)
	}
	time.Sleep(3 * time.Second) // more rounds: still one message
	if n := hook.find("unreachable", "t1c.example.net"); n != 1 || hook.forged != 0 {
		t.Fatalf("%d unreachable messages, %d forged", n, hook.forged)
	}
	resp, err := in.httpClient.Get("http://" + in.http + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(metrics), `mirrorsignal_checker_probes_total{protocol="http",state="fresh"}`) {
		t.Fatalf("no checker metrics:\n%s", metrics)
	}

	before := historyLen(t, db, "t1a.example.net")
	in.kill()
	if after := historyLen(t, db, "t1a.example.net"); after < before {
		t.Fatalf("kill -9 lost history: %d -> %d rows", before, after)
	}
	in.start(t)
	if !waitFor(30*time.Second, func() bool { return historyLen(t, db, "t1a.example.net") > before }) {
		t.Fatal("timed out waiting for checking to resume")
	}
}

func historyLen(t *testing.T, path, mirror string) int {
	t.Helper()
	db, err := store.OpenChecker(context.Background(), path)
	if err != nil {
		return 0
	}
	defer db.Close()
	rs, err := db.Recent(context.Background(), mirror, "vault", 1000)
	if err != nil {
		return 0
	}
	return len(rs)
}
