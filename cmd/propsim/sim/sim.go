package sim

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"
)

// ErrEventBudget means a run took more events than its bound.
var ErrEventBudget = errors.New("event budget exhausted")

// engine is one strategy running on one topology.
type engine struct {
	c   Config
	s   Strategy
	t   *Topology
	r   *rand.Rand
	q   queue
	now time.Duration

	fresh   []time.Duration // when each mirror got the content; -1: not yet
	from    []int           // the upstream each fresh mirror got it from
	syncing []bool
	tick    []int           // poll: index of the next cron tick
	phase   []time.Duration // poll and cron: the mirror's cron phase
	period  []time.Duration // cron: the mirror's period

	sessions     []int // open rsync sessions per mirror as an upstream
	peak         []int
	masterActive int

	signalAt time.Duration // when the signal was bumped; -1: not yet
	freshT1  int
	alive    int // mirrors not down
	nFresh   int

	visibleRegion [][]int // sources the checker saw fresh, per region, in that order
	visibleAll    []int   // the same, all regions
	visibleTier1  []int
	given         [][]handout // advice hand-outs per source, in the window

	res Result
}

// handout is one mirror a source was advised to.
type handout struct {
	mirror int
	at     time.Duration
}

// Run simulates strategy s on c's network from the publish until every
// live mirror is fresh or the horizon.
func Run(c Config, t *Topology, s Strategy, stream uint64) (Result, error) {
	if err := c.Validate(); err != nil {
		return Result{}, err
	}
	if err := s.Validate(); err != nil {
		return Result{}, err
	}
	if len(t.nodes) != c.Mirrors {
		return Result{}, fmt.Errorf("topology has %d mirrors, config %d", len(t.nodes), c.Mirrors)
	}
	e := newEngine(c, t, s, stream)
	if err := e.run(); err != nil {
		return Result{}, err
	}
	return e.res, nil
}

// run handles events until every live mirror is fresh, the horizon or
// the event budget.
func (e *engine) run() error {
	e.start()
	budget := e.c.Mirrors * maxEventsPerMirror
	for e.q.Len() > 0 && e.nFresh < e.alive {
		ev := e.q.next()
		if ev.at > e.c.Horizon {
			break
		}
		if e.res.Events++; e.res.Events > budget {
			return fmt.Errorf("%s: %w after %d events at %s", e.s.Name, ErrEventBudget, budget, e.now)
		}
		e.now = ev.at
		e.handle(ev)
	}
	e.finish()
	return nil
}

func newEngine(c Config, t *Topology, s Strategy, stream uint64) *engine {
	n := c.Mirrors
	e := &engine{c: c, s: s, t: t, r: rand.New(rand.NewPCG(c.Seed, streamRun^stream)),
		fresh: make([]time.Duration, n), from: make([]int, n), syncing: make([]bool, n), tick: make([]int, n),
		phase: make([]time.Duration, n), period: make([]time.Duration, n),
		sessions: make([]int, n), peak: make([]int, n), signalAt: -1,
		visibleRegion: make([][]int, c.Regions), given: make([][]handout, n)}
	for i := range e.fresh {
		e.fresh[i] = -1
	}
	e.res = Result{Strategy: s.Name, Mirrors: n, GateAt: -1}
	return e
}

// start plants the first events: the tier-1 feed (or, without tiers, the
// signal at once) and every other mirror's first poll or cron run.
func (e *engine) start() {
	if e.c.Direct {
		e.openGate()
	}
	for i, nd := range e.t.nodes {
		if nd.down {
			continue
		}
		e.alive++
		if nd.tier == 1 {
			e.q.add(event{at: 0, kind: evFeed, m: i})
			continue
		}
		switch e.s.Kind {
		case Cron:
			e.period[i] = e.uniform(e.s.CronMin, e.s.CronMax)
			e.phase[i] = e.c.CronPhase
			if e.c.CronSpread {
				e.phase[i] = e.uniform(0, e.period[i])
			}
			e.q.add(event{at: e.phase[i], kind: evCron, m: i})
		case Poll, Push:
			e.firstPoll(i)
		}
	}
}

// uniform draws from [lo, hi].
func (e *engine) uniform(lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(e.r.Int64N(int64(hi-lo)+1))
}

// firstPoll finds mirror i's first poll at or after the publish: cron
// ticks at phase + k·interval, each poll a uniform jitter later, so a tick
// shortly before the publish can still poll after it.
func (e *engine) firstPoll(i int) {
	e.phase[i] = e.c.CronPhase
	if e.c.CronSpread {
		e.phase[i] = e.uniform(0, e.s.Interval-1)
	}
	e.tick[i] = -int(e.s.Jitter / e.s.Interval)
	if e.s.Jitter%e.s.Interval != 0 {
		e.tick[i]--
	}
	for {
		at := e.tickTime(i) + e.uniform(0, e.s.Jitter)
		e.tick[i]++
		if at >= 0 {
			e.q.add(event{at: at, kind: evPoll, m: i})
			return
		}
	}
}

func (e *engine) tickTime(i int) time.Duration {
	return e.phase[i] + time.Duration(e.tick[i])*e.s.Interval
}

// nextPoll plans mirror i's next poll. With jitter above the interval a
// drawn time may fall before now; the poll then runs now (the agent's
// runs queue behind its lock).
func (e *engine) nextPoll(i int) {
	at := max(e.tickTime(i)+e.uniform(0, e.s.Jitter), e.now)
	e.tick[i]++
	e.q.add(event{at: at, kind: evPoll, m: i})
}

func (e *engine) handle(ev event) {
	switch ev.kind {
	case evDone:
		e.done(ev)
	case evVisible:
		e.visible(ev.m)
	case evFeed:
		if e.fresh[ev.m] < 0 && !e.syncing[ev.m] && !e.try(ev.m, []int{master}) {
			e.q.add(event{at: e.now + e.c.TriggerRetry, kind: evFeed, m: ev.m})
		}
	case evTrigger:
		if e.fresh[ev.m] < 0 && !e.syncing[ev.m] {
			e.res.Triggers++
			e.try(ev.m, []int{ev.src}) // refused: the poll schedule goes on
		}
	case evPoll:
		e.poll(ev.m)
	case evCron:
		e.cron(ev.m)
	}
}

func (e *engine) cron(i int) {
	if e.fresh[i] >= 0 {
		return
	}
	e.q.add(event{at: e.now + e.period[i], kind: evCron, m: i})
	if !e.syncing[i] {
		e.try(i, []int{e.t.nodes[i].upstream})
	}
}

func (e *engine) poll(i int) {
	if e.fresh[i] >= 0 {
		return
	}
	e.nextPoll(i)
	if e.syncing[i] {
		return // the lock is held: this run ends at once
	}
	e.res.Polls++
	if e.signalAt < 0 {
		return
	}
	switch u := e.r.Float64(); {
	case u < e.c.DNSFail:
		e.res.DNSFailures++
		return
	case u < e.c.DNSFail+e.c.Frozen:
		e.res.FrozenAnswers++
		return
	}
	up := e.t.nodes[i].upstream
	if !e.s.Advice {
		e.try(i, []int{up})
		return
	}
	srcs := e.advise(i)
	if !slices.Contains(srcs, up) {
		srcs = append(srcs, up)
	}
	e.try(i, srcs)
}

// try starts a sync of mirror i from the first source that accepts it:
// a down source does not answer, a full one refuses (rsync's "max
// connections"). It reports whether a sync started.
func (e *engine) try(i int, srcs []int) bool {
	for _, src := range srcs {
		if src != master && e.t.nodes[src].down {
			e.res.Unreachable++
			continue
		}
		if !e.admit(src) {
			e.res.Refused++
			continue
		}
		ok := src == master || e.fresh[src] >= 0
		d := e.c.Rsync.Sample(e.r)
		if !ok {
			d = time.Duration(float64(d) * e.c.NoopShare)
			e.res.StaleSyncs++
		}
		e.res.Sessions++
		e.syncing[i] = true
		e.q.add(event{at: e.now + d, kind: evDone, m: i, src: src, ok: ok})
		return true
	}
	return false
}

// admit opens a session on src unless it is at its cap.
func (e *engine) admit(src int) bool {
	if src == master {
		if e.c.MasterCap > 0 && e.masterActive >= e.c.MasterCap {
			return false
		}
		e.masterActive++
		e.res.PeakMaster = max(e.res.PeakMaster, e.masterActive)
		return true
	}
	if e.c.UpstreamCap > 0 && e.sessions[src] >= e.c.UpstreamCap {
		return false
	}
	e.sessions[src]++
	e.peak[src] = max(e.peak[src], e.sessions[src])
	return true
}

func (e *engine) done(ev event) {
	if ev.src == master {
		e.masterActive--
	} else {
		e.sessions[ev.src]--
	}
	e.syncing[ev.m] = false
	if ev.ok && e.fresh[ev.m] < 0 {
		e.from[ev.m] = ev.src
		e.markFresh(ev.m)
	}
}

func (e *engine) markFresh(i int) {
	e.fresh[i] = e.now
	e.nFresh++
	nd := e.t.nodes[i]
	if nd.source {
		e.q.add(event{at: e.now + e.uniform(0, e.c.CheckerLag), kind: evVisible, m: i})
	}
	if nd.tier == 1 {
		e.freshT1++
		if e.signalAt < 0 && e.freshT1 >= e.c.quorum() {
			e.openGate()
			return
		}
	}
	if e.s.Kind == Push && e.signalAt >= 0 {
		e.push(i)
	}
}

// openGate bumps the signal; with push, the fresh tier-1 hosts trigger
// their children now.
func (e *engine) openGate() {
	e.signalAt = e.now
	e.res.GateAt = e.now
	if e.s.Kind != Push {
		return
	}
	for _, i := range e.t.tier1 {
		if e.fresh[i] >= 0 {
			e.push(i)
		}
	}
}

// push triggers mirror i's children over SSH.
func (e *engine) push(i int) {
	for _, ch := range e.t.nodes[i].children {
		if !e.t.nodes[ch].down {
			e.q.add(event{at: e.now, kind: evTrigger, m: ch, src: i})
		}
	}
}

// visible records that the checker has seen source i fresh.
func (e *engine) visible(i int) {
	if e.t.nodes[i].tier == 1 {
		e.visibleTier1 = append(e.visibleTier1, i)
		return
	}
	reg := e.t.nodes[i].region
	e.visibleRegion[reg] = append(e.visibleRegion[reg], i)
	e.visibleAll = append(e.visibleAll, i)
}

// advise is what signald's sync-source advice answers mirror i now:
// fresh opted-in sources in i's region, then elsewhere, tier-1 hosts
// last (each group most recently confirmed first), skipping sources
// handed to AdviceFanOut other mirrors within the window.
func (e *engine) advise(i int) []int {
	e.res.Advice++
	reg := e.t.nodes[i].region
	out := make([]int, 0, e.c.AdviceSources)
	walk := func(list []int, sameRegion, otherRegions bool) {
		for k := len(list) - 1; k >= 0 && len(out) < e.c.AdviceSources; k-- {
			src := list[k]
			same := e.t.nodes[src].region == reg
			if src == i || (same && !sameRegion) || (!same && !otherRegions) {
				continue
			}
			if e.take(src, i) {
				out = append(out, src)
			} else {
				e.res.AdviceCapped++
			}
		}
	}
	walk(e.visibleRegion[reg], true, false)
	walk(e.visibleAll, false, true)
	walk(e.visibleTier1, true, false)
	walk(e.visibleTier1, false, true)
	return out
}

// take hands source src to mirror i unless src has been handed to
// AdviceFanOut other mirrors within the window (server/agentapi/advice).
func (e *engine) take(src, i int) bool {
	g := e.given[src][:0]
	again := false
	for _, h := range e.given[src] {
		if e.now-h.at >= e.c.AdviceWindow {
			continue
		}
		if h.mirror == i {
			again, h.at = true, e.now
		}
		g = append(g, h)
	}
	e.given[src] = g
	if again {
		return true
	}
	if len(g) >= e.c.AdviceFanOut {
		return false
	}
	e.given[src] = append(g, handout{mirror: i, at: e.now})
	return true
}

// finish fills in the result from the run's state.
func (e *engine) finish() {
	e.res.Alive = e.alive
	e.res.End = e.now
	for i, t := range e.fresh {
		if t >= 0 {
			e.res.Fresh = append(e.res.Fresh, t)
		}
		switch e.t.nodes[i].tier {
		case 1:
			e.res.PeakTier1 = max(e.res.PeakTier1, e.peak[i])
		default:
			e.res.PeakOther = max(e.res.PeakOther, e.peak[i])
		}
	}
	slices.Sort(e.res.Fresh)
}
