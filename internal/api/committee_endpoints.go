package api

import (
	"net/http"
	"strconv"
	"strings"

	"grassroots/internal/access"
	"grassroots/internal/party"
	"grassroots/internal/store"
)

// committeeEndpoints registers the big working committee's and big party
// committee's endpoints (internal/party, committees.go): a committee with
// its members, meetings, agenda and centres; adding members and meetings;
// raising a meeting's follow-up as a case; the party-mass service centres.
func (s *Server) committeeEndpoints() {
	s.route("GET /api/v1/party/committees/{code}", s.authed(s.getCommittee))
	s.route("POST /api/v1/party/committees/{code}/members", s.authed(s.addCommitteeMember))
	s.route("POST /api/v1/party/committees/{code}/meetings", s.authed(s.recordMeeting))
	s.route("POST /api/v1/party/followups/{id}/case", s.authed(s.raiseFollowUp))
	s.route("GET /api/v1/party/centres", s.authed(s.partyCentres))
	s.route("POST /api/v1/party/centres", s.authed(s.addCentre))
}

func (s *Server) getCommittee(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	c, err := s.Party.Committee(r.Context(), actor, r.PathValue("code"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

func (s *Server) addCommitteeMember(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	var in party.CommitteeMemberInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	m, err := s.Party.AddCommitteeMember(r.Context(), actor, r.PathValue("code"), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, m)
}

func (s *Server) recordMeeting(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	var in party.MeetingInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	m, err := s.Party.RecordMeeting(r.Context(), actor, r.PathValue("code"), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, m)
}

// FollowUpCase asks to raise a follow-up, summoning these unit codes.
type FollowUpCase struct {
	Summon []string `json:"summon"`
}

func (s *Server) raiseFollowUp(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		return store.NotFound("找不到该后续事项")
	}
	var in FollowUpCase
	if r.ContentLength != 0 {
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
	}
	c, err := s.Party.RaiseFollowUp(r.Context(), actor, id, in.Summon)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]string{"case_no": c.No})
}

func (s *Server) partyCentres(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	unit := strings.TrimSpace(r.URL.Query().Get("unit"))
	if unit == "" {
		unit = actor.UnitCode
	}
	list, err := s.Party.Centres(r.Context(), actor, unit)
	if err != nil {
		return err
	}
	if list == nil {
		list = []party.Centre{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"centres": list})
}

// CentreNew is a new party-mass service centre.
type CentreNew struct {
	Unit    string `json:"unit"`
	Name    string `json:"name"`
	Address string `json:"address"`
}

func (s *Server) addCentre(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	var in CentreNew
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	c, err := s.Party.AddCentre(r.Context(), actor, in.Unit, in.Name, in.Address, false)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, c)
}
