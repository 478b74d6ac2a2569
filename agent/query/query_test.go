package query

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/mirrorsignal/mirrorsignal/agent/agenttest"
	"github.com/mirrorsignal/mirrorsignal/signal"
)

const name = "current.mirrors.example.test."

var layout = signal.Layout{"content", "altarch", "vault"}

func msgWith(rrs ...string) *dns.Msg {
	m := new(dns.Msg)
	m.SetQuestion(name, dns.TypeTXT)
	for _, s := range rrs {
		rr, err := dns.NewRR(s)
		if err != nil {
			panic(err)
		}
		m.Answer = append(m.Answer, rr)
	}
	return m
}

func TestParseSignal(t *testing.T) {
	tests := []struct {
		name string
		msg  *dns.Msg
		want string // "" = error
	}{
		{"valid", msgWith(name + ` 300 IN TXT "1488372781:1487767981:1488113581"`), "1488372781:1487767981:1488113581"},
		{"case-insensitive owner", msgWith(strings.ToUpper(name) + ` 300 IN TXT "1488372781:0:0"`), "1488372781:0:0"},
		{"other owner ignored", msgWith("other.example.test. 300 IN TXT \"1:2\"", name+` 300 IN TXT "0:0:0"`), "0:0:0"},
		{"no TXT", msgWith(), ""},
		{"two TXT records", msgWith(name+` 300 IN TXT "0:0:0"`, name+` 300 IN TXT "1488372781:0:0"`), ""},
		{"two strings", msgWith(name + ` 300 IN TXT "0:0" ":0"`), ""},
		{"wrong field count", msgWith(name + ` 300 IN TXT "0:0"`), ""},
		{"junk", msgWith(name + ` 300 IN TXT "0:0:0 "`), ""},
		{"sign", msgWith(name + ` 300 IN TXT "+1488372781:0:0"`), ""},
		{"out of range", msgWith(name + ` 300 IN TXT "5:0:0"`), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec, _, err := ParseSignal(tc.msg, name, layout)
			if tc.want == "" {
				if err == nil {
					t.Fatalf("accepted: %v", rec)
				}
				return
			}
			if err != nil || rec.String() != tc.want {
				t.Fatalf("got %v, %v; want %s", rec, err, tc.want)
			}
		})
	}
}

func TestParsePins(t *testing.T) {
	ds := "mirrors.example.test. 3600 IN DS 2371 13 2 1F987CC6583E92DF0890718C42DD4E8A2AB5DC6B1EEA3A5C4AB8C9B8B2F2B8C4"
	if _, _, err := ParsePins([]string{ds}, name); err != nil {
		t.Fatal(err)
	}
	for label, pins := range map[string][]string{
		"not a record": {"hello"},
		"A record":     {"mirrors.example.test. 3600 IN A 192.0.2.1"},
		"other zone":   {strings.Replace(ds, "mirrors.example.test.", "other.test.", 1)},
		"two zones":    {ds, strings.Replace(ds, "mirrors.example.test.", "example.test.", 1)},
	} {
		if _, _, err := ParsePins(pins, name); err == nil {
			t.Errorf("%s: accepted", label)
		}
	}
}

func reader(servers []string, o Options) *Reader {
	o.Client = &Client{Servers: servers, Recursive: true, Timeout: 500 * time.Millisecond, Attempts: 1}
	o.Name, o.Layout = name, layout
	o.Now = time.Now
	o.MaxSkew = 5 * time.Minute
	if o.Mode == "" {
		o.Mode = ModeOff
	}
	return NewReader(o)
}

func TestTCPWhenTruncated(t *testing.T) {
	s := agenttest.StartDNS(t, "mirrors.example.test.")
	s.SetTXT(name, "1488372781:0:0")
	s.TruncateUDP(true)
	sig, err := reader([]string{s.Addr}, Options{}).Read(context.Background())
	if err != nil || sig.Text != "1488372781:0:0" {
		t.Fatalf("%v, %v", sig, err)
	}
	q := s.Queries()
	if len(q) != 2 || q[0].Net != "udp" || q[1].Net != "tcp" {
		t.Fatalf("queries %+v, want udp then tcp", q)
	}
}

func TestRetriesAcrossServers(t *testing.T) {
	good := agenttest.StartDNS(t, "mirrors.example.test.")
	good.SetTXT(name, "1488372781:0:0")
	broken := agenttest.StartDNS(t, "other.test.") // NXDOMAIN for the name
	r := reader([]string{"127.0.0.1:9", broken.Addr, good.Addr}, Options{})
	sig, err := r.Read(context.Background())
	if err != nil || sig.Server != good.Addr {
		t.Fatalf("%+v, %v", sig, err)
	}
	r = reader([]string{"127.0.0.1:9", broken.Addr}, Options{})
	if _, err := r.Read(context.Background()); !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "NXDOMAIN") {
		t.Fatalf("err %v", err)
	}
}

func TestAuthoritativeNeedsAA(t *testing.T) {
	s := agenttest.StartDNS(t, "mirrors.example.test.")
	s.SetTXT(name, "0:0:0")
	r := reader([]string{s.Addr}, Options{})
	r.o.Client.Recursive = false
	if _, err := r.Read(context.Background()); err != nil {
		t.Fatalf("AA answer refused: %v", err)
	}
}

func TestPinnedValidation(t *testing.T) {
	s := agenttest.StartDNS(t, "mirrors.example.test.")
	s.SetTXT(name, "1488372781:0:0")
	now := time.Now()
	pins, _, err := ParsePins([]string{s.DS()}, name)
	if err != nil {
		t.Fatal(err)
	}
	otherPins, _, _ := ParsePins([]string{strings.Replace(s.DS(), " 2 ", " 2 00", 1)}, name)
	tests := []struct {
		name    string
		sign    agenttest.Signing
		pins    *Pins
		require bool
		want    error // nil = secure answer
	}{
		{"valid", agenttest.Signing{Enabled: true}, pins, true, nil},
		{"unsigned, not required", agenttest.Signing{}, pins, false, nil},
		{"unsigned, required", agenttest.Signing{}, pins, true, ErrInsecure},
		{"bad signature", agenttest.Signing{Enabled: true, Corrupt: true}, pins, false, ErrBogus},
		{"expired", agenttest.Signing{Enabled: true, Inception: now.Add(-10 * 24 * time.Hour), Expiration: now.Add(-time.Minute)}, pins, false, ErrBogus},
		{"not yet valid", agenttest.Signing{Enabled: true, Inception: now.Add(time.Hour), Expiration: now.Add(48 * time.Hour)}, pins, false, ErrBogus},
		{"replayed", agenttest.Signing{Enabled: true, Inception: now.Add(-50 * time.Hour), Expiration: now.Add(24 * time.Hour)}, pins, false, ErrBogus},
		{"wrong pin", agenttest.Signing{Enabled: true}, otherPins, false, ErrBogus},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.pins == nil {
				t.Fatal("pin did not parse")
			}
			s.SetSigning(tc.sign)
			r := reader([]string{s.Addr}, Options{Mode: ModePinned, Pins: tc.pins, RequireDNSSEC: tc.require, MaxSignatureAge: 48 * time.Hour})
			sig, err := r.Read(context.Background())
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
			if tc.want == nil && sig.Security.Secure != tc.sign.Enabled {
				t.Fatalf("secure = %v", sig.Security.Secure)
			}
		})
	}
}

func TestFutureStampRefused(t *testing.T) {
	s := agenttest.StartDNS(t, "mirrors.example.test.")
	s.SetTXT(name, fmt.Sprintf("%d:0:0", time.Now().Add(10*time.Minute).Unix()))
	if _, err := reader([]string{s.Addr}, Options{}).Read(context.Background()); !errors.Is(err, ErrFuture) {
		t.Fatalf("err %v", err)
	}
}

func TestCheckLayout(t *testing.T) {
	s := agenttest.StartDNS(t, "mirrors.example.test.")
	r := reader([]string{s.Addr}, Options{})
	s.SetTXT("_trees."+name, "content:altarch:vault")
	if err := r.CheckLayout(context.Background()); err != nil {
		t.Fatal(err)
	}
	s.SetTXT("_trees."+name, "content:vault")
	if err := r.CheckLayout(context.Background()); !errors.Is(err, ErrLayoutMismatch) {
		t.Fatalf("err %v", err)
	}
}
