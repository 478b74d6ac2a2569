// Package examples holds the example configurations shipped in
// contrib/examples. Its test loads every one of them with the loader that
// reads it in production, so the examples cannot rot.
package examples

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	agentconfig "github.com/mirrorsignal/mirrorsignal/agent/config"
	serverconfig "github.com/mirrorsignal/mirrorsignal/server/config"
	"github.com/mirrorsignal/mirrorsignal/server/mirrors"
)

func TestExamplesLoad(t *testing.T) {
	files, err := filepath.Glob("*.toml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no example configs: %v", err)
	}
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			switch {
			case strings.HasPrefix(f, "signald"):
				cfg, err := serverconfig.Load(f)
				if err != nil {
					t.Fatal(err)
				}
				if f == "signald.toml" {
					checkLocalDefaults(t, cfg)
				}
			case strings.HasPrefix(f, "mirrors"):
				cfg, err := serverconfig.Load("signald.toml")
				if err != nil {
					t.Fatal(err)
				}
				if _, err := mirrors.Load(f, cfg.Layout()); err != nil {
					t.Fatal(err)
				}
			case strings.HasPrefix(f, "agent"):
				if _, err := agentconfig.Load(f); err != nil {
					t.Fatal(err)
				}
			default:
				t.Fatalf("%s: no loader knows this example; name it signald*.toml, mirrors*.toml or agent*.toml", f)
			}
		})
	}
}

// checkLocalDefaults pins the values README promises for
// `make run`.
func checkLocalDefaults(t *testing.T, cfg serverconfig.Config) {
	t.Helper()
	if cfg.Zone.Origin != "mirrors.example.test." || cfg.Zone.SignalName != "current.mirrors.example.test." ||
		cfg.DNS.Listen != "127.0.0.1:5353" || cfg.HTTP.Listen != "127.0.0.1:8080" || cfg.StateDir != "./var" ||
		cfg.Layout().String() != "content:altarch:vault" {
		t.Fatalf("signald.toml drifted from the documented local defaults: %+v", cfg)
	}
	if got, want := cfg.DNS.RRL, serverconfig.DefaultRRL(); !reflect.DeepEqual(got, want) {
		t.Fatalf("signald.toml shows [dns.rrl] %+v, not the defaults %+v", got, want)
	}
	if _, err := os.Stat("signald.toml"); err != nil {
		t.Fatal(err)
	}
}
