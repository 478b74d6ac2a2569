package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/mirrorsignal/mirrorsignal/agent/agenttest"
	"github.com/mirrorsignal/mirrorsignal/agent/command"
	"github.com/mirrorsignal/mirrorsignal/agent/exitcode"
	"github.com/mirrorsignal/mirrorsignal/server"
	"github.com/mirrorsignal/mirrorsignal/server/adminclient"
	"github.com/mirrorsignal/mirrorsignal/server/api/apiv1"
	"github.com/mirrorsignal/mirrorsignal/server/config"
	"github.com/mirrorsignal/mirrorsignal/server/dnsharness"
	"github.com/mirrorsignal/mirrorsignal/server/dnssec"
)

// sharedClock is one injected clock for signald and the agent.
type sharedClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *sharedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *sharedClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Sleep lets injected time pass instead of real time.
func (c *sharedClock) Sleep(ctx context.Context, d time.Duration) error {
	c.Add(d)
	return ctx.Err()
}

// TestPinnedAgentFollowsLongRunningSignald: signald runs on an injected
// clock for 3 hours, 26 hours and 8 days, with a publish at each, and a
// pinned agent with the default max_signature_age syncs after each
// publish. Signatures of the _trees layout record are as old as signald's
// start (they are not on the heartbeat): an agent that age-checked them
// stopped following the signal about 2 hours after signald started. (The
// heartbeat re-signing between publishes is held by server.TestSixtyDays.)
func TestPinnedAgentFollowsLongRunningSignald(t *testing.T) {
	start := time.Now().Truncate(time.Second)
	clock := &sharedClock{t: start}
	cfg := clockSignaldConfig(t)
	ctx, cancel := context.WithCancel(context.Background())
	d, err := server.New(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("signald: %v", err)
		}
	})
	waitSOA(t, cfg.DNS.Listen)

	master, mirror := t.TempDir(), t.TempDir()
	rsyncd := agenttest.StartRsyncd(t, map[string]string{"content": master})
	agentCfg := clockAgentConfig(t, cfg, dsOfKeys(t, cfg), mirror, rsyncd.URL("content"))
	admin := adminclient.Socket(filepath.Join(cfg.StateDir, "admin.sock"))

	for i, step := range []time.Duration{3 * time.Hour, 23 * time.Hour, 6 * 24 * time.Hour} {
		clock.Add(step)
		stamp := clock.Now().Unix() - 60
		writeTree(t, master, stamp, fmt.Sprintf("content-v%d", i+1))
		// The master wrote the tree at stamp: rsync's quick check compares
		// modification times, and real time has barely moved.
		for _, f := range []string{"TIME", "payload"} {
			if err := os.Chtimes(filepath.Join(master, f), time.Unix(stamp, 0), time.Unix(stamp, 0)); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := admin.Publish(ctx, apiv1.PublishRequest{Tree: "content", At: stamp}); err != nil {
			t.Fatalf("publish %d: %v", i+1, err)
		}
		since := clock.Now().Sub(start)
		out, code := runAgent(ctx, clock, agentCfg)
		if code != exitcode.OK {
			t.Fatalf("signald up %s: agent exit %d after publish %d\n%s", since, code, i+1, out)
		}
		if got := readTIME(t, mirror); got != stamp {
			t.Fatalf("signald up %s: mirror TIME %d, want %d\n%s", since, got, stamp, out)
		}
	}
}

func clockSignaldConfig(t *testing.T) config.Config {
	t.Helper()
	doc := fmt.Sprintf(`state_dir = %q
[zone]
origin = "mirrors.example.test."
[[zone.ns]]
name = "ns1.mirrors.example.test."
addresses = ["127.0.0.1"]
[[trees]]
name = "content"
[[trees]]
name = "altarch"
[[trees]]
name = "vault"
[dns]
listen = "127.0.0.1:%d"
[http]
enabled = false
[dnssec]
enabled = true
generate = true
`, t.TempDir(), dnsharness.FreePort(t))
	cfg, err := config.Parse("clock.toml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func dsOfKeys(t *testing.T, cfg config.Config) string {
	t.Helper()
	keys, err := dnssec.LoadDir(cfg.KeyDir(), cfg.Zone.Origin)
	if err != nil || len(keys) == 0 {
		t.Fatalf("keys: %v (%d)", err, len(keys))
	}
	return keys[0].DS().String()
}

// clockAgentConfig is a pinned agent with every DNSSEC default, in
// particular max_signature_age.
func clockAgentConfig(t *testing.T, cfg config.Config, ds, mirror, source string) string {
	t.Helper()
	state := t.TempDir()
	doc := fmt.Sprintf(`mirror = "mirror1.example.net"
[signal]
name = "current.mirrors.example.test."
layout = ["content", "altarch", "vault"]
[dns]
authoritative = [%q]
[dnssec]
mode = "pinned"
require_dnssec = true
pins = [%q]
[sync]
rsync = "rsync"
lock_file = %q
state_file = %q
jitter = "0s"
[trees.content]
path = %q
sources = [%q]
`, cfg.DNS.Listen, ds, filepath.Join(state, "lock"), filepath.Join(state, "state.json"), mirror, source)
	path := filepath.Join(state, "agent.toml")
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// runAgent runs one `mirror-agent trigger` pass in-process on the clock.
func runAgent(ctx context.Context, clock *sharedClock, cfgPath string) (string, int) {
	var out bytes.Buffer
	err := command.Run(ctx, []string{"trigger", "-config", cfgPath, "-stderr-level", "info"}, command.Env{
		Stdout: &out, Stderr: &out, Clock: clock, Rand: rand.New(rand.NewPCG(1, 2)),
	})
	return out.String(), exitcode.Code(err)
}

func waitSOA(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := dnsharness.Serial(addr, "mirrors.example.test."); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("signald's DNS did not come up")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
