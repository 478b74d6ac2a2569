package config

import (
	"net/netip"
	"strings"
)

// Admin configures the admin listener: publishing (and its status and
// cancelling). It never shares the public HTTP listener.
type Admin struct {
	Enabled bool `toml:"enabled"`
	// Listen is a Unix socket path (relative to state_dir; mode 0600, so
	// only signald's user can open it and no token is needed) or a
	// loopback address:port (every request then needs the admin token).
	Listen string `toml:"listen"`
}

// DefaultAdmin is a Unix socket admin.sock in the state directory.
func DefaultAdmin() Admin { return Admin{Enabled: true, Listen: "admin.sock"} }

// AdminTCP returns the admin listener's address when it is TCP.
func (c *Config) AdminTCP() (netip.AddrPort, bool) {
	ap, err := netip.ParseAddrPort(c.Admin.Listen)
	return ap, err == nil
}

// AdminSocket returns the admin socket's path when the listener is a Unix
// socket.
func (c *Config) AdminSocket() (string, bool) {
	if _, tcp := c.AdminTCP(); tcp {
		return "", false
	}
	return c.statePath(c.Admin.Listen), true
}

func (c *Config) validateAdmin() error {
	if !c.Admin.Enabled {
		return nil
	}
	if ap, tcp := c.AdminTCP(); tcp {
		if !ap.Addr().IsLoopback() {
			return keyErr("admin.listen", "%s is not a loopback address: the admin API must not face a network", ap)
		}
		return nil
	}
	if strings.TrimSpace(c.Admin.Listen) == "" {
		return keyErr("admin.listen", "must be a Unix socket path or a loopback address:port")
	}
	if strings.Contains(c.Admin.Listen, ":") {
		return keyErr("admin.listen", "%q is neither an address:port nor a socket path without ':'", c.Admin.Listen)
	}
	return nil
}
