package mirrors

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"

	"github.com/BurntSushi/toml"

	"github.com/mirrorsignal/mirrorsignal/signal"
)

// Defaults of a [[mirror]] entry.
const (
	// DefaultTier is the tier of a mirror that does not say: it syncs
	// from other mirrors and does not feed the quorum gate.
	DefaultTier = Tier2
	// DefaultBandwidth (Mbit/s) is MirrorManager's default weight.
	DefaultBandwidth = 100
)

// mirrorSpec is a [[mirror]] entry as written, before validation.
type mirrorSpec struct {
	Name, Country, Continent string
	Tier                     int64
	SyncSource               bool
	Bandwidth                int64
	Netblocks                []string
	Admin, CheckinTokenFile  string
	Families                 []string
	Trees                    map[string]TreeURLs
}

// repoSpec is a [[repo]] entry as written.
type repoSpec struct {
	Name, Tree, Path string
	Arches           []string
}

// Load reads and parses the file at path.
func Load(path string, trees signal.Layout) (*Fleet, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{File: path, Reason: err.Error()}
	}
	return Parse(path, data, trees)
}

// Parse decodes data (named file in errors) strictly against the tree
// layout of signald.toml and validates it. The error joins one *Error per
// problem. Parse has no side effects; the Fleet it returns never changes.
func Parse(file string, data []byte, trees signal.Layout) (*Fleet, error) {
	if err := trees.Validate(); err != nil {
		return nil, &Error{File: file, Reason: err.Error()}
	}
	var raw map[string]any
	if _, err := toml.Decode(string(data), &raw); err != nil {
		return nil, decodeError(file, err)
	}
	p := newProblems(file)
	doc := newTable(raw, "", "", p)
	mirrorTabs := doc.tables("mirror")
	repoTabs := doc.tables("repo")
	doc.unknown()

	mlabels := labels("mirror", rawNames(mirrorTabs))
	specs := make([]mirrorSpec, len(mirrorTabs))
	for i, m := range mirrorTabs {
		specs[i] = decodeMirror(newTable(m, mlabels[i], "", p))
	}
	rlabels := labels("repo", rawNames(repoTabs))
	p.order(mlabels, rlabels)
	rspecs := make([]repoSpec, len(repoTabs))
	for i, r := range repoTabs {
		rspecs[i] = decodeRepo(newTable(r, rlabels[i], "", p))
	}
	f := build(p, trees, specs, rspecs)
	if err := p.err(); err != nil {
		return nil, err
	}
	f.file = file
	return f, nil
}

func decodeError(file string, err error) error {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		return &Error{File: file, Key: pe.LastKey, Reason: fmt.Sprintf("line %d: %s", pe.Position.Line, pe.Message)}
	}
	return &Error{File: file, Reason: err.Error()}
}

func decodeMirror(t *table) mirrorSpec {
	s := mirrorSpec{Tier: int64(DefaultTier), Bandwidth: DefaultBandwidth}
	t.str("name", &s.Name)
	t.str("country", &s.Country)
	t.str("continent", &s.Continent)
	t.integer("tier", &s.Tier)
	t.boolean("sync_source", &s.SyncSource)
	t.integer("bandwidth", &s.Bandwidth)
	t.strs("netblocks", &s.Netblocks)
	t.str("admin", &s.Admin)
	t.str("checkin_token_file", &s.CheckinTokenFile)
	t.strs("families", &s.Families)
	if trees, ok := t.table("trees"); ok {
		s.Trees = make(map[string]TreeURLs, len(trees.m))
		for _, name := range sortedKeys(trees.m) {
			tree, ok := trees.table(name)
			if !ok {
				s.Trees[name] = TreeURLs{} // reported as the wrong type
				continue
			}
			var u TreeURLs
			tree.str("http", &u.HTTP)
			tree.str("https", &u.HTTPS)
			tree.str("rsync", &u.Rsync)
			tree.unknown()
			s.Trees[name] = u
		}
	}
	t.unknown()
	return s
}

func decodeRepo(t *table) repoSpec {
	var s repoSpec
	t.str("name", &s.Name)
	t.str("tree", &s.Tree)
	t.str("path", &s.Path)
	t.strs("arches", &s.Arches)
	var arch []string
	t.strs("arch", &arch) // the same list, as MirrorManager's parameter names it
	if arch != nil {
		if s.Arches != nil {
			t.p.add(t.entry, t.prefix+"arch", "give the architectures once, as arches or as arch")
		} else {
			s.Arches = arch
		}
	}
	t.unknown()
	return s
}

// rawNames returns each entry's `name` when it is a string.
func rawNames(tabs []map[string]any) []string {
	names := make([]string, len(tabs))
	for i, m := range tabs {
		names[i], _ = m["name"].(string)
	}
	return names
}

// labels names each entry in errors: by its name when that is valid and
// not taken by an earlier entry, else by its position.
func labels(kind string, names []string) []string {
	out := make([]string, len(names))
	seen := map[string]bool{}
	for i, n := range names {
		if n != "" && checkEntryName(kind, n) == nil && !seen[n] {
			out[i] = fmt.Sprintf("%s %s", kind, strconv.Quote(n))
			seen[n] = true
			continue
		}
		out[i] = fmt.Sprintf("%s[%d]", kind, i)
	}
	return out
}

func checkEntryName(kind, name string) error {
	if kind == "mirror" {
		return checkHostName(name)
	}
	return checkRepoName(name)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
