package config

import (
	"fmt"
	"time"
)

// Duration is a time.Duration written in TOML as a string such as "30s".
type Duration struct{ time.Duration }

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("not a duration like \"30s\" or \"5m\": %q", b)
	}
	d.Duration = v
	return nil
}

// MarshalText writes the duration in Go form.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

func dur(v time.Duration) Duration { return Duration{v} }
