package checkbench

import (
	"errors"
	"fmt"
	"time"
)

// Defaults of a run, as README's figures were taken.
const (
	// DefaultMaxProbes is mirmon's own default of parallel probes.
	DefaultMaxProbes = 25
	// DefaultTimeout bounds one probe, for mirmon (wget -T) and the checker.
	DefaultTimeout = 10 * time.Second
	// DefaultMemoryMirrors is the fleet held for the memory measure.
	DefaultMemoryMirrors = 10000
	// DefaultMemoryInterval is the checker's base interval in the memory
	// measure: 30 000 probes in 2 minutes, 250 a second, so the schedule
	// is tested too and the first full round ends in a bench's time.
	DefaultMemoryInterval = 2 * time.Minute
)

// Options configure a run.
type Options struct {
	Command string // how the run was started, for the report
	// Sizes are the fleets that mirmon and the checker both make full
	// rounds of; Rounds how many rounds of each, figures being medians.
	Sizes  []int
	Rounds int
	// MaxProbes is mirmon's max_probes; Concurrency and PerHost the
	// checker's; Timeout bounds a probe of either.
	MaxProbes, Concurrency, PerHost int
	Timeout                         time.Duration
	// MemoryMirrors (× 3 trees) are held in the checker on its schedule
	// of MemoryInterval; 0: no memory measure.
	MemoryMirrors  int
	MemoryInterval time.Duration
	// Mirmon is the mirmon program; "": the checker alone (no names in
	// Hosts then: its mirrors' URLs carry their addresses).
	Mirmon string
	// Hosts is the hosts file the mirrors' names go into for mirmon.
	Hosts string
	// Self starts the checker child: Self[0] with Self[1:], then "child"
	// and its flags, with SelfEnv added to the environment.
	Self    []string
	SelfEnv []string
}

// Validate reports the first bad option.
func (o Options) Validate() error {
	switch {
	case len(o.Self) == 0:
		return errors.New("no command for the checker child")
	case o.Rounds < 1:
		return errors.New("-rounds must be at least 1")
	case o.MaxProbes < 1 || o.Concurrency < 1 || o.PerHost < 1:
		return errors.New("-max-probes, -concurrency and -per-host must be at least 1")
	case o.Timeout < time.Second:
		return errors.New("-timeout must be at least 1s (mirmon takes whole seconds)")
	case o.MemoryMirrors < 0 || (o.MemoryMirrors > 0 && o.MemoryInterval < time.Second):
		return errors.New("-memory-mirrors must be ≥ 0, and -memory-interval at least 1s")
	case o.Mirmon != "" && o.Hosts == "":
		return errors.New("mirmon needs a hosts file for the mirrors' names")
	}
	for _, n := range o.Sizes {
		if n < 1 || n > 250*250 {
			return fmt.Errorf("fleet size %d: want 1 to %d", n, 250*250)
		}
	}
	return nil
}
