package pass

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/mirrorsignal/mirrorsignal/signal/atomicfile"
)

// savedTime is a tree's TIME file as it was before a full run. rsync
// --delay-updates puts the source's TIME file in place with the other
// updates, before --delete-delay deletes and before a failure (--max-delete
// reached, a timeout) is known; restore then puts the old one back, so that
// the tree stays behind and the next pass retries and reports.
type savedTime struct {
	path string
	had  bool        // there was a regular TIME file
	data []byte      // its content
	perm fs.FileMode // and mode
	// and mtime: a restored file dated now could pass rsync's quick check
	// (size and mtime to the second) for a new TIME of the same size
	// written upstream in the same second, and never be updated.
	mtime time.Time
}

// saveTime reads the TIME file at path. A missing one, or anything but a
// regular file (which local counts as never synced too), is saved as none.
func saveTime(path string) (savedTime, error) {
	s := savedTime{path: path}
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return s, nil
	case err != nil:
		return s, fmt.Errorf("saving the TIME file before the run: %w", err)
	case !fi.Mode().IsRegular():
		return s, nil
	}
	if s.data, err = os.ReadFile(path); err != nil {
		return s, fmt.Errorf("saving the TIME file before the run: %w", err)
	}
	s.had, s.perm, s.mtime = true, fi.Mode().Perm(), fi.ModTime()
	return s, nil
}

// restore puts the saved TIME file back atomically, with its mtime, or
// removes the regular file the run put in place of none.
func (s savedTime) restore() error {
	if s.had {
		if err := atomicfile.Write(s.path, s.data, s.perm); err != nil {
			return err
		}
		return os.Chtimes(s.path, s.mtime, s.mtime)
	}
	if fi, err := os.Lstat(s.path); err != nil || !fi.Mode().IsRegular() {
		return nil // nothing put in place, or not rsync's file to remove
	}
	if err := os.Remove(s.path); err != nil {
		return fmt.Errorf("removing the TIME file of the failed run: %w", err)
	}
	return nil
}
