package mirrorlist

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/mirrorsignal/mirrorsignal/server/mirrorlist/geo"
)

func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{
		"repo=baseos-9&arch=x86_64",
		"repo=a&arch=b&country=DE,fr&protocol=https,http&max_lag=3600",
		"repo=a&arch=b&country=global",
		"repo=%3Cx%3E&arch=%0A&countme=1",
		"repo=a&repo=b&arch=c",
		"&&=&repo=&arch",
		"repo=a&arch=b&max_lag=+1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		p, err := ParseQuery(raw)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\n<>") {
				t.Fatalf("error text %q", err)
			}
			return
		}
		if p.Repo == "" || p.Arch == "" || len(p.Repo) > maxName || len(p.Arch) > maxName {
			t.Fatalf("accepted repo %q arch %q", p.Repo, p.Arch)
		}
		if p.Global && len(p.Countries) > 0 || len(p.Countries) > maxCountries {
			t.Fatalf("countries %v global %v", p.Countries, p.Global)
		}
		for _, cc := range p.Countries {
			if c, ok := geo.Normalize(cc); !ok || c != cc {
				t.Fatalf("country %q", cc)
			}
		}
		if len(p.Protos) == 0 || len(p.Protos) > 2 || (len(p.Protos) == 2 && p.Protos[0] == p.Protos[1]) {
			t.Fatalf("protocols %v", p.Protos)
		}
		if p.MaxLag < -1 || p.MaxLag > maxLagLimit {
			t.Fatalf("max_lag %d", p.MaxLag)
		}
		for _, s := range []string{safeEcho(p.Repo), safeEcho(p.Arch)} {
			if strings.ContainsAny(s, "<>&\"' \n\r\t%") {
				t.Fatalf("echoes %q", s)
			}
		}
	})
}

func FuzzMirrorlistRequest(f *testing.F) {
	f.Add("repo=baseos-9&arch=x86_64", "127.0.5.9", "10.0.0.1:1")
	f.Add("repo=baseos-9&arch=x86_64&country=global&max_lag=10", "", "192.0.2.1:1")
	f.Add("repo=%3Cscript%3E&arch=x86_64", "1.2.3.4, ::1", "[::1]:1")
	s := geoSnapshot()
	fx := newFixture(f, s, Options{Proxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}})
	f.Fuzz(func(t *testing.T, query, xff, remote string) {
		for _, path := range []string{"/mirrorlist", "/metalink"} {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.URL.Path, r.URL.RawQuery, r.RemoteAddr = path, query, remote
			r.Header.Set("X-Forwarded-For", xff)
			rec := httptest.NewRecorder()
			fx.mux.ServeHTTP(rec, r)
			switch rec.Code {
			case 200, 400, 404, 503:
			default:
				t.Fatalf("%s?%s: status %d", path, query, rec.Code)
			}
			body := rec.Body.String()
			if path == "/metalink" {
				if strings.Contains(body, "<script") || !strings.HasSuffix(body, "</metalink>\n") {
					t.Fatalf("metalink body:\n%s", body)
				}
				continue
			}
			for _, l := range strings.Split(strings.TrimSuffix(body, "\n"), "\n") {
				if !strings.HasPrefix(l, "# ") && !strings.HasPrefix(l, "https://") && !strings.HasPrefix(l, "http://") || strings.ContainsAny(l, "<>\r") {
					t.Fatalf("line %q in:\n%s", l, body)
				}
			}
		}
	})
}
