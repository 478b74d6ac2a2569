package probe

import (
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestExitError(t *testing.T) {
	const (
		refused = "rsync: [Receiver] failed to connect to 127.0.0.1 (127.0.0.1): Connection refused (111)\n" +
			"rsync error: error in socket IO (code 10) at clientserver.c(165) [Receiver=3.5.0]\n"
		missing = "rsync: [sender] link_stat \"NOPE\" (in mod) failed: No such file or directory (2)\n" +
			"rsync error: some files/attrs were not transferred (see previous errors) (code 23) at main.c(1956) [Receiver=3.5.0]\n" +
			"rsync: [Receiver] read error: Connection reset by peer (104)\n"
		module = "@ERROR: Unknown module 'nomod'\nrsync error: error starting client-server protocol (code 5) at main.c(1954) [Receiver=3.5.0]\n"
	)
	tests := []struct {
		name   string
		code   int
		out    string
		want   error
		class  Class
		detail string
	}{
		{"refused", 10, refused, ErrUnreachable, Unreachable, "Connection refused (111)"},
		{"daemon timeout", 35, "", ErrUnreachable, Unreachable, ""},
		{"protocol start", 5, "rsync: did not see server greeting\n", ErrUnreachable, Unreachable, "server greeting"},
		{"unknown module", 5, module, ErrProtocol, Error, "@ERROR: Unknown module 'nomod'"},
		{"missing", 23, missing, ErrMissing, Error, `link_stat "NOPE"`},
		{"io timeout", 30, "[Receiver] io timeout after 5 seconds -- exiting\n", ErrTimeout, Error, "io timeout"},
		{"protocol", 12, "rsync: protocol data stream\x1b[31m\n", ErrProtocol, Error, "stream?[31m"},
		{"usage", 1, "", ErrProtocol, Error, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := exitError(tt.code, tt.out)
			if !errors.Is(err, tt.want) || classify(err) != tt.class {
				t.Fatalf("exitError = %v (%v), want %v (%v)", err, classify(err), tt.want, tt.class)
			}
			if !strings.Contains(err.Error(), tt.detail) {
				t.Errorf("exitError = %q, want it to quote %q", err, tt.detail)
			}
		})
	}
}

func TestSanitize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain text", "plain text"},
		{"bell\a esc\x1b nul\x00 del\x7f", "bell? esc? nul? del?"},
		{"bad utf8 \xff\xfe", "bad utf8 ??"},
		{"tab\tnewline\n", "tab?newline?"},
		{"ünïcode ok", "ünïcode ok"},
		{"bidi \u202e override", "bidi ? override"},
		{strings.Repeat("x", 300), strings.Repeat("x", 200) + "…"},
		{strings.Repeat("é", 150), strings.Repeat("é", 100) + "…"},
	}
	for _, tt := range tests {
		if got := sanitize(tt.in, 200); got != tt.want {
			t.Errorf("sanitize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestDetail(t *testing.T) {
	tests := []struct{ out, want string }{
		{"", ""},
		{"one line\n", "one line"},
		{"cause\nrsync error: summary (code 10)\n", "cause"},
		{"rsync error: only a summary (code 10)\n", "rsync error: only a summary (code 10)"},
		{"\n\nfirst\nsecond\n", "first"},
		{"cause\nrsync error: summary (code 23)\nrsync: read error: Connection reset by peer (104)\n", "cause"},
	}
	for _, tt := range tests {
		if got := detail(tt.out); got != tt.want {
			t.Errorf("detail(%q) = %q, want %q", tt.out, got, tt.want)
		}
	}
}

func TestRsyncSource(t *testing.T) {
	tests := []struct {
		url, src, name string // src "": ErrBadURL
	}{
		{"rsync://m.example/mod/TIME", "rsync://m.example/mod/TIME", "TIME"},
		{"rsync://m.example:8873/mod/debian/project/trace/master", "rsync://m.example:8873/mod/debian/project/trace/master", "master"},
		{"rsync://[::1]:873/mod/TIME", "rsync://[::1]:873/mod/TIME", "TIME"},
		{"rsync://anon@m.example/mod/TIME", "rsync://anon@m.example/mod/TIME", "TIME"},
		{"rsync://m.example/TIME", "", ""},
		{"rsync://m.example/mod/", "", ""},
		{"rsync://m.example/mod/dir/", "", ""},
		{"rsync://m.example//TIME", "", ""},
		{"rsync://m.example/mod/*", "", ""},
		{"rsync://m.example/mod/T?ME", "", ""},
		{"rsync://m.example/mod/[T]IME", "", ""},
		{"rsync://m.example/mod/..", "", ""},
		{"rsync://m.example/mod/TIME#x", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			u, err := url.Parse(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			src, name, err := rsyncSource(u)
			if tt.src == "" {
				if !errors.Is(err, ErrBadURL) {
					t.Fatalf("rsyncSource = %q, %q, %v; want ErrBadURL", src, name, err)
				}
				return
			}
			if err != nil || src != tt.src || name != tt.name {
				t.Fatalf("rsyncSource = %q, %q, %v; want %q, %q", src, name, err, tt.src, tt.name)
			}
		})
	}
}

func TestRsyncArgs(t *testing.T) {
	cfg := Config{BodyCap: 4096, RsyncConTimeout: 1500 * time.Millisecond, RsyncIOTimeout: 0}
	tests := []struct {
		fam  Family
		want []string
	}{
		{Any, []string{"--no-motd", "--contimeout=2", "--timeout=1", "--max-size=4096", "--info=skip1", "--", "rsync://h/m/TIME", "/tmp/d/"}},
		{IPv4, []string{"--no-motd", "--contimeout=2", "--timeout=1", "--max-size=4096", "--info=skip1", "-4", "--", "rsync://h/m/TIME", "/tmp/d/"}},
		{IPv6, []string{"--no-motd", "--contimeout=2", "--timeout=1", "--max-size=4096", "--info=skip1", "-6", "--", "rsync://h/m/TIME", "/tmp/d/"}},
	}
	for _, tt := range tests {
		t.Run(tt.fam.String(), func(t *testing.T) {
			if got := rsyncArgs(cfg, tt.fam, "rsync://h/m/TIME", "/tmp/d"); !slices.Equal(got, tt.want) {
				t.Fatalf("rsyncArgs = %q\nwant %q", got, tt.want)
			}
		})
	}
}
