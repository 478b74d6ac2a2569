package checkin

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"sync/atomic"

	"github.com/mirrorsignal/mirrorsignal/server/mirrors"
)

// MinToken is the shortest check-in secret accepted: anyone who sees one
// signed request can guess a short token offline.
const MinToken = 16

// Tokens holds every mirror's check-in secret, swapped whole on reload;
// its Get is the Tokens func of Options. The zero value holds none.
type Tokens struct {
	p atomic.Pointer[map[string][]byte]
}

// Get returns the secret of mirror, if it has one.
func (t *Tokens) Get(mirror string) ([]byte, bool) {
	m := t.p.Load()
	if m == nil {
		return nil, false
	}
	tok, ok := (*m)[mirror]
	return tok, ok
}

// Set replaces the secrets with a copy of byMirror.
func (t *Tokens) Set(byMirror map[string][]byte) {
	m := maps.Clone(byMirror)
	t.p.Store(&m)
}

// TokenFiles maps each mirror that has a checkin_token_file to its path.
func TokenFiles(ms []mirrors.Mirror) map[string]string {
	files := make(map[string]string)
	for _, m := range ms {
		if f := m.CheckinTokenFile(); f != "" {
			files[m.Name()] = f
		}
	}
	return files
}

// ReadTokens reads each mirror's secret file (surrounding white space
// trimmed, as the agent does). It returns the secrets it could read and an
// error naming every file that is missing, unreadable or shorter than
// MinToken; never a secret.
func ReadTokens(files map[string]string) (map[string][]byte, error) {
	toks := make(map[string][]byte, len(files))
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(files)) {
		path := files[name]
		data, err := os.ReadFile(path)
		if err != nil {
			errs = append(errs, fmt.Errorf("mirror %s: checkin_token_file: %w", name, err))
			continue
		}
		tok := bytes.TrimSpace(data)
		if len(tok) < MinToken {
			errs = append(errs, fmt.Errorf("mirror %s: checkin_token_file %s: shorter than %d characters", name, path, MinToken))
			continue
		}
		toks[name] = tok
	}
	return toks, errors.Join(errs...)
}
