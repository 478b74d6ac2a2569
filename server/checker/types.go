package checker

import (
	"context"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/mirrors"
)

// State is what a probe, or the best of a mirror's probes, says about a
// tree on a mirror.
type State string

// The states, best first: a mirror's state for a tree is the best of its
// protocols and families.
const (
	Fresh        State = "fresh"        // TIME ≥ the tree's signal
	Behind       State = "behind"       // TIME < the signal; Lag says by how much
	Inconsistent State = "inconsistent" // TIME is fresh but repomd.xml matches no known master version
	Error        State = "error"        // an answer, but a bad one (bad TIME, TLS, HTTP status, too big, redirects)
	Unreachable  State = "unreachable"  // no answer (refused, reset, timeout, DNS)
	Unknown      State = "unknown"      // not probed yet
)

// Key identifies one probe target: a tree on a mirror over one protocol
// and, where the mirror asks for it, one IP family ("" = any).
type Key struct {
	Mirror string
	Tree   string
	Proto  mirrors.Protocol
	Family mirrors.Family
}

// Result is the outcome of one probe.
type Result struct {
	Key
	At        time.Time
	State     State
	Stamp     int64         // the TIME seen; 0 when none
	Signal    int64         // the tree's signal when probed
	Lag       time.Duration // Signal − Stamp when Behind
	Latency   time.Duration
	Err       string // why, for Error and Unreachable
	Heartbeat int64  // the heartbeat stamp seen; 0 when none
}

// Transition is a change of a mirror's state for a tree, after hysteresis,
// for notifications.
type Transition struct {
	Mirror, Tree string
	From, To     State
	At           time.Time
	Lag          time.Duration
	Err          string
	// Signal is the tree's signal the state was judged against: now − its
	// time is how long ago the tree was published, so a consumer can tell
	// "behind a minute after a publish" from "stale".
	Signal int64
}

// Sink receives every probe result, batched per round (history).
type Sink interface {
	Record(ctx context.Context, results []Result) error
}
