package authdns

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ErrRunning reports a second Run of the same Server.
var ErrRunning = errors.New("dns server already started")

// Server serves the current Snapshot over UDP and TCP.
type Server struct {
	cfg    Config
	log    *slog.Logger
	snap   atomic.Pointer[Snapshot]
	panics panicLog

	refusals refusalLog // refused transfers and bad signatures
	notifies notifyLog  // refused NOTIFYs

	started atomic.Bool
	ready   chan struct{} // closed once both sockets are bound
	udpAddr net.Addr      // written before ready is closed
	tcpAddr net.Addr

	closing atomic.Bool // set when shutdown starts
	conns   *connSet    // open TCP connections
}

// New returns a server for cfg (zero fields take defaults; Run reports an
// invalid one). Until the first Swap it answers SERVFAIL.
func New(cfg Config, logger *slog.Logger) *Server {
	s := &Server{
		cfg:   cfg.withDefaults(),
		log:   logger.With("component", "dns"),
		ready: make(chan struct{}),
		conns: newConnSet(),
	}
	s.panics.log = s.log
	if snap, err := notReady(); err == nil {
		s.snap.Store(snap)
	} else {
		s.log.Error("build placeholder zone", "err", err) // a bug: respond falls back to a bare SERVFAIL
	}
	return s
}

// Swap makes z the zone that the next query sees. It is safe at any time,
// before Run, during it and after it; a nil z is ignored.
func (s *Server) Swap(z *Snapshot) {
	if z == nil {
		return
	}
	s.snap.Store(z)
	s.log.Debug("zone swapped", "zone", z.Origin(), "serial", z.Serial())
}

// Ready is closed once Run has bound its sockets; Addrs is valid from then.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Addrs returns the bound UDP and TCP addresses (nil for a transport that
// is disabled), or nils before Ready is closed.
func (s *Server) Addrs() (udp, tcp net.Addr) {
	select {
	case <-s.ready:
		return s.udpAddr, s.tcpAddr
	default:
		return nil, nil
	}
}

// Run serves UDP and TCP until ctx is done, then shuts down within
// ShutdownTimeout. It returns an error if it cannot listen or a listener
// fails; a Server runs once.
func (s *Server) Run(ctx context.Context) error {
	if err := s.cfg.Validate(); err != nil {
		return fmt.Errorf("dns config: %w", err)
	}
	if !s.started.CompareAndSwap(false, true) {
		return ErrRunning
	}
	udp, tcp, err := s.listen(ctx)
	if err != nil {
		return err
	}
	s.markReady(udp, tcp)

	var wg sync.WaitGroup
	failed := make(chan error, 1)
	s.startUDP(&wg, udp)
	if tcp != nil {
		wg.Go(func() {
			if err := s.serveTCP(tcp); err != nil {
				failed <- err
			}
		})
	}
	select {
	case <-ctx.Done():
	case err = <-failed:
	}
	return errors.Join(err, s.shutdown(&wg, udp, tcp))
}

// listen binds the configured sockets. When both addresses are the same
// with port 0, UDP and TCP get the same (random) port, as DNS clients that
// retry a truncated answer over TCP expect.
func (s *Server) listen(ctx context.Context) (udpSockets, net.Listener, error) {
	n := udpSocketCount(s.cfg.UDPWorkers)
	if s.cfg.UDPAddr != "" && s.cfg.UDPAddr == s.cfg.TCPAddr && strings.HasSuffix(s.cfg.UDPAddr, ":0") {
		return listenSamePort(ctx, s.cfg.UDPAddr, n)
	}
	var udp udpSockets
	if s.cfg.UDPAddr != "" {
		var err error
		if udp, err = listenUDP(ctx, s.cfg.UDPAddr, n); err != nil {
			return nil, nil, err
		}
	}
	if s.cfg.TCPAddr == "" {
		return udp, nil, nil
	}
	ln, err := listenTCP(ctx, s.cfg.TCPAddr)
	if err != nil {
		udp.Close()
		return nil, nil, err
	}
	return udp, ln, nil
}

// listenSamePort binds TCP on a random port of addr's host, then n UDP
// sockets on the same port, retrying with another port when that UDP port
// is taken.
func listenSamePort(ctx context.Context, addr string, n int) (udpSockets, net.Listener, error) {
	var err error
	for range samePortAttempts {
		var ln net.Listener
		if ln, err = listenTCP(ctx, addr); err != nil {
			return nil, nil, err
		}
		var udp udpSockets
		if udp, err = listenUDP(ctx, ln.Addr().String(), n); err == nil {
			return udp, ln, nil
		}
		ln.Close()
	}
	return nil, nil, err
}

// udpSockets are the UDP sockets bound to the one address: one, or on
// Linux one per worker, all with SO_REUSEPORT (udp_linux.go).
type udpSockets []*net.UDPConn

// listenUDP binds n UDP sockets to addr; n > 1 sets SO_REUSEPORT on each,
// and when addr's port is 0 the others take the port the first got.
func listenUDP(ctx context.Context, addr string, n int) (udpSockets, error) {
	var lc net.ListenConfig
	if n > 1 {
		lc.Control = reusePort
	}
	var socks udpSockets
	for range n {
		pc, err := lc.ListenPacket(ctx, "udp", addr)
		if err != nil {
			socks.Close()
			return nil, fmt.Errorf("dns listen udp: %w", err)
		}
		socks = append(socks, pc.(*net.UDPConn))
		addr = pc.LocalAddr().String()
	}
	return socks, nil
}

// Close closes every socket.
func (u udpSockets) Close() {
	for _, c := range u {
		c.Close()
	}
}

func listenTCP(ctx context.Context, addr string) (net.Listener, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dns listen tcp: %w", err)
	}
	return ln, nil
}

func (s *Server) markReady(udp udpSockets, tcp net.Listener) {
	if len(udp) > 0 {
		s.udpAddr = udp[0].LocalAddr()
	}
	if tcp != nil {
		s.tcpAddr = tcp.Addr()
	}
	close(s.ready)
	s.log.Info("dns listening", "udp", s.udpAddr, "tcp", s.tcpAddr)
}

// shutdown closes the sockets, lets TCP connections finish the query in
// hand, and force-closes whatever is left after ShutdownTimeout.
func (s *Server) shutdown(wg *sync.WaitGroup, udp udpSockets, tcp net.Listener) error {
	s.closing.Store(true)
	udp.Close()
	if tcp != nil {
		tcp.Close()
	}
	s.conns.expireAll()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		s.log.Info("dns stopped")
		return nil
	case <-time.After(s.cfg.ShutdownTimeout):
	}
	s.conns.closeAll()
	<-done
	return fmt.Errorf("dns shutdown: TCP connections still busy after %s, closed", s.cfg.ShutdownTimeout)
}

// handle answers one message, recovering from a panic with a bare SERVFAIL.
func (s *Server) handle(dst, msg []byte, tcp bool) (out []byte) {
	defer func() {
		if r := recover(); r != nil {
			s.panics.record(r)
			out = bare(dst, msg, rcodeServFail)
		}
	}()
	return s.snap.Load().respond(dst, msg, s.cfg.MaxUDPSize, tcp)
}
