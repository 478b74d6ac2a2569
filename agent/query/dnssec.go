package query

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// Security is what DNSSEC established about an answer.
type Security struct {
	Secure    bool      // authenticated
	Inception time.Time // of the TXT RRSIG used, when there was one
	How       string    // for the log: "pinned", "resolver AD", "unsigned", …
}

// pinnedValidator validates with the agent's own trust anchors.
type pinnedValidator struct {
	pins   *Pins
	client *Client
}

// validate checks the DNSKEY RRset of the pinned zone against the pins, then
// the TXT RRSIG with that key set, its validity period, and (maxAge > 0)
// that its inception is no older than maxAge. An answer without any TXT
// RRSIG is reported unsigned (insecure); every other failure is ErrBogus.
func (v *pinnedValidator) validate(ctx context.Context, a TXTAnswer, now time.Time, maxAge time.Duration) (Security, error) {
	if len(a.Sigs) == 0 {
		return Security{How: "unsigned"}, nil
	}
	keys, err := v.keySet(ctx, now)
	if err != nil {
		return Security{}, err
	}
	inc, err := verifyRRset(a.RRset, a.Sigs, keys, v.pins.Zone, now, maxAge)
	if err != nil {
		return Security{}, err
	}
	return Security{Secure: true, Inception: inc, How: "pinned"}, nil
}

// keySet fetches the zone's DNSKEY RRset and returns it once a pinned key
// has validly signed it.
func (v *pinnedValidator) keySet(ctx context.Context, now time.Time) ([]*dns.DNSKEY, error) {
	resp, err := v.client.Exchange(ctx, v.pins.Zone, dns.TypeDNSKEY)
	if err != nil {
		return nil, fmt.Errorf("%w: DNSKEY %s: %w", ErrBogus, v.pins.Zone, err)
	}
	var rrset []dns.RR
	var keys []*dns.DNSKEY
	var sigs []*dns.RRSIG
	for _, rr := range resp.Msg.Answer {
		if !strings.EqualFold(rr.Header().Name, v.pins.Zone) {
			continue
		}
		switch k := rr.(type) {
		case *dns.DNSKEY:
			rrset, keys = append(rrset, k), append(keys, k)
		case *dns.RRSIG:
			if k.TypeCovered == dns.TypeDNSKEY {
				sigs = append(sigs, k)
			}
		}
	}
	anchors := v.pins.anchors(keys)
	if len(anchors) == 0 {
		return nil, fmt.Errorf("%w: no DNSKEY of %s matches a pin", ErrBogus, v.pins.Zone)
	}
	// The DNSKEY set is not age-bounded: the TXT signature is what can be replayed.
	if _, err := verifyRRset(rrset, sigs, anchors, v.pins.Zone, now, noAgeBound); err != nil {
		return nil, fmt.Errorf("DNSKEY set: %w", err)
	}
	return keys, nil
}

// verifyRRset accepts rrset when one of sigs is by a key of keys, signed by
// zone, cryptographically valid, inside its validity period at now, and (if
// maxAge > 0) has an inception no older than maxAge. It returns that
// inception. The error explains the first failing signature.
func verifyRRset(rrset []dns.RR, sigs []*dns.RRSIG, keys []*dns.DNSKEY, zone string, now time.Time, maxAge time.Duration) (time.Time, error) {
	if len(sigs) == 0 {
		return time.Time{}, fmt.Errorf("%w: no RRSIG", ErrBogus)
	}
	var errs []error
	for _, sig := range sigs {
		inc, err := verifyOne(rrset, sig, keys, zone, now, maxAge)
		if err == nil {
			return inc, nil
		}
		errs = append(errs, err)
	}
	return time.Time{}, fmt.Errorf("%w: %w", ErrBogus, errors.Join(errs...))
}

func verifyOne(rrset []dns.RR, sig *dns.RRSIG, keys []*dns.DNSKEY, zone string, now time.Time, maxAge time.Duration) (time.Time, error) {
	if !strings.EqualFold(sig.SignerName, zone) {
		return time.Time{}, fmt.Errorf("RRSIG by %s, want %s", sig.SignerName, zone)
	}
	key := findKey(keys, sig)
	if key == nil {
		return time.Time{}, fmt.Errorf("RRSIG key tag %d: no such key", sig.KeyTag)
	}
	if err := sig.Verify(key, rrset); err != nil {
		return time.Time{}, fmt.Errorf("RRSIG key tag %d: bad signature: %w", sig.KeyTag, err)
	}
	if !sig.ValidityPeriod(now) {
		return time.Time{}, fmt.Errorf("RRSIG key tag %d: outside its validity period %s to %s",
			sig.KeyTag, dns.TimeToString(sig.Inception), dns.TimeToString(sig.Expiration))
	}
	inc := serialTime(sig.Inception, now)
	if err := checkAge(inc, now, maxAge); err != nil {
		return time.Time{}, fmt.Errorf("RRSIG key tag %d: %w", sig.KeyTag, err)
	}
	return inc, nil
}

// checkAge refuses an RRSIG inception older than maxAge (0: no bound).
func checkAge(inc, now time.Time, maxAge time.Duration) error {
	if age := now.Sub(inc); maxAge > 0 && age > maxAge {
		return fmt.Errorf("RRSIG inception %s is %s old, more than max_signature_age %s: frozen or replayed answer",
			inc.UTC().Format(time.RFC3339), age.Round(time.Second), maxAge)
	}
	return nil
}

func findKey(keys []*dns.DNSKEY, sig *dns.RRSIG) *dns.DNSKEY {
	for _, k := range keys {
		if k.KeyTag() == sig.KeyTag && k.Algorithm == sig.Algorithm {
			return k
		}
	}
	return nil
}

// serialTime maps a 32-bit RRSIG time to the instant nearest to now
// (RFC 4034 §3.1.5 serial number arithmetic).
func serialTime(t uint32, now time.Time) time.Time {
	delta := int64(int32(t - uint32(now.Unix())))
	return time.Unix(now.Unix()+delta, 0)
}

// oldestInception returns the oldest inception among sigs, for the age
// bound of mode resolver-ad. The agent cannot tell which RRSIG the resolver
// validated, and an on-path replayer can add a fresh-looking one beside the
// valid old one, so the answer is as old as its oldest signature.
func oldestInception(sigs []*dns.RRSIG, now time.Time) (time.Time, bool) {
	var oldest time.Time
	for i, s := range sigs {
		if t := serialTime(s.Inception, now); i == 0 || t.Before(oldest) {
			oldest = t
		}
	}
	return oldest, len(sigs) > 0
}
