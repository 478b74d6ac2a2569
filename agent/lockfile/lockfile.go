// Package lockfile keeps two agents apart with a non-blocking flock(2) on a
// file that is created when missing and never deleted: deleting a lock file
// lets a third agent lock a fresh inode while the second still holds the old
// one. The kernel drops the lock when the holder dies, even by kill -9.
//
// flock works on any open descriptor, a read-only one too, so whoever can
// open the file can hold the lock for ever and silence every pass. The file
// is therefore opened without following a symlink, must be a regular file
// owned by the agent's user, and is kept at mode 0600 (put it in a directory
// only that user can write, e.g. /var/lib/mirror-agent). The holder writes
// its pid into it, so a busy lock can name its holder.
package lockfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// Mode is the lock file's permission: only its owner may open it.
const Mode fs.FileMode = 0o600

// maxPIDBytes bounds what is read of the holder's pid.
const maxPIDBytes = 32

// ErrBusy means another process holds the lock.
var ErrBusy = errors.New("lock busy: another mirror-agent is running")

// ErrUnsafe is a lock file another user could hold: a symlink, not a
// regular file, or not owned by the agent's user.
var ErrUnsafe = errors.New("unsafe lock file")

// BusyError is ErrBusy with what is known of the holder.
type BusyError struct {
	Path string
	PID  int // as written by the holder; 0 when unknown
}

func (e *BusyError) Error() string {
	if e.PID == 0 {
		return fmt.Sprintf("%v (%s, holder's pid unknown)", ErrBusy, e.Path)
	}
	return fmt.Sprintf("%v (%s, held by pid %d)", ErrBusy, e.Path, e.PID)
}

func (e *BusyError) Unwrap() error { return ErrBusy }

// Lock is a held lock.
type Lock struct{ f *os.File }

// TryLock takes the lock at path for the effective user without waiting.
// It returns a *BusyError (errors.Is ErrBusy) when another process holds it
// and ErrUnsafe when the file is not the agent's own.
func TryLock(path string) (*Lock, error) {
	return tryLock(path, os.Geteuid())
}

func tryLock(path string, uid int) (*Lock, error) {
	f, err := open(path, uid)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		defer f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &BusyError{Path: path, PID: readPID(f)}
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := writePID(f, os.Getpid()); err != nil {
		f.Close() // drops the lock
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return &Lock{f: f}, nil
}

// open opens or creates the lock file and checks it belongs to uid.
func open(path string, uid int) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, Mode)
	if errors.Is(err, syscall.ELOOP) {
		return nil, fmt.Errorf("%w: is a symlink", ErrUnsafe)
	}
	if err != nil {
		return nil, err
	}
	if err := check(f, uid); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// check refuses a file uid does not own or that is not a regular file, and
// takes away other users' access to one it does own (an older agent created
// it 0644).
func check(f *os.File, uid int) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%w: not a regular file (%s)", ErrUnsafe, fi.Mode().Type())
	}
	if o := owner(fi); o != uid {
		return fmt.Errorf("%w: owned by uid %d, not by the agent's uid %d; another user could hold it for ever", ErrUnsafe, o, uid)
	}
	if fi.Mode().Perm() != Mode {
		return f.Chmod(Mode)
	}
	return nil
}

func owner(fi fs.FileInfo) int {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int(st.Uid)
	}
	return -1
}

// writePID replaces the file's content with pid, through the locked fd.
func writePID(f *os.File, pid int) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err := f.WriteAt([]byte(strconv.Itoa(pid)+"\n"), 0)
	return err
}

// readPID returns the pid the holder wrote, or 0.
func readPID(f *os.File) int {
	buf := make([]byte, maxPIDBytes)
	n, _ := f.ReadAt(buf, 0)
	return parsePID(string(buf[:n]))
}

// parsePID reads "1234\n"; anything else is 0 (unknown).
func parsePID(s string) int {
	pid, err := strconv.Atoi(strings.TrimSuffix(s, "\n"))
	if err != nil || pid <= 0 || strings.HasPrefix(s, "+") { // equivalent mutant "pid < 0": pid 0 is returned as 0 anyway
		return 0
	}
	return pid
}

// Unlock forgets the pid and releases the lock. The file stays.
func (l *Lock) Unlock() error {
	_ = l.f.Truncate(0) // a stale pid would name the wrong holder
	return l.f.Close()
}
