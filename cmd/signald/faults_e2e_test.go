package main

import (
	"bytes"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mirrorsignal/mirrorsignal/signal/testtool"
)

// TestCorruptStoreRefusesStart: a truncated or emptied signald.db stops
// signald at start with a message naming the file and what to do; it never
// serves an empty or regressed signal.
func TestCorruptStoreRefusesStart(t *testing.T) {
	testtool.Path(t, "dig")
	for _, tc := range []struct {
		name string
		cut  func(size int64) int64
	}{
		{"truncated", func(size int64) int64 { return size / 2 }},
		{"emptied", func(int64) int64 { return 0 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := newInstance(t)
			in.start(t)
			for i := range 20 {
				if err := in.publish(t.Context(), "content", time.Now().Unix()-1000+int64(i)); err != nil {
					t.Fatal(err)
				}
			}
			in.cmd.Process.Signal(syscall.SIGTERM)
			in.cmd.Wait()
			in.cmd = nil
			db := filepath.Join(in.dir, "var", "signald.db")
			for _, suffix := range []string{"-wal", "-shm"} {
				os.Remove(db + suffix)
			}
			fi, err := os.Stat(db)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(db, tc.cut(fi.Size())); err != nil {
				t.Fatal(err)
			}
			var stderr bytes.Buffer
			cmd := exec.Command(filepath.Join(binDir, "signald"), "-config", in.cfg)
			cmd.Stderr = &stderr
			done := make(chan error, 1)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			go func() { done <- cmd.Wait() }()
			select {
			case err = <-done:
			case <-time.After(20 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("signald started on a %s store; it answers %q", tc.name, in.dig(t, "current.mirrors.example.test.", "TXT"))
			}
			if err == nil || !strings.Contains(stderr.String(), db) || !strings.Contains(stderr.String(), "restore") {
				t.Fatalf("exit %v, stderr %q; want a failure naming %s and what to do", err, stderr.String(), db)
			}
			t.Logf("%s store: %s", tc.name, strings.TrimSpace(stderr.String()))
		})
	}
}

// TestKill9DuringResign: SIGHUP makes signald reload its keys and re-sign
// the zone; killing it with SIGKILL at random moments around that and
// restarting always yields a zone that ldns-verify-zone accepts. Each round
// first adds a key and checks that one SIGHUP reloads it while signald keeps
// running, so the kills land in real reloads, not in a dead process.
func TestKill9DuringResign(t *testing.T) {
	dig := testtool.Path(t, "dig")
	verify := testtool.Path(t, "ldns-verify-zone")
	in := signedInstance(t, "[transfer]\nallow_from = [\"127.0.0.1\"]\n")
	rng := rand.New(rand.NewPCG(3, 4))
	var keys []uint16
	for round := range 6 {
		in.start(t)
		if round == 0 {
			keys = tagsOf(servedKeys(t, in.dns))
		}
		tag, _ := in.generateKey(t, "--config", in.cfg)
		keys = slices.Sorted(slices.Values(append(keys, tag)))
		in.hupUntilKeys(t, keys)
		for range 5 {
			in.cmd.Process.Signal(syscall.SIGHUP)
			time.Sleep(time.Duration(rng.IntN(30)) * time.Millisecond)
		}
		in.kill()
		in.start(t)
		host, port := "127.0.0.1", in.dns[strings.LastIndexByte(in.dns, ':')+1:]
		out, err := exec.Command(dig, "@"+host, "-p", port, "mirrors.example.test.", "AXFR", "+nocomments", "+nostats", "+nocmd").Output()
		if err != nil || !bytes.Contains(out, []byte("RRSIG")) {
			t.Fatalf("round %d: AXFR after restart: %v\n%s", round, err, out)
		}
		zone := filepath.Join(t.TempDir(), "zone")
		os.WriteFile(zone, out, 0o600)
		if res, err := exec.Command(verify, zone).CombinedOutput(); err != nil {
			t.Fatalf("round %d: zone served after kill -9 during re-sign fails verification: %v\n%s", round, err, res)
		}
		checkSignedBy(t, in.dns, zoneOrigin, dns.TypeDNSKEY, keys...)
		in.kill()
	}
}
