package fleet

import (
	"encoding/json"
	"os"
	"path/filepath"
	"time"

	"github.com/mirrorsignal/mirrorsignal/signal/atomicfile"
)

// Calibration is what the propagation simulator (cmd/propsim -calibrate
// FILE) reads from one measured publish: each mirror's rsync duration
// (from its agent's log), the agents' poll interval and jitter, and each
// mirror's time from publish (the stamp) to being first seen fresh (the
// event's, tier-1 hosts left out), ascending.
type Calibration struct {
	Date                string    `json:"date"`    // when it was measured (RFC 3339)
	Mirrors             int       `json:"mirrors"` // the mirrors of the run, fresh or not
	RsyncSeconds        []float64 `json:"rsync_seconds"`
	PollIntervalSeconds float64   `json:"poll_interval_seconds"`
	JitterSeconds       float64   `json:"jitter_seconds"`
	FreshAfterSeconds   []float64 `json:"fresh_after_seconds"`
}

// Calibration returns p's figures for the simulator, the mirrors in the
// fleet's order.
func (f *Fleet) Calibration(p *Propagation) Calibration {
	c := Calibration{PollIntervalSeconds: f.o.AgentInterval.Seconds(), JitterSeconds: f.o.AgentJitter.Seconds(),
		RsyncSeconds: []float64{}, FreshAfterSeconds: []float64{}, Mirrors: len(f.mirrors),
		Date: time.Now().UTC().Format(time.RFC3339)}
	for _, m := range f.mirrors {
		if s, ok := p.Syncs[m.Name]; ok {
			c.RsyncSeconds = append(c.RsyncSeconds, round3(s.RsyncSeconds))
		}
	}
	for _, d := range p.MirrorDelays {
		c.FreshAfterSeconds = append(c.FreshAfterSeconds, round3(d.Seconds()))
	}
	return c
}

func round3(v float64) float64 {
	return float64(time.Duration(v*1e9).Round(time.Millisecond)) / 1e9
}

// WriteFile writes c as JSON to path atomically (a temp file in the same
// directory, synced, then renamed), creating the directory.
func (c Calibration) WriteFile(path string) error {
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return atomicfile.Write(path, append(data, '\n'), 0o644)
}
