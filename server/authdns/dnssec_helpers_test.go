package authdns

import (
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mirrorsignal/mirrorsignal/server/dnssec"
)

// testSignTime is the signing time of unit tests; interop tests sign at
// the real time, as validators check validity against their clock.
var testSignTime = time.Unix(1_800_000_000, 0)

// newKey generates a key of testOrigin.
func newKey(t testing.TB, alg uint8, flags uint16) *dnssec.Key {
	t.Helper()
	k, err := dnssec.Generate(testOrigin, alg, flags, dnssec.DNSKEYTTL)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// signZone returns z signed with keys at now, the way signald does it:
// RRsets, then Signer.Sign, then the signatures into z.DNSSEC.
func signZone(t testing.TB, z Zone, now time.Time, keys ...*dnssec.Key) Zone {
	t.Helper()
	z.DNSSEC = &Signing{Keys: keys}
	sets, err := z.RRsets()
	if err != nil {
		t.Fatalf("RRsets: %v", err)
	}
	sigs, err := dnssec.Signer{Zone: z.Origin, Keys: keys}.Sign(sets, nil, now)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	z.DNSSEC.Sigs = sigs
	return z
}

// signedTestZone is testZone signed with one combined ECDSA key.
func signedTestZone(t testing.TB) (Zone, *dnssec.Key) {
	t.Helper()
	k := newKey(t, dnssec.AlgECDSAP256, dnssec.FlagKSK)
	return signZone(t, testZone(), testSignTime, k), k
}

// keyByTag returns the key of keys with tag, or nil.
func keyByTag(keys []*dnssec.Key, tag uint16) *dnssec.Key {
	for _, k := range keys {
		if k.Tag() == tag {
			return k
		}
	}
	return nil
}

// rrsigsOf returns the RRSIGs among rrs that cover type t at name
// (case-insensitive).
func rrsigsOf(rrs []dns.RR, name string, t uint16) []*dns.RRSIG {
	var out []*dns.RRSIG
	for _, rr := range rrs {
		if sig, ok := rr.(*dns.RRSIG); ok && sig.TypeCovered == t && dns.CanonicalName(sig.Hdr.Name) == dns.CanonicalName(name) {
			out = append(out, sig)
		}
	}
	return out
}
