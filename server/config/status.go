package config

import (
	"net/url"
	"slices"
	"time"
)

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
	// ServeExport serves the export at GET /api/v1/status/export on the
	// public listener, for replicas that fetch it over HTTP. Off by
	// default: it holds the whole read model, mirror contacts included.
	ServeExport bool `toml:"serve_export"`
	// ArchwebTree is the tree /mirrors/status/json/ describes ("" = the
	// first tree); ArchwebISOTree, when set, the tree holding installation
	// images ("isos": true for the mirrors carrying it).
	ArchwebTree    string `toml:"archweb_tree"`
	ArchwebISOTree string `toml:"archweb_iso_tree"`
	// PublicURL is signald's public base URL (https://mirrors.example.org),
	// for absolute links in documents served to other tools; "" keeps them
	// relative.
	PublicURL string `toml:"public_url"`
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
	for key, tree := range map[string]string{"status.archweb_tree": c.Status.ArchwebTree, "status.archweb_iso_tree": c.Status.ArchwebISOTree} {
		if tree != "" && !slices.Contains(c.Layout(), tree) {
			p.add(key, "%q is not a tree of [[trees]]", tree)
		}
	}
	if u := c.Status.PublicURL; u != "" {
		if pu, err := url.Parse(u); err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" || pu.RawQuery != "" || pu.Fragment != "" {
			p.add("status.public_url", "must be an http(s) URL with a host and no query, not %q", u)
		}
	}
	if c.Role != "primary" && c.Role != "mirrorlist" {
		p.add("role", "must be \"primary\" or \"mirrorlist\", not %q", c.Role)
	}
	return p.err()
}
