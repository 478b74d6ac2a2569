package config

import (
	"net/url"
	"strings"
	"time"
)

// Replica configures the read-only role (role = "mirrorlist"): where the
// primary's exported status is loaded from (server/replica).
type Replica struct {
	// Source is a file path (relative paths are under state_dir), for an
	// export shipped by rsync, or an http(s) URL of a primary's
	// GET /api/v1/status/export.
	Source string `toml:"source"`
	// Interval is how often the source is polled for a new export.
	Interval Duration `toml:"interval"`
	// Timeout bounds one fetch (connect to the last byte) of an http(s)
	// source.
	Timeout Duration `toml:"timeout"`
}

// Defaults of [replica].
const (
	defaultReplicaInterval = 10 * time.Second
	defaultReplicaTimeout  = 30 * time.Second
)

// DefaultReplica polls every 10 s, with 30 s per fetch, and names no
// source.
func DefaultReplica() Replica {
	return Replica{Interval: dur(defaultReplicaInterval), Timeout: dur(defaultReplicaTimeout)}
}

func (c *Config) validateReplica() error {
	var p problems
	r := c.Replica
	if d := r.Interval.Duration; d < time.Second || d > time.Hour {
		p.add("replica.interval", "%s must be between 1s and 1h", d)
	}
	if d := r.Timeout.Duration; d < time.Second || d > 10*time.Minute {
		p.add("replica.timeout", "%s must be between 1s and 10m", d)
	}
	switch {
	case c.Role == "mirrorlist" && strings.TrimSpace(r.Source) == "":
		p.add("replica.source", "is required with role = \"mirrorlist\" (a file path or an http(s) URL of the primary's export)")
	case c.Role == "primary" && r.Source != "":
		p.add("replica.source", "is only read with role = \"mirrorlist\"; a primary exports with status.export")
	case r.Source != "":
		if err := checkReplicaSource(r.Source); err != "" {
			p.add("replica.source", "%s", err)
		}
	}
	return p.err()
}

// checkReplicaSource returns why s is neither a file path nor an http(s)
// URL, or "".
func checkReplicaSource(s string) string {
	if s != strings.TrimSpace(s) || strings.ContainsAny(s, "\x00\n\r") {
		return "must not hold spaces around it or control characters"
	}
	scheme, _, hasScheme := strings.Cut(s, "://")
	if !hasScheme {
		return ""
	}
	switch strings.ToLower(scheme) {
	case "http", "https":
	default:
		return "\"" + scheme + "://\" is not supported: give an http(s) URL, or a file path (ship the file with rsync)"
	}
	u, err := url.Parse(s)
	if err != nil {
		return "not a URL: " + err.Error()
	}
	switch {
	case u.Host == "":
		return "the URL names no host"
	case u.User != nil:
		return "the URL must not hold credentials (they would show in logs)"
	case u.Fragment != "":
		return "the URL must not have a #fragment"
	}
	return ""
}

// ReplicaSource returns replica.source with a relative file path made
// relative to state_dir; URLs and "" unchanged.
func (c *Config) ReplicaSource() string {
	s := c.Replica.Source
	if _, _, isURL := strings.Cut(s, "://"); s == "" || isURL {
		return s
	}
	return c.statePath(s)
}

// StatusExportPath returns the file status.export names, under state_dir
// when relative; "" when no export is configured.
func (c *Config) StatusExportPath() string {
	if c.Status.Export == "" {
		return ""
	}
	return c.statePath(c.Status.Export)
}
