package server

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mirrorsignal/mirrorsignal/server/dnsharness"
	"github.com/mirrorsignal/mirrorsignal/server/publish"
	"github.com/mirrorsignal/mirrorsignal/signal/testtool"
)

// tmpfs mounts a small tmpfs for a state dir and unmounts it at cleanup.
func tmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		testtool.Missing(t, "cannot mount a tmpfs for the fault test (needs root): "+strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	return dir
}

func servedTXT(t *testing.T, addr string) string {
	t.Helper()
	m, err := dnsharness.Exchange(addr, "current."+origin, dns.TypeTXT, false)
	if err != nil {
		t.Fatalf("signald stopped answering: %v", err)
	}
	return m.Answer[0].(*dns.TXT).Txt[0]
}

// fill writes zeros into dir until the file system is full.
func fill(t *testing.T, dir string) string {
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
	t.Fatal("the tmpfs never filled")
	return p
}

// TestStateDirFull: with the state dir full, signald keeps serving the last
// good zone, refuses publishes with a clear error and changes nothing, and
// publishes again once space returns. (A read-only remount cannot be made
// while SQLite holds the files open for writing, so read-only is not
// exercised separately; it fails the same commit path.)
func TestStateDirFull(t *testing.T) {
	cfg := testConfig(t, "")
	cfg.StateDir = tmpfs(t, "8m")
	s := start(t, cfg, time.Now)
	ctx := context.Background()
	base := time.Now().Unix() - 1000
	pub := func(stamp int64) error {
		_, err := s.publisher.Publish(ctx, publish.Request{Tree: "content", Stamp: stamp})
		return err
	}
	if err := pub(base); err != nil {
		t.Fatal(err)
	}
	good := servedTXT(t, cfg.DNS.Listen)

	filler := fill(t, cfg.StateDir)
	err := pub(base + 1)
	if err == nil {
		t.Fatal("a publish succeeded on a full disk")
	}
	t.Logf("full disk: %v", err)
	if got := servedTXT(t, cfg.DNS.Listen); got != good {
		t.Fatalf("full disk changed the served signal: %s -> %s", good, got)
	}
	if err := s.resign(ctx); err == nil {
		t.Log("re-sign succeeded on a full disk (SQLite had room in its pages)")
	}
	os.Remove(filler)
	if err := pub(base + 2); err != nil {
		t.Fatalf("publish after space returned: %v", err)
	}
	if got := servedTXT(t, cfg.DNS.Listen); !strings.HasPrefix(got, itoa(base+2)) {
		t.Fatalf("served %s after recovery", got)
	}

}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

// TestClockJumps: the clock jumps forwards a month and back ten days; the
// serial never goes down, and after the re-sign loop's next check every
// signature served is valid at the new time.
func TestClockJumps(t *testing.T) {
	cfg := testConfig(t, "")
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	ctx := context.Background()
	s, err := New(ctx, cfg, quiet(), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer s.store.Close()
	last := s.Signal().Serial
	for _, jump := range []time.Duration{30 * 24 * time.Hour, -10 * 24 * time.Hour, -2 * time.Hour, 90 * 24 * time.Hour} {
		clock.Add(jump)
		if err := s.maybeResign(ctx); err != nil {
			t.Fatal(err)
		}
		now := clock.Now()
		for key, sigs := range s.signing.sigs {
			for _, sig := range sigs {
				if !sig.ValidityPeriod(now) {
					t.Fatalf("after a jump of %s: %v signature not valid at %s", jump, key, now.UTC())
				}
			}
		}
		if _, err := s.publisher.Publish(ctx, publish.Request{Tree: "altarch"}); err != nil && !errors.Is(err, publish.ErrBackwards) {
			t.Fatal(err)
		}
		if cur := s.Signal().Serial; cur <= last {
			t.Fatalf("after a jump of %s the serial went from %d to %d", jump, last, cur)
		} else {
			last = cur
		}
	}
}
