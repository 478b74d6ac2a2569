package nscheck

import (
	"fmt"
	"time"
)

// State is what the latest check says about one server.
type State string

// The states. Lagging, Wrong, Error and Unreachable are flagged.
const (
	Unknown     State = "unknown"     // not checked yet
	OK          State = "ok"          // serves signald's serial, or is behind for less than the grace
	Lagging     State = "lagging"     // serves an older serial than signald for longer than the grace
	Wrong       State = "wrong"       // serves signald's serial (or a newer one) with another signal
	Error       State = "error"       // answers, but not with the zone (REFUSED, SERVFAIL, no AA, no SOA)
	Unreachable State = "unreachable" // no answer
)

// States lists every state, for metrics and tests.
var States = []State{Unknown, OK, Lagging, Wrong, Error, Unreachable}

// Flagged reports whether s is a problem worth telling the operator.
func (s State) Flagged() bool { return s != OK && s != Unknown }

// Server is one name server to ask.
type Server struct {
	Name string // the NS name, or a label for a secondary (its address)
	Addr string // host:port
}

func (s Server) String() string {
	if s.Name == "" || s.Name == s.Addr {
		return s.Addr
	}
	return s.Name + " (" + s.Addr + ")"
}

// Observation is the outcome of asking one server once.
type Observation struct {
	At   time.Time
	Fail State  // "" when the server answered with the zone; else Unreachable or Error
	Err  string // why, when Fail is set
	// Serial and TXT are what the server served when Fail is "". TXT is ""
	// when the signal name has no TXT.
	Serial uint32
	TXT    string
}

// Status is what is known about one server. Values are immutable.
type Status struct {
	Server
	State State
	Since time.Time // when State began; zero while Unknown
	// Serial and TXT are from the last answer with the zone, at Answered
	// (zero: never answered).
	Serial   uint32
	TXT      string
	Answered time.Time
	// BehindSince is when signald first served a serial newer than Serial;
	// zero unless the last answer was behind.
	BehindSince time.Time
	LastCheck   time.Time
	LastError   string // of the last check; "" when it answered with the zone
}

// Next is the status of a server after obs, given what signald serves and
// the grace a server may lag without being flagged.
func Next(prev Status, obs Observation, served *Served, grace time.Duration) Status {
	next := prev
	next.LastCheck = obs.At
	next.LastError = obs.Err
	next.BehindSince = time.Time{}
	state := obs.Fail
	if state == "" {
		next.Serial, next.TXT, next.Answered = obs.Serial, obs.TXT, obs.At
		state = judge(&next, served, grace)
	}
	if state != prev.State {
		next.State, next.Since = state, obs.At
	}
	return next
}

// judge classifies an answer with the zone, setting BehindSince and, for
// a wrong answer, LastError.
func judge(s *Status, served *Served, grace time.Duration) State {
	switch {
	case SerialBefore(s.Serial, served.Serial):
		s.BehindSince = served.BehindSince(s.Serial)
		if s.LastCheck.Sub(s.BehindSince) >= grace {
			return Lagging
		}
		return OK
	case s.Serial != served.Serial:
		s.LastError = fmt.Sprintf("serial %d is ahead of signald's %d", s.Serial, served.Serial)
		return Wrong
	case s.TXT != served.TXT:
		s.LastError = fmt.Sprintf("serial %d with signal %q, want %q", s.Serial, s.TXT, served.TXT)
		return Wrong
	}
	return OK
}

// SerialBefore reports whether serial a is older than b (RFC 1982): a is
// before b when b lies less than 2^31 ahead of it. Serials exactly 2^31
// apart are not comparable, so neither is before the other.
func SerialBefore(a, b uint32) bool {
	d := b - a
	return d != 0 && d < 1<<31
}

// SerialLag is how many serials a is behind b; 0 when it is not behind.
func SerialLag(a, b uint32) uint32 {
	if !SerialBefore(a, b) {
		return 0
	}
	return b - a
}

// Change is a state change of one server, flagged or cleared.
type Change struct {
	Server   Server
	From, To State
	At       time.Time
	Serial   uint32 // the serial the server served; 0 when it did not answer
	Want     uint32 // signald's serial
	TXT      string // the signal the server served
	WantTXT  string // signald's signal
	Lag      time.Duration
	Err      string
}

// Flagged reports whether the change raises a problem (else it clears one).
func (c Change) Flagged() bool { return c.To.Flagged() }

// changeOf returns the change from prev to next, if they differ in a way
// worth telling: every change of state except a first check that is fine.
func changeOf(prev, next Status, served *Served) (Change, bool) {
	if prev.State == next.State || (prev.State == Unknown && next.State == OK) {
		return Change{}, false
	}
	c := Change{Server: next.Server, From: prev.State, To: next.State, At: next.LastCheck,
		Want: served.Serial, WantTXT: served.TXT, Err: next.LastError}
	if next.Answered.Equal(next.LastCheck) {
		c.Serial, c.TXT = next.Serial, next.TXT
	}
	if !next.BehindSince.IsZero() {
		c.Lag = next.LastCheck.Sub(next.BehindSince)
	}
	return c, true
}
