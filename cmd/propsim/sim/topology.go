package sim

import (
	"math"
	"math/rand/v2"
)

// master is the upstream index of the master; mirrors are 0..n-1.
const master = -1

// node is one mirror's place in the network.
type node struct {
	tier     int // 1, 2 or 3
	upstream int // index, or master
	region   int
	down     bool
	source   bool  // may be advised to others (opted in, or tier 1)
	children []int // mirrors whose upstream this is
}

// Topology is the network a Config draws: the same for every strategy.
type Topology struct {
	nodes []node
	tier1 []int
}

// seed streams: the topology and each strategy's run draw from their own.
const (
	streamTopology = 0x70706f6c6f6779
	streamRun      = 0x72756e
)

// BuildTopology draws the tiers, upstreams, regions and down mirrors of c.
// Children are spread evenly over their possible upstreams (round-robin
// over a shuffled order).
func BuildTopology(c Config) *Topology {
	r := rand.New(rand.NewPCG(c.Seed, streamTopology))
	n := c.Mirrors
	t := &Topology{nodes: make([]node, n)}
	for i := range t.nodes {
		t.nodes[i].region = r.IntN(c.Regions)
		t.nodes[i].down = r.Float64() < c.DownShare
	}
	if c.Direct {
		for i := range t.nodes {
			t.nodes[i].tier, t.nodes[i].upstream = 2, master
		}
		return t
	}
	order := r.Perm(n)
	t1 := order[:c.Tier1]
	rest := order[c.Tier1:]
	n2 := int(math.Round(float64(len(rest)) * c.Tier2Share))
	t2, t3 := rest[:n2], rest[n2:]
	t.tier1 = append([]int(nil), t1...)
	for _, i := range t1 {
		t.nodes[i].tier, t.nodes[i].upstream, t.nodes[i].source = 1, master, true
	}
	assign := newSpreader(r, t1)
	for _, i := range t2 {
		t.nodes[i].tier, t.nodes[i].upstream = 2, assign.next()
		t.nodes[i].source = r.Float64() < c.SourceShare
	}
	from2 := assign
	if len(t2) > 0 {
		from2 = newSpreader(r, t2)
	}
	for _, i := range t3 {
		up := from2
		if r.Float64() < c.Tier3FromTier1 {
			up = assign
		}
		t.nodes[i].tier, t.nodes[i].upstream = 3, up.next()
		t.nodes[i].source = r.Float64() < c.SourceShare
	}
	for i, nd := range t.nodes {
		if nd.upstream != master {
			t.nodes[nd.upstream].children = append(t.nodes[nd.upstream].children, i)
		}
	}
	return t
}

// spreader hands out upstreams round-robin over a shuffled list.
type spreader struct {
	list []int
	at   int
}

func newSpreader(r *rand.Rand, list []int) *spreader {
	l := append([]int(nil), list...)
	r.Shuffle(len(l), func(i, j int) { l[i], l[j] = l[j], l[i] })
	return &spreader{list: l}
}

func (s *spreader) next() int {
	v := s.list[s.at%len(s.list)]
	s.at++
	return v
}

// MaxChildren is the largest number of mirrors configured to sync from
// one mirror (the fan-out without advice).
func (t *Topology) MaxChildren() int {
	m := 0
	for _, nd := range t.nodes {
		m = max(m, len(nd.children))
	}
	return m
}

// TierCounts is the number of mirrors in tiers 1, 2 and 3.
func (t *Topology) TierCounts() [3]int {
	var c [3]int
	for _, nd := range t.nodes {
		c[nd.tier-1]++
	}
	return c
}

// Down is the number of mirrors down for the whole run.
func (t *Topology) Down() int {
	d := 0
	for _, nd := range t.nodes {
		if nd.down {
			d++
		}
	}
	return d
}
