package authdns

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/miekg/dns"
)

// Signed queries and zone transfers leave the precomputed path: they are
// rare, and each needs a dns.Msg, a signature check and a signed answer
// (RFC 8945). An ordinary signed query (a secondary's SOA check) is
// answered by the normal path, then signed.

// errPanic ends a TCP connection whose slow-path message panicked.
var errPanic = errors.New("panic on the slow path")

// request is a message on the slow path: a transfer or a signed query.
type request struct {
	raw     []byte
	msg     *dns.Msg
	from    netip.Addr
	tsig    *dns.TSIG // the request's TSIG; nil if unsigned
	key     *tsigKey  // set when the signature is valid, or only its time is off
	tsigErr uint16    // BADKEY, BADSIG or BADTIME; 0 when valid or unsigned
}

type tsigKey struct{ name, secret string }

// parseRequest unpacks raw from address from and checks its signature
// against the configured keys.
func parseRequest(raw []byte, from netip.Addr, tc TransferConfig) (*request, error) {
	m := new(dns.Msg)
	if err := m.Unpack(raw); err != nil {
		return nil, err
	}
	if len(m.Question) != 1 {
		return nil, errors.New("not one question")
	}
	req := &request{raw: raw, msg: m, from: from.Unmap(), tsig: m.IsTsig()}
	req.verify(tc)
	return req, nil
}

// verify checks req's TSIG: an unknown key or an algorithm other than
// hmac-sha256 is BADKEY, a wrong MAC BADSIG, a time outside the fudge
// BADTIME (RFC 8945 §5.2).
func (req *request) verify(tc TransferConfig) {
	t := req.tsig
	if t == nil {
		return
	}
	secret, ok := tc.secret(t.Hdr.Name)
	if !ok || dns.CanonicalName(t.Algorithm) != dns.HmacSHA256 {
		req.tsigErr = dns.RcodeBadKey
		return
	}
	raw := append([]byte(nil), req.raw...) // TsigVerify rewrites its input
	switch err := dns.TsigVerify(raw, secret, "", false); {
	case err == nil:
		req.key = &tsigKey{name: t.Hdr.Name, secret: secret}
	case errors.Is(err, dns.ErrTime):
		req.key = &tsigKey{name: t.Hdr.Name, secret: secret}
		req.tsigErr = dns.RcodeBadTime
	default:
		req.tsigErr = dns.RcodeBadSig
	}
}

func (req *request) keyName() string {
	if req.tsig == nil {
		return ""
	}
	return req.tsig.Hdr.Name
}

// reply returns an empty response to req with rcode: AA on success, the
// question echoed, and an OPT when the request had one.
func (req *request) reply(rcode int) *dns.Msg {
	m := new(dns.Msg)
	m.SetReply(req.msg)
	m.Compress = true
	m.Rcode = rcode
	m.Authoritative = rcode == dns.RcodeSuccess
	if req.msg.IsEdns0() != nil {
		m.SetEdns0(DefaultMaxUDPSize, false)
	}
	return m
}

// signer packs the messages of one response stream, signing each when the
// request was signed (RFC 8945 §5.3.1): the first over the request's MAC
// with all TSIG variables, each later one over the previous MAC with the
// timers only.
type signer struct {
	prevMAC string // the MAC of the last message signed; "" before the first
}

func (sg *signer) pack(req *request, m *dns.Msg) ([]byte, error) {
	t := req.tsig
	if t == nil {
		return m.Pack()
	}
	m.SetTsig(t.Hdr.Name, dns.CanonicalName(t.Algorithm), t.Fudge, time.Now().Unix())
	rr := m.Extra[len(m.Extra)-1].(*dns.TSIG)
	rr.OrigId = req.msg.Id
	switch req.tsigErr {
	case dns.RcodeBadKey, dns.RcodeBadSig:
		// Unsigned: we cannot or must not compute a MAC (RFC 8945 §5.3.2).
		rr.Error = req.tsigErr
		return packUnsigned(m)
	case dns.RcodeBadTime:
		// Signed, with the request's time and ours in Other Data (§5.2.3).
		rr.Error = req.tsigErr
		rr.TimeSigned = t.TimeSigned
		rr.OtherLen, rr.OtherData = 6, fmt.Sprintf("%012x", time.Now().Unix())
	}
	prior, timersOnly := t.MAC, false
	if sg.prevMAC != "" {
		prior, timersOnly = sg.prevMAC, true
	}
	b, mac, err := dns.TsigGenerate(m, req.key.secret, prior, timersOnly)
	sg.prevMAC = mac
	return b, err
}

// packUnsigned packs m, whose last record is a TSIG without MAC, as it
// is. (miekg's TsigGenerate would zero its Time Signed, which makes dig
// report unsynchronized clocks on top of the real error.)
func packUnsigned(m *dns.Msg) ([]byte, error) {
	t := m.Extra[len(m.Extra)-1]
	m.Extra = m.Extra[:len(m.Extra)-1]
	b, err := m.Pack()
	if err != nil {
		return nil, err
	}
	tb := make([]byte, dns.Len(t))
	n, err := dns.PackRR(t, tb, 0, nil, false)
	if err != nil {
		return nil, err
	}
	binary.BigEndian.PutUint16(b[10:], binary.BigEndian.Uint16(b[10:])+1)
	return append(b, tb[:n]...), nil
}

// tsigOffset returns where msg's TSIG record starts, or -1 when msg is not
// signed (TSIG must be the last record, RFC 8945 §4.2). It walks the wire
// without building a dns.Msg and costs little when arcount is 0.
func tsigOffset(msg []byte) int {
	if len(msg) < headerLen {
		return -1
	}
	ar := int(binary.BigEndian.Uint16(msg[10:]))
	if ar == 0 {
		return -1
	}
	off := headerLen
	for range binary.BigEndian.Uint16(msg[4:]) {
		var err error
		if off, err = skipName(msg, off); err != nil {
			return -1
		}
		off += 4
	}
	n := int(binary.BigEndian.Uint16(msg[6:])) + int(binary.BigEndian.Uint16(msg[8:])) + ar - 1
	off, err := skipRecords(msg, off, n)
	if err != nil {
		return -1
	}
	start := off
	if off, err = skipName(msg, off); err != nil || off+2 > len(msg) {
		return -1
	}
	if binary.BigEndian.Uint16(msg[off:]) != dns.TypeTSIG {
		return -1
	}
	return start
}

// isIXFR reports whether msg is an IXFR query; those carry the client's
// SOA in the authority section, so only messages with one are checked.
func isIXFR(msg []byte) bool {
	return binary.BigEndian.Uint16(msg[8:]) != 0 && transferType(msg) == dns.TypeIXFR
}

// slowPath reports whether msg needs serveSlow: a transfer or signed.
func slowPath(msg []byte) bool {
	return len(msg) >= headerLen && !isResponse(msg) && (isTransfer(msg) || tsigOffset(msg) >= 0)
}

// serveSlow answers one slow-path message on a TCP connection. It returns
// an error only when the connection failed.
func (s *Server) serveSlow(c net.Conn, w *bufio.Writer, raw []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.panics.record(r)
			err = errors.Join(s.writeRaw(c, w, bare(nil, raw, rcodeServFail)), errPanic)
		}
	}()
	req, err := parseRequest(raw, remoteAddr(c), s.cfg.Transfer)
	if err != nil {
		// Not unpackable: the normal path knows how to answer garbage.
		return s.writeRaw(c, w, s.handle(nil, raw, true))
	}
	if req.tsigErr != 0 {
		s.refusals.log(s.log, "bad TSIG", req, dns.RcodeToString[int(req.tsigErr)])
		return s.writeMsgs(c, w, req, []*dns.Msg{req.reply(dns.RcodeNotAuth)})
	}
	if isTransfer(raw) {
		return s.transfer(c, w, req)
	}
	return s.writeRaw(c, w, s.signedAnswer(req, true))
}

// answerUDP answers a UDP message: signed ones and IXFR on the slow path
// (transfers refused), everything else on the precomputed one. The checks
// cost nothing for a query without authority or additional records.
func (s *Server) answerUDP(dst, msg []byte, from netip.Addr) (out []byte) {
	if isNotify(msg) {
		s.notifies.log(s.log, from.String())
	}
	if len(msg) < headerLen || isResponse(msg) || (tsigOffset(msg) < 0 && !isIXFR(msg)) {
		return s.handle(dst, msg, false)
	}
	defer func() {
		if r := recover(); r != nil {
			s.panics.record(r)
			out = bare(dst, msg, rcodeServFail)
		}
	}()
	req, err := parseRequest(msg, from, s.cfg.Transfer)
	if err != nil {
		return s.handle(dst, msg, false)
	}
	var sg signer
	switch {
	case req.tsigErr != 0:
		s.refusals.log(s.log, "bad TSIG", req, dns.RcodeToString[int(req.tsigErr)])
		b, _ := sg.pack(req, req.reply(dns.RcodeNotAuth))
		return append(dst, b...)
	case isTransfer(msg):
		// AXFR is TCP only (RFC 5936 §4.2); we serve IXFR over TCP only
		// too, where RFC 1995 §2 would allow a UDP answer that fits.
		s.refusals.log(s.log, "zone transfer refused: UDP (use TCP)", req, "")
		b, _ := sg.pack(req, req.reply(dns.RcodeRefused))
		return append(dst, b...)
	}
	return append(dst, s.signedAnswer(req, false)...)
}

// signedAnswer answers the validly signed ordinary query req: the normal
// path answers it without its TSIG, then the answer is signed. Over UDP an
// answer that no longer fits is sent truncated (question and OPT only).
func (s *Server) signedAnswer(req *request, tcp bool) []byte {
	off := tsigOffset(req.raw)
	if off < headerLen || req.key == nil {
		return s.handle(nil, req.raw, tcp) // not signed after all
	}
	stripped := append([]byte(nil), req.raw[:off]...)
	binary.BigEndian.PutUint16(stripped[10:], binary.BigEndian.Uint16(stripped[10:])-1)
	out := s.handle(nil, stripped, tcp)
	if out == nil {
		return nil
	}
	resp := new(dns.Msg)
	if err := resp.Unpack(out); err != nil {
		return out
	}
	resp.Compress = true
	var sg signer
	b, err := sg.pack(req, resp)
	if err != nil {
		s.log.Error("sign answer", "err", err)
		return nil
	}
	if tcp || len(b) <= s.udpLimit(req.msg) {
		return b
	}
	resp.Truncated = true
	resp.Answer, resp.Ns = nil, nil
	var opt []dns.RR
	if o := resp.IsEdns0(); o != nil {
		opt = []dns.RR{o}
	}
	resp.Extra = opt
	sg = signer{}
	b, _ = sg.pack(req, resp)
	return b
}

// udpLimit is the largest UDP answer m accepts (see query.udpLimit).
func (s *Server) udpLimit(m *dns.Msg) int {
	o := m.IsEdns0()
	if o == nil {
		return minUDPSize
	}
	return min(max(int(o.UDPSize()), minUDPSize), s.cfg.MaxUDPSize)
}

// writeRaw writes one packed answer (nil: none).
func (s *Server) writeRaw(c net.Conn, w *bufio.Writer, b []byte) error {
	if b == nil {
		return nil
	}
	return s.writeFrame(c, w, b)
}

// writeFrame writes b with its length prefix (RFC 1035 §4.2.2) and flushes
// it, under the write timeout.
func (s *Server) writeFrame(c net.Conn, w *bufio.Writer, b []byte) error {
	if err := c.SetWriteDeadline(time.Now().Add(s.cfg.TCPWriteTimeout)); err != nil {
		return err
	}
	w.Write(binary.BigEndian.AppendUint16(nil, uint16(len(b))))
	w.Write(b)
	return w.Flush()
}

// remoteAddr returns the peer address of a TCP connection.
func remoteAddr(c net.Conn) netip.Addr {
	if ta, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return ta.AddrPort().Addr().Unmap()
	}
	return netip.Addr{}
}
