package httpserve

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"
)

func TestListenUnixMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "admin.sock")
	ln, err := ListenUnix(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Fatalf("socket mode %04o, want 0600", perm)
	}
}

// TestListenUnixReplacesOwnStale: a socket this user left behind (signald
// was killed) is replaced.
func TestListenUnixReplacesOwnStale(t *testing.T) {
	path := filepath.Join(t.TempDir(), "admin.sock")
	stale, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	stale.(*net.UnixListener).SetUnlinkOnClose(false)
	stale.Close()
	ln, err := ListenUnix(path)
	if err != nil {
		t.Fatalf("stale socket not replaced: %v", err)
	}
	ln.Close()
}

// TestUnsafeSocketsRefused: a socket others can open, a socket or file
// someone else put there, and a directory others can write are refused.
func TestUnsafeSocketsRefused(t *testing.T) {
	t.Run("socket mode 0666", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "admin.sock")
		ln, err := ListenUnix(path)
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		if err := os.Chmod(path, 0o666); err != nil {
			t.Fatal(err)
		}
		if err := CheckSocket(path); !errors.Is(err, ErrUnsafeSocket) {
			t.Fatalf("CheckSocket = %v, want ErrUnsafeSocket", err)
		}
	})
	t.Run("regular file in the way", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "admin.sock")
		if err := os.WriteFile(path, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := ListenUnix(path); !errors.Is(err, ErrUnsafeSocket) {
			t.Fatalf("ListenUnix = %v, want ErrUnsafeSocket", err)
		}
		if _, err := os.Stat(path); err != nil {
			t.Fatalf("the file in the way was removed: %v", err)
		}
	})
	t.Run("world-writable directory", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.Chmod(dir, 0o777); err != nil {
			t.Fatal(err)
		}
		if _, err := ListenUnix(filepath.Join(dir, "admin.sock")); !errors.Is(err, ErrUnsafeSocket) {
			t.Fatalf("ListenUnix = %v, want ErrUnsafeSocket", err)
		}
	})
	t.Run("socket of another user", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("needs root to give the socket to another user")
		}
		path := filepath.Join(t.TempDir(), "admin.sock")
		other, err := net.Listen("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		if err := os.Lchown(path, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		if _, err := ListenUnix(path); !errors.Is(err, ErrUnsafeSocket) {
			t.Fatalf("ListenUnix = %v, want ErrUnsafeSocket", err)
		}
	})
}
