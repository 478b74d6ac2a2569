package state

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestDeleteBaselineCompatible: a file written before delete_baseline
// existed loads with no baseline; a baseline survives Save and Load, and a
// cleared one is left out of the file, which older agents then read as
// before.
func TestDeleteBaselineCompatible(t *testing.T) {
	old := `{"version":1,"lock_busy_since":1800000000,"trees":{"content":{"last_success":1799990000,"stamp":1799989000}}}`
	s, err := parse([]byte(old), "state.json")
	if err != nil {
		t.Fatal(err)
	}
	if tr := s.Tree("content"); tr.DeleteBaseline != 0 || tr.LastSuccess != 1_799_990_000 || s.LockBusySince != 1_800_000_000 {
		t.Fatalf("old file read as %+v, tree %+v", s, tr)
	}
	path := filepath.Join(t.TempDir(), "state.json")
	s.Tree("content").DeleteBaseline = 12
	if err := Save(path, s); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil || got.Tree("content").DeleteBaseline != 12 {
		t.Fatalf("reloaded %+v, %v", got.Tree("content"), err)
	}
	got.Tree("content").DeleteBaseline = 0
	data, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "delete_baseline") {
		t.Fatalf("a cleared baseline is still written: %s", data)
	}
}
