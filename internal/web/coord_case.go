package web

import (
	"fmt"
	"net/http"
	"net/url"

	"grassroots/internal/casework"
	"grassroots/internal/store"
)

// The parties board of a coordination case (/coord/{no}): each party's part
// and the actions this user may take on it, posted through the one action
// form parser (action_form.go).

// CoordActionView is one action form on the parties board.
type CoordActionView struct {
	Name         string
	Needs        casework.Needs
	AssignmentID int64
	// Units are the units the action may assign (dispatch, transfer, settle).
	Units []CoordOption
}

// CoordActionForm is what the action form partial renders: one action's form
// with exactly the inputs it needs, posting to Href.
type CoordActionForm struct {
	Page
	Href        string
	CaseNo      string // sent as "case" (the member's page)
	Version     int
	A           CoordActionView
	Summonables []casework.Summonable
}

// Form is the form of action a on this case.
func (p CoordCasePage) Form(a CoordActionView) CoordActionForm {
	return CoordActionForm{Page: p.Page, Href: "/coord/" + p.D.Case.No + "/actions/" + a.Name, Version: p.D.Case.Version, A: a, Summonables: p.Summonables}
}

// Form is the form of a member's action on one of their parts.
func (p MemberPage) Form(part casework.MemberPart, spec casework.ActionSpec) CoordActionForm {
	return CoordActionForm{Page: p.Page, Href: "/m/member/" + p.Token + "/actions/" + spec.Name, CaseNo: part.Case.No,
		A: CoordActionView{Name: spec.Name, Needs: spec.Needs, AssignmentID: part.Assignment.ID}}
}

// Ratings are the choices of a rating, best first.
func (f CoordActionForm) Ratings() []int { return []int{5, 4, 3, 2, 1} }

// WantsPoint reports whether the form asks for where the party is.
func (f CoordActionForm) WantsPoint() bool { return f.A.Needs.Point || f.A.Needs.OfferPoint }

// PartyView is one party's part with the actions this user may take on it.
type PartyView struct {
	A       casework.Assignment
	Actions []CoordActionView
}

// CoordCasePage is a coordination case's parties board.
type CoordCasePage struct {
	Page
	D           casework.CaseDetail
	Parties     []PartyView
	CaseActions []CoordActionView
	Summonables []casework.Summonable
	Done        string
	Error       string
}

// Name is the party's name: the person for a person's part, else the unit.
func (v PartyView) Name() string {
	if v.A.PersonName != "" {
		return v.A.PersonName + "（" + v.A.UnitName + "）"
	}
	return v.A.UnitName
}

// Point is where the party reported in, "lng, lat", or "".
func (v PartyView) Point() string {
	if v.A.ReportLng == nil || v.A.ReportLat == nil {
		return ""
	}
	return fmt.Sprintf("%.5f, %.5f", *v.A.ReportLng, *v.A.ReportLat)
}

func (s *Server) coordCasePage(r *http.Request, no string) (CoordCasePage, error) {
	actor := actorOf(r)
	ctx := r.Context()
	d, err := s.Cases.Get(ctx, actor, no)
	if err != nil {
		return CoordCasePage{}, err
	}
	p := CoordCasePage{Page: s.page(r, "", s.coordNav(d.Case.Flow).ID), D: d, Done: r.URL.Query().Get("done")}
	p.Title = d.Case.No + " " + d.Case.Title
	var units []CoordOption
	unitsFor := func() ([]CoordOption, error) {
		if units != nil {
			return units, nil
		}
		us, err := s.Cases.UnitChoices(ctx, "department", "township", "street")
		if err != nil {
			return nil, err
		}
		for _, u := range us {
			units = append(units, CoordOption{Value: u.Code, Label: u.Name})
		}
		return units, nil
	}
	byID := map[int64]int{}
	for i, a := range d.Assignments {
		p.Parties = append(p.Parties, PartyView{A: a})
		byID[a.ID] = i
	}
	for _, spec := range s.Cases.AllowedActions(actor, d) {
		av := CoordActionView{Name: spec.Name, Needs: spec.Needs}
		if spec.Needs.Unit {
			if av.Units, err = unitsFor(); err != nil {
				return p, err
			}
		}
		if spec.On == casework.OnCase {
			if spec.Needs.People {
				p.Summonables, _ = s.Cases.Summonables(ctx, actor, d.Case.Kind, d.Case.PlaceCode)
			}
			p.CaseActions = append(p.CaseActions, av)
			continue
		}
		for _, id := range spec.Assignments {
			if i, ok := byID[id]; ok {
				one := av
				one.AssignmentID = id
				p.Parties[i].Actions = append(p.Parties[i].Actions, one)
			}
		}
	}
	return p, nil
}

func (s *Server) coordCase(w http.ResponseWriter, r *http.Request) error {
	if s.Cases == nil {
		return store.NotFound("工单功能未启用")
	}
	p, err := s.coordCasePage(r, r.PathValue("no"))
	if err != nil {
		return err
	}
	return s.render(w, r, "coord_case", p)
}

func (s *Server) coordAction(w http.ResponseWriter, r *http.Request) error {
	if s.Cases == nil {
		return store.NotFound("工单功能未启用")
	}
	no, name := r.PathValue("no"), r.PathValue("action")
	act, _, err := s.parseActionForm(w, r, name)
	if err == nil {
		_, err = s.Cases.Do(r.Context(), actorOf(r), no, act)
	}
	if err != nil {
		msg, ok := store.UserMessage(err)
		if !ok {
			return err
		}
		p, perr := s.coordCasePage(r, no)
		if perr != nil {
			return perr
		}
		p.Error = msg
		s.renderStatus(w, r, Status(err), "coord_case", p)
		return nil
	}
	http.Redirect(w, r, "/coord/"+url.PathEscape(no)+"?done="+url.QueryEscape(name), http.StatusSeeOther)
	return nil
}
