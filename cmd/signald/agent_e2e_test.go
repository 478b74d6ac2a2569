package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mirrorsignal/mirrorsignal/agent/agenttest"
	"github.com/mirrorsignal/mirrorsignal/server/dnsharness"
	"github.com/mirrorsignal/mirrorsignal/signal"
)

// TestAgentFollowsSignald runs the three real binaries together: signald
// serving a signed zone, `signalctl keys ds` giving the pin, and
// mirror-agent validating the signal itself (pinned DS) against signald,
// then syncing with the real rsync from a real rsync daemon only when a
// publish made the tree behind.
func TestAgentFollowsSignald(t *testing.T) {
	in := newInstance(t)
	appendConfig(t, in.cfg, "[dnssec]\nenabled = true\ngenerate = true\n")
	in.start(t)
	ds, err := in.signalctl("keys", "ds", "--config", in.cfg)
	if err != nil {
		t.Fatalf("signalctl keys ds: %v\n%s", err, ds)
	}
	// The DS that signalctl prints is a working trust anchor for unbound.
	ub := dnsharness.Unbound(t, "mirrors.example.test.", in.dns, strings.TrimSpace(ds))
	if m, err := dnsharness.Exchange(ub.Addr, "current.mirrors.example.test.", dns.TypeTXT, true); err != nil || !m.AuthenticatedData {
		t.Fatalf("unbound anchored on `signalctl keys ds`: %v %v\n%s", m, err, ub.Output())
	}

	master, mirror := t.TempDir(), t.TempDir()
	stamp := time.Now().Unix() - 120
	writeTree(t, master, stamp, "content-v1")
	rsyncd := agenttest.StartRsyncd(t, map[string]string{"content": master})
	wrapper := agenttest.NewWrapper(t)
	agentCfg := filepath.Join(t.TempDir(), "agent.toml")
	state := t.TempDir()
	cfg := fmt.Sprintf(`mirror = "mirror1.example.net"
[signal]
name = "current.mirrors.example.test."
layout = ["content", "altarch", "vault"]
[dns]
authoritative = [%q]
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
`, in.dns, strings.TrimSpace(ds), wrapper.Path, filepath.Join(state, "lock"), filepath.Join(state, "state.json"), mirror, rsyncd.URL("content"))
	if err := os.WriteFile(agentCfg, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	agent := func() (string, int) {
		cmd := exec.Command(filepath.Join(binDir, "mirror-agent"), "run", "-no-jitter", "-config", agentCfg)
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		return string(out), code
	}

	// Nothing published yet: the signal is 0 for every tree; nothing to do.
	if out, code := agent(); code != 0 || len(wrapper.Invocations(t)) != 0 {
		t.Fatalf("before any publish: exit %d, %d rsync runs\n%s", code, len(wrapper.Invocations(t)), out)
	}
	if out, err := in.signalctl("publish", "content", "--at", strconv.FormatInt(stamp, 10), "--config", in.cfg); err != nil {
		t.Fatalf("publish: %v\n%s", err, out)
	}
	if out, code := agent(); code != 0 {
		t.Fatalf("after publish: exit %d\n%s", code, out)
	}
	if got := readTIME(t, mirror); got != stamp || len(wrapper.Invocations(t)) == 0 {
		t.Fatalf("mirror TIME %d after sync, want %d (%d rsync runs)", got, stamp, len(wrapper.Invocations(t)))
	}
	if data, _ := os.ReadFile(filepath.Join(mirror, "payload")); string(data) != "content-v1" {
		t.Fatalf("payload not synced: %q", data)
	}
	runs := len(wrapper.Invocations(t))
	if out, code := agent(); code != 0 || len(wrapper.Invocations(t)) != runs {
		t.Fatalf("up to date: exit %d, rsync ran again\n%s", code, out)
	}
}

func appendConfig(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}

func writeTree(t *testing.T, dir string, stamp int64, payload string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "payload"), []byte(payload), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "TIME"), signal.FormatTimeFile(stamp), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readTIME(t *testing.T, dir string) int64 {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "TIME"))
	if err != nil {
		return 0
	}
	v, err := signal.ParseTimeFile(data)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
