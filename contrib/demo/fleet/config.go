package fleet

import (
	"fmt"
	"strings"
	"time"
)

// The zone and tree of the fleet.
const (
	origin     = "mirrors.example.test."
	signalName = "current." + origin
	tree       = module
)

// countries are handed out to the hosts in turn (the checker and the
// status page want one each).
var countries = []string{"DE", "US", "JP", "BR", "FR", "GB", "AU", "CA", "IN", "ZA", "NL", "SE"}

// signaldTOML is signald's configuration: one tree planted on the local
// master and gated on every tier-1 host, DNSSEC on, a checker fast enough
// to watch live.
func (f *Fleet) signaldTOML(dnsAddr, httpAddr string) string {
	o := f.o
	return fmt.Sprintf(`state_dir = %q
[zone]
origin = %q
[[zone.ns]]
name = "ns1.%s"
addresses = ["127.0.0.1"]
[[trees]]
name = %q
quorum = "all"
[[trees.masters]]
dir = %q
[dns]
listen = %q
[http]
listen = %q
[dnssec]
enabled = true
generate = true
[publish]
mirrors_file = "mirrors.toml"
gate_interval = %q
gate_timeout = %q
[checker]
interval = %q
fast_interval = %q
fast_window = "30m"
hysteresis = 1
timeout = %q
[log]
level = "info"
`, f.path("signald", "var"), origin, origin, tree, f.master.Dir, dnsAddr, httpAddr,
		dur(o.GateInterval), dur(o.GateTimeout), dur(o.CheckerInterval), dur(o.CheckerFast), dur(o.CheckerTimeout))
}

// mirrorsTOML lists the tier-1 hosts (tier 1: the gate waits for them)
// and the mirrors, each with its HTTP and rsync URLs.
func (f *Fleet) mirrorsTOML() string {
	var b strings.Builder
	for i, h := range append(append([]*host(nil), f.tier1...), f.mirrors...) {
		fmt.Fprintf(&b, "[[mirror]]\nname = %q\ncountry = %q\ntier = %d\n[mirror.trees.%s]\nhttp = %q\nrsync = %q\n\n",
			h.Name, countries[i%len(countries)], h.Tier, tree, h.HTTPURL(), h.RsyncURL())
	}
	return b.String()
}

// agentTOML is the configuration of the agent of mirror m: it asks
// signald directly, validates the signal against the pinned DS, and syncs
// from its own tier-1 host first, then the others.
func (f *Fleet) agentTOML(m *host, i int, ds, dnsAddr string) string {
	var sources []string
	for k := range f.tier1 {
		sources = append(sources, fmt.Sprintf("%q", f.tier1[(i+k)%len(f.tier1)].RsyncURL()))
	}
	work := f.path("agents", m.Name)
	return fmt.Sprintf(`mirror = %q
[signal]
name = %q
layout = [%q]
[dns]
authoritative = [%q]
timeout = %q
attempts = %d
[dnssec]
mode = "pinned"
require_dnssec = true
pins = [%q]
[sync]
rsync = %q
lock_file = %q
state_file = %q
jitter = %q
daemon_interval = %q
max_interval = "24h"
connect_timeout = "5s"
io_timeout = "30s"
run_timeout = "5m"
[trees.%s]
path = %q
sources = [%s]
[log]
file = %q
level = "info"
stderr_level = "error"
format = "json"
`, m.Name, signalName, tree, dnsAddr, dur(agentDNSTimeout), agentDNSAttempts, ds, f.o.Rsync, work+"/lock", work+"/state.json",
		dur(f.o.AgentJitter), dur(f.o.AgentInterval), tree, m.Dir, strings.Join(sources, ", "), f.agentLog(m))
}

// dur formats d as a TOML duration string.
func dur(d time.Duration) string { return d.String() }
