package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/BurntSushi/toml"
)

// MaxFileSize bounds agent.toml.
const MaxFileSize = 1 << 20

// ErrConfig marks every error of this package.
var ErrConfig = errors.New("config error")

// KeyError names the key a problem is about.
type KeyError struct {
	File, Key, Reason string
}

func (e *KeyError) Error() string {
	if e.File == "" {
		return fmt.Sprintf("%s: %s", e.Key, e.Reason)
	}
	return fmt.Sprintf("%s: %s: %s", e.File, e.Key, e.Reason)
}

// Is makes errors.Is(err, ErrConfig) true.
func (e *KeyError) Is(target error) bool { return target == ErrConfig }

// Load reads, decodes and validates the file at path.
func Load(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrConfig, path, err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%w: %s: larger than %d bytes", ErrConfig, path, MaxFileSize)
	}
	return Parse(data, path)
}

// Parse decodes data strictly over the defaults, fills per-tree defaults and
// validates. name is the file name used in errors.
func Parse(data []byte, name string) (*Config, error) {
	c := Default()
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(c)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrConfig, name, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		return nil, &KeyError{File: name, Key: keys[0], Reason: "unknown key (all unknown: " + strings.Join(keys, ", ") + ")"}
	}
	c.fillTreeDefaults()
	if err := c.Validate(); err != nil {
		return nil, withFile(err, name)
	}
	return c, nil
}

func (c *Config) fillTreeDefaults() {
	for _, t := range c.Trees {
		if t == nil {
			continue
		}
		if t.TimeFile == "" {
			t.TimeFile = DefaultTimeFile
		}
		if t.Metadata == nil {
			t.Metadata = DefaultMetadata()
		}
	}
}

// withFile sets the file name on every KeyError joined in err.
func withFile(err error, name string) error {
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	for _, e := range errs {
		var ke *KeyError
		if errors.As(e, &ke) {
			ke.File = name
		}
	}
	return err
}
