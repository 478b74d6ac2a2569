package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/mirrorsignal/mirrorsignal/server/config"
	"github.com/mirrorsignal/mirrorsignal/server/dnssec"
	"github.com/mirrorsignal/mirrorsignal/server/keyring"
)

const keysUsage = `usage: signalctl keys COMMAND [flags]

  generate [--ksk|--zsk] [--algorithm ecdsap256|ed25519]   add a key (default: one combined key with the SEP bit)
  ds                                                    print the DS (SHA-256) of every SEP key for the parent zone
  list                                                  list the zone's keys
  retire --tag N                                        move key N to <key_dir>/retired (then SIGHUP signald)
  advice-pub [--key FILE]                               print the sync-source advice public key for agent.toml's
                                                        sync_sources.public_key (default FILE: <state_dir>/advice.key)
Every command takes --config (for the zone, key_dir and algorithm) or --zone and --dir.
`

// defaultAlgorithm is used when neither --algorithm nor the config names one.
const defaultAlgorithm = "ecdsap256"

func runKeys(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, keysUsage)
		return usageError{errors.New("keys needs a command")}
	}
	fs := flag.NewFlagSet("signalctl keys "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", defaultConfig, "signald configuration")
	zone := fs.String("zone", "", "zone (default: zone.origin from the config)")
	dir := fs.String("dir", "", "key directory (default: dnssec.key_dir from the config)")
	alg := fs.String("algorithm", "", "generate: ecdsap256 or ed25519 (default: dnssec.algorithm, else ecdsap256)")
	ksk := fs.Bool("ksk", false, "generate: a key-signing key (SEP) of a KSK/ZSK split")
	zsk := fs.Bool("zsk", false, "generate: a zone-signing key of a KSK/ZSK split")
	tag := fs.Uint("tag", 0, "retire: the key tag")
	adviceKey := fs.String("key", "", "advice-pub: the advice key file (default: "+keyring.AdviceKeyFile+" in state_dir from the config)")
	pos, err := parseInterleaved(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", pos[0])}
	}
	if args[0] == "advice-pub" {
		return keysAdvicePub(stdout, *cfgPath, *adviceKey)
	}
	if err := keysDefaults(*cfgPath, zone, dir, alg); err != nil {
		return err
	}
	ring := keyring.Ring{Zone: *zone, Dir: *dir}
	switch args[0] {
	case "generate":
		return keysGenerate(stdout, ring, or(*alg, defaultAlgorithm), *ksk, *zsk)
	case "ds":
		ds, err := ring.DS()
		if err != nil {
			return err
		}
		keyring.FormatDS(stdout, ds)
		return nil
	case "list":
		keys, err := ring.List()
		if err != nil {
			return err
		}
		keyring.FormatList(stdout, keys)
		return nil
	case "retire":
		return keysRetire(stdout, ring, *tag)
	default:
		fmt.Fprint(stderr, keysUsage)
		return usageError{fmt.Errorf("unknown keys command %q", args[0])}
	}
}

// keysDefaults fills the zone, key directory and algorithm not given as
// flags from the config; the config must load when the zone or directory
// is missing.
func keysDefaults(cfgPath string, zone, dir, alg *string) error {
	if *zone != "" && *dir != "" && *alg != "" {
		return nil
	}
	cfg, err := config.Load(cfgPath)
	if err != nil && (*zone == "" || *dir == "") {
		return err
	}
	if err == nil {
		*zone, *dir, *alg = or(*zone, cfg.Zone.Origin), or(*dir, cfg.KeyDir()), or(*alg, cfg.DNSSEC.Algorithm)
	}
	return nil
}

func keysGenerate(w io.Writer, ring keyring.Ring, algName string, ksk, zsk bool) error {
	if ksk && zsk {
		return usageError{errors.New("--ksk and --zsk exclude each other")}
	}
	role := keyring.Combined
	switch {
	case ksk:
		role = keyring.KSK
	case zsk:
		role = keyring.ZSK
	}
	alg, err := dnssec.ParseAlgorithm(algName)
	if err != nil {
		return usageError{err}
	}
	k, err := ring.Generate(alg, role)
	if err != nil {
		return err
	}
	keyring.FormatGenerated(w, ring.Dir, k)
	return nil
}

func keysRetire(w io.Writer, ring keyring.Ring, tag uint) error {
	if tag == 0 || tag > 65535 {
		return usageError{errors.New("retire needs --tag N (see signalctl keys list)")}
	}
	k, err := ring.Retire(uint16(tag))
	if err != nil {
		return err
	}
	keyring.FormatRetired(w, ring.Dir, k)
	return nil
}

// keysAdvicePub prints the public half of signald's sync-source advice key,
// read from path or else from state_dir in the config.
func keysAdvicePub(w io.Writer, cfgPath, path string) error {
	if path == "" {
		cfg, err := config.Load(cfgPath)
		if err != nil {
			return err
		}
		path = cfg.StatePath(keyring.AdviceKeyFile)
	}
	pub, err := keyring.AdvicePublicKey(path)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, pub)
	return nil
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
