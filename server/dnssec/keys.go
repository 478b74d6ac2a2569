package dnssec

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/miekg/dns"

	"github.com/mirrorsignal/mirrorsignal/signal/atomicfile"
)

// Algorithms signald signs with.
const (
	AlgECDSAP256 = dns.ECDSAP256SHA256 // 13, the default
	AlgEd25519   = dns.ED25519         // 15
)

// DNSKEY flags.
const (
	FlagZSK = 256 // zone key
	FlagKSK = 257 // zone key + secure entry point
)

// ErrKeyFile reports an unreadable or inconsistent key file.
var ErrKeyFile = errors.New("bad key file")

// Key is one DNSKEY with its private half.
type Key struct {
	DNSKEY  *dns.DNSKEY
	Private crypto.Signer
	// Base is the file name without extension, e.g.
	// "Kmirrors.example.test.+013+12345".
	Base string
}

// KSK reports whether the key has the SEP bit: it signs the DNSKEY RRset
// and is the one the parent's DS names.
func (k *Key) KSK() bool { return k.DNSKEY.Flags&dns.SEP != 0 }

// Tag returns the key tag.
func (k *Key) Tag() uint16 { return k.DNSKEY.KeyTag() }

// Generate makes a new key for zone with algorithm alg and flags.
func Generate(zone string, alg uint8, flags uint16, ttl uint32) (*Key, error) {
	if alg != AlgECDSAP256 && alg != AlgEd25519 {
		return nil, fmt.Errorf("algorithm %d: only %d (ECDSAP256SHA256) and %d (ED25519) are supported", alg, AlgECDSAP256, AlgEd25519)
	}
	k := &dns.DNSKEY{
		Hdr:       dns.RR_Header{Name: dns.CanonicalName(zone), Rrtype: dns.TypeDNSKEY, Class: dns.ClassINET, Ttl: ttl},
		Flags:     flags,
		Protocol:  3,
		Algorithm: alg,
	}
	bits := 256 // ECDSA P-256 and Ed25519 both take 256
	priv, err := k.Generate(bits)
	if err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	return &Key{DNSKEY: k, Private: priv.(crypto.Signer), Base: baseName(k)}, nil
}

func baseName(k *dns.DNSKEY) string {
	return fmt.Sprintf("K%s+%03d+%05d", k.Hdr.Name, k.Algorithm, k.KeyTag())
}

// Write stores the key in dir as Base.key and Base.private, mode 0600,
// each written atomically.
func (k *Key) Write(dir string) error {
	pub := fmt.Sprintf("; This is a %s, keyid %d, for %s\n%s\n", kind(k), k.Tag(), k.DNSKEY.Hdr.Name, k.DNSKEY.String())
	if err := atomicfile.Write(filepath.Join(dir, k.Base+".private"), []byte(k.DNSKEY.PrivateKeyString(k.Private)), 0o600); err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(dir, k.Base+".key"), []byte(pub), 0o600)
}

func kind(k *Key) string {
	if k.KSK() {
		return "key-signing key"
	}
	return "zone-signing key"
}

// Load reads the key pair whose public file is path (….key).
func Load(path string) (*Key, error) {
	pubData, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrKeyFile, path, err)
	}
	privPath := strings.TrimSuffix(path, ".key") + ".private"
	privData, err := os.ReadFile(privPath)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrKeyFile, privPath, err)
	}
	return Parse(pubData, privData, path, privPath)
}

// Parse reads a key pair from the contents of its BIND-format files: the
// public .key (a DNSKEY record, ';' comments allowed) and the .private.
// The paths only name the files in errors and give Base. The halves must
// belong together.
func Parse(pubData, privData []byte, pubPath, privPath string) (*Key, error) {
	rr, err := dns.NewRR(stripComments(pubData))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrKeyFile, pubPath, err)
	}
	pub, ok := rr.(*dns.DNSKEY)
	if !ok {
		return nil, fmt.Errorf("%w: %s: not a DNSKEY record", ErrKeyFile, pubPath)
	}
	priv, err := pub.ReadPrivateKey(bytes.NewReader(privData), privPath)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrKeyFile, privPath, err)
	}
	signer, err := usableSigner(pub.Algorithm, priv)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrKeyFile, privPath, err)
	}
	if err := checkPair(pub, signer); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrKeyFile, privPath, err)
	}
	return &Key{DNSKEY: pub, Private: signer, Base: strings.TrimSuffix(filepath.Base(pubPath), ".key")}, nil
}

// usableSigner returns priv as a signer of alg, one of the algorithms
// signald signs with, refusing a private key of another algorithm or one
// the file left empty (the library would panic signing with it).
func usableSigner(alg uint8, priv crypto.PrivateKey) (crypto.Signer, error) {
	switch k := priv.(type) {
	case *ecdsa.PrivateKey:
		if _, err := k.Bytes(); alg == AlgECDSAP256 && k.Curve == elliptic.P256() && err == nil {
			return k, nil // Bytes refuses a zero or out-of-range scalar
		}
	case ed25519.PrivateKey:
		if alg == AlgEd25519 && len(k) == ed25519.PrivateKeySize {
			return k, nil
		}
	}
	if alg != AlgECDSAP256 && alg != AlgEd25519 {
		return nil, fmt.Errorf("algorithm %d: signald signs with %d (ECDSA P-256) or %d (Ed25519)", alg, AlgECDSAP256, AlgEd25519)
	}
	return nil, fmt.Errorf("no usable %s private key", dns.AlgorithmToString[alg])
}

// checkPair signs a probe RRset and verifies it with the public key, so a
// .private that does not belong to its .key is caught at load.
func checkPair(pub *dns.DNSKEY, priv crypto.Signer) error {
	probe := &dns.TXT{Hdr: dns.RR_Header{Name: pub.Hdr.Name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 1}, Txt: []string{"probe"}}
	sig := &dns.RRSIG{Hdr: dns.RR_Header{Name: pub.Hdr.Name, Rrtype: dns.TypeRRSIG, Class: dns.ClassINET, Ttl: 1},
		Algorithm: pub.Algorithm, SignerName: pub.Hdr.Name, KeyTag: pub.KeyTag(), Inception: 1, Expiration: 2}
	if err := sig.Sign(priv, []dns.RR{probe}); err != nil {
		return fmt.Errorf("private key does not sign: %v", err)
	}
	if err := sig.Verify(pub, []dns.RR{probe}); err != nil {
		return errors.New("private key does not match the public key")
	}
	return nil
}

func stripComments(data []byte) string {
	var out []string
	for _, line := range bytes.Split(data, []byte("\n")) {
		s := strings.TrimSpace(string(line))
		if s != "" && !strings.HasPrefix(s, ";") {
			out = append(out, s)
		}
	}
	return strings.Join(out, "\n")
}

// LoadDir loads every key of zone in dir, KSKs first, then by tag.
func LoadDir(dir, zone string) ([]*Key, error) {
	pattern := filepath.Join(dir, "K"+dns.CanonicalName(zone)+"+*.key")
	paths, err := filepath.Glob(pattern)
	if err != nil {
		return nil, fmt.Errorf("keys in %s: %w", dir, err)
	}
	keys := make([]*Key, 0, len(paths))
	for _, p := range paths {
		k, err := Load(p)
		if err != nil {
			return nil, err
		}
		if k.DNSKEY.Hdr.Name != dns.CanonicalName(zone) {
			return nil, fmt.Errorf("%w: %s: key is for %s, not %s", ErrKeyFile, p, k.DNSKEY.Hdr.Name, zone)
		}
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].KSK() != keys[j].KSK() {
			return keys[i].KSK()
		}
		return keys[i].Tag() < keys[j].Tag()
	})
	return keys, nil
}

// DS returns the SHA-256 DS record of k for the parent zone.
func (k *Key) DS() *dns.DS { return k.DNSKEY.ToDS(dns.SHA256) }

// DNSKEYTTL is the TTL of generated DNSKEY records.
const DNSKEYTTL = 3600

// ParseAlgorithm maps a configuration name to an algorithm number.
func ParseAlgorithm(name string) (uint8, error) {
	switch strings.ToLower(name) {
	case "ecdsap256", "ecdsap256sha256", "13":
		return AlgECDSAP256, nil
	case "ed25519", "15":
		return AlgEd25519, nil
	}
	return 0, fmt.Errorf("algorithm %q: use ecdsap256 or ed25519", name)
}

// RetiredDir is the subdirectory of the key directory that retired keys
// are moved to; LoadDir does not read it.
const RetiredDir = "retired"

// Retire moves the key of zone with tag out of dir into dir/retired, so the
// next load (SIGHUP) neither publishes nor signs with it. The files are
// kept, never deleted.
func Retire(dir, zone string, tag uint16) (*Key, error) {
	keys, err := LoadDir(dir, zone)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		if k.Tag() != tag {
			continue
		}
		if len(keys) == 1 {
			return nil, fmt.Errorf("key %d is the zone's only key; generate its successor first", tag)
		}
		to := filepath.Join(dir, RetiredDir)
		if err := os.MkdirAll(to, 0o700); err != nil {
			return nil, err
		}
		for _, ext := range []string{".key", ".private"} {
			if err := os.Rename(filepath.Join(dir, k.Base+ext), filepath.Join(to, k.Base+ext)); err != nil {
				return nil, fmt.Errorf("retire key %d: %w", tag, err)
			}
		}
		return k, nil
	}
	return nil, fmt.Errorf("no key with tag %d for %s in %s", tag, zone, dir)
}
