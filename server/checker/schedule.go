package checker

import "time"

// Schedule defaults.
const (
	// DefaultInterval is how often every mirror is probed.
	DefaultInterval = 15 * time.Minute
	// DefaultFastInterval is how often, after a publish, the mirrors of
	// the tree that are not fresh yet are probed again: it bounds the
	// error of the propagation times.
	DefaultFastInterval = 30 * time.Second
	// DefaultFastWindow is how long after a publish the fast re-checks go
	// on for a mirror that stays behind.
	DefaultFastWindow = time.Hour
)

// slot is the schedule of one mirror.
type slot struct {
	next time.Time // the next base round: all trees
	fast time.Time // the next fast round (zero: none pending)
	asap bool      // a check-in asked for a round now
	busy bool      // a round is in flight
}

// spread is the start of mirror i of n: interval·i/n after now, so the
// fleet's probes are spread evenly over the interval, not in bursts.
func spread(now time.Time, i, n int, interval time.Duration) time.Time {
	if n <= 0 || i <= 0 {
		return now
	}
	return now.Add(time.Duration(int64(interval) / int64(n) * int64(i)))
}

// advance returns the base round after one due at due: due plus whole
// intervals, the first after now. Keeping the phase keeps the spread when
// a round runs late.
func advance(due, now time.Time, interval time.Duration) time.Time {
	if interval <= 0 {
		return now
	}
	next := due.Add(interval)
	if !next.After(now) {
		n := now.Sub(due)/interval + 1
		next = due.Add(n * interval)
	}
	return next
}

// kind says which trees a due round probes.
type kind int

const (
	notDue   kind = iota
	baseDue       // a base round or a check-in: all trees
	fastOnly      // a fast re-check: the trees in their fast window only
)

// due says whether s is due at now, and when it is due next otherwise
// (zero when never).
func (s slot) due(now time.Time) (kind, time.Time) {
	switch {
	case s.busy:
		return notDue, time.Time{}
	case s.asap || !s.next.After(now):
		return baseDue, now
	case !s.fast.IsZero() && !s.fast.After(now):
		return fastOnly, now
	case !s.fast.IsZero() && s.fast.Before(s.next):
		return notDue, s.fast
	}
	return notDue, s.next
}

// fastWanted reports whether a tree whose signal changed at learned still
// wants fast re-checks at now: inside the window and not seen fresh yet.
func fastWanted(learned, now time.Time, window time.Duration, state State) bool {
	return !learned.IsZero() && state != Fresh && now.Before(learned.Add(window))
}

// earlier returns the earlier of two times, zero meaning none.
func earlier(a, b time.Time) time.Time {
	switch {
	case a.IsZero():
		return b
	case b.IsZero() || a.Before(b):
		return a
	}
	return b
}
