package pass

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/mirrorsignal/mirrorsignal/signal"
)

// TestReadTimeFileSize: a TIME file of up to signal.MaxTimeFileSize bytes
// is read; a longer one is unusable even when its first line is a good
// stamp (it is not a TIME file), so the tree counts as never synced.
func TestReadTimeFileSize(t *testing.T) {
	stamp := int64(1_800_000_000)
	line := signal.FormatTimeFile(stamp)
	tests := []struct {
		name string
		size int
		ok   bool
	}{
		{"just the stamp", len(line), true},
		{"at the limit", signal.MaxTimeFileSize, true},
		{"one byte over", signal.MaxTimeFileSize + 1, false},
		{"far over", 4 * signal.MaxTimeFileSize, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			data := append(bytes.Clone(line), bytes.Repeat([]byte("#"), tc.size-len(line))...)
			if err := os.WriteFile(filepath.Join(dir, "TIME"), data, 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := ReadTimeFile(dir, "TIME")
			if tc.ok && (err != nil || got != stamp) {
				t.Fatalf("%d bytes: %d, %v; want %d", tc.size, got, err, stamp)
			}
			if !tc.ok && (!errors.Is(err, signal.ErrTimeFile) || got != 0) {
				t.Fatalf("%d bytes: %d, %v; want unusable", tc.size, got, err)
			}
		})
	}
}
