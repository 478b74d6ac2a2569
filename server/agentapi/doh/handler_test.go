package doh_test

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mirrorsignal/mirrorsignal/server/agentapi/doh"
)

// get and post send msg to h the two ways RFC 8484 allows.
func get(h http.Handler, msg []byte) *httptest.ResponseRecorder {
	return getParam(h, base64.RawURLEncoding.EncodeToString(msg))
}

func getParam(h http.Handler, param string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, doh.Path+"?dns="+param, nil))
	return w
}

func post(h http.Handler, contentType string, body []byte) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodPost, doh.Path, bytes.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	h.ServeHTTP(w, r)
	return w
}

// exchangeUDP sends msg to addr over UDP and returns the raw answer.
func exchangeUDP(t *testing.T, addr string, msg []byte) []byte {
	t.Helper()
	c, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write(msg); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 65535)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	return buf[:n]
}

// TestSameBytesAsUDP: GET and POST answers are the bytes a UDP query gets
// from the same snapshot, with the Cache-Control of RFC 8484 §5.1.
func TestSameBytesAsUDP(t *testing.T) {
	s, _ := newDNS(t)
	udp := runDNS(t, s)
	h := mux(s)
	tests := []struct {
		name   string
		qname  string
		qtype  uint16
		do     bool
		maxAge string
	}{
		{"signal", signalName, dns.TypeTXT, false, "max-age=300"},
		{"signal with DO", signalName, dns.TypeTXT, true, "max-age=300"},
		{"0x20 case", "cUrReNt.MiRrOrS.eXaMpLe.TeSt.", dns.TypeTXT, true, "max-age=300"},
		{"DNSKEY with DO", origin, dns.TypeDNSKEY, true, "max-age=3600"},
		{"NXDOMAIN: SOA minimum", "nope." + origin, dns.TypeTXT, false, "max-age=60"},
		{"NODATA with DO", signalName, dns.TypeA, true, "max-age=60"},
		{"outside the zone: no records", "example.org.", dns.TypeA, false, "max-age=0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := query(t, tc.qname, tc.qtype, tc.do)
			want := exchangeUDP(t, udp, q)
			for method, w := range map[string]*httptest.ResponseRecorder{"GET": get(h, q), "POST": post(h, doh.MediaType, q)} {
				if w.Code != http.StatusOK {
					t.Fatalf("%s: status %d: %s", method, w.Code, w.Body)
				}
				if !bytes.Equal(w.Body.Bytes(), want) {
					t.Errorf("%s: answer differs from UDP:\n%x\n%x", method, w.Body.Bytes(), want)
				}
				if ct := w.Header().Get("Content-Type"); ct != doh.MediaType {
					t.Errorf("%s: Content-Type %q", method, ct)
				}
				if cc := w.Header().Get("Cache-Control"); cc != tc.maxAge {
					t.Errorf("%s: Cache-Control %q, want %q", method, cc, tc.maxAge)
				}
			}
		})
	}
}

// TestNoTruncation: an answer over the client's EDNS size is truncated
// over UDP and whole over DoH, as over TCP.
func TestNoTruncation(t *testing.T) {
	s, _ := newDNS(t)
	udp := runDNS(t, s)
	m := new(dns.Msg)
	m.SetQuestion("nope."+origin, dns.TypeTXT)
	m.SetEdns0(512, true)
	q, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	var overUDP, overDoH dns.Msg
	if err := overUDP.Unpack(exchangeUDP(t, udp, q)); err != nil {
		t.Fatal(err)
	}
	w := post(mux(s), doh.MediaType, q)
	if err := overDoH.Unpack(w.Body.Bytes()); err != nil {
		t.Fatalf("status %d: %v", w.Code, err)
	}
	if w.Body.Len() <= 512 || !overUDP.Truncated {
		t.Fatalf("test answer of %d bytes is not truncated over UDP (TC=%v): pick a larger one", w.Body.Len(), overUDP.Truncated)
	}
	if overDoH.Truncated || len(overDoH.Ns) == 0 {
		t.Fatalf("DoH answer truncated: TC=%v, %d authority records", overDoH.Truncated, len(overDoH.Ns))
	}
}

// TestEchoesID: RFC 8484 asks for ID 0, but any ID is echoed.
func TestEchoesID(t *testing.T) {
	s, _ := newDNS(t)
	h := mux(s)
	for _, id := range []uint16{0, 0x1234} {
		q := query(t, signalName, dns.TypeTXT, false)
		binary.BigEndian.PutUint16(q, id)
		w := post(h, doh.MediaType, q)
		if got := binary.BigEndian.Uint16(w.Body.Bytes()); w.Code != http.StatusOK || got != id {
			t.Errorf("ID %#x: status %d, answer ID %#x", id, w.Code, got)
		}
	}
}

// TestBadRequests: each gets its 4xx and a one-line reason.
func TestBadRequests(t *testing.T) {
	s, _ := newDNS(t)
	h := mux(s)
	good := query(t, signalName, dns.TypeTXT, false)
	response := bytes.Clone(good)
	response[2] |= 0x80
	tests := []struct {
		name   string
		w      *httptest.ResponseRecorder
		status int
	}{
		{"GET without dns", getParam(h, ""), http.StatusBadRequest},
		{"GET bad base64", getParam(h, "!!!!"), http.StatusBadRequest},
		{"GET standard base64", getParam(h, "a+b/"), http.StatusBadRequest},
		{"GET short message", get(h, good[:5]), http.StatusBadRequest},
		{"GET response", get(h, response), http.StatusBadRequest},
		{"GET too long", getParam(h, strings.Repeat("A", 90000)), http.StatusRequestEntityTooLarge},
		{"POST without Content-Type", post(h, "", good), http.StatusUnsupportedMediaType},
		{"POST text/plain", post(h, "text/plain", good), http.StatusUnsupportedMediaType},
		{"POST over 65535 bytes", post(h, doh.MediaType, make([]byte, 65536)), http.StatusRequestEntityTooLarge},
		{"POST empty", post(h, doh.MediaType, nil), http.StatusBadRequest},
		{"POST response", post(h, doh.MediaType, response), http.StatusBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := tc.w.Body.String()
			if tc.w.Code != tc.status || strings.Count(body, "\n") != 1 || len(body) < 5 {
				t.Fatalf("status %d, body %q; want %d and one line", tc.w.Code, body, tc.status)
			}
		})
	}
	t.Run("PUT", func(t *testing.T) {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodPut, doh.Path, bytes.NewReader(good)))
		if w.Code != http.StatusMethodNotAllowed || !strings.Contains(w.Header().Get("Allow"), "POST") {
			t.Fatalf("status %d, Allow %q", w.Code, w.Header().Get("Allow"))
		}
	})
	t.Run("padded base64 accepted", func(t *testing.T) {
		if w := getParam(h, base64.URLEncoding.EncodeToString(good[:13])); w.Code != http.StatusOK {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
	})
	t.Run("Content-Type with parameter", func(t *testing.T) {
		if w := post(h, doh.MediaType+"; charset=binary", good); w.Code != http.StatusOK {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
	})
}
