package api

import (
	"net/http"
	"strconv"

	"grassroots/internal/access"
	"grassroots/internal/catalog"
	"grassroots/internal/store"
)

// The register of responsibility letters, quotas, acceptance checks and
// one-vote vetoes county departments issue to townships (issue 21 point
// 12): a new one is admitted only for matters the access list admits,
// existing ones are cleared with the result recorded.
func (s *Server) dutyEndpoints() {
	s.route("GET /api/v1/duty-documents", s.authed(s.apiDuties))
	s.route("POST /api/v1/duty-documents", s.authed(s.apiDutyRegister))
	s.route("GET /api/v1/duty-documents/summary", s.authed(s.apiDutySummary))
	s.route("POST /api/v1/duty-documents/{id}/cleanup", s.authed(s.apiDutyCleanup))
}

// DutyBody registers a duty document; issued_at is a date (2026-03-01).
type DutyBody struct {
	Kind      string   `json:"kind"`
	Title     string   `json:"title"`
	DeptCode  string   `json:"dept_code"`
	DocNo     string   `json:"doc_no"`
	IssuedAt  string   `json:"issued_at"`
	Townships []string `json:"townships"`
	Matters   []string `json:"matters"`
	Existing  bool     `json:"existing"`
}

func (s *Server) apiDuties(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	q := r.URL.Query()
	ds, err := s.Lists.DutyDocuments(r.Context(), actor, catalog.DutyFilter{DeptCode: q.Get("dept"), Status: q.Get("status")})
	if err != nil {
		return err
	}
	if ds == nil {
		ds = []catalog.DutyDocument{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"documents": ds})
}

func (s *Server) apiDutyRegister(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	var in DutyBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.IssuedAt == "" {
		return store.Invalid("请填写印发日期")
	}
	at, err := catalog.ParseDate(in.IssuedAt)
	if err != nil {
		return err
	}
	d, err := s.Lists.RegisterDuty(r.Context(), actor, catalog.DutyInput{Kind: in.Kind, Title: in.Title, DeptCode: in.DeptCode, DocNo: in.DocNo,
		IssuedAt: at, Townships: in.Townships, Matters: in.Matters, Existing: in.Existing})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, d)
}

func (s *Server) apiDutySummary(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	sums, err := s.Lists.DutySummaries(r.Context(), actor)
	if err != nil {
		return err
	}
	if sums == nil {
		sums = []catalog.DutySummary{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"departments": sums})
}

func (s *Server) apiDutyCleanup(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return store.NotFound("找不到该文件")
	}
	var in catalog.DutyCleanup
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	d, err := s.Lists.ClearDuty(r.Context(), actor, id, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, d)
}
