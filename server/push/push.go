// Package push triggers opted-in mirrors right after a publish commits: it
// connects to each over SSH (host key verified, see server/sshdial) and
// runs the command the mirror's authorized_keys forces, normally
// `mirror-agent trigger`, a few mirrors at a time. A push only makes a
// mirror look at the signal sooner; the mirror still validates it. It
// imports server/sshdial and no other package of the module.
package push

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/crypto/ssh"

	"github.com/mirrorsignal/mirrorsignal/server/sshdial"
)

const (
	// DefaultCommand is what the client asks to run. The mirror's forced
	// command decides what really runs and sees this only as
	// SSH_ORIGINAL_COMMAND.
	DefaultCommand = "trigger"
	// DefaultTimeout bounds one push: connect, handshake and the remote
	// command. `mirror-agent trigger` runs a whole pass, rsync included,
	// which may take longer; the push then reports a timeout and closes
	// the connection, and the remote pass may still complete.
	DefaultTimeout = 2 * time.Minute
	// MaxOutput is how much of the remote command's output a Result keeps.
	MaxOutput = 4096
)

// Target is one opted-in mirror.
type Target struct {
	Name    string
	SSH     sshdial.Config
	Command string        // "" = DefaultCommand
	Timeout time.Duration // the whole push; 0 = DefaultTimeout
}

// Result is how one push went.
type Result struct {
	Name     string
	Err      error  // nil: the remote command ran and exited 0
	Output   string // its stdout and stderr, at most MaxOutput bytes, control characters replaced
	Duration time.Duration
}

// Pusher runs pushes and counts them.
type Pusher struct {
	log      *slog.Logger
	attempts prometheus.Counter
	failures prometheus.Counter
}

// NewPusher returns a Pusher whose counters are registered on reg.
func NewPusher(reg prometheus.Registerer, log *slog.Logger) (*Pusher, error) {
	p := &Pusher{
		log: log.With("component", "push"),
		attempts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "mirrorsignal_push_attempts_total", Help: "Push triggers attempted (one per mirror and publish).",
		}),
		failures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "mirrorsignal_push_failures_total", Help: "Push triggers that failed: no connection, refused host key, timeout or a non-zero exit.",
		}),
	}
	for _, c := range []prometheus.Collector{p.attempts, p.failures} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// Run pushes to every target, at most concurrency (at least 1) at a time,
// and returns their results in the order of targets. It returns when all
// are done; each is bounded by its Timeout and by ctx.
func (p *Pusher) Run(ctx context.Context, targets []Target, concurrency int) []Result {
	results := make([]Result, len(targets))
	sem := make(chan struct{}, max(concurrency, 1))
	var wg sync.WaitGroup
	for i, t := range targets {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			results[i] = p.one(ctx, t)
		})
	}
	wg.Wait()
	return results
}

func (p *Pusher) one(ctx context.Context, t Target) Result {
	p.attempts.Inc()
	start := time.Now()
	out, err := trigger(ctx, t)
	r := Result{Name: t.Name, Err: err, Output: out, Duration: time.Since(start)}
	log := p.log.With("mirror", t.Name, "addr", t.SSH.Addr, "duration_seconds", r.Duration.Seconds())
	if err != nil {
		p.failures.Inc()
		log.Warn("push failed", "err", err, "output", r.Output)
	} else {
		log.Info("pushed", "output", r.Output)
	}
	return r
}

// trigger runs t's command on t's host and returns its output.
func trigger(ctx context.Context, t Target) (output string, err error) {
	timeout := t.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeoutCause(ctx, timeout,
		fmt.Errorf("no exit within %v (the remote pass may still run): %w", timeout, context.DeadlineExceeded))
	defer cancel()
	defer func() {
		if err != nil && ctx.Err() != nil && !errors.Is(err, context.Cause(ctx)) {
			err = fmt.Errorf("%w (%w)", context.Cause(ctx), err)
		}
		if err != nil {
			err = fmt.Errorf("push %s: %w", t.Name, err)
		}
	}()
	if t.Name == "" {
		return "", errors.New("target without a name")
	}
	conn, err := sshdial.Dial(ctx, t.SSH)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	return run(conn, t.Command)
}

func run(conn *ssh.Client, command string) (string, error) {
	if command == "" {
		command = DefaultCommand
	}
	s, err := conn.NewSession()
	if err != nil {
		return "", fmt.Errorf("session: %w", err)
	}
	defer s.Close()
	var out capped
	s.Stdout, s.Stderr = &out, &out
	err = s.Run(command)
	var exit *ssh.ExitError
	if errors.As(err, &exit) {
		err = fmt.Errorf("remote command exited %d: %w", exit.ExitStatus(), err)
	}
	return out.String(), err
}
