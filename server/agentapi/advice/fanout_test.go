package advice

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/checker"
	"github.com/mirrorsignal/mirrorsignal/server/mirrors"
)

// TestFanOutConcurrent: 100 mirrors ask at once, over HTTP; no source is
// handed to more than FanOut of them, and the sources are used up to their
// caps.
func TestFanOutConcurrent(t *testing.T) {
	const fanOut, askers, sources, perAdvice = 20, 100, 7, 3
	f := bigFleet(t, askers, sources)
	probes := map[string]probe{}
	for _, m := range f.Mirrors() {
		probes[m.Name()] = probe{checker.Fresh, testSignal, time.Minute}
	}
	v := testView(f, probes)
	h := testHandler(t, Options{FanOut: fanOut, MaxSources: perAdvice,
		Fleet: func() *mirrors.Fleet { return f }, View: func() *checker.View { return v }})
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		count = map[string]int{}
		total int
	)
	for i := range askers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec := fetch(t, h, fmt.Sprintf("mirror=asker-%03d.example.net&tree=content", i))
			var a Advice
			if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil || rec.Code != http.StatusOK {
				t.Errorf("status %d, %v: %s", rec.Code, err, rec.Body)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, s := range a.Sources {
				count[s]++
				total++
			}
		}()
	}
	wg.Wait()
	for s, n := range count {
		if n > fanOut {
			t.Errorf("%s handed to %d mirrors, cap %d", s, n, fanOut)
		}
	}
	// 7 sources × 20 = 140 hand-outs at most; 100 askers × 3 want 300.
	if total != sources*fanOut {
		t.Errorf("%d hand-outs, want every source used up to its cap (%d)", total, sources*fanOut)
	}
}

// bigFleet writes and loads a fleet of askers tier-2 mirrors that are not
// sources and n opted-in sources, all in DE.
func bigFleet(t *testing.T, askers, n int) *mirrors.Fleet {
	var b strings.Builder
	entry := func(name string, source bool) {
		fmt.Fprintf(&b, "[[mirror]]\nname = %q\ncountry = \"DE\"\nsync_source = %v\n"+
			"[mirror.trees.content]\nrsync = \"rsync://%s/centos/\"\n\n", name, source, name)
	}
	for i := range askers {
		entry(fmt.Sprintf("asker-%03d.example.net", i), false)
	}
	for i := range n {
		entry(fmt.Sprintf("source-%d.example.net", i), true)
	}
	f, err := mirrors.Parse("big.toml", []byte(b.String()), testLayout)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestFanOutHTTPConcurrent drives the cap through real requests: 100
// concurrent requests of one mirror never exceed anything, and a cap of
// one source per window lets a second mirror have none of the first's.
func TestFanOutHTTPConcurrent(t *testing.T) {
	h := testHandler(t, Options{FanOut: 1, MaxSources: 2})
	var wg sync.WaitGroup
	results := make([][]string, 100)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec := fetch(t, h, "mirror=req.example.net&tree=content")
			var a Advice
			if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
				t.Error(err)
			}
			results[i] = a.Sources
		}()
	}
	wg.Wait()
	for i, r := range results {
		if fmt.Sprint(r) != fmt.Sprint(results[0]) || len(r) != 2 {
			t.Fatalf("request %d got %q, request 0 %q: one mirror asking again counts once", i, r, results[0])
		}
	}
	rec := fetch(t, h, "mirror=de.example.net&tree=content")
	var a Advice
	json.Unmarshal(rec.Body.Bytes(), &a)
	for _, s := range a.Sources {
		for _, taken := range results[0] {
			if s == taken {
				t.Fatalf("%s handed to a second mirror past a cap of 1", s)
			}
		}
	}
}

func TestFanOutWindow(t *testing.T) {
	cands := []candidate{{name: "a"}, {name: "b"}}
	f := newFanOut(2, 10*time.Minute)
	t0 := testNow
	pickNames := func(mirror string, at time.Time) string {
		p, _ := f.pick(mirror, cands, 2, at)
		return fmt.Sprint(names(p))
	}
	steps := []struct {
		mirror string
		at     time.Duration
		want   string
	}{
		{"m1", 0, "[a b]"},
		{"m2", time.Minute, "[a b]"},
		{"m3", 2 * time.Minute, "[]"},       // both at their cap
		{"m1", 3 * time.Minute, "[a b]"},    // m1 already has them: not counted again
		{"m3", 10*time.Minute + 1, "[]"},    // m1 refreshed at 3m, m2 still in
		{"m3", 11*time.Minute + 1, "[a b]"}, // m2's hand-out left the window
		{"m4", 13*time.Minute + 1, "[a b]"}, // m1's too
		{"m5", 13*time.Minute + 2, "[]"},    // m3 and m4 hold them
	}
	for _, s := range steps {
		if got := pickNames(s.mirror, t0.Add(s.at)); got != s.want {
			t.Fatalf("%s at +%s: got %s, want %s", s.mirror, s.at, got, s.want)
		}
	}
	f.sweep(t0.Add(time.Hour))
	if len(f.given) != 0 {
		t.Fatalf("sweep left %d sources", len(f.given))
	}
}
