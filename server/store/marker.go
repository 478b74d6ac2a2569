package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// markerPath is a file beside the database that exists once the store has
// held a serial. An empty database next to it means the database was
// truncated or replaced: serving from it would regress the signal.
func (s *Store) markerPath() string { return s.path + ".initialized" }

func (s *Store) checkNotReplaced(ctx context.Context) error {
	st, err := s.State(ctx)
	if err != nil {
		return err
	}
	_, statErr := os.Stat(s.markerPath())
	switch {
	case st.Serial == 0 && statErr == nil:
		return fmt.Errorf("%w: %s is empty but held state before (%s exists); restore it from a backup, or remove both files to start from nothing", ErrCorrupt, s.path, s.markerPath())
	case st.Serial != 0 && errors.Is(statErr, fs.ErrNotExist):
		return s.mark()
	}
	return nil
}

func (s *Store) mark() error {
	if err := os.WriteFile(s.markerPath(), []byte("signald store initialized\n"), 0o600); err != nil {
		return fmt.Errorf("store marker: %w", err)
	}
	return nil
}
