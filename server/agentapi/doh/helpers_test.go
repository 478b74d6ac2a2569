package doh_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mirrorsignal/mirrorsignal/server/agentapi/doh"
	"github.com/mirrorsignal/mirrorsignal/server/authdns"
	"github.com/mirrorsignal/mirrorsignal/server/dnssec"
	"github.com/mirrorsignal/mirrorsignal/server/httpserve"
	"github.com/mirrorsignal/mirrorsignal/signal"
)

const (
	origin     = "mirrors.example.test."
	signalName = "current.mirrors.example.test."
)

// testZone is the zone the tests serve, signed at now with one combined
// ECDSA key (returned for its DS).
func testZone(t testing.TB, now time.Time) (authdns.Zone, *dnssec.Key) {
	t.Helper()
	z := authdns.Zone{
		Origin: origin,
		SOA: authdns.SOA{
			MName: "ns1." + origin, RName: "hostmaster." + origin,
			Serial: 2024010101, Refresh: 7200, Retry: 3600, Expire: 1209600, Minimum: 60,
		},
		NS:         []authdns.NameServer{{Name: "ns1." + origin, Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.1")}}},
		SignalName: signalName,
		SignalTTL:  300,
		Record: signal.Record{
			Layout: signal.Layout{"content", "altarch", "vault"},
			Stamps: []int64{now.Unix() - 60, now.Unix() - 3600, 0},
		},
	}
	k, err := dnssec.Generate(origin, dnssec.AlgECDSAP256, dnssec.FlagKSK, dnssec.DNSKEYTTL)
	if err != nil {
		t.Fatal(err)
	}
	z.DNSSEC = &authdns.Signing{Keys: []*dnssec.Key{k}}
	sets, err := z.RRsets()
	if err != nil {
		t.Fatal(err)
	}
	if z.DNSSEC.Sigs, err = (dnssec.Signer{Zone: origin, Keys: []*dnssec.Key{k}}).Sign(sets, nil, now); err != nil {
		t.Fatal(err)
	}
	return z, k
}

// newDNS returns an authdns server holding the signed test zone, not
// running: Answer works without sockets.
func newDNS(t testing.TB) (*authdns.Server, *dnssec.Key) {
	t.Helper()
	z, k := testZone(t, time.Now())
	snap, err := authdns.Compile(z)
	if err != nil {
		t.Fatal(err)
	}
	s := authdns.New(authdns.Config{UDPAddr: "127.0.0.1:0", TCPAddr: "127.0.0.1:0"}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	s.Swap(snap)
	return s, k
}

// runDNS runs s on UDP and TCP on loopback until the test ends and returns
// its address.
func runDNS(t testing.TB, s *authdns.Server) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	select {
	case <-s.Ready():
	case err := <-done:
		cancel()
		t.Fatalf("dns Run: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("dns Run: %v", err)
		}
	})
	udp, _ := s.Addrs()
	return udp.String()
}

// runHTTP serves doh for s on loopback through httpserve.Serve (HTTP/1.1
// and h2c) until the test ends and returns its address.
func runHTTP(t testing.TB, s *authdns.Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- httpserve.Serve(ctx, ln, httpserve.Mux(doh.New(s))) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("http Serve: %v", err)
		}
	})
	return ln.Addr().String()
}

// mux is the handler as the public listener mounts it.
func mux(s *authdns.Server) *http.ServeMux { return httpserve.Mux(doh.New(s)) }

// query packs a question for name/qtype with EDNS, DO as asked.
func query(t testing.TB, name string, qtype uint16, do bool) []byte {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	m.SetEdns0(1232, do)
	b, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
