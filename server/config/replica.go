package config

// Replica configures the read-only role (role = "mirrorlist"): where the
// primary's exported status is loaded from (server/replica).
type Replica struct {
	// Source is a file path or an http(s) URL of the primary's export.
	Source string `toml:"source"`
}

// DefaultReplica loads nothing.
func DefaultReplica() Replica { return Replica{} }

func (c *Config) validateReplica() error { return nil }
