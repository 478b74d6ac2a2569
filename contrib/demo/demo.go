package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/mirrorsignal/mirrorsignal/contrib/demo/fleet"
	"github.com/mirrorsignal/mirrorsignal/server/api/apiv1"
	"github.com/mirrorsignal/mirrorsignal/server/status"
)

// redrawEvery is how often the progress line is drawn.
const redrawEvery = 500 * time.Millisecond

// settings are the demo's flags.
type settings struct {
	dir, agent, rsync string
	tier1, mirrors    int
	interval, jitter  time.Duration
	every             time.Duration
	fast              time.Duration
	once              string // publish once, write the figures here, stop
}

func parseFlags(args []string, stderr io.Writer) (settings, error) {
	var s settings
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&s.dir, "dir", "var/demo", "working directory: the fleet goes to DIR/run (emptied at start), logs and calibration.json to DIR")
	fs.StringVar(&s.agent, "agent", "", "mirror-agent binary (default: built with go build into a temp dir)")
	fs.StringVar(&s.rsync, "rsync", "rsync", "rsync binary")
	fs.IntVar(&s.tier1, "tier1", fleet.DefaultTier1, "tier-1 hosts")
	fs.IntVar(&s.mirrors, "mirrors", fleet.DefaultMirrors, "mirrors")
	fs.DurationVar(&s.interval, "interval", fleet.DefaultAgentInterval, "agents' daemon_interval (at least 10s)")
	fs.DurationVar(&s.jitter, "jitter", fleet.DefaultAgentJitter, "agents' jitter")
	fs.DurationVar(&s.fast, "fast", fleet.DefaultCheckerFast, "the checker's fast_interval after a publish")
	fs.DurationVar(&s.every, "every", 5*time.Minute, "publish again this often (Enter publishes at once)")
	fs.StringVar(&s.once, "once", "", "publish once, write the propagation figures to this file too, and stop (make bench-propagation)")
	if err := fs.Parse(args); err != nil {
		return s, usageError{err}
	}
	if fs.NArg() > 0 {
		return s, usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	if s.every < time.Minute {
		return s, usageError{fmt.Errorf("-every %s: want at least 1m", s.every)}
	}
	return s, nil
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	s, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if s.rsync, err = exec.LookPath(s.rsync); err != nil {
		return fmt.Errorf("the demo runs the real rsync: %w (apt-get install rsync)", err)
	}
	if s.agent == "" {
		tmp, err := os.MkdirTemp("", "mirrorsignal-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		if s.agent, err = buildAgent(ctx, tmp, stdout); err != nil {
			return err
		}
	}
	d, err := start(ctx, s, stdout)
	if err != nil {
		return err
	}
	if s.once != "" {
		err = d.once(ctx)
	} else {
		err = d.loop(ctx, lines(stdin))
	}
	return errors.Join(err, d.stop())
}

// buildAgent builds mirror-agent into dir.
func buildAgent(ctx context.Context, dir string, stdout io.Writer) (string, error) {
	fmt.Fprintln(stdout, "building mirror-agent…")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", dir+"/", "github.com/mirrorsignal/mirrorsignal/cmd/mirror-agent")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build mirror-agent: %w\n%s", err, out)
	}
	return filepath.Join(dir, "mirror-agent"), nil
}

// demo is a running fleet and its terminal.
type demo struct {
	s       settings
	f       *fleet.Fleet
	out     io.Writer
	runDir  string
	logs    []*os.File // signald's and the fleet's
	publish int
}

func start(ctx context.Context, s settings, out io.Writer) (*demo, error) {
	dir, err := filepath.Abs(s.dir)
	if err != nil {
		return nil, err
	}
	runDir := filepath.Join(dir, "run")
	if err := os.RemoveAll(runDir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(runDir, 0o755); err != nil {
		return nil, err
	}
	sdLog, err := os.Create(filepath.Join(dir, "signald.log"))
	if err != nil {
		return nil, err
	}
	fleetLog, err := os.Create(filepath.Join(dir, "fleet.log"))
	if err != nil {
		sdLog.Close()
		return nil, err
	}
	fmt.Fprintf(out, "starting signald, a master, %d tier-1 hosts and %d mirrors on 127.0.0.0/8…\n", s.tier1, s.mirrors)
	f, err := fleet.Start(ctx, fleet.Options{Dir: runDir, Tier1: s.tier1, Mirrors: s.mirrors,
		AgentBinary: s.agent, Rsync: s.rsync, AgentInterval: s.interval, AgentJitter: s.jitter,
		CheckerFast: s.fast, SignaldLog: sdLog, Log: slog.New(slog.NewTextHandler(fleetLog, nil))})
	if err != nil {
		sdLog.Close()
		fleetLog.Close()
		return nil, err
	}
	d := &demo{s: s, f: f, out: out, runDir: runDir, logs: []*os.File{sdLog, fleetLog}}
	d.banner(dir)
	return d, nil
}

func (d *demo) banner(dir string) {
	host, port, _ := strings.Cut(d.f.DNSAddr(), ":")
	fmt.Fprintf(d.out, `
  status page   %s
  the signal    dig @%s -p %s %s TXT +short
  logs          %s, fleet.log (tier-1 syncs)
  agents' logs  %s
  agents        poll every %s + up to %s of jitter; the checker re-checks every %s after a publish
  tier-1 hosts  sync from the master's rsync daemon as soon as the publisher plants its TIME file

`, d.f.StatusURL(), host, port, "current."+d.f.Config().Zone.Origin, filepath.Join(dir, "signald.log"),
		filepath.Join(d.runDir, "agents", "*", "agent.log"), d.s.interval, d.s.jitter, d.s.fast)
}

// loop publishes now, then on each line from enter or every s.every,
// until ctx ends.
func (d *demo) loop(ctx context.Context, enter <-chan struct{}) error {
	for {
		if err := d.once(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		next := time.Now().Add(d.s.every)
		fmt.Fprintf(d.out, "Enter publishes again (next at %s); Ctrl-C stops.\n", next.Format(time.TimeOnly))
		timer := time.NewTimer(d.s.every)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-enter:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// once publishes a release and draws its propagation until every mirror
// is fresh or the configuration's bound has passed.
func (d *demo) once(ctx context.Context) error {
	d.publish++
	fmt.Fprintf(d.out, "\npublish %d: new release on the master; planting TIME, gating on the tier-1 hosts…\n", d.publish)
	pub, err := d.f.Publish(ctx, func(p apiv1.Publish) { fmt.Fprintf(d.out, "  %s\n", gateLine(p)) })
	if err != nil {
		return err
	}
	fmt.Fprintf(d.out, "  signal now %q (serial %d)\n", pub.Record, pub.Serial)
	last := time.Time{}
	ev, err := d.f.Await(ctx, pub.Stamp, d.f.Bounds().Wait(), func(snap *status.Snapshot) {
		if now := time.Now(); now.Sub(last) >= redrawEvery {
			last = now
			fmt.Fprintf(d.out, "\r%s", progressLine(snap, pub.Stamp, now))
		}
	})
	fmt.Fprintf(d.out, "\r%s\n", progressLine(d.f.Status(), pub.Stamp, time.Now()))
	if errors.Is(err, fleet.ErrNotFresh) {
		fmt.Fprintf(d.out, "  %v\n", err)
		return nil
	}
	if err != nil {
		return err
	}
	return d.report(ctx, pub, ev)
}

// report prints the publish's figures and writes calibration.json.
func (d *demo) report(ctx context.Context, pub apiv1.Publish, ev status.Event) error {
	p, err := d.f.Measure(ctx, pub, ev)
	if err != nil {
		return err
	}
	fmt.Fprintf(d.out, "  %s\n", summary(p))
	path := filepath.Join(filepath.Dir(d.runDir), "calibration.json")
	if err := d.f.Calibration(p).WriteFile(path); err != nil {
		return err
	}
	fmt.Fprintf(d.out, "  figures for cmd/propsim -calibrate: %s\n", path)
	if d.s.once != "" {
		if err := d.f.Calibration(p).WriteFile(d.s.once); err != nil {
			return err
		}
		fmt.Fprintf(d.out, "  and for make bench's table: %s\n", d.s.once)
	}
	return nil
}

// stop stops the fleet and says whether anything was left running.
func (d *demo) stop() error {
	fmt.Fprintln(d.out, "\nstopping every agent, rsync daemon and signald…")
	err := d.f.Close()
	for _, l := range d.logs {
		l.Close()
	}
	left, lerr := fleet.WaitGone(d.runDir, 5*time.Second)
	if lerr != nil {
		return errors.Join(err, lerr)
	}
	if len(left) > 0 {
		return errors.Join(err, fmt.Errorf("processes left running:\n%s", strings.Join(left, "\n")))
	}
	fmt.Fprintln(d.out, "stopped; no process left.")
	return err
}

// lines sends a value for each line read from r; EOF ends it quietly.
func lines(r io.Reader) <-chan struct{} {
	ch := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			ch <- struct{}{}
		}
	}()
	return ch
}
