package config

import "time"

// Status configures the read model behind the public HTTP surfaces (the
// status page, the JSON API, the mirrorlist).
type Status struct {
	// HistoryRefresh is how often each mirror's history (the 30-day
	// strip, the SLO figures, the recent probes) is read again from
	// checker.db.
	HistoryRefresh Duration `toml:"history_refresh"`
	// Export is the file, under state_dir, the status is written to for
	// read-only replicas (atomically, on change); "" writes none.
	Export string `toml:"export"`
}

// DefaultStatus refreshes history every 5 minutes and exports nothing.
func DefaultStatus() Status {
	return Status{HistoryRefresh: dur(5 * time.Minute)}
}

func (c *Config) validateStatus() error {
	var p problems
	if d := c.Status.HistoryRefresh.Duration; d < time.Second || d > 24*time.Hour {
		p.add("status.history_refresh", "must be between 1s and 24h, not %s", d)
	}
	if c.Role != "primary" && c.Role != "mirrorlist" {
		p.add("role", "must be \"primary\" or \"mirrorlist\", not %q", c.Role)
	}
	return p.err()
}
