package rrl

import (
	"net/netip"
	"testing"
	"time"
)

func TestLimit(t *testing.T) {
	l := New(Config{Rate: 10, Slip: 2})
	now := time.Unix(1_800_000_000, 0)
	a := netip.MustParseAddr("192.0.2.1")
	b := netip.MustParseAddr("192.0.2.200") // same /24
	c := netip.MustParseAddr("198.51.100.7")
	counts := map[Action]int{}
	for i := range 100 {
		src := a
		if i%2 == 1 {
			src = b
		}
		act, _ := l.Decide(src, now)
		counts[act]++
	}
	if counts[Send] != 10 || counts[Truncate] != 45 || counts[Drop] != 45 {
		t.Fatalf("one second of 100 queries from one /24: %v, want 10 sent, 45 truncated, 45 dropped", counts)
	}
	if act, _ := l.Decide(c, now); act != Send {
		t.Fatalf("another prefix was limited: %v", act)
	}
	if act, _ := l.Decide(a, now.Add(200*time.Millisecond)); act != Send {
		t.Fatalf("tokens did not refill after 200ms: %v", act)
	}
	st := l.Stats()
	if st.Limited != 90 || st.Slipped != 45 || st.Dropped != 45 {
		t.Fatalf("stats %+v", st)
	}
}

func TestExemptAndDisabled(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	l := New(Config{Rate: 1, Exempt: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
	for range 10 {
		if act, _ := l.Decide(netip.MustParseAddr("10.1.2.3"), now); act != Send {
			t.Fatal("exempt prefix limited")
		}
	}
	off := New(Config{})
	for range 10 {
		if act, _ := off.Decide(netip.MustParseAddr("192.0.2.1"), now); act != Send {
			t.Fatal("disabled limiter limited")
		}
	}
}

func TestPrefixes(t *testing.T) {
	l := New(Config{Rate: 1})
	tests := []struct{ addr, want string }{
		{"192.0.2.77", "192.0.2.0/24"},
		{"::ffff:192.0.2.77", "192.0.2.0/24"},
		{"2001:db8:1:2:3::1", "2001:db8:1::/56"},
	}
	for _, tt := range tests {
		if got := l.Prefix(netip.MustParseAddr(tt.addr)); got.String() != tt.want {
			t.Errorf("Prefix(%s) = %s, want %s", tt.addr, got, tt.want)
		}
	}
}

func TestLogOncePerMinute(t *testing.T) {
	l := New(Config{Rate: 1, Slip: 0})
	now := time.Unix(1_800_000_000, 0)
	src := netip.MustParseAddr("192.0.2.1")
	logs := 0
	for i := range 1000 {
		if _, log := l.Decide(src, now.Add(time.Duration(i)*100*time.Millisecond)); log {
			logs++
		}
	}
	if logs != 2 { // 100 s of flood: at 0 s and 60 s
		t.Fatalf("%d log lines for 100 s of flood, want 2", logs)
	}
}

func BenchmarkDecide(b *testing.B) {
	l := New(Config{Rate: 1 << 30})
	now := time.Unix(1_800_000_000, 0)
	src := netip.MustParseAddr("192.0.2.1")
	b.ReportAllocs()
	for b.Loop() {
		l.Decide(src, now)
	}
}
