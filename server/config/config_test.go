package config

import (
	"errors"
	"strings"
	"testing"
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
