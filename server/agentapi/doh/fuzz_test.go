package doh_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/miekg/dns"

	"github.com/mirrorsignal/mirrorsignal/server/agentapi/doh"
)

// FuzzDoH sends the GET parameter and the POST body of the input: neither
// panics or gets a 5xx, and a 200 is a DNS message.
func FuzzDoH(f *testing.F) {
	f.Add("AAABAAABAAAAAAAAB2N1cnJlbnQHbWlycm9ycwdleGFtcGxlBHRlc3QAABAAAQ", query(f, signalName, dns.TypeTXT, true))
	f.Add("", []byte{})
	f.Add("====", query(f, origin, dns.TypeAXFR, false))
	f.Add("AAA", []byte{0, 0, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	s, _ := newDNS(f)
	h := mux(s)
	f.Fuzz(func(t *testing.T, param string, body []byte) {
		for method, w := range map[string]interface {
			Result() *http.Response
		}{
			"GET":  getParam(h, url.QueryEscape(param)),
			"POST": post(h, doh.MediaType, body),
		} {
			resp := w.Result()
			if resp.StatusCode >= 500 {
				t.Fatalf("%s: status %d", method, resp.StatusCode)
			}
			if resp.StatusCode == http.StatusOK && resp.Header.Get("Content-Type") != doh.MediaType {
				t.Fatalf("%s: 200 with Content-Type %q", method, resp.Header.Get("Content-Type"))
			}
		}
	})
}
