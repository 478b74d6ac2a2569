package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mirrorsignal/mirrorsignal/signal/testtool"
)

const stats = `
Number of files: 50,101 (reg: 50,000, dir: 101)
Number of created files: 0
Total file size: 12,800,000 bytes
Total transferred file size: 0 bytes
File list size: 932,668
Total bytes sent: 316
Total bytes received: 932,779

sent 316 bytes  received 932,779 bytes  622,063.33 bytes/sec
`

func TestParseStats(t *testing.T) {
	sent, recv, err := ParseStats([]byte(stats))
	if err != nil || sent != 316 || recv != 932779 {
		t.Fatalf("ParseStats = %d, %d, %v", sent, recv, err)
	}
	for _, bad := range []string{
		"",
		"Total bytes sent: 316\n",
		"Total bytes received: 12\n",
		"Total bytes sent: -3\nTotal bytes received: 1\n",
		"Total bytes sent: 1e3\nTotal bytes received: 1\n",
		"Total bytes sent: \nTotal bytes received: 1\n",
		"Total bytes sent: 99999999999999999999\nTotal bytes received: 1\n",
	} {
		if _, _, err := ParseStats([]byte(bad)); err == nil {
			t.Errorf("ParseStats(%q) accepted", bad)
		}
	}
}

func FuzzParseStats(f *testing.F) {
	f.Add([]byte(stats))
	f.Add([]byte("Total bytes sent: 1.234\nTotal bytes received: 5\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sent, recv, err := ParseStats(data)
		if err == nil && (sent < 0 || recv < 0) {
			t.Fatalf("negative counts %d, %d", sent, recv)
		}
	})
}

// A small run against the real signald and rsync daemon: the idle poll is
// a signed answer well under the goal, the no-op rsync costs more than
// the poll and less than the first sync, and the JSON is written.
func TestRunSmallTree(t *testing.T) {
	testtool.Require(t, "rsync")
	out := filepath.Join(t.TempDir(), "idle.json")
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"-files", "600", "-rounds", "2", "-out", out}, &stdout, &stderr, time.Now)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	var r Report
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	poll := r.DNS[0]
	if !poll.Signed || poll.SentBytes < 40 || poll.RecvBytes <= poll.SentBytes || r.PollBytes != int64(poll.Total) {
		t.Errorf("poll %+v", poll)
	}
	if fields := strings.Split(poll.Answer, ":"); len(fields) != 3 || len(fields[0]) != 10 {
		t.Errorf("answer %q: want three published ten-digit stamps", poll.Answer)
	}
	if unsigned := r.DNS[1]; unsigned.RecvBytes >= poll.RecvBytes {
		t.Errorf("the answer without DO (%d B) is not smaller than the signed one (%d B)", unsigned.RecvBytes, poll.RecvBytes)
	}
	if !r.GoalMet || r.PollBytes > GoalBytes {
		t.Errorf("idle poll %d B, goal %d", r.PollBytes, GoalBytes)
	}
	if len(r.RsyncNoop) != 2 || r.NoopBytes <= r.PollBytes || r.NoopBytes >= r.RsyncFull.Total {
		t.Errorf("no-op rsync %d B (rounds %d), poll %d B, first sync %d B", r.NoopBytes, len(r.RsyncNoop), r.PollBytes, r.RsyncFull.Total)
	}
	if !strings.Contains(stdout.String(), "| signal TXT, DNSSEC (DO) |") {
		t.Errorf("markdown:\n%s", stdout.String())
	}
}

func TestRunUsage(t *testing.T) {
	for _, args := range [][]string{{"-nope"}, {"x"}, {"-files", "0"}, {"-rounds", "0"}} {
		var stdout, stderr bytes.Buffer
		if code := exitCode(run(context.Background(), args, &stdout, &stderr, time.Now), &stderr); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
}
