package doh

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Protocol constants (RFC 8484).
const (
	// Path is where DoH is served; the URI template is https://host/dns-query{?dns}.
	Path = "/dns-query"
	// MediaType is the type of request and response bodies (§6).
	MediaType = "application/dns-message"
	// Param is the GET parameter holding the base64url query (§4.1).
	Param = "dns"
	// MaxMessageSize is the largest query accepted: a DNS message over
	// TCP, and so over DoH, has at most 65535 bytes.
	MaxMessageSize = 65535

	headerLen = 12   // DNS header
	flagQR    = 0x80 // in the third header byte
	answerCap = 1024 // initial response buffer: most answers fit
)

// Answerer answers one DNS message in wire format: dst with the response
// appended, or nil when the message gets none (authdns.Server.Answer).
type Answerer interface {
	Answer(dst, msg []byte) []byte
}

// Handler serves /dns-query from an Answerer.
type Handler struct {
	dns Answerer
}

// New returns a Handler answering from a.
func New(a Answerer) *Handler { return &Handler{dns: a} }

// Register adds GET and POST /dns-query to mux (the mux answers other
// methods with 405 and an Allow header).
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET "+Path, h.get)
	mux.HandleFunc("POST "+Path, h.post)
}

// requestError is a bad request: its HTTP status and one-line reason.
type requestError struct {
	status int
	reason string
}

func (e *requestError) Error() string { return e.reason }

func (h *Handler) get(w http.ResponseWriter, r *http.Request) {
	msg, err := fromQuery(r.URL.RawQuery)
	h.reply(w, msg, err)
}

func (h *Handler) post(w http.ResponseWriter, r *http.Request) {
	msg, err := fromBody(w, r)
	h.reply(w, msg, err)
}

// fromQuery decodes the dns parameter: base64url without padding (§4.1);
// padding is tolerated.
func fromQuery(raw string) ([]byte, error) {
	vals, err := url.ParseQuery(raw)
	if err != nil {
		return nil, &requestError{http.StatusBadRequest, "malformed query string"}
	}
	s := vals.Get(Param)
	switch {
	case s == "":
		return nil, &requestError{http.StatusBadRequest, "missing dns parameter"}
	case len(s) > base64.RawURLEncoding.EncodedLen(MaxMessageSize)+2:
		return nil, &requestError{http.StatusRequestEntityTooLarge, fmt.Sprintf("message over %d bytes", MaxMessageSize)}
	}
	msg, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return nil, &requestError{http.StatusBadRequest, "dns parameter is not base64url"}
	}
	return msg, nil
}

// fromBody reads a POST body of type application/dns-message, at most
// MaxMessageSize bytes.
func fromBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != MediaType {
		return nil, &requestError{http.StatusUnsupportedMediaType, "Content-Type must be " + MediaType}
	}
	tooBig := &requestError{http.StatusRequestEntityTooLarge, fmt.Sprintf("message over %d bytes", MaxMessageSize)}
	if r.ContentLength > MaxMessageSize {
		return nil, tooBig
	}
	msg, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxMessageSize))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return nil, tooBig
	case err != nil:
		return nil, &requestError{http.StatusBadRequest, "reading the body failed"}
	}
	return msg, nil
}

// reply answers msg, or the request error err.
func (h *Handler) reply(w http.ResponseWriter, msg []byte, err error) {
	if err == nil {
		err = checkQuery(msg)
	}
	var out []byte
	if err == nil {
		if out = h.dns.Answer(make([]byte, 0, answerCap), msg); out == nil {
			err = &requestError{http.StatusBadRequest, "the message gets no DNS answer"}
		}
	}
	if re := (*requestError)(nil); errors.As(err, &re) {
		http.Error(w, re.reason, re.status)
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Type", MediaType)
	hdr.Set("Content-Length", strconv.Itoa(len(out)))
	hdr.Set("Cache-Control", "max-age="+strconv.FormatUint(uint64(minTTL(out)), 10))
	_, _ = w.Write(out)
}

// checkQuery refuses what no DNS server answers: less than a header, or a
// response (QR set).
func checkQuery(msg []byte) error {
	switch {
	case len(msg) < headerLen:
		return &requestError{http.StatusBadRequest, fmt.Sprintf("message of %d bytes is shorter than a DNS header", len(msg))}
	case msg[2]&flagQR != 0:
		return &requestError{http.StatusBadRequest, "message is a response (QR set), not a query"}
	}
	return nil
}
