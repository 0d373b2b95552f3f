package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"grassroots/internal/casework"
	"grassroots/internal/party"
	"grassroots/internal/store"
)

// The community's registered party members and co-building units, and a
// party member's own page reached by a personal link.

// MembersPage is where community staff see the party members registered at
// their community, issue personal links, and keep the co-building units.
type MembersPage struct {
	Page
	Community   string
	Communities []CoordOption
	Members     []casework.Summonable
	CoBuildings []party.CoBuilding
	Departments []CoordOption
	LinkFor     string
	Link        string
	Error       string
}

func (s *Server) membersPage(r *http.Request, community string) (MembersPage, error) {
	actor := actorOf(r)
	p := MembersPage{Page: s.page(r, "coord.members.title", s.areaOf("/whistles/members")), Community: community}
	if p.Community == "" && (actor.UnitKind == "community" || actor.UnitKind == "village") {
		p.Community = actor.UnitCode
	}
	ctx := r.Context()
	places, err := s.Cases.PlaceChoices(ctx, actor)
	if err != nil {
		return p, err
	}
	for _, u := range places {
		if u.Kind == "community" || u.Kind == "village" {
			p.Communities = append(p.Communities, CoordOption{Value: u.Code, Label: u.Name, Selected: u.Code == p.Community})
		}
	}
	if p.Community == "" {
		return p, nil
	}
	if !slices.ContainsFunc(p.Communities, func(o CoordOption) bool { return o.Value == p.Community }) && !actor.CountyWide() {
		return p, store.Forbidden("该社区不在您的辖区")
	}
	all, err := s.Cases.Summonables(ctx, actor, casework.WhistleCommunity, p.Community)
	if err != nil {
		return p, err
	}
	for _, x := range all {
		if x.PersonID != 0 {
			p.Members = append(p.Members, x)
		}
	}
	if p.CoBuildings, err = s.Party.CoBuildings(ctx, p.Community); err != nil {
		return p, err
	}
	us, err := s.Cases.UnitChoices(ctx, "department")
	if err != nil {
		return p, err
	}
	for _, u := range us {
		p.Departments = append(p.Departments, CoordOption{Value: u.Code, Label: u.Name})
	}
	return p, nil
}

func (s *Server) whistleMembers(w http.ResponseWriter, r *http.Request) error {
	if s.Cases == nil {
		return store.NotFound("工单功能未启用")
	}
	p, err := s.membersPage(r, r.URL.Query().Get("community"))
	if err != nil {
		return err
	}
	return s.render(w, r, "whistle_members", p)
}

func (s *Server) whistleMemberLink(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return store.NotFound("找不到该人员")
	}
	token, err := s.Party.IssueLink(r.Context(), actorOf(r), id)
	if err != nil {
		return err
	}
	p, err := s.membersPage(r, r.PostFormValue("community"))
	if err != nil {
		return err
	}
	scheme := "http"
	if s.cookieSecure(r) { // TLS here or at a trusted proxy
		scheme = "https"
	}
	p.Link = scheme + "://" + r.Host + "/m/member/" + token
	for _, m := range p.Members {
		if m.PersonID == id {
			p.LinkFor = m.Name
		}
	}
	return s.render(w, r, "whistle_members", p)
}

func (s *Server) whistleCoBuilding(w http.ResponseWriter, r *http.Request) error {
	community := r.PostFormValue("community")
	_, err := s.Party.AddCoBuilding(r.Context(), actorOf(r), community, r.PostFormValue("unit"), r.PostFormValue("note"))
	if err != nil {
		msg, ok := userMessage(r, err)
		if !ok {
			return err
		}
		p, perr := s.membersPage(r, community)
		if perr != nil {
			return perr
		}
		p.Error = msg
		s.renderStatus(w, r, Status(err), "whistle_members", p)
		return nil
	}
	http.Redirect(w, r, "/whistles/members?community="+url.QueryEscape(community), http.StatusSeeOther)
	return nil
}

// MemberPage is a party member's own page, on the phone.
type MemberPage struct {
	Page
	Token     string
	Member    party.Member
	Parts     []casework.PersonPart
	Volunteer party.VolunteerSummary
	Done      string
	Error     string
	// The party registry: the member's registration where they live, the
	// home community's needs to claim, activities to sign in to.
	Registration *party.Registration
	Needs        []party.Item
	Activities   []party.Activity
}

func (s *Server) memberData(r *http.Request) (MemberPage, error) {
	token := r.PathValue("token")
	p := MemberPage{Page: s.page(r, "coord.member.title", ""), Token: token, Done: r.URL.Query().Get("done")}
	if s.Party == nil {
		return p, store.NotFound("工单功能未启用")
	}
	m, err := s.Party.MemberByToken(r.Context(), token)
	if err != nil {
		return p, err
	}
	p.Member = m
	if p.Parts, err = s.Party.Parts(r.Context(), m, 50); err != nil {
		return p, err
	}
	if p.Volunteer, err = s.Party.Volunteer(r.Context(), m.PersonID); err != nil {
		return p, err
	}
	if err := s.memberParty(r, &p); err != nil {
		return p, err
	}
	return p, nil
}

func (s *Server) memberPage(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Referrer-Policy", "no-referrer") // the link is the member's key
	w.Header().Set("Cache-Control", "no-store")
	p, err := s.memberData(r)
	if err != nil {
		return err
	}
	return s.render(w, r, "whistle_member", p)
}

func (s *Server) memberAction(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Referrer-Policy", "no-referrer")
	p, err := s.memberData(r)
	if err != nil {
		return err
	}
	name := r.PathValue("action")
	act, _, err := s.parseActionForm(w, r, name)
	if err == nil {
		_, err = s.Party.Do(r.Context(), p.Member, r.PostFormValue("case"), act)
	}
	if err != nil {
		msg, ok := userMessage(r, err)
		if !ok {
			return err
		}
		p.Error = msg
		s.renderStatus(w, r, Status(err), "whistle_member", p)
		return nil
	}
	http.Redirect(w, r, "/m/member/"+url.PathEscape(p.Token)+"?done="+url.QueryEscape(name), http.StatusSeeOther)
	return nil
}
