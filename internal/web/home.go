package web

import "net/http"

// HomePage is the work bench: the user's unit and the counts of their work.
type HomePage struct {
	Page
}

func (s *Server) homeRoutes() {
	s.mux.HandleFunc("GET /{$}", s.staff(s.home))
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, r, "home", HomePage{Page: s.page(r, "nav.home", "home")})
}
