package dnssec

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// RRset is one owner name and type with its records.
type RRset struct {
	Name string // canonical (lowercase FQDN)
	Type uint16
	RRs  []dns.RR
}

// SetKey identifies an RRset.
type SetKey struct {
	Name string
	Type uint16
}

// Key returns the RRset's identity.
func (s RRset) Key() SetKey { return SetKey{s.Name, s.Type} }

// Policy says how long signatures of an RRset live and when they are
// re-made.
type Policy struct {
	Validity time.Duration
	Refresh  time.Duration // re-sign when less than this is left, or when older than Heartbeat
	// Heartbeat, when not zero, re-signs the RRset once its newest
	// signature's inception (less InceptionSkew) is this old.
	Heartbeat time.Duration
}

// DefaultPolicy returns the policy of every RRset but the signal TXT.
func DefaultPolicy() Policy {
	return Policy{Validity: Validity, Refresh: RefreshMargin}
}

// SignalPolicy returns the policy of the signal TXT RRset: short-lived
// signatures, re-made every SignalHeartbeat.
func SignalPolicy() Policy {
	return Policy{Validity: SignalValidity, Refresh: SignalValidity / 2, Heartbeat: SignalHeartbeat}
}

// Signer signs a zone's RRsets with its keys. It is a value: Sign is a pure
// function of its arguments.
type Signer struct {
	Zone string
	Keys []*Key
	// PolicyFor returns the policy of an RRset; nil means DefaultPolicy.
	PolicyFor func(SetKey) Policy
}

// policy returns the policy of the RRset key.
func (s Signer) policy(key SetKey) Policy {
	if s.PolicyFor == nil {
		return DefaultPolicy()
	}
	return s.PolicyFor(key)
}

// Sign returns the signatures of each RRset at time now. A signature in prev
// that covers the same RRset content, from the same key, and needs no
// refresh under its policy is kept, so unchanged RRsets keep their
// signatures. DNSKEY is signed by the KSKs; every other RRset by the ZSKs,
// or by the KSKs when the zone has no ZSK (one combined key).
func (s Signer) Sign(sets []RRset, prev map[SetKey][]*dns.RRSIG, now time.Time) (map[SetKey][]*dns.RRSIG, error) {
	if len(s.Keys) == 0 {
		return nil, errors.New("no signing keys")
	}
	out := make(map[SetKey][]*dns.RRSIG, len(sets))
	for _, set := range sets {
		pol := s.policy(set.Key())
		var sigs []*dns.RRSIG
		for _, k := range s.signersOf(set.Type) {
			sig, err := s.sigFor(set, k, pol, prev[set.Key()], now)
			if err != nil {
				return nil, fmt.Errorf("sign %s %s with key %d: %w", set.Name, dns.TypeToString[set.Type], k.Tag(), err)
			}
			sigs = append(sigs, sig)
		}
		out[set.Key()] = sigs
	}
	return out, nil
}

func (s Signer) signersOf(t uint16) []*Key {
	var ksk, zsk []*Key
	for _, k := range s.Keys {
		if k.KSK() {
			ksk = append(ksk, k)
		} else {
			zsk = append(zsk, k)
		}
	}
	if t == dns.TypeDNSKEY || len(zsk) == 0 {
		return ksk
	}
	return zsk
}

func (s Signer) sigFor(set RRset, k *Key, pol Policy, prev []*dns.RRSIG, now time.Time) (*dns.RRSIG, error) {
	for _, old := range prev {
		if old.KeyTag == k.Tag() && old.Algorithm == k.DNSKEY.Algorithm && fresh(old, pol, now) && old.Verify(k.DNSKEY, set.RRs) == nil {
			return old, nil
		}
	}
	return NewSig(set, k, pol.Validity, now)
}

// fresh reports whether sig can still be served under pol at now.
func fresh(sig *dns.RRSIG, pol Policy, now time.Time) bool {
	exp := time.Unix(int64(sig.Expiration), 0)
	inc := time.Unix(int64(sig.Inception), 0).Add(InceptionSkew)
	if exp.Sub(now) < pol.Refresh || inc.After(now) {
		return false
	}
	return pol.Heartbeat == 0 || now.Sub(inc) < pol.Heartbeat
}

// NewSig signs set with k: inception InceptionSkew before now, expiry
// validity after now.
func NewSig(set RRset, k *Key, validity time.Duration, now time.Time) (*dns.RRSIG, error) {
	if len(set.RRs) == 0 {
		return nil, errors.New("empty RRset")
	}
	sig := &dns.RRSIG{
		Hdr:        dns.RR_Header{Name: set.Name, Rrtype: dns.TypeRRSIG, Class: dns.ClassINET, Ttl: set.RRs[0].Header().Ttl},
		Algorithm:  k.DNSKEY.Algorithm,
		SignerName: k.DNSKEY.Hdr.Name,
		KeyTag:     k.Tag(),
		Inception:  uint32(now.Add(-InceptionSkew).Unix()),
		Expiration: uint32(now.Add(validity).Unix()),
	}
	if err := sig.Sign(k.Private, set.RRs); err != nil {
		return nil, err
	}
	return sig, nil
}

// NextRefresh returns the earliest time at which Sign would re-make one of
// sigs under the policies, and the earliest expiry.
func (s Signer) NextRefresh(sigs map[SetKey][]*dns.RRSIG) (refresh, expiry time.Time) {
	for key, list := range sigs {
		pol := s.policy(key)
		for _, sig := range list {
			exp := time.Unix(int64(sig.Expiration), 0)
			r := exp.Add(-pol.Refresh)
			if pol.Heartbeat > 0 {
				r = minTime(r, time.Unix(int64(sig.Inception), 0).Add(InceptionSkew+pol.Heartbeat))
			}
			refresh = minTime(refresh, r)
			expiry = minTime(expiry, exp)
		}
	}
	return refresh, expiry
}

func minTime(a, b time.Time) time.Time {
	if a.IsZero() || b.Before(a) {
		return b
	}
	return a
}

// NSEC returns the NSEC chain over the owner names of sets, in canonical
// order, each listing the types at its name plus RRSIG and NSEC. ttl is the
// SOA minimum (RFC 4034 §4).
func NSEC(zone string, sets []RRset, ttl uint32) []RRset {
	types := map[string][]uint16{}
	for _, s := range sets {
		types[s.Name] = append(types[s.Name], s.Type)
	}
	names := make([]string, 0, len(types))
	for n := range types {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return CanonicalLess(names[i], names[j]) })
	out := make([]RRset, 0, len(names))
	for i, n := range names {
		bitmap := append(append([]uint16(nil), types[n]...), dns.TypeRRSIG, dns.TypeNSEC)
		sort.Slice(bitmap, func(a, b int) bool { return bitmap[a] < bitmap[b] })
		next := names[(i+1)%len(names)]
		rr := &dns.NSEC{Hdr: dns.RR_Header{Name: n, Rrtype: dns.TypeNSEC, Class: dns.ClassINET, Ttl: ttl}, NextDomain: next, TypeBitMap: bitmap}
		out = append(out, RRset{Name: n, Type: dns.TypeNSEC, RRs: []dns.RR{rr}})
	}
	return out
}

// CanonicalLess orders names canonically (RFC 4034 §6.1): by labels from
// the right, each compared as lowercase octets.
func CanonicalLess(a, b string) bool {
	la := dns.SplitDomainName(strings.ToLower(a))
	lb := dns.SplitDomainName(strings.ToLower(b))
	for i, j := len(la)-1, len(lb)-1; i >= 0 && j >= 0; i, j = i-1, j-1 {
		x, y := unescape(la[i]), unescape(lb[j])
		if x != y {
			return x < y
		}
	}
	return len(la) < len(lb)
}

func unescape(label string) string {
	if !strings.Contains(label, `\`) {
		return label
	}
	b := make([]byte, 256)
	n, err := dns.PackDomainName(label+".", b, 0, nil, false)
	if err != nil || n < 2 {
		return label
	}
	return string(b[1 : n-1])
}

// Signatures maps each RRset to its signatures, as Sign returns them.
type Signatures = map[SetKey][]*dns.RRSIG

// NeedsRefresh reports whether Sign at now would re-make any of sigs: one
// nears expiry, is past its heartbeat, or has an inception after now (the
// clock went back).
func (s Signer) NeedsRefresh(sigs Signatures, now time.Time) bool {
	for key, list := range sigs {
		pol := s.policy(key)
		for _, sig := range list {
			if !fresh(sig, pol, now) {
				return true
			}
		}
	}
	return false
}
