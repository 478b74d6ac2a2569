package signal

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Bounds on a timestamp. 0 means "never published"; any other value must lie
// between MinStamp and MaxStamp. MaxStamp fits in ten decimal digits.
const (
	MinStamp  int64 = 946684800  // 2000-01-01T00:00:00Z
	MaxStamp  int64 = 4102444800 // 2100-01-01T00:00:00Z
	maxDigits       = 10
)

// ErrRecord reports a malformed signal record. A malformed record must never
// trigger a sync.
var ErrRecord = errors.New("malformed signal record")

// Record is the signal: for each tree of Layout, in order, the Unix second at
// which it last received new content (0 = never).
type Record struct {
	Layout Layout
	Stamps []int64
}

// NewRecord returns a record of layout with every stamp 0.
func NewRecord(layout Layout) Record {
	return Record{Layout: append(Layout(nil), layout...), Stamps: make([]int64, len(layout))}
}

// ParseRecord parses the TXT form strictly against layout: exactly one field
// per tree, each a canonical decimal number (no sign, no leading zero, no
// space) that is 0 or within [MinStamp, MaxStamp].
func ParseRecord(txt string, layout Layout) (Record, error) {
	// The longest valid record is one byte shorter than this bound (no colon
	// after the last field), so `>=` here behaves the same: a record of
	// exactly the bound fails the field count or a field's length below.
	if len(txt) > len(layout)*(maxDigits+1) {
		return Record{}, fmt.Errorf("%w: %d bytes is too long for %d trees", ErrRecord, len(txt), len(layout))
	}
	fields := strings.Split(txt, ":")
	if len(fields) != len(layout) {
		return Record{}, fmt.Errorf("%w: %d fields, want %d (%s)", ErrRecord, len(fields), len(layout), layout)
	}
	r := Record{Layout: append(Layout(nil), layout...), Stamps: make([]int64, len(fields))}
	for i, f := range fields {
		v, err := ParseStamp(f)
		if err != nil { // i+1 only numbers the field in the message
			return Record{}, fmt.Errorf("%w: field %d (%s): %v", ErrRecord, i+1, layout[i], err)
		}
		r.Stamps[i] = v
	}
	return r, nil
}

// ParseStamp parses one canonical timestamp field.
func ParseStamp(f string) (int64, error) {
	if f == "" {
		return 0, errors.New("empty")
	}
	if len(f) > maxDigits {
		return 0, fmt.Errorf("%d digits, at most %d", len(f), maxDigits)
	}
	if len(f) > 1 && f[0] == '0' {
		return 0, errors.New("leading zero")
	}
	var v int64
	for i := 0; i < len(f); i++ {
		c := f[i]
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("byte %q is not a decimal digit", c)
		}
		v = v*10 + int64(c-'0')
	}
	if err := CheckStamp(v); err != nil {
		return 0, err
	}
	return v, nil
}

// CheckStamp reports whether v is 0 or within [MinStamp, MaxStamp].
func CheckStamp(v int64) error {
	if v != 0 && (v < MinStamp || v > MaxStamp) {
		return fmt.Errorf("%d is outside %d..%d", v, MinStamp, MaxStamp)
	}
	return nil
}

// String returns the TXT form, e.g. "1488372781:1487767981:1488113581".
func (r Record) String() string {
	var b strings.Builder
	for i, v := range r.Stamps {
		if i > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%d", v)
	}
	return b.String()
}

// Stamp returns the timestamp of tree.
func (r Record) Stamp(tree string) (int64, bool) {
	i := r.Layout.Index(tree)
	if i < 0 || i >= len(r.Stamps) {
		return 0, false
	}
	return r.Stamps[i], true
}

// Newest returns the largest stamp of the record.
func (r Record) Newest() int64 {
	var m int64
	for _, v := range r.Stamps {
		m = max(m, v)
	}
	return m
}

// CheckFuture returns an error when a stamp lies more than skew after now.
// Such a record is not acted on.
func (r Record) CheckFuture(now time.Time, skew time.Duration) error {
	limit := now.Add(skew).Unix()
	for i, v := range r.Stamps {
		if v > limit { // the duration below is only for the message
			return fmt.Errorf("%w: tree %s stamp %d is %s in the future (allowed skew %s)",
				ErrRecord, r.Layout[i], v, time.Duration(v-now.Unix())*time.Second, skew)
		}
	}
	return nil
}

// Behind returns, in layout order, the trees whose local stamp is older than
// the record's. A tree missing from local counts as 0 (never synced).
func (r Record) Behind(local map[string]int64) []string {
	var out []string
	for i, tree := range r.Layout {
		if i < len(r.Stamps) && local[tree] < r.Stamps[i] {
			out = append(out, tree)
		}
	}
	return out
}
