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
