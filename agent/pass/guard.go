package pass

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/mirrorsignal/mirrorsignal/agent/rsync"
)

// deleteGuard is the --max-delete of one full run.
type deleteGuard struct {
	share   float64 // max_delete_share of the tree; 0 = off
	entries int     // entries in the local tree before the run
	limit   int     // rsync --max-delete; 0 = no limit
}

// guard counts the tree's entries and derives the --max-delete of a run.
func (p *Pass) guard(tree string) (deleteGuard, error) {
	g := deleteGuard{share: p.deleteShare(tree)}
	if g.share == 0 {
		return g, nil
	}
	n, err := countEntries(p.d.Config.Trees[tree].Path)
	if err != nil {
		return g, fmt.Errorf("counting the tree for --max-delete: %w", err)
	}
	g.entries, g.limit = n, deleteLimit(n, g.share)
	return g, nil
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

// refused explains an rsync run stopped by --max-delete; other errors pass.
func (g deleteGuard) refused(err error) error {
	var ee *rsync.ExitError
	if !errors.As(err, &ee) || ee.Code != rsync.MaxDeleteReached {
		return err
	}
	return fmt.Errorf("would delete more than %g%% of the tree (--max-delete=%d of %d entries): refused: %w",
		g.share*100, g.limit, g.entries, err)
}
