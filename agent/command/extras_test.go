package command

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mirrorsignal/mirrorsignal/agent/advice"
	"github.com/mirrorsignal/mirrorsignal/agent/checkin"
	"github.com/mirrorsignal/mirrorsignal/agent/schedule"
)

func TestAdviceAndCheckin(t *testing.T) {
	w := newWorld(t, "near", "stale")
	w.writeTree(w.upstream["near"], w.stamps["content"])
	w.writeTree(w.upstream["stale"], w.stamps["content"]-60)
	w.syncLocal("altarch")
	w.syncLocal("vault")
	pub, priv, _ := ed25519.GenerateKey(nil)
	_, otherPriv, _ := ed25519.GenerateKey(nil)
	signer := priv
	adviceSrv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		now := time.Now().Unix()
		a := advice.Sign(signer, advice.Advice{Tree: r.URL.Query().Get("tree"), Signal: w.stamps["content"], Issued: now, Expires: now + 600,
			Sources: []string{w.rsyncd.URL("near")}})
		json.NewEncoder(rw).Encode(a)
	}))
	defer adviceSrv.Close()
	var mu sync.Mutex
	var reports []checkin.Report
	checkinSrv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := checkin.Verify([]byte("s3cret"), r.Header.Get(checkin.HeaderTimestamp), body, r.Header.Get(checkin.HeaderSignature), time.Now(), checkin.MaxSkew); err != nil {
			http.Error(rw, err.Error(), http.StatusUnauthorized)
			return
		}
		var rep checkin.Report
		json.Unmarshal(body, &rep)
		mu.Lock()
		reports = append(reports, rep)
		mu.Unlock()
	}))
	defer checkinSrv.Close()
	extra := fmt.Sprintf("[checkin]\nurl = %q\ntoken = \"s3cret\"\n[sync_sources]\nurl = %q\npublic_key = %q\nallow = [\"127.0.0.1\"]\n",
		checkinSrv.URL, adviceSrv.URL, base64.StdEncoding.EncodeToString(pub))
	staleCfg := cfg{extra: extra, sources: map[string]string{"content": fmt.Sprintf("[%q]", w.rsyncd.URL("stale"))}}

	r := w.run("trigger", "-config", w.config(staleCfg))
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if got := w.modules(); !slices.Equal(got, []string{"near"}) {
		t.Fatalf("sources used %v, want the advised one", got)
	}
	if len(reports) != 1 || reports[0].Mirror != "mirror1.test" || reports[0].Trees["content"] != w.stamps["content"] {
		t.Fatalf("check-ins %+v", reports)
	}

	// Advice signed by another key is ignored: the configured (stale) source is used.
	signer = otherPriv
	w.stamps["content"] += 60
	w.writeTree(w.upstream["near"], w.stamps["content"])
	w.publish()
	r = w.run("trigger", "-config", w.config(staleCfg))
	if r.code != 5 {
		t.Fatalf("exit %d, want 5 from the stale configured source: %s", r.code, r.stderr)
	}
	if got := w.modules(); !slices.Equal(got, []string{"near"}) { // stale: refused by the pre-flight, never synced from
		t.Fatalf("sources used %v", got)
	}
}

// fakeClock records sleeps and never waits; it stops the daemon after n.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
	stopAt int
	cancel context.CancelFunc
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	if len(c.sleeps) >= c.stopAt && c.cancel != nil {
		c.cancel()
	}
	c.mu.Unlock()
	return ctx.Err()
}

func TestRunSleepsInjectedJitter(t *testing.T) {
	w := newWorld(t)
	for _, tree := range layout {
		w.syncLocal(tree)
	}
	path := w.config(cfg{extra: ""})
	// jitter is "0s" in the test config; set it through a second file.
	clock := &fakeClock{now: time.Now(), stopAt: 1 << 30}
	r := runWith(context.Background(), clock, "run", "-config", w.configWithJitter(path, "10m"))
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	want := schedule.Jitter(newTestRand(), 10*time.Minute)
	if len(clock.sleeps) != 1 || clock.sleeps[0] != want {
		t.Fatalf("sleeps %v, want [%s] drawn from the injected source", clock.sleeps, want)
	}
}

func TestDaemonLoopsOnTheInjectedClock(t *testing.T) {
	w := newWorld(t)
	for _, tree := range layout {
		w.syncLocal(tree)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clock := &fakeClock{now: time.Now(), stopAt: 5, cancel: cancel}
	r := runWith(ctx, clock, "daemon", "-config", w.configWithJitter(w.config(cfg{}), "1m"))
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	// jitter, then (interval, jitter) after each pass.
	if len(clock.sleeps) != 5 || clock.sleeps[1] != 15*time.Minute || clock.sleeps[3] != 15*time.Minute {
		t.Fatalf("sleeps %v", clock.sleeps)
	}
	for _, i := range []int{0, 2, 4} {
		if d := clock.sleeps[i]; d < 0 || d > time.Minute {
			t.Errorf("jitter %s outside [0, 1m]", d)
		}
	}
}
