package push

import (
	"strings"
	"sync"
	"unicode"
)

// capped keeps the first MaxOutput bytes written to it, from stdout and
// stderr at once.
type capped struct {
	mu        sync.Mutex
	b         []byte
	truncated bool
}

func (c *capped) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := min(len(p), MaxOutput-len(c.b))
	c.b = append(c.b, p[:n]...)
	if n < len(p) {
		c.truncated = true
	}
	return len(p), nil
}

// String returns the output fit for a log line or a status page: valid
// UTF-8, control and format characters (escape sequences, bidi overrides)
// but newline and tab shown as U+FFFD, trailing white space trimmed.
func (c *capped) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := sanitize(string(c.b))
	if c.truncated {
		s += " […]"
	}
	return s
}

func sanitize(s string) string {
	s = strings.TrimRightFunc(strings.ToValidUTF8(s, "\uFFFD"), unicode.IsSpace)
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' || !unicode.IsControl(r) && !unicode.Is(unicode.Cf, r) {
			return r
		}
		return '\uFFFD'
	}, s)
}
