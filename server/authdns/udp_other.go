//go:build !linux

package authdns

import (
	"errors"
	"net"
	"syscall"
)

// udpSocketCount: elsewhere all workers share one socket.
func udpSocketCount(int) int { return 1 }

// reusePort is never needed with one socket.
func reusePort(_, _ string, _ syscall.RawConn) error { return nil }

// udpWorker answers packets from conn one at a time until it is closed.
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
		resp := s.answerDatagram(out[:0], in[:n], from.Addr(), false)
		if resp == nil {
			continue
		}
		if _, err := conn.WriteToUDPAddrPort(resp, from); err != nil && !errors.Is(err, net.ErrClosed) {
			s.log.Debug("udp write", "to", from, "err", err)
		}
	}
}
