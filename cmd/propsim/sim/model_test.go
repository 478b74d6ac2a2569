package sim

import (
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// small is a tiered network with tight caps and faults, where every rule
// of the model is exercised.
func small(seed uint64) Config {
	c := DefaultConfig(400)
	c.Tier1, c.UpstreamCap, c.MasterCap, c.AdviceFanOut = 6, 4, 3, 3
	c.Tier3FromTier1, c.DownShare, c.DNSFail, c.Frozen = 0.2, 0.03, 0.05, 0.05
	c.Seed = seed
	return c
}

// Whatever the strategy: nobody gets the content before the mirror it
// synced from had it, down mirrors never do, signal-driven mirrors only
// after the gate, the gate is the quorum-th tier-1 host, and no upstream
// ever serves more sessions than its cap.
func TestModelInvariants(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		c := small(seed)
		topo := BuildTopology(c)
		for i, s := range Strategies(5*time.Minute, 5*time.Minute) {
			e := newEngine(c, topo, s, uint64(i))
			if err := e.run(); err != nil {
				t.Fatal(err)
			}
			var tier1 []time.Duration
			for m, nd := range topo.nodes {
				at := e.fresh[m]
				if at < 0 {
					continue
				}
				if nd.down {
					t.Fatalf("%s: down mirror %d got fresh", s.Name, m)
				}
				if nd.tier == 1 {
					tier1 = append(tier1, at)
					if e.from[m] != master {
						t.Fatalf("%s: tier-1 host %d synced from %d, not the master", s.Name, m, e.from[m])
					}
					continue
				}
				if src := e.from[m]; src == master || e.fresh[src] < 0 || e.fresh[src] >= at {
					t.Fatalf("%s: mirror %d fresh at %s from %d (fresh at %v)", s.Name, m, at, src, e.fresh[max(src, 0)])
				}
				if s.Kind != Cron && at <= e.res.GateAt {
					t.Fatalf("%s: mirror %d fresh at %s, before the gate at %s", s.Name, m, at, e.res.GateAt)
				}
			}
			slices.Sort(tier1)
			if q := c.quorum(); len(tier1) >= q && e.res.GateAt != tier1[q-1] {
				t.Errorf("%s: gate at %s, the %d-th tier-1 host fresh at %s", s.Name, e.res.GateAt, q, tier1[q-1])
			}
			if e.res.PeakMaster > c.MasterCap || e.res.PeakTier1 > c.UpstreamCap || e.res.PeakOther > c.UpstreamCap {
				t.Errorf("%s: peaks %d/%d/%d over the caps %d/%d", s.Name, e.res.PeakMaster, e.res.PeakTier1, e.res.PeakOther, c.MasterCap, c.UpstreamCap)
			}
			if e.res.Refused == 0 {
				t.Errorf("%s: no refusal with caps of %d: the caps were not exercised", s.Name, c.UpstreamCap)
			}
		}
	}
}

// Without advice, a tier-3 mirror under a stale tier-2 mirror wastes no-op
// syncs; advice names fresh sources only, so it wastes far fewer.
func TestAdviceAvoidsStaleUpstreams(t *testing.T) {
	c := DefaultConfig(600)
	o, err := Scenario{Config: c, Strategies: Strategies(5*time.Minute, 5*time.Minute)[2:4]}.Run()
	if err != nil {
		t.Fatal(err)
	}
	plain, advised := o.Results[0], o.Results[1]
	if plain.StaleSyncs == 0 || advised.StaleSyncs*3 > plain.StaleSyncs {
		t.Errorf("stale syncs: %d with advice, %d without", advised.StaleSyncs, plain.StaleSyncs)
	}
	if advised.Advice == 0 || plain.Advice != 0 {
		t.Errorf("advice asked %d times with advice, %d without", advised.Advice, plain.Advice)
	}
}

// The fan-out cap hands a source to at most AdviceFanOut distinct mirrors
// per window; a mirror asking again is not counted twice.
func TestAdviceFanOut(t *testing.T) {
	c := DefaultConfig(10)
	c.AdviceFanOut, c.AdviceWindow = 2, 10*time.Minute
	e := newEngine(c, BuildTopology(c), Strategies(time.Minute, 0)[3], 0)
	const src = 9
	steps := []struct {
		at     time.Duration
		mirror int
		want   bool
	}{
		{0, 1, true}, {time.Minute, 2, true}, {2 * time.Minute, 3, false},
		{3 * time.Minute, 1, true},  // again, and its hand-out is renewed
		{11 * time.Minute, 3, true}, // mirror 2's hand-out (1m) has left the window
		{12 * time.Minute, 4, false},
		{13*time.Minute + time.Second, 4, true}, // mirror 1's renewed hand-out (3m) has left it
	}
	for _, s := range steps {
		e.now = s.at
		if got := e.take(src, s.mirror); got != s.want {
			t.Errorf("at %s mirror %d: take = %v, want %v", s.at, s.mirror, got, s.want)
		}
	}
}

// Advice names the mirror's region first, tier-1 hosts last, never the
// mirror itself, and at most AdviceSources.
func TestAdviceOrder(t *testing.T) {
	c := DefaultConfig(40)
	c.Regions, c.AdviceSources = 2, 4
	topo := BuildTopology(c)
	e := newEngine(c, topo, Strategies(time.Minute, 0)[3], 0)
	for i := range topo.nodes {
		if topo.nodes[i].source {
			e.visible(i)
		}
	}
	for m := range topo.nodes {
		got := e.advise(m)
		if len(got) != c.AdviceSources {
			t.Fatalf("mirror %d advised %d sources, want %d", m, len(got), c.AdviceSources)
		}
		seenOther, seenTier1 := false, false
		for _, src := range got {
			nd := topo.nodes[src]
			switch {
			case src == m:
				t.Fatalf("mirror %d advised itself", m)
			case nd.tier == 1:
				seenTier1 = true
			case seenTier1:
				t.Fatalf("mirror %d: tier-2/3 source after a tier-1 one in %v", m, got)
			case nd.region != topo.nodes[m].region:
				seenOther = true
			case seenOther:
				t.Fatalf("mirror %d: a same-region source after another region's in %v", m, got)
			}
		}
	}
}

// The same seed gives the same run; another seed another one.
func TestDeterministic(t *testing.T) {
	s := Scenario{Config: small(5), Strategies: Strategies(5*time.Minute, 5*time.Minute)}
	a, err := s.Run()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := s.Run()
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two runs with one seed differ")
	}
	s.Config.Seed = 6
	c, _ := s.Run()
	if reflect.DeepEqual(a.Results, c.Results) {
		t.Fatal("seeds 5 and 6 gave the same runs")
	}
}

// A run that cannot finish within its horizon stops there, with the
// share reached so far; its mirrors under down upstreams stay behind.
func TestHorizonStops(t *testing.T) {
	c := DefaultConfig(300)
	c.DownShare, c.Horizon = 0.1, 2*time.Hour
	r := mustRun(t, c, Strategies(5*time.Minute, 5*time.Minute)[2])
	if r.End > c.Horizon || len(r.Fresh) >= r.Alive {
		t.Errorf("ended at %s with %d of %d live mirrors fresh", r.End, len(r.Fresh), r.Alive)
	}
	if _, ok := r.TimeTo(0.99); ok {
		t.Error("99 % reached with 10 % of the mirrors down")
	}
}

func TestEventBudget(t *testing.T) {
	c := direct(1)
	c.Frozen, c.DNSFail = 0.5, 0.4999999 // almost every poll fails
	c.Horizon = 30 * 24 * time.Hour
	_, err := Run(c, BuildTopology(c), Strategy{Name: "poll", Kind: Poll, Interval: time.Second}, 0)
	if !errors.Is(err, ErrEventBudget) {
		t.Fatalf("err = %v", err)
	}
}

func TestTopologySpreadsChildren(t *testing.T) {
	c := DefaultConfig(1000)
	topo := BuildTopology(c)
	counts := topo.TierCounts()
	if counts != [3]int{10, 693, 297} {
		t.Fatalf("tiers %v", counts)
	}
	for _, i := range topo.tier1 {
		if n := len(topo.nodes[i].children); n < 693/10 || n > 693/10+1+297 {
			t.Errorf("tier-1 host with %d children", n)
		}
	}
	if m := topo.MaxChildren(); m != 70 {
		t.Errorf("max children %d, want ⌈693/10⌉ = 70", m)
	}
}

func TestValidateNamesField(t *testing.T) {
	for _, c := range []struct {
		field string
		edit  func(*Config)
	}{
		{"mirrors", func(c *Config) { c.Mirrors = 0 }},
		{"tier1", func(c *Config) { c.Tier1 = 0 }},
		{"quorum", func(c *Config) { c.Quorum = 11 }},
		{"tier2-share", func(c *Config) { c.Tier2Share = math.NaN() }},
		{"down", func(c *Config) { c.DownShare = 1.5 }},
		{"dns-fail", func(c *Config) { c.DNSFail, c.Frozen = 0.5, 0.5 }},
		{"rsync", func(c *Config) { c.Rsync = nil }},
		{"horizon", func(c *Config) { c.Horizon = 0 }},
		{"advice", func(c *Config) { c.AdviceFanOut = 0 }},
	} {
		cfg := DefaultConfig(100)
		c.edit(&cfg)
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), c.field) {
			t.Errorf("%s: err = %v", c.field, err)
		}
	}
	if err := DefaultConfig(100).Validate(); err != nil {
		t.Errorf("default: %v", err)
	}
	for _, s := range []Strategy{{Kind: Cron, CronMin: time.Hour, CronMax: time.Minute}, {Kind: Poll}, {Kind: Kind(9)}} {
		if s.Validate() == nil {
			t.Errorf("strategy %+v accepted", s)
		}
	}
}

func TestTimeToAndShareAt(t *testing.T) {
	r := Result{Mirrors: 4, Fresh: []time.Duration{10, 20, 30}}
	for _, c := range []struct {
		q    float64
		want time.Duration
		ok   bool
	}{{0.25, 10, true}, {0.5, 20, true}, {0.51, 30, true}, {0.75, 30, true}, {0.8, 0, false}} {
		if got, ok := r.TimeTo(c.q); got != c.want || ok != c.ok {
			t.Errorf("TimeTo(%v) = %v, %v; want %v, %v", c.q, got, ok, c.want, c.ok)
		}
	}
	for _, c := range []struct {
		at   time.Duration
		want float64
	}{{9, 0}, {10, 0.25}, {25, 0.5}, {1000, 0.75}} {
		if got := r.ShareAt(c.at); got != c.want {
			t.Errorf("ShareAt(%v) = %v, want %v", c.at, got, c.want)
		}
	}
}

// Fitting recovers μ and σ: exactly for e^(μ±σ) (sample σ √2), and
// closely from many draws of a known log-normal.
func TestFitLogNormal(t *testing.T) {
	mu, sigma := 4.0, 0.7
	got, err := FitLogNormal([]float64{math.Exp(mu - sigma), math.Exp(mu + sigma)})
	if err != nil || math.Abs(got.Mu-mu) > 1e-9 || math.Abs(got.Sigma-sigma*math.Sqrt2) > 1e-9 {
		t.Fatalf("fit = %+v, %v", got, err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	want := LogNormal{Mu: mu, Sigma: sigma}
	v := make([]float64, 5000)
	for i := range v {
		v[i] = want.Sample(r).Seconds()
	}
	got, err = FitLogNormal(v)
	if err != nil || math.Abs(got.Mu-mu) > 0.05 || math.Abs(got.Sigma-sigma) > 0.05 {
		t.Errorf("fit of 5000 draws = %+v, %v; want %+v", got, err, want)
	}
	if med := LogNormalMedian(2*time.Minute, 0.8).Median(); med.Round(time.Second) != 2*time.Minute {
		t.Errorf("median %s", med)
	}
	for _, bad := range [][]float64{{1}, {1, 0}, {1, -2}, {1, math.Inf(1)}} {
		if _, err := FitLogNormal(bad); err == nil {
			t.Errorf("FitLogNormal(%v) accepted", bad)
		}
	}
}
