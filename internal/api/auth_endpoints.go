package api

import (
	"net/http"

	"grassroots/internal/access"
)

// authEndpoints registers the API's account endpoints. (The auth work fills
// this in.)
func (s *Server) authEndpoints() {}

// actor resolves the request's bearer token to its user. (The auth work fills
// this in.)
func (s *Server) actor(r *http.Request) (access.Actor, error) {
	return access.Actor{}, errUnauthorized
}
