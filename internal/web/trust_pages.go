package web

import (
	"net/http"
	"strconv"

	"grassroots/internal/access"
	"grassroots/internal/store"
	"grassroots/internal/trust"
)

// trustRoutes registers the reveal of sealed personal data (a form asking
// for a reason, then the full value once) and the report of every reveal.
func (s *Server) trustRoutes() {
	s.mux.HandleFunc("GET /reveal", s.staff(s.revealForm))
	s.mux.HandleFunc("POST /reveal", s.staff(s.reveal))
	s.mux.HandleFunc("GET /admin/reveals", s.staff(s.adminReveals))
}

// trustService is the reveal service; it needs the personal-data sealer, so
// without the organisation service it is nil.
func (s *Server) trustService() *trust.Service { return s.Trust }

// RevealPage is the reveal form, and after a successful reveal the value.
type RevealPage struct {
	Page
	Req      trust.RevealRequest
	Revealed *trust.Revealed
	Error    string
	// Back is where the user came from (the case or the unit page).
	Back string
}

func (s *Server) revealPage(r *http.Request, req trust.RevealRequest) RevealPage {
	p := RevealPage{Page: s.page(r, "trust.reveal.title", ""), Req: req}
	switch req.Subject {
	case trust.SubjectCase:
		p.Back = "/cases/" + req.Ref
	}
	return p
}

func (s *Server) revealForm(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	req := trust.RevealRequest{Subject: q.Get("subject"), Ref: q.Get("ref"), Field: q.Get("field")}
	if req.Subject == "" || req.Ref == "" || req.Field == "" {
		return store.Invalid(s.Msgs.T(langOf(r), "trust.reveal.what_missing"))
	}
	return s.render(w, r, "reveal", s.revealPage(r, req))
}

func (s *Server) reveal(w http.ResponseWriter, r *http.Request) error {
	req := trust.RevealRequest{Subject: r.PostFormValue("subject"), Ref: r.PostFormValue("ref"),
		Field: r.PostFormValue("field"), Reason: r.PostFormValue("reason")}
	svc := s.trustService()
	if svc == nil {
		return store.NotFound(s.Msgs.T(langOf(r), "trust.reveal.unavailable"))
	}
	p := s.revealPage(r, req)
	got, err := svc.Reveal(r.Context(), actorOf(r), req)
	if err != nil {
		msg, ok := userMessage(r, err)
		if !ok || !isInvalid(err) {
			return err
		}
		p.Error = msg
		s.renderStatus(w, r, http.StatusBadRequest, "reveal", p)
		return nil
	}
	p.Revealed = &got
	// The full value must not linger in caches or the browser's history.
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, "reveal", p)
}

// RevealsPage is the report of reveals.
type RevealsPage struct {
	Page
	Filter  trust.RevealFilter
	Reveals []trust.Reveal
	// Next is the id to page on from, 0 on the last page.
	Next int64
}

func (s *Server) adminReveals(w http.ResponseWriter, r *http.Request) error {
	actor := actorOf(r)
	if !actor.HasAny(access.RoleAdmin, access.RoleSupervisor) {
		return store.Forbidden(s.Msgs.T(langOf(r), "trust.reveals.forbidden"))
	}
	svc := s.trustService()
	if svc == nil {
		return store.NotFound(s.Msgs.T(langOf(r), "trust.reveal.unavailable"))
	}
	q := r.URL.Query()
	f := trust.RevealFilter{Subject: q.Get("subject"), Ref: q.Get("ref"), Limit: 100}
	f.UserID, _ = strconv.ParseInt(q.Get("user"), 10, 64)
	f.Before, _ = strconv.ParseInt(q.Get("before"), 10, 64)
	rows, err := svc.Reveals(r.Context(), actor, f)
	if err != nil {
		return err
	}
	p := RevealsPage{Page: s.page(r, "trust.reveals.title", "reveals"), Filter: f, Reveals: rows}
	if len(rows) == f.Limit {
		p.Next = rows[len(rows)-1].ID
	}
	return s.render(w, r, "admin_reveals", p)
}

func isInvalid(err error) bool { return Status(err) == http.StatusBadRequest }
