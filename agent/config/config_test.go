package config

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mirrorsignal/mirrorsignal/signal"
)

const minimal = `
[signal]
layout = ["content", "vault"]
[trees.content]
path = "/srv/content"
sources = ["rsync://msync.example.org/content/"]
`

func TestExampleConfigLoads(t *testing.T) {
	c, err := Load(filepath.Join("..", "..", "contrib", "examples", "agent.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if c.DNSSEC.Mode != ModePinned || !c.DNSSEC.RequireDNSSEC || len(c.Trees) != 2 {
		t.Fatalf("unexpected example: %+v", c)
	}
	if c.Trees["altarch"].TimeFile != DefaultTimeFile || len(c.Trees["altarch"].Metadata) == 0 {
		t.Fatal("tree defaults not filled")
	}
}

func TestMinimalGetsDefaults(t *testing.T) {
	c, err := Parse([]byte(minimal), "agent.toml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Signal.Name != "current.mirrors.example.test." || c.Sync.MaxInterval.D().Hours() != 24 || c.DNS.Attempts != 2 {
		t.Fatalf("defaults: %+v", c)
	}
	if got := c.TreeNames(); len(got) != 1 || got[0] != "content" {
		t.Fatalf("TreeNames %v", got)
	}
}

func TestErrorsNameFileAndKey(t *testing.T) {
	tests := []struct {
		name, toml, want string
	}{
		{"unknown key", minimal + "\n[sync]\njiter = \"1m\"\n", "agent.toml: sync.jiter: unknown key"},
		{"unknown tree key", strings.Replace(minimal, "path =", "paht = \"x\"\npath =", 1), "trees.content.paht: unknown key"},
		{"integer duration", minimal + "\n[sync]\njitter = 30\n", "agent.toml"},
		{"bad duration", minimal + "\n[sync]\njitter = \"soon\"\n", "duration \"soon\""},
		{"tree not in layout", minimal + "\n[trees.other]\npath = \"/x\"\nsources = [\"h::m\"]\n", "trees.other: tree \"other\" is not in signal.layout"},
		{"relative path", strings.Replace(minimal, "/srv/content", "srv", 1), "trees.content.path"},
		{"bad source", strings.Replace(minimal, "rsync://msync.example.org/content/", "http://x/", 1), "trees.content.sources[0]"},
		{"no module", strings.Replace(minimal, "rsync://msync.example.org/content/", "rsync://msync.example.org", 1), "trees.content.sources[0]"},
		{"escaping time file", minimal + "time_file = \"../TIME\"\n", "trees.content.time_file"},
		{"both dns lists", minimal + "\n[dns]\nresolvers = [\"127.0.0.1\"]\nauthoritative = [\"127.0.0.2\"]\n", "dns.authoritative"},
		{"dns name not ip", minimal + "\n[dns]\nresolvers = [\"ns.example.org\"]\n", "dns.resolvers[0]"},
		{"doh and resolvers", minimal + "\n[dns]\nresolvers = [\"127.0.0.1\"]\ndoh = [\"https://signal.example.org/dns-query\"]\n", "dns.doh: set either"},
		{"doh over http", minimal + "\n[dns]\ndoh = [\"http://signal.example.org/dns-query\"]\n", "dns.doh[0]"},
		{"doh without host", minimal + "\n[dns]\ndoh = [\"https:///dns-query\"]\n", "dns.doh[0]"},
		{"doh with user", minimal + "\n[dns]\ndoh = [\"https://u:p@signal.example.org/dns-query\"]\n", "dns.doh[0]"},
		{"doh not a URL", minimal + "\n[dns]\ndoh = [\"signal.example.org\"]\n", "dns.doh[0]"},
		{"doh trusted resolver not a doh URL", minimal + "\n[dns]\ndoh = [\"https://signal.example.org/dns-query\"]\n[dnssec]\nmode = \"resolver-ad\"\ntrusted_resolvers = [\"127.0.0.1\"]\n", "dnssec.trusted_resolvers[0]"},
		{"bad mode", minimal + "\n[dnssec]\nmode = \"maybe\"\n", "dnssec.mode"},
		{"require without mode", minimal + "\n[dnssec]\nrequire_dnssec = true\n", "dnssec.require_dnssec"},
		{"pinned without pins", minimal + "\n[dnssec]\nmode = \"pinned\"\n", "dnssec.pins"},
		{"ad without trusted", minimal + "\n[dnssec]\nmode = \"resolver-ad\"\n", "dnssec.trusted_resolvers"},
		{"checkin without mirror", minimal + "\n[checkin]\nurl = \"https://x/\"\ntoken = \"t\"\n", "mirror: required"},
		{"checkin two tokens", "mirror = \"m\"\n" + minimal + "\n[checkin]\nurl = \"https://x/\"\ntoken = \"t\"\ntoken_file = \"/f\"\n", "checkin.token"},
		{"bad public key", "mirror = \"m\"\n" + minimal + "\n[sync_sources]\nurl = \"https://x/\"\npublic_key = \"abc\"\nallow = [\"h\"]\n", "sync_sources.public_key"},
		{"empty allow", "mirror = \"m\"\n" + minimal + "\n[sync_sources]\nurl = \"https://x/\"\npublic_key = \"Xm0q5c8WzYgRzs4r3s+U2zRKJ2wVTe3p8m0bE1Zl5Ww=\"\n", "sync_sources.allow"},
		{"bad level", minimal + "\n[log]\nlevel = \"loud\"\n", "log.level"},
		{"bad layout", strings.Replace(minimal, `"content", "vault"`, `"content", "content"`, 1), "signal.layout"},
		{"option not option", minimal + "\n[sync]\noptions = [\"bwlimit\"]\n", "sync.options[0]"},
		{"max rounds", minimal + "\n[sync]\nmax_rounds = 0\n", "sync.max_rounds"},
		{"max delete share above 1", minimal + "\n[sync]\nmax_delete_share = 1.5\n", "sync.max_delete_share: 1.5: want 0 (off) to 1"},
		{"tree max delete share negative", minimal + "max_delete_share = -0.1\n", "trees.content.max_delete_share: -0.1: want 0 (off) to 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.toml), "agent.toml")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
			if !errors.Is(err, ErrConfig) {
				t.Errorf("error does not match ErrConfig: %v", err)
			}
		})
	}
}

func TestNormalizeAddr(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.1": "192.0.2.1:53", "192.0.2.1:5353": "192.0.2.1:5353",
		"2001:db8::1": "[2001:db8::1]:53", "[2001:db8::1]:54": "[2001:db8::1]:54",
	} {
		if got, err := NormalizeAddr(in); err != nil || got != want {
			t.Errorf("NormalizeAddr(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := NormalizeAddr("example.org:53"); err == nil {
		t.Error("a host name was accepted")
	}
}

func TestSourceHost(t *testing.T) {
	for in, want := range map[string]string{
		"rsync://Msync.Example.org/centos/": "msync.example.org",
		"rsync://127.0.0.1:873/m":           "127.0.0.1",
		"msync.example.org::centos/7":       "msync.example.org",
		"rsync://[2001:db8::1]:873/m/":      "2001:db8::1",
		"rsync://user@host/m":               "host",
	} {
		if got, err := SourceHost(in); err != nil || got != want {
			t.Errorf("SourceHost(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "/local/path", "rsync://host", "-e sh", "h::", "::m", "http://x/m"} {
		if _, err := SourceHost(bad); err == nil {
			t.Errorf("SourceHost(%q) accepted", bad)
		}
	}
}

// TestMaxSignatureAgeDefault: the default is the one the heartbeat contract
// with signald is stated for.
func TestMaxSignatureAgeDefault(t *testing.T) {
	if got := Default().DNSSEC.MaxSignatureAge.D(); got != signal.DefaultMaxSignatureAge {
		t.Errorf("default max_signature_age %s, want signal.DefaultMaxSignatureAge %s", got, signal.DefaultMaxSignatureAge)
	}
}

// TestDoH: dns.doh is an alternative to resolvers and authoritative; in
// mode resolver-ad the AD bit counts from the DoH URLs listed in
// dnssec.trusted_resolvers.
func TestDoH(t *testing.T) {
	const u = "https://signal.example.org/dns-query"
	c, err := Parse([]byte(minimal+"\n[dns]\ndoh = [\""+u+"\"]\n[dnssec]\nmode = \"resolver-ad\"\ntrusted_resolvers = [\""+u+"\"]\n"), "agent.toml")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.DNS.DoH) != 1 || c.DNS.DoH[0] != u || c.DNSSEC.TrustedResolvers[0] != u {
		t.Fatalf("dns %+v, dnssec %+v", c.DNS, c.DNSSEC)
	}
}
