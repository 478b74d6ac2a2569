package mirrors

import (
	"fmt"
	"net/url"
	"strings"
)

// Lengths checked by the syntax checks.
const (
	maxHostNameLen = 253
	maxRepoNameLen = 64
	maxArchLen     = 32
)

// checkURL checks a base URL of scheme p and returns it ending in "/".
func checkURL(p Protocol, raw string) (string, error) {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return "", fmt.Errorf("is not a URL")
	case u.Scheme != string(p) || u.Opaque != "":
		return "", fmt.Errorf("is not an %s URL", p)
	case u.Host == "" || u.Hostname() == "":
		return "", fmt.Errorf("has no host")
	case u.User != nil:
		return "", fmt.Errorf("must not hold a user or password")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.ContainsAny(raw, "?#"):
		return "", fmt.Errorf("must not have a query or fragment")
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
		if u.RawPath != "" {
			u.RawPath += "/"
		}
	}
	return u.String(), nil
}

// checkHostName accepts a lower-case host name: labels of a-z, 0-9 and
// '-', not starting or ending with '-', without a trailing dot.
func checkHostName(s string) error {
	if s == "" || len(s) > maxHostNameLen {
		return fmt.Errorf("%q must be a host name of 1 to %d characters", s, maxHostNameLen)
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Errorf("%q is not a host-like name (labels of 1 to 63 characters, not starting or ending with '-')", s)
		}
		for i := 0; i < len(label); i++ {
			if ch := label[i]; !(ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '-') {
				return fmt.Errorf("%q is not a host-like name: %q not allowed (use a-z 0-9 - .)", s, ch)
			}
		}
	}
	return nil
}

// checkRepoName accepts 1 to 64 of A-Z a-z 0-9 . _ -, as in "baseos" or
// "epel-9".
func checkRepoName(s string) error {
	if s == "" || len(s) > maxRepoNameLen {
		return fmt.Errorf("%q must be 1 to %d characters", s, maxRepoNameLen)
	}
	if strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") != "" {
		return fmt.Errorf("%q: use A-Z a-z 0-9 . _ -", s)
	}
	return nil
}

// checkArch accepts 1 to 32 of a-z 0-9 _, as in "x86_64" or "ppc64le".
func checkArch(s string) error {
	if s == "" || len(s) > maxArchLen || strings.Trim(s, "abcdefghijklmnopqrstuvwxyz0123456789_") != "" {
		return fmt.Errorf("%q is not an architecture (1 to %d of a-z 0-9 _)", s, maxArchLen)
	}
	return nil
}

// checkRelPath accepts a clean relative path: no leading "/", no empty,
// "." or ".." segment (a trailing "/" is allowed), no "?", "#", "\" or
// control characters.
func checkRelPath(s string) error {
	if s == "" || strings.HasPrefix(s, "/") {
		return fmt.Errorf("must be a relative path")
	}
	if strings.ContainsAny(s, "?#\\") || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return fmt.Errorf("must not hold ?, #, \\ or control characters")
	}
	segs := strings.Split(strings.TrimSuffix(s, "/"), "/")
	for _, seg := range segs {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("must not hold empty, . or .. segments")
		}
	}
	return nil
}
