package fleet

import (
	"strings"
	"testing"
	"time"
)

const sampleLog = `{"time":"2025-01-02T03:04:05.100Z","level":"INFO","msg":"daemon started","component":"daemon","interval_seconds":10}
{"time":"2025-01-02T03:04:06Z","level":"INFO","msg":"up to date","signal":"1700000000","server":"127.0.0.1:5353"}
not json at all
{"time":"2025-01-02T03:04:16.000Z","level":"INFO","msg":"syncing","tree":"content","reason":"behind","local":1700000000,"signal":1735787040}
{"time":"2025-01-02T03:04:16.050Z","level":"INFO","msg":"pre-flight passed","tree":"content","source":"rsync://127.0.1.1:1/content/","source_time":1735787040,"need":1735787040}
{"time":"2025-01-02T03:04:16.060Z","level":"INFO","msg":"rsync start","source":"rsync://127.0.1.1:1/content/","stage":"full"}
{"time":"2025-01-02T03:04:16.360Z","level":"INFO","msg":"rsync done","source":"rsync://127.0.1.1:1/content/","stage":"full","seconds":0.3}
{"time":"2025-01-02T03:04:16.370Z","level":"INFO","msg":"tree synced","tree":"content","source":"rsync://127.0.1.1:1/content/","local":1735787040}
`

func TestParseAgentLog(t *testing.T) {
	syncs, err := ParseAgentLog(strings.NewReader(sampleLog))
	if err != nil {
		t.Fatal(err)
	}
	if len(syncs) != 1 {
		t.Fatalf("%d syncs, want 1: %+v", len(syncs), syncs)
	}
	s := syncs[0]
	at := func(v string) time.Time { tm, _ := time.Parse(time.RFC3339Nano, v); return tm }
	if s.Signal != 1735787040 || s.Local != 1735787040 || s.RsyncSeconds != 0.3 ||
		!s.Decided.Equal(at("2025-01-02T03:04:16Z")) || !s.RsyncStart.Equal(at("2025-01-02T03:04:16.060Z")) ||
		!s.RsyncDone.Equal(at("2025-01-02T03:04:16.360Z")) || !s.Synced.Equal(at("2025-01-02T03:04:16.370Z")) {
		t.Fatalf("parsed %+v", s)
	}
	if _, ok := syncOf(syncs, 1735787041); ok {
		t.Fatal("a sync to an older stamp counted for a newer one")
	}
	if got, ok := syncOf(syncs, 1735787040); !ok || got != s {
		t.Fatalf("syncOf: %+v %v", got, ok)
	}
}

func TestParseAgentLogFailedSync(t *testing.T) {
	log := `{"time":"2025-01-02T03:04:16Z","msg":"syncing","signal":5,"local":1}
{"time":"2025-01-02T03:04:17Z","msg":"tree not synced","err":"rsync failed"}
`
	syncs, err := ParseAgentLog(strings.NewReader(log))
	if err != nil || len(syncs) != 1 || syncs[0].Local != 0 {
		t.Fatalf("%+v %v", syncs, err)
	}
	if _, ok := syncOf(syncs, 5); ok {
		t.Fatal("a failed sync counted")
	}
}

func TestParseAgentLogLongLine(t *testing.T) {
	if _, err := ParseAgentLog(strings.NewReader(strings.Repeat("x", maxLogLine+10))); err == nil {
		t.Fatal("a line over the limit was read")
	}
}

func FuzzParseAgentLog(f *testing.F) {
	f.Add(sampleLog)
	f.Add(`{"msg":"rsync done","seconds":1e308}` + "\n" + `{"msg":"syncing","signal":-1}`)
	f.Fuzz(func(t *testing.T, data string) {
		syncs, _ := ParseAgentLog(strings.NewReader(data))
		for _, s := range syncs {
			if s.Local != 0 && s.Synced.IsZero() {
				t.Fatalf("a local stamp without the line that gives it: %+v", s)
			}
		}
	})
}
