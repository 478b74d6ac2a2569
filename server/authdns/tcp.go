package authdns

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"
	"time"
)

// tcpBufSize is the read and write buffer of a TCP connection: enough for
// a burst of pipelined queries and answers per system call. A message
// buffer that grew beyond it (a large query or answer) is not kept.
const tcpBufSize = 4096

// serveTCP accepts connections until ln is closed. At MaxTCPConns it makes
// room by closing the connection idle the longest (see connSet.admit);
// when every connection is busy, the new one waits for a slot and the
// connections behind it wait in the kernel's accept queue.
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
		tc := &tcpConn{Conn: c}
		tc.idle() // until its first length prefix arrives
		if !s.admit(tc) {
			c.Close()
			continue
		}
		wg.Go(func() {
			defer s.conns.remove(tc)
			defer c.Close()
			s.serveConn(tc)
		})
	}
}

// admit registers c, waiting while every connection is busy. It returns
// false once shutdown has begun.
func (s *Server) admit(c *tcpConn) bool {
	for {
		evicted, err := s.conns.admit(c, s.cfg.MaxTCPConns)
		switch {
		case err == nil:
			if evicted != nil {
				s.log.Debug("tcp connection cap reached: closed the connection idle longest", "closed", evicted.RemoteAddr())
			}
			return true
		case errors.Is(err, net.ErrClosed):
			return false
		}
		t := time.NewTimer(admitRetry)
		select {
		case <-s.conns.freed:
		case <-t.C:
		}
		t.Stop()
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
//
// One query is answered at a time: a connection holds at most one query
// in hand, tcpBufSize of read-ahead and tcpBufSize of unsent answers; a
// client that pipelines more waits on TCP flow control, and one that
// does not read its answers is closed after TCPWriteTimeout.
func (s *Server) serveConn(c *tcpConn) {
	r := bufio.NewReaderSize(c, tcpBufSize)
	w := bufio.NewWriterSize(deadlineWriter{c, s.cfg.TCPWriteTimeout}, tcpBufSize)
	var msg, buf []byte
	for n := 0; s.cfg.MaxTCPQueries == 0 || n < s.cfg.MaxTCPQueries; n++ {
		var err error
		if msg, err = s.readMsg(c, r, msg); err != nil {
			break
		}
		if buf, err = s.answerTCP(c, w, msg, buf, r.Buffered() == 0); err != nil {
			return
		}
		buf, msg = keepSmall(buf), keepSmall(msg)
	}
	w.Flush()
}

// answerTCP writes the answer to msg to w, built in buf (returned for
// reuse), and flushes when last: nothing more is buffered to read.
func (s *Server) answerTCP(c *tcpConn, w *bufio.Writer, msg, buf []byte, last bool) ([]byte, error) {
	if isNotify(msg) {
		s.notifies.log(s.log, c.RemoteAddr().String())
	}
	if slowPath(msg) {
		// A transfer or a signed query: answered in order, after
		// whatever is buffered.
		if err := w.Flush(); err != nil {
			return buf, err
		}
		return buf, s.serveSlow(c, w, msg)
	}
	out := s.handle(append(buf[:0], 0, 0), msg, true)
	if out == nil {
		return buf, nil
	}
	binary.BigEndian.PutUint16(out, uint16(len(out)-2))
	if _, err := w.Write(out); err != nil {
		return out, err
	}
	if last {
		return out, w.Flush()
	}
	return out, nil
}

// keepSmall returns b for reuse, or nil when it grew beyond tcpBufSize,
// so that an idle connection holds little memory.
func keepSmall(b []byte) []byte {
	if cap(b) > tcpBufSize {
		return nil
	}
	return b
}

// readMsg reads one length-prefixed message into buf. The wait for its
// length is bounded by the idle timeout (and c may be evicted meanwhile),
// the rest by the read timeout.
func (s *Server) readMsg(c *tcpConn, r *bufio.Reader, buf []byte) ([]byte, error) {
	var prefix [2]byte
	if r.Buffered() < 2 {
		if err := s.setReadDeadline(c, s.cfg.TCPIdleTimeout); err != nil {
			return nil, err
		}
		c.idle()
		_, err := io.ReadFull(r, prefix[:])
		if !c.busy() {
			return nil, errEvicted
		}
		if err != nil {
			return nil, err
		}
	} else if _, err := io.ReadFull(r, prefix[:]); err != nil {
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

// deadlineWriter bounds every write to c by d, so that each flush of the
// bufio.Writer on top of it, explicit or because its buffer filled, fails
// against a client that does not read.
type deadlineWriter struct {
	c net.Conn
	d time.Duration
}

func (w deadlineWriter) Write(p []byte) (int, error) {
	if err := w.c.SetWriteDeadline(time.Now().Add(w.d)); err != nil {
		return 0, err
	}
	return w.c.Write(p)
}
