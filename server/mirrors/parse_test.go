package mirrors

import (
	"net/netip"
	"reflect"
	"slices"
	"testing"

	"github.com/mirrorsignal/mirrorsignal/signal"
)

var layout = signal.Layout{"content", "altarch", "vault"}

const minimal = `
[[mirror]]
name = "m1.example.net"
country = "DE"
tier = 1
[mirror.trees.content]
https = "https://m1.example.net/centos/"
`

const full = `
[[mirror]]
name = "m1.example.net"
country = "DE"
tier = 1
sync_source = true
bandwidth = 1000
netblocks = ["192.0.2.77/24", "2001:db8::/32"]
admin = "mailto:admin@example.net"
checkin_token_file = "tokens/m1"
families = ["ipv6", "ipv4"]
[mirror.trees.vault]
rsync = "rsync://m1.example.net/vault"
[mirror.trees.content]
https = "HTTPS://m1.example.net/centos"
http = "http://m1.example.net:8080/centos/"
rsync = "rsync://m1.example.net/centos/"

[[mirror]]
name = "m2.example.org"
country = "TR"
continent = "EU"
[mirror.trees.content]
http = "http://m2.example.org/"
[mirror.trees.altarch]
https = "https://m2.example.org/altarch/"

[[mirror]]
name = "m3.example.com"
country = "JP"
tier = 1
trees = { altarch = { https = "https://m3.example.com/a/" } }

[[repo]]
name = "baseos"
tree = "content"
path = "9-stream/BaseOS/$arch/os"
arches = ["x86_64", "aarch64"]
`

func mustParse(t *testing.T, doc string) *Fleet {
	t.Helper()
	f, err := Parse("mirrors.toml", []byte(doc), layout)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestParseMinimalDefaults(t *testing.T) {
	f := mustParse(t, minimal)
	m, ok := f.Mirror("m1.example.net")
	if !ok {
		t.Fatal("m1 not found")
	}
	if m.Tier() != Tier1 || m.Bandwidth() != DefaultBandwidth || m.SyncSource() || m.Families() != nil ||
		m.Netblocks() != nil || m.Continent() != Europe || m.Admin() != "" || m.CheckinTokenFile() != "" {
		t.Errorf("defaults not applied: %+v", m)
	}
	f = mustParse(t, "[[mirror]]\nname = \"x\"\ncountry = \"US\"\n[mirror.trees.vault]\nhttp = \"http://x/\"\n")
	if m := f.Mirrors()[0]; m.Tier() != DefaultTier || m.Continent() != NorthAmerica {
		t.Errorf("tier %d continent %s", m.Tier(), m.Continent())
	}
	if f.File() != "mirrors.toml" || !f.Layout().Equal(layout) {
		t.Errorf("file %q layout %v", f.File(), f.Layout())
	}
}

func TestParseEmpty(t *testing.T) {
	f := mustParse(t, "# no mirrors yet\n")
	if len(f.Mirrors()) != 0 || len(f.Repos()) != 0 || len(f.Tier1("content")) != 0 {
		t.Errorf("empty file gave %+v", f)
	}
}

func TestParseFull(t *testing.T) {
	f := mustParse(t, full)
	m, _ := f.Mirror("m1.example.net")
	wantNets := []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("2001:db8::/32")}
	if !reflect.DeepEqual(m.Netblocks(), wantNets) {
		t.Errorf("netblocks %v, want %v (masked)", m.Netblocks(), wantNets)
	}
	if !reflect.DeepEqual(m.Families(), []Family{IPv6, IPv4}) {
		t.Errorf("families %v", m.Families())
	}
	if !m.SyncSource() || m.Bandwidth() != 1000 || m.Admin() != "mailto:admin@example.net" || m.CheckinTokenFile() != "tokens/m1" {
		t.Errorf("values lost: %+v", m)
	}
	if got := m.Trees(); !reflect.DeepEqual(got, []string{"content", "vault"}) {
		t.Errorf("trees %v, want layout order", got)
	}
	want := TreeURLs{HTTP: "http://m1.example.net:8080/centos/", HTTPS: "https://m1.example.net/centos/", Rsync: "rsync://m1.example.net/centos/"}
	if got := m.URLs("content"); got != want {
		t.Errorf("content URLs %+v, want %+v", got, want)
	}
	if got := m.URLs("vault").Rsync; got != "rsync://m1.example.net/vault/" {
		t.Errorf("vault rsync %q", got)
	}
	if m.Carries("altarch") || !m.Carries("vault") || m.URLs("altarch") != (TreeURLs{}) {
		t.Error("Carries/URLs wrong for altarch or vault")
	}
	m2, _ := f.Mirror("m2.example.org")
	if m2.Country() != "TR" || m2.Continent() != Europe {
		t.Errorf("continent override: %s %s", m2.Country(), m2.Continent())
	}
	m3, _ := f.Mirror("m3.example.com")
	if m3.URLs("altarch").HTTPS != "https://m3.example.com/a/" {
		t.Errorf("inline trees table lost: %+v", m3.URLs("altarch"))
	}
}

func names(ms []Mirror) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Name())
	}
	return out
}

func TestFleetQueries(t *testing.T) {
	f := mustParse(t, full)
	tests := []struct {
		name string
		got  []Mirror
		want []string
	}{
		{"mirrors", f.Mirrors(), []string{"m1.example.net", "m2.example.org", "m3.example.com"}},
		{"tier1 content", f.Tier1("content"), []string{"m1.example.net"}},
		{"tier1 altarch", f.Tier1("altarch"), []string{"m3.example.com"}},
		{"tier1 unknown", f.Tier1("nope"), nil},
		{"carrying content", f.Carrying("content"), []string{"m1.example.net", "m2.example.org"}},
		{"carrying altarch", f.Carrying("altarch"), []string{"m2.example.org", "m3.example.com"}},
		{"carrying vault", f.Carrying("vault"), []string{"m1.example.net"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := names(tt.got); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	if _, ok := f.Mirror("absent.example.net"); ok {
		t.Error("Mirror found an absent name")
	}
	if r, ok := f.Repo("baseos"); !ok || r.Tree() != "content" || r.Pattern() != "9-stream/BaseOS/$arch/os/" {
		t.Errorf("repo %+v %v", r, ok)
	}
	if _, ok := f.Repo("nope"); ok {
		t.Error("Repo found an absent name")
	}
	if rs := f.Repos(); len(rs) != 1 || !slices.Equal(rs[0].Arches(), []string{"x86_64", "aarch64"}) {
		t.Errorf("repos %+v", rs)
	}
}

func TestURLHelpers(t *testing.T) {
	f := mustParse(t, full)
	m1, _ := f.Mirror("m1.example.net")
	m2, _ := f.Mirror("m2.example.org")
	repo, _ := f.Repo("baseos")
	tests := []struct {
		name string
		got  func() (string, bool)
		want string // "" = not ok
	}{
		{"time https", func() (string, bool) { return m1.TimeURL("content", HTTPS, "TIME") }, "https://m1.example.net/centos/TIME"},
		{"time rsync", func() (string, bool) { return m1.TimeURL("vault", Rsync, "TIME") }, "rsync://m1.example.net/vault/TIME"},
		{"time nested", func() (string, bool) { return m1.TimeURL("content", HTTP, "project/trace/m1") }, "http://m1.example.net:8080/centos/project/trace/m1"},
		{"time escaped", func() (string, bool) { return m1.TimeURL("content", HTTPS, "a b%") }, "https://m1.example.net/centos/a%20b%25"},
		{"time no proto", func() (string, bool) { return m1.TimeURL("vault", HTTPS, "TIME") }, ""},
		{"time no tree", func() (string, bool) { return m1.TimeURL("altarch", HTTPS, "TIME") }, ""},
		{"time absolute", func() (string, bool) { return m1.TimeURL("content", HTTPS, "/TIME") }, ""},
		{"time dotdot", func() (string, bool) { return m1.TimeURL("content", HTTPS, "../TIME") }, ""},
		{"time empty", func() (string, bool) { return m1.TimeURL("content", HTTPS, "") }, ""},
		{"time query", func() (string, bool) { return m1.TimeURL("content", HTTPS, "TIME?x") }, ""},
		{"time bad proto", func() (string, bool) { return m1.TimeURL("content", "ftp", "TIME") }, ""},
		{"url", func() (string, bool) { return m2.URL("content", HTTP) }, "http://m2.example.org/"},
		{"repo", func() (string, bool) { return m1.RepoURL(repo, "aarch64", HTTPS) }, "https://m1.example.net/centos/9-stream/BaseOS/aarch64/os/"},
		{"repo other arch", func() (string, bool) { return m1.RepoURL(repo, "s390x", HTTPS) }, ""},
		{"repo no proto", func() (string, bool) { return m2.RepoURL(repo, "x86_64", HTTPS) }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.got()
			if ok != (tt.want != "") || got != tt.want {
				t.Errorf("got %q %v, want %q", got, ok, tt.want)
			}
		})
	}
}

// TestFleetImmutable: changing what the accessors return changes nothing
// inside the fleet.
func TestFleetImmutable(t *testing.T) {
	f := mustParse(t, full)
	ms := f.Mirrors()
	ms[0] = Mirror{}
	m1, _ := f.Mirror("m1.example.net")
	m1.Netblocks()[0] = netip.Prefix{}
	m1.Families()[0] = "x"
	m1.Trees()[0] = "x"
	t1 := f.Tier1("content")
	t1[0] = Mirror{}
	r, _ := f.Repo("baseos")
	r.Arches()[0] = "x"
	again := mustParse(t, full)
	if !reflect.DeepEqual(f.mirrors, again.mirrors) || !reflect.DeepEqual(f.repos, again.repos) ||
		!reflect.DeepEqual(f.tier1, again.tier1) {
		t.Error("the fleet changed through an accessor")
	}
	if err := f.Validate(); err != nil {
		t.Error(err)
	}
}

// TestRepoArchSpelling: a repo's architectures may be given as arch, the
// name of MirrorManager's parameter, as well as arches.
func TestRepoArchSpelling(t *testing.T) {
	f := mustParse(t, "[[mirror]]\nname = \"m1.example.net\"\ncountry = \"DE\"\n[mirror.trees.content]\nhttps = \"https://m1.example.net/\"\n"+
		"[[repo]]\nname = \"baseos-9\"\ntree = \"content\"\npath = \"9/BaseOS/$arch/os\"\narch = [\"x86_64\", \"aarch64\"]\n")
	r, ok := f.Repo("baseos-9")
	if !ok || !slices.Equal(r.Arches(), []string{"x86_64", "aarch64"}) {
		t.Fatalf("repo %+v %v", r, ok)
	}
}
