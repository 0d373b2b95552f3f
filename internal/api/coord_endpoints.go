package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/casework"
	"grassroots/internal/store"
	"grassroots/internal/worktime"
)

// coordEndpoints registers the coordination endpoints: the lists of
// whistles, township calls and enforcement cases, the proposal for a call,
// the department report card and whistle rate, the "grid + zone" view,
// whom a whistle may summon, co-building agreements and members' links.
// The cases themselves are opened and moved through POST /api/v1/cases and
// its actions. Each parties list's path is its flow's declaration
// (Flow.APIList).
func (s *Server) coordEndpoints() {
	for _, f := range s.listedFlows() {
		s.route("GET "+f.APIList, s.authed(s.coordList(f.Name)))
	}
	s.route("GET /api/v1/township-calls/proposal", s.authed(s.callProposal))
	s.route("GET /api/v1/whistles/summonables", s.authed(s.summonables))
	s.route("GET /api/v1/reportcard", s.authed(s.reportCard))
	s.route("GET /api/v1/whistle-rate", s.authed(s.whistleRate))
	s.route("GET /api/v1/enforcement-zones", s.authed(s.enforcementZones))
	s.route("POST /api/v1/co-building", s.authed(s.addCoBuilding))
	s.route("POST /api/v1/people/{id}/member-link", s.authed(s.memberLink))
	s.route("POST /api/v1/people/{id}/leader-link", s.authed(s.leaderLink))
}

// listedFlows are the ListParties flows with an API list: the engine's, or
// the built-in declarations when the server has no engine.
func (s *Server) listedFlows() []*casework.Flow {
	var flows []*casework.Flow
	if s.Cases != nil {
		flows = s.Cases.Flows()
	} else {
		for _, f := range casework.BuiltinFlows() {
			flows = append(flows, &f)
		}
	}
	var out []*casework.Flow
	for _, f := range flows {
		if f.List == casework.ListParties && f.APIList != "" {
			out = append(out, f)
		}
	}
	return out
}

func day(q string, name string) (time.Time, error) {
	if q == "" {
		return time.Time{}, nil
	}
	t, err := time.ParseInLocation("2006-01-02", q, shanghaiZone)
	if err != nil {
		return t, store.Invalid(name + "的格式应为 2026-11-26")
	}
	return t, nil
}

var shanghaiZone = worktime.Location()

// period reads from/to (inclusive days); the default is the last six months.
func period(r *http.Request) (time.Time, time.Time, error) {
	q := r.URL.Query()
	from, err := day(q.Get("from"), "from")
	if err != nil {
		return from, from, err
	}
	to, err := day(q.Get("to"), "to")
	if err != nil {
		return from, to, err
	}
	now := time.Now().In(shanghaiZone)
	if to.IsZero() {
		to = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, shanghaiZone)
	}
	to = to.AddDate(0, 0, 1)
	if from.IsZero() {
		from = time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, shanghaiZone).AddDate(0, -5, 0)
	}
	if !to.After(from) {
		return from, to, store.Invalid("to 应晚于 from")
	}
	return from, to, nil
}

func (s *Server) coordList(flow string) func(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	return func(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
		q := r.URL.Query()
		from, err := day(q.Get("from"), "from")
		if err != nil {
			return err
		}
		to, err := day(q.Get("to"), "to")
		if err != nil {
			return err
		}
		if !to.IsZero() {
			to = to.AddDate(0, 0, 1)
		}
		limit := 0
		if v := q.Get("limit"); v != "" {
			if limit, err = strconv.Atoi(v); err != nil || limit < 1 {
				return store.Invalid("limit 应为正整数")
			}
		}
		page, err := s.Cases.CoordList(r.Context(), actor, casework.CoordFilter{Flow: flow, Kind: q.Get("kind"), Status: q.Get("status"),
			Township: q.Get("township"), Unit: q.Get("unit"), From: from, To: to, Q: q.Get("q"), Limit: limit, Before: q.Get("cursor")})
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, page)
	}
}

func (s *Server) callProposal(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	if actor.Anonymous() {
		return errUnauthorized
	}
	p, err := s.Cases.Propose(r.Context(), r.URL.Query().Get("category"))
	if err != nil {
		return err
	}
	if p.Supporting == nil {
		p.Supporting = []casework.UnitChoice{}
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) summonables(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	q := r.URL.Query()
	out, err := s.Cases.Summonables(r.Context(), actor, q.Get("kind"), q.Get("place"))
	if err != nil {
		return err
	}
	if out == nil {
		out = []casework.Summonable{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"parties": out})
}

func (s *Server) reportCard(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	from, to, err := period(r)
	if err != nil {
		return err
	}
	cards, err := s.Reports.ReportCard(r.Context(), actor, from, to)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"from": from.Format(time.RFC3339), "to": to.Format(time.RFC3339), "departments": cards})
}

func (s *Server) whistleRate(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	from, to, err := period(r)
	if err != nil {
		return err
	}
	rates, err := s.Reports.WhistleRate(r.Context(), actor, from, to)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rates)
}

func (s *Server) enforcementZones(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	zones, err := s.Cases.EnforcementZones(r.Context(), actor)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"zones": zones})
}

// CoBuildingNew is a co-building agreement to record.
type CoBuildingNew struct {
	Community string `json:"community"`
	Unit      string `json:"unit"`
	Note      string `json:"note,omitempty"`
}

func (s *Server) addCoBuilding(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	var in CoBuildingNew
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	b, err := s.Party.AddCoBuilding(r.Context(), actor, in.Community, in.Unit, in.Note)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, b)
}

func (s *Server) memberLink(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	id, err := strconv.ParseInt(strings.TrimSpace(r.PathValue("id")), 10, 64)
	if err != nil {
		return store.NotFound("找不到该人员")
	}
	token, err := s.Party.IssueLink(r.Context(), actor, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]string{"token": token, "path": "/m/member/" + token})
}

// leaderLink issues a building or street leader's personal link
// (/m/leader/<token>, internal/party leaders.go).
func (s *Server) leaderLink(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	id, err := strconv.ParseInt(strings.TrimSpace(r.PathValue("id")), 10, 64)
	if err != nil {
		return store.NotFound("找不到该人员")
	}
	token, err := s.Party.IssueLeaderLink(r.Context(), actor, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]string{"token": token, "path": "/m/leader/" + token})
}
