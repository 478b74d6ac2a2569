package advice

import (
	"errors"
	"net/http"
	"net/url"
	"testing"
)

// FuzzQuery feeds arbitrary query strings to the handler's answer: it never
// panics, refuses with 400 or 404, or answers for exactly the one mirror
// and tree asked.
func FuzzQuery(f *testing.F) {
	for _, s := range []string{"mirror=req.example.net&tree=content", "mirror=req.example.net&tree=content&tree=vault",
		"mirror=%zz", "tree=content", "mirror=de.example.net&tree=vault", ";", "&&=&"} {
		f.Add(s)
	}
	h := testHandler(f, Options{})
	f.Fuzz(func(t *testing.T, raw string) {
		a, err := h.answer(raw)
		var pe *paramError
		if err != nil {
			if !errors.As(err, &pe) || (pe.status != http.StatusBadRequest && pe.status != http.StatusNotFound) {
				t.Fatalf("%q: %v", raw, err)
			}
			return
		}
		vals, perr := url.ParseQuery(raw)
		if perr != nil || len(vals) != 2 || len(vals["mirror"]) != 1 || vals.Get("tree") != a.Tree {
			t.Fatalf("%q answered for tree %q", raw, a.Tree)
		}
	})
}
