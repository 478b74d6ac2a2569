package fleet

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/api/apiv1"
	"github.com/mirrorsignal/mirrorsignal/server/status"
	"github.com/mirrorsignal/mirrorsignal/server/store"
)

// measureWait bounds Measure's reads of checker.db.
const measureWait = 10 * time.Second

// Propagation is one publish as everyone saw it: signald's event, the
// checker's first-fresh times, the gate, the agents' and tier-1 feeds'
// syncs.
type Propagation struct {
	Publish   apiv1.Publish
	Stamp     int64
	Published time.Time // the stamp as a time: where the event's times count from
	Committed time.Time // the signal moved (the gate's commit)
	Event     status.Event
	// FirstFresh is, per mirror and tier-1 host, when the checker first
	// counted it fresh for the stamp (checker.db, whole seconds).
	FirstFresh map[string]time.Time
	// Tier1Seen is, per tier-1 host, when the gate first saw it serve the
	// stamp.
	Tier1Seen map[string]time.Time
	// Syncs is, per mirror, the agent's sync that brought the stamp; a
	// mirror whose log has none is absent.
	Syncs map[string]AgentSync
	// Tier1Syncs is, per tier-1 host, its sync from the master that
	// brought the stamp.
	Tier1Syncs map[string]Tier1Sync
	// Delays are the event's times from publish to each first-fresh
	// probe, ascending, read back from its curve; MirrorDelays the same
	// for the mirrors alone (the tier-1 hosts' entries taken out).
	Delays, MirrorDelays []time.Duration
}

// Measure gathers the propagation of the committed publish pub, whose
// event (from Await) is ev.
func (f *Fleet) Measure(ctx context.Context, pub apiv1.Publish, ev status.Event) (*Propagation, error) {
	p := &Propagation{Publish: pub, Stamp: pub.Stamp, Published: time.Unix(pub.Stamp, 0), Event: ev,
		Tier1Seen: map[string]time.Time{}, Syncs: map[string]AgentSync{}, Tier1Syncs: map[string]Tier1Sync{}}
	if g := ev.Gate; g != nil {
		p.Committed = g.Committed
		for _, h := range g.Hosts {
			if !h.FirstSeen.IsZero() {
				p.Tier1Seen[h.Host] = h.FirstSeen
			}
		}
	}
	if p.Committed.IsZero() {
		return nil, fmt.Errorf("the event of %d has no committed gate: %+v", pub.Stamp, ev.Gate)
	}
	var err error
	if p.FirstFresh, err = f.firstFresh(ctx, pub.Stamp); err != nil {
		return nil, err
	}
	for _, m := range f.mirrors {
		syncs, err := readAgentLog(f.agentLog(m))
		if err != nil {
			return nil, fmt.Errorf("log of the agent of %s: %w", m.Name, err)
		}
		if s, ok := syncOf(syncs, pub.Stamp); ok {
			p.Syncs[m.Name] = s
		}
	}
	for host, syncs := range f.Tier1Syncs() {
		for _, s := range syncs {
			if s.Err == nil && s.Stamp >= pub.Stamp {
				p.Tier1Syncs[host] = s
				break
			}
		}
	}
	p.Delays = Delays(ev)
	var tier1 []time.Duration
	for _, at := range p.Tier1Seen {
		tier1 = append(tier1, at.Sub(p.Published))
	}
	p.MirrorDelays = without(p.Delays, tier1)
	return p, nil
}

func (f *Fleet) firstFresh(ctx context.Context, stamp int64) (map[string]time.Time, error) {
	ctx, cancel := context.WithTimeout(ctx, measureWait)
	defer cancel()
	db, err := store.OpenChecker(ctx, f.cfg.StatePath("checker.db"))
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return db.FirstFresh(ctx, tree, stamp)
}

func readAgentLog(path string) ([]AgentSync, error) {
	fh, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	return ParseAgentLog(fh)
}

// Delays reads the times from publish to each first-fresh probe back
// from the event's curve, ascending: each step up by k mirrors is k
// times its delay. (A curve thinned to its 200-point cap loses steps;
// the fleets here are far smaller.)
func Delays(ev status.Event) []time.Duration {
	var out []time.Duration
	counted := 0
	for _, pt := range ev.Curve {
		n := int(math.Round(pt.Percent * float64(ev.Carrying) / 100))
		d := time.Duration(pt.AfterSeconds * float64(time.Second))
		for ; counted < n; counted++ {
			out = append(out, d)
		}
	}
	return out
}

// without removes from sorted, for each of drop, the entry nearest to it.
func without(sorted, drop []time.Duration) []time.Duration {
	out := slices.Clone(sorted)
	for _, d := range drop {
		best := -1
		for i, v := range out {
			if best < 0 || (v-d).Abs() < (out[best]-d).Abs() {
				best = i
			}
		}
		if best >= 0 {
			out = slices.Delete(out, best, best+1)
		}
	}
	return out
}

// Reached returns the event's time to pct % of the mirrors fresh.
func Reached(ev status.Event, pct int) (time.Duration, bool) {
	for _, r := range ev.Reached {
		if r.Percent == pct {
			return time.Duration(r.AfterSeconds * float64(time.Second)), true
		}
	}
	return 0, false
}
