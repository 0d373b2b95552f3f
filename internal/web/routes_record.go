package web

import (
	"net/http"
	"sort"
)

// routeMux is an http.ServeMux that remembers every pattern registered on
// it, so that the web UI's routes can be enumerated like the API's (the
// authorisation walk fails when a route exists that its table lacks).
type routeMux struct {
	*http.ServeMux
	patterns []string
}

func newRouteMux() *routeMux { return &routeMux{ServeMux: http.NewServeMux()} }

// Handle records pattern and registers h on the underlying mux.
func (m *routeMux) Handle(pattern string, h http.Handler) {
	m.patterns = append(m.patterns, pattern)
	m.ServeMux.Handle(pattern, h)
}

// HandleFunc records pattern and registers fn on the underlying mux.
func (m *routeMux) HandleFunc(pattern string, fn func(http.ResponseWriter, *http.Request)) {
	m.patterns = append(m.patterns, pattern)
	m.ServeMux.HandleFunc(pattern, fn)
}

// Patterns lists every route of the web UI ("GET /cases/{no}"), sorted.
func (s *Server) Patterns() []string {
	out := append([]string(nil), s.mux.patterns...)
	sort.Strings(out)
	return out
}
