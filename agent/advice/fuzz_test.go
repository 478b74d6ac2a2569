package advice

import (
	"bytes"
	"strings"
	"testing"

	"github.com/mirrorsignal/mirrorsignal/agent/config"
)

// FuzzParse: Parse never panics, and what it accepts has canonical bytes
// that are valid JSON without characters needing escapes.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"tree":"content","signal":1799999000,"issued":1,"expires":2,"sources":["rsync://h.example/m/"],"signature":"AA=="}`))
	f.Add([]byte(`{"tree":"content","signal":0,"issued":1,"expires":2,"sources":[]}`))
	f.Add([]byte(`{"tree":"content","signal":0,"issued":1,"expires":2,"sources":["evil.example.com:x.mirror.example.net::centos/","[2001:db8::1]::m"]}`))
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
		kept, _ := Filter(a.Sources, []string{"*.mirror.example.net"})
		for _, k := range kept {
			if host, err := config.SourceHost(k); err != nil || !strings.HasSuffix(host, ".mirror.example.net") {
				t.Fatalf("kept %q: host %q, %v", k, host, err)
			}
		}
	})
}
