package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mirrorsignal/mirrorsignal/agent/agenttest"
	"github.com/mirrorsignal/mirrorsignal/server/api/apiv1"
	"github.com/mirrorsignal/mirrorsignal/signal"
)

// tier1 is a fleet of tier-1 hosts for the vault tree: three HTTP servers
// (the first two serve the master's tree as if synced at once, the third
// serves whatever the test sets) and an rsync daemon over the master.
type tier1 struct {
	master string
	mu     sync.Mutex
	lag    []byte // the third host's TIME file body
	http   []*httptest.Server
	rsync  *agenttest.Rsyncd
}

func newTier1(t *testing.T) *tier1 {
	t.Helper()
	f := &tier1{master: t.TempDir(), lag: signal.FormatTimeFile(1_700_000_000)}
	fromMaster := http.FileServer(http.Dir(f.master))
	for range 2 {
		f.http = append(f.http, httptest.NewServer(fromMaster))
	}
	f.http = append(f.http, httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		body := f.lag
		f.mu.Unlock()
		w.Write(body)
	})))
	for _, s := range f.http {
		t.Cleanup(s.Close)
	}
	f.rsync = agenttest.StartRsyncd(t, map[string]string{"vault": f.master})
	return f
}

func (f *tier1) setLagging(body []byte) {
	f.mu.Lock()
	f.lag = body
	f.mu.Unlock()
}

// mirrorsTOML lists the four hosts as tier-1 mirrors of vault.
func (f *tier1) mirrorsTOML() string {
	var b strings.Builder
	names := []string{"t1a.example.net", "t1b.example.net", "t1c.example.net"}
	for i, s := range f.http {
		fmt.Fprintf(&b, "[[mirror]]\nname = %q\ncountry = \"DE\"\ntier = 1\n[mirror.trees.vault]\nhttp = %q\n\n", names[i], s.URL+"/")
	}
	fmt.Fprintf(&b, "[[mirror]]\nname = \"t1d.example.net\"\ncountry = \"NL\"\ntier = 1\n[mirror.trees.vault]\nrsync = %q\n", f.rsync.URL("vault"))
	return b.String()
}

// gatedInstance is signald with vault planted on a local master and gated
// on the tier-1 fleet with quorum and gate timeout.
func gatedInstance(t *testing.T, f *tier1, quorum, timeout string) *instance {
	t.Helper()
	in := newInstance(t)
	mirrors := filepath.Join(in.dir, "mirrors.toml")
	if err := os.WriteFile(mirrors, []byte(f.mirrorsTOML()), 0o600); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(in.cfg)
	if err != nil {
		t.Fatal(err)
	}
	vault := fmt.Sprintf("[[trees]]\nname = \"vault\"\nquorum = %q\n[[trees.masters]]\ndir = %q\n", quorum, f.master)
	cfg := strings.Replace(string(data), "[[trees]]\nname = \"vault\"\n", vault, 1)
	cfg += fmt.Sprintf("[publish]\nmirrors_file = \"mirrors.toml\"\ngate_interval = \"200ms\"\ngate_timeout = %q\n", timeout)
	if err := os.WriteFile(in.cfg, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return in
}

func (in *instance) publishStatus(t *testing.T, id int64) apiv1.Publish {
	t.Helper()
	out, err := in.signalctlJSON(id)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// signalctlJSON reads a publish over the admin socket with curl-like Go.
func (in *instance) signalctlJSON(id int64) (apiv1.Publish, error) {
	var p apiv1.Publish
	c := unixClient(filepath.Join(in.dir, "var", "admin.sock"))
	resp, err := c.Get(fmt.Sprintf("http://admin%s/%d", apiv1.PathPublishes, id))
	if err != nil {
		return p, err
	}
	defer resp.Body.Close()
	return p, json.NewDecoder(resp.Body).Decode(&p)
}

// TestGateMajorityCommits: with quorum majority, three of four tier-1
// hosts (two over HTTP, one over rsync) serve the planted TIME while one
// lags; signalctl follows the gate, the publish commits, dig shows the
// new signal, and the publish records when each host was first seen.
func TestGateMajorityCommits(t *testing.T) {
	f := newTier1(t)
	in := gatedInstance(t, f, "majority", "60s")
	in.start(t)
	stamp := time.Now().Unix() - 30
	out, err := in.signalctl("publish", "vault", "--at", strconv.FormatInt(stamp, 10), "--config", in.cfg)
	if err != nil {
		t.Fatalf("publish: %v\n%s\n%s", err, out, in.stderr)
	}
	if !strings.Contains(out, "published vault") {
		t.Fatalf("no result:\n%s", out)
	}
	if got := in.dig(t, "current.mirrors.example.test.", "TXT"); got != fmt.Sprintf(`"0:0:%d"`, stamp) {
		t.Fatalf("dig: %s", got)
	}
	if data, _ := os.ReadFile(filepath.Join(f.master, "TIME")); string(data) != string(signal.FormatTimeFile(stamp)) {
		t.Fatalf("master TIME %q", data)
	}
	p := in.publishStatus(t, 1)
	if p.State != "committed" || p.Tier1 == nil || len(p.Tier1.Seen) != 3 {
		t.Fatalf("publish 1: %+v (tier1 %+v)", p, p.Tier1)
	}
	for _, h := range p.Tier1.Seen {
		if h.Host == "t1c.example.net" || h.FirstSeen == "" {
			t.Fatalf("seen %+v", p.Tier1.Seen)
		}
	}
}

// TestGateAllTimesOut: with quorum all the lagging host holds the publish
// until the gate timeout; signalctl exits 1 saying DNS is unchanged, and
// dig shows the old signal. A host serving garbage or a huge body is
// named with its error.
func TestGateAllTimesOut(t *testing.T) {
	f := newTier1(t)
	in := gatedInstance(t, f, "all", "2s")
	in.start(t)
	before := in.dig(t, "current.mirrors.example.test.", "TXT")
	for _, tt := range []struct {
		name string
		body []byte
		want string
	}{
		{"lagging", signal.FormatTimeFile(1_700_000_000), "behind"},
		{"garbage", []byte("yesterday-ish\n"), "t1c.example.net"},
		{"huge", []byte(strings.Repeat("1", 1<<20)), "t1c.example.net"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f.setLagging(tt.body)
			start := time.Now()
			out, err := in.signalctl("publish", "vault", "--config", in.cfg)
			if err == nil {
				t.Fatalf("publish succeeded:\n%s", out)
			}
			if !strings.Contains(out, "timed_out") || !strings.Contains(out, "DNS unchanged") || !strings.Contains(out, tt.want) {
				t.Fatalf("output does not say why:\n%s", out)
			}
			if !strings.Contains(out, "gating: 3 of 4 tier-1 hosts have it, 4 needed; awaiting t1c.example.net") {
				t.Fatalf("no live progress of the gate:\n%s", out)
			}
			if d := time.Since(start); d > 30*time.Second {
				t.Fatalf("took %s", d)
			}
			if got := in.dig(t, "current.mirrors.example.test.", "TXT"); got != before {
				t.Fatalf("a timed-out publish changed DNS: %s -> %s", before, got)
			}
		})
	}
}

// TestKill9WhileGating: signald killed while a publish gates has changed
// nothing in DNS; after the restart the publish is still gating (pending
// publishes resume) and commits once the last host has the content.
func TestKill9WhileGating(t *testing.T) {
	f := newTier1(t)
	in := gatedInstance(t, f, "all", "10m")
	in.start(t)
	before := in.dig(t, "current.mirrors.example.test.", "TXT")
	stamp := time.Now().Unix() - 30
	out, err := in.signalctl("publish", "vault", "--no-wait", "--at", strconv.FormatInt(stamp, 10), "--config", in.cfg)
	if err != nil || !strings.Contains(out, "accepted") {
		t.Fatalf("publish --no-wait: %v\n%s", err, out)
	}
	waitPublish(t, in, 1, "gating")
	in.kill()
	in.start(t)
	if got := in.dig(t, "current.mirrors.example.test.", "TXT"); got != before {
		t.Fatalf("DNS changed across the kill: %s -> %s", before, got)
	}
	if p := in.publishStatus(t, 1); p.State != "gating" {
		t.Fatalf("after restart publish 1 is %s (%s)", p.State, p.Reason)
	}
	f.setLagging(signal.FormatTimeFile(stamp))
	waitPublish(t, in, 1, "committed")
	if got := in.dig(t, "current.mirrors.example.test.", "TXT"); got != fmt.Sprintf(`"0:0:%d"`, stamp) {
		t.Fatalf("after the resumed commit dig shows %s", got)
	}
}

// TestPublishCancel: a gating publish is cancelled from signalctl and
// changes nothing.
func TestPublishCancel(t *testing.T) {
	f := newTier1(t)
	in := gatedInstance(t, f, "all", "10m")
	in.start(t)
	before := in.dig(t, "current.mirrors.example.test.", "TXT")
	if out, err := in.signalctl("publish", "vault", "--no-wait", "--config", in.cfg); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	waitPublish(t, in, 1, "gating")
	out, err := in.signalctl("publish", "--cancel", "1", "--config", in.cfg)
	if err != nil || !strings.Contains(out, "cancelled") {
		t.Fatalf("cancel: %v\n%s", err, out)
	}
	if got := in.dig(t, "current.mirrors.example.test.", "TXT"); got != before {
		t.Fatalf("a cancelled publish changed DNS: %s", got)
	}
	if out, err := in.signalctl("publish", "--cancel", "1", "--config", in.cfg); err == nil || !strings.Contains(out, "409") {
		t.Fatalf("second cancel: %v\n%s", err, out)
	}
}

func waitPublish(t *testing.T, in *instance, id int64, state string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		p, err := in.signalctlJSON(id)
		if err == nil && p.State == state {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("publish %d never reached %s: %+v %v\n%s", id, state, p, err, in.stderr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// unixClient speaks HTTP over the Unix socket at path.
func unixClient(path string) *http.Client {
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		}}}
}
