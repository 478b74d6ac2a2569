package dnsbench

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mirrorsignal/mirrorsignal/server/config"
)

// The generated signald configuration is what signald's own loader
// accepts: signed, DNS only, transfers from loopback.
func TestSignaldConfigLoads(t *testing.T) {
	path := filepath.Join(t.TempDir(), "signald.toml")
	if err := os.WriteFile(path, []byte(signaldConfig(t.TempDir(), "127.0.0.1:5399")), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.DNSSEC.Enabled || !cfg.DNSSEC.Generate || cfg.HTTP.Enabled || cfg.DNS.Listen != "127.0.0.1:5399" || cfg.DNS.RRL.Enabled {
		t.Errorf("dnssec %v generate %v http %v listen %q rrl %v", cfg.DNSSEC.Enabled, cfg.DNSSEC.Generate, cfg.HTTP.Enabled, cfg.DNS.Listen, cfg.DNS.RRL.Enabled)
	}
}

// NSD and Knot run with one worker, without RRL, as secondaries by AXFR.
func TestSecondaryConfigs(t *testing.T) {
	nsd := nsdConfig("/d", 5400, "127.0.0.1:5399")
	for _, want := range []string{"server-count: 1\n", "rrl-ratelimit: 0\n", "minimal-responses: yes\n",
		"request-xfr: AXFR 127.0.0.1@5399 NOKEY\n", "ip-address: 127.0.0.1@5400\n"} {
		if !strings.Contains(nsd, want) {
			t.Errorf("nsd.conf lacks %q:\n%s", want, nsd)
		}
	}
	knot := knotConfig("/d", 5401, "127.0.0.1:5399")
	for _, want := range []string{"udp-workers: 1\n", "tcp-workers: 1\n", "background-workers: 1\n",
		"address: 127.0.0.1@5399\n", "listen: 127.0.0.1@5401\n"} {
		if !strings.Contains(knot, want) {
			t.Errorf("knot.conf lacks %q:\n%s", want, knot)
		}
	}
	if strings.Contains(knot, "rrl") {
		t.Errorf("knot.conf loads RRL:\n%s", knot)
	}
}
