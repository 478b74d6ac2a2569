package authdns

import (
	"net/netip"
	"sync"
)

// startUDP starts the fixed set of goroutines that read the sockets:
// UDPWorkers, one per P by default, spread evenly over the sockets. UDP
// work is bounded by construction: each worker owns its buffers and holds
// at most one batch of udpBatchSize queries; what arrives faster waits in
// the kernel's socket buffer and is dropped by the kernel when that is
// full. On Linux a worker has a socket of its own and reads and answers a
// batch per system call pair (udp_linux.go); elsewhere the workers share
// one socket and answer one packet at a time (udp_other.go).
func (s *Server) startUDP(wg *sync.WaitGroup, socks udpSockets) {
	if len(socks) == 0 {
		return
	}
	for i := range s.cfg.UDPWorkers {
		conn := socks[i%len(socks)]
		wg.Go(func() { s.udpWorker(conn) })
	}
}

// answerDatagram returns the answer to one datagram appended to dst, or
// nil to send nothing. cut says that the datagram was longer than the
// buffer and msg holds only its start: that gets a bare FORMERR. A panic
// anywhere on the way costs this datagram a bare SERVFAIL and leaves the
// others of its batch alone.
func (s *Server) answerDatagram(dst, msg []byte, from netip.Addr, cut bool) (out []byte) {
	defer func() {
		if r := recover(); r != nil {
			s.panics.record(r)
			out = bare(dst, msg, rcodeServFail)
		}
	}()
	switch {
	case cut:
		return formErr(dst, msg)
	case s.cfg.RRL != nil:
		return s.answerLimited(dst, msg, from)
	}
	return s.answerUDP(dst, msg, from)
}
