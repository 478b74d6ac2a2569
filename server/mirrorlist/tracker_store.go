package mirrorlist

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/mirrorsignal/mirrorsignal/server/status"
	"github.com/mirrorsignal/mirrorsignal/signal/atomicfile"
)

// historyFormat is the version of the history file.
const historyFormat = 1

// maxHistoryFile bounds the history file read at start.
const maxHistoryFile = 16 << 20

type historyFile struct {
	Format int           `json:"format"`
	Repos  []historyRepo `json:"repos"`
}

type historyRepo struct {
	Name     string                 `json:"name"`
	Arch     string                 `json:"arch"`
	Versions []status.RepomdVersion `json:"versions"` // newest first
}

// load reads the history file; a missing one is an empty history.
func (t *MasterTracker) load() error {
	if t.o.StatePath == "" {
		return nil
	}
	b, err := os.ReadFile(t.o.StatePath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("repomd history: %w", err)
	}
	if len(b) > maxHistoryFile {
		return fmt.Errorf("repomd history %s: larger than %d bytes", t.o.StatePath, maxHistoryFile)
	}
	var f historyFile
	if err := json.Unmarshal(b, &f); err != nil {
		return fmt.Errorf("repomd history %s: %w", t.o.StatePath, err)
	}
	if f.Format != historyFormat {
		return fmt.Errorf("repomd history %s: format %d, want %d", t.o.StatePath, f.Format, historyFormat)
	}
	for _, r := range f.Repos {
		if len(r.Versions) > 0 {
			t.history[repoKey{r.Name, r.Arch}] = r.Versions
		}
	}
	return nil
}

// save writes the history atomically.
func (t *MasterTracker) save() error {
	if t.o.StatePath == "" {
		return nil
	}
	t.mu.Lock()
	f := historyFile{Format: historyFormat}
	for _, r := range t.o.Repos {
		if h := t.history[repoKey{r.Name, r.Arch}]; len(h) > 0 {
			f.Repos = append(f.Repos, historyRepo{Name: r.Name, Arch: r.Arch, Versions: h})
		}
	}
	b, err := json.MarshalIndent(f, "", "  ")
	t.mu.Unlock()
	if err != nil {
		return err
	}
	return atomicfile.Write(t.o.StatePath, append(b, '\n'), 0o644)
}
