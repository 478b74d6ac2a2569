//go:build linux

package authdns

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// udpSocketCount is how many UDP sockets serve workers workers: one each.
// The runtime lets one goroutine at a time read a socket, and one write it
// (RawConn.Read holds the socket's read lock while it waits for data), so
// workers sharing a socket would take turns for the system calls, which
// are most of the cost of an answer; with a socket each, bound with
// SO_REUSEPORT, the kernel spreads clients over the sockets by address
// and port, and the workers run side by side on as many cores.
func udpSocketCount(workers int) int { return max(workers, 1) }

// reusePort sets SO_REUSEPORT on a socket before it is bound. Only
// sockets of the same user can join the group.
func reusePort(_, _ string, c syscall.RawConn) error {
	var serr error
	if err := c.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
	}); err != nil {
		return err
	}
	if serr != nil {
		return fmt.Errorf("SO_REUSEPORT: %w", serr)
	}
	return nil
}

// udpWorker answers conn a batch at a time until it is closed: one
// recvmmsg takes what is queued, up to udpBatchSize datagrams; each is
// answered on its own (answerDatagram); one sendmmsg sends the answers.
func (s *Server) udpWorker(conn *net.UDPConn) {
	b, err := newUDPBatch(conn, s.cfg.MaxUDPSize)
	if err != nil {
		s.log.Error("udp worker", "err", err)
		return
	}
	for {
		n, err := b.read()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			s.log.Debug("udp read", "err", err)
			continue
		}
		queued := 0
		for i := range n {
			msg, from, cut := b.datagram(i)
			if resp := s.answerDatagram(b.answerBuf(i), msg, from, cut); len(resp) > 0 {
				b.queue(queued, i, resp)
				queued++
			}
		}
		if err := b.write(queued, s.log); err != nil {
			return // closed
		}
	}
}

// udpBatch is one worker's state for recvmmsg and sendmmsg, allocated once:
// per slot a query buffer of udpQueryMax bytes, the source address, and an
// answer buffer of MaxUDPSize bytes (an answer that grows past it, which
// only the rare TSIG path could, is reallocated by append and still sent).
// The system calls are raw (see recvmmsg); the socket is non-blocking and
// RawConn waits for it in the runtime's poller.
type udpBatch struct {
	raw     syscall.RawConn
	recv    [udpBatchSize]unix.Mmsghdr
	recvIov [udpBatchSize]unix.Iovec
	names   [udpBatchSize][unix.SizeofSockaddrInet6]byte
	send    [udpBatchSize]unix.Mmsghdr
	sendIov [udpBatchSize]unix.Iovec
	sendOf  [udpBatchSize]int // the slot each queued answer answers
	in, out []byte
	outSlot int

	// Results of the last call, set by the callbacks.
	n, total, sent int
	errno          syscall.Errno
	recvFn, sendFn func(fd uintptr) bool // bound once: no closure per call
}

func newUDPBatch(conn *net.UDPConn, maxAnswer int) (*udpBatch, error) {
	raw, err := conn.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("udp socket: %w", err)
	}
	b := &udpBatch{
		raw:     raw,
		in:      make([]byte, udpBatchSize*udpQueryMax),
		out:     make([]byte, udpBatchSize*maxAnswer),
		outSlot: maxAnswer,
	}
	for i := range udpBatchSize {
		b.recvIov[i].Base = &b.in[i*udpQueryMax]
		b.recvIov[i].SetLen(udpQueryMax)
		h := &b.recv[i].Hdr
		h.Name = &b.names[i][0]
		h.Iov = &b.recvIov[i]
		h.SetIovlen(1)
		b.send[i].Hdr.Iov = &b.sendIov[i]
		b.send[i].Hdr.SetIovlen(1)
	}
	b.recvFn, b.sendFn = b.recvmmsg, b.sendmmsg
	return b, nil
}

// read waits for datagrams and takes up to udpBatchSize of them.
func (b *udpBatch) read() (int, error) {
	for i := range b.recv {
		b.recv[i].Hdr.Namelen = unix.SizeofSockaddrInet6 // the kernel overwrites it
	}
	b.n, b.errno = 0, 0
	if err := b.raw.Read(b.recvFn); err != nil {
		return 0, err
	}
	if b.errno != 0 {
		return 0, os.NewSyscallError("recvmmsg", b.errno)
	}
	return b.n, nil
}

// recvmmsg is the RawConn.Read callback; false means "wait until readable".
// It makes a raw system call, one that does not tell the scheduler it is in
// a system call: on a non-blocking socket it cannot block, and when the
// scheduler is told, sysmon takes the P away from a worker that is in a
// long sendmmsg and wakes another thread for it, which costs more than
// the call (see doc.go).
func (b *udpBatch) recvmmsg(fd uintptr) bool {
	for {
		n, _, errno := unix.RawSyscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&b.recv[0])), udpBatchSize, unix.MSG_DONTWAIT, 0, 0)
		switch errno {
		case 0:
			b.n = int(n)
			return true
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return false
		}
		b.errno = errno
		return true
	}
}

// datagram returns slot i of the last read: the message (cut when it was
// longer than udpQueryMax), and its source.
func (b *udpBatch) datagram(i int) (msg []byte, from netip.Addr, cut bool) {
	h := &b.recv[i]
	start := i * udpQueryMax
	msg = b.in[start : start+int(h.Len) : start+udpQueryMax]
	return msg, sockaddrPort(b.names[i][:]).Addr(), h.Hdr.Flags&unix.MSG_TRUNC != 0
}

// answerBuf is the empty answer buffer of slot i.
func (b *udpBatch) answerBuf(i int) []byte {
	start := i * b.outSlot
	return b.out[start:start:(start + b.outSlot)]
}

// queue makes resp, the answer to slot i, the j-th message to send.
func (b *udpBatch) queue(j, i int, resp []byte) {
	b.sendOf[j] = i
	h := &b.send[j].Hdr
	h.Name = &b.names[i][0]
	h.Namelen = b.recv[i].Hdr.Namelen
	b.sendIov[j].Base = &resp[0]
	b.sendIov[j].SetLen(len(resp))
}

// write sends the first n queued answers. An answer the kernel refuses is
// logged at debug level and skipped, so it never holds up the others. It
// returns an error only when the socket is closed.
func (b *udpBatch) write(n int, log *slog.Logger) error {
	b.total, b.sent = n, 0
	for b.sent < b.total {
		b.errno = 0
		if err := b.raw.Write(b.sendFn); err != nil {
			return err
		}
		if b.errno != 0 {
			log.Debug("udp write", "to", sockaddrPort(b.names[b.sendOf[b.sent]][:]), "err", b.errno)
			b.sent++
		}
	}
	return nil
}

// sendmmsg is the RawConn.Write callback, raw as recvmmsg is. It sends
// from b.sent on; it stops at an error (in b.errno, with b.sent the
// message that failed) or when the socket buffer is full (false).
func (b *udpBatch) sendmmsg(fd uintptr) bool {
	for b.sent < b.total {
		n, _, errno := unix.RawSyscall6(unix.SYS_SENDMMSG, fd, uintptr(unsafe.Pointer(&b.send[b.sent])), uintptr(b.total-b.sent), unix.MSG_DONTWAIT, 0, 0)
		switch {
		case errno == 0 && n > 0:
			b.sent += int(n)
		case errno == unix.EINTR:
		case errno == unix.EAGAIN:
			return false
		default:
			if errno == 0 {
				errno = unix.EIO // sent nothing and said nothing: never seen
			}
			b.errno = errno
			return true
		}
	}
	return true
}

// sockaddrPort decodes a sockaddr_in or sockaddr_in6 as the kernel wrote
// it; an IPv4 source on an IPv6 socket stays IPv4-mapped, as
// ReadFromUDPAddrPort returns it. The IPv6 scope is dropped.
func sockaddrPort(sa []byte) netip.AddrPort {
	if len(sa) < unix.SizeofSockaddrInet6 {
		return netip.AddrPort{}
	}
	port := binary.BigEndian.Uint16(sa[2:4])
	switch binary.NativeEndian.Uint16(sa[0:2]) {
	case unix.AF_INET:
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte(sa[4:8])), port)
	case unix.AF_INET6:
		return netip.AddrPortFrom(netip.AddrFrom16([16]byte(sa[8:24])), port)
	}
	return netip.AddrPort{}
}
