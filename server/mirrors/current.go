package mirrors

import (
	"fmt"
	"sync/atomic"

	"github.com/mirrorsignal/mirrorsignal/signal"
)

// Current is the fleet in use, reloaded from its file on SIGHUP. Readers
// get an immutable *Fleet; a file that fails to load keeps the old fleet.
type Current struct {
	path   string
	layout signal.Layout
	fleet  atomic.Pointer[Fleet]
}

// Open loads path; a file that does not load is an error at start.
func Open(path string, layout signal.Layout) (*Current, error) {
	c := &Current{path: path, layout: layout}
	f, err := Load(path, layout)
	if err != nil {
		return nil, err
	}
	c.fleet.Store(f)
	return c, nil
}

// Fleet returns the fleet in use.
func (c *Current) Fleet() *Fleet { return c.fleet.Load() }

// Reload loads the file again and swaps the new fleet in; on an error the
// old fleet stays and the error says so.
func (c *Current) Reload() error {
	f, err := Load(c.path, c.layout)
	if err != nil {
		return fmt.Errorf("keeping the previous mirror list: %w", err)
	}
	c.fleet.Store(f)
	return nil
}
