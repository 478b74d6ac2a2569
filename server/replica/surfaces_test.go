package replica_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/api"
	"github.com/mirrorsignal/mirrorsignal/server/httpserve"
	"github.com/mirrorsignal/mirrorsignal/server/mirrorlist"
	"github.com/mirrorsignal/mirrorsignal/server/replica"
	"github.com/mirrorsignal/mirrorsignal/server/status"
	"github.com/mirrorsignal/mirrorsignal/server/status/statustest"
	"github.com/mirrorsignal/mirrorsignal/server/web"
	"github.com/mirrorsignal/mirrorsignal/signal/atomicfile"
)

// TestRealSurfacesDuringSwaps: the real status page, JSON API, mirrorlist
// and metalink of a replica answer every request while its loader swaps
// in 50 snapshots one after another.
func TestRealSurfacesDuringSwaps(t *testing.T) {
	const swaps, clients = 50, 4
	t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	var exports [][]byte
	var generated []time.Time
	for i := range swaps {
		s := statustest.Fleet(statustest.Options{Mirrors: 12, Now: t0.Add(time.Duration(i) * time.Minute), Seed: uint64(i)})
		b, err := status.Encode(s)
		if err != nil {
			t.Fatal(err)
		}
		exports, generated = append(exports, b), append(generated, s.Generated)
	}
	file := filepath.Join(t.TempDir(), "status-export.json")
	if err := atomicfile.Write(file, exports[0], 0o644); err != nil {
		t.Fatal(err)
	}
	hub := status.NewHub()
	l, err := replica.NewLoader(replica.LoaderOptions{Source: file, Hub: hub, Interval: 5 * time.Millisecond,
		Now: func() time.Time { return t0.Add(time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	defer func() { cancel(); <-done }()

	waitLoaded := func(i int) {
		deadline := time.Now().Add(10 * time.Second)
		for !hub.Current().Generated.Equal(generated[i]) {
			if time.Now().After(deadline) {
				t.Fatalf("swap %d never loaded", i)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitLoaded(0) // before it, the replica has nothing to serve

	ml, err := mirrorlist.New(mirrorlist.Options{Source: hub, Now: func() time.Time { return t0.Add(time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	hub.Subscribe(ml)
	srv := httptest.NewServer(httpserve.Mux(web.New(web.Options{Status: hub}), api.NewStatus(hub), ml))
	defer srv.Close()
	paths := []string{"/", "/api/v1/mirrors", "/api/v1/events", "/mirrorlist?repo=baseos-9&arch=x86_64&country=DE", "/metalink?repo=baseos-9&arch=x86_64"}

	var (
		mu       sync.Mutex
		failures []string
		answered int
		wg       sync.WaitGroup
	)
	stop := make(chan struct{})
	for c := range clients {
		wg.Go(func() {
			for i := c; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				p := paths[i%len(paths)]
				resp, err := srv.Client().Get(srv.URL + p)
				mu.Lock()
				switch {
				case err != nil:
					failures = append(failures, fmt.Sprintf("%s: %v", p, err))
				case resp.StatusCode != http.StatusOK:
					failures = append(failures, fmt.Sprintf("%s: %d", p, resp.StatusCode))
				default:
					answered++
				}
				mu.Unlock()
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}
		})
	}
	for i := 1; i < swaps; i++ {
		if err := atomicfile.Write(file, exports[i], 0o644); err != nil {
			t.Fatal(err)
		}
		waitLoaded(i)
		time.Sleep(20 * time.Millisecond) // requests on this snapshot
	}
	close(stop)
	wg.Wait()
	if len(failures) > 0 || answered < swaps {
		t.Fatalf("%d answered, %d failed: %v", answered, len(failures), failures[:min(len(failures), 10)])
	}
}
