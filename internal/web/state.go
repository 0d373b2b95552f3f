package web

import (
	"context"
	"net/http"

	"grassroots/internal/access"
)

// requestState is what the session layer learns about a request.
type requestState struct {
	Actor     access.Actor
	CSRF      string
	SessionID string
}

type stateKey struct{}

func withState(r *http.Request, st requestState) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), stateKey{}, st))
}

func stateOf(r *http.Request) requestState {
	st, _ := r.Context().Value(stateKey{}).(requestState)
	return st
}

// actorOf returns the signed-in user, or the anonymous actor.
func actorOf(r *http.Request) access.Actor { return stateOf(r).Actor }
