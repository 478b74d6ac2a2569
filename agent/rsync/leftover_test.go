package rsync

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// waitPIDs waits for the fake rsync to write its pids (one a line) to path.
func waitPIDs(t *testing.T, path string, n int) []int {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		b, _ := os.ReadFile(path)
		fields := strings.Fields(string(b))
		if len(fields) < n {
			continue
		}
		pids := make([]int, n)
		for i := range pids {
			pids[i], _ = strconv.Atoi(fields[i])
		}
		return pids
	}
	t.Fatal("fake rsync did not start")
	return nil
}

// TestCancelledRunIsKilledBySignal: a run stopped by cancellation is
// reported with Code -1, never as one of rsync's exit codes.
func TestCancelledRunIsKilledBySignal(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pids")
	r := fakeRsync(t, "echo $$ > "+pidFile+"; sleep 60")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx, Job{Source: "h::m", Dest: "/tmp/x"}) }()
	waitPIDs(t, pidFile, 1)
	cancel()
	var err error
	select {
	case err = <-done:
	case <-time.After(StopGrace + 5*time.Second):
		t.Fatal("Run did not return after cancel")
	}
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Code != -1 {
		t.Fatalf("cancelled run: %#v, want an *ExitError with Code -1", err)
	}
}

// TestCancelAfterExitKillsLeftovers: rsync has exited but a helper of its
// group lives on, holding rsync's output open. Run waits StopGrace for the
// output; when the run was cancelled meanwhile, the helper is killed before
// Run returns, so it cannot write into a tree whose lock is released.
func TestCancelAfterExitKillsLeftovers(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pids")
	// $PPID is the guard; the helper keeps stdout (the pipe) open and
	// ignores SIGTERM, so only the SIGKILL after the run can stop it.
	r := fakeRsync(t, "(trap '' TERM; exec sleep 60) & echo $PPID $! > "+pidFile+"; exit 0")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx, Job{Source: "h::m", Dest: "/tmp/x"}) }()
	pids := waitPIDs(t, pidFile, 2)
	guard, helper := pids[0], pids[1]
	t.Cleanup(func() {
		if alive(helper) {
			_ = os.Remove(pidFile)
			p, _ := os.FindProcess(helper)
			_ = p.Kill()
		}
	})
	for deadline := time.Now().Add(5 * time.Second); alive(guard); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the guard did not exit after rsync")
		}
	}
	if !alive(helper) {
		t.Fatal("the helper died with rsync; the test proves nothing")
	}
	cancel()
	select {
	case err := <-done:
		// Not rsync's exit 0 (success) nor any other rsync exit code.
		var ee *ExitError
		if !errors.As(err, &ee) || ee.Code != -1 {
			t.Fatalf("a cancelled run whose output never closed: %#v, want an *ExitError with Code -1", err)
		}
	case <-time.After(StopGrace + 5*time.Second):
		t.Fatal("Run did not return after cancel")
	}
	for deadline := time.Now().Add(2 * time.Second); alive(helper); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("helper %d outlived the cancelled run", helper)
		}
	}
}
