package checkbench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"

	"github.com/mirrorsignal/mirrorsignal/signal/testtool"
)

// childEnv makes the test binary the checker child (see TestMain).
const childEnv = "CHECKBENCH_TEST_CHILD=1"

// TestMain runs the checker child when Run starts this binary as one.
func TestMain(m *testing.M) {
	if os.Getenv("CHECKBENCH_TEST_CHILD") == "1" && len(os.Args) > 1 && os.Args[1] == "child" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		err := Child(ctx, os.Args[2:], os.Stdout, os.Stderr)
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestRunEndToEnd runs the harness as make bench-checker does, on a tiny
// fleet: one round of mirmon (as root, with the names in /etc/hosts) and
// of the checker over 10 mirrors, one of them behind, and the memory
// measure over 20 mirrors × 3 trees on a 2 s schedule. mirmon alone takes
// about 12 s: it sleeps 10 s once its queue is empty.
func TestRunEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("drives mirmon and the checker for about 15 seconds")
	}
	o := Options{Sizes: []int{10}, Rounds: 1, MaxProbes: DefaultMaxProbes, Concurrency: 64, PerHost: 2,
		Timeout: 2 * time.Second, MemoryMirrors: 20, MemoryInterval: 2 * time.Second,
		Self: []string{os.Args[0]}, SelfEnv: []string{childEnv}}
	var before []byte
	if os.Geteuid() == 0 {
		paths := testtool.Require(t, "mirmon", "wget")
		o.Mirmon, o.Hosts = paths[0], "/etc/hosts"
		before, _ = os.ReadFile(o.Hosts)
	} else {
		t.Log("not root: mirmon needs the mirrors' names in /etc/hosts; measuring the checker alone")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := Run(ctx, o, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o.Hosts != "" {
		if after, _ := os.ReadFile(o.Hosts); !bytes.Equal(after, before) {
			t.Errorf("%s not restored:\n%s\nwas:\n%s", o.Hosts, after, before)
		}
	}
	if len(r.Summary) != 1 {
		t.Fatalf("summary: %+v", r.Summary)
	}
	s := r.Summary[0]
	if s.Mirrors != 10 || s.CheckerOK != 10 || s.CheckerBehind != 1 || s.CheckerWallS <= 0 || s.CheckerCPUS <= 0 {
		t.Errorf("checker round: %+v", s)
	}
	if o.Mirmon != "" && (s.MirmonOK != 10 || s.MirmonWallS <= s.CheckerWallS || s.WallRatio <= 1 || s.MirmonCPUS <= 0) {
		t.Errorf("mirmon round: %+v", s)
	}
	m := r.Memory
	if m == nil || m.Mirrors != 20 || m.Probes < 60 || m.PlannedPerMin != 60*30 || m.RSSMiB <= 0 || m.HeapInuseMiB <= 0 {
		t.Errorf("memory: %+v", m)
	}
	var table bytes.Buffer
	if err := r.WriteTable(&table); err != nil || !bytes.Contains(table.Bytes(), []byte("| 20 × 3 |")) {
		t.Errorf("table (%v):\n%s", err, table.String())
	}
}
