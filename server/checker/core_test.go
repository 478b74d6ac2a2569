package checker

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/mirrors"
	"github.com/mirrorsignal/mirrorsignal/server/probe"
	"github.com/mirrorsignal/mirrorsignal/signal"
)

var (
	layout = signal.Layout{"content", "altarch", "vault"}
	t0     = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
)

const stamp = 1767322800 // a signal stamp

// fleet parses a mirrors.toml.
func fleet(t testing.TB, toml string) *mirrors.Fleet {
	t.Helper()
	f, err := mirrors.Parse("mirrors.toml", []byte(toml), layout)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// simpleFleet has n mirrors m0…m(n-1).example.net, each carrying content
// over https.
func simpleFleet(t testing.TB, n int) *mirrors.Fleet {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "[[mirror]]\nname = \"m%d.example.net\"\ncountry = \"DE\"\n"+
			"[mirror.trees.content]\nhttps = \"https://m%d.example.net/\"\n", i, i)
	}
	return fleet(t, b.String())
}

func TestClassify(t *testing.T) {
	key := Key{Mirror: "m", Tree: "content", Proto: mirrors.HTTPS}
	bad := fmt.Errorf("%w: nope", probe.ErrBadTime)
	tests := []struct {
		name   string
		pr     probe.Result
		signal int64
		want   State
		lag    time.Duration
		err    string
	}{
		{"equal is fresh", probe.Result{Stamp: stamp, Class: probe.OK}, stamp, Fresh, 0, ""},
		{"newer is fresh", probe.Result{Stamp: stamp + 5, Class: probe.OK}, stamp, Fresh, 0, ""},
		{"older is behind", probe.Result{Stamp: stamp - 90, Class: probe.OK}, stamp, Behind, 90 * time.Second, ""},
		{"never published", probe.Result{Stamp: signal.MinStamp, Class: probe.OK}, 0, Fresh, 0, ""},
		{"unreachable", probe.Result{Err: probe.ErrUnreachable, Class: probe.Unreachable}, stamp, Unreachable, 0, "unreachable"},
		{"bad TIME", probe.Result{Err: bad, Class: probe.Error}, stamp, Error, 0, bad.Error()},
		{"unreachable unpublished", probe.Result{Err: probe.ErrUnreachable, Class: probe.Unreachable}, 0, Unreachable, 0, "unreachable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := classify(key, tt.pr, tt.signal, t0)
			if r.State != tt.want || r.Lag != tt.lag || r.Err != tt.err || r.Key != key || !r.At.Equal(t0) || r.Signal != tt.signal {
				t.Errorf("got %+v, want %s lag %v err %q", r, tt.want, tt.lag, tt.err)
			}
			if tt.want != Fresh && tt.want != Behind && r.Stamp != 0 {
				t.Errorf("stamp %d kept for %s", r.Stamp, r.State)
			}
		})
	}
}

func TestRejudge(t *testing.T) {
	fresh := Result{State: Fresh, Stamp: stamp, Signal: stamp}
	if r := rejudge(fresh, stamp+60); r.State != Behind || r.Lag != time.Minute || r.Signal != stamp+60 {
		t.Errorf("after a publish: %+v", r)
	}
	down := Result{State: Unreachable, Signal: stamp}
	if r := rejudge(down, stamp+60); r.State != Unreachable {
		t.Errorf("an unreachable result judged again: %+v", r)
	}
}

func TestBest(t *testing.T) {
	r := func(fam mirrors.Family, s State, st int64, at int) Result {
		return Result{Key: Key{Family: fam}, State: s, Stamp: st, At: t0.Add(time.Duration(at) * time.Second)}
	}
	tests := []struct {
		name string
		rs   []Result
		want Result
	}{
		{"none", nil, Result{State: Unknown}},
		{"IPv6 down, IPv4 fresh", []Result{r("ipv6", Unreachable, 0, 1), r("ipv4", Fresh, stamp, 0)}, r("ipv4", Fresh, stamp, 0)},
		{"IPv4 error, IPv6 behind", []Result{r("ipv4", Error, 0, 0), r("ipv6", Behind, stamp-1, 0)}, r("ipv6", Behind, stamp-1, 0)},
		{"least behind", []Result{r("ipv4", Behind, stamp-9, 0), r("ipv6", Behind, stamp-1, 0)}, r("ipv6", Behind, stamp-1, 0)},
		{"error beats unreachable", []Result{r("ipv4", Unreachable, 0, 0), r("ipv6", Error, 0, 0)}, r("ipv6", Error, 0, 0)},
		{"latest of equals", []Result{r("ipv4", Fresh, stamp, 0), r("ipv6", Fresh, stamp, 3)}, r("ipv6", Fresh, stamp, 3)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := best(tt.rs); got != tt.want {
				t.Errorf("best = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestHysteresis(t *testing.T) {
	tests := []struct {
		name   string
		need   int
		states []State
		want   []string // "from>to" per change
	}{
		{"first round sets silently", 2, []State{Fresh}, nil},
		{"one blip is no change", 2, []State{Fresh, Behind, Fresh, Behind, Fresh}, nil},
		{"two agree", 2, []State{Fresh, Behind, Behind, Behind, Behind}, []string{"fresh>behind"}},
		{"back needs two fresh too", 2, []State{Fresh, Unreachable, Unreachable, Fresh, Fresh}, []string{"fresh>unreachable", "unreachable>fresh"}},
		{"flapping between bad states leaves fresh", 2, []State{Fresh, Error, Unreachable}, []string{"fresh>unreachable"}},
		{"need 1 follows every change", 1, []State{Fresh, Behind, Fresh}, []string{"fresh>behind", "behind>fresh"}},
		{"need 0 is 1", 0, []State{Fresh, Behind}, []string{"fresh>behind"}},
		{"need 3", 3, []State{Error, Fresh, Fresh, Error, Fresh, Fresh, Fresh, Fresh}, []string{"error>fresh"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h hyst
			var got []string
			for _, s := range tt.states {
				var from State
				var changed bool
				h, from, changed = h.step(s, tt.need)
				if changed {
					got = append(got, string(from)+">"+string(s))
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("changes %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSpread(t *testing.T) {
	tests := []struct {
		i, n int
		want time.Duration
	}{
		{0, 4, 0}, {1, 4, 15 * time.Second}, {3, 4, 45 * time.Second}, {0, 0, 0}, {5, 1, time.Minute * 5},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d of %d", tt.i, tt.n), func(t *testing.T) {
			if got := spread(t0, tt.i, tt.n, time.Minute).Sub(t0); got != tt.want {
				t.Errorf("offset %v, want %v", got, tt.want)
			}
		})
	}
}

func TestAdvance(t *testing.T) {
	tests := []struct {
		name     string
		due, now time.Duration // after t0
		want     time.Duration
	}{
		{"on time", 0, 0, time.Minute},
		{"a little late", 0, 10 * time.Second, time.Minute},
		{"missed rounds keep the phase", 0, 150 * time.Second, 3 * time.Minute},
		{"exactly a round late", 0, time.Minute, 2 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := advance(t0.Add(tt.due), t0.Add(tt.now), time.Minute).Sub(t0); got != tt.want {
				t.Errorf("next %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSlotDue(t *testing.T) {
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	tests := []struct {
		name string
		s    slot
		kind kind
		next time.Time
	}{
		{"base due", slot{next: t0}, baseDue, t0},
		{"not yet", slot{next: at(time.Minute)}, notDue, at(time.Minute)},
		{"busy", slot{next: t0, asap: true, busy: true}, notDue, time.Time{}},
		{"check-in", slot{next: at(time.Minute), asap: true}, baseDue, t0},
		{"fast due", slot{next: at(time.Minute), fast: t0}, fastOnly, t0},
		{"fast first", slot{next: at(time.Minute), fast: at(time.Second)}, notDue, at(time.Second)},
		{"base first", slot{next: at(time.Second), fast: at(time.Minute)}, notDue, at(time.Second)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, next := tt.s.due(t0)
			if k != tt.kind || !next.Equal(tt.next) {
				t.Errorf("due = %v %v, want %v %v", k, next, tt.kind, tt.next)
			}
		})
	}
}

func TestFastWanted(t *testing.T) {
	tests := []struct {
		name    string
		learned time.Time
		now     time.Time
		state   State
		want    bool
	}{
		{"just published, behind", t0, t0.Add(time.Second), Behind, true},
		{"unreachable too", t0, t0.Add(time.Second), Unreachable, true},
		{"fresh stops it", t0, t0.Add(time.Second), Fresh, false},
		{"window over", t0, t0.Add(time.Hour), Behind, false},
		{"never published", time.Time{}, t0, Behind, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fastWanted(tt.learned, tt.now, time.Hour, tt.state); got != tt.want {
				t.Errorf("fastWanted = %v", got)
			}
		})
	}
}

func TestReached(t *testing.T) {
	s := func(n ...int) []time.Duration {
		out := make([]time.Duration, len(n))
		for i, v := range n {
			out[i] = time.Duration(v) * time.Second
		}
		return out
	}
	tests := []struct {
		name     string
		sorted   []time.Duration
		carrying int
		want     []Reached
	}{
		{"none fresh", nil, 4, nil},
		{"no mirrors", nil, 0, nil},
		{"half of four", s(10, 20), 4, []Reached{{50, 20 * time.Second}}},
		{"all of four", s(10, 20, 30, 40), 4, []Reached{{50, 20 * time.Second}, {80, 40 * time.Second}, {95, 40 * time.Second}, {99, 40 * time.Second}, {100, 40 * time.Second}}},
		{"ten", s(1, 2, 3, 4, 5, 6, 7, 8, 9), 10, []Reached{{50, 5 * time.Second}, {80, 8 * time.Second}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := reached(tt.sorted, tt.carrying); !slices.Equal(got, tt.want) {
				t.Errorf("reached = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCurve(t *testing.T) {
	got := curve([]time.Duration{time.Second, time.Second, 3 * time.Second}, 4)
	want := []Point{{time.Second, 50}, {3 * time.Second, 75}}
	if !slices.Equal(got, want) {
		t.Errorf("curve = %v, want %v", got, want)
	}
	long := make([]time.Duration, 1000)
	for i := range long {
		long[i] = time.Duration(i) * time.Second
	}
	thin := curve(long, 1000)
	if len(thin) > maxCurvePoints || thin[len(thin)-1] != (Point{999 * time.Second, 100}) {
		t.Errorf("thinned to %d points, last %v", len(thin), thin[len(thin)-1])
	}
	if !slices.IsSortedFunc(thin, func(a, b Point) int { return int(a.After - b.After) }) {
		t.Error("thinned curve not sorted")
	}
}

func TestTargets(t *testing.T) {
	f := fleet(t, `
[[mirror]]
name = "m1.example.net"
country = "DE"
families = ["ipv4", "ipv6"]
[mirror.trees.content]
http = "http://m1.example.net/c/"
rsync = "rsync://sync.example.net/c/"
[[mirror]]
name = "m2.example.net"
country = "DE"
[mirror.trees.content]
https = "https://m2.example.net:8443/c/"
`)
	m1, _ := f.Mirror("m1.example.net")
	got := targets(m1, "content", "TIME", "")
	var desc []string
	for _, tg := range got {
		desc = append(desc, fmt.Sprintf("%s/%s %s %v %s", tg.Proto, tg.Family, tg.url, tg.fam, tg.host))
	}
	want := []string{
		"http/ipv4 http://m1.example.net/c/TIME ipv4 m1.example.net",
		"http/ipv6 http://m1.example.net/c/TIME ipv6 m1.example.net",
		"rsync/ipv4 rsync://sync.example.net/c/TIME ipv4 sync.example.net",
		"rsync/ipv6 rsync://sync.example.net/c/TIME ipv6 sync.example.net",
	}
	if !slices.Equal(desc, want) {
		t.Errorf("targets:\n%s\nwant\n%s", strings.Join(desc, "\n"), strings.Join(want, "\n"))
	}
	m2, _ := f.Mirror("m2.example.net")
	got = targets(m2, "content", "TIME", ".hb")
	if len(got) != 1 || got[0].fam != probe.Any || got[0].Family != "" || got[0].heartbeat != "https://m2.example.net:8443/c/.hb" || got[0].host != "m2.example.net" {
		t.Errorf("m2 targets %+v", got)
	}
	if len(targets(m2, "vault", "TIME", "")) != 0 {
		t.Error("targets of a tree not carried")
	}
}
