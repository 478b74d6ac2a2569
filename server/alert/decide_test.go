package alert

import (
	"fmt"
	"testing"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/checker"
)

var t0 = time.Date(2025, 1, 2, 3, 0, 0, 0, time.UTC)

// step is one input to the core at t0+at: a transition, a name-server
// report, or (neither) a tick.
type step struct {
	at time.Duration
	tr *checker.Transition
	ns *NameServerLag
}

func tr(at time.Duration, from, to checker.State) step {
	return step{at: at, tr: &checker.Transition{
		Mirror: "m1.example.net", Tree: "content", From: from, To: to, At: t0.Add(at), Lag: 7 * time.Minute,
	}}
}

func tick(at time.Duration) step { return step{at: at} }

func ns(at time.Duration, since time.Duration) step {
	return step{at: at, ns: &NameServerLag{Server: "ns2.example.net", Serial: 5, Want: 6, Since: t0.Add(since)}}
}

func nsClear(at time.Duration) step {
	return step{at: at, ns: &NameServerLag{Server: "ns2.example.net", Want: 6, Cleared: true}}
}

// got is the part of a message the tables check.
type got struct {
	at         time.Duration // Decided − t0
	kind       Kind
	to         checker.State
	suppressed int
	behind     time.Duration
}

func run(d *decider, steps []step) []got {
	var out []got
	for _, s := range steps {
		now := t0.Add(s.at)
		var ms []message
		switch {
		case s.tr != nil:
			ms = d.transition(now, *s.tr)
		case s.ns != nil:
			ms = d.nameServer(now, *s.ns)
		default:
			ms = d.tick(now)
		}
		for _, m := range ms {
			out = append(out, got{m.Decided.Sub(t0), m.Kind, m.To, m.Suppressed, m.Behind})
		}
	}
	return out
}

const (
	F = checker.Fresh
	B = checker.Behind
	I = checker.Inconsistent
	U = checker.Unreachable
	E = checker.Error
	N = checker.Unknown
)

func TestDecide(t *testing.T) {
	m := time.Minute
	h := time.Hour
	tests := []struct {
		name  string
		steps []step
		want  []got
	}{
		{"fresh at start says nothing", []step{tr(0, N, F), tick(3 * h)}, nil},
		{"unreachable at once", []step{tr(0, N, F), tr(m, F, U)}, []got{{m, Unreachable, U, 0, 0}}},
		{"unreachable at start", []step{tr(0, N, U)}, []got{{0, Unreachable, U, 0, 0}}},
		{"error at once", []step{tr(0, F, E)}, []got{{0, Failing, E, 0, 0}}},
		{"back after unreachable", []step{tr(m, F, U), tr(2*h, U, F)},
			[]got{{m, Unreachable, U, 0, 0}, {2 * h, Back, F, 0, 0}}},
		{"short lag is propagation", []step{tr(0, F, B), tr(30*m, B, F), tick(3 * h)}, nil},
		{"lag just under StaleAfter", []step{tr(0, F, B), tick(2*h - time.Second), tr(2*h-time.Second, B, F), tick(5 * h)}, nil},
		{"stale after StaleAfter", []step{tr(0, F, B), tick(h + 59*m), tick(2 * h), tick(2*h + m), tr(3*h, B, F)},
			[]got{{2 * h, Stale, B, 0, 2 * h}, {3 * h, Back, F, 0, 0}}},
		{"stale on a late transition", []step{tr(0, F, B), tr(2*h+30*m, B, I)},
			[]got{{2*h + 30*m, Stale, I, 0, 2*h + 30*m}}},
		{"behind to inconsistent keeps the episode", []step{tr(0, F, B), tr(h, B, I), tick(2 * h)},
			[]got{{2 * h, Stale, I, 0, 2 * h}}},
		{"repeated state is ignored", []step{tr(0, F, U), tr(m, U, U), tick(2 * h)},
			[]got{{0, Unreachable, U, 0, 0}}},
		{"stale once per episode", []step{tr(0, F, B), tick(2 * h), tick(5 * h), tick(9 * h)},
			[]got{{2 * h, Stale, B, 0, 2 * h}}},
		{"gap holds back, tick lets go", []step{tr(0, F, U), tr(10*m, U, F), tick(59 * m), tick(h)},
			[]got{{0, Unreachable, U, 0, 0}, {h, Back, F, 0, 0}}},
		{"coalesced message counts the suppressed", []step{tr(0, F, U), tr(10*m, U, F), tr(20*m, F, U), tr(30*m, U, F), tick(h)},
			[]got{{0, Unreachable, U, 0, 0}, {h, Back, F, 2, 0}}},
		{"gap also lets go on a transition", []step{tr(0, F, U), tr(10*m, U, F), tr(61*m, F, U)},
			[]got{{0, Unreachable, U, 0, 0}, {61 * m, Unreachable, U, 1, 0}}},
		{"unreachable then behind goes stale later", []step{tr(0, F, U), tr(m, U, B), tick(h + m), tick(2*h + m)},
			[]got{{0, Unreachable, U, 0, 0}, {2*h + m, Stale, B, 0, 2 * h}}},
		{"unreachable then behind then fresh is back", []step{tr(0, F, U), tr(m, U, B), tr(2*m, B, F), tick(h)},
			[]got{{0, Unreachable, U, 0, 0}, {h, Back, F, 0, 0}}},
		{"held stale says how long at release", []step{tr(0, F, U), tr(10*m, U, F), tr(20*m, F, B), tick(h), tr(h+10*m, B, F),
			tr(h+11*m, F, B), tick(3*h + 11*m)},
			[]got{{0, Unreachable, U, 0, 0}, {h, Back, F, 0, 0}, {3*h + 11*m, Stale, B, 0, 2 * h}}},
		{"unknown forgets", []step{tr(0, F, U), tr(m, U, N), tr(2*m, N, U)},
			[]got{{0, Unreachable, U, 0, 0}, {2 * m, Unreachable, U, 0, 0}}},
		{"name server within grace", []step{ns(m, 0), tick(14 * m), nsClear(14 * m), tick(h)}, nil},
		{"name server lag and back", []step{ns(m, 0), tick(14 * m), tick(15 * m), nsClear(20 * m), tick(h), tick(h + 15*m)},
			[]got{{15 * m, NameServerLags, "", 0, 15 * m}, {h + 15*m, NameServerOK, "", 0, 0}}},
		{"name server reported late", []step{ns(h, 0)}, []got{{h, NameServerLags, "", 0, h}}},
		{"name server cleared unknown", []step{nsClear(0), tick(h)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDecider(Config{})
			gots := run(d, tt.steps)
			if fmt.Sprint(gots) != fmt.Sprint(tt.want) {
				t.Errorf("messages\n got %v\nwant %v", gots, tt.want)
			}
		})
	}
}

// TestFlapping: a mirror flapping 20 times in 10 minutes yields at most
// two messages, and the last says the final state.
func TestFlapping(t *testing.T) {
	tests := []struct {
		name      string
		start     []step
		a, b      checker.State
		flips     int
		wantFinal Kind
		wantSupp  int // Suppressed in the last message
	}{
		{"unreachable, ends fresh", nil, F, U, 20, Back, 18},
		{"unreachable, ends unreachable", nil, F, U, 19, Unreachable, 17},
		{"error, ends fresh", nil, F, E, 20, Back, 18},
		// Behind is not a message by itself: only the first back is held.
		{"behind after stale, ends fresh", []step{tr(0, F, B), tick(2 * time.Hour)}, B, F, 19, Back, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDecider(Config{})
			before := len(run(d, tt.start))
			start := time.Duration(0)
			if len(tt.start) > 0 {
				start = tt.start[len(tt.start)-1].at
			}
			var steps []step
			from, to := tt.a, tt.b
			for i := range tt.flips {
				steps = append(steps, tr(start+time.Duration(i+1)*30*time.Second, from, to))
				from, to = to, from
			}
			for i := range 6 * 60 { // ticks every minute for 6 hours
				steps = append(steps, tick(start+time.Duration(i)*time.Minute))
			}
			gots := run(d, steps)
			if len(gots) > 2 || len(gots) == 0 {
				t.Fatalf("%d messages after %d earlier, want 1 or 2: %v", len(gots), before, gots)
			}
			if last := gots[len(gots)-1]; last.kind != tt.wantFinal || last.suppressed != tt.wantSupp {
				t.Errorf("last message %v, want kind %s, %d suppressed", last, tt.wantFinal, tt.wantSupp)
			}
			if d.suppressed != uint64(tt.wantSupp) {
				t.Errorf("suppressed total %d, want %d", d.suppressed, tt.wantSupp)
			}
		})
	}
}
