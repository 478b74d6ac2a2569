package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func open(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestPublishAndReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "signald.db")
	s := open(t, path)
	now := time.Unix(1_800_000_000, 0)
	ev, err := s.Publish(ctx, "content", 1_700_000_000, false, now)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Serial != 1_800_000_000 || ev.Previous != 0 || ev.ID != 1 {
		t.Fatalf("event = %+v", ev)
	}
	ev2, err := s.Publish(ctx, "content", 1_700_000_100, false, now)
	if err != nil {
		t.Fatal(err)
	}
	if ev2.Serial != ev.Serial+1 || ev2.Previous != 1_700_000_000 {
		t.Fatalf("second event = %+v, want serial %d", ev2, ev.Serial+1)
	}
	if _, err := s.Publish(ctx, "content", 1_600_000_000, false, now); !errors.Is(err, ErrBackwards) {
		t.Fatalf("backwards publish: err = %v", err)
	}
	if _, err := s.Publish(ctx, "content", 1_600_000_000, true, now); err != nil {
		t.Fatalf("forced publish: %v", err)
	}
	s.Close()

	s = open(t, path)
	st, err := s.State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Stamps["content"] != 1_600_000_000 || st.Serial != ev.Serial+2 {
		t.Fatalf("state after reopen = %+v", st)
	}
	evs, err := s.Events(ctx, 10)
	if err != nil || len(evs) != 3 || !evs[0].Forced || evs[0].Previous != 1_700_000_100 {
		t.Fatalf("events = %+v, %v", evs, err)
	}
	got, err := s.BumpSerial(ctx, now)
	if err != nil || got != st.Serial+1 {
		t.Fatalf("BumpSerial = %d, %v; want %d", got, err, st.Serial+1)
	}
	later, err := s.BumpSerial(ctx, now.Add(time.Hour))
	if err != nil || later != uint32(now.Add(time.Hour).Unix()) {
		t.Fatalf("BumpSerial after an hour = %d, %v", later, err)
	}
}

func TestCorruptStoreRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "signald.db")
	s := open(t, path)
	for i := range 50 {
		if _, err := s.Publish(context.Background(), "content", 1_700_000_000+int64(i), false, time.Unix(1_800_000_000, 0)); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	for _, suffix := range []string{"-wal", "-shm"} {
		os.Remove(path + suffix)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := 100; i < len(data); i += 7 {
		data[i] ^= 0x5a
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(context.Background(), path)
	if err == nil {
		s2.Close()
		t.Fatal("opened a corrupt store")
	}
	t.Logf("corrupt store: %v", err)
}

func TestNextSerial(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	tests := []struct {
		name string
		prev uint32
		want uint32
	}{
		{"fresh", 0, 1_800_000_000},
		{"clock behind serial", 1_900_000_000, 1_900_000_001},
		{"equal", 1_800_000_000, 1_800_000_001},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := nextSerial(tt.prev, now); got != tt.want {
				t.Fatalf("nextSerial(%d) = %d, want %d", tt.prev, got, tt.want)
			}
		})
	}
}

// TestReplacedStoreRefused: a database emptied or replaced after it held
// state is refused, not served as "never published".
func TestReplacedStoreRefused(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "signald.db")
	s := open(t, path)
	if _, err := s.BumpSerial(ctx, time.Unix(1_800_000_000, 0)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(path + suffix)
	}
	if err := os.WriteFile(path, nil, 0o600); err != nil { // truncated to nothing
		t.Fatal(err)
	}
	s2, err := Open(ctx, path)
	if !errors.Is(err, ErrCorrupt) {
		if s2 != nil {
			s2.Close()
		}
		t.Fatalf("opened an emptied store: err = %v", err)
	}
	t.Logf("emptied store: %v", err)
}
