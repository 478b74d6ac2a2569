package authdns

import (
	"context"
	"net"
	"net/netip"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mirrorsignal/mirrorsignal/server/dnsparams"
	"github.com/mirrorsignal/mirrorsignal/signal/testtool"
)

const (
	xfrKey    = "xfr-key."
	xfrSecret = "f8wXRtSbE6doATIuDybXy+c0o9aaQzmuOPCObGTwugE="
	badSecret = "Dc0eDKMTCdC5jYdAhJ3LL0zXUla7/fWtWGPiM7YWK7E="
)

// xfrConfig allows xfr-key from anywhere and unsigned requests from
// 127.0.0.1 only; msgSize forces several messages for bigger zones.
func xfrConfig(msgSize int) Config {
	return Config{Transfer: TransferConfig{
		Keys:      map[string]string{"XFR-Key.": xfrSecret},
		AllowFrom: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
		msgSize:   msgSize,
	}}
}

// dialFrom connects to addr over TCP from the loopback address src.
func dialFrom(t *testing.T, src, addr string) *dns.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 2 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial from %s: %v", src, err)
	}
	t.Cleanup(func() { c.Close() })
	return &dns.Conn{Conn: c}
}

// xfrResult is what a transfer brought.
type xfrResult struct {
	msgs int
	rrs  []dns.RR
	err  error
}

// transferIn runs a transfer of q from src with miekg's client, which
// checks the TSIG of every message when secrets is set.
func transferIn(t *testing.T, ts *testServer, src string, q *dns.Msg, secrets map[string]string) xfrResult {
	t.Helper()
	tr := &dns.Transfer{Conn: dialFrom(t, src, ts.tcp), TsigSecret: secrets, ReadTimeout: 2 * time.Second}
	ch, err := tr.In(q, ts.tcp)
	if err != nil {
		return xfrResult{err: err}
	}
	var r xfrResult
	for env := range ch {
		r.msgs++
		r.rrs = append(r.rrs, env.RR...)
		if env.Error != nil && r.err == nil {
			r.err = env.Error
		}
	}
	return r
}

func axfrQuery(signed bool) *dns.Msg {
	q := new(dns.Msg)
	q.SetAxfr(testOrigin)
	if signed {
		q.SetTsig(xfrKey, dns.HmacSHA256, dnsparams.TSIGFudgeSeconds, time.Now().Unix())
	}
	return q
}

func ixfrQuery(serial uint32, signed bool) *dns.Msg {
	q := new(dns.Msg)
	q.SetIxfr(testOrigin, serial, testNS1, "hostmaster.mirrors.example.test.")
	if signed {
		q.SetTsig(xfrKey, dns.HmacSHA256, dnsparams.TSIGFudgeSeconds, time.Now().Unix())
	}
	return q
}

var secrets = map[string]string{xfrKey: xfrSecret}

// wantZone returns the records a full transfer of snap carries, SOA first
// and last, as sorted strings (without the final SOA) for comparison.
func zoneStrings(rrs []dns.RR) []string {
	out := rrStrings(rrs)
	slices.Sort(out)
	return out
}

func checkFullZone(t *testing.T, r xfrResult, snap *Snapshot) {
	t.Helper()
	if r.err != nil {
		t.Fatalf("transfer: %v", r.err)
	}
	if len(r.rrs) < 3 || r.rrs[0].Header().Rrtype != dns.TypeSOA || r.rrs[len(r.rrs)-1].String() != r.rrs[0].String() {
		t.Fatalf("transfer must start and end with the SOA, got %d records", len(r.rrs))
	}
	if got, want := zoneStrings(r.rrs[:len(r.rrs)-1]), zoneStrings(snap.Records()); !slices.Equal(got, want) {
		t.Fatalf("records\n got %q\nwant %q", got, want)
	}
}

func TestTransferAXFRSigned(t *testing.T) {
	snap := mustCompile(t, manyNSZone(40))
	ts := startServer(t, xfrConfig(1024), snap)
	// From a source that the address list does not allow: the key does.
	r := transferIn(t, ts, "127.0.0.2", axfrQuery(true), secrets)
	checkFullZone(t, r, snap)
	if r.msgs < 3 {
		t.Errorf("%d messages; the test wants several so that each one's signature is checked", r.msgs)
	}

	t.Run("every message signed", func(t *testing.T) {
		// Read the stream by hand: each message carries a TSIG whose MAC
		// chains to the previous one (RFC 8945 §5.3.1).
		conn := dialFrom(t, "127.0.0.2", ts.tcp)
		q := axfrQuery(true)
		b, mac, err := dns.TsigGenerate(q, xfrSecret, "", false)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Write(b); err != nil {
			t.Fatal(err)
		}
		soas := 0
		for n := 0; soas < 2; n++ {
			conn.SetReadDeadline(time.Now().Add(2 * time.Second))
			raw, err := conn.ReadMsgHeader(nil)
			if err != nil {
				t.Fatalf("message %d: %v", n, err)
			}
			if err := dns.TsigVerify(slices.Clone(raw), xfrSecret, mac, n > 0); err != nil {
				t.Fatalf("message %d: TSIG: %v", n, err)
			}
			m := new(dns.Msg)
			if err := m.Unpack(raw); err != nil {
				t.Fatal(err)
			}
			mac = m.IsTsig().MAC
			if !m.Authoritative || m.Id != q.Id || m.Len() > 1024 {
				t.Fatalf("message %d: aa=%v id=%d size=%d", n, m.Authoritative, m.Id, m.Len())
			}
			for _, a := range m.Answer {
				if a.Header().Rrtype == dns.TypeSOA {
					soas++
				}
			}
		}
	})
}

func TestTransferRefusals(t *testing.T) {
	snap := mustCompile(t, testZone())
	ts := startServer(t, xfrConfig(0), snap)
	t.Run("unsigned from an allowed address", func(t *testing.T) {
		checkFullZone(t, transferIn(t, ts, "127.0.0.1", axfrQuery(false), nil), snap)
	})
	t.Run("unsigned from another address", func(t *testing.T) {
		r := transferIn(t, ts, "127.0.0.2", axfrQuery(false), nil)
		if r.err == nil || !strings.Contains(r.err.Error(), "5") || len(r.rrs) != 0 {
			t.Fatalf("want REFUSED (rcode 5), got %v with %d records", r.err, len(r.rrs))
		}
		if !strings.Contains(ts.logs.String(), "zone transfer refused") {
			t.Errorf("refusal not logged:\n%s", ts.logs)
		}
	})
	cases := []struct {
		name, key, secret, alg string
		skew                   time.Duration
		tsigErr                uint16
		signed                 bool // the error response carries a MAC
	}{
		{"unknown key", "other-key.", xfrSecret, dns.HmacSHA256, 0, dns.RcodeBadKey, false},
		{"wrong secret", xfrKey, badSecret, dns.HmacSHA256, 0, dns.RcodeBadSig, false},
		{"other algorithm", xfrKey, xfrSecret, dns.HmacSHA512, 0, dns.RcodeBadKey, false},
		{"stale time", xfrKey, xfrSecret, dns.HmacSHA256, -time.Hour, dns.RcodeBadTime, true},
	}
	for _, c := range cases {
		for _, src := range []string{"127.0.0.1", "127.0.0.2"} {
			t.Run(c.name+" from "+src, func(t *testing.T) {
				q := new(dns.Msg)
				q.SetAxfr(testOrigin)
				q.SetTsig(c.key, c.alg, dnsparams.TSIGFudgeSeconds, time.Now().Add(c.skew).Unix())
				m := exchangeRaw(t, dialFrom(t, src, ts.tcp), q, c.secret)
				tsig := m.IsTsig()
				if m.Rcode != dns.RcodeNotAuth || tsig == nil || tsig.Error != c.tsigErr || len(m.Answer) != 0 {
					t.Fatalf("want NOTAUTH with TSIG error %s, got %s %v", dns.RcodeToString[int(c.tsigErr)], dns.RcodeToString[m.Rcode], tsig)
				}
				if (tsig.MACSize > 0) != c.signed {
					t.Errorf("MAC size %d, want a MAC: %v", tsig.MACSize, c.signed)
				}
			})
		}
	}
	t.Run("not our zone", func(t *testing.T) {
		q := new(dns.Msg)
		q.SetAxfr("example.org.")
		m := exchangeRaw(t, dialFrom(t, "127.0.0.1", ts.tcp), q, "")
		if m.Rcode != dns.RcodeNotAuth || len(m.Answer) != 0 {
			t.Fatalf("want NOTAUTH, got %s", dns.RcodeToString[m.Rcode])
		}
	})
}

// exchangeRaw sends q on conn, signed with secret unless it is empty (q
// then goes as it is), and returns the response without checking its TSIG.
func exchangeRaw(t *testing.T, conn *dns.Conn, q *dns.Msg, secret string) *dns.Msg {
	t.Helper()
	var b []byte
	var err error
	if q.IsTsig() != nil {
		b, _, err = dns.TsigGenerate(q, secret, "", false)
	} else {
		b, err = q.Pack()
	}
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write(b); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	raw, err := conn.ReadMsgHeader(nil)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	m := new(dns.Msg)
	if err := m.Unpack(raw); err != nil {
		t.Fatalf("unpack: %v", err)
	}
	if m.Id != q.Id || !m.Response {
		t.Fatalf("response id %d qr=%v, want id %d", m.Id, m.Response, q.Id)
	}
	return m
}

func TestTransferRequireBoth(t *testing.T) {
	cfg := xfrConfig(0)
	cfg.Transfer.RequireBoth = true
	snap := mustCompile(t, testZone())
	ts := startServer(t, cfg, snap)
	checkFullZone(t, transferIn(t, ts, "127.0.0.1", axfrQuery(true), secrets), snap)
	for _, c := range []struct {
		src    string
		signed bool
	}{{"127.0.0.1", false}, {"127.0.0.2", true}} {
		s := map[string]string(nil)
		if c.signed {
			s = secrets
		}
		if r := transferIn(t, ts, c.src, axfrQuery(c.signed), s); r.err == nil || len(r.rrs) != 0 {
			t.Errorf("from %s signed=%v: want refused, got %d records, %v", c.src, c.signed, len(r.rrs), r.err)
		}
	}
}

func TestTransferOverUDPRefused(t *testing.T) {
	ts := startServer(t, xfrConfig(0), mustCompile(t, testZone()))
	for _, q := range []*dns.Msg{axfrQuery(false), axfrQuery(true), ixfrQuery(1, false), ixfrQuery(1, true)} {
		name := dns.TypeToString[q.Question[0].Qtype]
		c := &dns.Client{Net: "udp", Timeout: 2 * time.Second}
		if q.IsTsig() != nil {
			name += " signed"
			c.TsigSecret = secrets // the REFUSED must be signed, or this fails
		}
		r, _, err := c.Exchange(q, ts.udp)
		if err != nil || r.Rcode != dns.RcodeRefused || len(r.Answer) != 0 {
			t.Errorf("%s over UDP: want REFUSED, got %v %v", name, r, err)
		}
	}
}

func TestTransferIXFR(t *testing.T) {
	snap := mustCompile(t, testZone())
	ts := startServer(t, xfrConfig(0), snap)
	t.Run("older serial gets the full zone", func(t *testing.T) {
		checkFullZone(t, transferIn(t, ts, "127.0.0.2", ixfrQuery(snap.Serial()-1, true), secrets), snap)
	})
	for _, serial := range []uint32{snap.Serial(), snap.Serial() + 5} {
		r := transferIn(t, ts, "127.0.0.2", ixfrQuery(serial, true), secrets)
		if r.err != nil || len(r.rrs) != 1 || r.rrs[0].(*dns.SOA).Serial != snap.Serial() {
			t.Errorf("IXFR from serial %d: want our SOA alone, got %v %v", serial, r.rrs, r.err)
		}
	}
	t.Run("without SOA", func(t *testing.T) {
		q := ixfrQuery(1, false)
		q.Ns = nil
		if m := exchangeRaw(t, dialFrom(t, "127.0.0.1", ts.tcp), q, ""); m.Rcode != dns.RcodeFormatError {
			t.Fatalf("want FORMERR, got %s", dns.RcodeToString[m.Rcode])
		}
	})
}

func TestTransferFollowsSwap(t *testing.T) {
	ts := startServer(t, xfrConfig(0), mustCompile(t, testZone()))
	z := testZone()
	z.SOA.Serial++
	z.Record.Stamps[0]++
	next := mustCompile(t, z)
	ts.Swap(next)
	checkFullZone(t, transferIn(t, ts, "127.0.0.1", axfrQuery(false), nil), next)
}

// TestSignedQueries checks that ordinary queries signed with a configured
// key get signed answers (secondaries sign their SOA checks) over both
// transports, and that the connection goes on after a transfer.
func TestSignedQueries(t *testing.T) {
	ts := startServer(t, xfrConfig(0), mustCompile(t, testZone()))
	for _, network := range []string{"udp", "tcp"} {
		q := new(dns.Msg)
		q.SetQuestion(testOrigin, dns.TypeSOA)
		q.SetEdns0(1232, false)
		q.SetTsig(xfrKey, dns.HmacSHA256, dnsparams.TSIGFudgeSeconds, time.Now().Unix())
		c := &dns.Client{Net: network, Timeout: 2 * time.Second, TsigSecret: secrets}
		addr := map[string]string{"udp": ts.udp, "tcp": ts.tcp}[network]
		r, _, err := c.Exchange(q, addr)
		if err != nil || r.Rcode != dns.RcodeSuccess || !r.Authoritative || len(r.Answer) != 1 || r.IsTsig() == nil {
			t.Errorf("%s: signed SOA query: %v %v", network, r, err)
		}
	}

	// The zone fits one message; the connection then takes more queries.
	conn := dialFrom(t, "127.0.0.1", ts.tcp)
	if m := exchangeRaw(t, conn, axfrQuery(false), ""); len(m.Answer) < 3 {
		t.Fatalf("AXFR: %v", m)
	}
	q := new(dns.Msg)
	q.SetQuestion(testSignal, dns.TypeTXT)
	if m := exchangeRaw(t, conn, q, ""); len(m.Answer) != 1 {
		t.Fatalf("query after a transfer: %v", m)
	}
}

func TestTransferConfigValidate(t *testing.T) {
	bad := []struct {
		name string
		tc   TransferConfig
		key  string
	}{
		{"secret not base64", TransferConfig{Keys: map[string]string{"k.": "not base64!"}}, "Transfer.Keys[k.]"},
		{"empty secret", TransferConfig{Keys: map[string]string{"k.": ""}}, "Transfer.Keys[k.]"},
		{"bad key name", TransferConfig{Keys: map[string]string{"a..b": xfrSecret}}, "Transfer.Keys"},
		{"invalid prefix", TransferConfig{AllowFrom: []netip.Prefix{{}}}, "Transfer.AllowFrom[0]"},
		{"both without addresses", TransferConfig{Keys: map[string]string{"k.": xfrSecret}, RequireBoth: true}, "Transfer.RequireBoth"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			err := Config{UDPAddr: ":0", Transfer: c.tc}.Validate()
			if err == nil || !strings.Contains(err.Error(), c.key) {
				t.Fatalf("want an error naming %s, got %v", c.key, err)
			}
		})
	}
	if err := xfrConfig(0).withDefaults().Transfer.validate(); err != nil {
		t.Fatal(err)
	}
}

// TestInteropTransfer runs `dig AXFR` and `kdig AXFR` with the key.
func TestInteropTransfer(t *testing.T) {
	snap := mustCompile(t, manyNSZone(40))
	ts := startServer(t, xfrConfig(1024), snap)
	port := portOf(ts.tcp)
	want := len(snap.Records()) + 1
	tools := []struct {
		name string
		args []string
		ok   *regexp.Regexp // the summary line with the record count
	}{
		{"dig", []string{"@127.0.0.1", "-p", port, "+tries=1", "+time=2"}, regexp.MustCompile(`XFR size: (\d+) records`)},
		{"kdig", []string{"@127.0.0.1", "-p", port, "+retry=0", "+time=2"}, regexp.MustCompile(`Received \d+ B \(\d+ messages, (\d+) records\)`)},
	}
	for _, tool := range tools {
		t.Run(tool.name, func(t *testing.T) {
			path := testtool.Path(t, tool.name)
			run := func(secret string) (string, error) {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				args := append(slices.Clone(tool.args), "-y", "hmac-sha256:xfr-key:"+secret, testOrigin, "AXFR")
				out, err := exec.CommandContext(ctx, path, args...).CombinedOutput()
				return string(out), err
			}
			out, err := run(xfrSecret)
			m := tool.ok.FindStringSubmatch(out)
			if err != nil || m == nil || m[1] != strconv.Itoa(want) || strings.Contains(strings.ToLower(out), "fail") {
				t.Fatalf("%s AXFR: want %d records, err %v:\n%s", tool.name, want, err, out)
			}
			out, _ = run(badSecret)
			if m := tool.ok.FindStringSubmatch(out); m != nil || !strings.Contains(out, "BADSIG") || strings.Contains(out, "unsynchronized") {
				t.Fatalf("%s AXFR with a wrong secret must fail:\n%s", tool.name, out)
			}
		})
	}
}
