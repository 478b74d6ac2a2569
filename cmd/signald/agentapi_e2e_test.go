package main

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mirrorsignal/mirrorsignal/agent/agenttest"
)

// agentTimeout bounds one mirror-agent run in these tests.
const agentTimeout = 2 * time.Minute

// TestAgentTakesAdvice: signald's checker sees the opted-in tier-2 mirror
// near1 fresh for vault; the agent of mirror1 (same country), whose only
// configured source is stale, fetches signald's signed sync-source advice,
// verifies it with the key `signalctl keys advice-pub` prints, and syncs
// from near1. With a wrong public key it ignores the advice, tries its
// stale source alone and exits 5 with the tree unchanged.
func TestAgentTakesAdvice(t *testing.T) {
	f := newTier1(t)
	in := gatedInstance(t, f, "majority", "60s")
	if err := os.WriteFile(filepath.Join(f.master, "payload"), []byte("vault-from-master"), 0o644); err != nil {
		t.Fatal(err)
	}
	// near1 serves the published tree over rsync and HTTP (so the checker
	// can see it fresh); its payload differs from the master's, so the
	// synced tree shows where it came from.
	near := t.TempDir()
	nearRsync := agenttest.StartRsyncd(t, map[string]string{"vault": near})
	nearWeb := httptest.NewServer(http.FileServer(http.Dir(near)))
	t.Cleanup(nearWeb.Close)
	mirror := t.TempDir()
	mirrorWeb := httptest.NewServer(http.FileServer(http.Dir(mirror)))
	t.Cleanup(mirrorWeb.Close)
	appendConfig(t, filepath.Join(in.dir, "mirrors.toml"), fmt.Sprintf(`
[[mirror]]
name = "near1.example.net"
country = "FR"
sync_source = true
[mirror.trees.vault]
rsync = %q
http = %q

[[mirror]]
name = "mirror1.example.net"
country = "FR"
[mirror.trees.vault]
http = %q
`, nearRsync.URL("vault"), nearWeb.URL+"/", mirrorWeb.URL+"/"))
	appendConfig(t, in.cfg, "[checker]\ninterval = \"2s\"\nfast_interval = \"1s\"\nhysteresis = 1\ntimeout = \"1s\"\n")
	in.start(t)

	stamp := time.Now().Unix() - 30
	if out, err := in.signalctl("publish", "vault", "--at", strconv.FormatInt(stamp, 10), "--config", in.cfg); err != nil {
		t.Fatalf("publish: %v\n%s\n%s", err, out, in.stderr)
	}
	published, err := os.ReadFile(filepath.Join(f.master, "TIME"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(near, "TIME"), published, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(near, "payload"), []byte("vault-from-near1"), 0o644); err != nil {
		t.Fatal(err)
	}
	adviceURL := "http://" + in.http + "/api/v1/sync-sources"
	nearURL := nearRsync.URL("vault")
	var sources []string
	if !waitFor(30*time.Second, func() bool {
		sources = advisedSources(in, adviceURL+"?mirror=mirror1.example.net&tree=vault")
		return len(sources) > 0 && sources[0] == nearURL
	}) {
		t.Fatalf("advice never named near1 (%s) first: %v\n%s", nearURL, sources, in.stderr)
	}

	pub, err := in.signalctl("keys", "advice-pub", "--config", in.cfg)
	if err != nil {
		t.Fatalf("signalctl keys advice-pub: %v\n%s", err, pub)
	}
	stale := t.TempDir()
	writeTree(t, stale, stamp-3600, "vault-stale")
	staleRsync := agenttest.StartRsyncd(t, map[string]string{"vault": stale})
	state := t.TempDir()
	agentCfg := func(key string) string {
		return writeAdviceAgentConfig(t, fmt.Sprintf(`mirror = "mirror1.example.net"
[signal]
name = "current.mirrors.example.test."
layout = ["content", "altarch", "vault"]
[dns]
authoritative = [%q]
[dnssec]
mode = "off"
[sync]
rsync = "rsync"
lock_file = %q
state_file = %q
jitter = "0s"
[trees.vault]
path = %q
sources = [%q]
[sync_sources]
url = %q
public_key = %q
allow = ["127.0.0.1"]
`, in.dns, filepath.Join(state, "lock"), filepath.Join(state, "state.json"), mirror, staleRsync.URL("vault"), adviceURL, key))
	}

	t.Run("wrong key", func(t *testing.T) {
		out, code := runAgentBin(t, agentCfg(otherAdviceKey(t, strings.TrimSpace(pub))))
		if code != 5 {
			t.Fatalf("exit %d, want 5 (upstream behind)\n%s", code, out)
		}
		if !strings.Contains(out, "sync-source advice not used") || !strings.Contains(out, "does not verify") {
			t.Fatalf("the agent does not say it refused the advice:\n%s", out)
		}
		if strings.Contains(out, nearURL) {
			t.Fatalf("the agent used near1 (%s) from advice it could not verify:\n%s", nearURL, out)
		}
		if got := readTIME(t, mirror); got != 0 {
			t.Fatalf("local TIME %d after a refused advice, want none", got)
		}
	})
	t.Run("pinned key", func(t *testing.T) {
		out, code := runAgentBin(t, agentCfg(strings.TrimSpace(pub)))
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, out)
		}
		if got := readTIME(t, mirror); got != stamp {
			t.Fatalf("local TIME %d, want the published %d\n%s", got, stamp, out)
		}
		if data, _ := os.ReadFile(filepath.Join(mirror, "payload")); string(data) != "vault-from-near1" {
			t.Fatalf("payload %q, want near1's\n%s", data, out)
		}
		if !agentLogLine(out, `msg="tree synced"`, "source="+nearURL) {
			t.Fatalf("the agent's log does not say it synced from near1 (%s):\n%s", nearURL, out)
		}
	})
}

// TestAgentOverDoHOnly: the agent has no DNS server configured, only
// signald's /dns-query behind a TLS reverse proxy (the agent trusts the
// proxy's certificate through SSL_CERT_FILE). It validates the signal
// against the pinned DS over DoH and syncs; with a wrong pin, or without
// the proxy's certificate among its roots, it refuses the signal and runs no
// rsync. agent/command's reader() takes dns.doh as the only servers, so
// neither a resolver nor /etc/resolv.conf is consulted: the queries of the
// pass are seen at the proxy, and status names the DoH URL as the source.
func TestAgentOverDoHOnly(t *testing.T) {
	in := signedInstance(t, "")
	in.start(t)
	ds, err := in.signalctl("keys", "ds", "--config", in.cfg)
	if err != nil {
		t.Fatalf("signalctl keys ds: %v\n%s", err, ds)
	}
	ds = strings.TrimSpace(ds)
	proxy := newDoHProxy(t, "http://"+in.http)
	certFile := filepath.Join(t.TempDir(), "proxy.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: proxy.srv.Certificate().Raw})
	if err := os.WriteFile(certFile, pemBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	dohURL := proxy.srv.URL + "/dns-query"

	master, mirror, state := t.TempDir(), t.TempDir(), t.TempDir()
	stamp := time.Now().Unix() - 120
	writeTree(t, master, stamp, "content-v1")
	rsyncd := agenttest.StartRsyncd(t, map[string]string{"content": master})
	wrapper := agenttest.NewWrapper(t)
	if out, err := in.signalctl("publish", "content", "--at", strconv.FormatInt(stamp, 10), "--config", in.cfg); err != nil {
		t.Fatalf("publish: %v\n%s", err, out)
	}
	agentCfg := func(pin string) string {
		return writeAdviceAgentConfig(t, fmt.Sprintf(`mirror = "mirror1.example.net"
[signal]
name = "current.mirrors.example.test."
layout = ["content", "altarch", "vault"]
[dns]
doh = [%q]
[dnssec]
mode = "pinned"
require_dnssec = true
pins = [%q]
max_signature_age = "3h"
[sync]
rsync = %q
lock_file = %q
state_file = %q
jitter = "0s"
[trees.content]
path = %q
sources = [%q]
`, dohURL, pin, wrapper.Path, filepath.Join(state, "lock"), filepath.Join(state, "state.json"), mirror, rsyncd.URL("content")))
	}
	env := "SSL_CERT_FILE=" + certFile

	t.Run("wrong pin", func(t *testing.T) {
		before := proxy.count()
		out, code := runAgentBin(t, agentCfg(tamperedDS(t, ds)), env)
		if code != 1 {
			t.Fatalf("exit %d, want 1 (signal refused)\n%s", code, out)
		}
		if !strings.Contains(out, "matches a pin") {
			t.Fatalf("the agent does not say the pin failed:\n%s", out)
		}
		if n := len(wrapper.All(t)); n != 0 {
			t.Fatalf("%d rsync runs with a refused signal\n%s", n, out)
		}
		if proxy.count() == before {
			t.Fatalf("the agent asked nothing over DoH\n%s", out)
		}
		if got := readTIME(t, mirror); got != 0 {
			t.Fatalf("local TIME %d, want none", got)
		}
	})
	t.Run("untrusted certificate", func(t *testing.T) {
		out, code := runAgentBin(t, agentCfg(ds), "SSL_CERT_FILE="+filepath.Join(t.TempDir(), "none.pem"))
		if code != 1 || !strings.Contains(out, "certificate") {
			t.Fatalf("exit %d, want 1 for a proxy certificate outside the trusted roots\n%s", code, out)
		}
		if n := len(wrapper.All(t)); n != 0 {
			t.Fatalf("%d rsync runs without a signal\n%s", n, out)
		}
	})
	t.Run("pinned", func(t *testing.T) {
		before := proxy.count()
		cfg := agentCfg(ds)
		out, code := runAgentBin(t, cfg, env)
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, out)
		}
		if got := readTIME(t, mirror); got != stamp || len(wrapper.Invocations(t)) == 0 {
			t.Fatalf("local TIME %d, want %d (%d rsync runs)\n%s", got, stamp, len(wrapper.Invocations(t)), out)
		}
		// TXT and DNSKEY at least, before the sync and in the re-query after it.
		if n := proxy.count() - before; n < 2 {
			t.Fatalf("%d DoH requests through the proxy, want the pass's TXT and DNSKEY at least\n%s", n, out)
		}
		st := exec.Command(filepath.Join(binDir, "mirror-agent"), "status", "-config", cfg)
		st.Env = append(os.Environ(), env)
		status, err := st.CombinedOutput()
		if err != nil || !strings.Contains(string(status), "from "+dohURL+" (pinned)") {
			t.Fatalf("mirror-agent status: %v; it does not name the DoH URL as the signal's source:\n%s", err, status)
		}
	})
	if protos := proxy.protos(); len(protos) != 1 || protos[0] != "HTTP/2.0" {
		t.Errorf("DoH requests came over %v, want HTTP/2.0 only", protos)
	}
}

// dohProxy terminates TLS (HTTP/2 offered) in front of signald's public
// HTTP listener and counts the DoH requests passing through.
type dohProxy struct {
	srv   *httptest.Server
	mu    sync.Mutex
	n     int
	proto map[string]bool
}

func newDoHProxy(t *testing.T, target string) *dohProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	p := &dohProxy{proto: map[string]bool{}}
	p.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/dns-query" {
			p.mu.Lock()
			p.n++
			p.proto[r.Proto] = true
			p.mu.Unlock()
		}
		rp.ServeHTTP(w, r)
	}))
	p.srv.EnableHTTP2 = true
	p.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the untrusted-certificate case fails handshakes on purpose
	p.srv.StartTLS()
	t.Cleanup(p.srv.Close)
	return p
}

func (p *dohProxy) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}

func (p *dohProxy) protos() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for proto := range p.proto {
		out = append(out, proto)
	}
	slices.Sort(out)
	return out
}

// advisedSources GETs advice and returns its sources, nil on any failure.
func advisedSources(in *instance, u string) []string {
	resp, err := in.httpClient.Get(u)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	var a struct{ Sources []string }
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&a) != nil {
		return nil
	}
	return a.Sources
}

// writeAdviceAgentConfig writes an agent.toml into a fresh temp dir.
func writeAdviceAgentConfig(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "agent.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// runAgentBin runs `mirror-agent run -no-jitter` with the info log on stderr
// and env added to the test's environment; it returns the output and the
// exit code.
func runAgentBin(t *testing.T, cfg string, env ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), agentTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "mirror-agent"), "run", "-no-jitter", "-config", cfg, "-stderr-level", "info")
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return string(out), 0
	case ctx.Err() != nil:
		t.Fatalf("mirror-agent still running after %s\n%s", agentTimeout, out)
	case errors.As(err, &ee):
		return string(out), ee.ExitCode()
	default:
		t.Fatalf("mirror-agent: %v\n%s", err, out)
	}
	return "", -1
}

// agentLogLine reports whether one line of out holds every part.
func agentLogLine(out string, parts ...string) bool {
	for line := range strings.Lines(out) {
		if !slices.ContainsFunc(parts, func(p string) bool { return !strings.Contains(line, p) }) {
			return true
		}
	}
	return false
}

// otherAdviceKey returns a valid Ed25519 public key (base64) other than pub.
func otherAdviceKey(t *testing.T, pub string) string {
	t.Helper()
	const key = "Xm0q5c8WzYgRzs4r3s+U2zRKJ2wVTe3p8m0bE1Zl5Ww="
	if key == pub {
		t.Fatal("signald's advice key is the test's wrong key")
	}
	return key
}

// tamperedDS returns ds with the last hex digit of its digest changed: the
// same key tag, a digest of no key.
func tamperedDS(t *testing.T, ds string) string {
	t.Helper()
	if ds == "" {
		t.Fatal("empty DS")
	}
	last := ds[len(ds)-1]
	repl := byte('0')
	if last == '0' {
		repl = '1'
	}
	return ds[:len(ds)-1] + string(repl)
}
