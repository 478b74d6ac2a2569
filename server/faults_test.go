package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mirrorsignal/mirrorsignal/server/adminclient"
	"github.com/mirrorsignal/mirrorsignal/server/api/apiv1"
	"github.com/mirrorsignal/mirrorsignal/server/dnsharness"
	"github.com/mirrorsignal/mirrorsignal/server/publish"
	"github.com/mirrorsignal/mirrorsignal/signal/testtool"
)

func servedTXT(t *testing.T, addr string) string {
	t.Helper()
	m, err := dnsharness.Exchange(addr, "current."+origin, dns.TypeTXT, false)
	if err != nil {
		t.Fatalf("signald stopped answering: %v", err)
	}
	return m.Answer[0].(*dns.TXT).Txt[0]
}

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
	last := s.Zone().Serial
	for _, jump := range []time.Duration{30 * 24 * time.Hour, -10 * 24 * time.Hour, -2 * time.Hour, 90 * 24 * time.Hour} {
		clock.Add(jump)
		if err := s.zone.MaybeResign(ctx); err != nil {
			t.Fatal(err)
		}
		now := clock.Now()
		for key, sigs := range servedSigs(s) {
			for _, sig := range sigs {
				if !sig.ValidityPeriod(now) {
					t.Fatalf("after a jump of %s: %v signature not valid at %s", jump, key, now.UTC())
				}
			}
		}
		if _, err := s.publisher.Publish(ctx, publish.Request{Tree: "altarch"}); err != nil && !errors.Is(err, publish.ErrBackwards) {
			t.Fatal(err)
		}
		if cur := s.Zone().Serial; cur <= last {
			t.Fatalf("after a jump of %s the serial went from %d to %d", jump, last, cur)
		} else {
			last = cur
		}
	}
}

// ext4Fs is an ext4 file system in an image file, mounted through a loop
// device with errors=remount-ro. A plain read-only remount fails (EBUSY)
// while SQLite holds files open for writing; an error injected into this
// file system makes the kernel turn it read-only under the open files, as
// it does on a failing disk: their writes then fail with EROFS.
type ext4Fs struct {
	dir  string // the mount point
	img  string // the image file
	fsck string // e2fsck's path
}

// ext4Image makes and mounts an ext4 file system of size bytes. Cleanup
// unmounts it and detaches every loop device still backing the image, also
// when the test fails midway.
func ext4Image(t *testing.T, size int64) *ext4Fs {
	t.Helper()
	tools := testtool.Require(t, "mkfs.ext4", "e2fsck", "losetup", "findmnt")
	base := t.TempDir()
	fs := &ext4Fs{dir: filepath.Join(base, "mnt"), img: filepath.Join(base, "state.img"), fsck: tools[1]}
	if err := os.Mkdir(fs.dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(fs.img, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(fs.img, size); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(tools[0], "-q", "-F", "-E", "lazy_itable_init=0,lazy_journal_init=0", fs.img).CombinedOutput(); err != nil {
		t.Fatalf("mkfs.ext4: %v\n%s", err, out)
	}
	// Registered after t.TempDir, so it runs before the directory is removed;
	// a test's signald, started later, is stopped before it runs.
	t.Cleanup(func() {
		if exec.Command(tools[3], "-n", fs.dir).Run() == nil {
			exec.Command("umount", "-l", fs.dir).Run()
		}
		// mount -o loop frees its device at umount; detach any left over.
		out, _ := exec.Command(tools[2], "-n", "-O", "NAME", "-j", fs.img).Output()
		for dev := range strings.FieldsSeq(string(out)) {
			exec.Command(tools[2], "-d", dev).Run()
		}
	})
	if out, err := fs.mount(); err != nil {
		testtool.Missing(t, "cannot mount an ext4 image through a loop device for the fault test (needs root and loop devices): "+out)
	}
	return fs
}

func (fs *ext4Fs) mount() (string, error) {
	out, err := exec.Command("mount", "-t", "ext4", "-o", "loop,errors=remount-ro", fs.img, fs.dir).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// dev returns the name of the loop device mounted now, as /sys/fs/ext4
// names it (loop0).
func (fs *ext4Fs) dev(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("findmnt", "-n", "-o", "SOURCE", fs.dir).Output()
	if err != nil {
		t.Fatalf("findmnt %s: %v", fs.dir, err)
	}
	return filepath.Base(strings.TrimSpace(string(out)))
}

// goReadOnly injects a file system error: the kernel aborts the journal and
// makes the file system read-only, with signald's files still open.
func (fs *ext4Fs) goReadOnly(t *testing.T) {
	t.Helper()
	trigger := filepath.Join("/sys/fs/ext4", fs.dev(t), "trigger_fs_error")
	if err := os.WriteFile(trigger, []byte("1"), 0); err != nil {
		testtool.Missing(t, "cannot inject an ext4 error: "+err.Error())
	}
	err := os.WriteFile(filepath.Join(fs.dir, "probe"), nil, 0o600)
	if !errors.Is(err, syscall.EROFS) {
		t.Fatalf("after the injected error, creating a file gave %v, want EROFS", err)
	}
}

// repair is what an operator does once signald is stopped: unmount, fsck
// (which replays the journal), mount again.
func (fs *ext4Fs) repair(t *testing.T) {
	t.Helper()
	if out, err := exec.Command("umount", fs.dir).CombinedOutput(); err != nil {
		t.Fatalf("umount %s (is a file still open?): %v\n%s", fs.dir, err, out)
	}
	out, err := exec.Command(fs.fsck, "-f", "-y", fs.img).CombinedOutput()
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 1) { // 1: errors corrected
		t.Fatalf("e2fsck: %v\n%s", err, out)
	}
	if out, err := fs.mount(); err != nil {
		t.Fatalf("mount after e2fsck: %v\n%s", err, out)
	}
}

// TestStateDirReadOnly: the state dir's file system turns read-only under
// signald. signald keeps serving the last good zone, still validly signed;
// publishes are refused with a clear error (503 over the admin API) and
// change nothing served; a re-sign fails without harm. Once the operator has
// repaired the file system, a restart serves the last acknowledged publish,
// at a serial above every one served before.
func TestStateDirReadOnly(t *testing.T) {
	fs := ext4Image(t, 16<<20)
	cfg := testConfig(t, fmt.Sprintf("[[tsig]]\nname = %q\nsecret = %q\n[transfer]\nkeys = [%q]\n", xfrKey, xfrSecret, xfrKey))
	cfg.StateDir = fs.dir
	ctx := context.Background()
	base := time.Now().Unix() - 1000
	var acked string  // the record of the last acknowledged publish
	var served uint32 // the highest serial served
	if !t.Run("read-only", func(t *testing.T) {
		s := start(t, cfg, time.Now) // stopped when this subtest ends
		pub := func(tree string, stamp int64) error {
			_, err := s.publisher.Publish(ctx, publish.Request{Tree: tree, Stamp: stamp})
			return err
		}
		for i, tree := range []string{"content", "vault"} {
			if err := pub(tree, base+int64(i)); err != nil {
				t.Fatal(err)
			}
		}
		acked = servedTXT(t, cfg.DNS.Listen)
		before := s.Zone()

		fs.goReadOnly(t)
		err := pub("content", base+10)
		if err == nil {
			t.Fatal("a publish succeeded on a read-only state dir")
		}
		t.Logf("read-only publish: %v", err)
		if msg := err.Error(); !strings.Contains(msg, "nothing changed") {
			t.Errorf("the error does not say that nothing changed: %s", msg)
		}
		admin, err := adminclient.FromConfig(&cfg)
		if err != nil {
			t.Fatal(err)
		}
		_, err = admin.Publish(ctx, apiv1.PublishRequest{Tree: "altarch", At: base + 11})
		t.Logf("read-only publish over the admin socket: %v", err)
		var refused *adminclient.Refused
		if !errors.As(err, &refused) || refused.Code != http.StatusServiceUnavailable {
			t.Errorf("admin API answered %v, want 503", err)
		}
		if err := s.zone.Resign(ctx); err == nil {
			t.Error("a re-sign succeeded on a read-only state dir")
		} else {
			t.Logf("read-only re-sign: %v", err)
		}
		if n := counterValue(t, s.reg, "mirrorsignal_dnssec_resign_failures_total"); n != 1 {
			t.Errorf("re-sign failures counted: %v, want 1", n)
		}

		if got := servedTXT(t, cfg.DNS.Listen); got != acked {
			t.Fatalf("the read-only state dir changed the served signal: %s -> %s", acked, got)
		}
		if after := s.Zone(); after.Serial != before.Serial || after.Record.String() != before.Record.String() {
			t.Fatalf("served state moved from %v to %v", before, after)
		}
		served, err = dnsharness.Serial(cfg.DNS.Listen, origin)
		if err != nil || served != before.Serial {
			t.Fatalf("SOA serial %d (%v), want %d", served, err, before.Serial)
		}
		checkAXFR(t, cfg.DNS.Listen, "with the state dir read-only")
	}) {
		return
	}

	fs.repair(t)
	start(t, cfg, time.Now)
	if got := servedTXT(t, cfg.DNS.Listen); got != acked {
		t.Fatalf("after repair and restart signald serves %s, want the last acknowledged %s", got, acked)
	}
	if got, err := dnsharness.Serial(cfg.DNS.Listen, origin); err != nil || got <= served {
		t.Fatalf("after restart the serial is %d (%v), want above %d", got, err, served)
	}
}
