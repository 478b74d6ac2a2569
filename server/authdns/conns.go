package authdns

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// admitRetry is how often an accepted connection that found every slot
// busy checks again (a connection ending wakes it sooner).
const admitRetry = 50 * time.Millisecond

var (
	// errAllBusy: at the connection cap, with no idle connection to close.
	errAllBusy = errors.New("every TCP connection is busy")
	// errEvicted ends a connection closed to make room for a new one.
	errEvicted = errors.New("closed to make room")
)

// Idle states of a tcpConn besides "idle since" (unix nanoseconds, > 0).
const (
	connBusy    = 0  // reading or answering a message
	connEvicted = -1 // closed by connSet.admit
)

// tcpConn is an open TCP connection and whether it waits for a query.
type tcpConn struct {
	net.Conn
	state atomic.Int64 // connBusy, connEvicted, or idle since (unix ns)
}

// idle marks c as waiting for the length of its next query, so it may be
// closed to make room. Its read deadline must be set before, so that the
// Close of an eviction cannot be overtaken by a new deadline.
func (c *tcpConn) idle() { c.state.Store(time.Now().UnixNano()) }

// busy marks c as reading a message again; false means it was evicted.
func (c *tcpConn) busy() bool {
	for {
		v := c.state.Load()
		if v == connEvicted {
			return false
		}
		if c.state.CompareAndSwap(v, connBusy) {
			return true
		}
	}
}

// evict closes c if it is idle; it reports whether it did.
func (c *tcpConn) evict(idleSince int64) bool {
	if idleSince <= 0 || !c.state.CompareAndSwap(idleSince, connEvicted) {
		return false
	}
	c.Close()
	return true
}

// connSet tracks open TCP connections for the cap and for shutdown.
type connSet struct {
	mu     sync.Mutex
	conns  map[*tcpConn]struct{}
	closed bool
	freed  chan struct{} // a slot freed (buffered, never closed)
}

func newConnSet() *connSet {
	return &connSet{conns: map[*tcpConn]struct{}{}, freed: make(chan struct{}, 1)}
}

// admit registers c under the cap of max connections. At the cap it first
// closes the connection idle the longest and returns it; with none idle
// it fails with errAllBusy. After shutdown began it fails with
// net.ErrClosed.
//
// Evicting the longest idle (as unbound does under pressure, RFC 7766
// §6.2.3) rather than refusing new connections means idle or trickling
// connections cannot keep real clients out: a slow-loris connection is
// idle from its last answer until its next length prefix is complete, and
// reading the rest of a message is bounded by TCPReadTimeout.
func (cs *connSet) admit(c *tcpConn, max int) (evicted *tcpConn, err error) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.closed {
		return nil, net.ErrClosed
	}
	if len(cs.conns) >= max {
		if evicted = cs.evictIdlest(); evicted == nil {
			return nil, errAllBusy
		}
	}
	cs.conns[c] = struct{}{}
	return evicted, nil
}

// evictIdlest closes and forgets the connection idle the longest; nil
// when none is idle. Called with mu held.
func (cs *connSet) evictIdlest() *tcpConn {
	for {
		var oldest *tcpConn
		var since int64
		for c := range cs.conns {
			if v := c.state.Load(); v > 0 && (oldest == nil || v < since) {
				oldest, since = c, v
			}
		}
		if oldest == nil {
			return nil
		}
		if oldest.evict(since) {
			delete(cs.conns, oldest)
			return oldest
		}
		// It became busy (or idle again) meanwhile: look again.
	}
}

// remove forgets c and wakes an admission waiting for a slot.
func (cs *connSet) remove(c *tcpConn) {
	cs.mu.Lock()
	delete(cs.conns, c)
	cs.mu.Unlock()
	select {
	case cs.freed <- struct{}{}:
	default:
	}
}

// expireAll stops new connections and wakes every connection blocked in a
// read, so it ends after the query in hand.
func (cs *connSet) expireAll() {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.closed = true
	for c := range cs.conns {
		c.SetReadDeadline(time.Now())
	}
}

// closeAll closes every connection still open.
func (cs *connSet) closeAll() {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	for c := range cs.conns {
		c.Close()
	}
}
