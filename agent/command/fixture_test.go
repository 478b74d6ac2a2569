package command

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mirrorsignal/mirrorsignal/agent/agenttest"
	"github.com/mirrorsignal/mirrorsignal/agent/exitcode"
	"github.com/mirrorsignal/mirrorsignal/agent/schedule"
	"github.com/mirrorsignal/mirrorsignal/agent/state"
	"github.com/mirrorsignal/mirrorsignal/signal"
	"github.com/mirrorsignal/mirrorsignal/signal/testtool"
)

const zone = "mirrors.example.test."

var layout = []string{"content", "altarch", "vault"}

// world is a signal server, an rsync daemon serving one upstream directory
// per tree (plus extra modules), local trees and an rsync wrapper.
type world struct {
	t        *testing.T
	dir      string
	dns      *agenttest.DNSServer
	rsyncd   *agenttest.Rsyncd
	wrap     *agenttest.Wrapper
	upstream map[string]string // module → dir
	local    map[string]string // tree → dir
	stamps   map[string]int64  // upstream TIME per tree
}

// newWorld builds trees whose upstream TIME is base+i hours and publishes
// those stamps. extra names more upstream modules (e.g. a stale one).
func newWorld(t *testing.T, extra ...string) *world {
	t.Helper()
	w := &world{t: t, dir: t.TempDir(), upstream: map[string]string{}, local: map[string]string{}, stamps: map[string]int64{}}
	base := time.Now().Add(-24 * time.Hour).Unix()
	for i, tree := range layout {
		w.stamps[tree] = base + int64(i)*3600
		w.upstream[tree] = w.mkdir("upstream", tree)
		w.writeTree(w.upstream[tree], w.stamps[tree])
		w.local[tree] = w.mkdir("local", tree)
	}
	for _, m := range extra {
		w.upstream[m] = w.mkdir("upstream", m)
	}
	w.rsyncd = agenttest.StartRsyncd(t, w.upstream)
	w.wrap = agenttest.NewWrapper(t)
	w.dns = agenttest.StartDNS(t, zone)
	w.publish()
	w.dns.SetTXT("_trees.current."+zone, strings.Join(layout, ":"))
	return w
}

func (w *world) mkdir(parts ...string) string {
	d := filepath.Join(append([]string{w.dir}, parts...)...)
	if err := os.MkdirAll(d, 0o755); err != nil {
		w.t.Fatal(err)
	}
	return d
}

// writeTree fills dir with a package, metadata and a TIME file.
func (w *world) writeTree(dir string, stamp int64) {
	files := map[string]string{
		"Packages/a.rpm":      "package a",
		"repodata/repomd.xml": fmt.Sprintf("<repomd stamp=%d/>", stamp),
		"TIME":                string(signal.FormatTimeFile(stamp)),
	}
	for name, body := range files {
		path := filepath.Join(dir, name)
		w.write(path, body)
		// rsync's quick check compares size and mtime: give each version its own.
		mt := time.Unix(stamp, 0)
		if err := os.Chtimes(path, mt, mt); err != nil {
			w.t.Fatal(err)
		}
	}
}

func (w *world) write(path, body string) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		w.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		w.t.Fatal(err)
	}
}

// publish sets the signal to the upstream stamps.
func (w *world) publish() {
	parts := make([]string, len(layout))
	for i, tree := range layout {
		parts[i] = fmt.Sprint(w.stamps[tree])
	}
	w.dns.SetTXT("current."+zone, strings.Join(parts, ":"))
}

// syncLocal makes the local tree a copy of upstream (TIME included).
func (w *world) syncLocal(tree string) {
	w.writeTree(w.local[tree], w.stamps[tree])
}

func (w *world) localStamp(tree string) int64 {
	b, err := os.ReadFile(filepath.Join(w.local[tree], "TIME"))
	if err != nil {
		return 0
	}
	v, err := signal.ParseTimeFile(b)
	if err != nil {
		w.t.Fatal(err)
	}
	return v
}

// cfg is what a test changes in agent.toml.
type cfg struct {
	dns         string            // dns section body; default: resolvers = [server]
	dnssec      string            // dnssec section body; default mode off
	options     string            // sync.options
	maxInterval string            // default 24h
	sources     map[string]string // tree → sources TOML list; default its module
	treeExtra   string            // appended to every tree table
	extra       string            // appended at the end
	mirror      string
}

func (w *world) config(c cfg) string {
	if c.dns == "" {
		c.dns = fmt.Sprintf("resolvers = [%q]\ntimeout = \"1s\"\nattempts = 1", w.dns.Addr)
	}
	if c.dnssec == "" {
		c.dnssec = `mode = "off"`
	}
	if c.maxInterval == "" {
		c.maxInterval = "24h"
	}
	if c.mirror == "" {
		c.mirror = "mirror1.test"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "mirror = %q\n[signal]\nname = %q\nlayout = [\"content\", \"altarch\", \"vault\"]\n", c.mirror, "current."+zone)
	fmt.Fprintf(&b, "[dns]\n%s\n[dnssec]\n%s\n", c.dns, c.dnssec)
	fmt.Fprintf(&b, "[sync]\nrsync = %q\nlock_file = %q\nstate_file = %q\njitter = \"0s\"\nmax_interval = %q\nconnect_timeout = \"5s\"\nio_timeout = \"30s\"\noptions = [%s]\n",
		w.wrap.Path, filepath.Join(w.dir, "var/agent.lock"), w.statePath(), c.maxInterval, c.options)
	for _, tree := range layout {
		src := fmt.Sprintf("[%q]", w.rsyncd.URL(tree))
		if s, ok := c.sources[tree]; ok {
			src = s
		}
		fmt.Fprintf(&b, "[trees.%s]\npath = %q\nsources = %s\n%s\n", tree, w.local[tree], src, c.treeExtra)
	}
	fmt.Fprintf(&b, "[log]\nfile = %q\nlevel = \"debug\"\nstderr_level = \"error\"\n%s\n", w.logPath(), c.extra)
	path := filepath.Join(w.dir, fmt.Sprintf("agent-%d.toml", time.Now().UnixNano()))
	w.write(path, b.String())
	return path
}

func (w *world) statePath() string { return filepath.Join(w.dir, "var/state.json") }
func (w *world) logPath() string   { return filepath.Join(w.dir, "var/agent.log") }

func (w *world) logText() string {
	b, _ := os.ReadFile(w.logPath())
	return string(b)
}

// seedState records a success of every tree at the given time.
func (w *world) seedState(at time.Time) {
	st := state.New()
	for _, tree := range layout {
		st.Tree(tree).LastSuccess = at.Unix()
		st.Tree(tree).FirstSeen = at.Unix()
	}
	if err := state.Save(w.statePath(), st); err != nil {
		w.t.Fatal(err)
	}
}

// result is one command run.
type result struct {
	code           int
	err            error
	stdout, stderr string
}

func (w *world) run(args ...string) result {
	return runWith(context.Background(), schedule.Real{}, args...)
}

func runWith(ctx context.Context, clock schedule.Clock, args ...string) result {
	var stdout, stderr testtool.Buffer
	err := Run(ctx, args, Env{Stdout: &stdout, Stderr: &stderr, Clock: clock, Rand: newTestRand()})
	return result{code: exitcode.Code(err), err: err, stdout: stdout.String(), stderr: stderr.String()}
}

func newTestRand() *rand.Rand { return rand.New(rand.NewPCG(1, 2)) }

// configWithJitter copies the config at path with sync.jitter set.
func (w *world) configWithJitter(path, jitter string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		w.t.Fatal(err)
	}
	out := path + ".jitter.toml"
	w.write(out, strings.Replace(string(b), `jitter = "0s"`, fmt.Sprintf("jitter = %q", jitter), 1))
	return out
}

// modules returns the source modules of the logged rsync runs.
func (w *world) modules() []string {
	var out []string
	for _, inv := range w.wrap.Invocations(w.t) {
		src := strings.TrimSuffix(inv.Source(), "/")
		out = append(out, src[strings.LastIndex(src, "/")+1:])
	}
	return out
}
