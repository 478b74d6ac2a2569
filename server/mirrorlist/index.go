package mirrorlist

import (
	"net/netip"
	"net/url"
	"slices"
	"strings"

	"github.com/mirrorsignal/mirrorsignal/server/mirrorlist/geo"
	"github.com/mirrorsignal/mirrorsignal/server/mirrors"
	"github.com/mirrorsignal/mirrorsignal/server/status"
)

// defaultBandwidth is the weight of a mirror without a bandwidth, in
// Mbit/s (mirrors.toml's default).
const defaultBandwidth = 100

// index is everything a request needs from one snapshot, built once per
// snapshot and never changed: per repo and arch the mirrors that may be
// listed, grouped by country and continent, with their URLs ready to
// write, and the netblocks of all mirrors.
type index struct {
	snap  *status.Snapshot
	repos map[repoKey]*entry
	nets  netTable
}

type repoKey struct{ repo, arch string }

// entry is one repo and arch.
type entry struct {
	repo, arch string
	hosts      []host
	all        []int32            // every host, in snapshot order
	country    map[string][]int32 // hosts by country
	continent  map[string][]int32 // hosts by continent
	hostOf     []int32            // mirror index → host index, -1 when none
	master     string             // the master's URL of the repo, "" when unknown
	versions   []status.RepomdVersion
	// files is the metalink's <file> opening and current version,
	// written once (see metalink.go).
	files []byte
	alts  []alternate
}

// host is one mirror that carries the repo's tree and could be listed.
type host struct {
	fresh  bool
	behind bool  // state "behind"; listed only within max_lag
	lag    int64 // seconds, when behind
	weight float64
	// urls are the repo directory's URL by protocol (protoHTTPS,
	// protoHTTP), "" when the mirror has none; lines are the same
	// followed by "\n", and meta the metalink <url> element split
	// around its preference.
	urls  [2]string
	lines [2][]byte
	meta  [2]metaURL
}

// protoIndex maps a protocol to the position in host.urls.
func protoIndex(p string) int {
	if p == protoHTTP {
		return 1
	}
	return 0
}

func (h *host) eligible(maxLag int64) bool {
	return h.fresh || (maxLag >= 0 && h.behind && h.lag <= maxLag)
}

// buildIndex indexes s.
func buildIndex(s *status.Snapshot) *index {
	ix := &index{snap: s, repos: make(map[repoKey]*entry, len(s.Repos)), nets: buildNets(s.Mirrors)}
	for i := range s.Repos {
		r := &s.Repos[i]
		if e := buildEntry(s, r); e != nil {
			ix.repos[repoKey{r.Name, r.Arch}] = e
		}
	}
	return ix
}

func buildEntry(s *status.Snapshot, r *status.Repo) *entry {
	rel, ok := escapePath(r.Path)
	if !ok {
		return nil
	}
	e := &entry{repo: r.Name, arch: r.Arch, country: map[string][]int32{}, continent: map[string][]int32{},
		hostOf: make([]int32, len(s.Mirrors)), versions: r.Versions}
	if t, ok := s.Tree(r.Tree); ok {
		e.master = joinURL(t.Master, rel, "")
	}
	for mi := range s.Mirrors {
		e.hostOf[mi] = -1
		m := &s.Mirrors[mi]
		h, ok := makeHost(m, r.Tree, rel)
		if !ok {
			continue
		}
		hi := int32(len(e.hosts))
		e.hostOf[mi] = hi
		e.hosts = append(e.hosts, h)
		e.all = append(e.all, hi)
		cc, cont := location(m)
		if cc != "" {
			e.country[cc] = append(e.country[cc], hi)
		}
		if cont != "" {
			e.continent[cont] = append(e.continent[cont], hi)
		}
	}
	e.files, e.alts = metalinkFiles(r.Versions)
	return e
}

// makeHost returns m as a host of the repo at rel in tree, false when m
// does not carry the tree, is in no state that can be listed, or has no
// usable http(s) URL.
func makeHost(m *status.Mirror, tree, rel string) (host, bool) {
	mt, ok := m.Tree(tree)
	if !ok || (mt.State != status.Fresh && mt.State != status.Behind) {
		return host{}, false
	}
	h := host{fresh: mt.State == status.Fresh, behind: mt.State == status.Behind, lag: mt.LagSeconds,
		weight: float64(m.Bandwidth)}
	if h.weight <= 0 {
		h.weight = defaultBandwidth
	}
	cc, _ := location(m)
	any := false
	for pi, p := range []string{protoHTTPS, protoHTTP} {
		u := joinURL(mt.URLs[p], rel, p)
		if u == "" {
			continue
		}
		any = true
		h.urls[pi] = u
		h.lines[pi] = []byte(u + "\n")
		h.meta[pi] = makeMetaURL(p, cc, u+"repodata/repomd.xml")
	}
	return h, any
}

// location is the mirror's country and continent, each "" when unusable.
func location(m *status.Mirror) (cc, cont string) {
	cc, _ = geo.Normalize(m.Country)
	cont, _ = geo.Normalize(m.Continent)
	if cont == "" && cc != "" {
		cont, _ = mirrors.Continent(cc)
	}
	return cc, cont
}

// escapePath returns a repo path (relative, "/"-separated) escaped per
// segment and ending in "/", and false for an absolute path or one with
// "." or ".." segments.
func escapePath(p string) (string, bool) {
	p = strings.Trim(p, "/")
	if p == "" {
		return "", true
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if s == "" || s == "." || s == ".." {
			return "", false
		}
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/") + "/", true
}

// joinURL returns base + rel when base is a plain http(s) URL (of scheme
// proto unless proto is ""): an absolute URL without query, fragment,
// user info, spaces or control characters. Anything else gives "", so
// that nothing a mirror's configuration holds can break a line of the
// list.
func joinURL(base, rel, proto string) string {
	if base == "" || len(base) > 2048 {
		return ""
	}
	for i := 0; i < len(base); i++ {
		if c := base[i]; c <= ' ' || c >= 0x7f || c == '"' || c == '<' || c == '>' || c == '\\' {
			return ""
		}
	}
	u, err := url.Parse(base)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return ""
	}
	if u.Scheme != protoHTTPS && u.Scheme != protoHTTP || (proto != "" && u.Scheme != proto) {
		return ""
	}
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	return base + rel
}

// netTable finds the mirrors whose netblocks hold an address.
type netTable struct {
	bits   []int // prefix lengths present, longest first
	blocks map[netip.Prefix][]int32
}

func buildNets(ms []status.Mirror) netTable {
	t := netTable{blocks: map[netip.Prefix][]int32{}}
	for mi := range ms {
		for _, s := range ms[mi].Netblocks {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				continue
			}
			p = p.Masked()
			if !slices.Contains(t.blocks[p], int32(mi)) {
				t.blocks[p] = append(t.blocks[p], int32(mi))
			}
			if !slices.Contains(t.bits, p.Bits()) {
				t.bits = append(t.bits, p.Bits())
			}
		}
	}
	slices.SortFunc(t.bits, func(a, b int) int { return b - a })
	return t
}

// match appends to dst the mirrors whose netblocks hold a, most specific
// prefix first.
func (t *netTable) match(dst []int32, a netip.Addr) []int32 {
	if !a.IsValid() || len(t.bits) == 0 {
		return dst
	}
	for _, b := range t.bits {
		if b > a.BitLen() {
			continue
		}
		p, err := a.Prefix(b)
		if err != nil {
			continue
		}
		dst = append(dst, t.blocks[p]...)
	}
	return dst
}
