package authdns

import (
	"log/slog"
	"runtime/debug"
	"sync/atomic"
	"time"
)

// Response codes of bare responses (RFC 1035 §4.1.1).
const (
	rcodeFormErr  = 1
	rcodeServFail = 2
)

// bare appends a header-only response to msg with rcode, or returns nil
// when msg has no header or is itself a response.
func bare(dst, msg []byte, rcode byte) []byte {
	if len(msg) < headerLen || isResponse(msg) {
		return nil
	}
	start := len(dst)
	dst = append(dst, make([]byte, headerLen)...)
	h := dst[start:]
	copy(h[:2], msg[:2])
	h[2] = flagQR | msg[2]&(opcodeMask|flagRD)
	h[3] = rcode
	return dst
}

// formErr appends a bare FORMERR for a query that could not be parsed,
// keeping its ID, opcode and RD bit, as NSD does.
func formErr(dst, msg []byte) []byte {
	return bare(dst, msg, rcodeFormErr)
}

// panicLog logs a panic in the query path once, then at most once per
// panicLogInterval with a count, so a packet of death cannot flood the log.
type panicLog struct {
	log     *slog.Logger
	count   atomic.Int64
	lastLog atomic.Int64 // unix nanoseconds
}

func (p *panicLog) record(r any) {
	n := p.count.Add(1)
	now := time.Now().UnixNano()
	last := p.lastLog.Load()
	if n > 1 && now-last < int64(panicLogInterval) {
		return
	}
	if !p.lastLog.CompareAndSwap(last, now) {
		return
	}
	p.log.Error("panic answering a query; answered SERVFAIL", "panic", r, "panics_total", n, "stack", string(debug.Stack()))
}
