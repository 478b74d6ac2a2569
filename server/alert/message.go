package alert

import (
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/checker"
)

// Kind says what a message reports; it is the webhook's "type".
type Kind string

// The kinds of message.
const (
	Stale          Kind = "stale"           // behind (or inconsistent) for longer than StaleAfter
	Unreachable    Kind = "unreachable"     // the checker lost the mirror
	Failing        Kind = "error"           // the mirror answers, but badly
	Back           Kind = "back"            // fresh again after one of the above
	NameServerLags Kind = "nameserver_lag"  // a name server serves an old serial past the grace period
	NameServerOK   Kind = "nameserver_back" // that name server serves the current serial again
)

// problem reports whether k tells of something wrong, so that a later
// recovery is worth a message.
func (k Kind) problem() bool {
	return k == Stale || k == Unreachable || k == Failing || k == NameServerLags
}

// NameServerLag is what the checker knows about one authoritative name
// server: since Since it has served Serial while the signal is at Want.
// Cleared says it serves the current serial again (the other fields may
// then be zero).
type NameServerLag struct {
	Server       string // host or host:port, as configured
	Serial, Want uint32
	Since        time.Time
	Cleared      bool
}

// message is one notification, as decided by the core and rendered by
// each sender.
type message struct {
	Kind Kind
	// Mirror and Tree name the subject of mirror messages; Server that of
	// name-server messages.
	Mirror, Tree string
	Server       string

	From, To checker.State // the transition reported (mirror messages)
	At       time.Time     // when the reported state began
	Decided  time.Time     // when the core let the message go
	Lag      time.Duration // signal − TIME at the last transition
	Behind   time.Duration // Stale: how long the mirror has been behind
	Err      string        // why, for Unreachable and Failing

	Serial, Want uint32 // name-server messages

	// Suppressed counts the changes since the previous message about the
	// same subject that were not sent on their own (coalesced into this
	// one because of MinGap).
	Suppressed int

	ID string // unique per message, set by the Notifier
}
