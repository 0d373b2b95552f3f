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
}

func (s *Server) partyMembers(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	q := r.URL.Query()
	f := party.MemberFilter{OrgCode: strings.TrimSpace(q.Get("org")), HomeCode: strings.TrimSpace(q.Get("home")), Name: q.Get("name")}
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
