package mirrors

import (
	"fmt"
	"net/mail"
	"net/netip"
	"net/url"
	"slices"
	"strings"

	"github.com/mirrorsignal/mirrorsignal/signal"
)

// MaxBandwidth (Mbit/s, 10 Pbit/s) bounds `bandwidth`, which keeps sums of
// weights far from overflow.
const MaxBandwidth = 10_000_000

// checker validates the specs of one file and builds their values.
type checker struct {
	p      *problems
	layout signal.Layout
	entry  string
}

func (c *checker) add(key, format string, args ...any) { c.p.add(c.entry, key, format, args...) }

// build validates every spec, the cross-entry rules (unique names, trees
// in the layout) included, and returns the Fleet of the valid entries.
func build(p *problems, layout signal.Layout, specs []mirrorSpec, rspecs []repoSpec) *Fleet {
	c := &checker{p: p, layout: layout}
	mlabels := labels("mirror", specNames(specs))
	first := map[string]string{}
	mirrors := make([]Mirror, 0, len(specs))
	for i, s := range specs {
		c.entry = mlabels[i]
		m := c.mirror(s)
		if s.Name != "" {
			if label, dup := first[s.Name]; dup {
				c.add("name", "%q is also the name of %s", s.Name, label)
			} else {
				first[s.Name] = mlabels[i]
			}
		}
		mirrors = append(mirrors, m)
	}
	rlabels := labels("repo", repoNames(rspecs))
	firstRepo := map[string]string{}
	repos := make([]Repo, 0, len(rspecs))
	for i, s := range rspecs {
		c.entry = rlabels[i]
		repos = append(repos, c.repo(s))
		if s.Name != "" {
			if label, dup := firstRepo[s.Name]; dup {
				c.add("name", "%q is also the name of %s", s.Name, label)
			} else {
				firstRepo[s.Name] = rlabels[i]
			}
		}
	}
	return newFleet(layout, mirrors, repos)
}

func specNames(specs []mirrorSpec) []string {
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.Name
	}
	return names
}

func repoNames(specs []repoSpec) []string {
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.Name
	}
	return names
}

// mirror validates one entry and returns it normalized: base URLs end in
// "/", netblocks are masked.
func (c *checker) mirror(s mirrorSpec) Mirror {
	m := Mirror{name: s.Name, country: s.Country, continent: s.Continent, syncSource: s.SyncSource,
		admin: s.Admin, tokenFile: s.CheckinTokenFile}
	if s.Name == "" {
		c.add("name", "is required")
	} else if err := checkHostName(s.Name); err != nil {
		c.add("name", "%v", err)
	}
	c.country(s.Country, s.Continent)
	switch Tier(s.Tier) {
	case Tier1, Tier2:
		m.tier = Tier(s.Tier)
	default:
		c.add("tier", "%d is not a tier: use 1 (syncs from the master) or 2 (from other mirrors)", s.Tier)
	}
	if s.Bandwidth < 0 || s.Bandwidth > MaxBandwidth {
		c.add("bandwidth", "%d must be between 0 and %d (Mbit/s)", s.Bandwidth, MaxBandwidth)
	} else {
		m.bandwidth = int(s.Bandwidth)
	}
	m.netblocks = c.netblocks(s.Netblocks)
	m.families = c.families(s.Families)
	c.admin(s.Admin)
	c.tokenFile(s.CheckinTokenFile)
	m.trees, m.treeNames = c.trees(s.Trees)
	if s.SyncSource && !slices.ContainsFunc(m.treeNames, func(t string) bool { return m.trees[t].Rsync != "" }) {
		c.add("sync_source", "is true, but no tree has an rsync URL to sync from")
	}
	return m
}

func (c *checker) country(country, continent string) {
	if country == "" {
		c.add("country", "is required (ISO 3166-1 alpha-2, e.g. \"DE\")")
	} else if _, ok := Continent(country); !ok {
		hint := ""
		if _, ok := Continent(strings.ToUpper(country)); ok {
			hint = fmt.Sprintf(" (write it in upper case: %q)", strings.ToUpper(country))
		}
		c.add("country", "%q is not an ISO 3166-1 alpha-2 country code%s", country, hint)
	}
	if continent != "" && !validContinent(continent) {
		c.add("continent", "%q is not one of AF AN AS EU NA OC SA", continent)
	}
}

func (c *checker) netblocks(in []string) []netip.Prefix {
	if in == nil {
		return nil
	}
	out := make([]netip.Prefix, 0, len(in))
	for i, s := range in {
		key := fmt.Sprintf("netblocks[%d]", i)
		p, err := netip.ParsePrefix(s)
		if err != nil {
			c.add(key, "%q is not a CIDR prefix", s)
			continue
		}
		p = p.Masked()
		if slices.Contains(out, p) {
			c.add(key, "%s is listed twice", p)
			continue
		}
		out = append(out, p)
	}
	return out
}

func (c *checker) families(in []string) []Family {
	if len(in) == 0 {
		return nil
	}
	out := make([]Family, 0, len(in))
	for i, s := range in {
		key := fmt.Sprintf("families[%d]", i)
		f := Family(s)
		switch {
		case f != IPv4 && f != IPv6:
			c.add(key, "%q is not \"ipv4\" or \"ipv6\"", s)
		case slices.Contains(out, f):
			c.add(key, "%q is listed twice", s)
		default:
			out = append(out, f)
		}
	}
	return out
}

func (c *checker) admin(s string) {
	if s == "" {
		return
	}
	var err error
	switch {
	case strings.HasPrefix(s, "mailto:"):
		_, err = mail.ParseAddress(strings.TrimPrefix(s, "mailto:"))
	case strings.Contains(s, "://"):
		var u *url.URL
		if u, err = url.Parse(s); err == nil && (u.Scheme != "https" && u.Scheme != "http" || u.Host == "") {
			err = fmt.Errorf("not an http(s) URL")
		}
	default:
		_, err = mail.ParseAddress(s)
	}
	if err != nil {
		c.add("admin", "%q is not an e-mail address, mailto: or http(s) URL", s)
	}
}

func (c *checker) tokenFile(s string) {
	if s == "" {
		return
	}
	if strings.ContainsRune(s, 0) || strings.HasSuffix(s, "/") {
		c.add("checkin_token_file", "%q is not a file path", s)
	}
}

// trees validates the trees table: every tree in the layout, each with at
// least one URL, each URL of its scheme. It returns the normalized table
// and the tree names in layout order.
func (c *checker) trees(in map[string]TreeURLs) (map[string]TreeURLs, []string) {
	if len(in) == 0 {
		c.add("trees", "at least one tree is required, e.g. [mirror.trees.%s]", c.layout[0])
		return nil, nil
	}
	out := make(map[string]TreeURLs, len(in))
	var names []string
	for _, tree := range c.layout {
		if u, ok := in[tree]; ok {
			out[tree] = c.treeURLs(tree, u)
			names = append(names, tree)
		}
	}
	var unknown []string
	for tree := range in {
		if c.layout.Index(tree) < 0 {
			unknown = append(unknown, tree)
		}
	}
	slices.Sort(unknown)
	for _, tree := range unknown {
		c.add("trees."+tree, "tree %q is not in the layout %q of signald.toml", tree, c.layout.String())
	}
	return out, names
}

func (c *checker) treeURLs(tree string, u TreeURLs) TreeURLs {
	if u == (TreeURLs{}) {
		c.add("trees."+tree, "needs at least one of http, https, rsync")
		return u
	}
	norm := func(p Protocol, raw string) string {
		if raw == "" {
			return ""
		}
		n, err := checkURL(p, raw)
		if err != nil {
			c.add("trees."+tree+"."+string(p), "%q %v", raw, err)
		}
		return n
	}
	return TreeURLs{HTTP: norm(HTTP, u.HTTP), HTTPS: norm(HTTPS, u.HTTPS), Rsync: norm(Rsync, u.Rsync)}
}

// repo validates one [[repo]] entry and returns it normalized: the path
// ends in "/".
func (c *checker) repo(s repoSpec) Repo {
	r := Repo{name: s.Name, tree: s.Tree, path: s.Path, arches: slices.Clone(s.Arches)}
	if s.Name == "" {
		c.add("name", "is required")
	} else if err := checkRepoName(s.Name); err != nil {
		c.add("name", "%v", err)
	}
	if s.Tree == "" {
		c.add("tree", "is required")
	} else if c.layout.Index(s.Tree) < 0 {
		c.add("tree", "tree %q is not in the layout %q of signald.toml", s.Tree, c.layout.String())
	}
	if s.Path != "" && !strings.HasSuffix(s.Path, "/") {
		r.path += "/"
	}
	if s.Path == "" {
		c.add("path", "is required (the directory holding repodata/, relative to the tree)")
	} else if err := checkRelPath(strings.ReplaceAll(r.path, ArchVar, "x")); err != nil {
		c.add("path", "%q %v", s.Path, err)
	} else if strings.Contains(strings.ReplaceAll(r.path, ArchVar, ""), "$") {
		c.add("path", "%q: the only variable is %s", s.Path, ArchVar)
	}
	if len(s.Arches) == 0 {
		c.add("arches", "at least one architecture is required, e.g. [\"x86_64\"]")
	}
	for i, a := range s.Arches {
		key := fmt.Sprintf("arches[%d]", i)
		if err := checkArch(a); err != nil {
			c.add(key, "%v", err)
		} else if slices.Contains(s.Arches[:i], a) {
			c.add(key, "%q is listed twice", a)
		}
	}
	return r
}
