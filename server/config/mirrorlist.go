package config

// Mirrorlist configures GET /mirrorlist and /metalink (server/mirrorlist).
type Mirrorlist struct {
	Enabled bool `toml:"enabled"`
}

// DefaultMirrorlist serves the mirrorlist whenever repos are configured.
func DefaultMirrorlist() Mirrorlist { return Mirrorlist{Enabled: true} }

func (c *Config) validateMirrorlist() error { return nil }
