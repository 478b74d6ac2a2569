package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/api/apiv1"
)

// replicaInstance is signald in the read-only role, loading source.
func replicaInstance(t *testing.T, source string) *instance {
	t.Helper()
	in := newInstance(t)
	data, err := os.ReadFile(in.cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg := "role = \"mirrorlist\"\n" + string(data) + "[replica]\nsource = " + strconv.Quote(source) + "\ninterval = \"1s\"\n"
	if err := os.WriteFile(in.cfg, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	in.replica = true
	return in
}

// TestReplicaThroughSignald: a primary exports its status to a file and
// over HTTP; a replica loading each serves the same mirrors and events,
// is ready once loaded, and serves no zone.
func TestReplicaThroughSignald(t *testing.T) {
	f := newTier1(t)
	primary := gatedInstance(t, f, "majority", "60s")
	appendConfig(t, primary.cfg, "[checker]\ninterval = \"2s\"\nfast_interval = \"1s\"\ntimeout = \"1s\"\n"+
		"[status]\nexport = \"status.json\"\nserve_export = true\n")
	primary.start(t)
	stamp := time.Now().Unix() - 30
	if out, err := primary.signalctl("publish", "vault", "--at", strconv.FormatInt(stamp, 10), "--config", primary.cfg); err != nil {
		t.Fatalf("publish: %v\n%s", err, out)
	}
	fresh := func(in *instance) func() bool {
		return func() bool {
			var ms apiv1.Mirrors
			if in.getJSON(t, "/api/v1/mirrors?tree=vault&state=fresh", &ms) != http.StatusOK {
				return false
			}
			return len(ms.Mirrors) == 3
		}
	}
	if !waitFor(30*time.Second, fresh(primary)) {
		t.Fatalf("the primary never saw 3 fresh mirrors\n%s", primary.stderr)
	}

	byURL := replicaInstance(t, "http://"+primary.http+"/api/v1/status/export")
	byFile := replicaInstance(t, filepath.Join(primary.dir, "var", "status.json"))
	for name, r := range map[string]*instance{"by URL": byURL, "by file": byFile} {
		r.start(t)
		if !waitFor(30*time.Second, fresh(r)) {
			t.Fatalf("replica %s never served the primary's mirrors\n%s", name, r.stderr)
		}
		var ev apiv1.Event
		if code := r.getJSON(t, "/api/v1/events/vault-"+strconv.FormatInt(stamp, 10), &ev); code != http.StatusOK || ev.Stamp != stamp {
			t.Errorf("replica %s: event %d %+v", name, code, ev)
		}
		if code := r.getJSON(t, "/readyz", nil); code != http.StatusOK {
			t.Errorf("replica %s: readyz %d", name, code)
		}
		if code := r.getJSON(t, "/api/v1/signal", nil); code != http.StatusNotFound {
			t.Errorf("replica %s serves a zone: /api/v1/signal %d", name, code)
		}
	}
	// A replica with nothing to load is alive, not ready.
	none := replicaInstance(t, filepath.Join(t.TempDir(), "missing.json"))
	none.start(t)
	if code := none.getJSON(t, "/readyz", nil); code != http.StatusServiceUnavailable {
		t.Errorf("a replica without a snapshot: readyz %d", code)
	}
}
