package command

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/mirrorsignal/mirrorsignal/agent/agenttest"
	"github.com/mirrorsignal/mirrorsignal/agent/exitcode"
)

func TestBehindTreesAreSyncedAndOnlyThem(t *testing.T) {
	w := newWorld(t)
	w.syncLocal("altarch") // up to date; content and vault are behind
	r := w.run("run", "-no-jitter", "-config", w.config(cfg{}))
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	if got, want := w.modules(), []string{"content", "vault"}; !slices.Equal(got, want) {
		t.Fatalf("rsync ran for %v, want %v", got, want)
	}
	for _, tree := range layout {
		if got := w.localStamp(tree); got != w.stamps[tree] {
			t.Errorf("%s: local TIME %d, want %d", tree, got, w.stamps[tree])
		}
	}
	inv := w.wrap.Invocations(t)[0]
	for _, a := range []string{"--safe-links", "--delay-updates", "--delete-delay", "--exclude=.~tmp~"} {
		if !inv.Has(a) {
			t.Errorf("rsync args %v lack %s", inv.Args, a)
		}
	}
}

func TestUpToDateIsOneQueryAndNoRsync(t *testing.T) {
	w := newWorld(t)
	for _, tree := range layout {
		w.syncLocal(tree)
	}
	path := w.config(cfg{})
	if r := w.run("run", "-no-jitter", "-config", path); r.code != 0 { // first pass also checks _trees
		t.Fatalf("first pass: exit %d: %s", r.code, r.stderr)
	}
	w.dns.ResetQueries()
	r := w.run("run", "-no-jitter", "-config", path)
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	if q := w.dns.Queries(); len(q) != 1 || q[0].Type != dns.TypeTXT {
		t.Fatalf("queries %v, want one TXT", q)
	}
	if inv := w.wrap.Invocations(t); len(inv) != 0 {
		t.Fatalf("rsync ran %d times", len(inv))
	}
	if !strings.Contains(w.logText(), "up to date") {
		t.Errorf("log lacks 'up to date':\n%s", w.logText())
	}
}

func TestRefusedSignalsNeverSync(t *testing.T) {
	w := newWorld(t)
	now := time.Now()
	pinned := fmt.Sprintf("mode = \"pinned\"\nrequire_dnssec = true\nmax_signature_age = \"48h\"\npins = [%q]", w.dns.DS())
	good := w.dns.Queries // keep w used in closures
	_ = good
	tests := []struct {
		name   string
		txt    string // signal TXT; "" = the upstream stamps
		trees  string // _trees TXT; "" = the layout
		dnssec string
		sign   agenttest.Signing
		code   int
		want   string // in stderr
	}{
		{name: "malformed", txt: "12x:1:2", code: exitcode.Failure, want: "not a decimal digit"},
		{name: "field count", txt: "1500000000:1500000000", code: exitcode.Failure, want: "2 fields, want 3"},
		{name: "future", txt: fmt.Sprintf("%d:0:0", now.Add(time.Hour).Unix()), code: exitcode.Failure, want: "in the future"},
		{name: "trees mismatch", trees: "content:vault:altarch", code: exitcode.Config, want: "_trees layout differs"},
		{name: "trees mismatch and field count", txt: "1500000000:1500000000", trees: "content:altarch", code: exitcode.Config, want: "_trees layout differs"},
		{name: "bad signature", dnssec: pinned, sign: agenttest.Signing{Enabled: true, Corrupt: true}, code: exitcode.Failure, want: "bad signature"},
		{name: "expired signature", dnssec: pinned, sign: agenttest.Signing{Enabled: true, Inception: now.Add(-96 * time.Hour), Expiration: now.Add(-time.Hour)},
			code: exitcode.Failure, want: "outside its validity period"},
		{name: "replayed", dnssec: pinned, sign: agenttest.Signing{Enabled: true, Inception: now.Add(-72 * time.Hour), Expiration: now.Add(72 * time.Hour)},
			code: exitcode.Failure, want: "frozen or replayed"},
		{name: "unsigned with require_dnssec", dnssec: pinned, code: exitcode.Failure, want: "not DNSSEC-authenticated"},
		{name: "no AD with require_dnssec", dnssec: fmt.Sprintf("mode = \"resolver-ad\"\nrequire_dnssec = true\ntrusted_resolvers = [%q]", w.dns.Addr),
			code: exitcode.Failure, want: "did not set AD"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w.seedState(now) // no unconditional sync due
			w.publish()
			if tc.txt != "" {
				w.dns.SetTXT("current."+zone, tc.txt)
			}
			w.dns.SetTXT("_trees.current."+zone, strings.Join(layout, ":"))
			if tc.trees != "" {
				w.dns.SetTXT("_trees.current."+zone, tc.trees)
			}
			w.dns.SetSigning(tc.sign)
			before := len(w.wrap.Invocations(t))
			r := w.run("trigger", "-config", w.config(cfg{dnssec: tc.dnssec}))
			if r.code != tc.code {
				t.Errorf("exit %d, want %d (stderr %q)", r.code, tc.code, r.stderr)
			}
			if !strings.Contains(r.stderr, tc.want) || !strings.Contains(r.stderr, "signal refused") {
				t.Errorf("stderr lacks %q:\n%s", tc.want, r.stderr)
			}
			if n := len(w.wrap.Invocations(t)) - before; n != 0 {
				t.Errorf("rsync ran %d times", n)
			}
		})
	}
}

func TestDNSSECValidAnswersSync(t *testing.T) {
	w := newWorld(t)
	w.dns.SetSigning(agenttest.Signing{Enabled: true})
	tests := []struct{ name, dnssec string }{
		{"pinned DS", fmt.Sprintf("mode = \"pinned\"\nrequire_dnssec = true\npins = [%q]", w.dns.DS())},
		{"pinned DNSKEY", fmt.Sprintf("mode = \"pinned\"\nrequire_dnssec = true\npins = [%q]", w.dns.DNSKEY())},
		{"resolver AD", fmt.Sprintf("mode = \"resolver-ad\"\nrequire_dnssec = true\ntrusted_resolvers = [%q]", w.dns.Addr)},
	}
	w.dns.SetAD(true)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, tree := range layout {
				os.RemoveAll(w.local[tree])
			}
			r := w.run("trigger", "-config", w.config(cfg{dnssec: tc.dnssec}))
			if r.code != 0 || r.stderr != "" {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			for _, tree := range layout {
				if w.localStamp(tree) != w.stamps[tree] {
					t.Errorf("%s not synced", tree)
				}
			}
		})
	}
}

func TestDNSUnreachableSyncsOnlyAfterMaxInterval(t *testing.T) {
	w := newWorld(t)
	dead := agenttest.StartDNS(t, "dead.test.") // answers NXDOMAIN for the signal: unusable
	path := w.config(cfg{maxInterval: "1h", dns: fmt.Sprintf("resolvers = [%q, %q]\ntimeout = \"300ms\"\nattempts = 1", "127.0.0.1:9", dead.Addr)})

	w.seedState(time.Now().Add(-10 * time.Minute))
	r := w.run("run", "-no-jitter", "-config", path)
	if r.code != exitcode.Failure || !strings.Contains(r.stderr, "no DNS server answered") {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	if n := len(w.wrap.Invocations(t)); n != 0 {
		t.Fatalf("rsync ran %d times before max_interval", n)
	}

	w.seedState(time.Now().Add(-2 * time.Hour))
	r = w.run("run", "-no-jitter", "-config", path)
	if r.code != exitcode.Failure {
		t.Fatalf("exit %d, want 1 (the signal is still broken)", r.code)
	}
	if got := w.modules(); !slices.Equal(got, layout) {
		t.Fatalf("unconditional sync ran for %v, want %v", got, layout)
	}
	if !strings.Contains(w.logText(), "reason=max_interval") {
		t.Errorf("log does not give max_interval as the reason")
	}
}

func TestStaleSourceFallsBackAndExit5(t *testing.T) {
	w := newWorld(t, "stale", "stale2")
	w.writeTree(w.upstream["stale"], w.stamps["content"]-3600)
	w.writeTree(w.upstream["stale2"], w.stamps["content"]-7200)
	for _, tree := range []string{"altarch", "vault"} {
		w.syncLocal(tree)
	}
	both := fmt.Sprintf("[%q, %q]", w.rsyncd.URL("stale"), w.rsyncd.URL("content"))
	r := w.run("trigger", "-config", w.config(cfg{sources: map[string]string{"content": both}}))
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if got := w.modules(); !slices.Equal(got, []string{"content"}) { // stale: refused by the pre-flight, never synced from
		t.Fatalf("sources tried %v", got)
	}
	if !strings.Contains(w.logText(), "source is behind the signal") {
		t.Error("log does not say the source is behind")
	}

	w.stamps["content"] += 60
	w.writeTree(w.upstream["content"], w.stamps["content"]-60) // master not there yet either
	w.publish()
	staleOnly := fmt.Sprintf("[%q, %q]", w.rsyncd.URL("stale"), w.rsyncd.URL("stale2"))
	r = w.run("trigger", "-config", w.config(cfg{sources: map[string]string{"content": staleOnly}}))
	if r.code != exitcode.Behind || !strings.Contains(r.stderr, "upstream still behind") {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestRsyncFailureIsExit4(t *testing.T) {
	w := newWorld(t)
	w.syncLocal("altarch")
	w.syncLocal("vault")
	bad := fmt.Sprintf("[%q]", w.rsyncd.URL("nosuchmodule"))
	r := w.run("trigger", "-config", w.config(cfg{sources: map[string]string{"content": bad}}))
	if r.code != exitcode.Rsync || !strings.Contains(r.stderr, "rsync failed for every source") {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestTwoStageSync(t *testing.T) {
	w := newWorld(t)
	w.syncLocal("altarch")
	w.syncLocal("vault")
	w.write(filepath.Join(w.local["content"], "Packages/old.rpm"), "removed upstream")
	r := w.run("trigger", "-config", w.config(cfg{treeExtra: "two_stage = true"}))
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	inv := w.wrap.Invocations(t)
	if len(inv) != 2 {
		t.Fatalf("%d rsync runs, want 2", len(inv))
	}
	first, second := inv[0], inv[1]
	if !first.Has("--exclude=repodata/") || !first.Has("--exclude=/TIME") || first.Has("--delete-delay") {
		t.Errorf("stage one args %v", first.Args)
	}
	if !second.Has("--delete-delay") || second.Has("--exclude=repodata/") {
		t.Errorf("stage two args %v", second.Args)
	}
	if _, err := os.Stat(filepath.Join(w.local["content"], "Packages/old.rpm")); !os.IsNotExist(err) {
		t.Errorf("deleted file still there: %v", err)
	}
	if w.localStamp("content") != w.stamps["content"] {
		t.Error("content TIME not synced")
	}
}

func TestSecondAgentExitsBusyAtOnce(t *testing.T) {
	w := newWorld(t)
	w.write(filepath.Join(w.upstream["content"], "big.iso"), strings.Repeat("x", 2<<20))
	path := w.config(cfg{options: `"--bwlimit=1000"`}) // about 2 s for content
	done := make(chan result, 1)
	go func() { done <- w.run("trigger", "-config", path) }()
	waitFor(t, func() bool { return len(w.wrap.Invocations(t)) > 0 })

	start := time.Now()
	r := w.run("trigger", "-config", path)
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("busy agent took %s", took)
	}
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("busy agent: exit %d, stderr %q", r.code, r.stderr)
	}
	if !strings.Contains(w.logText(), "holds the lock") {
		t.Error("log does not say the lock is busy")
	}
	if first := <-done; first.code != 0 {
		t.Fatalf("first agent: exit %d: %s", first.code, first.stderr)
	}
	if got := w.modules(); !slices.Equal(got, layout) {
		t.Fatalf("rsync runs %v: the second agent must not have synced", got)
	}
	if _, err := os.Stat(filepath.Join(w.dir, "var/agent.lock")); err != nil {
		t.Errorf("lock file gone: %v", err)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestStatus(t *testing.T) {
	w := newWorld(t)
	w.syncLocal("content")
	path := w.config(cfg{})
	r := w.run("status", "-config", path)
	if r.code != exitcode.Behind {
		t.Fatalf("exit %d, want 5: %s", r.code, r.stderr)
	}
	for _, want := range []string{"content", "fresh", "behind", "never"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("status lacks %q:\n%s", want, r.stdout)
		}
	}
	w.syncLocal("altarch")
	w.syncLocal("vault")
	if r := w.run("status", "-config", path); r.code != 0 {
		t.Fatalf("exit %d:\n%s", r.code, r.stdout)
	}
	if n := len(w.wrap.Invocations(t)); n != 0 {
		t.Fatalf("status ran rsync %d times", n)
	}
}
