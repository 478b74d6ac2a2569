package advice

import (
	"bytes"
	"testing"
)

// FuzzParse: Parse never panics, and what it accepts has canonical bytes
// that are valid JSON without characters needing escapes.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"tree":"content","signal":1799999000,"issued":1,"expires":2,"sources":["rsync://h.example/m/"],"signature":"AA=="}`))
	f.Add([]byte(`{"tree":"content","signal":0,"issued":1,"expires":2,"sources":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := Parse(data)
		if err != nil {
			return
		}
		c := a.CanonicalBytes()
		if bytes.Contains(c, []byte(`\`)) {
			t.Fatalf("canonical form needs escapes: %s", c)
		}
		b, err := Parse(c)
		if err != nil || b.Tree != a.Tree || len(b.Sources) != len(a.Sources) {
			t.Fatalf("canonical form does not parse back: %s: %v", c, err)
		}
	})
}
