package mirrors

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Error is one problem in mirrors.toml. Entry names the [[mirror]] or
// [[repo]] it is in — by name (`mirror "m1.example.net"`) when the entry
// has a valid, unique one, else by position (`mirror[3]`, from 0) — and is
// empty for a top-level key. Key is relative to the entry
// (`trees.content.https`, `netblocks[1]`). The message reads
// "file: entry: key: reason", leaving out empty parts, like server/config's.
type Error struct {
	File, Entry, Key, Reason string
}

func (e *Error) Error() string {
	parts := make([]string, 0, 4)
	for _, s := range []string{e.File, e.Entry, e.Key, e.Reason} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, ": ")
}

// problems collects every *Error of one parse, at most one per entry and
// key: a value of the wrong type is not reported again as missing.
type problems struct {
	file string
	errs []*Error
	seen map[[2]string]bool
	rank map[string]int // entry label → position in the file; top level 0
}

func newProblems(file string) *problems {
	return &problems{file: file, seen: map[[2]string]bool{}, rank: map[string]int{}}
}

// order ranks the entries' labels in file order, mirrors then repos, so
// that err lists each entry's problems together.
func (p *problems) order(labels ...[]string) {
	n := 0
	for _, ls := range labels {
		for _, l := range ls {
			n++
			p.rank[l] = n
		}
	}
}

func (p *problems) add(entry, key, format string, args ...any) {
	k := [2]string{entry, key}
	if p.seen[k] {
		return
	}
	p.seen[k] = true
	p.errs = append(p.errs, &Error{File: p.file, Entry: entry, Key: key, Reason: fmt.Sprintf(format, args...)})
}

// err joins the problems, entry by entry in file order, or is nil.
func (p *problems) err() error {
	slices.SortStableFunc(p.errs, func(a, b *Error) int { return cmp.Compare(p.rank[a.Entry], p.rank[b.Entry]) })
	errs := make([]error, len(p.errs))
	for i, e := range p.errs {
		errs[i] = e
	}
	return errors.Join(errs...)
}
