package checker

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/mirrors"
	"github.com/mirrorsignal/mirrorsignal/server/probe"
	"github.com/mirrorsignal/mirrorsignal/server/repomd"
)

// repoPath is the baseos repo's directory for x86_64 under the tree.
const repoPath = "9/BaseOS/x86_64/os/"

// fakeTree serves a tree: a TIME file and baseos's repomd.xml ("" = 404),
// both changeable, and counts the repomd.xml requests.
type fakeTree struct {
	mu           sync.Mutex
	time, repomd string
	repomdHits   atomic.Int32
}

func (f *fakeTree) set(time, repomd string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.time, f.repomd = time, repomd
}

func (f *fakeTree) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	tm, rmd := f.time, f.repomd
	f.mu.Unlock()
	switch r.URL.Path {
	case "/TIME":
		fmt.Fprintln(w, tm)
	case "/" + repoPath + "repodata/repomd.xml":
		f.repomdHits.Add(1)
		if rmd == "" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(rmd))
	default:
		http.NotFound(w, r)
	}
}

func repomdFixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "repomd", name+".xml"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestRepomdConsistency runs a master and mirrors on loopback: after a
// publish that changed baseos's repomd.xml, a mirror with the master's
// current or previous repomd.xml is fresh, one with a version the master
// never served lately or with garbage is inconsistent, one without the
// repo is fresh by its TIME, and a mirror behind is not asked for
// repomd.xml at all.
func TestRepomdConsistency(t *testing.T) {
	v1, v2, old := repomdFixture(t, "v1"), repomdFixture(t, "v2"), repomdFixture(t, "old")
	sig1 := time.Now().Unix() - 600
	sig2 := sig1 + 300
	master := &fakeTree{}
	master.set(fmt.Sprint(sig1), v1)
	masterSrv := httptest.NewServer(master)
	t.Cleanup(masterSrv.Close)

	type mirror struct {
		name       string
		tree       *fakeTree
		time, repo string // after the publish
		want       State
		err        string // in Err
	}
	ms := []mirror{
		{name: "current", time: fmt.Sprint(sig2), repo: v2, want: Fresh},
		{name: "previous", time: fmt.Sprint(sig2), repo: v1, want: Fresh},
		{name: "old", time: fmt.Sprint(sig2), repo: old, want: Inconsistent, err: "none of the master's last 2"},
		{name: "garbage", time: fmt.Sprint(sig2), repo: "<html>sync in progress</html>", want: Inconsistent, err: repomd.ErrBad.Error()},
		{name: "norepo", time: fmt.Sprint(sig2), repo: "", want: Fresh},
		{name: "behind", time: fmt.Sprint(sig1), repo: v1, want: Behind},
	}
	var toml strings.Builder
	for i := range ms {
		ms[i].tree = &fakeTree{}
		ms[i].tree.set(fmt.Sprint(sig1), v1)
		srv := httptest.NewServer(ms[i].tree)
		t.Cleanup(srv.Close)
		fmt.Fprintf(&toml, "[[mirror]]\nname = %q\ncountry = \"DE\"\n[mirror.trees.content]\nhttp = %q\n",
			ms[i].name+".example.net", srv.URL+"/")
	}
	toml.WriteString("[[repo]]\nname = \"baseos\"\ntree = \"content\"\npath = \"9/BaseOS/$arch/os/\"\narches = [\"x86_64\"]\n")
	f := fleet(t, toml.String())
	pr, err := probe.New(probe.Config{Timeout: probeTimeout})
	if err != nil {
		t.Fatal(err)
	}
	rf, err := repomd.NewFetcher(repomd.Config{Timeout: probeTimeout})
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(Options{Fleet: func() *mirrors.Fleet { return f }, Prober: pr, Interval: time.Hour,
		FastInterval: 300 * time.Millisecond, FastWindow: time.Minute, Concurrency: 8, PerHost: 4,
		Repomd: rf, RepoBases: map[string]string{"content": masterSrv.URL + "/"}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	go c.Run(ctx)

	c.SignalChanged(record(sig1))
	begin := time.Now()
	for _, m := range ms {
		c.Recheck(m.name + ".example.net")
	}
	v := waitProbedAfter(t, c, begin, begin.Add(3*probeTimeout))
	for _, m := range ms {
		if tv := treeOf(v, m.name); tv.State != Fresh {
			t.Fatalf("before the publish, %s is %s (%q)", m.name, tv.State, tv.Err)
		}
	}

	master.set(fmt.Sprint(sig2), v2)
	for _, m := range ms {
		m.tree.set(m.time, m.repo)
		m.tree.repomdHits.Store(0)
	}
	hitsBefore := master.repomdHits.Load()
	pub := time.Now()
	c.SignalChanged(record(sig2))
	v = waitProbedAfter(t, c, pub, pub.Add(3*probeTimeout))
	for _, m := range ms {
		t.Run(m.name, func(t *testing.T) {
			tv := treeOf(v, m.name)
			if tv.State != m.want || !strings.Contains(tv.Err, m.err) {
				t.Errorf("%s (%q), want %s (%q)", tv.State, tv.Err, m.want, m.err)
			}
		})
	}
	if n := ms[len(ms)-1].tree.repomdHits.Load(); n != 0 {
		t.Errorf("the mirror behind was asked for repomd.xml %d times", n)
	}
	if n := master.repomdHits.Load() - hitsBefore; n != 1 {
		t.Errorf("the master's repomd.xml was fetched %d times after the publish, want once (cached)", n)
	}
	if e := v.Events; len(e) != 1 || e[0].Fresh != 3 {
		t.Errorf("events %+v: want one, with the 3 consistent mirrors fresh", e)
	}
}

func treeOf(v *View, mirror string) TreeView {
	mv, _ := v.Mirror(mirror + ".example.net")
	tv, _ := mv.Tree("content")
	return tv
}

// waitProbedAfter polls the view until every mirror was probed after
// since, or until deadline.
func waitProbedAfter(t *testing.T, c *Checker, since, deadline time.Time) *View {
	t.Helper()
	for {
		v := c.View()
		done := 0
		for _, m := range v.Mirrors {
			if len(m.Trees) > 0 && m.Trees[0].At.After(since) {
				done++
			}
		}
		if done == len(v.Mirrors) {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d mirrors probed by the deadline", done, len(v.Mirrors))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestInherit(t *testing.T) {
	key := func(p mirrors.Protocol, tree string) Key { return Key{Mirror: "m", Tree: tree, Proto: p} }
	rs := []Result{
		{Key: key(mirrors.HTTPS, "content"), State: Inconsistent, Err: "repomd.xml of baseos/x86_64: bad"},
		{Key: key(mirrors.Rsync, "content"), State: Fresh},
		{Key: key(mirrors.Rsync, "altarch"), State: Fresh},
		{Key: key(mirrors.HTTPS, "altarch"), State: Fresh},
	}
	inherit(rs)
	if rs[1].State != Inconsistent || rs[1].Err != "over https: repomd.xml of baseos/x86_64: bad" {
		t.Errorf("rsync of content: %s %q", rs[1].State, rs[1].Err)
	}
	if rs[2].State != Fresh {
		t.Errorf("rsync of altarch: %s", rs[2].State)
	}
}

func TestRejudgeInconsistent(t *testing.T) {
	r := Result{State: Inconsistent, Stamp: stamp, Signal: stamp, Err: "repomd"}
	if got := rejudge(r, stamp-10); got.State != Inconsistent || got.Err != "repomd" {
		t.Errorf("signal back: %+v", got)
	}
	if got := rejudge(r, stamp+60); got.State != Behind || got.Lag != time.Minute || got.Err != "" {
		t.Errorf("new signal: %+v", got)
	}
}

func TestMasterHistory(t *testing.T) {
	var e masterEntry
	for _, fp := range []string{"a", "b", "a", "c", "d", "e"} {
		e.add(fp, 3)
	}
	if got := strings.Join(e.history, ","); got != "e,d,c" {
		t.Errorf("history %s, want e,d,c", got)
	}
	now := t0
	e.fetched, e.signal = now, stamp
	for _, tc := range []struct {
		after  time.Duration
		signal int64
		retry  bool
		want   bool
	}{
		{time.Second, stamp, false, false},
		{time.Second, stamp + 1, false, true},
		{time.Second, stamp, true, false},
		{masterRetry, stamp, true, true},
		{masterRefresh - time.Second, stamp, false, false},
		{masterRefresh, stamp, false, true},
	} {
		if got := e.stale(now.Add(tc.after), tc.signal, tc.retry); got != tc.want {
			t.Errorf("stale after %v (signal %d, retry %v) = %v", tc.after, tc.signal, tc.retry, got)
		}
	}
}
