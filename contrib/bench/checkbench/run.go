package checkbench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/mirrorsignal/mirrorsignal/contrib/bench/benchhost"
	"github.com/mirrorsignal/mirrorsignal/server/checker"
)

// signalAge is how old the signal's stamp is at the start of a run.
const signalAge = time.Minute

// Run makes the rounds of o and the memory measure, logging progress to
// log, and returns the report.
func Run(ctx context.Context, o Options, log io.Writer) (*Report, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	r := &Report{Date: time.Now().UTC(), Command: o.Command, Rounds: o.Rounds, MaxProbes: o.MaxProbes,
		Concurrency: o.Concurrency, PerHost: o.PerHost, TimeoutS: o.Timeout.Seconds(), Machine: describeMachine()}
	stamp := time.Now().Add(-signalAge).Unix()
	for _, n := range o.Sizes {
		runs, err := compare(ctx, o, n, stamp, log)
		r.Runs = append(r.Runs, runs...)
		if err != nil {
			return r, err
		}
	}
	if o.MemoryMirrors > 0 {
		m, err := memory(ctx, o, stamp, log)
		if err != nil {
			return r, err
		}
		r.Memory = m
	}
	r.Machine.LoadEnd = benchhost.Load()
	r.summarise()
	return r, nil
}

// compare starts a fleet of n mirrors (named in the hosts file for
// mirmon) and times full rounds of mirmon and of the checker over it,
// mirmon first in odd rounds. The names leave the hosts file before it
// returns.
func compare(ctx context.Context, o Options, n int, stamp int64, log io.Writer) (runs []ToolRun, err error) {
	dir, err := os.MkdirTemp("", "checkbench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	ms, srv, err := compareFleet(n, stamp, o.Mirmon != "")
	if err != nil {
		return nil, err
	}
	defer srv.close()
	if o.Mirmon != "" {
		h, err := addHosts(o.Hosts, ms)
		if err != nil {
			return nil, err
		}
		defer func() { err = errors.Join(err, h.restore()) }()
	}
	fleet := filepath.Join(dir, "mirrors.toml")
	if err := os.WriteFile(fleet, fleetTOML(ms, compareTrees), 0o644); err != nil {
		return nil, err
	}
	for round := 1; round <= o.Rounds; round++ {
		tools := []string{"mirmon", "checker"}
		if round%2 == 0 {
			tools[0], tools[1] = tools[1], tools[0]
		}
		for _, tool := range tools {
			var t ToolRun
			switch {
			case tool == "mirmon" && o.Mirmon == "":
				continue
			case tool == "mirmon":
				t, err = runMirmon(ctx, o.Mirmon, dir, ms, o.MaxProbes, o.Timeout)
			default:
				t, err = checkerRound(ctx, o, fleet, stamp)
			}
			if err != nil {
				return runs, fmt.Errorf("%s over %d mirrors: %w", tool, n, err)
			}
			t.Round = round
			fmt.Fprintf(log, "%d mirrors, round %d: %s %.2fs wall, %.2fs CPU, %d ok, %d behind\n",
				n, round, tool, t.WallS, t.CPUS(), t.OK, t.Behind)
			runs = append(runs, t)
		}
	}
	return runs, nil
}

// checkerRound runs the child with every mirror asked for at once: one
// full round as fast as Concurrency and PerHost let it go.
func checkerRound(ctx context.Context, o Options, fleet string, stamp int64) (ToolRun, error) {
	c, maxRSS, err := runChildProcess(ctx, o, "-fleet", fleet, "-layout", compareTrees.String(),
		"-stamp", fmt.Sprint(stamp), "-recheck")
	if err != nil {
		return ToolRun{}, err
	}
	return ToolRun{Tool: "checker", Mirrors: c.Mirrors, WallS: c.WallS, UserS: c.UserS, SysS: c.SysS,
		OK: c.First[checker.Fresh] + c.First[checker.Behind], Behind: c.First[checker.Behind], MaxRSSMiB: maxRSS}, nil
}

// memory holds MemoryMirrors × 3 trees in the child on its schedule until
// every mirror has had its first round.
func memory(ctx context.Context, o Options, stamp int64, log io.Writer) (*MemoryResult, error) {
	dir, err := os.MkdirTemp("", "checkbench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	ms, srv, err := memoryFleet(o.MemoryMirrors, stamp)
	if err != nil {
		return nil, err
	}
	defer srv.close()
	fleet := filepath.Join(dir, "mirrors.toml")
	if err := os.WriteFile(fleet, fleetTOML(ms, memoryTrees), 0o644); err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "%d mirrors × %d trees on a %s schedule: the first full round takes about that long\n",
		len(ms), len(memoryTrees), o.MemoryInterval)
	c, _, err := runChildProcess(ctx, o, "-fleet", fleet, "-layout", memoryTrees.String(),
		"-stamp", fmt.Sprint(stamp), "-interval", o.MemoryInterval.String())
	if err != nil {
		return nil, fmt.Errorf("checker holding %d mirrors: %w", len(ms), err)
	}
	m := &MemoryResult{ChildResult: c, Trees: len(memoryTrees), Listeners: memoryListeners, IntervalS: o.MemoryInterval.Seconds()}
	fmt.Fprintf(log, "memory: %.1f MiB heap in use, %.1f MiB RSS, %.0f of %.0f planned probes a minute\n",
		c.HeapInuseMiB, c.RSSMiB, c.AchievedPerMin, c.PlannedPerMin)
	return m, nil
}

// runChildProcess runs the checker child with args and decodes its
// result; maxRSS is its peak RSS from wait4.
func runChildProcess(ctx context.Context, o Options, args ...string) (res ChildResult, maxRSS float64, err error) {
	argv := append(append(append([]string{}, o.Self[1:]...), "child", "-concurrency", fmt.Sprint(o.Concurrency),
		"-per-host", fmt.Sprint(o.PerHost), "-timeout", o.Timeout.String()), args...)
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, o.Self[0], argv...)
	cmd.Env = append(os.Environ(), o.SelfEnv...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Run(); err != nil {
		return res, 0, fmt.Errorf("checker child: %w\n%s", err, stderr.Bytes())
	}
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		return res, 0, fmt.Errorf("checker child's result: %w\n%s", err, stdout.Bytes())
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		maxRSS = float64(ru.Maxrss) / 1024
	}
	return res, maxRSS, nil
}
