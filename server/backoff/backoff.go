// Package backoff provides exponential backoff for retrying a failing
// operation: a Policy that computes each wait as a pure function of the
// previous one, optional jitter from an injected random source, and Retry,
// which runs an operation until it succeeds, the tries run out or the wait
// is cut short. It uses the standard library only and must not import the
// other server components.
package backoff

import (
	"context"
	"math"
	"time"
)

// DefaultFactor is the growth of the wait per retry when Policy.Factor is
// not above 1: the wait doubles.
const DefaultFactor = 2

// Policy is an exponential backoff: the first wait is Initial, each further
// one Factor times the previous, never more than Max.
type Policy struct {
	Initial time.Duration // the first wait; must be above 0
	Max     time.Duration // the cap; 0: no cap
	Factor  float64       // growth per retry; not above 1: DefaultFactor

	// Jitter, in [0, 1], shortens each wait slept by Retry by a random
	// fraction of at most Jitter, so that clients that failed together do
	// not retry together. 0: no jitter.
	Jitter float64
	// Rand returns a number in [0, 1) for the jitter; nil: no jitter.
	Rand func() float64
}

// Next returns the wait after one that lasted prev; prev 0 (no wait yet)
// gives Initial. It is pure: the jitter is not part of the sequence.
func (p Policy) Next(prev time.Duration) time.Duration {
	if prev <= 0 {
		return p.capped(p.Initial)
	}
	f := p.Factor
	if f <= 1 {
		f = DefaultFactor
	}
	next := float64(prev) * f
	if next >= math.MaxInt64 {
		return p.capped(math.MaxInt64)
	}
	return p.capped(max(time.Duration(next), p.Initial))
}

func (p Policy) capped(d time.Duration) time.Duration {
	if p.Max > 0 {
		return min(d, p.Max)
	}
	return d
}

// Jittered returns d shortened by a random fraction of at most p.Jitter,
// drawn from p.Rand; without Rand or Jitter it returns d.
func (p Policy) Jittered(d time.Duration) time.Duration {
	if p.Rand == nil || p.Jitter <= 0 {
		return d
	}
	frac := min(p.Jitter, 1) * p.Rand()
	return d - time.Duration(frac*float64(d))
}

// SleepFunc waits d or until ctx ends. A non-nil error ends Retry with
// that error; callers use it to stop retrying for reasons of their own.
type SleepFunc func(ctx context.Context, d time.Duration) error

// Sleep waits d, or returns ctx.Err() when ctx ends first.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Retry calls fn, numbering the tries from 1, until it returns nil or tries
// calls have failed (tries 0: no bound), sleeping between calls the waits
// of p (jittered) with sleep (nil: Sleep). It returns nil on success, the
// error of sleep when sleep ends it, ctx.Err() when ctx ends, and
// otherwise the last error of fn.
func Retry(ctx context.Context, p Policy, tries int, sleep SleepFunc, fn func(try int) error) error {
	if sleep == nil {
		sleep = Sleep
	}
	var wait time.Duration
	for try := 1; ; try++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := fn(try)
		if err == nil || try == tries {
			return err
		}
		wait = p.Next(wait)
		if err := sleep(ctx, p.Jittered(wait)); err != nil {
			return err
		}
	}
}
