//go:build !linux

package authdns

import (
	"errors"
	"net"
)

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
