package server

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/dnssec"
)

// resignCheck bounds how long the re-sign loop sleeps, so a clock jump is
// noticed within this time.
const resignCheck = 1 * time.Minute

// resignRetryMax is the longest wait between tries of a failing re-sign.
const resignRetryMax = time.Minute

// zoneSigner holds the keys and the signatures last served.
type zoneSigner struct {
	signer dnssec.Signer
	sigs   dnssec.Signatures
}

// loadKeys reads the zone's keys, generating one combined key first when
// the directory has none and generation is configured.
func (s *Signald) loadKeys() ([]*dnssec.Key, error) {
	dir, zone := s.cfg.KeyDir(), s.cfg.Zone.Origin
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("dnssec.key_dir: %w", err)
	}
	keys, err := dnssec.LoadDir(dir, zone)
	if err != nil || len(keys) > 0 || !s.cfg.DNSSEC.Generate {
		if err == nil && len(keys) == 0 {
			err = fmt.Errorf("dnssec: no keys for %s in %s (run: signalctl keys generate, or set dnssec.generate)", zone, dir)
		}
		return keys, err
	}
	alg, err := dnssec.ParseAlgorithm(s.cfg.DNSSEC.Algorithm)
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
	s.log.Info("generated a combined signing key", "component", "dnssec", "key", k.Base, "ds", k.DS().String())
	return []*dnssec.Key{k}, nil
}

func (s *Signald) newSigner(keys []*dnssec.Key) *zoneSigner {
	signal := dnssec.SetKey{Name: s.cfg.Zone.SignalName, Type: typeTXT}
	return &zoneSigner{signer: dnssec.Signer{Zone: s.cfg.Zone.Origin, Keys: keys, PolicyFor: func(k dnssec.SetKey) dnssec.Policy {
		if k == signal {
			return dnssec.SignalPolicy
		}
		return dnssec.DefaultPolicy
	}}}
}

// typeTXT is the TXT RR type number (RFC 1035), named here so the
// composition root needs no DNS library.
const typeTXT = 16

// nextResign returns when the re-sign loop should next wake.
func (s *Signald) nextResign(now time.Time) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	next := now.Add(resignCheck)
	if s.signing == nil || s.signing.sigs == nil {
		return next
	}
	refresh, _ := s.signing.signer.NextRefresh(s.signing.sigs)
	if refresh.Before(next) {
		return refresh
	}
	return next
}

// ReloadKeys re-reads the key directory (on SIGHUP) and re-signs the zone
// with the keys found. When the directory cannot be read, or holds a bad
// key file, the zone keeps its current keys and the error is returned.
func (s *Signald) ReloadKeys(ctx context.Context) error {
	if s.signing == nil {
		return nil
	}
	keys, err := dnssec.LoadDir(s.cfg.KeyDir(), s.cfg.Zone.Origin)
	if err == nil && len(keys) == 0 {
		err = fmt.Errorf("dnssec: no keys in %s", s.cfg.KeyDir())
	}
	if err != nil {
		return fmt.Errorf("reload keys, keeping the current ones: %w", err)
	}
	// Swap the signer in place: s.signing itself never changes after New,
	// so readers outside the lock may test it for nil.
	s.mu.Lock()
	s.signing.signer = s.newSigner(keys).signer
	s.mu.Unlock()
	tags := make([]uint16, len(keys))
	for i, k := range keys {
		tags[i] = k.Tag()
	}
	s.log.Info("keys reloaded", "component", "dnssec", "tags", tags)
	return s.resign(ctx)
}

// resignDue reports whether any signature served needs re-making at now.
func (s *Signald) resignDue(now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.signing != nil && s.signing.signer.NeedsRefresh(s.signing.sigs, now)
}
