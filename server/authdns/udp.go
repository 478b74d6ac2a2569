package authdns

import (
	"errors"
	"net"
	"sync"
)

// startUDP starts the fixed set of goroutines that read conn. Several
// readers on one socket spread load over the cores without a goroutine per
// packet (which is what miekg's dns.Server does, unbounded). UDP work is
// bounded by construction: UDPWorkers queries in hand, each worker owning
// one 64 KiB buffer in and one out; what arrives faster waits in the
// kernel's socket buffer and is dropped by the kernel when that is full.
func (s *Server) startUDP(wg *sync.WaitGroup, conn *net.UDPConn) {
	for range s.cfg.UDPWorkers {
		wg.Go(func() { s.udpWorker(conn) })
	}
}

// udpWorker answers packets from conn until it is closed.
func (s *Server) udpWorker(conn *net.UDPConn) {
	in := make([]byte, maxMessageSize)
	out := make([]byte, 0, maxMessageSize)
	for {
		n, from, err := conn.ReadFromUDPAddrPort(in)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			s.log.Debug("udp read", "err", err)
			continue
		}
		var resp []byte
		if s.cfg.RRL == nil {
			resp = s.answerUDP(out[:0], in[:n], from.Addr())
		} else {
			resp = s.answerLimited(out[:0], in[:n], from.Addr())
		}
		if resp == nil {
			continue
		}
		if _, err := conn.WriteToUDPAddrPort(resp, from); err != nil && !errors.Is(err, net.ErrClosed) {
			s.log.Debug("udp write", "to", from, "err", err)
		}
	}
}
