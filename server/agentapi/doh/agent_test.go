package doh_test

import (
	"context"
	"crypto/x509"
	"net/http/httptest"
	"testing"
	"time"

	agentquery "github.com/mirrorsignal/mirrorsignal/agent/query"
	"github.com/mirrorsignal/mirrorsignal/signal"
)

// TestAgentReaderOverDoH: the agent's reader, over DoH (HTTP/2, TLS with
// the test certificate in its pool) to this handler, validates the signed
// signal and `_trees` against the pinned DS and reads what it reads over
// UDP from the same snapshot. (A test only: server code must not import
// agent.)
func TestAgentReaderOverDoH(t *testing.T) {
	s, k := newDNS(t)
	udp := runDNS(t, s)
	srv := httptest.NewUnstartedServer(mux(s))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())

	pins, _, err := agentquery.ParsePins([]string{k.DS().String()}, signalName)
	if err != nil {
		t.Fatal(err)
	}
	read := func(c *agentquery.Client) agentquery.Signal {
		t.Helper()
		c.Timeout, c.Attempts = 2*time.Second, 1
		r := agentquery.NewReader(agentquery.Options{
			Client: c, Name: signalName, Layout: signal.Layout{"content", "altarch", "vault"},
			Mode: agentquery.ModePinned, Pins: pins, RequireDNSSEC: true,
			MaxSignatureAge: 3 * time.Hour, MaxSkew: time.Minute, Now: time.Now,
		})
		sig, err := r.Read(context.Background())
		if err != nil {
			t.Fatalf("Read from %v: %v", c.Servers, err)
		}
		if err := r.CheckLayout(context.Background()); err != nil {
			t.Fatalf("CheckLayout from %v: %v", c.Servers, err)
		}
		return sig
	}
	overUDP := read(&agentquery.Client{Servers: []string{udp}})
	overDoH := read(&agentquery.Client{Servers: []string{srv.URL + "/dns-query"}, Recursive: true, HTTPS: agentquery.HTTPSClient(roots)})
	if !overDoH.Security.Secure || overDoH.Security.How != "pinned" {
		t.Fatalf("over DoH: %+v", overDoH.Security)
	}
	if overDoH.Text != overUDP.Text || !overDoH.Security.Inception.Equal(overUDP.Security.Inception) {
		t.Fatalf("over DoH %q %v, over UDP %q %v", overDoH.Text, overDoH.Security.Inception, overUDP.Text, overUDP.Security.Inception)
	}
}
