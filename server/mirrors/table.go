package mirrors

import (
	"fmt"
	"time"
)

// table reads one decoded TOML table strictly. Each getter marks its key
// as read and reports a value of the wrong type; unknown reports the keys
// nothing read. It does per entry what toml's MetaData.Undecoded does per
// file: the MetaData names a key inside an array of tables without its
// index, and every error here must name its [[mirror]].
type table struct {
	m      map[string]any
	entry  string // the [[mirror]] or [[repo]] label; "" at the top
	prefix string // the key path from the entry, e.g. "trees.content."
	read   map[string]bool
	p      *problems
}

func newTable(m map[string]any, entry, prefix string, p *problems) *table {
	return &table{m: m, entry: entry, prefix: prefix, read: map[string]bool{}, p: p}
}

func (t *table) get(key string) (any, bool) {
	t.read[key] = true
	v, ok := t.m[key]
	return v, ok
}

func (t *table) wrongType(key, want string, v any) {
	t.p.add(t.entry, t.prefix+key, "must be %s, not %s", want, typeName(v))
}

func (t *table) str(key string, dst *string) {
	v, ok := t.get(key)
	if !ok {
		return
	}
	s, ok := v.(string)
	if !ok {
		t.wrongType(key, "a string", v)
		return
	}
	*dst = s
}

func (t *table) integer(key string, dst *int64) {
	v, ok := t.get(key)
	if !ok {
		return
	}
	n, ok := v.(int64)
	if !ok {
		t.wrongType(key, "an integer", v)
		return
	}
	*dst = n
}

func (t *table) boolean(key string, dst *bool) {
	v, ok := t.get(key)
	if !ok {
		return
	}
	b, ok := v.(bool)
	if !ok {
		t.wrongType(key, "true or false", v)
		return
	}
	*dst = b
}

// strs reads an array of strings; an empty array gives an empty, non-nil
// slice.
func (t *table) strs(key string, dst *[]string) {
	v, ok := t.get(key)
	if !ok {
		return
	}
	arr, ok := v.([]any)
	if !ok {
		t.wrongType(key, "an array of strings", v)
		return
	}
	out := make([]string, 0, len(arr))
	for i, e := range arr {
		s, ok := e.(string)
		if !ok {
			t.p.add(t.entry, fmt.Sprintf("%s%s[%d]", t.prefix, key, i), "must be a string, not %s", typeName(e))
			continue
		}
		out = append(out, s)
	}
	if len(out) == len(arr) {
		*dst = out
	}
}

// table returns the sub-table at key.
func (t *table) table(key string) (*table, bool) {
	v, ok := t.get(key)
	if !ok {
		return nil, false
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.wrongType(key, "a table", v)
		return nil, false
	}
	return newTable(m, t.entry, t.prefix+key+".", t.p), true
}

// tables returns the array of tables at key ([[key]] or key = [{…}]).
func (t *table) tables(key string) []map[string]any {
	v, ok := t.get(key)
	if !ok {
		return nil
	}
	switch arr := v.(type) {
	case []map[string]any:
		return arr
	case []any:
		out := make([]map[string]any, 0, len(arr))
		for _, e := range arr {
			m, ok := e.(map[string]any)
			if !ok {
				t.wrongType(key, "an array of tables ([["+key+"]])", v)
				return nil
			}
			out = append(out, m)
		}
		return out
	}
	t.wrongType(key, "an array of tables ([["+key+"]])", v)
	return nil
}

// unknown reports every key no getter read, in sorted order.
func (t *table) unknown() {
	for _, k := range sortedKeys(t.m) {
		if !t.read[k] {
			t.p.add(t.entry, t.prefix+k, "unknown key")
		}
	}
}

// typeName names a decoded TOML value's type in the words of the TOML spec.
func typeName(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case time.Time:
		return "a date-time"
	case []any, []map[string]any:
		return "an array"
	case map[string]any:
		return "a table"
	}
	return fmt.Sprintf("%T", v)
}
