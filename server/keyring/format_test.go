package keyring

import (
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/mirrorsignal/mirrorsignal/server/dnssec"
)

func fixtureKeys(t *testing.T) (ksk, zsk *dnssec.Key) {
	t.Helper()
	keys, err := fixtureRing(t, fixtureKSK, fixtureZSK).List()
	if err != nil || len(keys) != 2 {
		t.Fatalf("fixture keys: %v, %v", keys, err)
	}
	return keys[0], keys[1]
}

const fixtureDSLine = "mirrors.example.test.\t3600\tIN\tDS\t11738 13 2 9ADCF61EB6524EDE6C1C8C1B12753F65864C6B9B6AF06FF0FC26A9E023D094A7\n"

func TestFormat(t *testing.T) {
	ksk, zsk := fixtureKeys(t)
	tests := []struct {
		name  string
		write func(b *strings.Builder)
		want  string
	}{
		{"generated ksk", func(b *strings.Builder) { FormatGenerated(b, "/var/lib/signald/keys", ksk) },
			"/var/lib/signald/keys/" + fixtureKSK + ".key\nDS for the parent zone:\n" + fixtureDSLine},
		{"generated zsk", func(b *strings.Builder) { FormatGenerated(b, "keys", zsk) },
			"keys/" + fixtureZSK + ".key\n"},
		{"list", func(b *strings.Builder) { FormatList(b, []*dnssec.Key{ksk, zsk}) },
			fixtureKSK + "\tKSK\ttag 11738\talgorithm 13\n" + fixtureZSK + "\tZSK\ttag 42664\talgorithm 15\n"},
		{"list empty", func(b *strings.Builder) { FormatList(b, nil) }, ""},
		{"ds", func(b *strings.Builder) { FormatDS(b, []*dns.DS{ksk.DS()}) }, fixtureDSLine},
		{"retired", func(b *strings.Builder) { FormatRetired(b, "var/keys", zsk) },
			"retired " + fixtureZSK + " to var/keys/retired; send SIGHUP to signald\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			tt.write(&b)
			if b.String() != tt.want {
				t.Errorf("got\n%q\nwant\n%q", b.String(), tt.want)
			}
		})
	}
}
