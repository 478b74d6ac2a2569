package checkbench

import (
	"bytes"
	"fmt"
	"os"
	"strings"
)

// hostsFile adds the mirrors' names to a hosts file (/etc/hosts) for a run
// and takes them out again. The file is rewritten in place, not renamed:
// in a container /etc/hosts is often a bind mount.
type hostsFile struct {
	path   string
	orig   []byte
	backup string // a copy of the original beside it, until restore
	begin  string // the marker line opening the added block
}

// addHosts backs up path, then appends one "ip name" line per mirror
// between marker lines.
func addHosts(path string, ms []mirror) (*hostsFile, error) {
	orig, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	h := &hostsFile{path: path, orig: orig, backup: path + ".checkbench-backup",
		begin: fmt.Sprintf("# checkbench %d begin", os.Getpid())}
	if err := os.WriteFile(h.backup, orig, 0o644); err != nil {
		return nil, fmt.Errorf("backing up %s: %w", path, err)
	}
	var b bytes.Buffer
	b.Write(orig)
	if len(orig) > 0 && orig[len(orig)-1] != '\n' {
		b.WriteByte('\n')
	}
	fmt.Fprintln(&b, h.begin)
	for _, m := range ms {
		fmt.Fprintf(&b, "%s %s\n", m.ip, m.name)
	}
	fmt.Fprintln(&b, h.end())
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		h.restore()
		return nil, fmt.Errorf("adding the mirrors to %s: %w", path, err)
	}
	return h, nil
}

func (h *hostsFile) end() string { return strings.Replace(h.begin, " begin", " end", 1) }

// restore takes the added block out, keeping lines others added meanwhile,
// and removes the backup once the file is back.
func (h *hostsFile) restore() error {
	cur, err := os.ReadFile(h.path)
	if err != nil {
		return err
	}
	out := removeBlock(cur, h.begin, h.end())
	if !bytes.Equal(out, cur) {
		if err := os.WriteFile(h.path, out, 0o644); err != nil {
			return fmt.Errorf("restoring %s (the original is in %s): %w", h.path, h.backup, err)
		}
	}
	return os.Remove(h.backup)
}

// removeBlock drops the lines from begin to end, both included.
func removeBlock(data []byte, begin, end string) []byte {
	var out bytes.Buffer
	in := false
	for line := range strings.SplitAfterSeq(string(data), "\n") {
		switch t := strings.TrimRight(line, "\n"); {
		case t == begin:
			in = true
		case in && t == end:
			in = false
		case !in:
			out.WriteString(line)
		}
	}
	return out.Bytes()
}
