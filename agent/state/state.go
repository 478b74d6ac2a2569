// Package state keeps the agent's small state file: per tree the last
// successful sync (for `status` and the max-interval rule) and the delete
// guard's baseline, the last signal seen, and since when the lock has been
// busy. The file is JSON, written atomically (temp file in the same
// directory, fsync, rename, fsync of the directory).
package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/mirrorsignal/mirrorsignal/signal/atomicfile"
)

// Version of the file format.
const Version = 1

// maxSize bounds what Load reads.
const maxSize = 1 << 20

// Tree is what is remembered about one tree. Times are Unix seconds.
type Tree struct {
	FirstSeen   int64  `json:"first_seen,omitempty"`   // first pass that knew the tree
	LastSuccess int64  `json:"last_success,omitempty"` // last sync that completed
	Stamp       int64  `json:"stamp,omitempty"`        // local TIME after that sync
	LastAttempt int64  `json:"last_attempt,omitempty"` // last sync started
	LastError   string `json:"last_error,omitempty"`   // how the last attempt failed, if it did
	// DeleteBaseline is the tree's entry count before the first run that
	// --max-delete refused since the tree last synced; 0 = none. Until the
	// tree syncs, the guard allows only what is left of its share of this.
	DeleteBaseline int `json:"delete_baseline,omitempty"`
}

// State is the whole file.
type State struct {
	Version       int              `json:"version"`
	Signal        string           `json:"signal,omitempty"`          // last valid TXT seen
	SignalSeen    int64            `json:"signal_seen,omitempty"`     // when
	LockBusySince int64            `json:"lock_busy_since,omitempty"` // first pass that found the lock busy; 0 once a pass takes it
	Trees         map[string]*Tree `json:"trees"`
}

// New returns an empty state.
func New() *State { return &State{Version: Version, Trees: map[string]*Tree{}} }

// Tree returns the entry of name, creating it.
func (s *State) Tree(name string) *Tree {
	t, ok := s.Trees[name]
	if !ok {
		t = &Tree{}
		s.Trees[name] = t
	}
	return t
}

// Load reads the file at path; a missing file is an empty state.
func Load(path string) (*State, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return New(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSize+1))
	if err != nil {
		return nil, fmt.Errorf("state %s: %w", path, err)
	}
	return parse(data, path)
}

func parse(data []byte, path string) (*State, error) {
	if len(data) > maxSize {
		return nil, fmt.Errorf("state %s: larger than %d bytes", path, maxSize)
	}
	s := New()
	if err := json.Unmarshal(data, s); err != nil {
		return nil, fmt.Errorf("state %s: %w", path, err)
	}
	if s.Version != Version {
		return nil, fmt.Errorf("state %s: version %d, want %d", path, s.Version, Version)
	}
	if s.Trees == nil {
		s.Trees = map[string]*Tree{}
	}
	for name, t := range s.Trees {
		if t == nil { // "tree": null remembers nothing
			delete(s.Trees, name)
		}
	}
	return s, nil
}

// Save writes s to path atomically.
func Save(path string, s *State) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	if err := WriteFileAtomic(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("state: %w", err)
	}
	return nil
}

// WriteFileAtomic creates path's directory if needed and replaces path
// atomically (temp file, fsync, rename, fsync of the directory).
func WriteFileAtomic(path string, data []byte, perm fs.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return atomicfile.Write(path, data, perm)
}
