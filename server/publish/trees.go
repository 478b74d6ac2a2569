package publish

import (
	"context"
	"time"
)

// Planter writes a file at a tree's root on one master.
type Planter interface {
	Plant(ctx context.Context, name string, data []byte) error
	String() string
}

// Host is a tier-1 host of a tree and the URL of the tree's TIME file there.
type Host struct {
	Name string
	URL  string
}

// Trees says, per tree, where to plant and whom to gate on. It is read at
// each publish, so a reloaded mirror list takes effect for the next one.
type Trees interface {
	Masters(tree string) []Planter
	Tier1(tree string) []Host
	// Need is the quorum: how many of total tier-1 hosts must serve the
	// new stamp.
	Need(tree string, total int) int
}

// noTrees has no masters and no tier-1 hosts: every publish commits at once.
type noTrees struct{}

func (noTrees) Masters(string) []Planter { return nil }
func (noTrees) Tier1(string) []Host      { return nil }
func (noTrees) Need(string, int) int     { return 0 }

// Fetcher reads the TIME a URL serves.
type Fetcher interface {
	Fetch(ctx context.Context, url string) (int64, error)
}

// Gate configures the tier-1 quorum gate and planting.
type Gate struct {
	TimeFile    string        // the TIME file's name at each tree's root
	Interval    time.Duration // between probe rounds
	Timeout     time.Duration // from the start of gating to timed_out
	Concurrency int           // probes at once
	Fetch       Fetcher
}

// Defaults of the gate.
const (
	defaultTimeFile    = "TIME"
	defaultInterval    = 10 * time.Second
	defaultTimeout     = 30 * time.Minute
	defaultConcurrency = 16
)

func (g Gate) withDefaults() Gate {
	if g.TimeFile == "" {
		g.TimeFile = defaultTimeFile
	}
	if g.Interval <= 0 {
		g.Interval = defaultInterval
	}
	if g.Timeout <= 0 {
		g.Timeout = defaultTimeout
	}
	if g.Concurrency <= 0 {
		g.Concurrency = defaultConcurrency
	}
	return g
}
