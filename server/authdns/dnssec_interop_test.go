package authdns

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mirrorsignal/mirrorsignal/server/dnsharness"
	"github.com/mirrorsignal/mirrorsignal/server/dnssec"
	"github.com/mirrorsignal/mirrorsignal/signal/testtool"
)

// Interop of the signed zone with real validators and zone checkers. The
// zone is signed at the real time: the tools check validity against their
// own clock.

// toolTimeout bounds one run of an external tool.
const toolTimeout = 30 * time.Second

// interopZone is deepZone (empty non-terminals at sig. and ns.) signed now.
func interopZone(t *testing.T, keys ...*dnssec.Key) Zone {
	return signZone(t, deepZone(), time.Now(), keys...)
}

const (
	deepSignal = "current.sig." + testOrigin
	deepENT    = "sig." + testOrigin
)

// ksk returns the key the parent's DS names.
func ksk(keys []*dnssec.Key) *dnssec.Key {
	for _, k := range keys {
		if k.KSK() {
			return k
		}
	}
	return keys[0]
}

// wrongDS is a DS record for the zone that matches no key of it.
func wrongDS(t *testing.T) string {
	return newKey(t, dnssec.AlgECDSAP256, dnssec.FlagKSK).DS().String()
}

func TestInteropUnboundValidates(t *testing.T) {
	testtool.Path(t, "unbound")
	for _, kl := range keyLayouts {
		t.Run(kl.name, func(t *testing.T) {
			keys := kl.keys(t)
			ts := startServer(t, Config{}, mustCompile(t, interopZone(t, keys...)))
			ub := dnsharness.Unbound(t, testOrigin, ts.udp, ksk(keys).DS().String())
			for _, c := range []struct {
				name  string
				qtype uint16
				rcode int
				nAns  int
			}{
				{deepSignal, dns.TypeTXT, dns.RcodeSuccess, 1},
				{testOrigin, dns.TypeNS, dns.RcodeSuccess, 1},
				{"nope." + testOrigin, dns.TypeTXT, dns.RcodeNameError, 0},
				{"x." + deepSignal, dns.TypeTXT, dns.RcodeNameError, 0},
				{"x." + deepENT, dns.TypeA, dns.RcodeNameError, 0},
				{deepSignal, dns.TypeA, dns.RcodeSuccess, 0},
				{deepENT, dns.TypeTXT, dns.RcodeSuccess, 0},
			} {
				t.Run(c.name+"/"+dns.TypeToString[c.qtype], func(t *testing.T) {
					m := resolve(t, ub.Addr, c.name, c.qtype)
					if m.Rcode != c.rcode || !m.AuthenticatedData || len(m.Answer) < c.nAns || (c.nAns == 0) != (len(m.Answer) == 0) {
						t.Fatalf("%s, AD %v, %d answers; want %s, AD, answers %v\n%v\nunbound:\n%s",
							dns.RcodeToString[m.Rcode], m.AuthenticatedData, len(m.Answer), dns.RcodeToString[c.rcode], c.nAns > 0, m, ub.Output())
					}
				})
			}
		})
	}
}

// TestInteropUnboundWrongAnchor is the negative control: with a DS that
// matches no key, the same answers are bogus, so SERVFAIL.
func TestInteropUnboundWrongAnchor(t *testing.T) {
	testtool.Path(t, "unbound")
	ts := startServer(t, Config{}, mustCompile(t, interopZone(t, newKey(t, dnssec.AlgECDSAP256, dnssec.FlagKSK))))
	ub := dnsharness.Unbound(t, testOrigin, ts.udp, wrongDS(t))
	for _, name := range []string{deepSignal, "nope." + testOrigin} {
		if m := resolve(t, ub.Addr, name, dns.TypeTXT); m.Rcode != dns.RcodeServerFailure || m.AuthenticatedData {
			t.Errorf("%s: %s AD %v, want SERVFAIL", name, dns.RcodeToString[m.Rcode], m.AuthenticatedData)
		}
	}
}

// resolve asks the resolver at addr with RD and DO.
func resolve(t *testing.T, addr, name string, qtype uint16) *dns.Msg {
	t.Helper()
	m, err := dnsharness.Exchange(addr, name, qtype, true)
	if m == nil {
		t.Fatalf("%s %s: %v", name, dns.TypeToString[qtype], err)
	}
	return m
}

// delvAnchor writes a delv trust-anchors file holding ds (BIND 9.18
// syntax: static-ds, since delv does no RFC 5011 tracking).
func delvAnchor(t *testing.T, ds *dns.DS) string {
	p := filepath.Join(t.TempDir(), "anchor.conf")
	conf := fmt.Sprintf("trust-anchors {\n  %q static-ds %d %d %d %q;\n};\n", ds.Hdr.Name, ds.KeyTag, ds.Algorithm, ds.DigestType, ds.Digest)
	if err := os.WriteFile(p, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// delv runs delv against the server with the anchor file and returns its
// output.
func delv(t *testing.T, port, anchor, name, qtype string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), toolTimeout)
	defer cancel()
	args := []string{"@127.0.0.1", "-p", port, "-a", anchor, "+root=" + testOrigin, "+tcp", name, qtype}
	out, _ := exec.CommandContext(ctx, testtool.Path(t, "delv"), args...).CombinedOutput()
	return string(out)
}

func TestInteropDelv(t *testing.T) {
	testtool.Path(t, "delv")
	for _, kl := range keyLayouts {
		t.Run(kl.name, func(t *testing.T) {
			keys := kl.keys(t)
			ts := startServer(t, Config{}, mustCompile(t, interopZone(t, keys...)))
			port, anchor := portOf(ts.tcp), delvAnchor(t, ksk(keys).DS())
			for _, c := range []struct{ name, qtype, want string }{
				{deepSignal, "TXT", "; fully validated"},
				{testOrigin, "SOA", "; fully validated"},
				{"nope." + testOrigin, "TXT", "; negative response, fully validated"},
				{"x." + deepENT, "TXT", "; negative response, fully validated"},
				{deepSignal, "A", "; negative response, fully validated"},
				{deepENT, "TXT", "; negative response, fully validated"},
			} {
				t.Run(c.name+"/"+c.qtype, func(t *testing.T) {
					if out := delv(t, port, anchor, c.name, c.qtype); !strings.Contains(out, c.want) {
						t.Fatalf("delv: want %q in\n%s", c.want, out)
					}
				})
			}
		})
	}
	t.Run("wrong anchor", func(t *testing.T) {
		ts := startServer(t, Config{}, mustCompile(t, interopZone(t, newKey(t, dnssec.AlgECDSAP256, dnssec.FlagKSK))))
		out := delv(t, portOf(ts.tcp), delvAnchor(t, newKey(t, dnssec.AlgECDSAP256, dnssec.FlagKSK).DS()), deepSignal, "TXT")
		if strings.Contains(out, "fully validated") || !strings.Contains(out, "resolution failed") {
			t.Fatalf("delv with a wrong anchor: want a failure, got\n%s", out)
		}
	})
}

// zoneFile writes the zone as transferred (Records, then the SOA again as
// AXFR ends) in zone-file form, with edit applied to each line.
func zoneFile(t *testing.T, s *Snapshot, edit func(string) string) string {
	rrs := s.Records()
	var b strings.Builder
	for _, rr := range append(rrs, rrs[0]) {
		b.WriteString(edit(rr.String()) + "\n")
	}
	p := filepath.Join(t.TempDir(), "zone.db")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// zoneChecker is a program that verifies a signed zone file.
type zoneChecker struct {
	prog string
	args func(file string, combined bool) []string
}

var zoneCheckers = []zoneChecker{
	{"ldns-verify-zone", func(f string, _ bool) []string { return []string{f} }},
	{"kzonecheck", func(f string, _ bool) []string { return []string{"-o", testOrigin, "-d", "on", f} }},
	{"dnssec-verify", func(f string, combined bool) []string {
		if combined {
			return []string{"-o", testOrigin, "-z", f} // one key signs everything (TESTING.md)
		}
		return []string{"-o", testOrigin, "-x", f} // the KSK alone signs the DNSKEY RRset
	}},
}

func (zc zoneChecker) run(t *testing.T, file string, combined bool) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), toolTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, testtool.Path(t, zc.prog), zc.args(file, combined)...).CombinedOutput()
	return string(out), err
}

// TestInteropZoneCheckers verifies the zone that Records returns with
// three independent DNSSEC zone checkers, and, as a negative control,
// that each rejects it once a signed record is changed.
func TestInteropZoneCheckers(t *testing.T) {
	for _, kl := range keyLayouts {
		t.Run(kl.name, func(t *testing.T) {
			keys := kl.keys(t)
			s := mustCompile(t, interopZone(t, keys...))
			combined := len(keys) == 1
			good := zoneFile(t, s, func(l string) string { return l })
			tampered := zoneFile(t, s, func(l string) string {
				return strings.Replace(l, "\tTXT\t\"content:", "\tTXT\t\"vault:", 1)
			})
			for _, zc := range zoneCheckers {
				t.Run(zc.prog, func(t *testing.T) {
					if out, err := zc.run(t, good, combined); err != nil {
						t.Fatalf("%s rejects the zone: %v\n%s", zc.prog, err, out)
					}
					if out, err := zc.run(t, tampered, combined); err == nil {
						t.Fatalf("%s accepts a tampered zone:\n%s", zc.prog, out)
					}
				})
			}
		})
	}
}
