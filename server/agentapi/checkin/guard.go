package checkin

import (
	"sync"
	"time"
)

// verdict is the guard's answer for an authenticated check-in.
type verdict int

const (
	admitted verdict = iota
	replayed
	limited
)

// guard remembers, per mirror, the signatures seen while their timestamps
// are inside the window, and a GCRA token bucket: tat is the time at which
// the bucket would be full again.
type guard struct {
	mu      sync.Mutex
	mirrors map[string]*mirrorState
}

type mirrorState struct {
	tat  time.Time
	seen map[signature]time.Time // → when the timestamp leaves the window
}

func newGuard() *guard { return &guard{mirrors: make(map[string]*mirrorState)} }

// admit refuses a signature seen before, then one over the rate limit
// (with how long to wait), and otherwise remembers the signature.
func (g *guard) admit(mirror string, sig signature, ts int64, now time.Time) (verdict, time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.forget(now)
	s := g.mirrors[mirror]
	if s == nil {
		s = &mirrorState{seen: make(map[signature]time.Time)}
		g.mirrors[mirror] = s
	}
	if _, dup := s.seen[sig]; dup {
		return replayed, 0
	}
	tat := s.tat
	if tat.Before(now) {
		tat = now
	}
	tat = tat.Add(RateEvery)
	if over := tat.Sub(now) - RateBurst*RateEvery; over > 0 {
		return limited, over
	}
	s.tat = tat
	s.seen[sig] = time.Unix(ts, 0).Add(MaxSkew)
	return admitted, 0
}

// forget drops expired signatures, and mirrors left with nothing to
// remember, so memory stays bounded by the mirrors checking in now.
func (g *guard) forget(now time.Time) {
	for name, s := range g.mirrors {
		for sig, until := range s.seen {
			if now.After(until) {
				delete(s.seen, sig)
			}
		}
		if len(s.seen) == 0 && !s.tat.After(now) {
			delete(g.mirrors, name)
		}
	}
}
