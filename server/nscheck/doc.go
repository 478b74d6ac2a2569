// Package nscheck asks every authoritative name server of the signal zone
// — the NS set and the configured secondaries — for the zone's SOA serial
// and the signal TXT directly (non-recursive), and flags a server that
// serves a stale serial for longer than a grace period (lagging), does not
// answer (unreachable), answers without the zone (error), or serves
// signald's serial with another signal (wrong).
//
// It learns what signald serves through ZoneChanged, keeps a state per
// server, hands each state change once to an injected func (for
// notifications), publishes an immutable View for the status page and
// keeps gauges on a given prometheus.Registerer. The state decisions are a
// pure core (Next, with an injected now); the queries are a thin layer over
// sigquery.Exchange.
//
// It uses miekg/dns, sigquery and, for the Snapshot type only, zone; it
// must not import the store, the HTTP layer, notifications or agent: the
// composition root connects it to them (OnChange, Subscribe, View).
package nscheck
