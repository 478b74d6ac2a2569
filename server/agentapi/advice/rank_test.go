package advice

import (
	"slices"
	"testing"
)

func names(cs []candidate) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.name
	}
	return out
}

func TestRank(t *testing.T) {
	f := testFleet(t)
	v := testView(f, testProbes)
	req, _ := f.Mirror("req.example.net")
	got := names(rank(f, v, req, "content", testSignal))
	want := []string{
		"netblock-fr.example.net",  // netblock overlaps 192.0.2.0/24, though in FR
		"de.example.net",           // same country, checked 2m ago
		"de-old-check.example.net", // same country, checked 9m ago
		"fr.example.net",           // same continent
		"us.example.net",           // elsewhere
		"t1-de.example.org",        // tier 1 last, nearest first
		"t1-us.example.org",
	}
	// Left out: req itself; stale (behind); fresh-for-old-signal (fresh
	// for an older signal); opted-out (tier 2, sync_source false);
	// https-only (no rsync URL for content); no-module (agents refuse
	// it); unprobed (not in the view); vault-only (no content).
	if !slices.Equal(got, want) {
		t.Fatalf("order\n got %q\nwant %q", got, want)
	}
}

func TestRankGroups(t *testing.T) {
	f := testFleet(t)
	req, _ := f.Mirror("req.example.net")
	tests := []struct {
		source string
		want   int
	}{
		{"netblock-fr.example.net", sameNetblock},
		{"stale.example.net", sameNetblock},
		{"t1-de.example.org", sameNetblock},
		{"de.example.net", sameCountry},
		{"fr.example.net", sameContinent},
		{"us.example.net", elsewhere},
	}
	for _, tc := range tests {
		t.Run(tc.source, func(t *testing.T) {
			m, _ := f.Mirror(tc.source)
			if got := proximity(req, m); got != tc.want {
				t.Fatalf("proximity = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestRankVault(t *testing.T) {
	f := testFleet(t)
	v := testView(f, testProbes)
	req, _ := f.Mirror("https-only.example.net")
	got := names(rank(f, v, req, "vault", testSignal))
	if want := []string{"vault-only.example.net"}; !slices.Equal(got, want) {
		t.Fatalf("vault sources %q, want %q", got, want)
	}
}

func TestUsableSource(t *testing.T) {
	tests := []struct {
		src  string
		want bool
	}{
		{"rsync://h.example.net/centos/", true},
		{"rsync://h.example.net/centos", true},
		{"rsync://h.example.net:873/centos/sub/", true},
		{"rsync://192.0.2.1/m/", true},
		{"rsync://[2001:db8::1]/m/", true},
		{"rsync://[2001:db8::1]:873/m/", true},
		{"rsync://h.example.net/", false},
		{"rsync://h.example.net", false},
		{"rsync://h.example.net//m/", false},
		{"rsync://user@h.example.net/m/", false},
		{"rsync://h.example.net:/m/", false},
		{"rsync://h.example.net:0/m/", false},
		{"rsync://h.example.net:65536/m/", false},
		{"rsync://[::ffff:192.0.2.1]/m/", false},
		{"rsync://[fe80::1%25eth0]/m/", false},
		{"rsync://[192.0.2.1]/m/", false},
		{"rsync://h.example.net/m/?x", false},
		{"rsync://h.example.net/m/#x", false},
		{"rsync://h.example.net/a&b/", false},
		{"rsync://h.example.net/a b/", false},
		{"rsync://h..net/m/", false},
		{"https://h.example.net/m/", false},
		{"h.example.net::m/", false},
	}
	for _, tc := range tests {
		t.Run(tc.src, func(t *testing.T) {
			if got := usableSource(tc.src); got != tc.want {
				t.Fatalf("usableSource = %v, want %v", got, tc.want)
			}
		})
	}
}
