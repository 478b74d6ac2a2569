package zone

import (
	"context"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/backoff"
)

// Timing of the re-sign loop.
const (
	// resignCheck bounds how long the loop sleeps, so a clock jump is
	// noticed within this time.
	resignCheck = 1 * time.Minute
)

// resignRetry is the wait between tries of a failing re-sign: 1 s,
// doubling, at most a minute.
func resignRetry() backoff.Policy { return backoff.Policy{Initial: time.Second, Max: time.Minute} }

// Run re-signs whenever a signature is due for refresh (the signal TXT on
// its heartbeat, everything else well before expiry) until ctx is done.
// After a failure (the state dir cannot take the new serial) it tries
// again with backoff, so a lasting fault logs a line a minute, not a
// second. An unsigned zone returns at once.
func (z *Zone) Run(ctx context.Context) error {
	if z.signing == nil {
		return nil
	}
	var retry time.Duration
	for {
		wait := max(z.nextResign(z.now()).Sub(z.now()), time.Second)
		if retry > 0 {
			wait = retry
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		if err := z.MaybeResign(ctx); err != nil {
			retry = resignRetry().Next(retry)
			z.log.Error("re-sign failed; serving the last good zone", "err", err, "retry_in", retry.String())
			continue
		}
		retry = 0
	}
}

// nextResign returns when the re-sign loop should next wake.
func (z *Zone) nextResign(now time.Time) time.Time {
	z.mu.Lock()
	defer z.mu.Unlock()
	next := now.Add(resignCheck)
	if z.signing.sigs == nil {
		return next
	}
	refresh, _ := z.signing.signer.NextRefresh(z.signing.sigs)
	if refresh.Before(next) {
		return refresh
	}
	return next
}

// MaybeResign re-signs when a signature is due, or is not valid at the
// current time because the clock jumped.
func (z *Zone) MaybeResign(ctx context.Context) error {
	if !z.resignDue(z.now()) {
		return nil
	}
	return z.Resign(ctx)
}

// resignDue reports whether any signature served needs re-making at now.
func (z *Zone) resignDue(now time.Time) bool {
	z.mu.Lock()
	defer z.mu.Unlock()
	return z.signing != nil && z.signing.signer.NeedsRefresh(z.signing.sigs, now)
}

// Resign bumps the serial and rebuilds the zone, so signatures due for
// refresh are re-made and secondaries transfer them. A failure is counted
// in mirrorsignal_dnssec_resign_failures_total.
func (z *Zone) Resign(ctx context.Context) error {
	serial, err := z.bumpAndApply(ctx)
	if err != nil {
		z.metrics.resignErr.Inc()
		return err
	}
	exp := z.Current().DNSSEC.Expiry
	z.log.Info("zone re-signed", "serial", serial,
		"earliest_expiry", exp.UTC().Format(time.RFC3339), "expires_in_s", int64(exp.Sub(z.now()).Seconds()))
	return nil
}
