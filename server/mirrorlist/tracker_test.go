package mirrorlist

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/status"
)

func readRepomd(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "repomd", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDescribe(t *testing.T) {
	b := readRepomd(t, "repomd-v1.xml")
	v, err := Describe(b, time.Time{}, geoNow)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	if v.Size != int64(len(b)) || v.SHA256 != hex.EncodeToString(sum[:]) || len(v.MD5) != 32 || len(v.SHA1) != 40 ||
		len(v.SHA512) != 128 || v.Timestamp != 1700000000 || !v.Seen.Equal(geoNow) {
		t.Fatalf("%+v", v)
	}
	noStamp := []byte(`<repomd xmlns="http://linux.duke.edu/metadata/repo"><data type="primary"><checksum type="sha256">` +
		strings.Repeat("a", 64) + `</checksum></data></repomd>`)
	if v, err := Describe(noStamp, time.Unix(1600000000, 0), geoNow); err != nil || v.Timestamp != 1600000000 {
		t.Fatalf("Last-Modified fallback: %+v %v", v, err)
	}
	if _, err := Describe([]byte("<html>maintenance</html>"), time.Time{}, geoNow); err == nil {
		t.Fatal("described garbage")
	}
}

// master serves a settable repomd.xml at /content/9/os/repodata/repomd.xml.
type master struct {
	*httptest.Server
	mu    sync.Mutex
	body  []byte
	code  int
	reads atomic.Int32
}

func newMaster(t *testing.T) *master {
	m := &master{code: 200}
	m.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/content/9/os/repodata/repomd.xml" || r.Header.Get("Cache-Control") != "no-cache" {
			http.NotFound(w, r)
			return
		}
		m.reads.Add(1)
		m.mu.Lock()
		defer m.mu.Unlock()
		w.WriteHeader(m.code)
		w.Write(m.body)
	}))
	t.Cleanup(m.Close)
	return m
}

func (m *master) serve(code int, body []byte) {
	m.mu.Lock()
	m.body, m.code = body, code
	m.mu.Unlock()
}

type trackerFixture struct {
	master  *master
	clock   time.Time
	changes atomic.Int32
	opts    TrackerOptions
}

func newTrackerFixture(t *testing.T) *trackerFixture {
	f := &trackerFixture{master: newMaster(t), clock: geoNow}
	f.opts = TrackerOptions{
		Repos:     []TrackedRepo{{Name: "os", Arch: "x86_64", Tree: "content", Path: "9/os/"}, {Name: "nomaster", Arch: "x86_64", Tree: "other", Path: "x/"}},
		Masters:   map[string]string{"content": f.master.URL + "/content/"},
		StatePath: filepath.Join(t.TempDir(), "repomd-history.json"),
		Grace:     72 * time.Hour,
		Now:       func() time.Time { return f.clock },
		OnChange:  func() { f.changes.Add(1) },
	}
	return f
}

func (f *trackerFixture) tracker(t *testing.T) *MasterTracker {
	tr, err := NewMasterTracker(f.opts)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func versions(tr *MasterTracker) []status.RepomdVersion { return tr.Repos()[0].Versions }

func TestTrackerHistory(t *testing.T) {
	f := newTrackerFixture(t)
	tr := f.tracker(t)
	v1, v2, v3 := readRepomd(t, "repomd-v1.xml"), readRepomd(t, "repomd-v2.xml"), readRepomd(t, "repomd-v3.xml")
	step := func(body []byte, at time.Duration) {
		f.master.serve(200, body)
		f.clock = geoNow.Add(at)
		tr.RefreshAll(context.Background())
	}
	step(v1, 0)
	step(v1, time.Hour) // unchanged
	if vs := versions(tr); len(vs) != 1 || !vs[0].Seen.Equal(geoNow) || f.changes.Load() != 1 {
		t.Fatalf("after v1: %+v, %d changes", vs, f.changes.Load())
	}
	step(v2, 10*time.Hour)
	step(v3, 100*time.Hour) // v1 replaced 90 h ago: beyond the grace
	vs := versions(tr)
	if len(vs) != 2 || vs[0].Timestamp == vs[1].Timestamp || !vs[0].Replaced.IsZero() ||
		!vs[1].Replaced.Equal(geoNow.Add(100*time.Hour)) || !vs[1].Seen.Equal(geoNow.Add(10*time.Hour)) {
		t.Fatalf("after v3: %+v", vs)
	}
	if r := tr.Repos()[1]; r.Name != "nomaster" || len(r.Versions) != 0 || r.Path != "x/" {
		t.Fatalf("repo without a master: %+v", r)
	}
	// Failures change nothing.
	for _, c := range []struct {
		code int
		body []byte
	}{{404, nil}, {500, v1}, {200, []byte("<html/>")}, {200, append([]byte("<!--"), make([]byte, 2<<20)...)}} {
		f.master.serve(c.code, c.body)
		before := f.changes.Load()
		tr.RefreshAll(context.Background())
		if f.changes.Load() != before || len(versions(tr)) != 2 {
			t.Fatalf("HTTP %d with %d bytes changed the history", c.code, len(c.body))
		}
	}
	// Time passes: v2 leaves the alternates once beyond the grace.
	f.clock = geoNow.Add(173 * time.Hour)
	if vs := versions(tr); len(vs) != 1 {
		t.Fatalf("beyond the grace: %+v", vs)
	}
	// The history survives a restart.
	f.clock = geoNow.Add(101 * time.Hour)
	again := f.tracker(t)
	if got, want := versions(again), versions(tr); len(got) != 2 || got[0].SHA512 != want[0].SHA512 || !got[1].Replaced.Equal(want[1].Replaced) {
		t.Fatalf("reloaded %+v, want %+v", got, want)
	}
	// The master going back to v2 makes it current again, seen first
	// when it was.
	step(v2, 102*time.Hour)
	if vs := versions(tr); len(vs) != 2 || !vs[0].Seen.Equal(geoNow.Add(10*time.Hour)) || !vs[1].Replaced.Equal(geoNow.Add(102*time.Hour)) {
		t.Fatalf("after going back: %+v", vs)
	}
}

func TestTrackerBadStateFile(t *testing.T) {
	f := newTrackerFixture(t)
	if err := os.WriteFile(f.opts.StatePath, []byte(`{"format":9}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := NewMasterTracker(f.opts); err == nil {
		t.Fatal("loaded a history of an unknown format")
	}
}

func TestTrackerSignal(t *testing.T) {
	f := newTrackerFixture(t)
	f.opts.Refresh = time.Hour
	f.master.serve(200, readRepomd(t, "repomd-v1.xml"))
	tr := f.tracker(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tr.Run(ctx) }()
	waitReads := func(n int32) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for f.master.reads.Load() < n {
			if time.Now().After(deadline) {
				t.Fatalf("%d reads of the master, want %d", f.master.reads.Load(), n)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitReads(1)
	tr.SignalChanged(map[string]int64{"content": 100, "other": 5})
	waitReads(2)
	f.master.serve(200, readRepomd(t, "repomd-v2.xml"))
	tr.SignalChanged(map[string]int64{"content": 200, "other": 5})
	waitReads(3)
	deadline := time.Now().Add(10 * time.Second)
	for len(versions(tr)) != 2 {
		if time.Now().After(deadline) {
			t.Fatal("the new version was not recorded")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// An unchanged signal reads nothing.
	tr.SignalChanged(map[string]int64{"content": 200, "other": 5})
	time.Sleep(50 * time.Millisecond)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := f.master.reads.Load(); n != 3 {
		t.Fatalf("%d reads, want 3", n)
	}
}
