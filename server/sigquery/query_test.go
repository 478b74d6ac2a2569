package sigquery

import (
	"context"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// fakeZone is a tiny authoritative server's data: TXT strings and rcodes
// per owner name, an SOA serial, and whether UDP answers are truncated.
type fakeZone struct {
	txt         map[string][][]string // owner → records → strings
	rcode       map[string]int        // owner → rcode other than NOERROR
	serial      uint32                // 0: no SOA
	truncateUDP bool
	tcpQueries  atomic.Int32
}

func (z *fakeZone) ServeDNS(w dns.ResponseWriter, q *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(q)
	m.Authoritative = true
	name, qtype := strings.ToLower(q.Question[0].Name), q.Question[0].Qtype
	_, tcp := w.RemoteAddr().(*net.TCPAddr)
	if tcp {
		z.tcpQueries.Add(1)
	}
	switch {
	case z.rcode[name] != 0:
		m.Rcode = z.rcode[name]
	case z.truncateUDP && !tcp:
		m.Truncated = true
	case qtype == dns.TypeTXT:
		for _, s := range z.txt[name] {
			m.Answer = append(m.Answer, &dns.TXT{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 300}, Txt: s})
		}
	case qtype == dns.TypeSOA && z.serial != 0:
		m.Ns = append(m.Ns, &dns.SOA{Hdr: dns.RR_Header{Name: "example.test.", Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: 300},
			Ns: "ns1.example.test.", Mbox: "hostmaster.example.test.", Serial: z.serial, Refresh: 3600, Retry: 600, Expire: 86400, Minttl: 300})
	}
	w.WriteMsg(m)
}

// serve runs z on UDP and TCP at one port of 127.0.0.1 until the test ends.
func serve(t *testing.T, z *fakeZone) string {
	t.Helper()
	var pc net.PacketConn
	var ln net.Listener
	for try := 0; ln == nil; try++ {
		var err error
		if pc, err = net.ListenPacket("udp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		if ln, err = net.Listen("tcp", pc.LocalAddr().String()); err != nil {
			pc.Close()
			if try == 10 {
				t.Fatal(err)
			}
		}
	}
	for _, s := range []*dns.Server{{PacketConn: pc, Handler: z}, {Listener: ln, Handler: z}} {
		started := make(chan struct{})
		s.NotifyStartedFunc = func() { close(started) }
		go s.ActivateAndServe()
		<-started
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			s.ShutdownContext(ctx)
		})
	}
	return pc.LocalAddr().String()
}

const (
	sigName   = "current.example.test."
	treesName = "_trees.current.example.test."
)

func goodZone() *fakeZone {
	return &fakeZone{
		txt: map[string][][]string{
			treesName: {{"content:altarch:vault"}},
			sigName:   {{"1795440000:0:1795000000"}},
		},
		serial: 1795448411,
	}
}

func TestQuery(t *testing.T) {
	for _, truncate := range []bool{false, true} {
		name := "udp"
		if truncate {
			name = "truncated, over tcp"
		}
		t.Run(name, func(t *testing.T) {
			z := goodZone()
			z.truncateUDP = truncate
			addr := serve(t, z)
			a, err := Query(context.Background(), addr, "Current.Example.Test")
			if err != nil {
				t.Fatal(err)
			}
			if a.Name != sigName || a.Server != addr || a.Serial != 1795448411 || a.Record.String() != "1795440000:0:1795000000" ||
				a.Record.Layout.String() != "content:altarch:vault" {
				t.Errorf("answer %+v", a)
			}
			if got := z.tcpQueries.Load(); (got > 0) != truncate {
				t.Errorf("%d queries over TCP; truncated UDP answers: %v", got, truncate)
			}
		})
	}
}

func TestQueryRefusals(t *testing.T) {
	tests := []struct {
		name   string
		change func(z *fakeZone)
		want   string
	}{
		{"no layout", func(z *fakeZone) { z.rcode = map[string]int{treesName: dns.RcodeNameError} },
			"query _trees.current.example.test. TXT at ADDR: NXDOMAIN"},
		{"signal refused", func(z *fakeZone) { z.rcode = map[string]int{sigName: dns.RcodeRefused} },
			"query current.example.test. TXT at ADDR: REFUSED"},
		{"no signal TXT", func(z *fakeZone) { delete(z.txt, sigName) },
			"current.example.test.: want one TXT with one string, got 0 records"},
		{"two signal TXTs", func(z *fakeZone) { z.txt[sigName] = [][]string{{"0:0:0"}, {"1:0:0"}} },
			"current.example.test.: want one TXT with one string, got 2 records"},
		{"split string", func(z *fakeZone) { z.txt[sigName] = [][]string{{"1795440000:0:", "1795000000"}} },
			"current.example.test.: want one TXT with one string, got 1 records"},
		{"bad layout", func(z *fakeZone) { z.txt[treesName] = [][]string{{"content::vault"}} },
			"_trees.current.example.test.: "},
		{"record off layout", func(z *fakeZone) { z.txt[sigName] = [][]string{{"1795440000:0"}} },
			"current.example.test.: malformed signal record: 2 fields, want 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			z := goodZone()
			tt.change(z)
			addr := serve(t, z)
			_, err := Query(context.Background(), addr, sigName)
			want := strings.ReplaceAll(tt.want, "ADDR", addr)
			if err == nil || !strings.HasPrefix(err.Error(), want) {
				t.Fatalf("error %v, want %q…", err, want)
			}
		})
	}
}

func TestQueryWithoutSOA(t *testing.T) {
	z := goodZone()
	z.serial = 0
	a, err := Query(context.Background(), serve(t, z), sigName)
	if err != nil || a.Serial != 0 || a.Record.String() != "1795440000:0:1795000000" {
		t.Fatalf("Query = %+v, %v; want the record with serial 0", a, err)
	}
}

func TestQueryHonoursContext(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0") // never answers
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = Query(ctx, pc.LocalAddr().String(), sigName)
	if err == nil || time.Since(start) > Timeout/2 {
		t.Fatalf("Query = %v after %s; want an error once the context ends", err, time.Since(start))
	}
}

func TestServerAddr(t *testing.T) {
	tests := []struct{ in, want string }{
		{"127.0.0.1:5353", "127.0.0.1:5353"},
		{"127.0.0.1", "127.0.0.1:53"},
		{"ns1.example.test", "ns1.example.test:53"},
		{"::1", "[::1]:53"},
		{"[::1]:5353", "[::1]:5353"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := serverAddr(tt.in); got != tt.want {
				t.Errorf("serverAddr(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
