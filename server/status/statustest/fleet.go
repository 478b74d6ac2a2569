// Package statustest builds realistic status snapshots for the tests of
// the surfaces that render them (status page, JSON API, mirrorlist).
package statustest

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/status"
)

// Trees are the fixture's trees, in record order.
var Trees = []string{"content", "altarch", "vault"}

var countries = []struct{ cc, continent string }{
	{"DE", "EU"}, {"FR", "EU"}, {"NL", "EU"}, {"US", "NA"}, {"CA", "NA"},
	{"JP", "AS"}, {"BR", "SA"}, {"AU", "OC"}, {"ZA", "AF"}, {"SE", "EU"},
}

// Options shape a fleet.
type Options struct {
	Mirrors int       // how many; 50 when 0
	Events  int       // publish events of "content"; 2 when 0
	Now     time.Time // the snapshot's time; a fixed date when zero
	Seed    uint64
	// Hostile names the first mirrors and contacts with markup, quotes
	// and "]]>", for escaping tests.
	Hostile bool
}

// Hostile strings the fixture uses when Options.Hostile is set.
var Hostile = []string{
	`<script>alert("x")</script>`,
	`a"b'c&d]]>e`,
	`</title><svg onload=alert(1)>`,
}

// Fleet returns a snapshot of a realistic network: mirrors in ten
// countries, three tiers, mostly fresh with some behind, unreachable and
// in error, with 30 days of history each, and publish events of the
// "content" tree with their propagation curves and tier-1 gates.
func Fleet(o Options) *status.Snapshot {
	if o.Mirrors == 0 {
		o.Mirrors = 50
	}
	if o.Events == 0 {
		o.Events = 2
	}
	if o.Now.IsZero() {
		o.Now = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	}
	rng := rand.New(rand.NewPCG(o.Seed, 42))
	now := o.Now.UTC()
	stamps := map[string]int64{
		"content": now.Add(-20 * time.Minute).Unix(),
		"altarch": now.Add(-26 * time.Hour).Unix(),
		"vault":   now.Add(-9 * 24 * time.Hour).Unix(),
	}
	s := &status.Snapshot{Format: status.Format, Generated: now,
		Signal: status.Signal{Zone: "mirrors.example.test.", Name: "current.mirrors.example.test.",
			Record: fmt.Sprintf("%d:%d:%d", stamps["content"], stamps["altarch"], stamps["vault"]),
			Serial: 2026113001, Loaded: true,
			DNSSEC: status.DNSSEC{Signed: true, Expiry: now.Add(13 * 24 * time.Hour), KeyTags: []uint16{12345, 54321}}},
		NameServers: []status.NameServer{
			{Name: "ns1.mirrors.example.test.", Address: "192.0.2.53:53", Serial: 2026113001, State: "ok", At: now.Add(-time.Minute)},
			{Name: "ns2.mirrors.example.test.", Address: "198.51.100.53:53", Serial: 2026112903, State: "lagging", At: now.Add(-time.Minute), Since: now.Add(-18 * time.Minute)},
		},
		Checker: status.Checker{Enabled: true, At: now},
	}
	for _, t := range Trees {
		s.Trees = append(s.Trees, status.Tree{Name: t, Stamp: stamps[t], Master: "https://master.example.test/" + t + "/", Counts: map[string]int{}})
	}
	for i := range o.Mirrors {
		c := countries[i%len(countries)]
		tier := 2
		switch {
		case i < 3:
			tier = 1
		case i%7 == 6:
			tier = 3
		}
		name := fmt.Sprintf("mirror%02d.%s.example.net", i, lower(c.cc))
		admin := fmt.Sprintf("admin%02d@example.net", i)
		if o.Hostile && i < len(Hostile) {
			name, admin = Hostile[i], Hostile[(i+1)%len(Hostile)]
		}
		m := status.Mirror{Name: name, Country: c.cc, Continent: c.continent, Tier: tier, Admin: admin,
			Bandwidth: []int{100, 1000, 10000}[i%3], Netblocks: []string{fmt.Sprintf("203.0.%d.0/24", i%256)},
			SyncSource: tier == 1 || i%5 == 0}
		if i%4 == 0 {
			m.Families = []string{"ipv4", "ipv6"}
		}
		for ti, t := range Trees {
			if ti > 0 && i%3 == 2 {
				continue // some carry only content
			}
			m.Trees = append(m.Trees, mirrorTree(rng, now, m.Name, t, stamps[t], i, o.Hostile))
			s.Trees[ti].Counts[m.Trees[len(m.Trees)-1].State]++
		}
		s.Mirrors = append(s.Mirrors, m)
	}
	for e := range o.Events {
		s.Events = append(s.Events, event(rng, now, e, o.Mirrors, stamps["content"]))
	}
	for _, r := range []struct{ name, tree, path string }{{"baseos-9", "content", "9/BaseOS/%s/os"}, {"appstream-9", "content", "9/AppStream/%s/os"}} {
		for _, arch := range []string{"x86_64", "aarch64"} {
			s.Repos = append(s.Repos, status.Repo{Name: r.name, Arch: arch, Tree: r.tree, Path: fmt.Sprintf(r.path, arch),
				Versions: []status.RepomdVersion{
					{Size: 3500, Timestamp: stamps["content"], MD5: hex(rng, 16), SHA1: hex(rng, 20), SHA256: hex(rng, 32), SHA512: hex(rng, 64), Seen: now.Add(-20 * time.Minute)},
					{Size: 3480, Timestamp: stamps["content"] - 86400, MD5: hex(rng, 16), SHA1: hex(rng, 20), SHA256: hex(rng, 32), SHA512: hex(rng, 64), Seen: now.Add(-24 * time.Hour), Replaced: now.Add(-20 * time.Minute)},
				}})
		}
	}
	return s
}

func mirrorTree(rng *rand.Rand, now time.Time, mirror, tree string, signal int64, i int, hostile bool) status.MirrorTree {
	base := fmt.Sprintf("mirror%02d.example.net/%s/", i, tree)
	mt := status.MirrorTree{Tree: tree, URLs: map[string]string{"https": "https://" + base, "rsync": "rsync://" + base},
		Signal: signal, Checked: now.Add(-time.Duration(rng.IntN(900)) * time.Second)}
	if i%2 == 0 {
		mt.URLs["http"] = "http://" + base
	}
	if hostile && i < len(Hostile) {
		mt.URLs["https"] = "https://example.net/?q=" + Hostile[i]
	}
	switch {
	case i%11 == 10:
		mt.State, mt.Err = status.Unreachable, "dial tcp: connection refused"
	case i%13 == 12:
		mt.State, mt.Err, mt.Stamp = status.Error, "HTTP 404 Not Found", 0
	case i%5 == 4:
		mt.State, mt.Stamp = status.Behind, signal-int64(3600*(1+i%30))
		mt.LagSeconds = signal - mt.Stamp
	default:
		mt.State, mt.Stamp = status.Fresh, signal
	}
	if hostile && i < len(Hostile) && mt.Err == "" {
		mt.State, mt.Err = status.Error, "bad TIME: "+Hostile[i]
	}
	mt.Notified = mt.State
	for _, proto := range slices.Sorted(maps.Keys(mt.URLs)) { // a fixed order: the draws depend on it
		if proto == "rsync" {
			continue
		}
		mt.Probes = append(mt.Probes, status.Probe{Proto: proto, State: mt.State, At: mt.Checked, Stamp: mt.Stamp,
			LagSeconds: mt.LagSeconds, LatencySeconds: 0.02 + rng.Float64()/10, Err: mt.Err})
	}
	mt.Recent = append(mt.Recent, mt.Probes...)
	for d := 29; d >= 0; d-- {
		day := now.AddDate(0, 0, -d)
		fresh := 100 - float64(rng.IntN(4))*float64(i%5)*5
		worst := status.Fresh
		if fresh < 100 {
			worst = status.Behind
		}
		mt.Days = append(mt.Days, status.Day{Date: day.Format("2006-01-02"), Checks: 96, FreshPercent: fresh,
			MaxLag: int64(rng.IntN(6)) * 3600 * int64(i%5), Worst: worst})
	}
	mt.Figures = &status.Figures{Fresh7d: 99 - float64(i%5), Fresh30d: 98 - float64(i%5), LagP50: 0, LagP95: int64(i%5) * 3600}
	return mt
}

func event(rng *rand.Rand, now time.Time, e, mirrors int, latest int64) status.Event {
	stamp := latest - int64(e)*86400
	pub := time.Unix(stamp, 0).UTC()
	carrying := mirrors
	ev := status.Event{ID: status.EventID("content", stamp), Tree: "content", Stamp: stamp, Published: pub,
		Learned: pub.Add(40 * time.Second), Carrying: carrying}
	// A propagation with a tier-1 head start and a long tail.
	var after float64 = 60
	fresh := carrying - carrying/10
	if e == 0 {
		fresh = carrying * 85 / 100
	}
	for n := 1; n <= fresh; n++ {
		after += 20 + rng.Float64()*float64(n)*4
		ev.Curve = append(ev.Curve, status.Point{AfterSeconds: after, Percent: 100 * float64(n) / float64(carrying)})
	}
	ev.Fresh = fresh
	for _, p := range []int{50, 80, 95, 99, 100} {
		need := (p*carrying + 99) / 100
		if need <= fresh {
			ev.Reached = append(ev.Reached, status.Reached{Percent: p, AfterSeconds: ev.Curve[need-1].AfterSeconds})
		}
	}
	ev.Gate = &status.Gate{PublishID: int64(10 - e), Quorum: 2, Started: pub,
		Committed: pub.Add(35 * time.Second),
		Hosts: []status.GateHost{
			{Host: "mirror00.de.example.net", FirstSeen: pub.Add(12 * time.Second)},
			{Host: "mirror01.fr.example.net", FirstSeen: pub.Add(33 * time.Second)},
			{Host: "mirror02.nl.example.net"},
		}}
	return ev
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

func hex(rng *rand.Rand, n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, 2*n)
	for i := range b {
		b[i] = digits[rng.IntN(16)]
	}
	return string(b)
}
