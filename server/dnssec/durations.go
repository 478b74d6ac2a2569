package dnssec

import (
	"time"

	"github.com/mirrorsignal/mirrorsignal/signal"
)

// Signature timing, in one place. A signature is valid from Inception
// before the signing time (to absorb clock skew between signald and
// validators) until Validity after it. Signatures are re-made when less than
// RefreshMargin is left, so a validator never sees one expire even if
// signald is down for most of that margin.
const (
	// InceptionSkew back-dates every inception. It is part of the
	// heartbeat contract with mirror-agent (see signal.InceptionBackdate).
	InceptionSkew = signal.InceptionBackdate
	// Validity is how long a signature of a stable RRset lives.
	Validity = 14 * 24 * time.Hour
	// RefreshMargin: re-sign when a signature expires within this.
	RefreshMargin = 7 * 24 * time.Hour

	// SignalHeartbeat is how often the signal TXT RRset is re-signed even
	// when nothing changed. Its RRSIG inception therefore tells an agent how
	// old the answer is: an answer whose inception lies more than
	// SignalHeartbeat + InceptionSkew (plus cache time) in the past is stale
	// or replayed. The agent's default max_signature_age relies on it (see
	// signal.SignatureHeartbeat).
	SignalHeartbeat = signal.SignatureHeartbeat
	// SignalValidity is how long a signal TXT signature lives. Short, so a
	// replayed answer stops validating anywhere soon after.
	SignalValidity = 2 * 24 * time.Hour
)
