package authdns

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"
	"time"

	"golang.org/x/net/netutil"
)

// tcpBufSize is the read and write buffer of a TCP connection: enough for
// a burst of pipelined queries and answers per system call.
const tcpBufSize = 4096

// limitConns caps the connections ln hands out at MaxTCPConns; a
// connection beyond the cap waits in the kernel's accept queue.
func (s *Server) limitConns(ln net.Listener) net.Listener {
	return netutil.LimitListener(ln, s.cfg.MaxTCPConns)
}

// serveTCP accepts connections until ln is closed.
func (s *Server) serveTCP(ln net.Listener) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			if isTemporary(err) {
				s.log.Warn("tcp accept", "err", err)
				time.Sleep(acceptBackoff)
				continue
			}
			return err
		}
		if !s.conns.add(c) {
			c.Close()
			continue
		}
		wg.Go(func() {
			defer s.conns.remove(c)
			defer c.Close()
			s.serveConn(c)
		})
	}
}

// isTemporary reports an Accept error worth retrying (EMFILE, ECONNABORTED…).
func isTemporary(err error) bool {
	var ne interface{ Temporary() bool }
	return errors.As(err, &ne) && ne.Temporary()
}

// serveConn answers length-prefixed queries on c (RFC 7766) in order until
// the client closes, goes idle, or reaches MaxTCPQueries. Answers to
// pipelined queries are flushed together. Zone transfers and signed
// queries take the slow path (see transfer.go and tsig.go).
func (s *Server) serveConn(c net.Conn) {
	r := bufio.NewReaderSize(c, tcpBufSize)
	w := bufio.NewWriterSize(c, tcpBufSize)
	var msg, buf []byte
	for n := 0; s.cfg.MaxTCPQueries == 0 || n < s.cfg.MaxTCPQueries; n++ {
		var err error
		if msg, err = s.readMsg(c, r, msg); err != nil {
			break
		}
		if slowPath(msg) {
			// A transfer or a signed query: answered in order, after
			// whatever is buffered.
			if s.flush(c, w) != nil || s.serveSlow(c, w, msg) != nil {
				return
			}
			continue
		}
		out := s.handle(append(buf[:0], 0, 0), msg, true)
		if out == nil {
			continue
		}
		buf = out
		binary.BigEndian.PutUint16(out, uint16(len(out)-2))
		if _, err := w.Write(out); err != nil {
			return
		}
		if r.Buffered() == 0 && s.flush(c, w) != nil {
			return
		}
	}
	s.flush(c, w)
}

// readMsg reads one length-prefixed message into buf. The wait for its
// first byte is bounded by the idle timeout, the rest by the read timeout.
func (s *Server) readMsg(c net.Conn, r *bufio.Reader, buf []byte) ([]byte, error) {
	if r.Buffered() < 2 {
		if err := s.setReadDeadline(c, s.cfg.TCPIdleTimeout); err != nil {
			return nil, err
		}
	}
	var prefix [2]byte
	if _, err := io.ReadFull(r, prefix[:]); err != nil {
		return nil, err
	}
	n := int(binary.BigEndian.Uint16(prefix[:]))
	if r.Buffered() < n {
		if err := s.setReadDeadline(c, s.cfg.TCPReadTimeout); err != nil {
			return nil, err
		}
	}
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	_, err := io.ReadFull(r, buf)
	return buf, err
}

// setReadDeadline sets c's read deadline to d from now, unless shutdown
// has started: then the connection ends. (Shutdown sets the flag before it
// expires the deadlines, so one of the two always wins.)
func (s *Server) setReadDeadline(c net.Conn, d time.Duration) error {
	if err := c.SetReadDeadline(time.Now().Add(d)); err != nil {
		return err
	}
	if s.closing.Load() {
		return net.ErrClosed
	}
	return nil
}

func (s *Server) flush(c net.Conn, w *bufio.Writer) error {
	if w.Buffered() == 0 {
		return nil
	}
	if err := c.SetWriteDeadline(time.Now().Add(s.cfg.TCPWriteTimeout)); err != nil {
		return err
	}
	return w.Flush()
}

// connSet tracks open TCP connections for shutdown.
type connSet struct {
	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
}

// add registers c; it returns false once shutdown has begun.
func (cs *connSet) add(c net.Conn) bool {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.closed {
		return false
	}
	if cs.conns == nil {
		cs.conns = map[net.Conn]struct{}{}
	}
	cs.conns[c] = struct{}{}
	return true
}

func (cs *connSet) remove(c net.Conn) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	delete(cs.conns, c)
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
