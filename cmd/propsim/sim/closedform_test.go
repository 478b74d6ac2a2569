package sim

import (
	"math"
	"testing"
	"time"
)

// direct is n mirrors straight under the master, with zero rsync time,
// no caps, no faults and every cron at the same instant (t = 0): the
// setting of the closed-form cases.
func direct(n int) Config {
	return Config{Mirrors: n, Direct: true, Regions: 1, Rsync: Constant{0}, TriggerRetry: time.Minute,
		AdviceFanOut: DefaultAdviceFanOut, AdviceWindow: DefaultAdviceWindow, AdviceSources: DefaultAdviceSources,
		Horizon: 48 * time.Hour, Seed: 7}
}

func mustRun(t *testing.T, c Config, s Strategy) Result {
	t.Helper()
	r, err := Run(c, BuildTopology(c), s, 0)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// With zero rsync time and every mirror polling once after a uniform
// jitter in [0, J], the share fresh at t is t/J: the empirical curve stays
// within the Kolmogorov–Smirnov bound (α = 1 %) of the line.
func TestUniformJitterIsLinear(t *testing.T) {
	const n = 20000
	jitter := 10 * time.Minute
	r := mustRun(t, direct(n), Strategy{Name: "poll", Kind: Poll, Interval: time.Hour, Jitter: jitter})
	if len(r.Fresh) != n {
		t.Fatalf("%d of %d fresh", len(r.Fresh), n)
	}
	var d float64
	for k, at := range r.Fresh {
		if at < 0 || at > jitter {
			t.Fatalf("mirror fresh at %s, outside [0, %s]", at, jitter)
		}
		f := float64(at) / float64(jitter)
		d = max(d, math.Abs(float64(k+1)/n-f), math.Abs(float64(k)/n-f))
	}
	if bound := 1.63 / math.Sqrt(n); d > bound {
		t.Errorf("KS distance %.4f from t/J, bound %.4f", d, bound)
	}
	if half, _ := r.TimeTo(0.5); math.Abs(half.Seconds()-jitter.Seconds()/2) > 0.02*jitter.Seconds() {
		t.Errorf("50 %% at %s, want about %s", half, jitter/2)
	}
	if r.Polls != n || r.Sessions != n {
		t.Errorf("%d polls and %d sessions, want one each per mirror", r.Polls, r.Sessions)
	}
}

// One upstream slot, constant rsync time d and n mirrors asking at once:
// the refused ones retry at their next poll, so the k-th sync starts at
// k·⌈d/I⌉·I and ends d later — with I = d, completions at d, 2d, …, nd.
func TestOneSlotCompletions(t *testing.T) {
	const n = 8
	d := 100 * time.Second
	for _, interval := range []time.Duration{d, 40 * time.Second, 250 * time.Second} {
		t.Run(interval.String(), func(t *testing.T) {
			c := direct(n)
			c.Rsync, c.MasterCap = Constant{d}, 1
			r := mustRun(t, c, Strategy{Name: "poll", Kind: Poll, Interval: interval})
			step := time.Duration(math.Ceil(float64(d)/float64(interval))) * interval
			if len(r.Fresh) != n {
				t.Fatalf("%d of %d fresh", len(r.Fresh), n)
			}
			for k, at := range r.Fresh {
				if want := time.Duration(k)*step + d; at != want {
					t.Errorf("completion %d at %s, want %s (all: %v)", k+1, at, want, r.Fresh)
				}
			}
			if r.PeakMaster != 1 {
				t.Errorf("peak %d sessions on the master, cap 1", r.PeakMaster)
			}
			if interval == d && r.Refused != n*(n-1)/2 {
				t.Errorf("%d refusals, want %d (n−k−1 in round k)", r.Refused, n*(n-1)/2)
			}
		})
	}
}

// Cron every T at a uniform phase: the mean delay is T/2.
func TestCronMeanHalfPeriod(t *testing.T) {
	const n = 20000
	period := 6 * time.Hour
	c := direct(n)
	c.CronSpread = true
	r := mustRun(t, c, Strategy{Name: "cron", Kind: Cron, CronMin: period, CronMax: period})
	if len(r.Fresh) != n {
		t.Fatalf("%d of %d fresh", len(r.Fresh), n)
	}
	mean := meanSeconds(r.Fresh)
	se := period.Seconds() / math.Sqrt(12*n)
	if want := period.Seconds() / 2; math.Abs(mean-want) > 4*se {
		t.Errorf("mean delay %.0fs, want %.0fs ± %.0fs", mean, want, 4*se)
	}
	if last := r.Fresh[n-1]; last > period {
		t.Errorf("a mirror got fresh at %s, after one period %s", last, period)
	}
}

// Without spread every cron runs at CronPhase: all mirrors are fresh then.
func TestCronSharedPhase(t *testing.T) {
	c := direct(50)
	c.CronPhase = 17 * time.Minute
	r := mustRun(t, c, Strategy{Name: "cron", Kind: Cron, CronMin: time.Hour, CronMax: 2 * time.Hour})
	if r.Fresh[0] != c.CronPhase || r.Fresh[len(r.Fresh)-1] != c.CronPhase {
		t.Errorf("fresh from %s to %s, want all at %s", r.Fresh[0], r.Fresh[len(r.Fresh)-1], c.CronPhase)
	}
}

// A poll that fails with probability p, polls every I without jitter: the
// delay is I·K with K geometric, mean I·p/(1−p). Frozen answers (the old
// signal) delay the same way.
func TestFailedPollsGeometricDelay(t *testing.T) {
	const n, p = 20000, 0.3
	interval := 10 * time.Minute
	for _, name := range []string{"dns-fail", "frozen"} {
		t.Run(name, func(t *testing.T) {
			c := direct(n)
			if name == "dns-fail" {
				c.DNSFail = p
			} else {
				c.Frozen = p
			}
			r := mustRun(t, c, Strategy{Name: "poll", Kind: Poll, Interval: interval})
			if len(r.Fresh) != n {
				t.Fatalf("%d of %d fresh", len(r.Fresh), n)
			}
			want := interval.Seconds() * p / (1 - p)
			se := interval.Seconds() * math.Sqrt(p) / (1 - p) / math.Sqrt(n)
			if mean := meanSeconds(r.Fresh); math.Abs(mean-want) > 4*se {
				t.Errorf("mean delay %.1fs, want %.1fs ± %.1fs", mean, want, 4*se)
			}
			for k := range 3 { // P(fresh by the k-th poll) = 1 − p^(k+1)
				got := r.ShareAt(time.Duration(k) * interval)
				want := 1 - math.Pow(p, float64(k+1))
				if math.Abs(got-want) > 4*math.Sqrt(want*(1-want)/n)+1e-9 {
					t.Errorf("fresh at poll %d: %.4f, want %.4f", k, got, want)
				}
			}
			if failed := r.DNSFailures + r.FrozenAnswers; failed != r.Polls-n {
				t.Errorf("%d failed polls of %d, want polls − mirrors = %d", failed, r.Polls, r.Polls-n)
			}
		})
	}
}

// Push with constant rsync time d and no caps cascades a tier per d: tier
// 1 at d (and the gate), tier 2 at 2d, tier 3 at 3d — the polls are set
// far off so that only triggers act.
func TestPushCascade(t *testing.T) {
	d := 90 * time.Second
	c := direct(14)
	c.Direct, c.Tier1, c.Quorum, c.Tier2Share, c.Rsync = false, 2, 2, 0.5, Constant{d}
	c.CronPhase = 23 * time.Hour
	topo := BuildTopology(c)
	e := newEngine(c, topo, Strategy{Name: "push", Kind: Push, Interval: 24 * time.Hour}, 0)
	if err := e.run(); err != nil {
		t.Fatal(err)
	}
	if e.res.GateAt != d {
		t.Errorf("gate at %s, want %s", e.res.GateAt, d)
	}
	for i, nd := range topo.nodes {
		if want := time.Duration(nd.tier) * d; e.fresh[i] != want {
			t.Errorf("tier-%d mirror fresh at %s, want %s", nd.tier, e.fresh[i], want)
		}
	}
	if e.res.Polls != 0 || e.res.StaleSyncs != 0 {
		t.Errorf("%d polls and %d stale syncs, want none", e.res.Polls, e.res.StaleSyncs)
	}
}

func meanSeconds(v []time.Duration) float64 {
	var s float64
	for _, d := range v {
		s += d.Seconds()
	}
	return s / float64(len(v))
}
