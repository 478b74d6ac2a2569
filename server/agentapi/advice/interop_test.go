package advice

// Interop: these tests import the agent's parser and verifier,
// agent/advice, to prove that what signald serves is what mirror-agent
// accepts. Only _test.go files may import agent/; the handler must not.

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	agentadvice "github.com/mirrorsignal/mirrorsignal/agent/advice"
	"github.com/mirrorsignal/mirrorsignal/server/checker"
)

func TestConstantsMatchAgent(t *testing.T) {
	if MaxValidity != agentadvice.MaxValidity || MaxSourcesLimit != agentadvice.MaxSources {
		t.Fatalf("MaxValidity %s / MaxSourcesLimit %d, agent has %s / %d",
			MaxValidity, MaxSourcesLimit, agentadvice.MaxValidity, agentadvice.MaxSources)
	}
}

// fetch serves one request through Register on a mux.
func fetch(t *testing.T, h *Handler, query string) *httptest.ResponseRecorder {
	t.Helper()
	mux := http.NewServeMux()
	h.Register(mux)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, Path+"?"+query, nil))
	return rec
}

func TestAgentVerifies(t *testing.T) {
	h := testHandler(t, Options{})
	rec := fetch(t, h, "mirror=req.example.net&tree=content")
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}
	a, err := agentadvice.Parse(rec.Body.Bytes())
	if err != nil {
		t.Fatalf("agent Parse: %v\n%s", err, rec.Body)
	}
	if err := a.Verify(h.PublicKey(), "content", testSignal, testNow); err != nil {
		t.Fatalf("agent Verify: %v", err)
	}
	if a.Issued != testNow.Unix() || a.Expires != testNow.Add(DefaultValidity).Unix() || a.Signal != testSignal {
		t.Errorf("issued %d expires %d signal %d", a.Issued, a.Expires, a.Signal)
	}
	want := []string{"rsync://netblock-fr.example.net:8873/centos/", "rsync://de.example.net/centos/",
		"rsync://de-old-check.example.net/centos/", "rsync://fr.example.net/centos/", "rsync://us.example.net/centos/"}
	if !slices.Equal(a.Sources, want) {
		t.Errorf("sources\n got %q\nwant %q", a.Sources, want)
	}
	// The agent's own canonical bytes are ours.
	var ours Advice
	if err := json.Unmarshal(rec.Body.Bytes(), &ours); err != nil {
		t.Fatal(err)
	}
	if string(ours.CanonicalBytes()) != string(a.CanonicalBytes()) {
		t.Errorf("canonical forms differ\n ours  %s\n agent %s", ours.CanonicalBytes(), a.CanonicalBytes())
	}
}

func TestAgentRefusesTampered(t *testing.T) {
	h := testHandler(t, Options{})
	rec := fetch(t, h, "mirror=req.example.net&tree=content")
	edits := map[string]func(*agentadvice.Advice){
		"one source changed": func(a *agentadvice.Advice) { a.Sources[1] = "rsync://evil.example.net/centos/" },
		"sources reordered":  func(a *agentadvice.Advice) { a.Sources[0], a.Sources[1] = a.Sources[1], a.Sources[0] },
		"source dropped":     func(a *agentadvice.Advice) { a.Sources = a.Sources[1:] },
		"expiry extended":    func(a *agentadvice.Advice) { a.Expires++ },
		"signal raised":      func(a *agentadvice.Advice) { a.Signal++ },
	}
	for name, edit := range edits {
		t.Run(name, func(t *testing.T) {
			a, err := agentadvice.Parse(rec.Body.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			edit(&a)
			if err := a.Verify(h.PublicKey(), "content", testSignal, testNow); err == nil {
				t.Fatal("tampered advice verified")
			}
		})
	}
}

// TestAgentClient runs the agent's HTTP client against the handler.
func TestAgentClient(t *testing.T) {
	h := testHandler(t, Options{})
	mux := http.NewServeMux()
	h.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := &agentadvice.Client{URL: srv.URL + Path, Mirror: "req.example.net", Key: h.PublicKey(),
		Allow: []string{"*.example.net"}, HTTP: srv.Client(), Now: func() time.Time { return testNow.Add(time.Minute) }}
	res, err := c.Fetch(context.Background(), "content", testSignal)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Sources) != DefaultMaxSources || len(res.Dropped) != 0 {
		t.Fatalf("kept %q, dropped %q", res.Sources, res.Dropped)
	}
	// Another key pinned: refused.
	other, _, _ := ed25519.GenerateKey(nil)
	c.Key = other
	if _, err := c.Fetch(context.Background(), "content", testSignal); err == nil {
		t.Fatal("advice verified with another key")
	}
}

func TestEmptyAdviceVerifies(t *testing.T) {
	none := testView(testFleet(t), map[string]probe{}) // nothing checked yet
	h := testHandler(t, Options{View: func() *checker.View { return none }})
	rec := fetch(t, h, "mirror=vault-only.example.net&tree=vault")
	a, err := agentadvice.Parse(rec.Body.Bytes())
	if err != nil {
		t.Fatalf("%v: %s", err, rec.Body)
	}
	if err := a.Verify(h.PublicKey(), "vault", testSignal, testNow); err != nil || len(a.Sources) != 0 {
		t.Fatalf("empty advice: %v, sources %q", err, a.Sources)
	}
}

// FuzzUsableSource holds usableSource to the agent: a source it passes is
// one the agent's parser takes.
func FuzzUsableSource(f *testing.F) {
	for _, s := range []string{"rsync://h.example.net/centos/", "rsync://[2001:db8::1]:873/m/", "rsync://192.0.2.1/m",
		"rsync://h/m", "rsync://h:1/m/p", "rsync://[::1]/m"} {
		f.Add(s)
	}
	_, priv, _ := ed25519.GenerateKey(nil)
	f.Fuzz(func(t *testing.T, src string) {
		if !usableSource(src) {
			return
		}
		body, _ := json.Marshal(Sign(priv, Advice{Tree: "content", Signal: testSignal, Issued: 1, Expires: 2, Sources: []string{src}}))
		if _, err := agentadvice.Parse(body); err != nil {
			t.Fatalf("usableSource(%q) but the agent refuses it: %v", src, err)
		}
	})
}
