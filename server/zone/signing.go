package zone

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/authdns"
	"github.com/mirrorsignal/mirrorsignal/server/config"
	"github.com/mirrorsignal/mirrorsignal/server/dnssec"
)

// typeTXT is the TXT RR type number (RFC 1035).
const typeTXT = 16

// signing holds the keys and the signatures last served. Its fields are
// guarded by Zone.mu.
type signing struct {
	signal dnssec.SetKey
	signer dnssec.Signer
	sigs   dnssec.Signatures
}

func newSigning(cfg *config.Config, keys []*dnssec.Key) *signing {
	s := &signing{signal: dnssec.SetKey{Name: cfg.Zone.SignalName, Type: typeTXT}}
	s.setKeys(cfg.Zone.Origin, keys)
	return s
}

// setKeys replaces the keys; the signal TXT gets the heartbeat policy,
// every other RRset the default one.
func (s *signing) setKeys(origin string, keys []*dnssec.Key) {
	s.signer = dnssec.Signer{Zone: origin, Keys: keys, PolicyFor: s.policyFor}
}

func (s *signing) policyFor(k dnssec.SetKey) dnssec.Policy {
	if k == s.signal {
		return dnssec.SignalPolicy()
	}
	return dnssec.DefaultPolicy()
}

// sign adds the signing part to content, reusing signatures still fresh.
func (s *signing) sign(content *authdns.Zone, now time.Time) (DNSSEC, error) {
	content.DNSSEC = &authdns.Signing{Keys: s.signer.Keys}
	sets, err := content.RRsets()
	if err != nil {
		return DNSSEC{}, err
	}
	sigs, err := s.signer.Sign(sets, s.sigs, now)
	if err != nil {
		return DNSSEC{}, err
	}
	content.DNSSEC.Sigs = sigs
	s.sigs = sigs
	tags := make([]uint16, len(s.signer.Keys))
	for i, k := range s.signer.Keys {
		tags[i] = k.Tag()
	}
	return DNSSEC{Signed: true, KeyTags: tags}, nil
}

// loadKeys reads the zone's keys, generating one combined key first when
// the directory has none and generation is configured.
func loadKeys(cfg *config.Config, log *slog.Logger) ([]*dnssec.Key, error) {
	dir, zone := cfg.KeyDir(), cfg.Zone.Origin
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("dnssec.key_dir: %w", err)
	}
	keys, err := dnssec.LoadDir(dir, zone)
	if err != nil || len(keys) > 0 || !cfg.DNSSEC.Generate {
		if err == nil && len(keys) == 0 {
			err = fmt.Errorf("dnssec: no keys for %s in %s (run: signalctl keys generate, or set dnssec.generate)", zone, dir)
		}
		return keys, err
	}
	alg, err := dnssec.ParseAlgorithm(cfg.DNSSEC.Algorithm)
	if err != nil {
		return nil, err
	}
	k, err := dnssec.Generate(zone, alg, dnssec.FlagKSK, dnssec.DNSKEYTTL)
	if err != nil {
		return nil, err
	}
	if err := k.Write(dir); err != nil {
		return nil, err
	}
	log.Info("generated a combined signing key", "key", k.Base, "ds", k.DS().String())
	return []*dnssec.Key{k}, nil
}

// ReloadKeys re-reads the key directory (on SIGHUP) and re-signs the zone
// with the keys found. When the directory cannot be read, or holds a bad
// key file, the zone keeps its current keys and the error is returned.
func (z *Zone) ReloadKeys(ctx context.Context) error {
	if z.signing == nil {
		return nil
	}
	keys, err := dnssec.LoadDir(z.cfg.KeyDir(), z.cfg.Zone.Origin)
	if err == nil && len(keys) == 0 {
		err = fmt.Errorf("dnssec: no keys in %s", z.cfg.KeyDir())
	}
	if err != nil {
		return fmt.Errorf("reload keys, keeping the current ones: %w", err)
	}
	z.mu.Lock()
	z.signing.setKeys(z.cfg.Zone.Origin, keys)
	z.mu.Unlock()
	tags := make([]uint16, len(keys))
	for i, k := range keys {
		tags[i] = k.Tag()
	}
	z.log.Info("keys reloaded", "tags", tags)
	return z.Resign(ctx)
}
