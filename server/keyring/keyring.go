package keyring

import (
	"errors"
	"fmt"
	"os"

	"github.com/miekg/dns"

	"github.com/mirrorsignal/mirrorsignal/server/dnssec"
)

// dirMode is the key directory's mode: private keys live in it.
const dirMode = 0o700

// ErrNoSEP reports a key directory without a key-signing (SEP) key, so
// there is no DS to give the parent zone.
var ErrNoSEP = errors.New("no SEP key")

// Role is what a generated key does.
type Role int

const (
	// Combined is one key with the SEP bit that signs everything, the
	// default.
	Combined Role = iota
	// KSK is the key-signing key of a KSK/ZSK split (also SEP).
	KSK
	// ZSK is the zone-signing key of a KSK/ZSK split.
	ZSK
)

// flags returns the DNSKEY flags of a key of role r.
func (r Role) flags() uint16 {
	if r == ZSK {
		return dnssec.FlagZSK
	}
	return dnssec.FlagKSK
}

// Ring is the key directory Dir of zone Zone.
type Ring struct {
	Zone string
	Dir  string
}

// Generate makes a key of role with algorithm alg (dnssec.AlgECDSAP256 or
// dnssec.AlgEd25519) and writes it to the directory, created mode 0700
// when missing, as K<zone>+<alg>+<tag>.{key,private}, mode 0600.
func (r Ring) Generate(alg uint8, role Role) (*dnssec.Key, error) {
	if err := os.MkdirAll(r.Dir, dirMode); err != nil {
		return nil, err
	}
	k, err := dnssec.Generate(r.Zone, alg, role.flags(), dnssec.DNSKEYTTL)
	if err != nil {
		return nil, err
	}
	if err := k.Write(r.Dir); err != nil {
		return nil, err
	}
	return k, nil
}

// List returns the zone's keys in the directory, KSKs first, then by tag.
func (r Ring) List() ([]*dnssec.Key, error) {
	return dnssec.LoadDir(r.Dir, r.Zone)
}

// DS returns the SHA-256 DS record of every SEP key, in List's order, or
// an error wrapping ErrNoSEP when there is none.
func (r Ring) DS() ([]*dns.DS, error) {
	keys, err := r.List()
	if err != nil {
		return nil, err
	}
	var out []*dns.DS
	for _, k := range keys {
		if k.KSK() {
			out = append(out, k.DS())
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w for %s in %s (run: signalctl keys generate)", ErrNoSEP, r.Zone, r.Dir)
	}
	return out, nil
}

// Retire moves the key with tag to the directory's retired/ subdirectory;
// it refuses the zone's only key.
func (r Ring) Retire(tag uint16) (*dnssec.Key, error) {
	return dnssec.Retire(r.Dir, r.Zone, tag)
}
