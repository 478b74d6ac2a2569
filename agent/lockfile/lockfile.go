// Package lockfile keeps two agents apart with a non-blocking flock(2) on a
// file that is created when missing and never deleted: deleting a lock file
// lets a third agent lock a fresh inode while the second still holds the old
// one. The kernel drops the lock when the holder dies, even by kill -9.
package lockfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gofrs/flock"
)

// ErrBusy means another process holds the lock.
var ErrBusy = errors.New("lock busy: another mirror-agent is running")

// Lock is a held lock.
type Lock struct{ f *flock.Flock }

// TryLock takes the lock at path without waiting. It returns ErrBusy when
// another process holds it.
func TryLock(path string) (*Lock, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	f := flock.New(path, flock.SetFlag(os.O_CREATE|os.O_RDWR), flock.SetPermissions(0o644))
	ok, err := f.TryLock()
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if !ok {
		return nil, fmt.Errorf("%w (%s)", ErrBusy, path)
	}
	return &Lock{f: f}, nil
}

// Unlock releases the lock. The file stays.
func (l *Lock) Unlock() error { return l.f.Unlock() }
