package server

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/mirrorsignal/mirrorsignal/signal/atomicfile"
)

// adminToken reads the admin token at path, creating a random one (mode
// 0600) when the file does not exist.
func adminToken(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		buf := make([]byte, 32)
		rand.Read(buf)
		tok := []byte(hex.EncodeToString(buf))
		if err := atomicfile.Write(path, append(tok, '\n'), 0o600); err != nil {
			return nil, fmt.Errorf("admin token: %w", err)
		}
		return tok, nil
	}
	if err != nil {
		return nil, fmt.Errorf("admin token: %w", err)
	}
	tok := bytes.TrimSpace(data)
	if len(tok) < 16 {
		return nil, fmt.Errorf("admin token %s: shorter than 16 characters", path)
	}
	return tok, nil
}
