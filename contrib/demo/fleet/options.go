package fleet

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"
)

// Options describe a fleet. Zero values take the defaults below.
type Options struct {
	// Dir holds everything: trees, configs, state, logs. Required; every
	// process the fleet starts names it on its command line.
	Dir string
	// Tier1 and Mirrors are how many tier-1 hosts and mirrors to run.
	Tier1, Mirrors int
	// AgentBinary is the mirror-agent program; Rsync the rsync program.
	// Both required.
	AgentBinary, Rsync string

	// AgentInterval and AgentJitter are each agent's sync.daemon_interval
	// and sync.jitter: a pass every AgentInterval + [0, AgentJitter].
	// mirror-agent refuses an interval under 10 s.
	AgentInterval, AgentJitter time.Duration
	// CheckerInterval, CheckerFast and CheckerTimeout are signald's
	// checker.interval, checker.fast_interval and checker.timeout.
	CheckerInterval, CheckerFast, CheckerTimeout time.Duration
	// GateInterval is publish.gate_interval; GateTimeout
	// publish.gate_timeout.
	GateInterval, GateTimeout time.Duration
	// Tier1Poll is how often each tier-1 host looks at the master's TIME.
	Tier1Poll time.Duration
	// Files and FileSize are the new content of each publish: Files files
	// of FileSize bytes.
	Files, FileSize int

	// SignaldLog gets signald's log (text); nil: discarded.
	SignaldLog io.Writer
	// Log gets the fleet's own progress; nil: discarded.
	Log *slog.Logger
}

// Defaults.
const (
	DefaultTier1           = 3
	DefaultMirrors         = 10
	DefaultAgentInterval   = 10 * time.Second
	DefaultAgentJitter     = 5 * time.Second
	DefaultCheckerInterval = 30 * time.Second
	DefaultCheckerFast     = time.Second
	DefaultCheckerTimeout  = 2 * time.Second
	DefaultGateInterval    = 250 * time.Millisecond
	DefaultGateTimeout     = 2 * time.Minute
	DefaultTier1Poll       = 250 * time.Millisecond
	DefaultFiles           = 8
	DefaultFileSize        = 128 << 10

	// minAgentInterval is mirror-agent's lower bound on daemon_interval.
	minAgentInterval = 10 * time.Second
	// maxHosts bounds each kind of host: each gets its own 127.x address.
	maxHosts = 250
)

func (o Options) withDefaults() (Options, error) {
	if o.Dir == "" || o.AgentBinary == "" || o.Rsync == "" {
		return o, errors.New("fleet: Dir, AgentBinary and Rsync are required")
	}
	defInt := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	defInt(&o.Tier1, DefaultTier1)
	defInt(&o.Mirrors, DefaultMirrors)
	defInt(&o.Files, DefaultFiles)
	defInt(&o.FileSize, DefaultFileSize)
	defDur(&o.AgentInterval, DefaultAgentInterval)
	defDur(&o.AgentJitter, DefaultAgentJitter)
	defDur(&o.CheckerInterval, DefaultCheckerInterval)
	defDur(&o.CheckerFast, DefaultCheckerFast)
	defDur(&o.CheckerTimeout, DefaultCheckerTimeout)
	defDur(&o.GateInterval, DefaultGateInterval)
	defDur(&o.GateTimeout, DefaultGateTimeout)
	defDur(&o.Tier1Poll, DefaultTier1Poll)
	switch {
	case o.Tier1 < 1 || o.Tier1 > maxHosts || o.Mirrors < 1 || o.Mirrors > maxHosts:
		return o, fmt.Errorf("fleet: want 1 to %d tier-1 hosts and mirrors, have %d and %d", maxHosts, o.Tier1, o.Mirrors)
	case o.AgentInterval < minAgentInterval:
		return o, fmt.Errorf("fleet: agent interval %s: mirror-agent wants at least %s", o.AgentInterval, minAgentInterval)
	case o.AgentJitter < 0 || o.Files < 1 || o.FileSize < 1:
		return o, errors.New("fleet: jitter, files and file size must be positive")
	}
	if o.SignaldLog == nil {
		o.SignaldLog = io.Discard
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return o, nil
}
