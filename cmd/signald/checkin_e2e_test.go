package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestAgentCheckinRechecks: the real agent syncs a tier-2 mirror and
// checks in; signald, whose checker would not look at that mirror again
// for ten minutes, re-checks it within seconds and sees it fresh.
func TestAgentCheckinRechecks(t *testing.T) {
	f := newTier1(t)
	in := gatedInstance(t, f, "majority", "60s")
	mirror := t.TempDir()
	web := httptest.NewServer(http.FileServer(http.Dir(mirror)))
	t.Cleanup(web.Close)
	const token = "checkin-token-0123456789abcdef"
	tokenFile := filepath.Join(in.dir, "mirror1.token")
	if err := os.WriteFile(tokenFile, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	mirrorsFile := filepath.Join(in.dir, "mirrors.toml")
	// mirror1 comes first, so the checker's spread probes it at once and
	// then, with no fast re-checks, not again for ten minutes.
	first := fmt.Sprintf("[[mirror]]\nname = \"mirror1.example.net\"\ncountry = \"FR\"\ncheckin_token_file = %q\n[mirror.trees.vault]\nhttp = %q\n\n", tokenFile, web.URL+"/")
	rest, err := os.ReadFile(mirrorsFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mirrorsFile, append([]byte(first), rest...), 0o600); err != nil {
		t.Fatal(err)
	}
	appendConfig(t, in.cfg, "[checker]\ninterval = \"10m\"\nfast_interval = \"10m\"\nhysteresis = 1\ntimeout = \"1s\"\n")
	in.start(t)
	stamp := time.Now().Unix() - 30
	if out, err := in.signalctl("publish", "vault", "--at", strconv.FormatInt(stamp, 10), "--config", in.cfg); err != nil {
		t.Fatalf("publish: %v\n%s", err, out)
	}
	db := filepath.Join(in.dir, "var", "checker.db")
	if !waitFor(30*time.Second, func() bool { return historyLen(t, db, "mirror1.example.net") > 0 }) {
		t.Fatal("the checker never looked at mirror1")
	}
	if strings.Contains(in.stderr.String(), "mirror=mirror1.example.net") {
		t.Fatalf("mirror1 changed state before the check-in:\n%s", in.stderr)
	}

	agentCfg := filepath.Join(t.TempDir(), "agent.toml")
	state := t.TempDir()
	cfg := fmt.Sprintf(`mirror = "mirror1.example.net"
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
[checkin]
url = "http://%s/api/v1/checkin"
token_file = %q
`, in.dns, filepath.Join(state, "lock"), filepath.Join(state, "state.json"), mirror, f.rsync.URL("vault"), in.http, tokenFile)
	if err := os.WriteFile(agentCfg, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(filepath.Join(binDir, "mirror-agent"), "run", "-no-jitter", "-config", agentCfg, "-stderr-level", "info").CombinedOutput()
	if err != nil {
		t.Fatalf("agent: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "check") {
		t.Logf("agent output:\n%s", out)
	}
	// Only a probe can make mirror1 fresh, and none was due for ten minutes.
	if !waitFor(10*time.Second, func() bool {
		log := in.stderr.String()
		i := strings.Index(log, "check-in accepted")
		return i >= 0 && strings.Contains(log[i:], "mirror=mirror1.example.net tree=vault from=error to=fresh")
	}) {
		t.Fatalf("no re-check after the check-in\nagent:\n%s\nsignald:\n%s", out, in.stderr)
	}
	resp, err := in.httpClient.Get("http://" + in.http + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(metrics), `mirrorsignal_checkins_total{result="accepted"} 1`) {
		t.Fatalf("check-in not counted:\n%s", metrics)
	}
}
