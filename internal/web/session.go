package web

import "net/http"

// withSession loads the session cookie into the request state and checks the
// CSRF token on every unsafe method. (The auth work fills this in.)
func (s *Server) withSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, withState(r, requestState{}))
	})
}
