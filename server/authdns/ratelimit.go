package authdns

import (
	"net/netip"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/rrl"
)

// answerLimited is answerUDP under response rate limiting (Config.RRL):
// every message that would get an answer costs its source prefix a token;
// over the limit the answer is dropped, or every Slip-th one goes out
// truncated (slip). It does not allocate, except for the log line the
// limiter allows once a minute per prefix.
func (s *Server) answerLimited(dst, msg []byte, from netip.Addr) []byte {
	if len(msg) < headerLen || isResponse(msg) {
		return nil // never answered, so never counted
	}
	act, log := s.cfg.RRL.Decide(from, time.Now())
	if log {
		s.log.Warn("rate limiting UDP responses", "prefix", s.cfg.RRL.Prefix(from), "action", actionName(act))
	}
	switch act {
	case rrl.Drop:
		return nil
	case rrl.Truncate:
		return s.slip(dst, msg)
	}
	return s.answerUDP(dst, msg, from)
}

// slip answers msg with the truncated form of its answer: the header with
// TC set (rcode and AA as the full answer), the question and our OPT, never
// larger than msg. A real resolver retries over TCP, which is not limited.
// Signed queries and IXFR (the slow path) are dropped instead: a truncated
// answer to them would have to be signed, and secondaries that use them
// belong in the exempt list.
func (s *Server) slip(dst, msg []byte) (out []byte) {
	if tsigOffset(msg) >= 0 || isIXFR(msg) {
		return nil
	}
	defer func() {
		if r := recover(); r != nil {
			s.panics.record(r)
			out = bare(dst, msg, rcodeServFail)
		}
	}()
	return s.snap.Load().truncated(dst, msg, s.cfg.MaxUDPSize)
}

// truncated is respond for a slipped answer: the response's truncated
// form whatever its size, or a bare FORMERR for a message that does not
// parse. msg holds a header and is no response.
func (s *Snapshot) truncated(dst, msg []byte, udpMax int) []byte {
	var q query
	if err := parseQuery(msg, &q); err != nil {
		return formErr(dst, msg)
	}
	return q.emit(dst, s.choose(&q), 0, udpMax) // no room: the TC form
}

func actionName(a rrl.Action) string {
	switch a {
	case rrl.Drop:
		return "drop"
	case rrl.Truncate:
		return "slip"
	}
	return "send"
}
