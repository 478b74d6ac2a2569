package rrl

import (
	"hash/maphash"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults, as NSD's: 200 responses per second per /24, slip 2.
const (
	DefaultRate      = 200
	DefaultSlip      = 2
	DefaultIPv4Bits  = 24
	DefaultIPv6Bits  = 56
	DefaultTableSize = 1 << 16
	// logEvery bounds the log lines about one prefix.
	logEvery = time.Minute
	shards   = 64
)

// Action says what to do with a response.
type Action uint8

// Actions.
const (
	Send     Action = iota // within the limit
	Drop                   // over the limit: send nothing
	Truncate               // over the limit, slipped: send a truncated answer
)

// Config tunes the limiter.
type Config struct {
	Rate      int            // responses per second per prefix; 0 disables limiting
	Burst     int            // bucket depth; 0 = Rate (a one-second window)
	Slip      int            // every Slip-th limited response is truncated; 0 = drop all, 1 = truncate all
	IPv4Bits  int            // prefix length for IPv4 sources
	IPv6Bits  int            // prefix length for IPv6 sources
	TableSize int            // buckets (rounded up to a multiple of the shard count)
	Exempt    []netip.Prefix // sources never limited
}

// Limiter is safe for concurrent use.
type Limiter struct {
	cfg    Config
	seed   maphash.Seed
	shards [shards]shard

	limited, slipped, dropped atomic.Uint64
}

type shard struct {
	mu      sync.Mutex
	buckets []bucket
}

type bucket struct {
	prefix  netip.Prefix
	tokens  float64
	last    int64 // unix nanos of the last refill
	limited uint64
	logged  int64 // unix nanos of the last log line about this prefix
}

// New returns a limiter with defaults applied to zero fields.
func New(cfg Config) *Limiter {
	if cfg.Burst == 0 {
		cfg.Burst = cfg.Rate
	}
	if cfg.IPv4Bits == 0 {
		cfg.IPv4Bits = DefaultIPv4Bits
	}
	if cfg.IPv6Bits == 0 {
		cfg.IPv6Bits = DefaultIPv6Bits
	}
	if cfg.TableSize <= 0 {
		cfg.TableSize = DefaultTableSize
	}
	l := &Limiter{cfg: cfg, seed: maphash.MakeSeed()}
	per := (cfg.TableSize + shards - 1) / shards
	for i := range l.shards {
		l.shards[i].buckets = make([]bucket, per)
	}
	return l
}

// Enabled reports whether the limiter limits anything.
func (l *Limiter) Enabled() bool { return l != nil && l.cfg.Rate > 0 }

// Prefix returns the prefix src is accounted under.
func (l *Limiter) Prefix(src netip.Addr) netip.Prefix {
	src = src.Unmap()
	bits := l.cfg.IPv6Bits
	if src.Is4() {
		bits = l.cfg.IPv4Bits
	}
	p, _ := src.Prefix(bits)
	return p
}

// Decide accounts one response to src at now and says what to do with it.
// log is true when the caller should log that this prefix is limited (at
// most once a minute per prefix).
func (l *Limiter) Decide(src netip.Addr, now time.Time) (a Action, log bool) {
	if !l.Enabled() || l.exempt(src) {
		return Send, false
	}
	p := l.Prefix(src)
	h := maphash.Comparable(l.seed, p)
	sh := &l.shards[h%shards]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	b := &sh.buckets[(h/shards)%uint64(len(sh.buckets))]
	ns := now.UnixNano()
	if b.prefix != p { // empty or taken over from another prefix
		*b = bucket{prefix: p, tokens: float64(l.cfg.Burst), last: ns}
	}
	b.tokens = min(float64(l.cfg.Burst), b.tokens+float64(ns-b.last)/1e9*float64(l.cfg.Rate))
	b.last = ns
	if b.tokens >= 1 {
		b.tokens--
		return Send, false
	}
	b.limited++
	l.limited.Add(1)
	if ns-b.logged >= int64(logEvery) {
		b.logged, log = ns, true
	}
	if l.cfg.Slip > 0 && b.limited%uint64(l.cfg.Slip) == 0 {
		l.slipped.Add(1)
		return Truncate, log
	}
	l.dropped.Add(1)
	return Drop, log
}

func (l *Limiter) exempt(src netip.Addr) bool {
	src = src.Unmap()
	for _, p := range l.cfg.Exempt {
		if p.Contains(src) {
			return true
		}
	}
	return false
}

// Stats are counters since start.
type Stats struct{ Limited, Slipped, Dropped uint64 }

// Stats returns the counters.
func (l *Limiter) Stats() Stats {
	if l == nil {
		return Stats{}
	}
	return Stats{Limited: l.limited.Load(), Slipped: l.slipped.Load(), Dropped: l.dropped.Load()}
}
