package checkin

import (
	"encoding/json"
	"net/http"
	"strings"
)

// writeJSON writes v as the response, uncached.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// httpError writes a one-line plain-text reason.
func httpError(w http.ResponseWriter, status int, reason string) {
	http.Error(w, strings.ReplaceAll(reason, "\n", " "), status)
}
