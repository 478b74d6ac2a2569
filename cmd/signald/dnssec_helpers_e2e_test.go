package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mirrorsignal/mirrorsignal/server/dnsharness"
)

// zoneOrigin is the zone of newInstance's configuration.
const zoneOrigin = "mirrors.example.test."

// signedInstance is a newInstance that signs its zone with a key it
// generates at first start.
func signedInstance(t *testing.T, extra string) *instance {
	t.Helper()
	in := newInstance(t)
	appendConfig(t, in.cfg, "[dnssec]\nenabled = true\ngenerate = true\n"+extra)
	return in
}

// keyDir is the instance's dnssec.key_dir (the default, keys under state_dir).
func (in *instance) keyDir() string { return filepath.Join(in.dir, "var", "keys") }

var keyFileRE = regexp.MustCompile(`(K[^/\s]+\+(\d{3})\+(\d{5}))\.key`)

// generateKey runs `signalctl keys generate` with args and returns the new
// key's tag and file base name, as printed.
func (in *instance) generateKey(t *testing.T, args ...string) (uint16, string) {
	t.Helper()
	out, err := in.signalctl(append([]string{"keys", "generate"}, args...)...)
	if err != nil {
		t.Fatalf("signalctl keys generate %v: %v\n%s", args, err, out)
	}
	m := keyFileRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("signalctl keys generate printed no key file: %q", out)
	}
	tag, _ := strconv.ParseUint(m[3], 10, 16)
	return uint16(tag), m[1]
}

// rrsetWithSigs asks addr for name/qtype with DO and returns the answer's
// records of qtype and the RRSIGs covering them.
func rrsetWithSigs(t *testing.T, addr, name string, qtype uint16) ([]dns.RR, []*dns.RRSIG) {
	t.Helper()
	m, err := dnsharness.Exchange(addr, name, qtype, false)
	if err != nil {
		t.Fatalf("%s %s at %s: %v", name, dns.TypeToString[qtype], addr, err)
	}
	var rrs []dns.RR
	var sigs []*dns.RRSIG
	for _, rr := range m.Answer {
		if sig, ok := rr.(*dns.RRSIG); ok {
			if sig.TypeCovered == qtype {
				sigs = append(sigs, sig)
			}
		} else if rr.Header().Rrtype == qtype {
			rrs = append(rrs, rr)
		}
	}
	return rrs, sigs
}

// servedKeys returns the apex DNSKEYs served by addr, by tag.
func servedKeys(t *testing.T, addr string) map[uint16]*dns.DNSKEY {
	t.Helper()
	keys, err := queryKeys(addr)
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// queryKeys returns the apex DNSKEYs served by addr, by tag.
func queryKeys(addr string) (map[uint16]*dns.DNSKEY, error) {
	m, err := dnsharness.Exchange(addr, zoneOrigin, dns.TypeDNSKEY, false)
	if err != nil {
		return nil, fmt.Errorf("DNSKEY at %s: %w", addr, err)
	}
	keys := map[uint16]*dns.DNSKEY{}
	for _, rr := range m.Answer {
		if k, ok := rr.(*dns.DNSKEY); ok {
			keys[k.KeyTag()] = k
		}
	}
	return keys, nil
}

// tagsOf returns the sorted tags of keys.
func tagsOf(keys map[uint16]*dns.DNSKEY) []uint16 {
	tags := make([]uint16, 0, len(keys))
	for tag := range keys {
		tags = append(tags, tag)
	}
	slices.Sort(tags)
	return tags
}

// checkSignedBy fails unless the RRset name/qtype served by addr carries
// exactly one RRSIG per tag in want, each made by the served DNSKEY of that
// tag, verifying over the RRset and valid now.
func checkSignedBy(t *testing.T, addr, name string, qtype uint16, want ...uint16) {
	t.Helper()
	keys := servedKeys(t, addr)
	rrs, sigs := rrsetWithSigs(t, addr, name, qtype)
	var got []uint16
	for _, sig := range sigs {
		k := keys[sig.KeyTag]
		if k == nil {
			t.Fatalf("%s %s: RRSIG by key %d, which is not in the served DNSKEY set %v", name, dns.TypeToString[qtype], sig.KeyTag, tagsOf(keys))
		}
		if err := sig.Verify(k, rrs); err != nil {
			t.Fatalf("%s %s: RRSIG by key %d does not verify: %v", name, dns.TypeToString[qtype], sig.KeyTag, err)
		}
		if !sig.ValidityPeriod(time.Now()) {
			t.Fatalf("%s %s: RRSIG by key %d is not valid now: %v", name, dns.TypeToString[qtype], sig.KeyTag, sig)
		}
		got = append(got, sig.KeyTag)
	}
	slices.Sort(got)
	want = slices.Sorted(slices.Values(want))
	if !slices.Equal(got, want) {
		t.Fatalf("%s %s is signed by keys %v, want %v", name, dns.TypeToString[qtype], got, want)
	}
}

// waitFor polls cond every 20 ms until it holds or timeout passes, and
// reports whether it held.
func waitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// keyFiles lists the names of the files in dir (not subdirectories).
func keyFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() {
			names = append(names, e.Name())
		}
	}
	return names
}

// countLines counts the lines of log that contain every one of words.
func countLines(log string, words ...string) int {
	n := 0
	for line := range strings.Lines(log) {
		all := true
		for _, w := range words {
			all = all && strings.Contains(line, w)
		}
		if all {
			n++
		}
	}
	return n
}

// alive reports whether signald's process is still running (not exited,
// not a zombie waiting to be reaped).
func (in *instance) alive() bool {
	if in.cmd == nil || in.cmd.Process == nil {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", in.cmd.Process.Pid))
	if err != nil {
		return false
	}
	// pid (comm) state ...: the state follows the last ')'.
	f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	return len(f) > 0 && f[0] != "Z" && f[0] != "X"
}
