// Package plant writes ("plants") a file at the root of a content tree on
// the master, before the publisher bumps the signal: the tree's TIME file,
// or the heartbeat stamp file. Rsync carries the file to the mirrors, so
// it is replaced atomically — a reader sees the old content or the new,
// never a missing or partial file — locally (Local) or over SFTP (SFTP).
// It imports signal/atomicfile and server/sshdial, nothing else of the
// module.
package plant

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Mode is the planted file's permission: rsync carries it to the mirrors,
// whose web servers must be able to read it.
const Mode = 0o644

// ErrBadName reports a name that is not a plain file name.
var ErrBadName = errors.New("not a plain file name")

// Planter writes file name with data at a tree root.
type Planter interface {
	// Plant replaces name (a plain file name such as "TIME", no path
	// separator) with data, atomically. It gives up when ctx ends.
	Plant(ctx context.Context, name string, data []byte) error
	// String says where the planter writes, for logs.
	String() string
}

// CheckName accepts a plain file name: not empty, not "." or "..", no
// slash, backslash or NUL.
func CheckName(name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\\\x00") {
		return fmt.Errorf("%w: %q", ErrBadName, name)
	}
	return nil
}
