package config

import (
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/mirrorsignal/mirrorsignal/server/dnsparams"
)

const minimal = `
[zone]
origin = "mirrors.example.test."
[[zone.ns]]
name = "ns1.mirrors.example.test."
addresses = ["127.0.0.1", "::1"]
[[trees]]
name = "content"
[[trees]]
name = "altarch"
`

func TestParseMinimal(t *testing.T) {
	cfg, err := Parse("signald.toml", []byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Zone.SignalName != "current.mirrors.example.test." {
		t.Errorf("signal name = %q", cfg.Zone.SignalName)
	}
	if cfg.Zone.SOA.MName != "ns1.mirrors.example.test." || cfg.Zone.SOA.RName != "hostmaster.mirrors.example.test." {
		t.Errorf("SOA names = %q %q", cfg.Zone.SOA.MName, cfg.Zone.SOA.RName)
	}
	if got := cfg.Layout().String(); got != "content:altarch" {
		t.Errorf("layout = %q", got)
	}
	if cfg.DNS.Listen != "127.0.0.1:5353" || cfg.HTTP.Listen != "127.0.0.1:8080" || cfg.StateDir != "./var" {
		t.Errorf("defaults not applied: %+v", cfg)
	}
	if cfg.TokenPath() != "./var/admin.token" {
		t.Errorf("token path = %q", cfg.TokenPath())
	}
}

func TestParseErrorsNameKey(t *testing.T) {
	tests := []struct {
		name, extra, key string
	}{
		{"unknown top key", "colour = 1\n", "colour"},
		{"unknown nested key", "[dns]\nlisten = \"127.0.0.1:53\"\nlistne = 1\n", "dns.listne"},
		{"bad duration", "[dns]\ntcp_idle_timeout = \"soon\"\n", "dns.tcp_idle_timeout"},
		{"bad listen", "[dns]\nlisten = \"localhost\"\n", "dns.listen"},
		{"udp size", "[dns]\nmax_udp_size = 100\n", "dns.max_udp_size"},
		{"http listen", "[http]\nlisten = \"x\"\n", "http.listen"},
		{"log level", "[log]\nlevel = \"loud\"\n", "log.level"},
		{"future", "[publish]\nmax_future = \"-1s\"\n", "publish.max_future"},
		{"duplicate tree", "[[trees]]\nname = \"content\"\n", "trees"},
		{"bad tree name", "[[trees]]\nname = \"Vault\"\n", "trees"},
		{"rrl unknown key", "[dns.rrl]\nratelimit = 5\n", "dns.rrl.ratelimit"},
		{"rrl rate", "[dns.rrl]\nrate = 0\n", "dns.rrl.rate"},
		{"rrl slip", "[dns.rrl]\nslip = -1\n", "dns.rrl.slip"},
		{"rrl ipv4 prefix", "[dns.rrl]\nipv4_prefix = 33\n", "dns.rrl.ipv4_prefix"},
		{"rrl ipv6 prefix", "[dns.rrl]\nipv6_prefix = 0\n", "dns.rrl.ipv6_prefix"},
		{"rrl table size", "[dns.rrl]\ntable_size = 1\n", "dns.rrl.table_size"},
		{"rrl exempt", "[dns.rrl]\nexempt = [\"127.0.0.1/8\", \"10.0.0.300\"]\n", "dns.rrl.exempt[1]"},
		{"rrl checked when off", "[dns.rrl]\nenabled = false\nrate = -5\n", "dns.rrl.rate"},
		{"rfc2136 heartbeat too slow", "[publish]\nmode = \"rfc2136\"\n[publish.rfc2136]\nserver = \"127.0.0.1:53\"\nheartbeat = \"2h\"\n", "publish.rfc2136.heartbeat"},
		{"rfc2136 heartbeat off", "[publish]\nmode = \"rfc2136\"\n[publish.rfc2136]\nserver = \"127.0.0.1:53\"\nheartbeat = \"0s\"\n", "publish.rfc2136.heartbeat"},
		{"admin on a network", "[admin]\nlisten = \"192.0.2.1:8081\"\n", "admin.listen"},
		{"admin empty", "[admin]\nlisten = \"\"\n", "admin.listen"},
		{"time file with a path", "[publish]\ntime_file = \"a/TIME\"\n", "publish.time_file"},
		{"gate interval", "[publish]\ngate_interval = \"1ms\"\n", "publish.gate_interval"},
		{"status history refresh", "[status]\nhistory_refresh = \"0s\"\n", "status.history_refresh"},
		{"archweb tree unknown", "[status]\narchweb_tree = \"vault\"\n", "status.archweb_tree"},
		{"archweb iso tree unknown", "[status]\narchweb_iso_tree = \"isos\"\n", "status.archweb_iso_tree"},
		{"mirrorlist min", "[mirrorlist]\nmin_mirrors = 0\n", "mirrorlist.min_mirrors"},
		{"mirrorlist proxy", "[mirrorlist]\ntrusted_proxies = [\"10.0.0.0/8\", \"proxy\"]\n", "mirrorlist.trusted_proxies[1]"},
		{"mirrorlist geoip missing", "[mirrorlist]\ngeoip_db = \"/nonexistent/GeoLite2-Country.mmdb\"\n", "mirrorlist.geoip_db"},
		{"mirrorlist grace", "[mirrorlist]\nalternates_grace = \"1s\"\n", "mirrorlist.alternates_grace"},
		{"mirrorlist refresh", "[mirrorlist]\nmaster_refresh = \"1s\"\n", "mirrorlist.master_refresh"},
		{"public url", "[status]\npublic_url = \"ftp://example.org\"\n", "status.public_url"},
		{"gate timeout below interval", "[publish]\ngate_interval = \"1m\"\ngate_timeout = \"30s\"\n", "publish.gate_timeout"},
		{"heartbeat interval", "[publish]\nheartbeat_interval = \"10ms\"\n", "publish.heartbeat_interval"},
		{"heartbeat file is TIME", "[publish]\nheartbeat_file = \"TIME\"\n", "publish.heartbeat_file"},
		{"checker interval", "[checker]\ninterval = \"0s\"\n", "checker.interval"},
		{"checker per host", "[checker]\nper_host = 0\n", "checker.per_host"},
		{"checker fast above base", "[checker]\ninterval = \"1m\"\nfast_interval = \"2m\"\n", "checker.fast_interval"},
		{"nscheck extra", "[nscheck]\nextra_servers = [\"ns3\"]\n", "nscheck.extra_servers[0]"},
		{"webhook url", "[alert.webhook]\nurl = \"ftp://x\"\nsecret_file = \"s\"\n", "alert.webhook.url"},
		{"webhook secret", "[alert.webhook]\nurl = \"https://hooks.example.org/x\"\n", "alert.webhook.secret_file"},
		{"smtp recipients", "[alert.smtp]\naddr = \"smtp.example.org:587\"\nfrom = \"a@example.org\"\n", "alert.smtp.to"},
		{"push without key", "[push]\nenabled = true\nknown_hosts = \"k\"\n", "push.identity_file"},
		{"push target tree", "[push]\nenabled = true\nidentity_file = \"i\"\nknown_hosts = \"k\"\n[[push.targets]]\nname = \"m\"\naddress = \"m:22\"\nuser = \"u\"\ntrees = [\"isos\"]\n", "push.targets[0].trees[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("x.toml", []byte(tt.extra+minimal))
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if ce.File != "x.toml" || ce.Key != tt.key {
				t.Fatalf("err = %q (file %q key %q), want key %q", err, ce.File, ce.Key, tt.key)
			}
		})
	}
}

// TestParseReportsEveryError: a file with several mistakes reports them
// all, each an *Error naming the file and its key.
func TestParseReportsEveryError(t *testing.T) {
	tests := []struct {
		name, doc string
		keys      []string
	}{
		{"three bad values", "[dns]\nmax_udp_size = 100\n[log]\nlevel = \"loud\"\nformat = \"xml\"\n" + minimal,
			[]string{"dns.max_udp_size", "log.level", "log.format"}},
		{"across sections", "[http]\nlisten = \"x\"\n[dns.rrl]\nrate = 0\n[[tsig]]\nname = \"k.\"\nsecret = \"short\"\n" + minimal,
			[]string{"dns.rrl.rate", "http.listen", "tsig[0].secret"}},
		{"unknown keys", "colour = 1\n[dns]\nlistne = 1\n" + minimal,
			[]string{"colour", "dns.listne"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("x.toml", []byte(tt.doc))
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want *Error", err)
			}
			var keys []string
			for _, e := range unjoin(err) {
				if !errors.As(e, &ce) || ce.File != "x.toml" {
					t.Fatalf("%v is not an *Error naming x.toml", e)
				}
				keys = append(keys, ce.Key)
				if !strings.Contains(err.Error(), "x.toml: "+ce.Key+": ") {
					t.Errorf("message %q does not name x.toml: %s", err, ce.Key)
				}
			}
			if !reflect.DeepEqual(keys, tt.keys) {
				t.Errorf("keys %v, want %v", keys, tt.keys)
			}
		})
	}
}

func TestErrorMessage(t *testing.T) {
	tests := []struct {
		err  Error
		want string
	}{
		{Error{File: "s.toml", Key: "dns.listen", Reason: "bad"}, "s.toml: dns.listen: bad"},
		{Error{Key: "dns.listen", Reason: "bad"}, "dns.listen: bad"},
		{Error{File: "s.toml", Reason: "no such file"}, "s.toml: no such file"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("%+v.Error() = %q, want %q", tt.err, got, tt.want)
		}
	}
}

// TestDNSDefaults: signald.toml's [dns] defaults are the server's own.
func TestDNSDefaults(t *testing.T) {
	d := Default().DNS
	if d.MaxTCPConnections != dnsparams.DefaultMaxTCPConns || d.MaxUDPSize != dnsparams.DefaultMaxUDPSize ||
		d.TCPIdleTimeout.Duration != dnsparams.DefaultTCPIdleTimeout {
		t.Errorf("[dns] defaults %+v, want those of package dnsparams", d)
	}
}

func TestParseRRL(t *testing.T) {
	cfg, err := Parse("signald.toml", []byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := cfg.DNS.RRL, DefaultRRL(); !reflect.DeepEqual(got, want) || !got.Enabled || got.Rate != 200 || got.Slip != 2 || got.IPv4Prefix != 24 || got.IPv6Prefix != 56 {
		t.Errorf("default [dns.rrl] = %+v, want %+v (200/s per /24 and /56, slip 2)", got, want)
	}
	doc := "[dns.rrl]\nrate = 20\nexempt = [\"192.0.2.0/24\", \"2001:db8::1\"]\n" + minimal
	if cfg, err = Parse("signald.toml", []byte(doc)); err != nil {
		t.Fatal(err)
	}
	if cfg.DNS.RRL.Rate != 20 || cfg.DNS.RRL.Slip != 2 || !cfg.DNS.RRL.Enabled {
		t.Errorf("[dns.rrl] with rate only = %+v, want the other defaults kept", cfg.DNS.RRL)
	}
	want := []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("2001:db8::1/128")}
	if got := cfg.RRLExempt(); !reflect.DeepEqual(got, want) {
		t.Errorf("RRLExempt() = %v, want %v", got, want)
	}
}

func TestValidateZone(t *testing.T) {
	tests := []struct {
		name, doc, key string
	}{
		{"signal outside zone", strings.Replace(minimal, `origin = "mirrors.example.test."`, "origin = \"mirrors.example.test.\"\nsignal_name = \"current.example.org.\"", 1), "zone.signal_name"},
		{"no ns", "[zone]\norigin = \"a.test.\"\n[[trees]]\nname = \"x\"\n", "zone.ns"},
		{"glue missing", "[zone]\norigin = \"a.test.\"\n[[zone.ns]]\nname = \"ns.a.test.\"\n[[trees]]\nname = \"x\"\n", "zone.ns[0].addresses"},
		{"bad glue", "[zone]\norigin = \"a.test.\"\n[[zone.ns]]\nname = \"ns.a.test.\"\naddresses = [\"1.2.3\"]\n[[trees]]\nname = \"x\"\n", "zone.ns[0].addresses"},
		{"bad origin", "[zone]\norigin = \"a..test.\"\n[[zone.ns]]\nname = \"ns.b.test.\"\n[[trees]]\nname = \"x\"\n", "zone.origin"},
		{"no trees", "[zone]\norigin = \"a.test.\"\n[[zone.ns]]\nname = \"ns.b.test.\"\n", "trees"},
		{"ttl fraction", minimal + "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("z.toml", []byte(tt.doc))
			if tt.key == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			var ce *Error
			if !errors.As(err, &ce) || ce.Key != tt.key {
				t.Fatalf("err = %v, want key %q", err, tt.key)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(minimal))
	f.Add([]byte("[dns]\nlisten = 5\n"))
	f.Add([]byte("state_dir = \"\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("fuzz.toml", data)
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %v is not a *config.Error", err)
			}
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("accepted config fails validation: %v", err)
		}
	})
}

// TestTreePublishing: quorum and masters of [[trees]] are validated, and
// Need follows the quorum.
func TestTreePublishing(t *testing.T) {
	bad := []struct{ name, trees, key string }{
		{"quorum word", "[[trees]]\nname = \"vault\"\nquorum = \"most\"\n", "trees[2].quorum"},
		{"quorum zero", "[[trees]]\nname = \"vault\"\nquorum = \"0\"\n", "trees[2].quorum"},
		{"master without dir", "[[trees]]\nname = \"vault\"\n[[trees.masters]]\nsftp = \"u@h:22\"\nidentity_file = \"i\"\nknown_hosts = \"k\"\n", "trees[2].masters[0].dir"},
		{"sftp without user", "[[trees]]\nname = \"vault\"\n[[trees.masters]]\ndir = \"/x\"\nsftp = \"h:22\"\nidentity_file = \"i\"\nknown_hosts = \"k\"\n", "trees[2].masters[0].sftp"},
		{"sftp without known_hosts", "[[trees]]\nname = \"vault\"\n[[trees.masters]]\ndir = \"/x\"\nsftp = \"u@h:22\"\nidentity_file = \"i\"\n", "trees[2].masters[0].known_hosts"},
		{"repo_base rsync", "[[trees]]\nname = \"vault\"\nrepo_base = \"rsync://m.example.org/vault/\"\n", "trees[2].repo_base"},
		{"repo_base without slash", "[[trees]]\nname = \"vault\"\nrepo_base = \"https://m.example.org/vault\"\n", "trees[2].repo_base"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("x.toml", []byte(minimal+tt.trees))
			var ce *Error
			if !errors.As(err, &ce) || ce.Key != tt.key {
				t.Fatalf("err = %v, want key %s", err, tt.key)
			}
		})
	}
	if c, err := Parse("x.toml", []byte(minimal+"[[trees]]\nname = \"vault\"\nrepo_base = \"https://m.example.org/vault/\"\n")); err != nil || c.Trees[2].RepoBase == "" {
		t.Errorf("a good repo_base: %v", err)
	}
	for _, tt := range []struct {
		quorum      string
		total, want int
	}{{"", 3, 3}, {"all", 5, 5}, {"majority", 3, 2}, {"majority", 4, 3}, {"2", 3, 2}, {"9", 3, 3}} {
		if got := (Tree{Quorum: tt.quorum}).Need(tt.total); got != tt.want {
			t.Errorf("quorum %q of %d = %d, want %d", tt.quorum, tt.total, got, tt.want)
		}
	}
}
