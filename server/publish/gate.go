package publish

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/store"
)

// gate probes the tier-1 hosts every interval until a quorum serves the
// new stamp (true), the deadline passes (timed_out), or the publish is
// cancelled or ctx ends (false, state left as it is).
func (p *Publisher) gate(ctx context.Context, pub store.Publish, hosts []Host, log *slog.Logger) bool {
	started := p.o.Now()
	deadline, err := p.o.Store.StartGate(ctx, pub.ID, started.Add(p.o.Gate.Timeout), started)
	if err != nil {
		log.Error("publish stopped", "err", err)
		return false
	}
	need := min(max(p.o.Trees.Need(pub.Tree, len(hosts)), 1), len(hosts))
	seen := map[string]bool{}
	for _, h := range pub.Hosts {
		seen[h.Host] = true
	}
	log.Info("gating", "tier1", len(hosts), "need", need, "deadline", deadline.Format(time.RFC3339))
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
		}
		errs := p.probeRound(ctx, pub, hosts, seen)
		have, awaited := tally(hosts, seen)
		p.setProgress(pub.ID, need, len(hosts), awaited, errs)
		if have >= need {
			p.metrics.gate.Observe(p.o.Now().Sub(started).Seconds())
			log.Info("quorum reached", "have", have, "need", need)
			return true
		}
		if !p.o.Now().Before(deadline) {
			p.end(ctx, pub.ID, store.TimedOut, timeoutReason(have, need, len(hosts), awaited, errs, p.o.Gate.Timeout), log)
			return false
		}
		if cur, err := p.o.Store.GetPublish(ctx, pub.ID); err == nil && !store.Pending(cur.State) {
			return false
		}
		t.Reset(p.o.Gate.Interval)
	}
}

// probeRound fetches the TIME of every host not yet seen, at most
// Concurrency at once, records the hosts now serving the stamp, and
// returns the errors by host.
func (p *Publisher) probeRound(ctx context.Context, pub store.Publish, hosts []Host, seen map[string]bool) map[string]string {
	var mu sync.Mutex
	errs := map[string]string{}
	sem := make(chan struct{}, p.o.Gate.Concurrency)
	var wg sync.WaitGroup
	todo := slices.DeleteFunc(slices.Clone(hosts), func(h Host) bool { return seen[h.Name] })
	for _, h := range todo {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			stamp, err := p.o.Gate.Fetch.Fetch(ctx, h.URL)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				errs[h.Name] = err.Error()
			case stamp < pub.Stamp: // equivalent mutants of the lag below: it is only the error text
				errs[h.Name] = fmt.Sprintf("serves TIME %d, behind %d by %s", stamp, pub.Stamp, time.Duration(pub.Stamp-stamp)*time.Second)
			default:
				if err := p.o.Store.SeeHost(ctx, pub.ID, h.Name, stamp, p.o.Now()); err != nil {
					errs[h.Name] = err.Error()
					return
				}
				seen[h.Name] = true
			}
		})
	}
	wg.Wait()
	return errs
}

// tally counts the hosts seen and lists the others.
func tally(hosts []Host, seen map[string]bool) (int, []string) {
	var have int
	var awaited []string
	for _, h := range hosts {
		if seen[h.Name] {
			have++
		} else {
			awaited = append(awaited, h.Name)
		}
	}
	slices.Sort(awaited)
	return have, awaited
}

func timeoutReason(have, need, total int, awaited []string, errs map[string]string, timeout time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "quorum not reached in %s: %d of %d tier-1 hosts serve the stamp, %d needed; awaited:", timeout, have, total, need)
	for _, h := range awaited {
		fmt.Fprintf(&b, " %s", h)
		if e := errs[h]; e != "" {
			fmt.Fprintf(&b, " (%s)", e)
		}
		b.WriteByte(';')
	}
	return strings.TrimSuffix(b.String(), ";")
}
