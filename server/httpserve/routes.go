package httpserve

import "net/http"

// Routes is a component's set of HTTP routes.
type Routes interface {
	Register(mux *http.ServeMux)
}

// Handler is an http.Handler as Routes at one pattern, e.g. "GET /metrics".
type Handler struct {
	Pattern string
	http.Handler
}

// Register adds h at its pattern.
func (h Handler) Register(mux *http.ServeMux) { mux.Handle(h.Pattern, h.Handler) }

// Mux returns a mux holding every route set; anything else is 404.
func Mux(sets ...Routes) *http.ServeMux {
	mux := http.NewServeMux()
	for _, s := range sets {
		s.Register(mux)
	}
	return mux
}
