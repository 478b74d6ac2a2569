package agenttest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mirrorsignal/mirrorsignal/signal/testtool"
)

// Rsyncd is an rsync daemon on 127.0.0.1.
type Rsyncd struct {
	Port int
	cmd  *exec.Cmd
}

// StartRsyncd runs `rsync --daemon --no-detach` serving modules (name →
// directory) read-only on a free loopback port, and stops it at cleanup.
func StartRsyncd(t testing.TB, modules map[string]string) *Rsyncd {
	t.Helper()
	bin := testtool.Path(t, "rsync")
	dir := t.TempDir()
	port := freePort(t)
	conf := filepath.Join(dir, "rsyncd.conf")
	if err := os.WriteFile(conf, []byte(rsyncdConf(dir, modules)), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--daemon", "--no-detach", "--config="+conf,
		"--address=127.0.0.1", fmt.Sprintf("--port=%d", port))
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start rsync daemon: %v", err)
	}
	d := &Rsyncd{Port: port, cmd: cmd}
	t.Cleanup(d.stop)
	waitListening(t, port)
	return d
}

func rsyncdConf(dir string, modules map[string]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "use chroot = no\npid file = %s/rsyncd.pid\nlog file = %s/rsyncd.log\n", dir, dir)
	if os.Geteuid() == 0 {
		fmt.Fprintf(&b, "uid = %d\ngid = %d\n", os.Getuid(), os.Getgid())
	}
	names := make([]string, 0, len(modules))
	for name := range modules {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(&b, "[%s]\npath = %s\nread only = yes\n", name, modules[name])
	}
	return b.String()
}

// URL returns rsync://127.0.0.1:PORT/module/.
func (d *Rsyncd) URL(module string) string {
	return fmt.Sprintf("rsync://127.0.0.1:%d/%s/", d.Port, module)
}

func (d *Rsyncd) stop() {
	_ = d.cmd.Process.Kill()
	_ = d.cmd.Wait()
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func waitListening(t testing.TB, port int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("rsync daemon did not listen on port %d", port)
}
