package checker

import (
	"context"
	"sync"
)

// Concurrency defaults.
const (
	// DefaultConcurrency bounds the probes in flight at once.
	DefaultConcurrency = 64
	// DefaultPerHost bounds the probes in flight to one host, so a slow
	// or hostile mirror holds at most this many of the global slots, each
	// for at most the probe timeout.
	DefaultPerHost = 2
)

// hostLimit is a semaphore per host, made on first use and dropped when
// no probe holds or waits for it.
type hostLimit struct {
	mu    sync.Mutex
	per   int
	hosts map[string]*hostSem
}

type hostSem struct {
	slots chan struct{}
	users int
}

func newHostLimit(per int) *hostLimit {
	return &hostLimit{per: per, hosts: map[string]*hostSem{}}
}

// acquire takes a slot of host; the returned release gives it back. It
// fails only when ctx ends.
func (h *hostLimit) acquire(ctx context.Context, host string) (release func(), err error) {
	h.mu.Lock()
	s := h.hosts[host]
	if s == nil {
		s = &hostSem{slots: make(chan struct{}, h.per)}
		h.hosts[host] = s
	}
	s.users++
	h.mu.Unlock()
	done := func() {
		h.mu.Lock()
		if s.users--; s.users == 0 {
			delete(h.hosts, host)
		}
		h.mu.Unlock()
	}
	select {
	case s.slots <- struct{}{}:
		return func() { <-s.slots; done() }, nil
	case <-ctx.Done():
		done()
		return nil, ctx.Err()
	}
}

// acquire takes a slot of a plain semaphore.
func acquire(ctx context.Context, sem chan struct{}) (release func(), err error) {
	select {
	case sem <- struct{}{}:
		return func() { <-sem }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
