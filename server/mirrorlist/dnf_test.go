package mirrorlist

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/status"
	"github.com/mirrorsignal/mirrorsignal/signal/testtool"
)

// The repo the dnf tests serve: tree "content", path 9/BaseOS/x86_64/os/.
const (
	dnfRepo = "baseos-9"
	dnfArch = "x86_64"
	dnfPath = "9/BaseOS/x86_64/os/"
)

// countingServer serves dir over HTTP on 127.0.0.1 and counts the
// requests for repomd.xml.
type countingServer struct {
	*httptest.Server
	mu     sync.Mutex
	repomd int
}

func serveDir(t *testing.T, dir string) *countingServer {
	cs := &countingServer{}
	fs := http.FileServer(http.Dir(dir))
	cs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/repomd.xml") {
			cs.mu.Lock()
			cs.repomd++
			cs.mu.Unlock()
		}
		fs.ServeHTTP(w, r)
	}))
	t.Cleanup(cs.Close)
	return cs
}

func (cs *countingServer) repomdRequests() int {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.repomd
}

// makeRepo writes an empty repository built by createrepo_c with the
// given revision (also its timestamps) under root/content/<dnfPath>.
func makeRepo(t *testing.T, createrepo, root string, revision int64) {
	dir := filepath.Join(root, "content", dnfPath)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(createrepo, "--revision", fmt.Sprint(revision), "--set-timestamp-to-revision", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("createrepo_c: %v\n%s", err, out)
	}
}

// dnfFleet is a master that published three versions (v1, v2, v3) and
// one mirror holding each, with the tracker's history of the master.
type dnfFleet struct {
	master     *countingServer
	v1, v2, v3 *countingServer // mirrors holding each version
	repo       status.Repo     // from the tracker, at now
	now        time.Time       // shortly after v3 was published
}

func newDNFFleet(t *testing.T, createrepo string) *dnfFleet {
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var dirs [3]string
	for i := range dirs {
		dirs[i] = t.TempDir()
		makeRepo(t, createrepo, dirs[i], base.Add(time.Duration(i)*48*time.Hour).Unix())
	}
	f := &dnfFleet{}
	f.v1, f.v2, f.v3 = serveDir(t, dirs[0]), serveDir(t, dirs[1]), serveDir(t, dirs[2])
	// The master serves whichever version is current.
	var mu sync.Mutex
	current := 0
	f.master = &countingServer{}
	f.master.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		dir := dirs[current]
		mu.Unlock()
		http.FileServer(http.Dir(dir)).ServeHTTP(w, r)
	}))
	t.Cleanup(f.master.Close)
	// v1 seen at base, replaced by v2 100 h later, v2 replaced by v3 at
	// base+200h; now is one hour after that.
	clock := base
	tr, err := NewMasterTracker(TrackerOptions{
		Repos:     []TrackedRepo{{Name: dnfRepo, Arch: dnfArch, Tree: "content", Path: dnfPath}},
		Masters:   map[string]string{"content": f.master.URL + "/content/"},
		StatePath: filepath.Join(t.TempDir(), "repomd-history.json"),
		Now:       func() time.Time { return clock },
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, at := range []time.Duration{0, 100 * time.Hour, 200 * time.Hour} {
		mu.Lock()
		current, clock = i, base.Add(at)
		mu.Unlock()
		tr.RefreshAll(context.Background())
	}
	clock = base.Add(201 * time.Hour)
	f.now = clock
	f.repo = tr.Repos()[0]
	if len(f.repo.Versions) != 2 {
		t.Fatalf("tracker kept %d versions within the grace, want v3 and v2: %+v", len(f.repo.Versions), f.repo.Versions)
	}
	return f
}

// snapshot lists the mirrors in order, all fresh unless states says;
// the first mirror also owns 127.0.0.1/32, so it is listed first.
func (f *dnfFleet) snapshot(mirrors []*countingServer, states ...string) *status.Snapshot {
	s := &status.Snapshot{Format: status.Format, Generated: f.now,
		Trees: []status.Tree{{Name: "content", Master: f.master.URL + "/content/"}},
		Repos: []status.Repo{f.repo}}
	for i, m := range mirrors {
		state := status.Fresh
		if i < len(states) {
			state = states[i]
		}
		sm := status.Mirror{Name: fmt.Sprintf("m%d", i), Country: "DE", Continent: "EU", Bandwidth: 100,
			Trees: []status.MirrorTree{{Tree: "content", State: state, LagSeconds: 3600,
				URLs: map[string]string{"http": m.URL + "/content/"}}}}
		if i == 0 {
			sm.Netblocks = []string{"127.0.0.1/32", "::1/128"}
		}
		s.Mirrors = append(s.Mirrors, sm)
	}
	return s
}

// serveList serves s through a Service whose clock is now.
func serveList(t *testing.T, s *status.Snapshot, now time.Time) *httptest.Server {
	hub := status.NewHub()
	hub.Set(s)
	svc, err := New(Options{Source: hub, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	hub.Subscribe(svc)
	mux := http.NewServeMux()
	svc.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// runDNF runs dnf makecache against one repo defined by key=url
// (metalink= or mirrorlist=) and returns its output and whether it
// succeeded: exit 0 and the cache made.
func runDNF(t *testing.T, dnf, key, u string) (string, bool) {
	dir := t.TempDir()
	reposDir := filepath.Join(dir, "repos.d")
	if err := os.MkdirAll(reposDir, 0o755); err != nil {
		t.Fatal(err)
	}
	repo := fmt.Sprintf("[sigtest]\nname=sigtest\n%s=%s\nenabled=1\ngpgcheck=0\nrepo_gpgcheck=0\nmetadata_expire=0\n", key, u)
	if err := os.WriteFile(filepath.Join(reposDir, "sigtest.repo"), []byte(repo), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, dnf, "-y", "--installroot="+filepath.Join(dir, "root"),
		"--setopt=reposdir="+reposDir, "--setopt=cachedir="+filepath.Join(dir, "cache"),
		"--releasever=1", "--setopt=skip_if_unavailable=False", "makecache")
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	out, err := cmd.CombinedOutput()
	ok := err == nil && strings.Contains(string(out), "Metadata cache created") &&
		!strings.Contains(string(out), "Ignoring repositories")
	return string(out), ok
}

func TestDNF(t *testing.T) {
	tools := testtool.Require(t, "dnf", "createrepo_c")
	dnf, createrepo := tools[0], tools[1]
	f := newDNFFleet(t, createrepo)
	metalink := "/metalink?repo=" + dnfRepo + "&arch=" + dnfArch
	mirrorlist := "/mirrorlist?repo=" + dnfRepo + "&arch=" + dnfArch

	t.Run("metalink skips a stale mirror listed first", func(t *testing.T) {
		v1Before, v3Before := f.v1.repomdRequests(), f.v3.repomdRequests()
		srv := serveList(t, f.snapshot([]*countingServer{f.v1, f.v3}), f.now)
		out, ok := runDNF(t, dnf, "metalink", srv.URL+metalink)
		if !ok {
			t.Fatalf("dnf failed:\n%s", out)
		}
		if f.v1.repomdRequests() == v1Before {
			t.Errorf("the stale mirror, listed first, was never asked for repomd.xml:\n%s", out)
		}
		if f.v3.repomdRequests() == v3Before {
			t.Errorf("the good mirror never served repomd.xml:\n%s", out)
		}
	})
	t.Run("metalink with only a stale mirror fails on the checksum", func(t *testing.T) {
		srv := serveList(t, f.snapshot([]*countingServer{f.v1}), f.now)
		out, ok := runDNF(t, dnf, "metalink", srv.URL+metalink)
		if ok {
			t.Fatalf("dnf accepted a repomd.xml two publishes old:\n%s", out)
		}
		t.Logf("dnf (failing as it should):\n%s", out)
		if !strings.Contains(strings.ToLower(out), "checksum") {
			t.Errorf("dnf failed, but not on the checksum:\n%s", out)
		}
	})
	t.Run("one publish behind verifies through the alternates within the grace", func(t *testing.T) {
		srv := serveList(t, f.snapshot([]*countingServer{f.v2}), f.now)
		if out, ok := runDNF(t, dnf, "metalink", srv.URL+metalink); !ok {
			t.Fatalf("dnf refused the previous version, an alternate:\n%s", out)
		}
	})
	t.Run("one publish behind fails beyond the grace", func(t *testing.T) {
		srv := serveList(t, f.snapshot([]*countingServer{f.v2}), f.now.Add(DefaultAlternatesGrace))
		out, ok := runDNF(t, dnf, "metalink", srv.URL+metalink)
		if ok {
			t.Fatalf("dnf accepted the previous version beyond the grace:\n%s", out)
		}
		t.Logf("dnf (failing as it should):\n%s", out)
		if !strings.Contains(strings.ToLower(out), "checksum") {
			t.Errorf("dnf failed, but not on the checksum:\n%s", out)
		}
	})
	t.Run("mirrorlist lists only fresh mirrors", func(t *testing.T) {
		v1Before, v3Before := f.v1.repomdRequests(), f.v3.repomdRequests()
		srv := serveList(t, f.snapshot([]*countingServer{f.v1, f.v3}, status.Behind, status.Fresh), f.now)
		out, ok := runDNF(t, dnf, "mirrorlist", srv.URL+mirrorlist)
		if !ok {
			t.Fatalf("dnf failed:\n%s", out)
		}
		if f.v1.repomdRequests() != v1Before || f.v3.repomdRequests() == v3Before {
			t.Errorf("repomd.xml requests: behind mirror %d (want none), fresh mirror %d (want some)",
				f.v1.repomdRequests()-v1Before, f.v3.repomdRequests()-v3Before)
		}
	})
	t.Run("mirrorlist falls back to the master", func(t *testing.T) {
		before := f.v3.repomdRequests()
		srv := serveList(t, f.snapshot([]*countingServer{f.v3}, status.Unreachable), f.now)
		if out, ok := runDNF(t, dnf, "mirrorlist", srv.URL+mirrorlist); !ok {
			t.Fatalf("dnf failed on the master fallback:\n%s", out)
		}
		if f.v3.repomdRequests() != before {
			t.Error("an unreachable mirror was listed")
		}
	})
}
