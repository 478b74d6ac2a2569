package nscheck

import "time"

// maxHistory bounds the serials Served remembers. A server behind the
// oldest of them is taken to be behind since that one.
const maxHistory = 64

// Served is what signald serves — the serial and signal TXT — and when
// each recent serial was first served, so that a server's lag is counted
// from when signald moved past its serial, not from when a check first
// saw it. Values are immutable.
type Served struct {
	Serial  uint32
	TXT     string
	history []servedAt // oldest first
}

type servedAt struct {
	serial uint32
	at     time.Time
}

// Then returns s followed by serial and txt, first served at at. A serial
// already known keeps its first time (a re-announcement of the same zone).
func (s *Served) Then(serial uint32, txt string, at time.Time) *Served {
	var h []servedAt
	if s != nil {
		h = s.history
	}
	if n := len(h); n == 0 || h[n-1].serial != serial {
		// The full slice expression makes append copy: s stays as it was.
		h = append(h[max(0, n-maxHistory+1):n:n], servedAt{serial, at})
	}
	return &Served{Serial: serial, TXT: txt, history: h}
}

// BehindSince returns when signald first served a serial newer than
// serial: the start of a lag at serial. It is the oldest time known when
// every serial remembered is newer.
func (s *Served) BehindSince(serial uint32) time.Time {
	if len(s.history) == 0 {
		return time.Time{}
	}
	for _, h := range s.history {
		if SerialBefore(serial, h.serial) {
			return h.at
		}
	}
	return s.history[len(s.history)-1].at
}
