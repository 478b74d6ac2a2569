package fleet

import (
	"context"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/mirrorsignal/mirrorsignal/signal"
)

// copyWait bounds one local copy of a tree.
const copyWait = time.Minute

// writeRelease writes release n: files files of size bytes under
// releases/rN/, and repodata/latest naming it, as a distribution's new
// packages and metadata.
func writeRelease(dir string, n, files, size int) error {
	rel := filepath.Join(dir, "releases", fmt.Sprintf("r%d", n))
	if err := os.MkdirAll(rel, 0o755); err != nil {
		return err
	}
	rng := rand.New(rand.NewChaCha8(seed(n)))
	buf := make([]byte, size)
	for i := range files {
		for j := range buf {
			buf[j] = byte(rng.Uint32())
		}
		if err := os.WriteFile(filepath.Join(rel, fmt.Sprintf("pkg-%03d.rpm", i)), buf, 0o644); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "repodata"), 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "repodata", "latest"), fmt.Appendf(nil, "r%d\n", n), 0o644)
}

func seed(n int) [32]byte {
	var s [32]byte
	copy(s[:], fmt.Sprintf("mirrorsignal demo release %d", n))
	return s
}

// writeTime writes the tree's TIME file.
func writeTime(dir string, stamp int64) error {
	return os.WriteFile(filepath.Join(dir, "TIME"), signal.FormatTimeFile(stamp), 0o644)
}

// readStamp reads the tree's TIME file; 0 when missing or unreadable.
func readStamp(dir string) int64 {
	data, err := os.ReadFile(filepath.Join(dir, "TIME"))
	if err != nil {
		return 0
	}
	v, err := signal.ParseTimeFile(data)
	if err != nil {
		return 0
	}
	return v
}

// copyTree copies src into dst with the local rsync.
func copyTree(ctx context.Context, rsync, src, dst string) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, copyWait)
	defer cancel()
	return runRsync(ctx, rsync, "-a", src+"/", dst+"/")
}

// runRsync runs rsync in its own process group, killed as a group when
// ctx ends.
func runRsync(ctx context.Context, rsync string, args ...string) error {
	cmd := exec.CommandContext(ctx, rsync, args...)
	cmd.SysProcAttr = procAttr(false) // short-lived: ctx ends it
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("rsync %v: %w: %s", args, err, out)
	}
	return nil
}

// backdate sets the modification time of every file and directory under
// dir to t.
func backdate(dir string, t time.Time) error {
	return filepath.WalkDir(dir, func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Chtimes(path, t, t)
	})
}
