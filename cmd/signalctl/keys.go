package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/mirrorsignal/mirrorsignal/server/config"
	"github.com/mirrorsignal/mirrorsignal/server/dnssec"
)

const keysUsage = `usage: signalctl keys COMMAND [flags]

  generate [--ksk|--zsk] [--algorithm ecdsap256|ed25519]   add a key (default: one combined key with the SEP bit)
  ds                                                    print the DS (SHA-256) of every SEP key for the parent zone
  list                                                  list the zone's keys
  retire --tag N                                        move key N to <key_dir>/retired (then SIGHUP signald)
Every command takes --config (for the zone, key_dir and algorithm) or --zone and --dir.
`

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
	pos, err := parseInterleaved(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", pos[0])}
	}
	if *zone == "" || *dir == "" || *alg == "" {
		cfg, err := config.Load(*cfgPath)
		if err != nil && (*zone == "" || *dir == "") {
			return err
		}
		if err == nil {
			*zone, *dir, *alg = or(*zone, cfg.Zone.Origin), or(*dir, cfg.KeyDir()), or(*alg, cfg.DNSSEC.Algorithm)
		}
	}
	switch args[0] {
	case "generate":
		if *ksk && *zsk {
			return usageError{errors.New("--ksk and --zsk exclude each other")}
		}
		flags := uint16(dnssec.FlagKSK)
		if *zsk {
			flags = dnssec.FlagZSK
		}
		return keysGenerate(stdout, *zone, *dir, or(*alg, "ecdsap256"), flags)
	case "ds":
		return keysDS(stdout, *zone, *dir)
	case "list":
		return keysList(stdout, *zone, *dir)
	case "retire":
		if *tag == 0 || *tag > 65535 {
			return usageError{errors.New("retire needs --tag N (see signalctl keys list)")}
		}
		k, err := dnssec.Retire(*dir, *zone, uint16(*tag))
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "retired %s to %s/%s; send SIGHUP to signald\n", k.Base, *dir, dnssec.RetiredDir)
		return nil
	default:
		fmt.Fprint(stderr, keysUsage)
		return usageError{fmt.Errorf("unknown keys command %q", args[0])}
	}
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func keysGenerate(w io.Writer, zone, dir, algName string, flags uint16) error {
	alg, err := dnssec.ParseAlgorithm(algName)
	if err != nil {
		return usageError{err}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	k, err := dnssec.Generate(zone, alg, flags, dnssec.DNSKEYTTL)
	if err != nil {
		return err
	}
	if err := k.Write(dir); err != nil {
		return err
	}
	fmt.Fprintf(w, "%s/%s.key\n", dir, k.Base)
	if k.KSK() {
		fmt.Fprintf(w, "DS for the parent zone:\n%s\n", k.DS())
	}
	return nil
}

func keysDS(w io.Writer, zone, dir string) error {
	keys, err := dnssec.LoadDir(dir, zone)
	if err != nil {
		return err
	}
	n := 0
	for _, k := range keys {
		if k.KSK() {
			fmt.Fprintln(w, k.DS())
			n++
		}
	}
	if n == 0 {
		return fmt.Errorf("no SEP key for %s in %s (run: signalctl keys generate)", zone, dir)
	}
	return nil
}

func keysList(w io.Writer, zone, dir string) error {
	keys, err := dnssec.LoadDir(dir, zone)
	if err != nil {
		return err
	}
	for _, k := range keys {
		role := "ZSK"
		if k.KSK() {
			role = "KSK"
		}
		fmt.Fprintf(w, "%s\t%s\ttag %d\talgorithm %d\n", k.Base, role, k.Tag(), k.DNSKEY.Algorithm)
	}
	return nil
}
