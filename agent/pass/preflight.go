package pass

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"github.com/mirrorsignal/mirrorsignal/agent/rsync"
)

// behindError is a source refused because it is not fresh enough: its TIME
// file is missing, unparsable or older than required. It counts as an
// upstream behind (exit 5), not as an rsync failure (exit 4).
type behindError struct {
	msg string
	err error // the cause, if any
}

func (e *behindError) Error() string {
	if e.err == nil {
		return e.msg
	}
	return e.msg + ": " + e.err.Error()
}

func (e *behindError) Unwrap() error { return e.err }

func isBehind(err error) bool {
	var be *behindError
	return errors.As(err, &be)
}

// floor is the TIME a source must have before it may touch the tree: the
// signal, and never less than the local TIME. The unconditional sync of
// sync.max_interval runs with the signal at 0 or unknown; the local TIME
// then keeps a stale source from rolling the tree back.
func floor(it item) int64 { return max(it.want, it.local) }

// preflight fetches the TIME file of src alone into a scratch directory
// (never into the tree) and checks that it is at least need. It returns the
// source's TIME. A missing, unparsable or older TIME is a *behindError;
// an rsync failure to reach the source is returned as it is.
func (p *Pass) preflight(ctx context.Context, tree, src string, need int64) (int64, error) {
	dir, err := os.MkdirTemp("", "mirror-agent-preflight-")
	if err != nil {
		return 0, fmt.Errorf("pre-flight scratch directory: %w", err)
	}
	defer os.RemoveAll(dir)
	tc, sc := p.d.Config.Trees[tree], p.d.Config.Sync
	j := rsync.Job{
		Source: src, Dest: dir, Stage: rsync.Probe, TimeFile: tc.TimeFile, Options: sc.Options,
		ConnectTimeout: sc.ConnectTimeout.D(), IOTimeout: sc.IOTimeout.D(),
	}
	if err := p.d.Rsync.Run(ctx, j); err != nil {
		return 0, probeFailed(tc.TimeFile, err)
	}
	return checkProbe(dir, path.Base(tc.TimeFile), need)
}

// probeFailed tells a source without the TIME file (rsync exit 23: an empty
// module, an unmounted disk) from one rsync could not reach.
func probeFailed(name string, err error) error {
	var ee *rsync.ExitError
	if errors.As(err, &ee) && ee.Code == rsync.PartialError {
		return &behindError{msg: fmt.Sprintf("pre-flight: no %s file on the source (empty or unmounted?)", name), err: err}
	}
	return fmt.Errorf("pre-flight fetch of %s: %w", name, err)
}

// checkProbe reads the fetched TIME file dir/name and compares it with need.
func checkProbe(dir, name string, need int64) (int64, error) {
	if _, err := os.Stat(filepath.Join(dir, name)); errors.Is(err, fs.ErrNotExist) {
		return 0, &behindError{msg: fmt.Sprintf("pre-flight: no %s file on the source (not a regular file?)", name)}
	}
	stamp, err := ReadTimeFile(dir, name)
	if err != nil {
		return 0, &behindError{msg: fmt.Sprintf("pre-flight: the source's %s file is unusable", name), err: err}
	}
	if stamp < need {
		return stamp, &behindError{msg: fmt.Sprintf("pre-flight: the source's %s is %d, older than %d", name, stamp, need)}
	}
	return stamp, nil
}
