package command

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"

	"github.com/mirrorsignal/mirrorsignal/agent/config"
	"github.com/mirrorsignal/mirrorsignal/agent/exitcode"
	"github.com/mirrorsignal/mirrorsignal/agent/logging"
	"github.com/mirrorsignal/mirrorsignal/agent/schedule"
)

// DefaultConfig is where agent.toml is looked for.
const DefaultConfig = "/etc/mirror-agent/agent.toml"

// Env is the outside world of a command.
type Env struct {
	Stdout, Stderr io.Writer
	Clock          schedule.Clock
	Rand           *rand.Rand
	ResolvConf     string // used when agent.toml lists no DNS servers
}

const usage = `usage: mirror-agent COMMAND [-config FILE] [-stderr-level LEVEL]

commands:
  run       sleep a random jitter in [0, sync.jitter], then one pass (for cron)
  daemon    passes forever, sync.daemon_interval + jitter apart
  status    signal against local TIME per tree; exit 0 fresh, 5 behind, 1 no signal
  trigger   one pass at once, no jitter (SSH forced command for push)

exit codes: 0 done/nothing to do/lock busy, 1 failure (also the lock busy for
longer than sync.max_interval; names the holder's pid), 2 usage, 4 rsync failed
or was refused by --max-delete for every source, 5 upstream behind: each
source's TIME is older than the signal (skipped by the pre-flight, before any
rsync that deletes) or the sync did not reach it, 78 configuration error
`

// options are the flags shared by all commands.
type options struct {
	config      string
	stderrLevel string
	noJitter    bool
}

// Run runs the command in args (without the program name). The error
// carries the exit code (package exitcode).
func Run(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, usage)
		return exitcode.Reported(exitcode.Newf(exitcode.Usage, "no command"))
	}
	cmd, rest := args[0], args[1:]
	if cmd == "help" || cmd == "-h" || cmd == "-help" || cmd == "--help" {
		fmt.Fprint(env.Stdout, usage)
		return nil
	}
	o, err := parseFlags(cmd, rest, env.Stderr)
	if err != nil {
		return err
	}
	switch cmd {
	case "run", "trigger", "daemon", "status":
	default:
		fmt.Fprint(env.Stderr, usage)
		return exitcode.Newf(exitcode.Usage, "unknown command %q", cmd)
	}
	a, err := setup(o, env)
	if err != nil {
		return err
	}
	defer a.close()
	return a.dispatch(ctx, cmd, o)
}

func parseFlags(cmd string, args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("mirror-agent "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.config, "config", DefaultConfig, "agent.toml to read")
	fs.StringVar(&o.stderrLevel, "stderr-level", "", "override log.stderr_level (debug, info, warn, error)")
	if cmd == "run" {
		fs.BoolVar(&o.noJitter, "no-jitter", false, "skip the initial random sleep")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, exitcode.Reported(exitcode.New(exitcode.OK, err))
		}
		return o, exitcode.Reported(exitcode.New(exitcode.Usage, err))
	}
	if fs.NArg() > 0 {
		return o, exitcode.Newf(exitcode.Usage, "%s: unexpected argument %q", cmd, fs.Arg(0))
	}
	if o.stderrLevel != "" {
		if _, err := config.ParseLevel(o.stderrLevel); err != nil {
			return o, exitcode.Newf(exitcode.Usage, "-stderr-level: %v", err)
		}
	}
	return o, nil
}

// agent is a configured command environment.
type agent struct {
	cfg      *config.Config
	log      *slog.Logger
	closeLog func() error
	env      Env
}

func setup(o options, env Env) (*agent, error) {
	cfg, err := config.Load(o.config)
	if err != nil {
		return nil, exitcode.New(exitcode.Config, err)
	}
	log, closeLog, err := logging.New(cfg.Log, env.Stderr, o.stderrLevel)
	if err != nil {
		return nil, exitcode.New(exitcode.Config, err)
	}
	return &agent{cfg: cfg, log: log, closeLog: closeLog, env: env}, nil
}

func (a *agent) close() { _ = a.closeLog() }

func (a *agent) dispatch(ctx context.Context, cmd string, o options) error {
	p, err := a.build()
	if err != nil {
		return exitcode.New(exitcode.Config, err)
	}
	switch cmd {
	case "run":
		return a.run(ctx, p, !o.noJitter)
	case "trigger":
		return a.run(ctx, p, false)
	case "daemon":
		return a.daemon(ctx, p)
	default:
		return a.status(ctx, p)
	}
}
