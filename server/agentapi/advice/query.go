package advice

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
)

// maxQuery bounds the raw query string: a host-like name and a tree name.
const maxQuery = 512

// paramError is a request the handler refuses, with its status.
type paramError struct {
	status int
	reason string
}

func (e *paramError) Error() string { return e.reason }

func badRequest(format string, args ...any) *paramError {
	return &paramError{http.StatusBadRequest, fmt.Sprintf(format, args...)}
}

// Query is a parsed request: the asking mirror and the tree it syncs.
type Query struct {
	Mirror, Tree string
}

// ParseQuery reads exactly one mirror= and one tree=, both non-empty, and
// nothing else. Whether they name a known mirror and tree is checked
// against the fleet later.
func ParseQuery(raw string) (Query, error) {
	if len(raw) > maxQuery {
		return Query{}, badRequest("query longer than %d bytes", maxQuery)
	}
	vals, err := url.ParseQuery(raw)
	if err != nil {
		return Query{}, badRequest("bad query: %v", err)
	}
	keys := make([]string, 0, len(vals))
	for k := range vals {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if k != "mirror" && k != "tree" {
			return Query{}, badRequest("unknown parameter %q (want mirror and tree)", k)
		}
		if len(vals[k]) > 1 {
			return Query{}, badRequest("parameter %q given %d times", k, len(vals[k]))
		}
	}
	q := Query{Mirror: vals.Get("mirror"), Tree: vals.Get("tree")}
	switch {
	case q.Mirror == "":
		return Query{}, badRequest("missing mirror=")
	case q.Tree == "":
		return Query{}, badRequest("missing tree=")
	}
	return q, nil
}
