package authdns

import (
	"bufio"
	"encoding/binary"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mirrorsignal/mirrorsignal/server/dnsparams"
)

// FuzzSlowPath feeds arbitrary bytes to the path of signed queries and
// zone transfers, over UDP (answerUDP) and TCP (serveSlow on a pipe). It
// must not panic, and every message it sends must unpack and answer the
// query's ID.
func FuzzSlowPath(f *testing.F) {
	signed := func(m *dns.Msg, secret string) []byte {
		m.SetTsig(xfrKey, dns.HmacSHA256, dnsparams.TSIGFudgeSeconds, time.Now().Unix())
		b, _, err := dns.TsigGenerate(m, secret, "", false)
		if err != nil {
			f.Fatal(err)
		}
		return b
	}
	soa := new(dns.Msg)
	soa.SetQuestion(testOrigin, dns.TypeSOA)
	f.Add(signed(soa, xfrSecret))
	f.Add(signed(axfrQuery(false), xfrSecret))
	f.Add(signed(axfrQuery(false), badSecret))
	f.Add(signed(ixfrQuery(1, false), xfrSecret))
	f.Add(pack(f, ixfrQuery(1, false)))
	f.Add(pack(f, axfrQuery(false)))

	s := New(xfrConfig(600), slog.New(slog.DiscardHandler))
	s.Swap(mustCompile(f, manyNSZone(10)))
	from := netip.MustParseAddr("127.0.0.1")
	f.Fuzz(func(t *testing.T, msg []byte) {
		in := append([]byte(nil), msg...)
		if out := s.answerUDP(nil, in, from); out != nil {
			checkSlowResponse(t, msg, out)
		}
		if !slowPath(msg) {
			return
		}
		client, server := net.Pipe()
		got := make(chan [][]byte, 1)
		go func() { got <- readFrames(client) }()
		s.serveSlow(server, bufio.NewWriter(server), append([]byte(nil), msg...))
		server.Close()
		for _, b := range <-got {
			checkSlowResponse(t, msg, b)
		}
	})
}

// readFrames reads length-prefixed messages from c until it is closed.
func readFrames(c net.Conn) [][]byte {
	var out [][]byte
	r := bufio.NewReader(c)
	for {
		var prefix [2]byte
		if _, err := io.ReadFull(r, prefix[:]); err != nil {
			return out
		}
		b := make([]byte, binary.BigEndian.Uint16(prefix[:]))
		if _, err := io.ReadFull(r, b); err != nil {
			return out
		}
		out = append(out, b)
	}
}

func checkSlowResponse(t *testing.T, query, out []byte) {
	t.Helper()
	m := new(dns.Msg)
	if err := m.Unpack(out); err != nil {
		t.Fatalf("response does not unpack: %v", err)
	}
	if len(query) >= 2 && m.Id != binary.BigEndian.Uint16(query) {
		t.Fatalf("response ID %d, query ID %d", m.Id, binary.BigEndian.Uint16(query))
	}
	if !m.Response {
		t.Fatal("response without QR")
	}
}
