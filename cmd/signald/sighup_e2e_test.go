package main

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mirrorsignal/mirrorsignal/server/dnsharness"
)

// reloadTimeout bounds how long a SIGHUP may take to show in the served zone.
const reloadTimeout = 10 * time.Second

// TestSIGHUPReloadsKeys walks the documented rollover through the real
// binaries: `signalctl keys generate` adds a key that signald serves and
// signs with only after SIGHUP, the DS `signalctl keys ds` prints for it
// validates alone, and after `signalctl keys retire` and another SIGHUP
// the old key is neither served nor signing.
func TestSIGHUPReloadsKeys(t *testing.T) {
	in := signedInstance(t, "")
	in.start(t)
	first := tagsOf(servedKeys(t, in.dns))
	if len(first) != 1 {
		t.Fatalf("a fresh signald serves DNSKEYs %v, want one generated key", first)
	}
	old := first[0]
	signal := "current." + zoneOrigin

	added, _ := in.generateKey(t, "--config", in.cfg)
	if got := tagsOf(servedKeys(t, in.dns)); !slices.Equal(got, first) {
		t.Fatalf("DNSKEYs %v served before any SIGHUP, want %v", got, first)
	}
	both := slices.Sorted(slices.Values([]uint16{old, added}))
	in.hupUntilKeys(t, both)
	for _, q := range []struct {
		name  string
		qtype uint16
	}{{zoneOrigin, dns.TypeDNSKEY}, {zoneOrigin, dns.TypeSOA}, {signal, dns.TypeTXT}, {"_trees." + signal, dns.TypeTXT}} {
		checkSignedBy(t, in.dns, q.name, q.qtype, both...)
	}

	// The DS printed for the new key is a working trust anchor on its own:
	// the rollover's "publish the new DS" step points at a key that is served.
	ub := dnsharness.Unbound(t, zoneOrigin, in.dns, in.dsOf(t, added))
	if m, err := dnsharness.Exchange(ub.Addr, signal, dns.TypeTXT, true); err != nil || !m.AuthenticatedData {
		t.Fatalf("unbound anchored on the new key's DS: %v %v\n%s", m, err, ub.Output())
	}

	if out, err := in.signalctl("keys", "retire", "--tag", strconv.Itoa(int(old)), "--config", in.cfg); err != nil {
		t.Fatalf("signalctl keys retire: %v\n%s", err, out)
	}
	in.hupUntilKeys(t, []uint16{added})
	checkSignedBy(t, in.dns, zoneOrigin, dns.TypeDNSKEY, added)
	stamp := time.Now().Unix() - 30
	if err := in.publish(t.Context(), "content", stamp); err != nil {
		t.Fatal(err)
	}
	checkSignedBy(t, in.dns, signal, dns.TypeTXT, added)
	if got := in.dig(t, signal, "TXT"); got != `"`+strconv.FormatInt(stamp, 10)+`:0:0"` {
		t.Fatalf("after the rollover signald serves %s", got)
	}
}

// TestSIGHUPBadKeyKeepsKeys: a SIGHUP that finds a broken key file in the
// key directory changes nothing: signald keeps running, serving and signing
// with the keys it had, and logs an error naming the file. A later SIGHUP
// with good files reloads.
func TestSIGHUPBadKeyKeepsKeys(t *testing.T) {
	in := signedInstance(t, "")
	in.start(t)
	old := tagsOf(servedKeys(t, in.dns))
	signal := "current." + zoneOrigin

	spare := t.TempDir()
	_, aBase := in.generateKey(t, "--zone", zoneOrigin, "--dir", spare)
	_, bBase := in.generateKey(t, "--zone", zoneOrigin, "--dir", spare)
	_, otherBase := in.generateKey(t, "--zone", "other.example.", "--dir", spare)
	read := func(name string) []byte {
		data, err := os.ReadFile(filepath.Join(spare, name))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	aKey, aPriv := read(aBase+".key"), read(aBase+".private")
	tests := []struct {
		name         string
		key, private []byte // nil: no such file
	}{
		{"truncated private", aKey, aPriv[:len(aPriv)/2]},
		{"garbage public", []byte("this is not a DNSKEY\n"), aPriv},
		{"halves of two keys", aKey, read(bBase + ".private")},
		{"no private", aKey, nil},
		{"key of another zone", read(otherBase + ".key"), read(otherBase + ".private")},
	}
	stamp := time.Now().Unix() - 1000
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keyPath, privPath := filepath.Join(in.keyDir(), aBase+".key"), filepath.Join(in.keyDir(), aBase+".private")
			writeOrNot(t, keyPath, tt.key)
			writeOrNot(t, privPath, tt.private)
			defer os.Remove(keyPath)
			defer os.Remove(privPath)

			errLine := []string{"level=ERROR", "keeping the current ones", aBase}
			before := countLines(in.stderr.String(), errLine...)
			in.cmd.Process.Signal(syscall.SIGHUP)
			if !waitFor(reloadTimeout, func() bool { return countLines(in.stderr.String(), errLine...) > before }) {
				t.Fatalf("no error naming %s logged after SIGHUP; log:\n%s", aBase, in.stderr)
			}
			if got := tagsOf(servedKeys(t, in.dns)); !slices.Equal(got, old) {
				t.Fatalf("after a bad reload signald serves DNSKEYs %v, want %v", got, old)
			}
			checkSignedBy(t, in.dns, zoneOrigin, dns.TypeDNSKEY, old...)
			stamp++
			if err := in.publish(t.Context(), "content", stamp); err != nil {
				t.Fatalf("publish after a bad reload: %v\n%s", err, in.stderr)
			}
			checkSignedBy(t, in.dns, signal, dns.TypeTXT, old...)
		})
	}

	writeOrNot(t, filepath.Join(in.keyDir(), aBase+".key"), aKey)
	writeOrNot(t, filepath.Join(in.keyDir(), aBase+".private"), aPriv)
	aTag, _ := strconv.ParseUint(aBase[len(aBase)-5:], 10, 16)
	in.hupUntilKeys(t, slices.Sorted(slices.Values(append([]uint16{uint16(aTag)}, old...))))
}

func writeOrNot(t *testing.T, path string, data []byte) {
	t.Helper()
	os.Remove(path)
	if data == nil {
		return
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// hupUntilKeys sends signald one SIGHUP and waits until it serves exactly
// the DNSKEYs want (sorted) and has logged the reload.
func (in *instance) hupUntilKeys(t *testing.T, want []uint16) {
	t.Helper()
	before := countLines(in.stderr.String(), "keys reloaded")
	if err := in.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	var got []uint16
	var err error
	ok := waitFor(reloadTimeout, func() bool {
		if !in.alive() {
			return true // no use waiting
		}
		var keys map[uint16]*dns.DNSKEY
		keys, err = queryKeys(in.dns)
		got = tagsOf(keys)
		return err == nil && slices.Equal(got, want) && countLines(in.stderr.String(), "keys reloaded") > before
	})
	switch {
	case !in.alive():
		t.Fatalf("signald exited on SIGHUP; log:\n%s", in.stderr)
	case !ok:
		t.Fatalf("after SIGHUP signald serves DNSKEYs %v (%v), want %v (and a \"keys reloaded\" log line); log:\n%s", got, err, want, in.stderr)
	}
}

// dsOf returns the line of `signalctl keys ds` for the key with tag.
func (in *instance) dsOf(t *testing.T, tag uint16) string {
	t.Helper()
	out, err := in.signalctl("keys", "ds", "--config", in.cfg)
	if err != nil {
		t.Fatalf("signalctl keys ds: %v\n%s", err, out)
	}
	for line := range strings.Lines(out) {
		if f := strings.Fields(line); len(f) > 4 && f[3] == "DS" && f[4] == strconv.Itoa(int(tag)) {
			return strings.TrimSpace(line)
		}
	}
	t.Fatalf("signalctl keys ds has no DS for key %d:\n%s", tag, out)
	return ""
}
