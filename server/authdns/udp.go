package authdns

import (
	"errors"
	"net"
	"sync"
)

// startUDP starts the fixed set of goroutines that read conn. Several
// readers on one socket spread load over the cores without a goroutine per
// packet (which is what miekg's dns.Server does, unbounded).
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
		resp := s.answerUDP(out[:0], in[:n], from.Addr())
		if resp == nil {
			continue
		}
		if _, err := conn.WriteToUDPAddrPort(resp, from); err != nil && !errors.Is(err, net.ErrClosed) {
			s.log.Debug("udp write", "to", from, "err", err)
		}
	}
}
