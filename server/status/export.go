package status

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// The export is how a primary hands its status to read-only replicas
// (server/replica): one JSON document, an envelope holding the Snapshot
// in the JSON form of this package's types and the SHA-256 of its bytes:
//
//	{"format":1,"sha256":"<64 lowercase hex>","snapshot":{…}}
//
// sha256 is the digest of the bytes of the "snapshot" value exactly as
// they appear in the document (Encode writes them compact, with nothing
// between `"snapshot":` and the value, and the document ends with "}\n").
// The envelope's keys are fixed for a format; the snapshot may gain
// fields without a new format, and readers ignore those they do not know.
//
// The digest catches a corrupt, truncated or half-written copy; it does
// not prove who wrote it: carry the file over a channel you trust (HTTPS,
// rsync over SSH).

// MaxExportSize bounds an export: Encode refuses to write a larger one,
// Decode to read one, and readers stop reading at MaxExportSize+1 bytes.
const MaxExportSize = 256 << 20

// ErrExport is wrapped by every error Decode and Encode return about the
// export's content.
var ErrExport = errors.New("invalid status export")

type envelope struct {
	Format   int             `json:"format"`
	SHA256   string          `json:"sha256"`
	Snapshot json.RawMessage `json:"snapshot"`
}

// Encode returns the export of s. It refuses a snapshot Decode would
// refuse (see ValidateExport), so a primary learns of a bad one before
// its replicas do.
func Encode(s *Snapshot) ([]byte, error) {
	if err := ValidateExport(s); err != nil {
		return nil, err
	}
	body, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrExport, err)
	}
	sum := sha256.Sum256(body)
	var b bytes.Buffer
	b.Grow(len(body) + 128)
	fmt.Fprintf(&b, `{"format":%d,"sha256":"%s","snapshot":`, Format, hex.EncodeToString(sum[:]))
	b.Write(body)
	b.WriteString("}\n")
	if b.Len() > MaxExportSize {
		return nil, fmt.Errorf("%w: %d bytes is more than the %d a replica reads", ErrExport, b.Len(), MaxExportSize)
	}
	return b.Bytes(), nil
}

// Decode reads an export strictly: a known format, a matching digest, one
// JSON document and nothing after it, and a snapshot ValidateExport
// accepts. Every error wraps ErrExport and says what was wrong.
func Decode(b []byte) (*Snapshot, error) {
	if len(b) > MaxExportSize {
		return nil, fmt.Errorf("%w: %d bytes is more than %d", ErrExport, len(b), MaxExportSize)
	}
	env, err := decodeEnvelope(b)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(env.Snapshot)
	if got := hex.EncodeToString(sum[:]); got != env.SHA256 {
		return nil, fmt.Errorf("%w: sha256 mismatch: the envelope says %s, the snapshot's %d bytes hash to %s (corrupt or altered)",
			ErrExport, env.SHA256, len(env.Snapshot), got)
	}
	s := new(Snapshot)
	if err := json.Unmarshal(env.Snapshot, s); err != nil {
		return nil, fmt.Errorf("%w: snapshot: %v", ErrExport, err)
	}
	if err := ValidateExport(s); err != nil {
		return nil, err
	}
	return s, nil
}

func decodeEnvelope(b []byte) (*envelope, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	env := new(envelope)
	if err := dec.Decode(env); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("%w: truncated after %d bytes", ErrExport, len(b))
		}
		return nil, fmt.Errorf("%w: envelope: %v", ErrExport, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: data after the envelope", ErrExport)
	}
	if env.Format != Format {
		return nil, fmt.Errorf("%w: format %d, this build reads format %d", ErrExport, env.Format, Format)
	}
	if !isDigest(env.SHA256) {
		return nil, fmt.Errorf("%w: sha256 %q is not 64 lowercase hex digits", ErrExport, clip(env.SHA256))
	}
	if len(env.Snapshot) == 0 {
		return nil, fmt.Errorf("%w: no snapshot", ErrExport)
	}
	return env, nil
}

func isDigest(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// clip shortens outside text quoted in an error.
func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// treeStates are the states a mirror can be in for a tree.
var treeStates = map[string]bool{Fresh: true, Behind: true, Inconsistent: true, Error: true, Unreachable: true, Unknown: true}

// nsStates are the states of a name server (NameServer.State).
var nsStates = map[string]bool{"ok": true, "lagging": true, "wrong": true, "error": true, "unreachable": true, "unknown": true}

// ValidateExport checks what the surfaces rely on: the current format, a
// generation time, a loaded signal whose record has one canonical field
// per tree matching the tree's stamp, unique non-empty names of trees,
// mirrors, mirror trees, events and repos, references to known trees
// only, and known states. Every error wraps ErrExport and names the field.
func ValidateExport(s *Snapshot) error {
	if s == nil {
		return fmt.Errorf("%w: no snapshot", ErrExport)
	}
	v := &validator{}
	v.top(s)
	trees := v.trees(s)
	v.nameServers(s.NameServers)
	v.mirrors(s.Mirrors, trees)
	v.events(s.Events)
	v.repos(s.Repos, trees)
	return v.err
}

// validator keeps the first problem found.
type validator struct{ err error }

func (v *validator) fail(field, format string, args ...any) {
	if v.err == nil {
		v.err = fmt.Errorf("%w: %s: %s", ErrExport, field, fmt.Sprintf(format, args...))
	}
}

func (v *validator) top(s *Snapshot) {
	if s.Format != Format {
		v.fail("format", "%d, this build reads %d", s.Format, Format)
	}
	if s.Generated.IsZero() {
		v.fail("generated", "missing")
	}
	if !s.Signal.Loaded {
		v.fail("signal.loaded", "false: the primary has not built its zone yet")
	}
	if s.Signal.Zone == "" || s.Signal.Name == "" {
		v.fail("signal", "zone and name are required")
	}
}

// trees checks the trees against the record and returns their names.
func (v *validator) trees(s *Snapshot) map[string]bool {
	names := make(map[string]bool, len(s.Trees))
	for i, t := range s.Trees {
		f := fmt.Sprintf("trees[%d]", i)
		switch {
		case t.Name == "" || len(t.Name) > 64:
			v.fail(f+".name", "must be 1 to 64 bytes")
		case strings.Contains(t.Name, ":"):
			v.fail(f+".name", "%q holds a colon", clip(t.Name))
		case names[t.Name]:
			v.fail(f+".name", "%q appears twice", clip(t.Name))
		}
		names[t.Name] = true
		for state, n := range t.Counts {
			if !treeStates[state] || n < 0 {
				v.fail(f+".counts", "%q: %d is not a count of a known state", clip(state), n)
			}
		}
	}
	if len(s.Trees) == 0 {
		v.fail("trees", "none")
		return names
	}
	fields := strings.Split(s.Signal.Record, ":")
	if len(fields) != len(s.Trees) {
		v.fail("signal.record", "%d fields for %d trees", len(fields), len(s.Trees))
		return names
	}
	for i, f := range fields {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil || n < 0 || strconv.FormatInt(n, 10) != f {
			v.fail("signal.record", "field %d %q is not a canonical timestamp", i+1, clip(f))
		} else if n != s.Trees[i].Stamp {
			v.fail(fmt.Sprintf("trees[%d].stamp", i), "%d, but the record says %d", s.Trees[i].Stamp, n)
		}
	}
	return names
}

func (v *validator) nameServers(nss []NameServer) {
	for i, ns := range nss {
		if !nsStates[ns.State] {
			v.fail(fmt.Sprintf("nameservers[%d].state", i), "%q is not a known name-server state", clip(ns.State))
		}
	}
}

func (v *validator) mirrors(ms []Mirror, trees map[string]bool) {
	seen := make(map[string]bool, len(ms))
	for i, m := range ms {
		f := fmt.Sprintf("mirrors[%d]", i)
		switch {
		case m.Name == "":
			v.fail(f+".name", "empty")
		case seen[m.Name]:
			v.fail(f+".name", "%q appears twice", clip(m.Name))
		}
		seen[m.Name] = true
		if m.Tier < 0 || m.Bandwidth < 0 {
			v.fail(f, "tier %d and bandwidth %d must not be negative", m.Tier, m.Bandwidth)
		}
		v.mirrorTrees(f, m.Trees, trees)
	}
}

func (v *validator) mirrorTrees(f string, mts []MirrorTree, trees map[string]bool) {
	seen := make(map[string]bool, len(mts))
	for j, mt := range mts {
		g := fmt.Sprintf("%s.trees[%d]", f, j)
		switch {
		case !trees[mt.Tree]:
			v.fail(g+".tree", "%q is not a tree of the signal", clip(mt.Tree))
		case seen[mt.Tree]:
			v.fail(g+".tree", "%q appears twice", clip(mt.Tree))
		}
		seen[mt.Tree] = true
		v.state(g+".state", mt.State, false)
		v.state(g+".notified", mt.Notified, true)
		for k, p := range mt.Probes {
			v.state(fmt.Sprintf("%s.probes[%d].state", g, k), p.State, false)
		}
		for k, p := range mt.Recent {
			v.state(fmt.Sprintf("%s.recent[%d].state", g, k), p.State, false)
		}
		for k, d := range mt.Days {
			v.state(fmt.Sprintf("%s.days[%d].worst", g, k), d.Worst, true)
		}
	}
}

func (v *validator) state(field, s string, emptyOK bool) {
	if !treeStates[s] && !(emptyOK && s == "") {
		v.fail(field, "%q is not a known state", clip(s))
	}
}

func (v *validator) events(es []Event) {
	seen := make(map[string]bool, len(es))
	for i, e := range es {
		f := fmt.Sprintf("events[%d]", i)
		switch {
		case e.ID == "" || e.Tree == "":
			v.fail(f, "id and tree are required")
		case seen[e.ID]:
			v.fail(f+".id", "%q appears twice", clip(e.ID))
		}
		seen[e.ID] = true
	}
}

func (v *validator) repos(rs []Repo, trees map[string]bool) {
	seen := make(map[[2]string]bool, len(rs))
	for i, r := range rs {
		f := fmt.Sprintf("repos[%d]", i)
		key := [2]string{r.Name, r.Arch}
		switch {
		case r.Name == "" || r.Arch == "":
			v.fail(f, "name and arch are required")
		case seen[key]:
			v.fail(f, "repo %q arch %q appears twice", clip(r.Name), clip(r.Arch))
		case !trees[r.Tree]:
			v.fail(f+".tree", "%q is not a tree of the signal", clip(r.Tree))
		}
		seen[key] = true
	}
}
