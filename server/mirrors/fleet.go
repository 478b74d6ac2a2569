package mirrors

import (
	"reflect"
	"slices"

	"github.com/mirrorsignal/mirrorsignal/signal"
)

// Fleet is a parsed mirrors.toml. It never changes after Parse, so readers
// share one without locks and a reload swaps in a new one.
type Fleet struct {
	file     string
	layout   signal.Layout
	mirrors  []Mirror
	byName   map[string]int
	repos    []Repo
	repoByNm map[string]int
	carrying map[string][]Mirror // tree → mirrors carrying it, file order
	tier1    map[string][]Mirror // tree → the tier-1 ones among them
}

func newFleet(layout signal.Layout, mirrors []Mirror, repos []Repo) *Fleet {
	f := &Fleet{
		layout: slices.Clone(layout), mirrors: mirrors, repos: repos,
		byName: make(map[string]int, len(mirrors)), repoByNm: make(map[string]int, len(repos)),
		carrying: map[string][]Mirror{}, tier1: map[string][]Mirror{},
	}
	for i, m := range mirrors {
		if _, dup := f.byName[m.name]; !dup {
			f.byName[m.name] = i
		}
		for _, tree := range m.treeNames {
			f.carrying[tree] = append(f.carrying[tree], m)
			if m.tier == Tier1 {
				f.tier1[tree] = append(f.tier1[tree], m)
			}
		}
	}
	for i, r := range repos {
		if _, dup := f.repoByNm[r.name]; !dup {
			f.repoByNm[r.name] = i
		}
	}
	return f
}

// File is the name the fleet was parsed under.
func (f *Fleet) File() string { return f.file }

// Layout is the tree layout the fleet was validated against.
func (f *Fleet) Layout() signal.Layout { return slices.Clone(f.layout) }

// Mirrors returns every mirror in file order.
func (f *Fleet) Mirrors() []Mirror { return slices.Clone(f.mirrors) }

// Mirror returns the mirror called name.
func (f *Fleet) Mirror(name string) (Mirror, bool) {
	i, ok := f.byName[name]
	if !ok {
		return Mirror{}, false
	}
	return f.mirrors[i], true
}

// Tier1 returns the tier-1 mirrors carrying tree, in file order: the hosts
// the publisher's quorum gate waits for.
func (f *Fleet) Tier1(tree string) []Mirror { return slices.Clone(f.tier1[tree]) }

// Carrying returns the mirrors carrying tree, in file order.
func (f *Fleet) Carrying(tree string) []Mirror { return slices.Clone(f.carrying[tree]) }

// Repos returns every [[repo]] in file order.
func (f *Fleet) Repos() []Repo { return slices.Clone(f.repos) }

// Repo returns the repo called name.
func (f *Fleet) Repo(name string) (Repo, bool) {
	i, ok := f.repoByNm[name]
	if !ok {
		return Repo{}, false
	}
	return f.repos[i], true
}

// Validate checks the fleet again, as Parse did, and that it is already
// normalized. A fleet from Parse always passes; the fuzz test holds Parse
// to that.
func (f *Fleet) Validate() error {
	p := newProblems(f.file)
	specs := make([]mirrorSpec, len(f.mirrors))
	for i, m := range f.mirrors {
		specs[i] = m.spec()
	}
	rspecs := make([]repoSpec, len(f.repos))
	for i, r := range f.repos {
		rspecs[i] = repoSpec{Name: r.name, Tree: r.tree, Path: r.path, Arches: r.arches}
	}
	again := build(p, f.layout, specs, rspecs)
	if err := p.err(); err != nil {
		return err
	}
	if !reflect.DeepEqual(again.mirrors, f.mirrors) || !reflect.DeepEqual(again.repos, f.repos) {
		return &Error{File: f.file, Reason: "fleet is not normalized"}
	}
	return nil
}

// spec turns a Mirror back into what a file would say.
func (m Mirror) spec() mirrorSpec {
	s := mirrorSpec{Name: m.name, Country: m.country, Continent: m.continent, Tier: int64(m.tier),
		SyncSource: m.syncSource, Bandwidth: int64(m.bandwidth), Admin: m.admin, CheckinTokenFile: m.tokenFile,
		Trees: m.trees}
	if m.netblocks != nil {
		s.Netblocks = make([]string, len(m.netblocks))
		for i, p := range m.netblocks {
			s.Netblocks[i] = p.String()
		}
	}
	for _, fam := range m.families {
		s.Families = append(s.Families, string(fam))
	}
	return s
}
