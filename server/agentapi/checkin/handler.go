package checkin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Pattern is where the handler answers on the public listener.
const Pattern = "POST /api/v1/checkin"

// Options are what the handler needs from the rest of signald.
type Options struct {
	// Tokens returns a mirror's check-in secret; false (or an empty
	// secret) for a mirror that is unknown or has none. It is called on
	// every request, so a reload takes effect at once.
	Tokens func(mirror string) ([]byte, bool)
	// Recheck schedules an immediate probe of mirror and reports whether
	// the checker knows it (checker.Checker.Recheck).
	Recheck func(mirror string) bool
	// Registerer takes the metrics; nil leaves them unregistered.
	Registerer prometheus.Registerer
	// Logger defaults to discarding; Now to time.Now.
	Logger *slog.Logger
	Now    func() time.Time
}

// Handler serves check-ins.
type Handler struct {
	o     Options
	log   *slog.Logger
	guard *guard
	m     *metrics
	dummy []byte // keys the HMAC computed for unknown mirrors
}

// New returns the handler; Tokens and Recheck are required.
func New(o Options) (*Handler, error) {
	if o.Tokens == nil || o.Recheck == nil {
		return nil, errors.New("checkin: Tokens and Recheck are required")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m, err := newMetrics(o.Registerer)
	if err != nil {
		return nil, fmt.Errorf("checkin: metrics: %w", err)
	}
	return &Handler{o: o, log: log.With("component", "checkin"), guard: newGuard(), m: m, dummy: make([]byte, 32)}, nil
}

// Register adds the handler at Pattern.
func (h *Handler) Register(mux *http.ServeMux) { mux.Handle(Pattern, h) }

// response is the 202 body.
type response struct {
	Recheck bool `json:"recheck"`
}

// ServeHTTP admits a check-in and asks for a re-check, or refuses it with
// a 4xx and a one-line reason, re-checking nothing.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	mirror, ref := h.admit(w, r)
	if ref == nil && !h.o.Recheck(mirror) {
		h.log.Warn("check-in from a mirror with a token that the checker does not know", "mirror", mirror)
		ref = &refusal{http.StatusUnauthorized, resultUnknown, msgAuth, 0}
	}
	if ref != nil {
		h.m.count(ref.result)
		h.log.Debug("check-in refused", "result", ref.result, "reason", ref.reason, "remote", r.RemoteAddr)
		if ref.retry > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int((ref.retry+time.Second-1)/time.Second)))
		}
		httpError(w, ref.status, ref.reason)
		return
	}
	h.m.count(resultAccepted)
	h.log.Info("check-in accepted, re-check scheduled", "mirror", mirror)
	writeJSON(w, http.StatusAccepted, response{Recheck: true})
}

// msgAuth is the one answer to an unknown mirror and a bad signature.
const msgAuth = "check-in refused: unknown mirror or bad signature"

// refusal is a 4xx answer and the result it counts as.
type refusal struct {
	status int
	result string
	reason string
	retry  time.Duration // for 429, Retry-After
}

func bad(status int, format string, args ...any) *refusal {
	return &refusal{status, resultBad, fmt.Sprintf(format, args...), 0}
}

// header is what the three X-Mirrorsignal headers say.
type header struct {
	mirror, timestamp string
	ts                int64
	sig               signature
}

// admit runs the checks of the package comment, in order, and returns the
// authenticated mirror.
func (h *Handler) admit(w http.ResponseWriter, r *http.Request) (string, *refusal) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
		return "", bad(http.StatusRequestEntityTooLarge, "body larger than %d bytes", MaxBody)
	} else if err != nil {
		return "", bad(http.StatusBadRequest, "reading body: %v", err)
	}
	hd, ref := parseHeader(r.Header)
	if ref != nil {
		return "", ref
	}
	now := h.o.Now()
	if !inWindow(hd.ts, now) {
		return "", &refusal{http.StatusUnauthorized, resultExpired, fmt.Sprintf("timestamp more than %s from the server's clock", MaxSkew), 0}
	}
	if ref := h.authenticate(hd, body); ref != nil {
		return "", ref
	}
	switch v, wait := h.guard.admit(hd.mirror, hd.sig, hd.ts, now); v {
	case replayed:
		return "", &refusal{http.StatusConflict, resultReplayed, "check-in already received (replayed signature)", 0}
	case limited:
		return "", &refusal{http.StatusTooManyRequests, resultLimited,
			fmt.Sprintf("rate limited: at most %d check-ins at once, then one per %s", RateBurst, RateEvery), wait}
	}
	if ref := checkReport(body, hd); ref != nil {
		return "", ref
	}
	return hd.mirror, nil
}

// parseHeader reads the three headers; each must be present and well-formed.
func parseHeader(hdr http.Header) (header, *refusal) {
	hd := header{mirror: hdr.Get(HeaderMirror), timestamp: hdr.Get(HeaderTimestamp)}
	sig := hdr.Get(HeaderSignature)
	if hd.mirror == "" || hd.timestamp == "" || sig == "" {
		return hd, bad(http.StatusBadRequest, "missing %s, %s or %s header", HeaderMirror, HeaderTimestamp, HeaderSignature)
	}
	var ok bool
	if hd.ts, ok = parseTimestamp(hd.timestamp); !ok {
		return hd, bad(http.StatusBadRequest, "%s is not decimal Unix seconds", HeaderTimestamp)
	}
	if hd.sig, ok = parseSignature(sig); !ok {
		return hd, bad(http.StatusBadRequest, "%s is not a hex HMAC-SHA256", HeaderSignature)
	}
	return hd, nil
}

// authenticate checks the HMAC with the mirror's token. An unknown mirror
// costs the same HMAC, under a dummy key, and gets the same answer.
func (h *Handler) authenticate(hd header, body []byte) *refusal {
	tok, ok := h.o.Tokens(hd.mirror)
	known := ok && len(tok) > 0
	if !known {
		tok = h.dummy
	}
	valid := verify(tok, hd.timestamp, body, hd.sig)
	switch {
	case !known:
		return &refusal{http.StatusUnauthorized, resultUnknown, msgAuth, 0}
	case !valid:
		return &refusal{http.StatusUnauthorized, resultForged, msgAuth, 0}
	}
	return nil
}

// report is the check-in body; trees are the agent's TIME stamps, kept
// for strict decoding only: the re-check finds out for itself.
type report struct {
	Mirror string           `json:"mirror"`
	Trees  map[string]int64 `json:"trees"`
	Time   int64            `json:"time"`
}

// checkReport decodes the body strictly and matches it to the headers.
func checkReport(body []byte, hd header) *refusal {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var rep report
	if err := dec.Decode(&rep); err != nil {
		return bad(http.StatusBadRequest, "bad JSON body: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return bad(http.StatusBadRequest, "bad JSON body: trailing data")
	}
	if rep.Mirror != hd.mirror {
		return bad(http.StatusBadRequest, "body names another mirror than %s", HeaderMirror)
	}
	if rep.Time != hd.ts {
		return bad(http.StatusBadRequest, "body time differs from %s", HeaderTimestamp)
	}
	return nil
}
