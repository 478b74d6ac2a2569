package push

import (
	"strings"
	"testing"
)

func TestCapped(t *testing.T) {
	tests := []struct {
		name   string
		writes []string
		want   string
	}{
		{"plain", []string{"synced content\n", "done\n"}, "synced content\ndone"},
		{"escape", []string{"\x1b[31mred\x1b[0m\r\n"}, "\uFFFD[31mred\uFFFD[0m"},
		{"bidi and bad utf-8", []string{"a\u202eb\xffc\td"}, "a\uFFFDb\uFFFDc\td"},
		{"capped", []string{strings.Repeat("x", MaxOutput-1), "yz", "more"}, strings.Repeat("x", MaxOutput-1) + "y […]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c capped
			for _, w := range tt.writes {
				if n, err := c.Write([]byte(w)); n != len(w) || err != nil {
					t.Fatalf("Write = %d, %v", n, err)
				}
			}
			if got := c.String(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
