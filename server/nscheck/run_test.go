package nscheck

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// authoritative serves serial and the signal txt for origin over UDP on
// loopback, as an authoritative server does.
func authoritative(t *testing.T, serial uint32, txt string) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	soa := &dns.SOA{Hdr: dns.RR_Header{Name: origin, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: 3600},
		Ns: "ns1." + origin, Mbox: "hostmaster." + origin, Serial: serial, Refresh: 3600, Retry: 600, Expire: 1209600, Minttl: 300}
	rec := &dns.TXT{Hdr: dns.RR_Header{Name: signalName, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 300}, Txt: []string{txt}}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		m.Authoritative = true
		switch r.Question[0].Qtype {
		case dns.TypeSOA:
			m.Answer = []dns.RR{soa}
		case dns.TypeTXT:
			m.Answer = []dns.RR{rec}
		}
		w.WriteMsg(m)
	})}
	go srv.ActivateAndServe()
	t.Cleanup(func() { srv.Shutdown() })
	return pc.LocalAddr().String()
}

type viewChan chan *View

func (c viewChan) ViewChanged(v *View) {
	select {
	case c <- v:
	default:
	}
}

// TestRun: Run checks nothing before signald serves a zone, then every
// interval, publishes each round's View to subscribers, and returns when
// its context ends.
func TestRun(t *testing.T) {
	addr := authoritative(t, 10, "1770000000")
	c, err := New(Options{Config: Config{Zone: origin, SignalName: signalName,
		Servers: []Server{{"ns1", addr}}, Interval: 20 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	views := make(viewChan, 1)
	c.Subscribe(views)
	if v := c.View(); len(v.Servers) != 1 || v.Servers[0].State != Unknown || !v.At.IsZero() {
		t.Fatalf("view before the first round: %+v", v)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- c.Run(ctx) }()

	select {
	case v := <-views:
		t.Fatalf("a round without a zone: %+v", v)
	case <-time.After(100 * time.Millisecond):
	}
	c.ZoneChanged(snapshot(10, 1770000000))
	for range 2 {
		select {
		case v := <-views:
			if s := v.Servers[0]; s.State != OK || s.Serial != 10 || v.Serial != 10 || c.View() == nil {
				t.Fatalf("view %+v", v)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no round")
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
	}
}

// TestZoneChangedDoesNotWaitForARound: ZoneChanged returns while a round
// waits on a server that never answers.
func TestZoneChangedDoesNotWaitForARound(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0") // reads nothing, answers nothing
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	c, err := New(Options{Config: Config{Zone: origin, SignalName: signalName,
		Servers: []Server{{"mute", pc.LocalAddr().String()}}, Timeout: 2 * time.Second, Attempts: 1}})
	if err != nil {
		t.Fatal(err)
	}
	c.ZoneChanged(snapshot(10, 1))
	round := make(chan []Change)
	go func() { ch, _ := c.Check(context.Background()); round <- ch }()
	time.Sleep(100 * time.Millisecond)
	began := time.Now()
	c.ZoneChanged(snapshot(11, 2))
	if d := time.Since(began); d > 100*time.Millisecond {
		t.Fatalf("ZoneChanged took %s during a round", d)
	}
	if ch := <-round; len(ch) != 1 || ch[0].To != Unreachable || ch[0].Want != 11 {
		t.Fatalf("changes %+v", ch)
	}
}

// FuzzAnswer: reading a serial and a signal from any message a server
// sends never panics.
func FuzzAnswer(f *testing.F) {
	m := new(dns.Msg)
	m.SetQuestion(origin, dns.TypeSOA)
	m.Answer = []dns.RR{
		&dns.SOA{Hdr: dns.RR_Header{Name: origin, Rrtype: dns.TypeSOA, Class: dns.ClassINET}, Ns: "a.", Mbox: "b.", Serial: 7},
		&dns.TXT{Hdr: dns.RR_Header{Name: signalName, Rrtype: dns.TypeTXT, Class: dns.ClassINET}, Txt: []string{"1", "2"}},
	}
	b, err := m.Pack()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		m := new(dns.Msg)
		if m.Unpack(b) != nil {
			return
		}
		soaSerial(m, origin)
		txtOf(m, signalName)
	})
}

func TestReadAnswer(t *testing.T) {
	txt := func(name string, s ...string) dns.RR {
		return &dns.TXT{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeTXT, Class: dns.ClassINET}, Txt: s}
	}
	for _, tc := range []struct {
		name   string
		answer []dns.RR
		want   string
	}{
		{"one", []dns.RR{txt(signalName, "17")}, "17"},
		{"split strings are joined", []dns.RR{txt(signalName, "17", "70")}, "1770"},
		{"several records are all shown", []dns.RR{txt(signalName, "b"), txt(signalName, "a")}, "a | b"},
		{"case of the owner does not matter", []dns.RR{txt("CURRENT.nscheck.example.TEST.", "17")}, "17"},
		{"other owners are ignored", []dns.RR{txt("x."+origin, "17")}, ""},
		{"none", nil, ""},
	} {
		if got := txtOf(&dns.Msg{Answer: tc.answer}, signalName); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	if _, err := soaSerial(&dns.Msg{}, origin); err == nil {
		t.Error("no SOA read as a serial")
	}
}
