package nscheck

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func at(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }

// served10 is signald serving serial 9 from t0 and 10 from t0+100s.
func served10() *Served {
	return (*Served)(nil).Then(9, "old", at(0)).Then(10, "new", at(100))
}

func TestNext(t *testing.T) {
	const grace = 300 * time.Second
	srv := Server{Name: "ns1.example.test.", Addr: "192.0.2.1:53"}
	answer := func(sec int, serial uint32, txt string) Observation {
		return Observation{At: at(sec), Serial: serial, TXT: txt}
	}
	fail := func(sec int, state State) Observation {
		return Observation{At: at(sec), Fail: state, Err: "boom"}
	}
	for _, tc := range []struct {
		name      string
		prev      State
		obs       Observation
		want      State
		since     int // the new Since, when the state changed
		behind    int // BehindSince; -1: zero
		changed   bool
		changeLag time.Duration
	}{
		{"current", Unknown, answer(120, 10, "new"), OK, 120, -1, false, 0},
		{"behind within the grace", Unknown, answer(120, 9, "old"), OK, 120, 100, false, 0},
		{"behind for exactly the grace", OK, answer(400, 9, "old"), Lagging, 400, 100, true, 300 * time.Second},
		{"behind by two serials counts from the older change", OK, answer(120, 8, "older"), OK, 0, 0, false, 0},
		{"long behind", Unknown, answer(1000, 8, "older"), Lagging, 1000, 0, true, 1000 * time.Second},
		{"caught up", Lagging, answer(1000, 10, "new"), OK, 1000, -1, true, 0},
		{"current serial, other signal", OK, answer(120, 10, "forged"), Wrong, 120, -1, true, 0},
		{"ahead", OK, answer(120, 11, "new"), Wrong, 120, -1, true, 0},
		{"2^31-1 ahead across the wrap", OK, answer(120, 10+1<<31-1, "x"), Wrong, 120, -1, true, 0},
		{"no answer", OK, fail(120, Unreachable), Unreachable, 120, -1, true, 0},
		{"no answer at first", Unknown, fail(120, Unreachable), Unreachable, 120, -1, true, 0},
		{"refused", OK, fail(120, Error), Error, 120, -1, true, 0},
		{"back, still lagging", Unreachable, answer(1000, 9, "old"), Lagging, 1000, 100, true, 900 * time.Second},
		{"back, current", Unreachable, answer(1000, 10, "new"), OK, 1000, -1, true, 0},
		{"still lagging", Lagging, answer(2000, 9, "old"), Lagging, 0, 100, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prev := Status{Server: srv, State: tc.prev, Since: at(-50), Serial: 7, Answered: at(-50)}
			if tc.prev == Unknown {
				prev = Status{Server: srv, State: Unknown}
			}
			next := Next(prev, tc.obs, served10(), grace)
			if next.State != tc.want {
				t.Fatalf("state %s, want %s (%+v)", next.State, tc.want, next)
			}
			wantSince := prev.Since
			if tc.want != tc.prev {
				wantSince = at(tc.since)
			}
			if !next.Since.Equal(wantSince) {
				t.Errorf("since %v, want %v", next.Since, wantSince)
			}
			wantBehind := time.Time{}
			if tc.behind >= 0 {
				wantBehind = at(tc.behind)
			}
			if !next.BehindSince.Equal(wantBehind) {
				t.Errorf("behind since %v, want %v", next.BehindSince, wantBehind)
			}
			if tc.obs.Fail != "" && (next.Serial != prev.Serial || !next.Answered.Equal(prev.Answered)) {
				t.Errorf("a failed check changed the last answer: %+v", next)
			}
			if !next.LastCheck.Equal(tc.obs.At) {
				t.Errorf("last check %v", next.LastCheck)
			}
			if (next.State == Wrong || tc.obs.Fail != "") == (next.LastError == "") {
				t.Errorf("last error %q in state %s", next.LastError, next.State)
			}
			ch, ok := changeOf(prev, next, served10())
			if ok != tc.changed {
				t.Fatalf("change %v (%+v), want %v", ok, ch, tc.changed)
			}
			if ok && (ch.From != tc.prev || ch.To != tc.want || ch.Want != 10 || ch.WantTXT != "new" || ch.Lag != tc.changeLag || !ch.At.Equal(tc.obs.At)) {
				t.Errorf("change %+v", ch)
			}
			if ok && tc.obs.Fail == "" && (ch.Serial != tc.obs.Serial || ch.TXT != tc.obs.TXT) {
				t.Errorf("change %+v does not carry the answer", ch)
			}
			if ok && tc.obs.Fail != "" && ch.Serial != 0 {
				t.Errorf("change %+v carries an old serial", ch)
			}
		})
	}
}

func TestSerialBefore(t *testing.T) {
	for _, tc := range []struct {
		a, b   uint32
		before bool
		lag    uint32
	}{
		{1, 2, true, 1},
		{2, 1, false, 0},
		{5, 5, false, 0},
		{0xffffffff, 0, true, 1},
		{0xfffffff0, 5, true, 21},
		{5, 0xfffffff0, false, 0},
		{0, 1<<31 - 1, true, 1<<31 - 1},
		{0, 1 << 31, false, 0}, // not comparable (RFC 1982 §3.2)
		{1 << 31, 0, false, 0},
	} {
		if got := SerialBefore(tc.a, tc.b); got != tc.before {
			t.Errorf("SerialBefore(%d, %d) = %v", tc.a, tc.b, got)
		}
		if got := SerialLag(tc.a, tc.b); got != tc.lag {
			t.Errorf("SerialLag(%d, %d) = %d, want %d", tc.a, tc.b, got, tc.lag)
		}
	}
}

func TestServedHistory(t *testing.T) {
	s := (*Served)(nil).Then(5, "a", at(0))
	s2 := s.Then(5, "a", at(50)) // the same zone again keeps its first time
	s3 := s2.Then(6, "b", at(60)).Then(8, "c", at(80))
	for _, tc := range []struct {
		serial uint32
		want   time.Time
	}{{5, at(60)}, {6, at(80)}, {7, at(80)}, {4, at(0)}, {1, at(0)}} {
		if got := s3.BehindSince(tc.serial); !got.Equal(tc.want) {
			t.Errorf("BehindSince(%d) = %v, want %v", tc.serial, got, tc.want)
		}
	}
	if len(s.history) != 1 || s2.Serial != 5 || s3.Serial != 8 || s3.TXT != "c" {
		t.Fatalf("Then changed its receiver or lost the zone: %+v %+v %+v", s, s2, s3)
	}
	long := s3
	for i := range 2 * maxHistory {
		long = long.Then(uint32(100+i), "x", at(1000+i))
	}
	if len(long.history) != maxHistory || !long.BehindSince(3).Equal(at(1000+maxHistory)) {
		t.Fatalf("history of %d, oldest %v", len(long.history), long.BehindSince(3))
	}
	if len(s3.history) != 3 {
		t.Fatalf("later Then changed an earlier value: %+v", s3.history)
	}
}

func TestServersOf(t *testing.T) {
	got := ServersOf([]NS{
		{Name: "ns1.example.test.", Addresses: []string{"192.0.2.1", "2001:db8::1"}},
		{Name: "ns2.example.test.", Addresses: []string{"192.0.2.2:5353"}},
	}, []string{"192.0.2.1:53", "198.51.100.7:53"})
	want := []Server{
		{"ns1.example.test.", "192.0.2.1:53"},
		{"ns1.example.test.", "[2001:db8::1]:53"},
		{"ns2.example.test.", "192.0.2.2:5353"},
		{"198.51.100.7:53", "198.51.100.7:53"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("[%d] = %v, want %v", i, got[i], want[i])
		}
	}
}

func TestValidate(t *testing.T) {
	ok := Config{Zone: "example.test.", SignalName: "current.example.test.", Servers: []Server{{"a", "127.0.0.1:53"}}}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]Config{
		"relative zone":        {Zone: "example.test", SignalName: "current.example.test."},
		"signal outside":       {Zone: "example.test.", SignalName: "current.other.test."},
		"address without port": {Zone: "example.test.", SignalName: "current.example.test.", Servers: []Server{{"a", "127.0.0.1"}}},
		"twice": {Zone: "example.test.", SignalName: "current.example.test.",
			Servers: []Server{{"a", "127.0.0.1:53"}, {"b", "127.0.0.1:53"}}},
	} {
		if c.Validate() == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
