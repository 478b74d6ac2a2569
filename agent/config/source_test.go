package config

import (
	"strings"
	"testing"
)

func TestParseSource(t *testing.T) {
	tests := []struct {
		in   string
		want Source // zero: refused
	}{
		{"rsync://h.example.net/m", Source{URL: true, Host: "h.example.net", Module: "m"}},
		{"rsync://h.example.net:873/m/p/q", Source{URL: true, Host: "h.example.net", Port: 873, Module: "m", Path: "/p/q"}},
		{"rsync://u@H.Example.NET/m/", Source{URL: true, User: "u", Host: "h.example.net", Module: "m", Path: "/"}},
		{"rsync://[2001:db8::1]:8873/m/", Source{URL: true, Host: "2001:db8::1", Port: 8873, Module: "m", Path: "/"}},
		{"rsync://192.0.2.1/m", Source{URL: true, Host: "192.0.2.1", Module: "m"}},
		{"h.example.net::m/p", Source{Host: "h.example.net", Module: "m", Path: "/p"}},
		{"u@h.example.net::m", Source{User: "u", Host: "h.example.net", Module: "m"}},
		{"evil.example.com@x.mirror.example.net::m", Source{User: "evil.example.com", Host: "x.mirror.example.net", Module: "m"}},
		{"[2001:db8::1]::m", Source{Host: "2001:db8::1", Module: "m"}},

		// rsync reads host evil.example.com and runs a remote shell.
		{"evil.example.com:x.mirror.example.net::centos/", Source{}},
		{"h.example.net:path", Source{}},
		{"rsync://evil.example.com:x.mirror.example.net/m", Source{}},
		{"rsync://h.example.net:0/m", Source{}},
		{"rsync://h.example.net:65536/m", Source{}},
		{"rsync://h.example.net:+873/m", Source{}},
		{"rsync://h.example.net:/m", Source{}},
		{"rsync://h.example.net:873:874/m", Source{}},
		{"rsync://h.example.net", Source{}},
		{"rsync://h.example.net/", Source{}},
		{"RSYNC://h.example.net/m", Source{}},
		{"h.example.net::", Source{}},
		{"h.example.net::/p", Source{}},
		{"::m", Source{}},
		{"@h.example.net::m", Source{}},
		{"a@b@h.example.net::m", Source{}},
		{"a:b@h.example.net::m", Source{}},
		{"[2001:db8::1]x::m", Source{}},
		{"x[2001:db8::1]::m", Source{}},
		{"[192.0.2.1]::m", Source{}},
		{"[2001:db8::1::m", Source{}},
		{"[]::m", Source{}},
		{"/local/path", Source{}},
		{"./x::m", Source{}},
		{"-e::m", Source{}},
		{"h .example.net::m", Source{}},
		{"h.example.net::m\n", Source{}},
		{"http://h.example.net/m", Source{}},
		{"", Source{}},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseSource(tc.in)
			if tc.want == (Source{}) {
				if err == nil {
					t.Fatalf("accepted as %+v", got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
			if again, err := ParseSource(got.String()); err != nil || again != got {
				t.Fatalf("String() %q parses as %+v, %v", got.String(), again, err)
			}
		})
	}
}

// FuzzParseSource: what ParseSource accepts, rsync reads as a daemon source
// with the same user and host (checked against a port of rsync's own
// parser), its host has no ':' unless it is an IPv6 literal, and String()
// parses back to the same Source.
func FuzzParseSource(f *testing.F) {
	for _, s := range []string{"rsync://u@h.example.net:873/m/p", "[2001:db8::1]::m", "evil.example.com:x.mirror.example.net::centos/",
		"a@b:c::m", "rsync://[::1]/m", "h::m/p"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		src, err := ParseSource(s)
		if err != nil {
			return
		}
		user, host, daemon, ok := rsyncHostspec(s)
		if !ok || !daemon || user != src.User || strings.ToLower(host) != src.Host {
			t.Fatalf("%q: ParseSource %+v; rsync reads user %q host %q daemon %v (ok %v)", s, src, user, host, daemon, ok)
		}
		if strings.Contains(src.Host, ":") && checkHostName(src.Host) == nil {
			t.Fatalf("%q: host %q has a ':'", s, src.Host)
		}
		if again, err := ParseSource(src.String()); err != nil || again != src {
			t.Fatalf("%q: String() %q parses as %+v, %v", s, src.String(), again, err)
		}
	})
}

// rsyncHostspec is check_for_hostspec of rsync 3.x (main.c) for a source
// argument, ported literally: the user and host rsync would use, and
// whether it would talk to a daemon rather than run a remote shell.
func rsyncHostspec(s string) (user, host string, daemon, ok bool) {
	if len(s) >= 8 && strings.EqualFold(s[:8], "rsync://") {
		if user, host, _, ok := rsyncParseHostspec(s[8:], true); ok {
			return user, host, true, true
		}
	}
	user, host, path, ok := rsyncParseHostspec(s, false)
	if !ok {
		return "", "", false, false
	}
	return user, host, strings.HasPrefix(path, ":"), true
}

// rsyncParseHostspec is parse_hostspec of rsync 3.x (main.c); url stands
// for its port_ptr being set. The C code's hostlen 0 means "not yet found".
func rsyncParseHostspec(str string, url bool) (user, host, path string, ok bool) {
	hostStart, hostlen, userlen := 0, 0, 0
	i := 0
	for ; ; i++ {
		if i == len(str) {
			if !url {
				return "", "", "", false
			}
			if hostlen == 0 {
				hostlen = i - hostStart
			}
			break
		}
		c := str[i]
		if c == ':' || c == '/' {
			if hostlen == 0 {
				hostlen = i - hostStart
			}
			i++
			if c == '/' {
				if !url {
					return "", "", "", false
				}
			} else if url {
				for i < len(str) && str[i] >= '0' && str[i] <= '9' {
					i++
				}
				if i < len(str) {
					if str[i] != '/' {
						return "", "", "", false
					}
					i++
				}
			}
			break
		}
		if c == '@' {
			userlen = i + 1
			hostStart = i + 1
		} else if c == '[' {
			if i != hostStart {
				return "", "", "", false
			}
			hostStart++
			for i < len(str) && str[i] != ']' && str[i] != '/' {
				i++
			}
			hostlen = i - hostStart
			if i == len(str) || str[i] != ']' || (i+1 < len(str) && str[i+1] != '/' && str[i+1] != ':') || hostlen == 0 {
				return "", "", "", false
			}
		}
	}
	if userlen > 0 {
		user = str[:userlen-1]
	}
	return user, str[hostStart : hostStart+hostlen], str[i:], true
}
