package sim

import (
	"math"
	"time"
)

// Marks are the shares of mirrors the report gives times for.
var Marks = []float64{0.50, 0.80, 0.95, 0.99}

// Result is one strategy's run.
type Result struct {
	Strategy string
	Mirrors  int             // all, down ones included: shares are of this
	Alive    int             // not down
	Fresh    []time.Duration // when each fresh mirror got the content, sorted
	GateAt   time.Duration   // when the signal was bumped; -1: never
	End      time.Duration   // the last event handled

	PeakMaster int // most rsync sessions at once on the master
	PeakTier1  int // … on one tier-1 host
	PeakOther  int // … on one tier-2 or tier-3 mirror

	Sessions      int // rsync sessions started
	StaleSyncs    int // of which from an upstream without the content
	Refused       int // sessions refused at an upstream's cap
	Unreachable   int // sources that were down
	Polls         int // signal queries
	DNSFailures   int
	FrozenAnswers int
	Advice        int // sync-source advice asked
	AdviceCapped  int // sources left out of advice at their fan-out cap
	Triggers      int // push triggers that found the mirror behind
	Events        int
}

// TimeTo is when a share q of all mirrors was fresh; ok is false when
// that share was not reached in the run.
func (r Result) TimeTo(q float64) (time.Duration, bool) {
	k := int(math.Ceil(q*float64(r.Mirrors) - 1e-9))
	if k < 1 {
		return 0, true
	}
	if k > len(r.Fresh) {
		return 0, false
	}
	return r.Fresh[k-1], true
}

// ShareAt is the share of all mirrors fresh at t.
func (r Result) ShareAt(t time.Duration) float64 {
	lo, hi := 0, len(r.Fresh)
	for lo < hi { // first index with Fresh > t
		mid := (lo + hi) / 2
		if r.Fresh[mid] <= t {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return float64(lo) / float64(r.Mirrors)
}

// PeakUpstream is the most sessions at once on any one upstream.
func (r Result) PeakUpstream() int { return max(r.PeakMaster, r.PeakTier1, r.PeakOther) }
