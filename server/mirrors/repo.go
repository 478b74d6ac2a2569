package mirrors

import (
	"slices"
	"strings"
)

// ArchVar in a repo's path stands for the architecture.
const ArchVar = "$arch"

// Repo is one validated [[repo]] entry: a yum/dnf repository inside a tree.
type Repo struct {
	name, tree, path string
	arches           []string
}

// Name is the repo's unique name, the `repo=` of a mirrorlist request.
func (r Repo) Name() string { return r.name }

// Tree is the tree that holds the repo.
func (r Repo) Tree() string { return r.tree }

// Pattern is the path under the tree as written (ending in "/"), which may
// hold ArchVar.
func (r Repo) Pattern() string { return r.path }

// Arches are the architectures the repo is built for.
func (r Repo) Arches() []string { return slices.Clone(r.arches) }

// HasArch reports whether the repo lists arch.
func (r Repo) HasArch(arch string) bool { return slices.Contains(r.arches, arch) }

// Path returns the repo's directory (holding repodata/) for arch, relative
// to its tree and ending in "/", and false when the repo does not list arch.
func (r Repo) Path(arch string) (string, bool) {
	if !r.HasArch(arch) {
		return "", false
	}
	return strings.ReplaceAll(r.path, ArchVar, arch), true
}
