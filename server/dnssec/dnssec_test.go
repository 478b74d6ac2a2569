package dnssec

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mirrorsignal/mirrorsignal/signal"
)

const zone = "mirrors.example.test."

func mustKey(t *testing.T, alg uint8, flags uint16) *Key {
	t.Helper()
	k, err := Generate(zone, alg, flags, 3600)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestKeyFilesRoundTrip(t *testing.T) {
	for _, alg := range []uint8{AlgECDSAP256, AlgEd25519} {
		t.Run(dns.AlgorithmToString[alg], func(t *testing.T) {
			dir := t.TempDir()
			k := mustKey(t, alg, FlagKSK)
			if err := k.Write(dir); err != nil {
				t.Fatal(err)
			}
			for _, ext := range []string{".key", ".private"} {
				fi, err := os.Stat(filepath.Join(dir, k.Base+ext))
				if err != nil || fi.Mode().Perm() != 0o600 {
					t.Fatalf("%s%s: mode %v, %v", k.Base, ext, fi.Mode(), err)
				}
			}
			if !strings.HasPrefix(k.Base, "Kmirrors.example.test.+0") {
				t.Fatalf("base name %q", k.Base)
			}
			keys, err := LoadDir(dir, zone)
			if err != nil || len(keys) != 1 {
				t.Fatalf("LoadDir: %v, %d keys", err, len(keys))
			}
			if keys[0].Tag() != k.Tag() || !keys[0].KSK() {
				t.Fatalf("loaded tag %d ksk %v, want %d", keys[0].Tag(), keys[0].KSK(), k.Tag())
			}
			ds := keys[0].DS()
			if ds.DigestType != dns.SHA256 || ds.KeyTag != k.Tag() || len(ds.Digest) != 64 {
				t.Fatalf("DS = %v", ds)
			}
		})
	}
}

func TestCorruptKeyFiles(t *testing.T) {
	dir := t.TempDir()
	k := mustKey(t, AlgECDSAP256, FlagKSK)
	other := mustKey(t, AlgECDSAP256, FlagKSK)
	if err := k.Write(dir); err != nil {
		t.Fatal(err)
	}
	priv := filepath.Join(dir, k.Base+".private")
	good, _ := os.ReadFile(priv)
	tests := []struct {
		name    string
		private string
	}{
		{"garbage", "this is not a key\n"},
		{"truncated", string(good[:len(good)/2])},
		{"other key", other.DNSKEY.PrivateKeyString(other.Private)},
		{"no private key", "Private-key-format: v1.3\nAlgorithm: 13 (ECDSAP256SHA256)\n"},
		{"other algorithm", "Private-key-format: v1.3\nAlgorithm: 15 (ED25519)\nPrivateKey: Mre3/bWwIP0E4aTK8t2aJfrDTSxK+yuZ8uh1tBhk5nU=\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			os.WriteFile(priv, []byte(tt.private), 0o600)
			_, err := LoadDir(dir, zone)
			if !errors.Is(err, ErrKeyFile) || !strings.Contains(err.Error(), priv) {
				t.Fatalf("err = %v, want ErrKeyFile naming %s", err, priv)
			}
		})
	}
	os.WriteFile(priv, good, 0o600)
	os.WriteFile(filepath.Join(dir, k.Base+".key"), []byte("garbage"), 0o600)
	if _, err := LoadDir(dir, zone); !errors.Is(err, ErrKeyFile) {
		t.Fatalf("corrupt .key: err = %v", err)
	}
}

// TestKeyFileWithoutPrivateKey: an Ed25519 .private without its
// PrivateKey line once made signing panic at load (found by FuzzParseKey).
func TestKeyFileWithoutPrivateKey(t *testing.T) {
	k := mustKey(t, AlgEd25519, FlagZSK)
	_, err := Parse([]byte(k.DNSKEY.String()), []byte("Private-key-format: v1.3\nAlgorithm: 15 (ED25519)\n"), "K.key", "K.private")
	if !errors.Is(err, ErrKeyFile) || !strings.Contains(err.Error(), "K.private: no usable ED25519 private key") {
		t.Fatalf("err = %v", err)
	}
}

func txtSet(name, s string) RRset {
	return RRset{Name: name, Type: dns.TypeTXT, RRs: []dns.RR{&dns.TXT{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 300}, Txt: []string{s}}}}
}

func keySet(keys ...*Key) RRset {
	s := RRset{Name: zone, Type: dns.TypeDNSKEY}
	for _, k := range keys {
		s.RRs = append(s.RRs, k.DNSKEY)
	}
	return s
}

func TestSignRoles(t *testing.T) {
	ksk, zsk := mustKey(t, AlgECDSAP256, FlagKSK), mustKey(t, AlgECDSAP256, FlagZSK)
	now := time.Unix(1_800_000_000, 0)
	sets := []RRset{keySet(ksk, zsk), txtSet("current."+zone, "1:2:3")}
	sigs, err := Signer{Zone: zone, Keys: []*Key{ksk, zsk}}.Sign(sets, nil, now)
	if err != nil {
		t.Fatal(err)
	}
	dk := sigs[sets[0].Key()]
	if len(dk) != 1 || dk[0].KeyTag != ksk.Tag() {
		t.Fatalf("DNSKEY signed by %v, want the KSK only", dk)
	}
	tx := sigs[sets[1].Key()]
	if len(tx) != 1 || tx[0].KeyTag != zsk.Tag() {
		t.Fatalf("TXT signed by %v, want the ZSK only", tx)
	}
	if err := tx[0].Verify(zsk.DNSKEY, sets[1].RRs); err != nil || !tx[0].ValidityPeriod(now) {
		t.Fatalf("TXT signature: %v, valid now %v", err, tx[0].ValidityPeriod(now))
	}
	combined, err := Signer{Zone: zone, Keys: []*Key{ksk}}.Sign(sets[1:], nil, now)
	if err != nil || combined[sets[1].Key()][0].KeyTag != ksk.Tag() {
		t.Fatalf("combined key does not sign the TXT: %v", err)
	}
}

// TestSixtyDays runs the signer on an injected clock for 60 simulated days,
// re-signing whenever NextRefresh says so (and at random extra moments), and
// checks at every step that every signature served is valid at that moment
// and that the signal TXT's inception is never older than its heartbeat.
func TestSixtyDays(t *testing.T) {
	k := mustKey(t, AlgECDSAP256, FlagKSK)
	signal := SetKey{"current." + zone, dns.TypeTXT}
	s := Signer{Zone: zone, Keys: []*Key{k}, PolicyFor: func(sk SetKey) Policy {
		if sk == signal {
			return SignalPolicy()
		}
		return DefaultPolicy()
	}}
	sets := []RRset{keySet(k), txtSet(signal.Name, "1:2:3")}
	start := time.Unix(1_800_000_000, 0)
	now := start
	sigs, err := s.Sign(sets, nil, now)
	if err != nil {
		t.Fatal(err)
	}
	resigns := 0
	const step = 10 * time.Minute
	for now.Before(start.Add(60 * 24 * time.Hour)) {
		now = now.Add(step)
		if refresh, _ := s.NextRefresh(sigs); !now.Before(refresh) {
			if sigs, err = s.Sign(sets, sigs, now); err != nil {
				t.Fatal(err)
			}
			resigns++
		}
		for key, list := range sigs {
			for _, sig := range list {
				if !sig.ValidityPeriod(now) {
					t.Fatalf("%s: %v served outside its validity at %s", now, key, now.UTC())
				}
			}
		}
		inc := time.Unix(int64(sigs[signal][0].Inception), 0).Add(InceptionSkew)
		if age := now.Sub(inc); age > SignalHeartbeat+step {
			t.Fatalf("signal signature is %s old at %s", age, now.UTC())
		}
	}
	if want := int(60*24*time.Hour/SignalHeartbeat) - 2; resigns < want {
		t.Fatalf("%d re-signs in 60 days, want at least %d (heartbeat)", resigns, want)
	}
}

func TestSignKeepsFreshSignatures(t *testing.T) {
	k := mustKey(t, AlgECDSAP256, FlagKSK)
	s := Signer{Zone: zone, Keys: []*Key{k}}
	now := time.Unix(1_800_000_000, 0)
	set := txtSet("current."+zone, "1:2:3")
	first, _ := s.Sign([]RRset{set}, nil, now)
	again, _ := s.Sign([]RRset{set}, first, now.Add(time.Hour))
	if again[set.Key()][0] != first[set.Key()][0] {
		t.Fatal("an unchanged, fresh RRset was re-signed")
	}
	changed := txtSet("current."+zone, "1:2:4")
	third, _ := s.Sign([]RRset{changed}, first, now.Add(time.Hour))
	if third[set.Key()][0] == first[set.Key()][0] || third[set.Key()][0].Verify(k.DNSKEY, changed.RRs) != nil {
		t.Fatal("a changed RRset kept its old signature")
	}
	late, _ := s.Sign([]RRset{set}, first, now.Add(Validity-RefreshMargin+time.Second))
	if late[set.Key()][0] == first[set.Key()][0] {
		t.Fatal("a signature inside the refresh margin was kept")
	}
}

func TestNSECChain(t *testing.T) {
	sets := []RRset{
		{Name: zone, Type: dns.TypeSOA}, {Name: zone, Type: dns.TypeNS},
		{Name: "ns1." + zone, Type: dns.TypeA},
		{Name: "current." + zone, Type: dns.TypeTXT}, {Name: "_trees.current." + zone, Type: dns.TypeTXT},
	}
	chain := NSEC(zone, sets, 300)
	var got []string
	for _, s := range chain {
		n := s.RRs[0].(*dns.NSEC)
		got = append(got, n.Hdr.Name+">"+n.NextDomain)
	}
	want := []string{
		zone + ">current." + zone,
		"current." + zone + ">_trees.current." + zone,
		"_trees.current." + zone + ">ns1." + zone,
		"ns1." + zone + ">" + zone,
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("chain\n got %v\nwant %v", got, want)
	}
	apex := chain[0].RRs[0].(*dns.NSEC)
	if len(apex.TypeBitMap) != 4 || apex.TypeBitMap[0] != dns.TypeNS || apex.TypeBitMap[1] != dns.TypeSOA {
		t.Fatalf("apex bitmap %v", apex.TypeBitMap)
	}
}

// TestHeartbeatContract: signald's side of the heartbeat contract with
// mirror-agent uses the shared constants of package signal.
func TestHeartbeatContract(t *testing.T) {
	if got := SignalPolicy().Heartbeat; got != signal.SignatureHeartbeat {
		t.Errorf("signal TXT heartbeat %s, want signal.SignatureHeartbeat %s", got, signal.SignatureHeartbeat)
	}
	now := time.Unix(1_700_000_000, 0)
	set := RRset{Name: "current." + zone, Type: dns.TypeTXT, RRs: []dns.RR{
		&dns.TXT{Hdr: dns.RR_Header{Name: "current." + zone, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 300}, Txt: []string{"1:2"}},
	}}
	sig, err := NewSig(set, mustKey(t, AlgEd25519, FlagKSK), SignalPolicy().Validity, now)
	if err != nil {
		t.Fatal(err)
	}
	if got := now.Sub(time.Unix(int64(sig.Inception), 0)); got != signal.InceptionBackdate {
		t.Errorf("inception back-dated %s, want signal.InceptionBackdate %s", got, signal.InceptionBackdate)
	}
	// A signature one heartbeat old is due: the agent never sees an older one.
	s := Signer{Zone: zone, Keys: []*Key{mustKey(t, AlgEd25519, FlagKSK)}, PolicyFor: func(SetKey) Policy { return SignalPolicy() }}
	sigs, err := s.Sign([]RRset{set}, nil, now)
	if err != nil {
		t.Fatal(err)
	}
	if s.NeedsRefresh(sigs, now.Add(signal.SignatureHeartbeat-time.Second)) || !s.NeedsRefresh(sigs, now.Add(signal.SignatureHeartbeat)) {
		t.Errorf("the signal TXT is not due for re-signing exactly one heartbeat (%s) after signing", signal.SignatureHeartbeat)
	}
}
