package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/adminclient"
	"github.com/mirrorsignal/mirrorsignal/server/api/apiv1"
	"github.com/mirrorsignal/mirrorsignal/server/dnsharness"
	"github.com/mirrorsignal/mirrorsignal/signal/testtool"
)

// binDir holds signald and signalctl built once for the end-to-end tests.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "signald-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out, err := exec.Command("go", "build", "-o", dir+"/", "../signald", "../signalctl", "../mirror-agent").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type instance struct {
	dir, cfg   string
	dns, http  string
	cmd        *exec.Cmd
	stderr     *testtool.Buffer // signald's log, written while it runs
	httpClient *http.Client
	replica    bool // role = "mirrorlist"
}

func newInstance(t *testing.T) *instance {
	t.Helper()
	dir := t.TempDir()
	in := &instance{
		dir:        dir,
		cfg:        filepath.Join(dir, "signald.toml"),
		dns:        fmt.Sprintf("127.0.0.1:%d", dnsharness.FreePort(t)),
		http:       fmt.Sprintf("127.0.0.1:%d", dnsharness.FreePort(t)),
		httpClient: &http.Client{Timeout: 5 * time.Second},
	}
	cfg := fmt.Sprintf(`state_dir = %q
[zone]
origin = "mirrors.example.test."
[[zone.ns]]
name = "ns1.mirrors.example.test."
addresses = ["127.0.0.1"]
[[trees]]
name = "content"
[[trees]]
name = "altarch"
[[trees]]
name = "vault"
[dns]
listen = %q
[http]
listen = %q
`, filepath.Join(dir, "var"), in.dns, in.http)
	if err := os.WriteFile(in.cfg, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return in
}

func (in *instance) start(t *testing.T) {
	t.Helper()
	in.stderr = new(testtool.Buffer)
	in.cmd = exec.Command(filepath.Join(binDir, "signald"), "-config", in.cfg)
	in.cmd.Stderr = in.stderr
	if err := in.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.kill() })
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := in.httpClient.Get("http://" + in.http + "/healthz")
		if err == nil {
			resp.Body.Close()
			if in.replica || in.serial(t) != 0 { // a replica serves no DNS
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("signald did not come up: %s", in.stderr)
}

func (in *instance) kill() {
	if in.cmd != nil && in.cmd.Process != nil {
		in.cmd.Process.Signal(syscall.SIGKILL)
		in.cmd.Wait()
		in.cmd = nil
	}
}

// serial asks the SOA serial with dig; 0 when no answer.
func (in *instance) serial(t *testing.T) uint32 {
	out := in.dig(t, "mirrors.example.test.", "SOA")
	f := strings.Fields(out)
	if len(f) < 3 {
		return 0
	}
	v, _ := strconv.ParseUint(f[2], 10, 32)
	return uint32(v)
}

func (in *instance) dig(t *testing.T, name, qtype string) string {
	t.Helper()
	host, port, _ := net.SplitHostPort(in.dns)
	dig := testtool.Path(t, "dig")
	out, _ := exec.Command(dig, "@"+host, "-p", port, "+short", "+time=1", "+tries=1", name, qtype).Output()
	return strings.TrimSpace(string(out))
}

func (in *instance) signalctl(args ...string) (string, error) {
	out, err := exec.Command(filepath.Join(binDir, "signalctl"), args...).CombinedOutput()
	return string(out), err
}

func TestPublishSeenByDig(t *testing.T) {
	testtool.Path(t, "dig")
	in := newInstance(t)
	in.start(t)
	if got := in.dig(t, "current.mirrors.example.test.", "TXT"); got != `"0:0:0"` {
		t.Fatalf("initial signal = %s", got)
	}
	if got := in.dig(t, "_trees.current.mirrors.example.test.", "TXT"); got != `"content:altarch:vault"` {
		t.Fatalf("_trees = %s", got)
	}
	stamp := time.Now().Unix() - 60
	start := time.Now()
	out, err := in.signalctl("publish", "content", "--at", strconv.FormatInt(stamp, 10), "--config", in.cfg)
	if err != nil {
		t.Fatalf("signalctl publish: %v\n%s", err, out)
	}
	want := fmt.Sprintf(`"%d:0:0"`, stamp)
	for {
		got := in.dig(t, "current.mirrors.example.test.", "TXT")
		if got == want {
			break
		}
		if time.Since(start) > time.Second {
			t.Fatalf("dig saw %s a second after publishing, want %s", got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("publish seen by dig after %s", time.Since(start))

	out, err = in.signalctl("query", "--server", in.dns, "--name", "current.mirrors.example.test")
	if err != nil || !strings.Contains(out, strconv.FormatInt(stamp, 10)) || !strings.Contains(out, "never published") {
		t.Fatalf("signalctl query: %v\n%s", err, out)
	}
}

func TestPublishRefusals(t *testing.T) {
	testtool.Path(t, "dig")
	in := newInstance(t)
	in.start(t)
	good := strconv.FormatInt(time.Now().Unix()-10, 10)
	if out, err := in.signalctl("publish", "vault", "--at", good, "--config", in.cfg); err != nil {
		t.Fatalf("publish: %v\n%s", err, out)
	}
	before := in.dig(t, "current.mirrors.example.test.", "TXT")
	serial := in.serial(t)
	badToken := filepath.Join(in.dir, "bad.token")
	os.WriteFile(badToken, []byte("not-the-token-at-all\n"), 0o600)
	tests := []struct {
		name     string
		args     []string
		code     int
		contains string
	}{
		{"unknown tree", []string{"publish", "isos", "--config", in.cfg}, 1, "unknown tree"},
		{"garbage epoch", []string{"publish", "content", "--at", "tomorrow", "--config", in.cfg}, 2, "not a positive Unix time"},
		{"far future", []string{"publish", "content", "--at", strconv.FormatInt(time.Now().Unix()+86400, 10), "--config", in.cfg}, 1, "future"},
		{"backwards", []string{"publish", "vault", "--at", "1500000000", "--config", in.cfg}, 1, "backwards"},
		{"bad token", []string{"publish", "content", "--config", in.cfg, "--token-file", badToken}, 1, "token"},
		{"no tree", []string{"publish", "--config", in.cfg}, 2, "exactly one TREE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := in.signalctl(tt.args...)
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			}
			if code != tt.code || !strings.Contains(out, tt.contains) {
				t.Fatalf("exit %d, output %q; want exit %d containing %q", code, out, tt.code, tt.contains)
			}
		})
	}
	if after := in.dig(t, "current.mirrors.example.test.", "TXT"); after != before || in.serial(t) != serial {
		t.Fatalf("a refused publish changed the zone: %s -> %s", before, after)
	}
}

// TestKill9 publishes in a loop, kills signald with SIGKILL at random
// moments, restarts it and checks that the serial is above every serial
// served before and that no tree went backwards from what was acknowledged
// or served.
func TestKill9(t *testing.T) {
	testtool.Path(t, "dig")
	in := newInstance(t)
	rng := rand.New(rand.NewPCG(1, 2))
	var maxServed uint32
	acked := map[string]int64{}
	stamp := time.Now().Unix() - 100000
	trees := []string{"content", "altarch", "vault"}
	const rounds = 12
	for round := range rounds {
		in.start(t)
		if s := in.serial(t); s <= maxServed {
			t.Fatalf("round %d: serial %d after restart, served %d before", round, s, maxServed)
		}
		checkNotBehind(t, in, round, acked)
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		var mu sync.Mutex
		roundAcks := 0 // publishes acknowledged in this round
		wg.Add(2)
		go func() { // publisher
			defer wg.Done()
			for i := 0; ctx.Err() == nil && i < 10000; i++ {
				mu.Lock()
				stamp++
				tree, at := trees[i%3], stamp
				mu.Unlock()
				if in.publish(ctx, tree, at) == nil {
					mu.Lock()
					roundAcks++
					acked[tree] = max(acked[tree], at)
					mu.Unlock()
				}
			}
		}()
		go func() { // observer of served serials
			defer wg.Done()
			for ctx.Err() == nil {
				if s := in.serial(t); s != 0 {
					mu.Lock()
					maxServed = max(maxServed, s)
					mu.Unlock()
				}
			}
		}()
		time.Sleep(time.Duration(20+rng.IntN(400)) * time.Millisecond)
		// Kill only once something was acknowledged in this round, or
		// the durability check below has nothing to hold signald to.
		if !waitFor(10*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return roundAcks > 0 }) {
			t.Fatalf("round %d: no publish acknowledged before the kill; log:\n%s", round, in.stderr)
		}
		in.kill()
		cancel()
		wg.Wait()
	}
	in.start(t)
	if s := in.serial(t); s <= maxServed {
		t.Fatalf("final serial %d, served %d before", s, maxServed)
	}
	checkNotBehind(t, in, rounds, acked)
	if len(acked) != len(trees) {
		t.Fatalf("acknowledged publishes of %v only, want every tree", acked)
	}
	t.Logf("%d kill -9 rounds; max served serial %d; acknowledged %v", rounds, maxServed, acked)
}

func checkNotBehind(t *testing.T, in *instance, round int, acked map[string]int64) {
	t.Helper()
	resp, err := in.httpClient.Get("http://" + in.http + "/api/v1/signal")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var sig struct {
		Published map[string]struct{ Stamp int64 } `json:"published"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&sig); err != nil {
		t.Fatal(err)
	}
	for tree, v := range acked {
		if got := sig.Published[tree].Stamp; got < v {
			t.Fatalf("round %d: %s at %d after restart, %d was acknowledged", round, tree, got, v)
		}
	}
}

func (in *instance) publish(ctx context.Context, tree string, at int64) error {
	_, err := adminclient.Socket(filepath.Join(in.dir, "var", "admin.sock")).Publish(ctx, apiv1.PublishRequest{Tree: tree, At: at})
	return err
}
