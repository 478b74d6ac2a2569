package plant_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/plant"
	"github.com/mirrorsignal/mirrorsignal/server/sshdial"
	"github.com/mirrorsignal/mirrorsignal/server/sshdial/sshdtest"
	"github.com/mirrorsignal/mirrorsignal/signal"
)

const stamp0 = 1488372781

func TestSFTP(t *testing.T) {
	srv := sshdtest.Start(t, sshdtest.Options{})
	dir := t.TempDir()
	// a leftover of a Plant whose connection was lost
	if err := os.WriteFile(filepath.Join(dir, ".TIME.tmp-0123456789abcdef"), []byte("14"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := plant.SFTP(srv.Config(), dir)
	for _, stamp := range []int64{stamp0, stamp0 + 60} {
		if err := p.Plant(t.Context(), "TIME", signal.FormatTimeFile(stamp)); err != nil {
			t.Fatal(err)
		}
		assertStamp(t, filepath.Join(dir, "TIME"), stamp)
	}
	fi, err := os.Stat(filepath.Join(dir, "TIME"))
	if err != nil || fi.Mode().Perm() != plant.Mode {
		t.Fatalf("mode %v, %v; want %v", fi.Mode(), err, os.FileMode(plant.Mode))
	}
	assertOnly(t, dir, "TIME")
}

func TestSFTPHostKeyRefused(t *testing.T) {
	srv := sshdtest.Start(t, sshdtest.Options{})
	other := sshdtest.Start(t, sshdtest.Options{})
	tests := []struct {
		name  string
		known string
		want  error
	}{
		{"wrong key", srv.WriteKnownHosts(t, "kh_wrong", other.HostKeys...), sshdial.ErrHostKeyMismatch},
		{"unknown host", srv.WriteKnownHosts(t, "kh_empty"), sshdial.ErrUnknownHost},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := srv.Config()
			cfg.KnownHostsFile = tt.known
			err := plant.SFTP(cfg, dir).Plant(t.Context(), "TIME", signal.FormatTimeFile(stamp0))
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			assertOnly(t, dir)
		})
	}
}

// A reader of the master's tree (rsync, a web server) never sees a missing,
// empty or partial TIME file while it is planted again and again.
func TestSFTPReaderSeesWholeFiles(t *testing.T) {
	srv := sshdtest.Start(t, sshdtest.Options{})
	dir := t.TempDir()
	p := plant.SFTP(srv.Config(), dir)
	plants := 200 // each a new SSH connection: about 0.2 s here
	if testing.Short() {
		plants = 20
	}
	if err := p.Plant(t.Context(), "TIME", signal.FormatTimeFile(stamp0)); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	failed := make(chan struct{}) // closed when readErr is set
	var reads int
	var readErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			reads++
			data, err := os.ReadFile(filepath.Join(dir, "TIME"))
			if err == nil {
				var v int64
				v, err = signal.ParseTimeFile(data)
				if err == nil && (v < stamp0 || v > stamp0+int64(plants)) {
					err = errors.New("a stamp never planted")
				}
				if err != nil {
					err = fmt.Errorf("read %q: %w", data, err)
				}
			}
			if err != nil {
				readErr = err
				close(failed)
				return
			}
			time.Sleep(200 * time.Microsecond)
		}
	})
planting:
	for i := 1; i <= plants; i++ {
		select {
		case <-failed:
			break planting
		default:
		}
		if err := p.Plant(t.Context(), "TIME", signal.FormatTimeFile(stamp0+int64(i))); err != nil {
			close(done)
			wg.Wait()
			t.Fatalf("plant %d: %v", i, err)
		}
	}
	close(done)
	wg.Wait()
	if readErr != nil {
		t.Fatalf("after %d reads: %v", reads, readErr)
	}
	assertStamp(t, filepath.Join(dir, "TIME"), stamp0+int64(plants))
	assertOnly(t, dir, "TIME")
	t.Logf("%d plants, %d reads", plants, reads)
}

func TestSFTPStallingServer(t *testing.T) {
	srv := sshdtest.Start(t, sshdtest.Options{})
	dir := t.TempDir()
	cfg := srv.Config()
	cfg.Addr = sshdtest.Stall(t)
	cfg.Timeout = 500 * time.Millisecond
	start := time.Now()
	err := plant.SFTP(cfg, dir).Plant(t.Context(), "TIME", signal.FormatTimeFile(stamp0))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a deadline error", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("gave up after %v, timeout 500ms", d)
	}
	assertOnly(t, dir)

	// the caller's context bounds it too
	cfg.Timeout = time.Minute
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	if err := plant.SFTP(cfg, dir).Plant(ctx, "TIME", nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a deadline error", err)
	}
}

// A server without posix-rename@openssh.com is refused before anything is
// written.
func TestSFTPNoPosixRename(t *testing.T) {
	srv := sshdtest.Start(t, sshdtest.Options{SFTPArgs: "-P posix-rename"})
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "TIME"), signal.FormatTimeFile(stamp0), 0o644); err != nil {
		t.Fatal(err)
	}
	err := plant.SFTP(srv.Config(), dir).Plant(t.Context(), "TIME", signal.FormatTimeFile(stamp0+1))
	if !errors.Is(err, plant.ErrNoAtomicRename) {
		t.Fatalf("err = %v, want ErrNoAtomicRename", err)
	}
	assertStamp(t, filepath.Join(dir, "TIME"), stamp0)
	assertOnly(t, dir, "TIME")
}

// A failed rename (here: TIME is a directory) leaves no temp file behind.
func TestSFTPRenameFails(t *testing.T) {
	srv := sshdtest.Start(t, sshdtest.Options{})
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "TIME"), 0o755); err != nil {
		t.Fatal(err)
	}
	err := plant.SFTP(srv.Config(), dir).Plant(t.Context(), "TIME", signal.FormatTimeFile(stamp0))
	if err == nil {
		t.Fatal("renaming over a directory succeeded")
	}
	assertOnly(t, dir, "TIME")
}

func TestSFTPBadName(t *testing.T) {
	cfg := sshdial.Config{Addr: sshdtest.Stall(t), User: "u", IdentityFile: "k", KnownHostsFile: "kh"}
	for _, name := range badNames {
		err := plant.SFTP(cfg, "/srv/tree").Plant(t.Context(), name, []byte("1\n"))
		if !errors.Is(err, plant.ErrBadName) {
			t.Errorf("Plant(%q) = %v, want ErrBadName", name, err)
		}
	}
}
