package checker

import (
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/probe"
)

// classify turns one probe's outcome into a Result for key, judged against
// the tree's signal: Fresh when the TIME seen is at least the signal (a
// tree never published, signal 0, is fresh with any TIME), Behind with the
// lag otherwise, Unreachable or Error with the reason when the probe
// failed. It is pure.
func classify(key Key, pr probe.Result, signal int64, at time.Time) Result {
	r := Result{Key: key, At: at, Signal: signal, Latency: pr.Latency}
	switch pr.Class {
	case probe.OK:
		r.Stamp = pr.Stamp
		r.State, r.Lag = judge(pr.Stamp, signal)
		return r
	case probe.Unreachable:
		r.State = Unreachable
	default:
		r.State = Error
	}
	if pr.Err != nil {
		r.Err = pr.Err.Error()
	}
	return r
}

// judge compares a TIME seen with the signal.
func judge(stamp, signal int64) (State, time.Duration) {
	if signal == 0 || stamp >= signal {
		return Fresh, 0
	}
	return Behind, time.Duration(signal-stamp) * time.Second
}

// rejudge classifies r again against a signal that changed while the probe
// ran; only a TIME seen (Fresh, Behind or Inconsistent) depends on the
// signal. An Inconsistent result stays so unless its TIME is now behind.
func rejudge(r Result, signal int64) Result {
	if r.Signal == signal || (r.State != Fresh && r.State != Behind && r.State != Inconsistent) {
		return r
	}
	r.Signal = signal
	state, lag := judge(r.Stamp, signal)
	if r.State == Inconsistent && state == Fresh {
		return r
	}
	if r.State == Inconsistent {
		r.Err = ""
	}
	r.State, r.Lag = state, lag
	return r
}

// rank orders the states, best (0) first, as types.go lists them.
func rank(s State) int {
	switch s {
	case Fresh:
		return 0
	case Behind:
		return 1
	case Inconsistent:
		return 2
	case Error:
		return 3
	case Unreachable:
		return 4
	}
	return 5
}

// better reports whether a is a better result than b: a better state, or
// the same state with a newer TIME, or the same TIME seen later.
func better(a, b Result) bool {
	if ra, rb := rank(a.State), rank(b.State); ra != rb {
		return ra < rb
	}
	if a.Stamp != b.Stamp {
		return a.Stamp > b.Stamp
	}
	return a.At.After(b.At)
}

// best returns the best of the results of one mirror and tree over its
// protocols and families, so that one broken path (IPv6, rsync) never hides
// a working one; the zero Result (Unknown) when there are none.
func best(rs []Result) Result {
	if len(rs) == 0 {
		return Result{State: Unknown}
	}
	b := rs[0]
	for _, r := range rs[1:] {
		if better(r, b) {
			b = r
		}
	}
	return b
}
