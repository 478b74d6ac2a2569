package keyring

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/mirrorsignal/mirrorsignal/server/dnssec"
)

const zone = "mirrors.example.test."

// Fixture keys in testdata/keys: a combined ECDSA key and an Ed25519 ZSK.
// Their DS records are what BIND's dnssec-dsfromkey -2 prints.
const (
	fixtureKSK = "Kmirrors.example.test.+013+11738"
	fixtureZSK = "Kmirrors.example.test.+015+42664"
	fixtureDS  = "11738 13 2 9ADCF61EB6524EDE6C1C8C1B12753F65864C6B9B6AF06FF0FC26A9E023D094A7"
)

// fixtureRing copies the fixture keys into a fresh directory.
func fixtureRing(t *testing.T, bases ...string) Ring {
	t.Helper()
	dir := t.TempDir()
	for _, b := range bases {
		for _, ext := range []string{".key", ".private"} {
			data, err := os.ReadFile(filepath.Join("testdata", "keys", b+ext))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, b+ext), data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	return Ring{Zone: zone, Dir: dir}
}

func files(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if !e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out
}

var baseRE = regexp.MustCompile(`^Kmirrors\.example\.test\.\+(\d{3})\+(\d{5})$`)

func TestGenerate(t *testing.T) {
	tests := []struct {
		name  string
		alg   uint8
		role  Role
		flags uint16
	}{
		{"combined ecdsa", dnssec.AlgECDSAP256, Combined, dnssec.FlagKSK},
		{"ksk ed25519", dnssec.AlgEd25519, KSK, dnssec.FlagKSK},
		{"zsk ecdsa", dnssec.AlgECDSAP256, ZSK, dnssec.FlagZSK},
		{"zsk ed25519", dnssec.AlgEd25519, ZSK, dnssec.FlagZSK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Ring{Zone: "Mirrors.Example.Test", Dir: filepath.Join(t.TempDir(), "state", "keys")}
			k, err := r.Generate(tt.alg, tt.role)
			if err != nil {
				t.Fatal(err)
			}
			m := baseRE.FindStringSubmatch(k.Base)
			if m == nil || m[1] != fmt.Sprintf("%03d", tt.alg) || m[2] != fmt.Sprintf("%05d", k.Tag()) {
				t.Fatalf("key file base %q is not K<zone>+<alg>+<tag> for algorithm %d, tag %d", k.Base, tt.alg, k.Tag())
			}
			if k.DNSKEY.Flags != tt.flags || k.DNSKEY.Algorithm != tt.alg || k.DNSKEY.Hdr.Ttl != dnssec.DNSKEYTTL {
				t.Errorf("DNSKEY %s; want flags %d, algorithm %d, TTL %d", k.DNSKEY, tt.flags, tt.alg, dnssec.DNSKEYTTL)
			}
			if fi, err := os.Stat(r.Dir); err != nil || fi.Mode().Perm() != dirMode {
				t.Fatalf("key directory: %v, %v; want mode 0700", fi, err)
			}
			want := []string{k.Base + ".key", k.Base + ".private"}
			if got := files(t, r.Dir); !slices.Equal(got, want) {
				t.Fatalf("key directory holds %v, want %v", got, want)
			}
			for _, f := range want {
				if fi, err := os.Stat(filepath.Join(r.Dir, f)); err != nil || fi.Mode().Perm() != 0o600 {
					t.Errorf("%s: %v, %v; want mode 0600", f, fi, err)
				}
			}
			keys, err := r.List()
			if err != nil || len(keys) != 1 || keys[0].Base != k.Base || keys[0].DNSKEY.PublicKey != k.DNSKEY.PublicKey {
				t.Fatalf("List after Generate = %v, %v", keys, err)
			}
		})
	}
}

func TestGenerateRefusesAlgorithm(t *testing.T) {
	r := Ring{Zone: zone, Dir: t.TempDir()}
	if _, err := r.Generate(dns.RSASHA256, Combined); err == nil {
		t.Fatal("Generate made an RSA key")
	}
	if got := files(t, r.Dir); len(got) != 0 {
		t.Fatalf("a refused Generate wrote %v", got)
	}
}

func TestList(t *testing.T) {
	tests := []struct {
		name  string
		ring  Ring
		bases []string
	}{
		{"empty", fixtureRing(t), nil},
		{"ksk before zsk", fixtureRing(t, fixtureZSK, fixtureKSK), []string{fixtureKSK, fixtureZSK}},
		{"another zone's keys ignored", Ring{Zone: "other.example.test.", Dir: fixtureRing(t, fixtureKSK).Dir}, nil},
		{"missing directory", Ring{Zone: zone, Dir: filepath.Join(t.TempDir(), "absent")}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys, err := tt.ring.List()
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, k := range keys {
				got = append(got, k.Base)
			}
			if !slices.Equal(got, tt.bases) {
				t.Errorf("List = %v, want %v", got, tt.bases)
			}
		})
	}
}

func TestListBadKeyFile(t *testing.T) {
	r := fixtureRing(t, fixtureKSK)
	os.Remove(filepath.Join(r.Dir, fixtureKSK+".private"))
	if _, err := r.List(); !errors.Is(err, dnssec.ErrKeyFile) {
		t.Fatalf("List with a missing private half = %v, want dnssec.ErrKeyFile", err)
	}
}

func TestDS(t *testing.T) {
	r := fixtureRing(t, fixtureKSK, fixtureZSK)
	ds, err := r.DS()
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 {
		t.Fatalf("DS = %v, want one record (the ZSK has none)", ds)
	}
	got := fmt.Sprintf("%d %d %d %s", ds[0].KeyTag, ds[0].Algorithm, ds[0].DigestType, strings.ToUpper(ds[0].Digest))
	if got != fixtureDS || ds[0].Hdr.Name != zone {
		t.Errorf("DS %s, want %s %s (BIND's dnssec-dsfromkey)", ds[0], zone, fixtureDS)
	}
}

func TestDSWithoutSEP(t *testing.T) {
	for name, r := range map[string]Ring{
		"zsk only": fixtureRing(t, fixtureZSK),
		"no keys":  fixtureRing(t),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := r.DS()
			if !errors.Is(err, ErrNoSEP) || !strings.Contains(err.Error(), "(run: signalctl keys generate)") {
				t.Fatalf("DS = %v, want ErrNoSEP", err)
			}
		})
	}
}

func TestRetire(t *testing.T) {
	r := fixtureRing(t, fixtureKSK, fixtureZSK)
	k, err := r.Retire(11738)
	if err != nil || k.Base != fixtureKSK {
		t.Fatalf("Retire = %v, %v", k, err)
	}
	if got, want := files(t, r.Dir), []string{fixtureZSK + ".key", fixtureZSK + ".private"}; !slices.Equal(got, want) {
		t.Errorf("key directory holds %v, want %v", got, want)
	}
	retired := filepath.Join(r.Dir, dnssec.RetiredDir)
	if got, want := files(t, retired), []string{fixtureKSK + ".key", fixtureKSK + ".private"}; !slices.Equal(got, want) {
		t.Errorf("retired/ holds %v, want %v", got, want)
	}
	if keys, err := r.List(); err != nil || len(keys) != 1 || keys[0].Base != fixtureZSK {
		t.Errorf("List after Retire = %v, %v", keys, err)
	}
}

func TestRetireRefusals(t *testing.T) {
	tests := []struct {
		name  string
		bases []string
		tag   uint16
		want  string
	}{
		{"unknown tag", []string{fixtureKSK, fixtureZSK}, 1, "no key with tag 1"},
		{"only key", []string{fixtureZSK}, 42664, "only key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := fixtureRing(t, tt.bases...)
			before := files(t, r.Dir)
			if _, err := r.Retire(tt.tag); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Retire(%d) = %v, want %q", tt.tag, err, tt.want)
			}
			if after := files(t, r.Dir); !slices.Equal(after, before) {
				t.Errorf("a refused Retire moved files: %v → %v", before, after)
			}
		})
	}
}
