package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// replicaConfig is minimal with role and a [replica] table.
func replicaConfig(role, replica string) string {
	return "role = \"" + role + "\"\n" + minimal + "[replica]\n" + replica
}

func TestReplicaDefaults(t *testing.T) {
	cfg, err := Parse("signald.toml", []byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.Replica
	if r.Source != "" || r.Interval.Duration != 10*time.Second || r.Timeout.Duration != 30*time.Second {
		t.Fatalf("defaults = %+v", r)
	}
	if cfg.ReplicaSource() != "" || cfg.StatusExportPath() != "" {
		t.Fatalf("paths without a source or export: %q %q", cfg.ReplicaSource(), cfg.StatusExportPath())
	}
}

func TestReplicaParse(t *testing.T) {
	tests := []struct {
		name, role, replica, wantSource string
		interval, timeout               time.Duration
	}{
		{"relative file under state_dir", "mirrorlist", "source = \"export/status.json\"\n", "./var/export/status.json", 10 * time.Second, 30 * time.Second},
		{"absolute file", "mirrorlist", "source = \"/srv/status.json\"\ninterval = \"1s\"\n", "/srv/status.json", time.Second, 30 * time.Second},
		{"https URL", "mirrorlist", "source = \"https://primary.example.org/api/v1/status/export\"\ninterval = \"1h\"\ntimeout = \"10m\"\n",
			"https://primary.example.org/api/v1/status/export", time.Hour, 10 * time.Minute},
		{"http URL with a port", "mirrorlist", "source = \"http://10.0.0.1:8080/api/v1/status/export\"\ntimeout = \"1s\"\n",
			"http://10.0.0.1:8080/api/v1/status/export", 10 * time.Second, time.Second},
		{"primary without a source", "primary", "interval = \"30s\"\n", "", 30 * time.Second, 30 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse("signald.toml", []byte(replicaConfig(tt.role, tt.replica)))
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.ReplicaSource(); got != tt.wantSource {
				t.Errorf("ReplicaSource() = %q, want %q", got, tt.wantSource)
			}
			if cfg.Replica.Interval.Duration != tt.interval || cfg.Replica.Timeout.Duration != tt.timeout {
				t.Errorf("interval %s timeout %s, want %s %s", cfg.Replica.Interval, cfg.Replica.Timeout, tt.interval, tt.timeout)
			}
		})
	}
}

func TestReplicaErrorsNameKey(t *testing.T) {
	tests := []struct {
		name, role, replica, key, reason string
	}{
		{"mirrorlist without a source", "mirrorlist", "", "replica.source", "is required"},
		{"mirrorlist with a blank source", "mirrorlist", "source = \"  \"\n", "replica.source", "is required"},
		{"primary with a source", "primary", "source = \"/srv/status.json\"\n", "replica.source", "only read with role"},
		{"rsync URL", "mirrorlist", "source = \"rsync://primary/status.json\"\n", "replica.source", "\"rsync://\" is not supported"},
		{"URL without host", "mirrorlist", "source = \"https:///export\"\n", "replica.source", "names no host"},
		{"URL with credentials", "mirrorlist", "source = \"https://u:p@primary/export\"\n", "replica.source", "credentials"},
		{"URL with a fragment", "mirrorlist", "source = \"https://primary/export#x\"\n", "replica.source", "fragment"},
		{"bad URL", "mirrorlist", "source = \"http://[::1/export\"\n", "replica.source", "not a URL"},
		{"space around the source", "mirrorlist", "source = \" /srv/x\"\n", "replica.source", "spaces"},
		{"interval too short", "mirrorlist", "source = \"x\"\ninterval = \"999ms\"\n", "replica.interval", "between 1s and 1h"},
		{"interval too long", "mirrorlist", "source = \"x\"\ninterval = \"61m\"\n", "replica.interval", "between 1s and 1h"},
		{"interval zero", "mirrorlist", "source = \"x\"\ninterval = \"0s\"\n", "replica.interval", "between 1s and 1h"},
		{"timeout too short", "mirrorlist", "source = \"x\"\ntimeout = \"500ms\"\n", "replica.timeout", "between 1s and 10m"},
		{"timeout too long", "mirrorlist", "source = \"x\"\ntimeout = \"11m\"\n", "replica.timeout", "between 1s and 10m"},
		{"unknown key", "mirrorlist", "source = \"x\"\nsorce = \"y\"\n", "replica.sorce", "unknown key"},
		{"bad duration", "mirrorlist", "source = \"x\"\ninterval = \"often\"\n", "replica.interval", "not a duration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("signald.toml", []byte(replicaConfig(tt.role, tt.replica)))
			if err == nil {
				t.Fatal("accepted")
			}
			var ce *Error
			if !errors.As(err, &ce) || ce.Key != tt.key || ce.File != "signald.toml" {
				t.Fatalf("error %v (%#v), want key %q in signald.toml", err, ce, tt.key)
			}
			if !strings.Contains(ce.Reason, tt.reason) {
				t.Errorf("reason %q does not say %q", ce.Reason, tt.reason)
			}
		})
	}
}

func TestStatusExportPath(t *testing.T) {
	for _, tt := range []struct{ export, want string }{
		{"status-export.json", "./var/status-export.json"},
		{"/srv/www/status.json", "/srv/www/status.json"},
	} {
		cfg, err := Parse("signald.toml", []byte("state_dir = \"./var\"\n"+minimal+"[status]\nexport = \""+tt.export+"\"\n"))
		if err != nil {
			t.Fatal(err)
		}
		if got := cfg.StatusExportPath(); got != tt.want {
			t.Errorf("StatusExportPath() = %q, want %q", got, tt.want)
		}
	}
}
