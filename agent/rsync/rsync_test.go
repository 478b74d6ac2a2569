package rsync

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mirrorsignal/mirrorsignal/signal/testtool"
)

func TestArgs(t *testing.T) {
	j := Job{Source: "rsync://h/m", Dest: "/srv/m", TimeFile: "TIME", Excludes: []string{"/lost+found"},
		Metadata: []string{"repodata/"}, Options: []string{"--bwlimit=1m"}, ConnectTimeout: 30 * time.Second, IOTimeout: time.Minute}
	full := Args(j)
	for _, a := range []string{"--safe-links", "--delay-updates", "--delete-delay", "--exclude=.~tmp~", "--timeout=60", "--contimeout=30", "--exclude=/lost+found", "--bwlimit=1m"} {
		if !slices.Contains(full, a) {
			t.Errorf("full args lack %s: %v", a, full)
		}
	}
	if got := full[len(full)-2:]; got[0] != "rsync://h/m/" || got[1] != "/srv/m/" {
		t.Errorf("source/dest %v", got)
	}
	j.Stage = Packages
	pkgs := Args(j)
	if slices.Contains(pkgs, "--delete-delay") || !slices.Contains(pkgs, "--exclude=repodata/") || !slices.Contains(pkgs, "--exclude=/TIME") {
		t.Errorf("packages args %v", pkgs)
	}
	j.Source = "/local/dir"
	if slices.Contains(Args(j), "--contimeout=30") {
		t.Error("--contimeout for a non-daemon source")
	}
}

// fakeRsync writes a script that runs body.
func fakeRsync(t *testing.T, body string) *Runner {
	path := filepath.Join(t.TempDir(), "rsync")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return &Runner{Binary: path, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

func TestExitCodes(t *testing.T) {
	tests := []struct {
		exit int
		ok   bool
		want string
	}{
		{0, true, ""},
		{24, true, ""},
		{23, false, "partial transfer due to error"},
		{10, false, "error in socket I/O"},
		{30, false, "timeout in data send/receive"},
		{99, false, "unknown"},
	}
	for _, tc := range tests {
		t.Run(strconv.Itoa(tc.exit), func(t *testing.T) {
			r := fakeRsync(t, "echo oops >&2; exit "+strconv.Itoa(tc.exit))
			err := r.Run(context.Background(), Job{Source: "h::m", Dest: "/tmp/x"})
			if (err == nil) != tc.ok {
				t.Fatalf("err %v", err)
			}
			var ee *ExitError
			if err != nil && (!errors.As(err, &ee) || ee.Code != tc.exit || !strings.Contains(err.Error(), tc.want) || ee.Stderr != "oops") {
				t.Fatalf("err %#v", err)
			}
		})
	}
}

// TestCancelKillsTheWholeGroup: a fake rsync with a helper child is stopped
// with every process of its group.
func TestCancelKillsTheWholeGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pids")
	r := fakeRsync(t, "sleep 60 & echo $! > "+pidFile+"; sleep 60")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx, Job{Source: "h::m", Dest: "/tmp/x"}) }()
	var helper int
	for deadline := time.Now().Add(5 * time.Second); helper == 0 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		b, _ := os.ReadFile(pidFile)
		helper, _ = strconv.Atoi(strings.TrimSpace(string(b)))
	}
	if helper == 0 {
		t.Fatal("fake rsync did not start")
	}
	cancel()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("cancelled run reported success")
		}
	case <-time.After(StopGrace + 5*time.Second):
		t.Fatal("Run did not return after cancel")
	}
	for deadline := time.Now().Add(5 * time.Second); alive(helper); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("helper %d outlived the run", helper)
		}
	}
}

func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(f) > 0 && f[0] != "Z" && syscall.Kill(pid, 0) == nil
}

func TestRealRsyncLocalCopy(t *testing.T) {
	bin := testtool.Path(t, "rsync")
	src, dst := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(src, "TIME"), []byte("1800000000\n"), 0o644)
	os.WriteFile(filepath.Join(dst, "stale"), []byte("x"), 0o644)
	r := &Runner{Binary: bin, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := r.Run(context.Background(), Job{Source: src, Dest: dst, IOTimeout: time.Minute}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dst, "TIME")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dst, "stale")); !os.IsNotExist(err) {
		t.Fatal("--delete-delay did not delete")
	}
}

func TestArgsMaxDelete(t *testing.T) {
	tests := []struct {
		name  string
		stage Stage
		max   int
		want  string // "" = no --max-delete at all
	}{
		{"full with limit", Full, 1234, "--max-delete=1234"},
		{"full without limit", Full, 0, ""},
		{"packages never deletes", Packages, 1234, ""},
		{"probe never deletes", Probe, 1234, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := Args(Job{Source: "h::m", Dest: "/srv/m", TimeFile: "TIME", Stage: tc.stage, MaxDelete: tc.max})
			var got []string
			for _, a := range args {
				if strings.HasPrefix(a, "--max-delete") {
					got = append(got, a)
				}
			}
			if tc.want == "" && len(got) > 0 || tc.want != "" && !slices.Equal(got, []string{tc.want}) {
				t.Fatalf("--max-delete args %v, want %q: %v", got, tc.want, args)
			}
		})
	}
}

func TestProbeArgs(t *testing.T) {
	j := Job{Source: "rsync://h/m/centos", Dest: "/tmp/probe", Stage: Probe, TimeFile: "/meta/TIME",
		Options: []string{"--password-file=/etc/pw"}, ConnectTimeout: 30 * time.Second, IOTimeout: time.Minute}
	args := Args(j)
	want := []string{"--times", "--timeout=60", "--contimeout=30", "--password-file=/etc/pw", "rsync://h/m/centos/meta/TIME", "/tmp/probe/"}
	if !slices.Equal(args, want) {
		t.Fatalf("probe args\n%v, want\n%v", args, want)
	}
}

// TestRealRsyncProbe: a probe copies the TIME file alone and fails with
// exit 23 when the source has none.
func TestRealRsyncProbe(t *testing.T) {
	bin := testtool.Path(t, "rsync")
	src, dst := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(src, "TIME"), []byte("1800000000\n"), 0o644)
	os.WriteFile(filepath.Join(src, "other"), []byte("x"), 0o644)
	r := &Runner{Binary: bin, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	j := Job{Source: src, Dest: dst, Stage: Probe, TimeFile: "TIME", IOTimeout: time.Minute}
	if err := r.Run(context.Background(), j); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dst)
	if len(entries) != 1 || entries[0].Name() != "TIME" {
		t.Fatalf("probe copied %v, want only TIME", entries)
	}
	j.Source = t.TempDir()
	var ee *ExitError
	if err := r.Run(context.Background(), j); !errors.As(err, &ee) || ee.Code != PartialError {
		t.Fatalf("probe of a source without TIME: %v", err)
	}
}
