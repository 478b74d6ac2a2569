// Package secondaries holds the secondary-server configurations shipped in
// contrib/secondaries (NSD, Knot, BIND). Its test runs each server with its
// file — only the primary's port and the secret substituted — as a
// secondary of a real signald DNS server, so the files cannot rot: the
// zone must arrive by TSIG-signed transfer and follow a NOTIFY.
package secondaries

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mirrorsignal/mirrorsignal/server/authdns"
	"github.com/mirrorsignal/mirrorsignal/server/dnsharness"
	"github.com/mirrorsignal/mirrorsignal/server/notify"
	"github.com/mirrorsignal/mirrorsignal/signal"
	"github.com/mirrorsignal/mirrorsignal/signal/testtool"
)

const (
	zoneName = "mirrors.example.test."
	keyName  = "xfr-key."
	secret   = "f8wXRtSbE6doATIuDybXy+c0o9aaQzmuOPCObGTwugE="

	// What the files say, and the test replaces.
	filePrimary     = "127.0.0.1@5353"
	filePrimaryBIND = "primaries port 5353"
	fileSecret      = "REPLACE_WITH_BASE64_SECRET"

	pollLimit = 10 * time.Second
)

// primary is a running signald DNS server.
type primary struct {
	srv  *authdns.Server
	port string
}

func zone(serial uint32, stamp int64) authdns.Zone {
	return authdns.Zone{
		Origin: zoneName,
		SOA: authdns.SOA{MName: "ns1." + zoneName, RName: "hostmaster." + zoneName,
			Serial: serial, Refresh: 3600, Retry: 600, Expire: 1209600, Minimum: 300},
		NS:         []authdns.NameServer{{Name: "ns1." + zoneName, Addrs: []netip.Addr{netip.MustParseAddr("127.0.0.1")}}},
		SignalName: "current." + zoneName,
		Record:     signal.Record{Layout: signal.Layout{"content"}, Stamps: []int64{stamp}},
	}
}

// startPrimary serves zone(1, …) on a random loopback port, transfers
// allowed with the key only.
func startPrimary(t *testing.T) *primary {
	t.Helper()
	s := authdns.New(authdns.Config{
		UDPAddr: "127.0.0.1:0", TCPAddr: "127.0.0.1:0",
		Transfer: authdns.TransferConfig{Keys: map[string]string{keyName: secret}},
	}, slog.New(slog.DiscardHandler))
	s.Swap(compile(t, zone(1, 1700000000)))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case <-s.Ready():
	case err := <-done:
		t.Fatalf("Run: %v", err)
	}
	_, tcp := s.Addrs()
	return &primary{srv: s, port: tcp.String()[strings.LastIndex(tcp.String(), ":")+1:]}
}

func compile(t *testing.T, z authdns.Zone) *authdns.Snapshot {
	t.Helper()
	snap, err := authdns.Compile(z)
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// readConf returns the file with each placeholder replaced, failing when
// one is missing: then the file and this test disagree.
func readConf(t *testing.T, name string, repl ...string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	conf := string(b)
	for i := 0; i < len(repl); i += 2 {
		if !strings.Contains(conf, repl[i]) {
			t.Fatalf("%s no longer contains %q", name, repl[i])
		}
		conf = strings.ReplaceAll(conf, repl[i], repl[i+1])
	}
	return conf
}

func TestNSD(t *testing.T) {
	t.Parallel()
	p := startPrimary(t)
	conf := readConf(t, "nsd.conf", filePrimary, "127.0.0.1@"+p.port, fileSecret, secret)
	sec := dnsharness.NSDWithConfig(t, zoneName, conf, dnsharness.Options{NoRRL: true})
	followNotify(t, p, sec.Name, sec.Addr, sec.Output)
}

func TestKnot(t *testing.T) {
	t.Parallel()
	p := startPrimary(t)
	conf := readConf(t, "knot.conf", filePrimary, "127.0.0.1@"+p.port, fileSecret, secret)
	sec := dnsharness.KnotWithConfig(t, zoneName, conf, dnsharness.Options{NoRRL: true})
	followNotify(t, p, sec.Name, sec.Addr, sec.Output)
}

// followNotify checks that the secondary at addr serves serial 1, then,
// after a change and a NOTIFY, serial 2.
func followNotify(t *testing.T, p *primary, name, addr string, output func() string) {
	t.Helper()
	waitSerial(t, name, addr, 1, output)
	n, err := notify.New(notify.Config{
		Zone:    zoneName,
		Targets: []notify.Target{{Addr: addr, Key: &notify.Key{Name: keyName, Secret: secret}}},
		Timeout: 500 * time.Millisecond, InitialBackoff: 200 * time.Millisecond, MaxTries: 5,
	}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { n.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	p.srv.Swap(compile(t, zone(2, 1700000600)))
	n.Notify(2)
	waitSerial(t, name, addr, 2, output)
	m, err := dnsharness.Exchange(addr, "current."+zoneName, dns.TypeTXT, false)
	if err != nil || m.Answer[0].(*dns.TXT).Txt[0] != "1700000600" {
		t.Fatalf("%s: signal %v, %v", name, m, err)
	}
}

func waitSerial(t *testing.T, name, addr string, want uint32, output func() string) {
	t.Helper()
	if err := dnsharness.WaitSerial(addr, zoneName, want, pollLimit); err != nil {
		t.Fatalf("%s: %v\n%s", name, err, output())
	}
}

// TestBIND checks named.conf with named-checkconf and runs named as a
// secondary (make test installs bind9).
func TestBIND(t *testing.T) {
	t.Parallel()
	checkconf := testtool.Path(t, "named-checkconf")
	p := startPrimary(t)
	dir := t.TempDir()
	port := dnsharness.FreePort(t)
	conf := readConf(t, "named.conf", filePrimaryBIND, "primaries port "+p.port, fileSecret, secret)
	full := fmt.Sprintf(`options {
	directory %q;
	pid-file %q;
	session-keyfile %q;
	listen-on port %d { 127.0.0.1; };
	listen-on-v6 { none; };
	recursion no;
	dnssec-validation no;
};
controls { };
`, dir, dir+"/named.pid", dir+"/session.key", port) + conf
	path := filepath.Join(dir, "named.conf")
	if err := os.WriteFile(path, []byte(full), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(checkconf, path).CombinedOutput(); err != nil {
		t.Fatalf("named-checkconf: %v\n%s", err, out)
	}
	named := testtool.Path(t, "named")
	if err := os.MkdirAll(filepath.Join(dir, "secondary"), 0o700); err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	sec := dnsharness.Start(t, "named", named, []string{"-g", "-c", path}, dir, addr, func() error {
		_, err := dnsharness.Serial(addr, zoneName)
		return err
	})
	followNotify(t, p, sec.Name, sec.Addr, sec.Output)
}
