package authdns

import (
	"bufio"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// Zone transfer sizes and limits.
const (
	// xfrMessageSize is the target size of one transfer message: many
	// records per message (RFC 5936 §2.2) but well below the 64 KiB cap,
	// as BIND and Knot do.
	xfrMessageSize = 16 << 10

	// xfrOverhead is room kept in each message for the header, question,
	// OPT and TSIG records.
	xfrOverhead = 512

	// refusalLogInterval limits how often a refused transfer or bad
	// signature is logged, so a scanner cannot flood the log.
	refusalLogInterval = time.Second
)

// TransferConfig says who may transfer the zone. Transfers (AXFR, and IXFR
// answered with the full zone) are served over TCP only.
//
// A request is allowed when it is signed (TSIG, hmac-sha256) with one of
// Keys, or when it comes from an address in AllowFrom. With RequireBoth it
// must be signed and come from AllowFrom. The zero value refuses every
// transfer.
type TransferConfig struct {
	// Keys maps a TSIG key name (FQDN, case-insensitive) to its base64
	// secret, e.g. from `tsig-keygen -a hmac-sha256 xfr-key` or
	// `openssl rand -base64 32`. The same keys verify signed queries of
	// any type, so a secondary's signed SOA checks get signed answers.
	Keys map[string]string
	// AllowFrom lists the source prefixes allowed without a signature.
	AllowFrom []netip.Prefix
	// RequireBoth demands a valid signature and an allowed address.
	RequireBoth bool

	// msgSize overrides xfrMessageSize (tests).
	msgSize int
}

// validate reports keys and prefixes that cannot work, naming the field.
func (tc TransferConfig) validate() error {
	var errs []error
	for name, secret := range tc.Keys {
		if _, ok := dns.IsDomainName(name); !ok || name == "" {
			errs = append(errs, fmt.Errorf("Transfer.Keys: %q is not a valid key name", name))
		}
		if b, err := base64.StdEncoding.DecodeString(secret); err != nil || len(b) == 0 {
			errs = append(errs, fmt.Errorf("Transfer.Keys[%s]: the secret is not non-empty base64", name))
		}
	}
	for i, p := range tc.AllowFrom {
		if !p.IsValid() {
			errs = append(errs, fmt.Errorf("Transfer.AllowFrom[%d]: invalid prefix", i))
		}
	}
	if tc.RequireBoth && (len(tc.Keys) == 0 || len(tc.AllowFrom) == 0) {
		errs = append(errs, errors.New("Transfer.RequireBoth: needs both Keys and AllowFrom"))
	}
	return errors.Join(errs...)
}

// secret returns the secret of the key named name.
func (tc TransferConfig) secret(name string) (string, bool) {
	name = dns.CanonicalName(name)
	for k, v := range tc.Keys {
		if dns.CanonicalName(k) == name {
			return v, true
		}
	}
	return "", false
}

// allowed reports whether a transfer request may proceed: signed says it
// carried a valid signature by one of Keys.
func (tc TransferConfig) allowed(signed bool, from netip.Addr) bool {
	fromOK := false
	for _, p := range tc.AllowFrom {
		if p.Contains(from.Unmap()) {
			fromOK = true
			break
		}
	}
	if tc.RequireBoth {
		return signed && fromOK
	}
	return signed || fromOK
}

// isTransfer reports whether msg is a QUERY for AXFR or IXFR.
func isTransfer(msg []byte) bool { return transferType(msg) != 0 }

// transferType returns AXFR or IXFR when msg is a QUERY for one, else 0.
// It reads the wire without building a dns.Msg and returns 0 for anything
// malformed, which the normal path answers.
func transferType(msg []byte) uint16 {
	if len(msg) < headerLen || isResponse(msg) || binary.BigEndian.Uint16(msg[4:]) != 1 || msg[2]&opcodeMask != 0 {
		return 0
	}
	off, err := skipName(msg, headerLen)
	if err != nil || off+4 > len(msg) {
		return 0
	}
	if t := binary.BigEndian.Uint16(msg[off:]); t == dns.TypeAXFR || t == dns.TypeIXFR {
		return t
	}
	return 0
}

// transfer answers the transfer request req on a TCP connection: refused,
// or the whole zone in as many messages as it takes, each signed when the
// request was. It returns an error only when the connection failed.
func (s *Server) transfer(c net.Conn, w *bufio.Writer, req *request) error {
	snap := s.snap.Load()
	q := req.msg.Question[0]
	switch {
	case !s.cfg.Transfer.allowed(req.key != nil, req.from):
		s.refusals.log(s.log, "zone transfer refused: not allowed", req, "")
		return s.writeMsgs(c, w, req, []*dns.Msg{req.reply(dns.RcodeRefused)})
	case !snap.ready:
		return s.writeMsgs(c, w, req, []*dns.Msg{req.reply(dns.RcodeServerFailure)})
	case q.Qclass != dns.ClassINET || !strings.EqualFold(q.Name, snap.origin):
		s.refusals.log(s.log, "zone transfer refused: not our zone", req, "")
		return s.writeMsgs(c, w, req, []*dns.Msg{req.reply(dns.RcodeNotAuth)})
	}
	rrs := snap.Records()
	if len(rrs) == 0 || rrs[0].Header().Rrtype != dns.TypeSOA {
		return s.writeMsgs(c, w, req, []*dns.Msg{req.reply(dns.RcodeServerFailure)})
	}
	soa := rrs[0].(*dns.SOA)
	if q.Qtype == dns.TypeIXFR {
		client, ok := ixfrSerial(req.msg)
		if !ok {
			return s.writeMsgs(c, w, req, []*dns.Msg{req.reply(dns.RcodeFormatError)})
		}
		if !serialBefore(client, soa.Serial) {
			// The client is current (RFC 1995 §2): the SOA alone.
			rrs = rrs[:1]
		}
	}
	if len(rrs) > 1 {
		rrs = append(rrs, soa) // RFC 5936 §2.2: the SOA ends the transfer
	}
	msgs := chunk(req, rrs, s.cfg.Transfer.messageSize())
	err := s.writeMsgs(c, w, req, msgs)
	s.log.Info("zone transfer", "type", dns.TypeToString[q.Qtype], "from", req.from, "key", req.keyName(),
		"serial", soa.Serial, "records", len(rrs), "messages", len(msgs), "err", err)
	return err
}

func (tc TransferConfig) messageSize() int {
	if tc.msgSize > 0 {
		return tc.msgSize
	}
	return xfrMessageSize
}

// ixfrSerial returns the client's serial from an IXFR request's authority
// section (RFC 1995 §3).
func ixfrSerial(m *dns.Msg) (uint32, bool) {
	if len(m.Ns) != 1 {
		return 0, false
	}
	soa, ok := m.Ns[0].(*dns.SOA)
	if !ok {
		return 0, false
	}
	return soa.Serial, true
}

// serialBefore reports whether serial a is older than b (RFC 1982).
func serialBefore(a, b uint32) bool { return a != b && int32(b-a) > 0 }

// chunk splits rrs into response messages of about size bytes each.
func chunk(req *request, rrs []dns.RR, size int) []*dns.Msg {
	budget := max(size-xfrOverhead, 1)
	var msgs []*dns.Msg
	cur, used := req.reply(dns.RcodeSuccess), 0
	for _, rr := range rrs {
		n := dns.Len(rr) // uncompressed: an upper bound
		if len(cur.Answer) > 0 && used+n > budget {
			msgs = append(msgs, cur)
			cur, used = req.reply(dns.RcodeSuccess), 0
		}
		cur.Answer = append(cur.Answer, rr)
		used += n
	}
	return append(msgs, cur)
}

// writeMsgs signs (when the request was signed) and writes msgs, each
// under the write timeout.
func (s *Server) writeMsgs(c net.Conn, w *bufio.Writer, req *request, msgs []*dns.Msg) error {
	var sg signer
	for _, m := range msgs {
		b, err := sg.pack(req, m)
		if err != nil {
			return fmt.Errorf("pack transfer message: %w", err)
		}
		if err := s.writeFrame(c, w, b); err != nil {
			return err
		}
	}
	return nil
}

// refusalLog logs refused transfers and bad signatures at most once per
// refusalLogInterval, with the number left out since the last line.
type refusalLog struct {
	mu         sync.Mutex
	last       time.Time
	suppressed int
}

func (r *refusalLog) log(l *slog.Logger, msg string, req *request, tsigErr string) {
	r.mu.Lock()
	now := time.Now()
	if now.Sub(r.last) < refusalLogInterval {
		r.suppressed++
		r.mu.Unlock()
		return
	}
	n := r.suppressed
	r.last, r.suppressed = now, 0
	r.mu.Unlock()
	q := req.msg.Question[0]
	args := []any{"from", req.from, "qname", q.Name, "qtype", dns.TypeToString[q.Qtype], "key", req.keyName()}
	if tsigErr != "" {
		args = append(args, "tsig_error", tsigErr)
	}
	l.Warn(msg, append(args, "suppressed", n)...)
}
