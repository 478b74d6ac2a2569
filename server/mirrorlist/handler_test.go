package mirrorlist

import (
	"encoding/xml"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/mirrorlist/geo"
	"github.com/mirrorsignal/mirrorsignal/server/mirrorlist/geo/geotest"
	"github.com/mirrorsignal/mirrorsignal/server/status"
	"github.com/mirrorsignal/mirrorsignal/server/status/statustest"
)

// geoMirror is one mirror of the ordering fixture.
type geoMirror struct {
	name, cc, cont string
	netblocks      []string
	state          string
	lag            int64
}

var geoMirrors = []geoMirror{
	{name: "net24", cc: "JP", cont: "AS", netblocks: []string{"127.0.5.0/24"}},
	{name: "net32", cc: "US", cont: "NA", netblocks: []string{"127.0.5.9/32"}},
	{name: "de1", cc: "DE", cont: "EU"},
	{name: "de2", cc: "DE", cont: "EU"},
	{name: "fr1", cc: "FR", cont: "EU"},
	{name: "us1", cc: "US", cont: "NA"},
	{name: "us2", cc: "US", cont: "NA"},
	{name: "jp1", cc: "JP", cont: "AS"},
	{name: "de-behind", cc: "DE", cont: "EU", state: status.Behind, lag: 1800},
	{name: "de-down", cc: "DE", cont: "EU", state: status.Unreachable},
	{name: "de-bad", cc: "DE", cont: "EU", state: status.Inconsistent},
}

var geoNow = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

func geoSnapshot() *status.Snapshot {
	s := &status.Snapshot{Format: status.Format, Generated: geoNow,
		Trees: []status.Tree{{Name: "content", Master: "https://master.example.test/content/"}},
		Repos: []status.Repo{{Name: "baseos-9", Arch: "x86_64", Tree: "content", Path: "9/BaseOS/x86_64/os/",
			Versions: []status.RepomdVersion{
				{Size: 3000, Timestamp: 1777000000, MD5: "m0", SHA1: "s0", SHA256: "a0", SHA512: "b0", Seen: geoNow.Add(-time.Hour)},
				{Size: 2900, Timestamp: 1776000000, MD5: "m1", SHA1: "s1", SHA256: "a1", SHA512: "b1", Seen: geoNow.Add(-50 * time.Hour), Replaced: geoNow.Add(-time.Hour)},
				{Size: 2800, Timestamp: 1775000000, MD5: "m2", SHA1: "s2", SHA256: "a2", SHA512: "b2", Seen: geoNow.Add(-200 * time.Hour), Replaced: geoNow.Add(-50 * time.Hour)},
			}}}}
	for _, g := range geoMirrors {
		state := g.state
		if state == "" {
			state = status.Fresh
		}
		s.Mirrors = append(s.Mirrors, status.Mirror{Name: g.name, Country: g.cc, Continent: g.cont, Bandwidth: 100, Netblocks: g.netblocks,
			Trees: []status.MirrorTree{{Tree: "content", State: state, LagSeconds: g.lag,
				URLs: map[string]string{"https": "https://" + g.name + ".example.net/pub/", "http": "http://" + g.name + ".example.net/pub/"}}}})
	}
	return s
}

func geoDB(t testing.TB) geo.Locator {
	path := filepath.Join(t.TempDir(), "geo.mmdb")
	if err := geotest.WriteTestDB(path, map[string]string{"127.0.5.0/24": "DE", "127.0.6.0/24": "JP", "192.0.2.0/24": "US"}); err != nil {
		t.Fatal(err)
	}
	db, err := geo.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

type fixture struct {
	t   testing.TB
	hub *status.Hub
	mux *http.ServeMux
	svc *Service
}

func newFixture(t testing.TB, s *status.Snapshot, o Options) *fixture {
	hub := status.NewHub()
	hub.Set(s)
	o.Source = hub
	if o.Now == nil {
		o.Now = func() time.Time { return s.Generated }
	}
	svc, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	hub.Subscribe(svc)
	mux := http.NewServeMux()
	svc.Register(mux)
	return &fixture{t: t, hub: hub, mux: mux, svc: svc}
}

func (f *fixture) get(target, remote string, hdr ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	if remote != "" {
		r.RemoteAddr = remote
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Add(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	f.mux.ServeHTTP(rec, r)
	return rec
}

// listed returns the header and the mirror names of a mirrorlist body.
func listed(t *testing.T, body string) (string, []string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(body, "\n"), "\n")
	var names []string
	for _, l := range lines[1:] {
		if strings.HasPrefix(l, "#") {
			continue
		}
		host := strings.TrimPrefix(strings.TrimPrefix(l, "https://"), "http://")
		name, _, _ := strings.Cut(host, ".")
		names = append(names, name)
	}
	return lines[0], names
}

const baseQuery = "/mirrorlist?repo=baseos-9&arch=x86_64"

func TestMirrorlistOrder(t *testing.T) {
	db := geoDB(t)
	for _, tc := range []struct {
		name, query, remote string
		min                 int
		// groups in order; within a group any order
		want   [][]string
		header string
	}{
		{name: "netblock, country, continent to the minimum", query: "", remote: "127.0.5.9:4000", min: 5,
			want: [][]string{{"net32"}, {"net24"}, {"de1", "de2"}, {"fr1"}}, header: "# repo = baseos-9 arch = x86_64 netblock = yes country = DE continent = EU"},
		{name: "the rest when still short", query: "", remote: "127.0.5.9:4000", min: 8,
			want: [][]string{{"net32"}, {"net24"}, {"de1", "de2"}, {"fr1"}, {"us1", "us2", "jp1"}}},
		{name: "country only when enough", query: "", remote: "127.0.5.9:4000", min: 1,
			want: [][]string{{"net32"}, {"net24"}, {"de1", "de2"}}},
		{name: "country= overrides geo", query: "&country=us", remote: "127.0.6.1:4000", min: 3,
			want: [][]string{{"net32", "us1", "us2"}}, header: "# repo = baseos-9 arch = x86_64 country = US"},
		{name: "two countries", query: "&country=fr,JP", remote: "192.0.2.1:4000", min: 1,
			want: [][]string{{"fr1", "jp1", "net24"}}},
		{name: "geo country, no netblock", query: "", remote: "127.0.6.1:4000", min: 3,
			want: [][]string{{"jp1", "net24"}, {"de1", "de2", "fr1", "us1", "us2", "net32"}}},
		{name: "global skips geo and netblocks", query: "&country=global", remote: "127.0.5.9:4000", min: 1,
			want: [][]string{{"net24", "net32", "de1", "de2", "fr1", "us1", "us2", "jp1"}}, header: "# repo = baseos-9 arch = x86_64 country = global"},
		{name: "unknown address is global", query: "", remote: "198.51.100.1:4000", min: 1,
			want: [][]string{{"net24", "net32", "de1", "de2", "fr1", "us1", "us2", "jp1"}}},
		{name: "max_lag admits a mirror behind within it", query: "&country=DE&max_lag=3600", remote: "198.51.100.1:4000", min: 1,
			want: [][]string{{"de1", "de2", "de-behind"}}},
		{name: "max_lag excludes one behind beyond it", query: "&country=DE&max_lag=1799", remote: "198.51.100.1:4000", min: 1,
			want: [][]string{{"de1", "de2"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, geoSnapshot(), Options{Geo: db, MinMirrors: tc.min})
			for range 20 { // the shuffle must never break the groups
				rec := f.get(baseQuery+tc.query, tc.remote)
				if rec.Code != http.StatusOK {
					t.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
				head, got := listed(t, rec.Body.String())
				if tc.header != "" && head != tc.header {
					t.Fatalf("header %q, want %q", head, tc.header)
				}
				checkGroups(t, got, tc.want)
			}
		})
	}
}

func checkGroups(t *testing.T, got []string, want [][]string) {
	t.Helper()
	i := 0
	for _, g := range want {
		if i+len(g) > len(got) {
			t.Fatalf("listed %v, want groups %v", got, want)
		}
		part := slices.Sorted(slices.Values(got[i : i+len(g)]))
		if !slices.Equal(part, slices.Sorted(slices.Values(g))) {
			t.Fatalf("listed %v, want groups %v", got, want)
		}
		i += len(g)
	}
	if i != len(got) {
		t.Fatalf("listed %v, want only groups %v", got, want)
	}
}

func TestMirrorlistProtocols(t *testing.T) {
	f := newFixture(t, geoSnapshot(), Options{})
	for _, tc := range []struct{ query, prefix string }{
		{"", "https://"},
		{"&protocol=https,http", "https://"},
		{"&protocol=http", "http://"},
		{"&protocol=http,https", "http://"},
	} {
		rec := f.get(baseQuery+"&country=global"+tc.query, "")
		lines := strings.Split(strings.TrimSpace(rec.Body.String()), "\n")[1:]
		if len(lines) != 8 {
			t.Fatalf("%s: %d lines, want one per fresh mirror (8):\n%s", tc.query, len(lines), rec.Body)
		}
		for _, l := range lines {
			if !strings.HasPrefix(l, tc.prefix) || !strings.HasSuffix(l, "/pub/9/BaseOS/x86_64/os/") {
				t.Errorf("%s: line %q", tc.query, l)
			}
		}
	}
}

func TestMirrorlistFallback(t *testing.T) {
	s := geoSnapshot()
	for i := range s.Mirrors {
		s.Mirrors[i].Trees[0].State = status.Behind
	}
	f := newFixture(t, s, Options{})
	rec := f.get(baseQuery, "")
	body := rec.Body.String()
	if rec.Code != http.StatusOK || !strings.HasSuffix(body, "\nhttps://master.example.test/content/9/BaseOS/x86_64/os/\n") {
		t.Fatalf("status %d, body:\n%s", rec.Code, body)
	}
	s.Trees[0].Master = ""
	f = newFixture(t, s, Options{})
	if rec := f.get(baseQuery, ""); rec.Code != http.StatusServiceUnavailable || strings.Contains(rec.Body.String(), "://") {
		t.Fatalf("without a master: status %d, body:\n%s", rec.Code, rec.Body)
	}
}

func TestMirrorlistErrors(t *testing.T) {
	f := newFixture(t, geoSnapshot(), Options{})
	for _, tc := range []struct {
		query string
		code  int
		body  string
	}{
		{"/mirrorlist?repo=nope&arch=x86_64", 404, "# repo = nope arch = x86_64 error: invalid repo or arch\n"},
		{"/mirrorlist?repo=baseos-9&arch=s390x", 404, "# repo = baseos-9 arch = s390x error: invalid repo or arch\n"},
		{"/mirrorlist?arch=x86_64", 400, "# repo =  arch = x86_64 error: bad query: repo= is required\n"},
		{"/mirrorlist?repo=baseos-9", 400, "# repo = baseos-9 arch =  error: bad query: arch= is required\n"},
		{"/mirrorlist?repo=a&repo=b&arch=x", 400, "# repo = a arch =  error: bad query: repo given twice\n"},
		{baseQuery + "&country=Germany", 400, ""},
		{baseQuery + "&protocol=ftp", 400, ""},
		{baseQuery + "&max_lag=1h", 400, ""},
		{baseQuery + "&max_lag=99999999999", 400, ""},
		{"/mirrorlist?repo=%ZZ&arch=x86_64", 400, ""},
		{baseQuery + "&countme=1", 200, ""},
	} {
		rec := f.get(tc.query, "")
		if rec.Code != tc.code || (tc.body != "" && rec.Body.String() != tc.body) {
			t.Errorf("%s: %d %q, want %d %q", tc.query, rec.Code, rec.Body, tc.code, tc.body)
		}
		if tc.code != 200 && (!strings.HasPrefix(rec.Body.String(), "# ") || strings.Count(rec.Body.String(), "\n") != 1) {
			t.Errorf("%s: not one comment line: %q", tc.query, rec.Body)
		}
	}
}

func TestHostileInput(t *testing.T) {
	f := newFixture(t, statustest.Fleet(statustest.Options{Hostile: true}), Options{})
	for _, q := range []string{
		"/mirrorlist?repo=%3Cscript%3Ealert(1)%3C/script%3E&arch=x86_64",
		"/mirrorlist?repo=baseos-9&arch=x%0A" + "https://evil.example/",
		"/metalink?repo=%3C!--&arch=--%3E%3Cx%3E",
		"/metalink?repo=baseos-9&arch=x86_64&country=%3Cb%3E",
	} {
		rec := f.get(q, "")
		body := rec.Body.String()
		if rec.Code == http.StatusOK {
			t.Fatalf("%s: 200", q)
		}
		for _, bad := range []string{"<script", "evil.example", "<x>", "<b>", "<!--\n"} {
			if strings.Contains(body, bad) {
				t.Errorf("%s: body echoes %q:\n%s", q, bad, body)
			}
		}
		if strings.Contains(q, "metalink") {
			checkXML(t, body)
		} else if strings.Count(body, "\n") != 1 {
			t.Errorf("%s: injected a line:\n%s", q, body)
		}
	}
	// The fleet's hostile mirror names and URLs never reach the output.
	for _, q := range []string{baseQuery + "&country=global", "/metalink?repo=baseos-9&arch=x86_64&country=global"} {
		body := f.get(q, "").Body.String()
		for _, h := range statustest.Hostile {
			if strings.Contains(body, h) || strings.Contains(body, "<script") {
				t.Errorf("%s: holds hostile text %q", q, h)
			}
		}
		if strings.Contains(q, "metalink") {
			checkXML(t, body)
			continue
		}
		for _, l := range strings.Split(strings.TrimSpace(body), "\n")[1:] {
			if !strings.HasPrefix(l, "https://") && !strings.HasPrefix(l, "http://") || strings.ContainsAny(l, "<>\"' ?") {
				t.Errorf("line %q", l)
			}
		}
	}
}

func checkXML(t *testing.T, body string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(body))
	d.Strict = true
	for {
		_, err := d.Token()
		if err != nil {
			if err.Error() != "EOF" {
				t.Errorf("not well-formed XML: %v\n%s", err, body)
			}
			return
		}
	}
}

func TestClientAddr(t *testing.T) {
	proxies := Proxies{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	for _, tc := range []struct {
		name, remote string
		xff          []string
		proxies      Proxies
		want         string
	}{
		{"untrusted peer ignored", "192.0.2.1:1", []string{"127.0.5.9"}, proxies, "192.0.2.1"},
		{"no proxies configured", "10.0.0.1:1", []string{"127.0.5.9"}, nil, "10.0.0.1"},
		{"trusted peer", "10.0.0.1:1", []string{"203.0.113.7"}, proxies, "203.0.113.7"},
		{"rightmost untrusted", "10.0.0.1:1", []string{"127.0.5.9, 203.0.113.7, 10.0.0.2"}, proxies, "203.0.113.7"},
		{"several headers", "10.0.0.1:1", []string{"127.0.5.9", "203.0.113.7"}, proxies, "203.0.113.7"},
		{"garbage stops the walk", "10.0.0.1:1", []string{"203.0.113.7, <script>"}, proxies, "10.0.0.1"},
		{"all trusted", "10.0.0.1:1", []string{"10.1.1.1, 10.2.2.2"}, proxies, "10.1.1.1"},
		{"mapped IPv4", "[::1]:1", []string{"::ffff:198.51.100.4"}, proxies, "198.51.100.4"},
		{"no header", "10.0.0.1:1", nil, proxies, "10.0.0.1"},
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = tc.remote
		for _, v := range tc.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		got, ok := ClientAddr(r, tc.proxies)
		if !ok || got.String() != tc.want {
			t.Errorf("%s: got %v %v, want %s", tc.name, got, ok, tc.want)
		}
	}
}

func TestForwardedForOnlyFromProxies(t *testing.T) {
	f := newFixture(t, geoSnapshot(), Options{Proxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, MinMirrors: 1})
	// From a trusted proxy the forwarded client owns net32's netblock.
	_, got := listed(t, f.get(baseQuery+"&country=FR", "10.9.9.9:80", "X-Forwarded-For", "127.0.5.9").Body.String())
	if len(got) < 2 || got[0] != "net32" || got[1] != "net24" {
		t.Fatalf("through the proxy: %v", got)
	}
	// The same header from anyone else is ignored.
	_, got = listed(t, f.get(baseQuery+"&country=FR", "192.0.2.8:80", "X-Forwarded-For", "127.0.5.9").Body.String())
	if !slices.Equal(got, []string{"fr1"}) {
		t.Fatalf("spoofed header obeyed: %v", got)
	}
}

// metalinkDoc is the part of a metalink the tests read.
type metalinkDoc struct {
	XMLName   xml.Name `xml:"http://www.metalinker.org/ metalink"`
	Version   string   `xml:"version,attr"`
	Type      string   `xml:"type,attr"`
	Pubdate   string   `xml:"pubdate,attr"`
	Generator string   `xml:"generator,attr"`
	Files     []struct {
		Name       string   `xml:"name,attr"`
		Timestamp  int64    `xml:"http://fedorahosted.org/mirrormanager timestamp"`
		Size       int64    `xml:"size"`
		Hashes     []mlHash `xml:"verification>hash"`
		Alternates []mlAlt  `xml:"http://fedorahosted.org/mirrormanager alternates>alternate"`
		Resources  struct {
			MaxConn string  `xml:"maxconnections,attr"`
			URLs    []mlURL `xml:"url"`
		} `xml:"resources"`
	} `xml:"files>file"`
}

type mlHash struct {
	Type  string `xml:"type,attr"`
	Value string `xml:",chardata"`
}

type mlAlt struct {
	Timestamp int64    `xml:"http://fedorahosted.org/mirrormanager timestamp"`
	Size      int64    `xml:"size"`
	Hashes    []mlHash `xml:"verification>hash"`
}

type mlURL struct {
	Protocol   string `xml:"protocol,attr"`
	Type       string `xml:"type,attr"`
	Location   string `xml:"location,attr"`
	Preference int    `xml:"preference,attr"`
	URL        string `xml:",chardata"`
}

func decodeMetalink(t *testing.T, body string) metalinkDoc {
	t.Helper()
	checkXML(t, body)
	var d metalinkDoc
	if err := xml.Unmarshal([]byte(body), &d); err != nil {
		t.Fatalf("%v\n%s", err, body)
	}
	return d
}

func TestMetalink(t *testing.T) {
	f := newFixture(t, geoSnapshot(), Options{MinMirrors: 1})
	rec := f.get("/metalink?repo=baseos-9&arch=x86_64", "127.0.5.9:1")
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/metalink+xml" {
		t.Fatalf("%d %v", rec.Code, rec.Header())
	}
	body := rec.Body.String()
	for _, s := range []string{`<?xml version="1.0" encoding="utf-8"?>`,
		`<metalink version="3.0" xmlns="http://www.metalinker.org/" type="dynamic" pubdate="Fri, 01 May 2026 12:00:00 GMT" generator="mirrorsignal" xmlns:mm0="http://fedorahosted.org/mirrormanager">`} {
		if !strings.Contains(body, s) {
			t.Errorf("missing %s", s)
		}
	}
	d := decodeMetalink(t, body)
	if d.Version != "3.0" || d.Type != "dynamic" || len(d.Files) != 1 || d.Files[0].Name != "repomd.xml" {
		t.Fatalf("%+v", d)
	}
	fl := d.Files[0]
	want := []mlHash{{"md5", "m0"}, {"sha1", "s0"}, {"sha256", "a0"}, {"sha512", "b0"}}
	if fl.Timestamp != 1777000000 || fl.Size != 3000 || !slices.Equal(fl.Hashes, want) {
		t.Errorf("current: %d %d %v", fl.Timestamp, fl.Size, fl.Hashes)
	}
	// Replaced an hour ago: an alternate; replaced 50 h ago: too, with
	// the default 72 h grace.
	if len(fl.Alternates) != 2 || fl.Alternates[0].Hashes[3].Value != "b1" || fl.Alternates[1].Size != 2800 {
		t.Errorf("alternates: %+v", fl.Alternates)
	}
	urls := fl.Resources.URLs
	if fl.Resources.MaxConn != "1" || len(urls) != 16 {
		t.Fatalf("%s resources, %d urls", fl.Resources.MaxConn, len(urls))
	}
	// The netblock mirrors first; one preference per host, https then http.
	if !strings.HasPrefix(urls[0].URL, "https://net32.") || urls[0].Preference != 100 ||
		urls[1].URL != "http://net32.example.net/pub/9/BaseOS/x86_64/os/repodata/repomd.xml" || urls[1].Preference != 100 ||
		urls[2].Preference != 99 || urls[0].Location != "US" || urls[1].Protocol != "http" || urls[1].Type != "http" {
		t.Errorf("urls: %+v", urls[:3])
	}
	for i, u := range urls {
		if u.Preference != 100-i/2 {
			t.Errorf("url %d preference %d", i, u.Preference)
		}
	}
}

func TestMetalinkGrace(t *testing.T) {
	for _, tc := range []struct {
		grace time.Duration
		alts  int
	}{{72 * time.Hour, 2}, {49 * time.Hour, 1}, {30 * time.Minute, 0}} {
		f := newFixture(t, geoSnapshot(), Options{AlternatesGrace: tc.grace})
		d := decodeMetalink(t, f.get("/metalink?repo=baseos-9&arch=x86_64", "").Body.String())
		if n := len(d.Files[0].Alternates); n != tc.alts {
			t.Errorf("grace %s: %d alternates, want %d", tc.grace, n, tc.alts)
		}
	}
}

func TestMetalinkFailures(t *testing.T) {
	s := geoSnapshot()
	s.Repos = append(s.Repos, status.Repo{Name: "new", Arch: "x86_64", Tree: "content", Path: "new/"})
	f := newFixture(t, s, Options{})
	for _, tc := range []struct {
		query, reason string
		code          int
	}{
		{"/metalink?repo=nope&arch=x86_64", "invalid repo or arch", 404},
		{"/metalink?repo=new&arch=x86_64", "the master's repomd.xml has not been read yet", 503},
		{"/metalink?repo=x", "bad query: arch= is required", 400},
	} {
		rec := f.get(tc.query, "")
		body := rec.Body.String()
		if rec.Code != tc.code || !strings.Contains(body, "<!-- error: "+tc.reason) || !strings.HasSuffix(body, "-->\n</metalink>\n") {
			t.Errorf("%s: %d\n%s", tc.query, rec.Code, body)
		}
		checkXML(t, body)
	}
}

func TestSnapshotSwap(t *testing.T) {
	s := geoSnapshot()
	f := newFixture(t, s, Options{})
	_, before := listed(t, f.get(baseQuery+"&country=global", "").Body.String())
	next := geoSnapshot()
	next.Mirrors = next.Mirrors[:1]
	f.hub.Set(next)
	_, after := listed(t, f.get(baseQuery+"&country=global", "").Body.String())
	if len(before) != 8 || !slices.Equal(after, []string{"net24"}) {
		t.Fatalf("before %v, after %v", before, after)
	}
}

func TestWeightedShuffle(t *testing.T) {
	weights := []float64{100, 1000, 10000, 3000}
	e := &entry{}
	for _, w := range weights {
		e.hosts = append(e.hosts, host{fresh: true, weight: w, urls: [2]string{"https://x/"}})
		e.all = append(e.all, int32(len(e.all)))
	}
	sc := &scratch{rng: rand.New(rand.NewPCG(1, 2))}
	w := &want{protos: defaultProtos, maxLag: -1, min: 1}
	const draws = 40000
	first := make([]float64, len(weights))
	for range draws {
		e.order(sc, nil, w)
		if len(sc.out) != len(weights) {
			t.Fatalf("listed %d of %d", len(sc.out), len(weights))
		}
		first[sc.out[0]]++
	}
	var total float64
	for _, w := range weights {
		total += w
	}
	chi2 := func(expect func(i int) float64) float64 {
		var x float64
		for i := range weights {
			e := expect(i)
			x += (first[i] - e) * (first[i] - e) / e
		}
		return x
	}
	// 3 degrees of freedom: 16.27 is the 0.999 quantile.
	if x := chi2(func(i int) float64 { return draws * weights[i] / total }); x > 16.27 {
		t.Errorf("first position %v does not follow the weights %v: chi-square %.1f", first, weights, x)
	}
	if x := chi2(func(int) float64 { return draws / float64(len(weights)) }); x < 16.27 {
		t.Errorf("first position %v is not distinguishable from uniform: chi-square %.1f", first, x)
	}
}
