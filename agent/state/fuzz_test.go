package state

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary bytes to the state file parser: it must never
// panic, every tree it returns must be usable, and an accepted state must
// survive Save's encoding unchanged. Seeds are in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"version":1,"signal":"1:2:3","signal_seen":1800000000,"trees":{"content":{"last_success":1800000000,"stamp":1799999000}}}`))
	f.Add([]byte(`{"version":1,"trees":{"content":null}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := parse(data, "state.json")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "state state.json: ") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if s.Version != Version || s.Trees == nil {
			t.Fatalf("accepted %+v", s)
		}
		for name := range s.Trees {
			if s.Tree(name) == nil {
				t.Fatalf("tree %q is nil", name)
			}
		}
		out, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		again, err := parse(out, "state.json")
		if err != nil || !reflect.DeepEqual(s, again) {
			t.Fatalf("does not round-trip: %s\n%+v\n%+v (%v)", out, s, again, err)
		}
	})
}
