package pass

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/mirrorsignal/mirrorsignal/agent/rsync"
	"github.com/mirrorsignal/mirrorsignal/agent/state"
)

// noDeletions is the option of a full run that may delete nothing: rsync
// then skips every deletion and exits 25 if there was one to make. -1, not
// 0, which rsync before 3.0 read as "no limit".
const noDeletions = "--max-delete=-1"

// deleteGuard is the --max-delete of one full run.
type deleteGuard struct {
	tree      string
	stateFile string  // the state file, which keeps the baseline
	share     float64 // max_delete_share of the tree; 0 = off
	entries   int     // entries in the local tree before the run
	baseline  int     // entries before the first refused run (state.Tree.DeleteBaseline); 0 = none
	limit     int     // rsync --max-delete; 0 = no limit, or none left (spent)
}

// guard counts the tree's entries and derives the --max-delete of a run:
// share of the entries, or, after a refused run (baseline > 0), what is
// left of share of the baseline, so that passes retrying a refused sync
// cannot each delete share of what the last one left.
func (p *Pass) guard(tree string, baseline int) (deleteGuard, error) {
	g := deleteGuard{tree: tree, stateFile: p.d.Config.Sync.StateFile, share: p.deleteShare(tree)}
	if g.share == 0 {
		return g, nil
	}
	n, err := countEntries(p.d.Config.Trees[tree].Path)
	if err != nil {
		return g, fmt.Errorf("counting the tree for --max-delete: %w", err)
	}
	g.entries, g.limit = n, deleteLimit(n, g.share)
	if baseline > 0 {
		g.baseline, g.limit = baseline, leftToDelete(baseline, n, g.share)
	}
	return g, nil
}

// leftToDelete is what share of baseline allows once the tree is down from
// baseline to entries; 0 when nothing is left.
func leftToDelete(baseline, entries int, share float64) int {
	return max(0, deleteLimit(baseline, share)-(baseline-entries))
}

// spent reports that refused runs have deleted the whole share of the
// baseline: the full run may delete nothing.
func (g deleteGuard) spent() bool { return g.baseline > 0 && g.limit == 0 }

// full is the full stage of j under the guard.
func (g deleteGuard) full(j rsync.Job) rsync.Job {
	j.Stage = rsync.Full
	if g.spent() {
		j.Options = append(slices.Clip(j.Options), noDeletions)
	}
	return j
}

// deleteShare is the tree's max_delete_share, else sync.max_delete_share.
func (p *Pass) deleteShare(tree string) float64 {
	if s := p.d.Config.Trees[tree].MaxDeleteShare; s != nil {
		return *s
	}
	return p.d.Config.Sync.MaxDeleteShare
}

// deleteLimit is share of entries, rounded down but at least 1 (rsync
// before 3.0 read --max-delete=0 as "no limit"). An empty tree (a first
// sync, nothing to delete) or a share of 0 gives 0: no limit.
func deleteLimit(entries int, share float64) int {
	if entries <= 0 || share <= 0 {
		return 0
	}
	return max(1, int(float64(entries)*share))
}

// countEntries counts what rsync could delete under root: files, links and
// directories, root itself and rsync's .~tmp~ staging directories left out.
// A missing root has 0 entries.
func countEntries(root string) (int, error) {
	if _, err := os.Lstat(root); errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	n := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case p == root:
			return nil
		case d.IsDir() && d.Name() == rsync.DelayDir:
			return fs.SkipDir
		}
		n++
		return nil
	})
	return n, err
}

// refused explains an rsync run stopped by --max-delete, and keeps in t the
// entries counted before the first such run (later ones count what it
// left) until the tree syncs. Other errors pass.
func (g deleteGuard) refused(err error, t *state.Tree) error {
	var ee *rsync.ExitError
	if !errors.As(err, &ee) || ee.Code != rsync.MaxDeleteReached {
		return err
	}
	if t.DeleteBaseline <= 0 {
		t.DeleteBaseline = g.entries
	}
	switch {
	case g.spent():
		return fmt.Errorf("tree %s: refused: the source would delete more, and the tree is already down from %d entries "+
			"(its baseline, counted before the first run --max-delete refused) to %d, of which at most %g%% may go: "+
			"nothing more is deleted until the operator acts: check the source, then sync the tree by hand, "+
			"or remove the baseline by deleting trees.%q from the state file %s: %w",
			g.tree, g.baseline, g.entries, g.share*100, g.tree, g.stateFile, err)
	case g.baseline > 0:
		return fmt.Errorf("would delete more than %g%% of the %d entries the tree had before the first refused run "+
			"(--max-delete=%d, what is left of that share, with %d entries now): refused: %w",
			g.share*100, g.baseline, g.limit, g.entries, err) // equivalent mutants of share*100: message only
	}
	return fmt.Errorf("would delete more than %g%% of the tree (--max-delete=%d of %d entries): refused: %w",
		g.share*100, g.limit, g.entries, err)
}
