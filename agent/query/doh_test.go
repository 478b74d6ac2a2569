package query

import (
	"context"
	"crypto/x509"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mirrorsignal/mirrorsignal/agent/agenttest"
)

// dohFront is a DoH server (HTTP/2 over TLS) in front of a DNS server: it
// passes each POSTed query on over TCP.
type dohFront struct {
	*httptest.Server
	http1 atomic.Int32 // requests that did not come over HTTP/2
}

func startDoH(t *testing.T, dnsAddr string, h http.HandlerFunc) *dohFront {
	t.Helper()
	f := &dohFront{}
	if h == nil {
		h = f.forward(t, dnsAddr)
	}
	f.Server = httptest.NewUnstartedServer(h)
	f.EnableHTTP2 = true
	f.StartTLS()
	t.Cleanup(f.Close)
	return f
}

func (f *dohFront) forward(t *testing.T, dnsAddr string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor != 2 {
			f.http1.Add(1)
		}
		body, _ := io.ReadAll(r.Body)
		q := new(dns.Msg)
		if r.Header.Get("Content-Type") != DoHMediaType || q.Unpack(body) != nil {
			http.Error(w, "bad query", http.StatusBadRequest)
			return
		}
		m, _, err := (&dns.Client{Net: "tcp"}).Exchange(q, dnsAddr)
		if err != nil {
			t.Errorf("forward: %v", err)
			http.Error(w, "upstream", http.StatusBadGateway)
			return
		}
		out, _ := m.Pack()
		w.Header().Set("Content-Type", DoHMediaType)
		_, _ = w.Write(out)
	}
}

// pool trusts the test server's certificate.
func (f *dohFront) pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(f.Certificate())
	return p
}

func dohReader(urls []string, roots *x509.CertPool, o Options) *Reader {
	r := reader(urls, o)
	r.o.Client.HTTPS = HTTPSClient(roots)
	return r
}

// TestDoHPinned: over DoH the signal and the DNSKEY set come through the
// same client, and pinned validation reaches the same verdicts as over UDP.
func TestDoHPinned(t *testing.T) {
	s := agenttest.StartDNS(t, "mirrors.example.test.")
	s.SetTXT(name, "1488372781:0:0")
	s.SetSigning(agenttest.Signing{Enabled: true})
	f := startDoH(t, s.Addr, nil)
	url := f.URL + "/dns-query"
	o := Options{Mode: ModePinned, Pins: pinsOf(t, s), RequireDNSSEC: true, MaxSignatureAge: 3 * time.Hour}
	sig, err := dohReader([]string{url}, f.pool(), o).Read(context.Background())
	if err != nil || !sig.Security.Secure || sig.Server != url {
		t.Fatalf("Read: %+v, %v", sig, err)
	}
	if n := f.http1.Load(); n != 0 {
		t.Errorf("%d requests over HTTP/1", n)
	}
	s.SetSigning(agenttest.Signing{Enabled: true, Corrupt: true})
	if _, err := dohReader([]string{url}, f.pool(), o).Read(context.Background()); !errors.Is(err, ErrBogus) {
		t.Fatalf("bad signature over DoH: err %v, want ErrBogus", err)
	}
}

// TestDoHRefusals: an unverified certificate, an HTTP error, another
// media type, an oversized body, a redirect and a wrong ID are failures of
// that server.
func TestDoHRefusals(t *testing.T) {
	s := agenttest.StartDNS(t, "mirrors.example.test.")
	s.SetTXT(name, "1488372781:0:0")
	write := func(ct string, body []byte) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", ct)
			_, _ = w.Write(body)
		}
	}
	wrongID := new(dns.Msg)
	wrongID.SetQuestion(name, dns.TypeTXT)
	wrongID.Response, wrongID.Id = true, 7
	wrongIDWire, _ := wrongID.Pack()
	tests := []struct {
		name    string
		h       http.HandlerFunc
		roots   func(*dohFront) *x509.CertPool
		wantErr string
	}{
		{"certificate not trusted", nil, func(*dohFront) *x509.CertPool { return x509.NewCertPool() }, "certificate"},
		{"HTTP 400", func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "nope", http.StatusBadRequest) }, nil, "400"},
		{"text/html", write("text/html", []byte("<html>")), nil, "Content-Type"},
		{"over 65535 bytes", write(DoHMediaType, make([]byte, 70000)), nil, "over 65535"},
		{"redirect", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/elsewhere", http.StatusFound) }, nil, "redirect"},
		{"wrong ID", write(DoHMediaType, wrongIDWire), nil, "not a response to the query"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := startDoH(t, s.Addr, tc.h)
			roots := f.pool()
			if tc.roots != nil {
				roots = tc.roots(f)
			}
			_, err := dohReader([]string{f.URL + "/dns-query"}, roots, Options{}).Read(context.Background())
			if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err %v, want ErrUnreachable mentioning %q", err, tc.wantErr)
			}
		})
	}
}
