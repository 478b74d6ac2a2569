package main

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mirrorsignal/mirrorsignal/signal/testtool"
)

// mountTmpfs mounts a tmpfs of size on dir (created) until the test ends.
// It needs root: without, the test skips (fails under CI).
func mountTmpfs(t *testing.T, dir, size string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		testtool.Missing(t, "cannot mount a tmpfs for the fault test (needs root): "+strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
}

// fillDir writes zeros into dir until its file system is full and returns
// the file written.
func fillDir(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "filler")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for range 1 << 12 {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			return p
		}
	}
	t.Fatal("the file system never filled")
	return ""
}

// published returns the stamps of /api/v1/signal.
func (in *instance) published(t *testing.T) map[string]int64 {
	t.Helper()
	resp, err := in.httpClient.Get("http://" + in.http + "/api/v1/signal")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var sig struct {
		Published map[string]struct{ Stamp int64 } `json:"published"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&sig); err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for tree, p := range sig.Published {
		out[tree] = p.Stamp
	}
	return out
}

// TestStateDirFullE2E: with the state dir full, `signalctl publish` is
// refused with 503, signald keeps serving the last good signal, and after
// space returns and a restart the store holds exactly what was
// acknowledged before; publishing works again.
func TestStateDirFullE2E(t *testing.T) {
	testtool.Path(t, "dig")
	in := newInstance(t)
	state := filepath.Join(in.dir, "var")
	mountTmpfs(t, state, "8m")
	in.start(t)
	signal := "current." + zoneOrigin
	publish := func(stamp int64) (string, error) {
		return in.signalctl("publish", "content", "--at", strconv.FormatInt(stamp, 10), "--config", in.cfg)
	}
	base := time.Now().Unix() - 1000
	if out, err := publish(base); err != nil {
		t.Fatalf("publish: %v\n%s", err, out)
	}
	good := in.dig(t, signal, "TXT")
	if good != `"`+strconv.FormatInt(base, 10)+`:0:0"` {
		t.Fatalf("served %s after publishing %d", good, base)
	}

	filler := fillDir(t, state)
	out, err := publish(base + 1)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(out, "503") {
		t.Fatalf("publish on a full state dir: %v\n%s\nwant exit 1 and a 503", err, out)
	}
	t.Logf("full state dir: %s", strings.TrimSpace(out))
	if got := in.dig(t, signal, "TXT"); got != good {
		t.Fatalf("a refused publish changed the served signal: %s -> %s", good, got)
	}
	if got := in.published(t)["content"]; got != base {
		t.Fatalf("signald reports content at %d after a refused publish, want %d", got, base)
	}

	in.cmd.Process.Signal(syscall.SIGTERM)
	in.cmd.Wait()
	in.cmd = nil
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	in.start(t)
	if got := in.published(t); got["content"] != base || got["altarch"] != 0 || got["vault"] != 0 {
		t.Fatalf("after restart the store holds %v, want content at %d only", got, base)
	}
	if got := in.dig(t, signal, "TXT"); got != good {
		t.Fatalf("after restart signald serves %s, want %s", got, good)
	}
	if out, err := publish(base + 2); err != nil {
		t.Fatalf("publish after space returned: %v\n%s", err, out)
	}
	if got := in.dig(t, signal, "TXT"); got != `"`+strconv.FormatInt(base+2, 10)+`:0:0"` {
		t.Fatalf("served %s after publishing %d", got, base+2)
	}
}
