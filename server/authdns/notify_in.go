package authdns

import (
	"log/slog"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// signald is a primary: it sends NOTIFY and never acts on one. A NOTIFY it
// receives, signed or not, from anywhere, is answered REFUSED (the choice of
// NSD for a zone it is primary for) and changes nothing; it is logged at
// most once per refusalLogInterval, with a count of those suppressed.

// isNotify reports whether msg is a query with opcode NOTIFY.
func isNotify(msg []byte) bool {
	return len(msg) >= headerLen && msg[2]&flagQR == 0 && (msg[2]&opcodeMask)>>3 == dns.OpcodeNotify
}

// notifyLog rate-limits the log lines about refused NOTIFYs.
type notifyLog struct {
	mu         sync.Mutex
	last       time.Time
	suppressed int
}

func (n *notifyLog) log(l *slog.Logger, from string) {
	n.mu.Lock()
	now := time.Now()
	if now.Sub(n.last) < refusalLogInterval {
		n.suppressed++
		n.mu.Unlock()
		return
	}
	count := n.suppressed
	n.last, n.suppressed = now, 0
	n.mu.Unlock()
	l.Warn("NOTIFY refused: signald is the primary of its zone", "from", from, "suppressed", count)
}
