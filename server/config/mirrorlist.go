package config

import (
	"fmt"
	"net/netip"
	"os"
	"strings"
	"time"
)

// Mirrorlist configures GET /mirrorlist and /metalink (server/mirrorlist)
// and, on a primary, the tracker of the master's repomd.xml versions.
type Mirrorlist struct {
	Enabled bool `toml:"enabled"`
	// MinMirrors is the shortest list the nearest groups are filled to:
	// while fewer mirrors were listed, the next group (continent, then
	// the rest of the world) is added.
	MinMirrors int `toml:"min_mirrors"`
	// TrustedProxies are the reverse proxies (CIDRs or addresses) whose
	// X-Forwarded-For is believed; from anyone else it is ignored.
	TrustedProxies []string `toml:"trusted_proxies"`
	// GeoIPDB is a MaxMind-format country database (e.g.
	// GeoLite2-Country.mmdb), relative to state_dir unless absolute; ""
	// uses none: clients without country= get the global list.
	GeoIPDB string `toml:"geoip_db"`
	// AlternatesGrace is how long after the master replaced a repomd.xml
	// its hashes stay in the metalink's alternates, so that a mirror one
	// publish behind still verifies.
	AlternatesGrace Duration `toml:"alternates_grace"`
	// MasterRefresh is how often the master's repomd.xml files are read
	// again when the signal does not move (a move reads them at once).
	MasterRefresh Duration `toml:"master_refresh"`
}

// Mirrorlist defaults.
const (
	DefaultMinMirrors      = 5
	DefaultAlternatesGrace = 72 * time.Hour
	DefaultMasterRefresh   = 5 * time.Minute
)

// DefaultMirrorlist serves the mirrorlist whenever repos are configured.
func DefaultMirrorlist() Mirrorlist {
	return Mirrorlist{Enabled: true, MinMirrors: DefaultMinMirrors,
		AlternatesGrace: dur(DefaultAlternatesGrace), MasterRefresh: dur(DefaultMasterRefresh)}
}

func (c *Config) validateMirrorlist() error {
	var p problems
	m := c.Mirrorlist
	if m.MinMirrors < 1 || m.MinMirrors > 1000 {
		p.add("mirrorlist.min_mirrors", "%d must be between 1 and 1000", m.MinMirrors)
	}
	for i, s := range m.TrustedProxies {
		if _, err := parsePrefix(s); err != nil {
			p.add(fmt.Sprintf("mirrorlist.trusted_proxies[%d]", i), "%q is not an address or CIDR prefix", s)
		}
	}
	if m.GeoIPDB != "" {
		if err := checkGeoIPDB(c.statePath(m.GeoIPDB)); err != nil {
			p.add("mirrorlist.geoip_db", "%v", err)
		}
	}
	if d := m.AlternatesGrace.Duration; d < time.Minute || d > 90*24*time.Hour {
		p.add("mirrorlist.alternates_grace", "%s must be between 1m and 2160h (90 days)", d)
	}
	if d := m.MasterRefresh.Duration; d < 10*time.Second || d > 24*time.Hour {
		p.add("mirrorlist.master_refresh", "%s must be between 10s and 24h", d)
	}
	return p.err()
}

// checkGeoIPDB reports a geoip_db that is not a readable regular file.
func checkGeoIPDB(path string) error {
	if strings.ContainsAny(path, "\x00\n") {
		return fmt.Errorf("%q is not a file name", path)
	}
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", path)
	}
	return nil
}

// TrustedProxies returns mirrorlist.trusted_proxies as prefixes
// (validated).
func (c *Config) TrustedProxies() []netip.Prefix {
	out := make([]netip.Prefix, 0, len(c.Mirrorlist.TrustedProxies))
	for _, s := range c.Mirrorlist.TrustedProxies {
		p, _ := parsePrefix(s)
		out = append(out, p)
	}
	return out
}

// GeoIPPath returns mirrorlist.geoip_db's path, or "" when none is set.
func (c *Config) GeoIPPath() string {
	if c.Mirrorlist.GeoIPDB == "" {
		return ""
	}
	return c.statePath(c.Mirrorlist.GeoIPDB)
}

// RepomdHistoryPath is where the master's repomd.xml history is kept.
func (c *Config) RepomdHistoryPath() string { return c.statePath("repomd-history.json") }
