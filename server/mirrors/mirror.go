package mirrors

import (
	"net/netip"
	"net/url"
	"slices"
	"strings"
)

// Tier says where a mirror syncs from.
type Tier int

const (
	// Tier1 mirrors sync from the master; the publisher's quorum gate
	// waits for them.
	Tier1 Tier = 1
	// Tier2 mirrors sync from other mirrors.
	Tier2 Tier = 2
)

// Family is an IP family a mirror is probed over separately.
type Family string

// The IP families.
const (
	IPv4 Family = "ipv4"
	IPv6 Family = "ipv6"
)

// Protocol is a scheme a tree is served over.
type Protocol string

// The protocols, each a key of a [mirror.trees.<tree>] table.
const (
	HTTP  Protocol = "http"
	HTTPS Protocol = "https"
	Rsync Protocol = "rsync"
)

// TreeURLs are the base URLs of one tree on one mirror, each empty or an
// absolute URL of its scheme ending in "/".
type TreeURLs struct {
	HTTP, HTTPS, Rsync string
}

// Get returns the base URL for p ("" when the mirror does not offer it).
func (u TreeURLs) Get(p Protocol) string {
	switch p {
	case HTTP:
		return u.HTTP
	case HTTPS:
		return u.HTTPS
	case Rsync:
		return u.Rsync
	}
	return ""
}

// Mirror is one validated [[mirror]] entry. It is a value: the accessors
// return copies, so a Mirror never changes once parsed.
type Mirror struct {
	name, country, continent string // continent: the override, or ""
	tier                     Tier
	syncSource               bool
	bandwidth                int
	netblocks                []netip.Prefix
	admin, tokenFile         string
	families                 []Family
	trees                    map[string]TreeURLs
	treeNames                []string // in layout order
}

// Name is the mirror's unique, host-like name.
func (m Mirror) Name() string { return m.name }

// Country is the ISO 3166-1 alpha-2 code, upper case.
func (m Mirror) Country() string { return m.country }

// Continent is the `continent` override, else the country's continent.
func (m Mirror) Continent() string {
	if m.continent != "" {
		return m.continent
	}
	c, _ := Continent(m.country)
	return c
}

// Tier is Tier1 or Tier2.
func (m Mirror) Tier() Tier { return m.tier }

// SyncSource reports whether the mirror offers itself as an rsync source
// to nearby mirrors.
func (m Mirror) SyncSource() bool { return m.syncSource }

// Bandwidth is the mirror's bandwidth in Mbit/s, a weight.
func (m Mirror) Bandwidth() int { return m.bandwidth }

// Netblocks are the client prefixes the mirror serves first, masked.
func (m Mirror) Netblocks() []netip.Prefix { return slices.Clone(m.netblocks) }

// Admin is the contact (e-mail address, mailto: or http(s) URL), or "".
func (m Mirror) Admin() string { return m.admin }

// CheckinTokenFile is the path of the mirror's check-in secret, as written
// (relative paths are the caller's to resolve), or "".
func (m Mirror) CheckinTokenFile() string { return m.tokenFile }

// Families are the IP families to probe separately; empty means one probe
// over whatever the resolver gives.
func (m Mirror) Families() []Family { return slices.Clone(m.families) }

// Trees are the trees the mirror carries, in layout order.
func (m Mirror) Trees() []string { return slices.Clone(m.treeNames) }

// Carries reports whether the mirror carries tree.
func (m Mirror) Carries(tree string) bool {
	_, ok := m.trees[tree]
	return ok
}

// URLs returns the base URLs of tree (zero when not carried).
func (m Mirror) URLs(tree string) TreeURLs { return m.trees[tree] }

// URL returns the base URL of tree over p, and whether there is one.
func (m Mirror) URL(tree string, p Protocol) (string, bool) {
	u := m.trees[tree].Get(p)
	return u, u != ""
}

// TimeURL returns the URL of the TIME file of tree over p, given the TIME
// file's path relative to the tree's root (e.g. "TIME"). It is false when
// the mirror has no such URL or file is not a clean relative path.
func (m Mirror) TimeURL(tree string, p Protocol, file string) (string, bool) {
	return m.under(tree, p, file)
}

// RepoURL returns the URL of r's directory for arch (the one holding
// repodata/) over p, and whether the mirror has one: it must carry r's
// tree over p, and r must list arch.
func (m Mirror) RepoURL(r Repo, arch string, p Protocol) (string, bool) {
	rel, ok := r.Path(arch)
	if !ok {
		return "", false
	}
	return m.under(r.tree, p, rel)
}

// under joins a relative path to tree's base URL over p, escaping each
// segment.
func (m Mirror) under(tree string, p Protocol, rel string) (string, bool) {
	base, ok := m.URL(tree, p)
	if !ok || checkRelPath(rel) != nil {
		return "", false
	}
	segs := strings.Split(rel, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return base + strings.Join(segs, "/"), true
}
