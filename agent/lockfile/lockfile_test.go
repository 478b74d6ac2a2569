package lockfile

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

func TestTryLockIsExclusiveAndKeepsTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run", "agent.lock")
	l, err := TryLock(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := TryLock(path); !errors.Is(err, ErrBusy) {
		t.Fatalf("second TryLock: %v, want ErrBusy", err)
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("lock file removed: %v", err)
	}
	l2, err := TryLock(path)
	if err != nil {
		t.Fatalf("lock after unlock: %v", err)
	}
	l2.Unlock()
}

// TestBusyNamesTheHolder: the holder writes its pid; the busy error says it.
func TestBusyNamesTheHolder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lock")
	l, err := TryLock(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Unlock()
	_, err = TryLock(path)
	var busy *BusyError
	if !errors.As(err, &busy) || busy.PID != os.Getpid() {
		t.Fatalf("err %v, want a BusyError with pid %d", err, os.Getpid())
	}
}

func TestLockFileIsPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lock")
	if err := os.WriteFile(path, nil, 0o644); err != nil { // as an older agent left it
		t.Fatal(err)
	}
	l, err := TryLock(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Unlock()
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != Mode {
		t.Fatalf("mode %v, %v; want %v", fi.Mode(), err, Mode)
	}
	fresh := filepath.Join(t.TempDir(), "new", "lock")
	l2, err := TryLock(fresh)
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Unlock()
	if fi, err := os.Stat(fresh); err != nil || fi.Mode().Perm() != Mode {
		t.Fatalf("new file mode %v, %v; want %v", fi.Mode(), err, Mode)
	}
}

func TestUnsafeLockFilesAreRefused(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	if err := os.WriteFile(target, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "dir"), 0o700); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		path string
		uid  int
	}{
		{"symlink", link, os.Geteuid()},
		{"directory", filepath.Join(dir, "dir"), os.Geteuid()},
		{"another user's file", target, os.Geteuid() + 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if l, err := tryLock(tc.path, tc.uid); err == nil || errors.Is(err, ErrBusy) {
				if l != nil {
					l.Unlock()
				}
				t.Fatalf("err %v, want a refusal", err)
			}
		})
	}
}

// TestFileOwnedByAnotherUserIsRefused: as root, a lock file chowned to
// nobody (which nobody could then hold for ever) is refused.
func TestFileOwnedByAnotherUserIsRefused(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to chown the lock file to another user")
	}
	path := filepath.Join(t.TempDir(), "lock")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(path, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if l, err := TryLock(path); !errors.Is(err, ErrUnsafe) {
		if l != nil {
			l.Unlock()
		}
		t.Fatalf("err %v, want ErrUnsafe", err)
	}
}

func TestParsePID(t *testing.T) {
	for in, want := range map[string]int{
		"1234\n": 1234, "1234": 1234, "": 0, "0\n": 0, "-5\n": 0, "+5\n": 0, "12 34\n": 0,
		"99999999999999999999999\n": 0, strconv.Itoa(1<<22) + "\n": 1 << 22,
	} {
		if got := parsePID(in); got != want {
			t.Errorf("parsePID(%q) = %d, want %d", in, got, want)
		}
	}
}
