package keyring

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/mirrorsignal/mirrorsignal/server/agentapi/advice/advicekey"
)

// AdviceKeyFile is the name of signald's sync-source advice key in
// state_dir.
const AdviceKeyFile = advicekey.FileName

// AdvicePublicKey reads signald's sync-source advice key at path and
// returns its public half the way agent.toml's sync_sources.public_key
// takes it (base64 of the 32 raw bytes). It never creates the key: signald
// does, at its first start, as the user it runs as.
func AdvicePublicKey(path string) (string, error) {
	k, err := advicekey.Load(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("%w (signald creates the advice key at its first start with a mirror list, publish.mirrors_file)", err)
	}
	if err != nil {
		return "", err
	}
	return advicekey.PublicKeyString(k), nil
}
