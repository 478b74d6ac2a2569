package adminclient

import (
	"fmt"
	"os"
	"strings"

	"github.com/mirrorsignal/mirrorsignal/server/config"
)

// Options name the admin listener the way signalctl's flags do. Empty
// fields fall back to the configuration file Config.
type Options struct {
	Config    string // signald's configuration file
	Socket    string // the admin socket's path
	URL       string // the admin API on loopback TCP, e.g. http://127.0.0.1:8081
	TokenFile string // the admin token file
}

// New returns a client of the listener o names: o.Socket, else o.URL, else
// the one the configuration names. The token comes from o.TokenFile, else
// (for TCP) from the configuration's publish.token_file; on a socket it is
// sent only when o.TokenFile is given. The configuration is read only when
// the flags do not suffice.
func New(o Options) (*Client, error) {
	c, err := target(o)
	if err != nil || o.TokenFile == "" {
		return c, err
	}
	tok, err := ReadToken(o.TokenFile)
	if err != nil {
		return nil, err
	}
	return c.WithToken(tok), nil
}

func target(o Options) (*Client, error) {
	switch {
	case o.Socket != "":
		return Socket(o.Socket), nil
	case o.URL != "" && o.TokenFile != "":
		return TCP(o.URL, ""), nil
	}
	cfg, err := config.Load(o.Config)
	if err != nil {
		return nil, err
	}
	if o.URL == "" {
		return FromConfig(&cfg)
	}
	tok, err := ReadToken(cfg.TokenPath())
	if err != nil {
		return nil, err
	}
	return TCP(o.URL, tok), nil
}

// FromConfig returns a client of the admin listener cfg configures: its
// socket, or its TCP address with the token read from publish.token_file.
func FromConfig(cfg *config.Config) (*Client, error) {
	if !cfg.Admin.Enabled {
		return nil, &config.Error{Key: "admin.enabled", Reason: "the admin listener is off: nothing to talk to"}
	}
	if path, ok := cfg.AdminSocket(); ok {
		return Socket(path), nil
	}
	ap, _ := cfg.AdminTCP()
	token, err := ReadToken(cfg.TokenPath())
	if err != nil {
		return nil, err
	}
	return TCP("http://"+ap.String(), token), nil
}

// ReadToken reads an admin token file.
func ReadToken(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("admin token: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}
