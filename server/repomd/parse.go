package repomd

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// MaxSize is the largest repomd.xml read: real ones are a few kilobytes,
// modular repos with many <data> entries a few tens.
const MaxSize = 1 << 20

// Namespace is repomd.xml's XML namespace.
const Namespace = "http://linux.duke.edu/metadata/repo"

// ErrBad is wrapped by every reason Parse refuses a file.
var ErrBad = errors.New("bad repomd.xml")

// digestLen is the hex length of each checksum type createrepo writes.
var digestLen = map[string]int{
	"md5": 32, "sha": 40, "sha1": 40, "sha224": 56, "sha256": 64, "sha384": 96, "sha512": 128,
}

// Repomd is what of a repomd.xml tells one version from another.
type Repomd struct {
	Revision string // as written; often the Unix time of the build
	Data     []Data // sorted by Type
}

// Data is one <data> entry: one metadata file of the repository.
type Data struct {
	Type         string // primary, filelists, other, updateinfo, …
	ChecksumType string // md5, sha, sha1, sha224, sha256, sha384 or sha512
	Checksum     string // lower-case hex
	Timestamp    int64  // 0 when the entry has none
}

// xmlRepomd is the document as encoding/xml reads it.
type xmlRepomd struct {
	XMLName  xml.Name  `xml:"repomd"`
	Revision []string  `xml:"revision"`
	Data     []xmlData `xml:"data"`
}

type xmlData struct {
	Type     string `xml:"type,attr"`
	Checksum []struct {
		Type  string `xml:"type,attr"`
		Value string `xml:",chardata"`
	} `xml:"checksum"`
	Timestamp []string `xml:"timestamp"`
}

// Parse reads a repomd.xml. It wants the repomd root in its namespace, at
// most one <revision>, and at least one <data>, each with a unique type,
// exactly one <checksum> of a known type with a hex digest of its length,
// and at most one integer <timestamp>. Other elements are ignored. Any
// refusal wraps ErrBad.
func Parse(b []byte) (Repomd, error) {
	if len(b) > MaxSize {
		return Repomd{}, fmt.Errorf("%w: more than %d bytes", ErrBad, MaxSize)
	}
	var doc xmlRepomd
	if err := decode(b, &doc); err != nil {
		return Repomd{}, fmt.Errorf("%w: %w", ErrBad, err)
	}
	if doc.XMLName.Space != Namespace {
		return Repomd{}, fmt.Errorf("%w: root element is not {%s}repomd", ErrBad, Namespace)
	}
	if len(doc.Revision) > 1 {
		return Repomd{}, fmt.Errorf("%w: %d revisions", ErrBad, len(doc.Revision))
	}
	var r Repomd
	if len(doc.Revision) == 1 {
		r.Revision = strings.TrimSpace(doc.Revision[0])
	}
	if len(doc.Data) == 0 {
		return Repomd{}, fmt.Errorf("%w: no <data>", ErrBad)
	}
	for _, x := range doc.Data {
		d, err := x.data()
		if err != nil {
			return Repomd{}, fmt.Errorf("%w: %w", ErrBad, err)
		}
		r.Data = append(r.Data, d)
	}
	slices.SortFunc(r.Data, func(a, b Data) int { return strings.Compare(a.Type, b.Type) })
	for i := 1; i < len(r.Data); i++ {
		if r.Data[i].Type == r.Data[i-1].Type {
			return Repomd{}, fmt.Errorf("%w: two <data type=%q>", ErrBad, r.Data[i].Type)
		}
	}
	return r, nil
}

// decode reads the whole of b as one document: nothing but white space,
// comments and processing instructions may follow the root.
func decode(b []byte, doc *xmlRepomd) error {
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	if err := d.Decode(doc); err != nil {
		return err
	}
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.Comment, xml.ProcInst:
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return errors.New("text after the root element")
			}
		default:
			return errors.New("content after the root element")
		}
	}
}

func (x xmlData) data() (Data, error) {
	d := Data{Type: strings.TrimSpace(x.Type)}
	if d.Type == "" || !printable(d.Type) {
		return d, fmt.Errorf("<data> with type %q", x.Type)
	}
	if len(x.Checksum) != 1 {
		return d, fmt.Errorf("<data type=%q>: %d checksums", d.Type, len(x.Checksum))
	}
	c := x.Checksum[0]
	d.ChecksumType = strings.ToLower(strings.TrimSpace(c.Type))
	d.Checksum = strings.ToLower(strings.TrimSpace(c.Value))
	n, ok := digestLen[d.ChecksumType]
	if !ok {
		return d, fmt.Errorf("<data type=%q>: checksum type %q", d.Type, c.Type)
	}
	if _, err := hex.DecodeString(d.Checksum); err != nil || len(d.Checksum) != n {
		return d, fmt.Errorf("<data type=%q>: %s checksum is not %d hex digits", d.Type, d.ChecksumType, n)
	}
	if len(x.Timestamp) > 1 {
		return d, fmt.Errorf("<data type=%q>: %d timestamps", d.Type, len(x.Timestamp))
	}
	if len(x.Timestamp) == 1 {
		// createrepo_c writes whole seconds; old createrepo a float.
		ts, err := strconv.ParseFloat(strings.TrimSpace(x.Timestamp[0]), 64)
		if err != nil || !(ts >= 0 && ts <= 1<<40) { // NaN fails too
			return d, fmt.Errorf("<data type=%q>: timestamp %q", d.Type, x.Timestamp[0])
		}
		d.Timestamp = int64(ts)
	}
	return d, nil
}

// printable reports whether s has no control characters or spaces.
func printable(s string) bool {
	for _, r := range s {
		if r <= ' ' || r == 0x7f {
			return false
		}
	}
	return true
}

// Fingerprint names r's content: equal for two repomd.xml files with the
// same revision and the same checksum and timestamp per data type,
// whatever their layout or the order of their entries.
func (r Repomd) Fingerprint() string {
	h := sha256.New()
	fmt.Fprintf(h, "revision %q\n", r.Revision)
	for _, d := range r.Data {
		fmt.Fprintf(h, "data %q %s %s %d\n", d.Type, d.ChecksumType, d.Checksum, d.Timestamp)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}
