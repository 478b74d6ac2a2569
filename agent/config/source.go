package config

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Source is an rsync daemon source, split the way rsync splits it
// (check_for_hostspec and parse_hostspec in rsync's main.c). The allow-list
// of sync-source advice checks Host, and the agent hands rsync String(), so
// both read the same host.
type Source struct {
	URL    bool   // rsync://[user@]host[:port]/module[/path]; else [user@]host::module[/path]
	User   string // before the last '@' of the host part; may be empty
	Host   string // lower case; an IPv6 literal without its brackets
	Port   int    // URL form only; 0: rsync's default
	Module string // required
	Path   string // after the module, starting with '/'; may be empty
}

// errSource names the accepted forms.
var errSource = errors.New("want rsync://[user@]host[:port]/module[/path] or [user@]host::module[/path]")

// ParseSource parses an rsync daemon source. Everything rsync would read
// otherwise is refused: a local path, remote-shell syntax (host:path, which
// would run ssh), a ':' in the host part outside an [IPv6] literal, an
// option-like leading '-'.
func ParseSource(s string) (Source, error) {
	if s == "" || strings.HasPrefix(s, "-") || strings.IndexFunc(s, notSourceRune) >= 0 {
		return Source{}, fmt.Errorf("%q: %w", s, errSource)
	}
	var src Source
	var err error
	if rest, ok := strings.CutPrefix(s, "rsync://"); ok {
		src, err = parseURLSource(rest)
	} else {
		src, err = parseDaemonSource(s)
	}
	if err != nil {
		return Source{}, fmt.Errorf("%q: %w", s, err)
	}
	return src, nil
}

// SourceHost returns the host of an rsync source, as ParseSource reads it.
func SourceHost(s string) (string, error) {
	src, err := ParseSource(s)
	return src.Host, err
}

func notSourceRune(r rune) bool { return r <= ' ' || r >= 0x7f }

// parseURLSource reads what follows "rsync://".
func parseURLSource(s string) (Source, error) {
	user, host, rest, err := splitHostspec(s)
	if err != nil {
		return Source{}, err
	}
	src := Source{URL: true, User: user, Host: host}
	if p, ok := strings.CutPrefix(rest, ":"); ok {
		digits, after, _ := strings.Cut(p, "/")
		port, err := strconv.ParseUint(digits, 10, 16)
		if err != nil || port == 0 || strings.IndexFunc(digits, notDigit) >= 0 {
			return Source{}, fmt.Errorf("bad port %q: %w", digits, errSource)
		}
		src.Port, rest = int(port), "/"+after
	}
	module, ok := strings.CutPrefix(rest, "/")
	if !ok {
		return Source{}, errSource
	}
	return withModule(src, module)
}

func notDigit(r rune) bool { return r < '0' || r > '9' }

// parseDaemonSource reads [user@]host::module[/path]. rsync reads a single
// ':' after the host as remote-shell syntax, and a '/' before any ':' as a
// local path.
func parseDaemonSource(s string) (Source, error) {
	user, host, rest, err := splitHostspec(s)
	if err != nil {
		return Source{}, err
	}
	module, ok := strings.CutPrefix(rest, "::")
	if !ok {
		if strings.HasPrefix(rest, ":") {
			return Source{}, fmt.Errorf("host %q then a single ':' is remote-shell syntax: %w", host, errSource)
		}
		return Source{}, errSource // a local path
	}
	return withModule(Source{User: user, Host: host}, module)
}

// withModule splits module[/path] into src.
func withModule(src Source, s string) (Source, error) {
	module, path, found := strings.Cut(s, "/")
	if module == "" {
		return Source{}, fmt.Errorf("no module: %w", errSource)
	}
	src.Module = module
	if found {
		src.Path = "/" + path
	}
	return src, nil
}

// splitHostspec splits s at the end of its host, which is the first ':' or
// '/' outside an [IPv6] literal; the user is what precedes the last '@'
// before that. rest starts at that ':' or '/' (or is empty).
func splitHostspec(s string) (user, host, rest string, err error) {
	end := strings.IndexAny(s, ":/[")
	if end < 0 {
		end = len(s)
	}
	if at := strings.LastIndexByte(s[:end], '@'); at >= 0 {
		user, s, end = s[:at], s[at+1:], end-at-1
		if err := checkUser(user); err != nil {
			return "", "", "", err
		}
	}
	if strings.HasPrefix(s, "[") {
		host, rest, err = splitBracketed(s)
	} else if end < len(s) && s[end] == '[' {
		err = fmt.Errorf("'[' inside the host: %w", errSource)
	} else {
		host, rest, err = s[:end], s[end:], checkHostName(s[:end])
	}
	return user, strings.ToLower(host), rest, err
}

// splitBracketed reads "[IPv6]" at the start of s.
func splitBracketed(s string) (host, rest string, err error) {
	end := strings.IndexAny(s, "]/")
	if end < 0 || s[end] != ']' {
		return "", "", fmt.Errorf("unclosed '[': %w", errSource)
	}
	host, rest = s[1:end], s[end+1:]
	if rest != "" && rest[0] != ':' && rest[0] != '/' {
		return "", "", fmt.Errorf("%q after ']': %w", rest, errSource)
	}
	if ip := net.ParseIP(host); ip == nil || ip.To4() != nil {
		return "", "", fmt.Errorf("[%s] is not an IPv6 address: %w", host, errSource)
	}
	return host, rest, nil
}

// checkHostName accepts a DNS name or an IPv4 address.
func checkHostName(h string) error {
	if ip := net.ParseIP(h); ip != nil && ip.To4() != nil {
		return nil
	}
	if err := checkDomain(h); err != nil {
		return fmt.Errorf("host: %w", err)
	}
	return nil
}

func checkUser(u string) error {
	if u == "" || strings.IndexFunc(u, notNameRune) >= 0 {
		return fmt.Errorf("user %q: use a-z A-Z 0-9 . - _: %w", u, errSource)
	}
	return nil
}

// String is the source in rsync syntax, built from the parsed parts.
func (s Source) String() string {
	host := s.Host
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if s.User != "" {
		host = s.User + "@" + host
	}
	if !s.URL {
		return host + "::" + s.Module + s.Path
	}
	if s.Port != 0 {
		host += ":" + strconv.Itoa(s.Port)
	}
	return "rsync://" + host + "/" + s.Module + s.Path
}
