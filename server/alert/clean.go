package alert

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Length limits, in runes, for text that goes into a message.
const (
	maxName = 200 // mirror, tree and server names
	maxErr  = 400 // error texts from mirrors
)

// clean makes s safe for a header or a body line: invalid UTF-8 becomes
// U+FFFD; CR, LF, tabs, other control characters, line and paragraph
// separators and bidi controls each become a space; the result is
// trimmed and cut to at most max runes, an ellipsis marking the cut.
func clean(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unsafeRune(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	return string([]rune(s)[:max-1]) + "…"
}

func unsafeRune(r rune) bool {
	switch {
	case unicode.IsControl(r):
		return true
	case r == '\u2028', r == '\u2029': // line and paragraph separators
		return true
	case r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069': // bidi embedding, override, isolate
		return true
	}
	return false
}

// hasControl reports whether s holds anything clean would replace, or is
// not valid UTF-8.
func hasControl(s string) bool {
	return !utf8.ValidString(s) || strings.IndexFunc(s, unsafeRune) >= 0
}
