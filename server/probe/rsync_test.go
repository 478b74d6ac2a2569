package probe

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mirrorsignal/mirrorsignal/signal/testtool"
)

// startRsyncd runs a real rsync daemon on 127.0.0.1 serving dir as the
// read-only module "mod", and stops it at cleanup.
func startRsyncd(t *testing.T, bin, dir string) string {
	t.Helper()
	conf := t.TempDir()
	port := freePort(t)
	var b strings.Builder
	fmt.Fprintf(&b, "use chroot = no\nport = %d\npid file = %s/rsyncd.pid\nlog file = %s/rsyncd.log\n", port, conf, conf)
	if os.Geteuid() == 0 { // else the daemon drops to nobody, who cannot read the temp dir
		fmt.Fprintf(&b, "uid = %d\ngid = %d\n", os.Getuid(), os.Getgid())
	}
	fmt.Fprintf(&b, "[mod]\npath = %s\nread only = yes\n", dir)
	path := filepath.Join(conf, "rsyncd.conf")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--daemon", "--no-detach", "--config="+path, "--address=127.0.0.1")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start rsync daemon: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("rsync daemon did not listen on %s", addr)
		}
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestFetchRsync(t *testing.T) {
	bin := testtool.Path(t, "rsync")
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "TIME"), fmt.Sprintf("%d\n", fresh))
	writeFile(t, filepath.Join(dir, "garbage"), "\x1b[2Jnot a time\n")
	writeFile(t, filepath.Join(dir, "huge"), strings.Repeat("1", 1<<20))
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "sub", "TIME"), fmt.Sprintf("%d\n", fresh))
	if err := os.Symlink("TIME", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	addr := startRsyncd(t, bin, dir)
	p := newProber(t, Config{Rsync: bin})
	tests := []struct {
		name  string
		url   string
		fam   Family
		want  error
		class Class
	}{
		{"fresh", "rsync://" + addr + "/mod/TIME", Any, nil, OK},
		{"fresh IPv4", "rsync://" + addr + "/mod/TIME", IPv4, nil, OK},
		{"nested", "rsync://" + addr + "/mod/sub/TIME", Any, nil, OK},
		{"missing", "rsync://" + addr + "/mod/NOPE", Any, ErrMissing, Error},
		{"garbage", "rsync://" + addr + "/mod/garbage", Any, ErrBadTime, Error},
		{"huge", "rsync://" + addr + "/mod/huge", Any, ErrTooBig, Error},
		{"directory", "rsync://" + addr + "/mod/sub", Any, ErrMissing, Error},
		{"symlink", "rsync://" + addr + "/mod/link", Any, ErrMissing, Error},
		{"unknown module", "rsync://" + addr + "/nomod/TIME", Any, ErrProtocol, Error},
		{"IPv6 to an IPv4 address", "rsync://" + addr + "/mod/TIME", IPv6, ErrUnreachable, Unreachable},
		{"refused", "rsync://" + closedPort(t, "tcp4", "127.0.0.1:0") + "/mod/TIME", Any, ErrUnreachable, Unreachable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := p.Fetch(t.Context(), tt.url, tt.fam)
			check(t, r, tt.want, tt.class)
			if r.Err != nil && strings.ContainsAny(r.Err.Error(), "\x1b\x00") {
				t.Errorf("err %q carries control characters", r.Err)
			}
		})
	}
	t.Run("missing says why", func(t *testing.T) {
		r := p.Fetch(t.Context(), "rsync://"+addr+"/mod/NOPE", Any)
		if !strings.Contains(r.Err.Error(), "No such file") {
			t.Errorf("err %q does not quote rsync", r.Err)
		}
	})
	t.Run("temp dirs removed", func(t *testing.T) {
		tmp := t.TempDir()
		t.Setenv("TMPDIR", tmp)
		check(t, p.Fetch(t.Context(), "rsync://"+addr+"/mod/TIME", Any), nil, OK)
		check(t, p.Fetch(t.Context(), "rsync://"+addr+"/mod/huge", Any), ErrTooBig, Error)
		if left, _ := os.ReadDir(tmp); len(left) != 0 {
			t.Errorf("left behind in TMPDIR: %v", left)
		}
	})
}

func TestFetchRsyncSilentDaemonKilled(t *testing.T) {
	bin := testtool.Path(t, "rsync")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	silent(t, l)
	const timeout = time.Second
	// rsync's own I/O timeout is far off: the probe's deadline must stop it.
	p := newProber(t, Config{Rsync: bin, Timeout: timeout, RsyncIOTimeout: time.Minute})
	start := time.Now()
	r := p.Fetch(t.Context(), "rsync://"+l.Addr().String()+"/mod/TIME", Any)
	if took := time.Since(start); took > timeout+time.Second {
		t.Errorf("took %v, want at most %v", took, timeout+time.Second)
	}
	check(t, r, ErrTimeout, Error)
}

func TestFetchRsyncNoBinary(t *testing.T) {
	p := newProber(t, Config{Rsync: filepath.Join(t.TempDir(), "no-rsync")})
	r := p.Fetch(t.Context(), "rsync://127.0.0.1:1/mod/TIME", Any)
	check(t, r, ErrRsync, Error)
	if errors.Is(r.Err, ErrUnreachable) {
		t.Error("a missing binary is not the mirror's fault")
	}
}
