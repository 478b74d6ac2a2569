package httpserve

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"syscall"
)

// ErrUnsafeSocket is returned when the admin socket could be opened by
// another user.
var ErrUnsafeSocket = errors.New("admin socket is open to other users")

// ListenUnix listens on a Unix socket at path that only this user can
// open: mode 0600, in a directory that is not writable by others. A stale
// socket of this user is replaced; any other file at path, or a socket
// someone else owns, is refused.
func ListenUnix(path string) (net.Listener, error) {
	if err := checkDir(filepath.Dir(path)); err != nil {
		return nil, err
	}
	if err := removeStale(path); err != nil {
		return nil, err
	}
	old := syscall.Umask(0o177)
	ln, err := net.Listen("unix", path)
	syscall.Umask(old)
	if err != nil {
		return nil, fmt.Errorf("admin socket %s: %w", path, err)
	}
	if err := CheckSocket(path); err != nil {
		ln.Close()
		return nil, err
	}
	return ln, nil
}

// CheckSocket refuses a socket at path that another user owns or that
// group or others may open.
func CheckSocket(path string) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return fmt.Errorf("admin socket: %w", err)
	}
	if fi.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("admin socket %s: not a socket (%s)", path, fi.Mode().Type())
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("%w: %s has mode %04o, want 0600", ErrUnsafeSocket, path, fi.Mode().Perm())
	}
	if uid := ownerOf(fi); uid != os.Geteuid() {
		return fmt.Errorf("%w: %s is owned by uid %d, not %d", ErrUnsafeSocket, path, uid, os.Geteuid())
	}
	return nil
}

// checkDir refuses a directory others may write to (they could swap the
// socket for their own).
func checkDir(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("admin socket directory: %w", err)
	}
	if fi.Mode().Perm()&0o022 != 0 && fi.Mode()&fs.ModeSticky == 0 {
		return fmt.Errorf("%w: directory %s has mode %04o (group or others may write)", ErrUnsafeSocket, dir, fi.Mode().Perm())
	}
	return nil
}

// removeStale removes a socket this user left behind at path.
func removeStale(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("admin socket: %w", err)
	}
	if fi.Mode().Type() != fs.ModeSocket || ownerOf(fi) != os.Geteuid() {
		return fmt.Errorf("%w: %s exists and is not a socket of uid %d; refusing to replace it", ErrUnsafeSocket, path, os.Geteuid())
	}
	return os.Remove(path)
}

func ownerOf(fi fs.FileInfo) int {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int(st.Uid)
	}
	return -1
}
