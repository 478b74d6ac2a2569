package pass

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/mirrorsignal/mirrorsignal/agent/query"
	"github.com/mirrorsignal/mirrorsignal/agent/state"
	"github.com/mirrorsignal/mirrorsignal/signal"
)

// item is a tree to sync.
type item struct {
	tree  string
	want  int64  // signal stamp the local TIME must reach; 0 = no signal to check against
	local int64  // local TIME before the sync
	why   string // "behind" or "max_interval"
}

// plan returns the trees to sync, in layout order: those behind a valid
// signal, and those whose last success is older than sync.max_interval
// (the fallback when DNS is broken or the signal frozen). only, when not
// nil, restricts the plan to those trees.
func (p *Pass) plan(sig query.Signal, sigErr error, st *state.State, only map[string]bool) []item {
	now := p.d.Now()
	var items []item
	for _, tree := range p.d.Config.TreeNames() {
		if only != nil && !only[tree] {
			continue
		}
		it := item{tree: tree, local: p.local(tree)}
		var stamp int64
		if sigErr == nil {
			stamp, _ = sig.Record.Stamp(tree)
		}
		switch {
		case sigErr == nil && it.local < stamp:
			it.want, it.why = stamp, "behind"
		case p.due(st.Tree(tree), now):
			it.want, it.why = stamp, "max_interval"
		default:
			continue
		}
		items = append(items, it)
	}
	return items
}

// due reports whether the tree's last success (or, before any, the time the
// agent first saw it) is at least sync.max_interval ago.
func (p *Pass) due(t *state.Tree, now time.Time) bool {
	base := max(t.LastSuccess, t.FirstSeen)
	return now.Sub(time.Unix(base, 0)) >= p.d.Config.Sync.MaxInterval.D()
}

// local reads the tree's TIME file: missing is 0 (never synced), and so is
// unreadable, with a warning, so that a sync repairs it.
func (p *Pass) local(tree string) int64 {
	v, err := ReadTimeFile(p.d.Config.Trees[tree].Path, p.d.Config.Trees[tree].TimeFile)
	if err != nil { // equivalent mutant: v is 0 on error either way; only the warning changes
		p.d.Log.Warn("local TIME file unreadable; counting the tree as never synced", "tree", tree, "err", err)
	}
	return v
}

// ReadTimeFile reads root/name with signal.ParseTimeFile. A missing file is
// 0 without error.
func ReadTimeFile(root, name string) (int64, error) {
	f, err := os.Open(filepath.Join(root, name))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, signal.MaxTimeFileSize+1))
	if err != nil {
		return 0, err
	}
	return signal.ParseTimeFile(data)
}
