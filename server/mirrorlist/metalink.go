package mirrorlist

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"strconv"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/status"
)

// Metalink dialect: MirrorManager's metalink 3.0 with its mm0 namespace,
// as dnf (librepo) reads it.
const (
	metalinkType = "application/metalink+xml"
	generator    = "mirrorsignal"
	// maxPreference is the first host's preference; each next host gets
	// one less, never below minPreference (librepo reads 1–100).
	maxPreference = 100
	minPreference = 1
)

// metaURL is one <url> element, split around its preference value.
type metaURL struct {
	head, tail []byte
}

// alternate is one older repomd.xml version, ready to write while it is
// within the grace.
type alternate struct {
	replaced time.Time
	body     []byte
}

// metalinkHead writes the root element's opening, with pubdate now.
func metalinkHead(b []byte, now time.Time) []byte {
	b = append(b, `<?xml version="1.0" encoding="utf-8"?>`+"\n"+
		`<metalink version="3.0" xmlns="http://www.metalinker.org/" type="dynamic" pubdate="`...)
	b = now.UTC().AppendFormat(b, http.TimeFormat)
	return append(b, `" generator="`+generator+`" xmlns:mm0="http://fedorahosted.org/mirrormanager">`+"\n"...)
}

// metalinkFailure is MirrorManager's failure document: the root element
// holding only a comment with the reason.
func metalinkFailure(b []byte, now time.Time, reason string) []byte {
	b = metalinkHead(b, now)
	b = append(b, "<!-- error: "...)
	b = appendComment(b, reason)
	return append(b, " -->\n</metalink>\n"...)
}

// metalinkFiles prebuilds the <file> opening with the current version,
// and each older version as an alternate.
func metalinkFiles(vs []status.RepomdVersion) ([]byte, []alternate) {
	if len(vs) == 0 {
		return nil, nil
	}
	b := []byte(" <files>\n  <file name=\"repomd.xml\">\n")
	b = appendVersion(b, "   ", vs[0])
	var alts []alternate
	for _, v := range vs[1:] {
		if v.Replaced.IsZero() || v.SHA256 == vs[0].SHA256 {
			continue
		}
		ab := []byte("    <mm0:alternate>\n")
		ab = appendVersion(ab, "     ", v)
		ab = append(ab, "    </mm0:alternate>\n"...)
		alts = append(alts, alternate{replaced: v.Replaced, body: ab})
	}
	return b, alts
}

func appendVersion(b []byte, indent string, v status.RepomdVersion) []byte {
	b = append(b, indent+"<mm0:timestamp>"...)
	b = strconv.AppendInt(b, v.Timestamp, 10)
	b = append(b, "</mm0:timestamp>\n"+indent+"<size>"...)
	b = strconv.AppendInt(b, v.Size, 10)
	b = append(b, "</size>\n"+indent+"<verification>\n"...)
	for _, h := range []struct{ typ, v string }{{"md5", v.MD5}, {"sha1", v.SHA1}, {"sha256", v.SHA256}, {"sha512", v.SHA512}} {
		if h.v == "" {
			continue
		}
		b = append(b, indent+` <hash type="`+h.typ+`">`...)
		b = appendEscaped(b, h.v)
		b = append(b, "</hash>\n"...)
	}
	return append(b, indent+"</verification>\n"...)
}

// makeMetaURL builds the <url> element of one mirror URL.
func makeMetaURL(proto, location, u string) metaURL {
	var m metaURL
	m.head = append(m.head, `    <url protocol="`+proto+`" type="`+proto+`"`...)
	if location != "" {
		m.head = append(m.head, ` location="`...)
		m.head = appendEscaped(m.head, location)
		m.head = append(m.head, '"')
	}
	m.head = append(m.head, ` preference="`...)
	m.tail = append(m.tail, `">`...)
	m.tail = appendEscaped(m.tail, u)
	m.tail = append(m.tail, "</url>\n"...)
	return m
}

// appendEscaped appends s escaped for XML text and attribute values.
func appendEscaped(b []byte, s string) []byte {
	var w bytes.Buffer
	xml.EscapeText(&w, []byte(s)) // cannot fail on a bytes.Buffer
	return append(b, w.Bytes()...)
}

// appendComment appends s made safe inside an XML comment: no "--",
// no markup, printable ASCII only.
func appendComment(b []byte, s string) []byte {
	prev := byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < ' ' || c >= 0x7f || c == '<' || c == '>' || c == '&' || (c == '-' && prev == '-') {
			c = '_'
		}
		b = append(b, c)
		prev = c
	}
	return b
}
