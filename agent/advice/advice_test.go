package advice

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

var now = time.Unix(1_800_000_000, 0)

func testKey(t testing.TB) (ed25519.PublicKey, ed25519.PrivateKey) {
	seed := make([]byte, ed25519.SeedSize)
	priv := ed25519.NewKeyFromSeed(seed)
	return priv.Public().(ed25519.PublicKey), priv
}

func sample() Advice {
	return Advice{Tree: "content", Signal: 1_799_999_000, Issued: now.Unix() - 60, Expires: now.Unix() + 3600,
		Sources: []string{"rsync://near.mirror.example.net/centos/", "rsync://msync.example.org/centos/"}}
}

func TestCanonicalBytes(t *testing.T) {
	want := `{"tree":"content","signal":1799999000,"issued":1799999940,"expires":1800003600,` +
		`"sources":["rsync://near.mirror.example.net/centos/","rsync://msync.example.org/centos/"]}`
	a := sample()
	a.Signature = "ignored"
	if got := string(a.CanonicalBytes()); got != want {
		t.Fatalf("canonical\n got %s\nwant %s", got, want)
	}
	if got := string(Advice{Tree: "t"}.CanonicalBytes()); !strings.HasSuffix(got, `"sources":[]}`) {
		t.Fatalf("empty sources: %s", got)
	}
}

func TestVerify(t *testing.T) {
	pub, priv := testKey(t)
	otherPub, _, _ := ed25519.GenerateKey(nil)
	tests := []struct {
		name   string
		edit   func(*Advice)
		key    ed25519.PublicKey
		stamp  int64
		wantOK bool
	}{
		{"valid", nil, pub, 1_799_999_000, true},
		{"newer signal than ours", nil, pub, 1_700_000_000, true},
		{"other key", nil, otherPub, 0, false},
		{"tampered after signing", func(a *Advice) { a.Sources = a.Sources[:1] }, pub, 0, false},
		{"older signal", nil, pub, 1_800_000_000, false},
		{"expired", func(a *Advice) { a.Expires = now.Unix() - 1 }, pub, 0, false},
		{"future", func(a *Advice) { a.Issued, a.Expires = now.Unix()+3600, now.Unix()+7200 }, pub, 0, false},
		{"too long", func(a *Advice) { a.Issued = now.Unix() - 48*3600 }, pub, 0, false},
		{"longest", func(a *Advice) { a.Expires = a.Issued + 24*3600 }, pub, 0, true},
		{"one second too long", func(a *Advice) { a.Expires = a.Issued + 24*3600 + 1 }, pub, 0, false},
		{"span wraps time.Duration", func(a *Advice) { a.Expires = a.Issued + 18446744074 }, pub, 0, false},
		{"span wraps int64", func(a *Advice) { a.Issued = math.MinInt64 + 1 }, pub, 0, false},
		{"empty", func(a *Advice) { a.Expires = a.Issued }, pub, 0, false},
		{"expires before issued", func(a *Advice) { a.Issued, a.Expires = a.Expires, a.Issued }, pub, 0, false},
		{"other tree", func(a *Advice) { a.Tree = "vault" }, pub, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := sample()
			if tc.name != "tampered after signing" && tc.edit != nil {
				tc.edit(&a)
			}
			a = Sign(priv, a)
			if tc.name == "tampered after signing" {
				tc.edit(&a)
			}
			err := a.Verify(tc.key, "content", tc.stamp, now)
			if (err == nil) != tc.wantOK {
				t.Fatalf("Verify = %v, want ok=%v", err, tc.wantOK)
			}
		})
	}
}

func TestParseStrict(t *testing.T) {
	for name, body := range map[string]string{
		"unknown field": `{"tree":"content","signal":0,"issued":1,"expires":2,"sources":[],"extra":1}`,
		"trailing":      `{"tree":"content","signal":0,"issued":1,"expires":2,"sources":[]} {}`,
		"bad tree":      `{"tree":"Content!","signal":0,"issued":1,"expires":2,"sources":[]}`,
		"quote in src":  `{"tree":"content","signal":0,"issued":1,"expires":2,"sources":["rsync://h/m\""]}`,
		"not rsync":     `{"tree":"content","signal":0,"issued":1,"expires":2,"sources":["http://h/m"]}`,
		"bad signal":    `{"tree":"content","signal":5,"issued":1,"expires":2,"sources":[]}`,
		"option source": `{"tree":"content","signal":0,"issued":1,"expires":2,"sources":["-e sh"]}`,
		"remote shell":  `{"tree":"content","signal":0,"issued":1,"expires":2,"sources":["evil.example.com:x.mirror.example.net::centos/"]}`,
		"user":          `{"tree":"content","signal":0,"issued":1,"expires":2,"sources":["rsync://u@a.mirror.example.net/m/"]}`,
		"not an object": `[]`,
	} {
		if _, err := Parse([]byte(body)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestAllowed(t *testing.T) {
	allow := []string{"msync.example.org", "*.mirror.example.net", "192.0.2.7"}
	for host, want := range map[string]bool{
		"msync.example.org": true, "MSYNC.example.org.": true, "a.mirror.example.net": true,
		"mirror.example.net": false, "evil.example.org": false, "x.msync.example.org": false,
		"192.0.2.7": true, "evilmirror.example.net": false,
	} {
		if got := Allowed(host, allow); got != want {
			t.Errorf("Allowed(%q) = %v", host, got)
		}
	}
}

func TestClientFetch(t *testing.T) {
	pub, priv := testKey(t)
	a := sample()
	a.Sources = append(a.Sources, "rsync://evil.example.com/centos/")
	body, _ := json.Marshal(Sign(priv, a))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("mirror") != "m1" || r.URL.Query().Get("tree") != "content" {
			http.Error(w, "bad query", http.StatusBadRequest)
			return
		}
		w.Write(body)
	}))
	defer srv.Close()
	c := &Client{URL: srv.URL + "/api/v1/sync-sources", Mirror: "m1", Key: pub,
		Allow: []string{"*.mirror.example.net", "msync.example.org"}, HTTP: srv.Client(), Now: func() time.Time { return now }}
	res, err := c.Fetch(context.Background(), "content", 1_799_999_000)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Sources) != 2 || len(res.Dropped) != 1 || res.Dropped[0] != "rsync://evil.example.com/centos/" {
		t.Fatalf("result %+v", res)
	}
	c.Allow = []string{"other.example.org"}
	if _, err := c.Fetch(context.Background(), "content", 0); err == nil {
		t.Fatal("advice with no allowed source was used")
	}
}

// TestFilterReadsTheHostAsRsyncDoes: the allow-list sees the host rsync
// would contact, and a kept source is what rsync will be given.
func TestFilterReadsTheHostAsRsyncDoes(t *testing.T) {
	allow := []string{"*.mirror.example.net", "2001:db8::1"}
	tests := []struct {
		src  string
		want string // the kept source; "" = dropped
	}{
		{"evil.example.com:x.mirror.example.net::centos/", ""},
		{"rsync://evil.example.com:x.mirror.example.net/centos/", ""},
		{"x.mirror.example.net:evil.example.com::centos/", ""},
		{"evil.example.com@x.mirror.example.net::centos/", "evil.example.com@x.mirror.example.net::centos/"},
		{"x.mirror.example.net@evil.example.com::centos/", ""},
		{"rsync://[2001:db8::1]:873/centos/", "rsync://[2001:db8::1]:873/centos/"},
		{"[2001:db8::1]::centos/", "[2001:db8::1]::centos/"},
		{"rsync://X.Mirror.Example.NET/centos/", "rsync://x.mirror.example.net/centos/"},
		{"x.mirror.example.net::centos/7", "x.mirror.example.net::centos/7"},
		{"x.mirror.example.net:/centos/", ""},
	}
	for _, tc := range tests {
		t.Run(tc.src, func(t *testing.T) {
			kept, dropped := Filter([]string{tc.src}, allow)
			if tc.want == "" && (len(kept) != 0 || len(dropped) != 1) {
				t.Fatalf("kept %q", kept)
			}
			if tc.want != "" && (len(kept) != 1 || kept[0] != tc.want) {
				t.Fatalf("kept %q, dropped %q; want %q", kept, dropped, tc.want)
			}
		})
	}
}
