package authdns

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/miekg/dns"

	"github.com/mirrorsignal/mirrorsignal/signal"
)

// Zone defaults, applied by Compile to zero fields.
const (
	DefaultTTL       = 3600 // SOA, NS and glue
	DefaultSignalTTL = 300  // the signal and _trees TXT records
)

// treesLabel prefixes the signal name to publish the tree layout.
const treesLabel = "_trees."

// ErrZone reports zone content that cannot be served.
var ErrZone = errors.New("invalid zone")

// Zone is the content to serve: pure data, built by the caller from config
// and store. Names are fully qualified; case does not matter.
type Zone struct {
	Origin     string       // e.g. "mirrors.example.test."
	TTL        uint32       // TTL of SOA, NS and glue; 0 = DefaultTTL
	SOA        SOA          // the apex SOA
	NS         []NameServer // apex NS RRset, at least one
	SignalName string       // e.g. "current.mirrors.example.test."; at or below Origin
	SignalTTL  uint32       // 0 = DefaultSignalTTL
	Record     signal.Record
	// DNSSEC, when set, makes the zone signed: DNSKEY at the apex, an NSEC
	// chain, and RRSIGs served to DO queries (see signing.go).
	DNSSEC *Signing
}

// SOA holds the SOA fields other than owner, class and TTL.
type SOA struct {
	MName, RName                            string
	Serial, Refresh, Retry, Expire, Minimum uint32
}

// NameServer is one NS of the apex. Addrs are glue, served as A/AAAA at Name
// (and in the additional section of the NS answer) when Name is inside
// Origin, where at least one is required; for a name outside Origin they
// are ignored.
type NameServer struct {
	Name  string
	Addrs []netip.Addr
}

// zoneData is a validated Zone with canonical (lowercase) names and
// defaults applied.
type zoneData struct {
	Zone
	treesName string
}

// normalize validates z and returns it with canonical names and defaults.
func (z Zone) normalize() (zoneData, error) {
	var err error
	n := zoneData{Zone: z}
	n.NS = make([]NameServer, len(z.NS))
	if n.Origin, err = canonicalName("Origin", z.Origin); err != nil {
		return zoneData{}, err
	}
	if err := n.normalizeSOA(); err != nil {
		return zoneData{}, err
	}
	if err := n.normalizeNS(z.NS); err != nil {
		return zoneData{}, err
	}
	if err := n.normalizeSignal(); err != nil {
		return zoneData{}, err
	}
	if err := n.checkKeys(); err != nil {
		return zoneData{}, err
	}
	setDefault32(&n.TTL, DefaultTTL)
	setDefault32(&n.SignalTTL, DefaultSignalTTL)
	return n, nil
}

func (n *zoneData) normalizeSOA() error {
	var err error
	if n.SOA.MName, err = canonicalName("SOA.MName", n.SOA.MName); err != nil {
		return err
	}
	n.SOA.RName, err = canonicalName("SOA.RName", n.SOA.RName)
	return err
}

func (n *zoneData) normalizeNS(in []NameServer) error {
	if len(in) == 0 {
		return fmt.Errorf("%w: NS: at least one name server is required", ErrZone)
	}
	seen := make(map[string]bool, len(in))
	for i, ns := range in {
		key := fmt.Sprintf("NS[%d].Name", i)
		name, err := canonicalName(key, ns.Name)
		if err != nil {
			return err
		}
		if seen[name] {
			return fmt.Errorf("%w: %s: %s appears twice", ErrZone, key, name)
		}
		seen[name] = true
		addrs, err := glue(key, name, n.Origin, ns.Addrs)
		if err != nil {
			return err
		}
		n.NS[i] = NameServer{Name: name, Addrs: addrs}
	}
	return nil
}

// glue returns the addresses to serve for name server name: none outside
// the zone, at least one (valid, IPv4-mapped unmapped) inside it.
func glue(key, name, origin string, addrs []netip.Addr) ([]netip.Addr, error) {
	if !dns.IsSubDomain(origin, name) {
		return nil, nil
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("%w: %s: %s is inside the zone and needs glue addresses", ErrZone, key, name)
	}
	out := make([]netip.Addr, 0, len(addrs))
	for _, a := range addrs {
		if !a.IsValid() {
			return nil, fmt.Errorf("%w: %s: invalid glue address", ErrZone, key)
		}
		out = append(out, a.Unmap())
	}
	return out, nil
}

func (n *zoneData) normalizeSignal() error {
	var err error
	if n.SignalName, err = canonicalName("SignalName", n.SignalName); err != nil {
		return err
	}
	if !dns.IsSubDomain(n.Origin, n.SignalName) {
		return fmt.Errorf("%w: SignalName: %s is not inside %s", ErrZone, n.SignalName, n.Origin)
	}
	if n.treesName, err = canonicalName("SignalName", treesLabel+n.SignalName); err != nil {
		return err
	}
	if err := n.Record.Layout.Validate(); err != nil {
		return fmt.Errorf("%w: Record: %w", ErrZone, err)
	}
	if len(n.Record.Stamps) != len(n.Record.Layout) {
		return fmt.Errorf("%w: Record: %d stamps for %d trees", ErrZone, len(n.Record.Stamps), len(n.Record.Layout))
	}
	for i, v := range n.Record.Stamps {
		if err := signal.CheckStamp(v); err != nil {
			return fmt.Errorf("%w: Record: tree %s: %w", ErrZone, n.Record.Layout[i], err)
		}
	}
	return nil
}

// canonicalName checks that s is a fully qualified domain name and returns
// it in lowercase. key names the field for the error.
func canonicalName(key, s string) (string, error) {
	if s == "" {
		return "", fmt.Errorf("%w: %s: empty name", ErrZone, key)
	}
	if !dns.IsFqdn(s) {
		return "", fmt.Errorf("%w: %s: %q is not fully qualified (add the final dot)", ErrZone, key, s)
	}
	if _, ok := dns.IsDomainName(s); !ok {
		return "", fmt.Errorf("%w: %s: %q is not a valid domain name", ErrZone, key, s)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f || c == '\\' {
			return "", fmt.Errorf("%w: %s: %q: only printable ASCII without escapes is supported", ErrZone, key, s)
		}
	}
	return strings.ToLower(s), nil
}

func setDefault32(v *uint32, def uint32) {
	if *v == 0 {
		*v = def
	}
}
