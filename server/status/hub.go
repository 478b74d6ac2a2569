package status

import (
	"sync"
	"sync/atomic"
)

// Subscriber is told of every new snapshot, in order, on the caller's
// goroutine: it must return quickly (rebuild a cache, store a pointer).
type Subscriber interface {
	StatusChanged(s *Snapshot)
}

// SubscriberFunc adapts a function to Subscriber.
type SubscriberFunc func(s *Snapshot)

// StatusChanged calls f(s).
func (f SubscriberFunc) StatusChanged(s *Snapshot) { f(s) }

// Hub holds the current snapshot and hands each new one to its
// subscribers. Its methods are safe for concurrent use.
type Hub struct {
	cur  atomic.Pointer[Snapshot]
	mu   sync.Mutex // serializes Set, guards subs
	subs []Subscriber
}

// NewHub returns a hub holding an empty snapshot (Signal.Loaded false).
func NewHub() *Hub {
	h := &Hub{}
	h.cur.Store(&Snapshot{Format: Format})
	return h
}

// Current returns the snapshot last set; never nil.
func (h *Hub) Current() *Snapshot { return h.cur.Load() }

// Subscribe adds s; it is told of the current snapshot at once.
func (h *Hub) Subscribe(s Subscriber) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.subs = append(h.subs, s)
	s.StatusChanged(h.cur.Load())
}

// Set makes s the current snapshot and tells the subscribers.
func (h *Hub) Set(s *Snapshot) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.cur.Store(s)
	for _, sub := range h.subs {
		sub.StatusChanged(s)
	}
}
