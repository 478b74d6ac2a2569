package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mirrorsignal/mirrorsignal/agent/agenttest"
	"github.com/mirrorsignal/mirrorsignal/agent/exitcode"
	"github.com/mirrorsignal/mirrorsignal/signal"
)

// The test binary doubles as the agent: with this variable set it runs main.
const asAgent = "MIRROR_AGENT_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asAgent) == "1" {
		main()
	}
	os.Exit(m.Run())
}

func TestUsageAndConfigExitCodes(t *testing.T) {
	tests := []struct {
		args []string
		code int
	}{
		{nil, exitcode.Usage},
		{[]string{"frobnicate"}, exitcode.Usage},
		{[]string{"run", "-nosuchflag"}, exitcode.Usage},
		{[]string{"run", "extra"}, exitcode.Usage},
		{[]string{"help"}, exitcode.OK},
		{[]string{"run", "-config", "/nonexistent/agent.toml"}, exitcode.Config},
		{[]string{"status", "-config", filepath.Join("..", "..", "contrib", "examples", "agent.toml"), "-stderr-level", "loud"}, exitcode.Usage},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var out, errb bytes.Buffer
			err := run(context.Background(), tc.args, &out, &errb)
			if got := exitcode.Code(err); got != tc.code {
				t.Fatalf("exit %d, want %d (%v)", got, tc.code, err)
			}
		})
	}
}

// TestKill9MidRsync kills the agent with SIGKILL while rsync copies a big
// file slowly: rsync must die with it, and the next run must take the lock
// and complete the tree. At --bwlimit=20 the copy needs about 7 minutes, so
// only the parent-death signal and the guard in package rsync can make the
// whole rsync process group go within killGrace.
func TestKill9MidRsync(t *testing.T) {
	dir := t.TempDir()
	upstream, local := filepath.Join(dir, "up"), filepath.Join(dir, "local")
	stamp := time.Now().Add(-time.Hour).Unix()
	mustWrite(t, filepath.Join(upstream, "big.iso"), strings.Repeat("x", 8<<20))
	mustWrite(t, filepath.Join(upstream, "TIME"), string(signal.FormatTimeFile(stamp)))
	rsyncd := agenttest.StartRsyncd(t, map[string]string{"content": upstream})
	wrap := agenttest.NewWrapper(t)
	dns := agenttest.StartDNS(t, "mirrors.example.test.")
	dns.SetTXT("current.mirrors.example.test.", strconv.FormatInt(stamp, 10))
	dns.SetTXT("_trees.current.mirrors.example.test.", "content")

	slow := writeConfig(t, dir, "slow", dns.Addr, wrap.Path, rsyncd.URL("content"), local, `"--bwlimit=20"`)
	agent := exec.Command(os.Args[0], "trigger", "-config", slow)
	agent.Env = append(os.Environ(), asAgent+"=1")
	var stderr bytes.Buffer
	agent.Stderr = &stderr
	if err := agent.Start(); err != nil {
		t.Fatal(err)
	}
	var pgid int
	waitFor(t, func() bool {
		if inv := wrap.Invocations(t); len(inv) > 0 && pgid == 0 {
			pgid = processGroup(inv[0].PID)
		}
		return pgid > 0 && partialExists(local)
	})
	t.Cleanup(func() { _ = syscall.Kill(-pgid, syscall.SIGKILL) }) // a failed run leaves no 7-minute rsync behind
	if err := agent.Process.Kill(); err != nil {                   // SIGKILL: no cleanup code runs
		t.Fatal(err)
	}
	_ = agent.Wait()
	killed := time.Now()
	waitWithin(t, killGrace, func() bool { return groupGone(pgid) })
	t.Logf("rsync group %d gone %s after kill -9 of the agent", pgid, time.Since(killed).Round(time.Millisecond))

	fast := writeConfig(t, dir, "fast", dns.Addr, wrap.Path, rsyncd.URL("content"), local, "")
	next := exec.Command(os.Args[0], "trigger", "-config", fast)
	next.Env = append(os.Environ(), asAgent+"=1")
	if out, err := next.CombinedOutput(); err != nil {
		t.Fatalf("next run: %v\n%s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(local, "TIME"))
	if err != nil || strings.TrimSpace(string(b)) != strconv.FormatInt(stamp, 10) {
		t.Fatalf("tree not completed: TIME %q, %v", b, err)
	}
	if fi, err := os.Stat(filepath.Join(local, "big.iso")); err != nil || fi.Size() != 8<<20 {
		t.Fatalf("big.iso not complete: %v", err)
	}
}

func writeConfig(t *testing.T, dir, name, dnsAddr, rsyncBin, source, local, options string) string {
	t.Helper()
	path := filepath.Join(dir, name+".toml")
	mustWrite(t, path, fmt.Sprintf(`[signal]
name = "current.mirrors.example.test."
layout = ["content"]
[dns]
resolvers = [%q]
[sync]
rsync = %q
options = [%s]
lock_file = %q
state_file = %q
jitter = "0s"
[trees.content]
path = %q
sources = [%q]
[log]
file = %q
level = "debug"
`, dnsAddr, rsyncBin, options, filepath.Join(dir, "agent.lock"), filepath.Join(dir, "state.json"), local, source, filepath.Join(dir, "agent.log")))
	return path
}

// partialExists reports whether rsync has started writing into the tree
// (the partial file of --delay-updates lives in .~tmp~ or as a dot file).
func partialExists(local string) bool {
	found := false
	_ = filepath.Walk(local, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() && fi.Size() > 0 {
			found = true
		}
		return nil
	})
	return found
}

// processGroup returns the process group of pid, or 0.
func processGroup(pid int) int {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	if len(fields) < 3 {
		return 0
	}
	g, _ := strconv.Atoi(fields[2])
	return g
}

// groupGone reports whether no live process is left in process group pgid
// (zombies waiting for init to reap them count as gone).
func groupGone(pgid int) bool {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp …; comm may hold spaces, so cut at the last ')'.
		fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(fields) < 3 || fields[0] == "Z" {
			continue
		}
		if g, _ := strconv.Atoi(fields[2]); g == pgid && pid > 0 {
			return false
		}
	}
	return true
}

func mustWrite(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// killGrace is how long the rsync group may outlive a kill -9 of the agent.
const killGrace = 2 * time.Second

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	waitWithin(t, 30*time.Second, cond)
}

func waitWithin(t *testing.T, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting", d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
