package keyring

import (
	"fmt"
	"io"

	"github.com/miekg/dns"

	"github.com/mirrorsignal/mirrorsignal/server/dnssec"
)

// FormatGenerated tells where key k went in dir and, for a SEP key, the DS
// to hand the parent zone.
func FormatGenerated(w io.Writer, dir string, k *dnssec.Key) {
	fmt.Fprintf(w, "%s/%s.key\n", dir, k.Base)
	if k.KSK() {
		fmt.Fprintf(w, "DS for the parent zone:\n%s\n", k.DS())
	}
}

// FormatList writes one line per key: file base, role, tag, algorithm,
// separated by tabs.
func FormatList(w io.Writer, keys []*dnssec.Key) {
	for _, k := range keys {
		role := "ZSK"
		if k.KSK() {
			role = "KSK"
		}
		fmt.Fprintf(w, "%s\t%s\ttag %d\talgorithm %d\n", k.Base, role, k.Tag(), k.DNSKEY.Algorithm)
	}
}

// FormatDS writes each DS record on a line of its own, in zone-file form.
func FormatDS(w io.Writer, ds []*dns.DS) {
	for _, d := range ds {
		fmt.Fprintln(w, d)
	}
}

// FormatRetired tells where retired key k went and that signald must be
// told.
func FormatRetired(w io.Writer, dir string, k *dnssec.Key) {
	fmt.Fprintf(w, "retired %s to %s/%s; send SIGHUP to signald\n", k.Base, dir, dnssec.RetiredDir)
}
