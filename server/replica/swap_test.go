package replica

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/status"
	"github.com/mirrorsignal/mirrorsignal/server/status/statustest"
)

// TestSwapsUnderLoad: while clients hammer a surface that reads
// hub.Current per request, the loader swaps 50 snapshots in, from a file
// and from a primary's HTTP export. No request fails, and every answer is
// the whole of one snapshot that was set (none torn), each of them served.
func TestSwapsUnderLoad(t *testing.T) {
	for _, kind := range []string{"file", "http"} {
		t.Run(kind, func(t *testing.T) { testSwapsUnderLoad(t, kind) })
	}
}

func testSwapsUnderLoad(t *testing.T, kind string) {
	const swaps, clients = 50, 4
	snaps := smallFleet(swaps)
	allowed := make(map[string]int, len(snaps)) // a snapshot's rendering → its index
	for i, s := range snaps {
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		allowed[string(b)] = i
	}

	var source string
	var publishAt func(i int)
	switch kind {
	case "file":
		source = filepath.Join(t.TempDir(), "status-export.json")
		publishAt = func(i int) { writeAtomic(t, source, mustEncode(t, snaps[i])) }
	case "http":
		phub, e, _, url := primary(t)
		source = url
		publishAt = func(i int) { publish(t, phub, e, snaps[i]) }
	}
	hub := status.NewHub()
	l, reg := newLoader(t, LoaderOptions{Source: source, Hub: hub, Interval: 2 * time.Millisecond})
	isCurrent := func(i int) func() bool {
		return func() bool { return hub.Current().Generated.Equal(snaps[i].Generated) }
	}
	publishAt(0)
	run(t, l.Run)
	waitFor(t, "the first load", isCurrent(0))

	// A stand-in for the real surfaces: the JSON of the current snapshot.
	surface := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := json.Marshal(hub.Current())
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
	}))
	defer surface.Close()

	var (
		answered atomic.Int64
		mu       sync.Mutex
		failures []string
		seen     = map[int]bool{}
		stop     = make(chan struct{})
		wg       sync.WaitGroup
	)
	fail := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		failures = append(failures, fmt.Sprintf(format, args...))
	}
	client := surface.Client()
	for range clients {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := client.Get(surface.URL)
				if err != nil {
					fail("GET: %v", err)
					continue
				}
				b, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				i, ok := allowed[string(b)]
				switch {
				case err != nil:
					fail("reading: %v", err)
				case resp.StatusCode != http.StatusOK:
					fail("%s", resp.Status)
				case !ok:
					fail("an answer of %d bytes that is no snapshot set", len(b))
				default:
					mu.Lock()
					seen[i] = true
					mu.Unlock()
				}
				answered.Add(1)
			}
		})
	}
	for i := 1; i <= swaps; i++ {
		publishAt(i)
		waitFor(t, fmt.Sprintf("swap %d", i), isCurrent(i))
		// Each client finishes one request begun before the swap and one
		// begun after it, before the next swap.
		n := answered.Load()
		waitFor(t, "requests across the swap", func() bool { return answered.Load() >= n+2*clients })
	}
	close(stop)
	wg.Wait()

	if len(failures) > 0 {
		t.Fatalf("%d of %d requests failed; first: %v", len(failures), answered.Load(), failures[:min(5, len(failures))])
	}
	for i := 1; i <= swaps; i++ {
		if !seen[i] {
			t.Errorf("snapshot %d was never served", i)
		}
	}
	m := gather(t, reg)
	if m["mirrorsignal_replica_loads_total"] != swaps+1 {
		t.Errorf("%v loads, want %d", m["mirrorsignal_replica_loads_total"], swaps+1)
	}
	for _, r := range []string{reasonFetch, reasonInvalid, reasonOlder, reasonFuture} {
		if n := m[`mirrorsignal_replica_load_errors_total{reason="`+r+`"}`]; n != 0 {
			t.Errorf("%v load errors (%s)", n, r)
		}
	}
	t.Logf("%s: %d requests during %d swaps", kind, answered.Load(), swaps)
}

// TestAtomicFileNeverReadTorn: a loader polling as fast as it can while
// the file is replaced atomically, again and again, reads each time the
// old export or the new one, whole: it refuses none, and loads only
// snapshots that were written, in order.
func TestAtomicFileNeverReadTorn(t *testing.T) {
	const writes = 60
	var encoded [][]byte
	gens := map[time.Time]int{}
	for i := 0; i <= writes; i++ {
		s := statustest.Fleet(statustest.Options{Mirrors: 10, Now: base.Add(time.Duration(i) * time.Second), Seed: uint64(i)})
		encoded = append(encoded, mustEncode(t, s))
		gens[s.Generated] = i
	}
	path := filepath.Join(t.TempDir(), "status-export.json")
	writeAtomic(t, path, encoded[0])
	hub := status.NewHub()
	var loads []int
	hub.Subscribe(status.SubscriberFunc(func(s *status.Snapshot) {
		if s.Signal.Loaded {
			loads = append(loads, gens[s.Generated]) // on the polling goroutine
		}
	}))
	l, reg := newLoader(t, LoaderOptions{Source: path, Hub: hub})

	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 1; i <= writes; i++ {
			writeAtomic(t, path, encoded[i])
		}
	}()
	ctx := context.Background()
	polls := 0
	for finished := false; !finished; polls++ {
		select {
		case <-done:
			finished = true
		default:
		}
		if err := l.poll(ctx); err != nil {
			t.Fatalf("poll %d: %v", polls, err)
		}
	}
	if last := loads[len(loads)-1]; last != writes {
		t.Fatalf("the last load is write %d, want %d", last, writes)
	}
	for i := 1; i < len(loads); i++ {
		if loads[i] <= loads[i-1] {
			t.Fatalf("loads out of order: %v", loads)
		}
	}
	m := gather(t, reg)
	if m[`mirrorsignal_replica_load_errors_total{reason="invalid"}`] != 0 || m["mirrorsignal_replica_loads_total"] != float64(len(loads)) {
		t.Fatalf("metrics %v", m)
	}
	t.Logf("%d polls loaded %d of %d writes", polls, len(loads), writes+1)
}
