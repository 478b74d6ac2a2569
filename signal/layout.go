package signal

import (
	"errors"
	"fmt"
	"strings"
)

// Limits on a layout. A TXT character-string holds at most 255 bytes, and
// each tree costs up to 11 bytes of the record (10 digits and a colon).
const (
	MaxTrees       = 16
	MaxTreeNameLen = 32
)

// ErrLayout reports a malformed tree layout.
var ErrLayout = errors.New("malformed tree layout")

// Layout is the ordered list of tree names the record's fields belong to,
// published as TXT at `_trees.<signal name>` (e.g. "content:altarch:vault").
type Layout []string

// ParseLayout parses the colon-separated `_trees` form strictly: 1 to
// MaxTrees distinct names of lowercase letters, digits, '-', '_' and '.'.
func ParseLayout(s string) (Layout, error) {
	if s == "" {
		return nil, fmt.Errorf("%w: empty", ErrLayout)
	}
	parts := strings.Split(s, ":")
	if len(parts) > MaxTrees {
		return nil, fmt.Errorf("%w: %d trees, at most %d", ErrLayout, len(parts), MaxTrees)
	}
	l := Layout(parts)
	if err := l.Validate(); err != nil {
		return nil, err
	}
	return l, nil
}

// Validate checks every name and that no name repeats.
func (l Layout) Validate() error {
	if len(l) == 0 || len(l) > MaxTrees {
		return fmt.Errorf("%w: %d trees, want 1 to %d", ErrLayout, len(l), MaxTrees)
	}
	seen := make(map[string]bool, len(l))
	for i, name := range l {
		if err := ValidTreeName(name); err != nil {
			// i+1 only numbers the tree in the message (mutants there are equivalent).
			return fmt.Errorf("%w: tree %d: %v", ErrLayout, i+1, err)
		}
		if seen[name] {
			return fmt.Errorf("%w: tree %q appears twice", ErrLayout, name)
		}
		seen[name] = true
	}
	return nil
}

// ValidTreeName reports whether name may name a tree.
func ValidTreeName(name string) error {
	if name == "" || len(name) > MaxTreeNameLen {
		return fmt.Errorf("tree name must be 1 to %d characters", MaxTreeNameLen)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
		if !ok {
			return fmt.Errorf("tree name %q: character %q not allowed (use a-z 0-9 - _ .)", name, c)
		}
	}
	return nil
}

// String returns the `_trees` TXT form.
func (l Layout) String() string { return strings.Join(l, ":") }

// Index returns the position of tree, or -1.
func (l Layout) Index(tree string) int {
	for i, name := range l {
		if name == tree {
			return i
		}
	}
	return -1
}

// Equal reports whether both layouts name the same trees in the same order.
func (l Layout) Equal(o Layout) bool {
	if len(l) != len(o) {
		return false
	}
	for i := range l {
		if l[i] != o[i] {
			return false
		}
	}
	return true
}
