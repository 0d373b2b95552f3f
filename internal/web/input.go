package web

import (
	"net/http"

	"grassroots/internal/input"
)

// MaxFormBody bounds a form body, uploads included, for the server's input
// guard, which reads form bodies before the session layer does.
const MaxFormBody = maxMultipart

// RefuseInput renders a refused input (input.Guard's: invalid text, a body
// too large) as the error page with its status, in the reader's language.
func (s *Server) RefuseInput(w http.ResponseWriter, r *http.Request, e *input.Error) {
	s.Log.InfoContext(r.Context(), "input refused", "method", r.Method, "status", e.Status, "err", e)
	p := ErrorPage{Page: s.page(r, "error.title", ""), Status: e.Status, Message: e.Message(s.Msgs, langOf(r))}
	s.renderStatus(w, r, e.Status, "error", p)
}
