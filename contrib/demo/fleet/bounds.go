package fleet

import "time"

// Bounds are the delays the fleet's configuration implies: how long after
// a commit each step of the propagation may take at most.
type Bounds struct {
	// Poll is the longest from a commit until an agent's pass decides to
	// sync: the pass in flight at the commit (at most one signal query
	// with its retries), then daemon_interval + jitter, then the next
	// query (dns.timeout × dns.attempts each).
	Poll time.Duration
	// Detect is the longest from a mirror's new TIME file until the
	// checker's probe sees it: one fast interval (its re-checks after a
	// publish) plus one probe timeout.
	Detect time.Duration
	// Slack covers what no setting bounds: scheduling on a loaded
	// machine, the pre-flight fetch of the source's TIME, rsync starting.
	Slack time.Duration
	// Rsync is the budget for one mirror's rsync when no measured
	// duration is at hand (Await's deadline).
	Rsync time.Duration
}

// Settings of the agents that the bounds use (agentTOML sets them).
const (
	agentDNSTimeout  = 2 * time.Second
	agentDNSAttempts = 2
	// boundSlack is Bounds.Slack.
	boundSlack = 3 * time.Second
	// rsyncBudget is Bounds.Rsync: one release (Files × FileSize, about
	// 1 MiB by default) over loopback.
	rsyncBudget = 10 * time.Second
)

// Bounds returns the delays the fleet's configuration implies.
func (f *Fleet) Bounds() Bounds {
	query := agentDNSTimeout * agentDNSAttempts
	return Bounds{
		Poll:   query + f.o.AgentInterval + f.o.AgentJitter + query,
		Detect: f.o.CheckerFast + f.o.CheckerTimeout,
		Slack:  boundSlack,
		Rsync:  rsyncBudget,
	}
}

// FreshBy is the latest, counted from the commit, that a mirror whose
// rsync took rsync may be first seen fresh.
func (b Bounds) FreshBy(rsync time.Duration) time.Duration {
	return b.Poll + rsync + b.Detect + b.Slack
}

// SeenBy is the latest, counted from the end of a mirror's rsync, that
// the checker may first see it fresh.
func (b Bounds) SeenBy() time.Duration { return b.Detect + b.Slack }

// Wait is how long to wait after a commit for every mirror: FreshBy with
// the rsync budget.
func (b Bounds) Wait() time.Duration { return b.FreshBy(b.Rsync) }
