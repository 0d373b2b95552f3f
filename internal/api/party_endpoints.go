package api

import (
	"net/http"
	"strconv"
	"strings"

	"grassroots/internal/access"
	"grassroots/internal/party"
	"grassroots/internal/store"
)

// partyEndpoints registers the party registry's endpoints (internal/party):
// the register of party members.
func (s *Server) partyEndpoints() {
	s.route("GET /api/v1/party/members", s.authed(s.partyMembers))
	s.route("GET /api/v1/party/agreements", s.authed(s.partyAgreements))
	s.route("POST /api/v1/party/agreements", s.authed(s.signAgreement))
	s.route("GET /api/v1/party/registrations", s.authed(s.partyRegistrations))
	s.route("POST /api/v1/party/registrations", s.authed(s.deskRegistration))
	s.route("POST /api/v1/party/registrations/{id}/accept", s.authed(s.acceptRegistration))
	s.route("POST /api/v1/party/registrations/{id}/reject", s.authed(s.rejectRegistration))
	s.route("GET /api/v1/party/needs", s.authed(s.partyNeeds))
	s.route("POST /api/v1/party/needs", s.authed(s.publishNeed))
	s.route("POST /api/v1/party/activities", s.authed(s.planActivity))
	s.route("GET /api/v1/party/activities/{id}", s.authed(s.getActivity))
	s.route("POST /api/v1/party/activities/{id}/signoff", s.authed(s.signOffActivity))
	s.route("GET /api/v1/party/figures", s.authed(s.partyFigures))
}

func (s *Server) partyMembers(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	q := r.URL.Query()
	f := party.MemberFilter{OrgCode: strings.TrimSpace(q.Get("org")), HomeCode: strings.TrimSpace(q.Get("home")), Name: q.Get("name"),
		Skill: q.Get("skill"), Registered: q.Get("registered")}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 5000 {
			return store.Invalid("limit 应为1至5000之间的整数")
		}
		f.Limit = n
	}
	list, err := s.Party.Members(r.Context(), actor, f)
	if err != nil {
		return err
	}
	if list == nil {
		list = []party.PartyMember{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"members": list})
}

func (s *Server) partyAgreements(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	q := r.URL.Query()
	list, err := s.Party.Agreements(r.Context(), actor, party.AgreementFilter{Community: q.Get("community"), Unit: q.Get("unit")})
	if err != nil {
		return err
	}
	if list == nil {
		list = []party.Agreement{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"agreements": list})
}

func (s *Server) signAgreement(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	var in party.AgreementInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	a, err := s.Party.SignAgreement(r.Context(), actor, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, a)
}

func (s *Server) partyRegistrations(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	q := r.URL.Query()
	f := party.RegistrationFilter{Community: q.Get("community"), Unit: q.Get("unit"), Status: q.Get("status"), Overdue: q.Get("overdue") == "1" || q.Get("overdue") == "true"}
	switch f.Status {
	case "", party.RegPending, party.RegAccepted, party.RegRejected:
	default:
		return store.Invalid("status 应为 pending、accepted 或 rejected")
	}
	list, err := s.Party.Registrations(r.Context(), actor, f)
	if err != nil {
		return err
	}
	if list == nil {
		list = []party.Registration{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"registrations": list})
}

// RegistrationNew is a registration typed in at the community's desk.
type RegistrationNew struct {
	PersonID  int64  `json:"person_id"`
	Community string `json:"community"`
	Note      string `json:"note"`
}

func (s *Server) deskRegistration(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	var in RegistrationNew
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	reg, err := s.Party.RegisterAtDesk(r.Context(), actor, in.PersonID, in.Community, in.Note)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, reg)
}

func regID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, store.NotFound("找不到该报到记录")
	}
	return id, nil
}

func (s *Server) acceptRegistration(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	id, err := regID(r)
	if err != nil {
		return err
	}
	var in struct {
		Grid string `json:"grid"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	reg, err := s.Party.Accept(r.Context(), actor, id, in.Grid)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, reg)
}

func (s *Server) rejectRegistration(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	id, err := regID(r)
	if err != nil {
		return err
	}
	var in struct {
		Reason string `json:"reason"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	reg, err := s.Party.Reject(r.Context(), actor, id, in.Reason)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, reg)
}

// partyNeeds lists the three lists (kind need by default; resource,
// project).
func (s *Server) partyNeeds(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	q := r.URL.Query()
	f := party.ItemFilter{Community: q.Get("community"), Kind: q.Get("kind"), Status: q.Get("status")}
	switch f.Kind {
	case "":
		f.Kind = party.ItemNeed
	case party.ItemNeed, party.ItemResource, party.ItemProject:
	default:
		return store.Invalid("kind 应为 need、resource 或 project")
	}
	list, err := s.Party.Items(r.Context(), actor, f)
	if err != nil {
		return err
	}
	if list == nil {
		list = []party.Item{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"items": list})
}

func (s *Server) publishNeed(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	var in party.ItemInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.Kind == "" {
		in.Kind = party.ItemNeed
	}
	it, err := s.Party.PublishItem(r.Context(), actor, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, it)
}

func (s *Server) planActivity(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	var in party.ActivityInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	a, err := s.Party.PlanActivity(r.Context(), actor, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, a)
}

func activityID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, store.NotFound("找不到该服务活动")
	}
	return id, nil
}

func (s *Server) getActivity(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	id, err := activityID(r)
	if err != nil {
		return err
	}
	a, err := s.Party.Activity(r.Context(), actor, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, a)
}

func (s *Server) signOffActivity(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	id, err := activityID(r)
	if err != nil {
		return err
	}
	var in party.SignOffInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	a, err := s.Party.SignOff(r.Context(), actor, id, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, a)
}

// partyFigures answers a unit's figures over from..to (inclusive days;
// the last twelve months by default).
func (s *Server) partyFigures(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	from, to, err := period(r)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("from") == "" {
		from = to.AddDate(-1, 0, 0)
	}
	unit := strings.TrimSpace(r.URL.Query().Get("unit"))
	if unit == "" {
		unit = actor.UnitCode
	}
	f, err := s.Party.Figures(r.Context(), actor, unit, from, to)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, f)
}
