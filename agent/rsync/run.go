package rsync

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Process-handling constants.
const (
	// StopGrace is how long rsync may take to exit after SIGTERM when the
	// agent is stopping, before the group gets SIGKILL.
	StopGrace = 10 * time.Second
	// outputTail is how much of rsync's output is kept for the log.
	outputTail = 4096
)

// Runner runs rsync.
type Runner struct {
	Binary     string        // rsync, or a wrapper that execs it
	RunTimeout time.Duration // 0 = no limit
	Log        *slog.Logger
}

// Run runs one job. Exit 24 (vanished files) is success; any other
// failure is an *ExitError.
func (r *Runner) Run(ctx context.Context, j Job) error {
	if r.RunTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.RunTimeout)
		defer cancel()
	}
	args := Args(j)
	r.Log.Info("rsync start", "source", j.Source, "dest", j.Dest, "stage", j.Stage.String())
	r.Log.Debug("rsync command", "binary", r.Binary, "args", strings.Join(args, " "))
	start := time.Now()
	out, err := r.exec(ctx, args)
	return r.result(err, out, j, time.Since(start))
}

// guardScript runs rsync under a small /bin/sh guard. rsync forks helper
// processes (generator and receiver) that a parent-death signal set on the
// first rsync would not reach: a receiver orphaned by kill -9 of the agent
// goes on writing into the tree. So the guard, not rsync, is the agent's
// child: it leads a process group of its own, gets SIGTERM when the agent
// dies (Pdeathsig) or stops, and then SIGKILLs the whole group — itself,
// rsync and every helper. Its exit status is rsync's ($0 is the binary).
const guardScript = `trap 'kill -KILL 0' HUP INT TERM; "$0" "$@" & wait $!`

// exec runs rsync under the guard. On cancellation the group gets SIGTERM
// (the guard turns that into SIGKILL for all), then SIGKILL after StopGrace.
func (r *Runner) exec(ctx context.Context, args []string) (string, error) {
	cmd := exec.CommandContext(ctx, "/bin/sh", append([]string{"-c", guardScript, r.Binary}, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	cmd.Cancel = func() error { return killGroup(cmd, syscall.SIGTERM) }
	cmd.WaitDelay = StopGrace
	tail := &tailBuffer{max: outputTail}
	cmd.Stdout, cmd.Stderr = tail, tail
	err := cmd.Run()
	if ctx.Err() != nil && cmd.Process != nil {
		_ = killGroup(cmd, syscall.SIGKILL) // leftovers of a cancelled run
	}
	return tail.String(), err
}

func killGroup(cmd *exec.Cmd, sig syscall.Signal) error {
	err := syscall.Kill(-cmd.Process.Pid, sig)
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}

func (r *Runner) result(err error, out string, j Job, took time.Duration) error {
	log := r.Log.With("source", j.Source, "stage", j.Stage.String(), "seconds", took.Seconds())
	if err == nil {
		log.Info("rsync done")
		return nil
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return &ExitError{Code: -1, Reason: fmt.Sprintf("cannot run %s: %v", r.Binary, err), Stderr: out}
	}
	code := ee.ExitCode()
	if code == PartialVanished {
		log.Warn("rsync: some source files vanished during the transfer (exit 24); counted as success")
		return nil
	}
	if code < 0 { // equivalent mutant "<= 0": an *exec.ExitError is never exit 0
		return &ExitError{Code: -1, Reason: "killed by " + ee.String(), Stderr: out}
	}
	return &ExitError{Code: code, Reason: meaning(code), Stderr: out}
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	max int
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf.Write(p)
	if extra := t.buf.Len() - t.max; extra > 0 { // equivalent mutant ">= 0": Next(0) drops nothing
		t.buf.Next(extra)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(t.buf.String())
}
