package doh_test

import (
	"encoding/pem"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mirrorsignal/mirrorsignal/signal/testtool"
)

// digAnswer runs a DNS client with args and returns its answer section.
func digAnswer(t *testing.T, prog string, args ...string) string {
	t.Helper()
	limits := []string{"+tries=1", "+time=5"}
	if filepath.Base(prog) == "kdig" {
		limits = []string{"+retry=0", "+timeout=5"}
	}
	args = append(append([]string{"+noall", "+answer", signalName, "TXT"}, limits...), args...)
	out, err := exec.Command(prog, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", prog, strings.Join(args, " "), err, out)
	}
	ans := strings.TrimSpace(string(out))
	if !strings.Contains(ans, "TXT") {
		t.Fatalf("%s %s: no TXT answer:\n%s", prog, strings.Join(args, " "), out)
	}
	return ans
}

// TestDigHTTPPlain: dig over h2c (prior knowledge, no TLS) to the public
// listener's server gets the answer section a UDP query gets, with and
// without DNSSEC, by POST and by GET.
func TestDigHTTPPlain(t *testing.T) {
	dig := testtool.Path(t, "dig")
	s, _ := newDNS(t)
	udp := runDNS(t, s)
	udpHost, udpPort, _ := net.SplitHostPort(udp)
	httpHost, httpPort, _ := net.SplitHostPort(runHTTP(t, s))
	for _, mode := range []string{"+nodnssec", "+dnssec"} {
		want := digAnswer(t, dig, "@"+udpHost, "-p", udpPort, mode)
		if mode == "+dnssec" && !strings.Contains(want, "RRSIG") {
			t.Fatalf("UDP answer with +dnssec has no RRSIG:\n%s", want)
		}
		for _, method := range []string{"+http-plain", "+http-plain-get"} {
			got := digAnswer(t, dig, "@"+httpHost, "-p", httpPort, mode, method)
			if got != want {
				t.Errorf("%s %s:\n%s\nwant (UDP):\n%s", method, mode, got, want)
			}
		}
	}
}

// TestDoHOverTLS: dig +https and kdig +https (HTTP/2 over TLS) against a
// TLS listener with a test certificate get the UDP answer section.
func TestDoHOverTLS(t *testing.T) {
	s, _ := newDNS(t)
	udp := runDNS(t, s)
	udpHost, udpPort, _ := net.SplitHostPort(udp)
	srv := httptest.NewUnstartedServer(mux(s))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	// httptest's certificate names example.com (and 127.0.0.1).
	tlsArgs := []string{"@" + host, "-p", port, "+tls-ca=" + ca, "+tls-hostname=example.com", "+dnssec"}
	for _, prog := range []string{"dig", "kdig"} {
		t.Run(prog, func(t *testing.T) {
			path := testtool.Path(t, prog)
			want := digAnswer(t, path, "@"+udpHost, "-p", udpPort, "+dnssec")
			if got := digAnswer(t, path, append(tlsArgs, "+https")...); got != want {
				t.Errorf("+https:\n%s\nwant (UDP):\n%s", got, want)
			}
		})
	}
}
