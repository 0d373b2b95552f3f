package web

import (
	"net/http"
	"net/url"

	"grassroots/internal/casework"
	"grassroots/internal/store"
)

// A coordination case is shown by the one case page (/cases/{no}); its old
// address /coord/{no} answers a permanent redirect there, once the case is
// read with the user's rights, so that the old address tells nobody more
// than the case page would. The action form partial below serves a party
// member's own page (coord_members.go), posted through the one action form
// parser (action_form.go).

// CoordActionView is one action form on a party member's page.
type CoordActionView struct {
	Name         string
	Needs        casework.Needs
	AssignmentID int64
}

// CoordActionForm is what the action form partial renders: one action's form
// with exactly the inputs it needs, posting to Href.
type CoordActionForm struct {
	Page
	Href    string
	CaseNo  string // sent as "case" (the member's page)
	Version int
	A       CoordActionView
}

// Form is the form of a member's action on one of their parts.
func (p MemberPage) Form(part casework.PersonPart, spec casework.ActionSpec) CoordActionForm {
	return CoordActionForm{Page: p.Page, Href: "/m/member/" + p.Token + "/actions/" + spec.Name, CaseNo: part.Case.No,
		A: CoordActionView{Name: spec.Name, Needs: spec.Needs, AssignmentID: part.Assignment.ID}}
}

// Ratings are the choices of a rating, best first.
func (f CoordActionForm) Ratings() []int { return []int{5, 4, 3, 2, 1} }

// WantsPoint reports whether the form asks for where the party is.
func (f CoordActionForm) WantsPoint() bool { return f.A.Needs.Point || f.A.Needs.OfferPoint }

// coordCase redirects the old parties board to the case page.
func (s *Server) coordCase(w http.ResponseWriter, r *http.Request) error {
	if s.Cases == nil {
		return store.NotFound("工单功能未启用")
	}
	no := r.PathValue("no")
	if _, err := s.Cases.Get(r.Context(), actorOf(r), no); err != nil {
		return err
	}
	target := "/cases/" + url.PathEscape(no)
	if r.URL.RawQuery != "" {
		target += "?" + r.URL.RawQuery
	}
	http.Redirect(w, r, target, http.StatusPermanentRedirect)
	return nil
}
