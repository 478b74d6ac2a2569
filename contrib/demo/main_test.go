package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mirrorsignal/mirrorsignal/contrib/demo/fleet"
	"github.com/mirrorsignal/mirrorsignal/server/api/apiv1"
	"github.com/mirrorsignal/mirrorsignal/server/status"
	"github.com/mirrorsignal/mirrorsignal/signal/testtool"
)

func TestProgressLine(t *testing.T) {
	stamp := int64(1_800_000_000)
	mirror := func(name string, tier int, state string, seen int64) status.Mirror {
		return status.Mirror{Name: name, Tier: tier, Trees: []status.MirrorTree{{Tree: "content", State: state, Stamp: seen}}}
	}
	snap := &status.Snapshot{Mirrors: []status.Mirror{
		mirror("t1-a", 1, status.Fresh, stamp), mirror("m01", 2, status.Fresh, stamp),
		mirror("m02", 2, status.Behind, stamp-60), mirror("m03", 2, status.Fresh, stamp-60), // fresh for an older signal
	}}
	now := time.Unix(stamp, 0).Add(7500 * time.Millisecond)
	got := progressLine(snap, stamp, now)
	for _, want := range []string{"[###############...............]  50 % fresh", "mirrors 1/3", "tier-1 1/1", "t+7.5s", "50 % …", "80 % …"} {
		if !strings.Contains(got, want) {
			t.Errorf("before the event: %q lacks %q", got, want)
		}
	}
	// Once the event is there its counts and marks win.
	snap.Events = []status.Event{{Tree: "content", Stamp: stamp, Carrying: 4, Fresh: 3,
		Reached: []status.Reached{{Percent: 50, AfterSeconds: 3.25}}}}
	got = progressLine(snap, stamp, now)
	for _, want := range []string{"  75 % fresh", "50 % at 3.2s", "80 % …"} {
		if !strings.Contains(got, want) {
			t.Errorf("with the event: %q lacks %q", got, want)
		}
	}
}

// TestInterruptStopsEverything runs the demo as `make demo` does, sends
// it SIGINT (Ctrl-C) just after its first publish committed, while the
// agents sync, and checks that it exits 0 and that no process it started
// (directly or not) is left.
func TestInterruptStopsEverything(t *testing.T) {
	testtool.Require(t, "rsync")
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "demo")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	dir := filepath.Join(tmp, "work")
	out := new(testtool.Buffer)
	cmd := exec.Command(bin, "-dir", dir, "-tier1", "1", "-mirrors", "2", "-jitter", "1s")
	cmd.Stdout, cmd.Stderr = out, out
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill() })
	if !waitOutput(out, "signal now", 2*time.Minute) {
		t.Fatalf("no publish committed:\n%s\n%s", out, logTails(dir))
	}
	descendants := descendantsOf(cmd.Process.Pid)
	if len(descendants) < 4 { // 1 + 1 + 2 rsync daemons, 2 agents
		t.Fatalf("only %d processes under the demo: %v", len(descendants), descendants)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit after Ctrl-C: %v\n%s", err, out)
		}
	case <-time.After(45 * time.Second):
		t.Fatalf("still running 45 s after Ctrl-C:\n%s", out)
	}
	if !strings.Contains(out.String(), "no process left") {
		t.Errorf("the demo did not report a clean stop:\n%s", out)
	}
	left, err := fleet.WaitGone(dir, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) > 0 {
		t.Errorf("left running after Ctrl-C:\n%s", strings.Join(left, "\n"))
	}
	// A process killed with its parent (an rsync's forked receiver, which
	// its parent-death signal does not reach) may take a moment to see
	// its pipe close; one still there after 10 s is left behind.
	deadline := time.Now().Add(10 * time.Second)
	for pid, start := range descendants {
		for startTime(pid) == start && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
		}
		if startTime(pid) == start {
			cmdline, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
			t.Errorf("process %d (started by the demo) is still running: %s", pid, bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '}))
		}
	}
}

// logTails is the end of the demo's logs, for a failure.
func logTails(dir string) string {
	var b strings.Builder
	for _, name := range []string{"fleet.log", "signald.log"} {
		data, _ := os.ReadFile(filepath.Join(dir, name))
		if len(data) > 4000 {
			data = data[len(data)-4000:]
		}
		b.WriteString("---- " + name + "\n" + string(data))
	}
	return b.String()
}

func waitOutput(out *testtool.Buffer, want string, limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if strings.Contains(out.String(), want) {
			return true
		}
		time.Sleep(100 * time.Millisecond)
	}
	return false
}

// descendantsOf maps each living descendant of pid to its start time
// (so that a reused pid is not taken for it).
func descendantsOf(pid int) map[int]string {
	children := map[int][]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if f := statFields(p); len(f) > 1 {
			ppid, _ := strconv.Atoi(f[1])
			children[ppid] = append(children[ppid], p)
		}
	}
	out := map[int]string{}
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			out[c] = startTime(c)
			queue = append(queue, c)
		}
	}
	return out
}

// statFields are the fields of /proc/PID/stat after the command name:
// state, ppid, …; nil when the process is gone.
func statFields(pid int) []string {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil
	}
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(string(data[i+1:]))
}

// startTime is the process's start time in clock ticks since boot; ""
// when it is gone or a zombie.
func startTime(pid int) string {
	f := statFields(pid)
	if len(f) < 20 || f[0] == "Z" {
		return ""
	}
	return f[19]
}

func TestGateLine(t *testing.T) {
	p := apiv1.Publish{State: "gating", Tier1: &apiv1.Gate{Need: 2, Total: 3,
		Seen:    []apiv1.HostSeen{{Host: "t1-a"}},
		Awaited: []apiv1.Awaited{{Host: "t1-b", Error: "serves TIME 1, behind 2 by 1s"}, {Host: "t1-c", Error: "connection refused"}}}}
	got := gateLine(p)
	if want := "gating: 1 of 3 tier-1 hosts serve it, 2 needed; t1-c: connection refused"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}
