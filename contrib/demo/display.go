package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mirrorsignal/mirrorsignal/contrib/demo/fleet"
	"github.com/mirrorsignal/mirrorsignal/server/api/apiv1"
	"github.com/mirrorsignal/mirrorsignal/server/status"
)

// barWidth is the progress bar's width in cells.
const barWidth = 30

// progressLine is one line on the propagation of stamp as the checker
// sees it in snap at now: a bar of the share of hosts fresh (tier-1 and
// mirrors, as signald's event counts them), the mirrors and tier-1 hosts
// fresh, the time since the publish, and the times to 50 and 80 % once
// reached.
func progressLine(snap *status.Snapshot, stamp int64, now time.Time) string {
	t1, t1n, ms, msn := fleet.Fresh(snap, stamp)
	fresh, total := t1+ms, t1n+msn
	ev, ok := fleet.EventOf(snap, stamp)
	if ok && ev.Carrying > 0 {
		fresh, total = ev.Fresh, ev.Carrying
	}
	pct := 0.0
	if total > 0 {
		pct = 100 * float64(fresh) / float64(total)
	}
	filled := int(pct / 100 * barWidth)
	var b strings.Builder
	fmt.Fprintf(&b, "  [%s%s] %3.0f %% fresh  mirrors %d/%d  tier-1 %d/%d  t+%s",
		strings.Repeat("#", filled), strings.Repeat(".", barWidth-filled), pct, ms, msn, t1, t1n, seconds(now.Sub(time.Unix(stamp, 0))))
	for _, p := range []int{50, 80} {
		if d, ok := fleet.Reached(ev, p); ok {
			fmt.Fprintf(&b, "  %d %% at %s", p, seconds(d))
		} else {
			fmt.Fprintf(&b, "  %d %% …", p)
		}
	}
	return b.String() + "   " // covers a longer line drawn before
}

// gateLine is one line on where a publish is.
func gateLine(p apiv1.Publish) string {
	line := p.State
	if g := p.Tier1; g != nil && g.Total > 0 {
		line += fmt.Sprintf(": %d of %d tier-1 hosts serve it, %d needed", len(g.Seen), g.Total, g.Need)
		// A host still behind is the normal wait; anything else is said.
		for _, a := range g.Awaited {
			if a.Error != "" && !strings.Contains(a.Error, "behind") {
				line += fmt.Sprintf("; %s: %s", a.Host, a.Error)
			}
		}
	}
	return line
}

// summary is the figures of one publish in one line.
func summary(p *fleet.Propagation) string {
	var b strings.Builder
	fmt.Fprintf(&b, "publish → commit %s", seconds(p.Committed.Sub(p.Published)))
	for _, pct := range []int{50, 80, 100} {
		if d, ok := fleet.Reached(p.Event, pct); ok {
			fmt.Fprintf(&b, ", %d %% fresh %s", pct, seconds(d))
		}
	}
	var rs []float64
	for _, s := range p.Syncs {
		rs = append(rs, s.RsyncSeconds)
	}
	if len(rs) > 0 {
		fmt.Fprintf(&b, "; rsync %.2f–%.2f s", slices.Min(rs), slices.Max(rs))
	}
	return b.String()
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.1fs", d.Seconds()) }
