package api

import (
	"net/http"
	"strconv"

	"grassroots/internal/access"
	"grassroots/internal/store"
	"grassroots/internal/trust"
)

// trustEndpoints registers the reveal of sealed personal data with a reason
// and the report of every reveal.
func (s *Server) trustEndpoints() {
	s.route("POST /api/v1/reveals", s.authed(s.createReveal))
	s.route("GET /api/v1/reveals", s.authed(s.listReveals))
}

// trustService is the reveal service (nil without a personal-data sealer).
func (s *Server) trustService() *trust.Service { return s.Trust }

func (s *Server) createReveal(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	var req trust.RevealRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	svc := s.trustService()
	if svc == nil {
		return store.NotFound("个人信息密钥未配置，无法查看完整号码")
	}
	got, err := svc.Reveal(r.Context(), actor, req)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusOK, got)
}

// RevealsBody is a page of the reveal report.
type RevealsBody struct {
	Reveals []trust.Reveal `json:"reveals"`
	// Next is the "before" value of the next page, 0 on the last.
	Next int64 `json:"next"`
}

func (s *Server) listReveals(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	svc := s.trustService()
	if svc == nil {
		return store.NotFound("个人信息密钥未配置")
	}
	q := r.URL.Query()
	f := trust.RevealFilter{Subject: q.Get("subject"), Ref: q.Get("ref")}
	for _, p := range []struct {
		name string
		dst  *int64
	}{{"user_id", &f.UserID}, {"before", &f.Before}} {
		if v := q.Get(p.name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return store.Invalid(p.name + " 应为非负整数")
			}
			*p.dst = n
		}
	}
	f.Limit = 100
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			return store.Invalid("limit 应为1至500的整数")
		}
		f.Limit = n
	}
	rows, err := svc.Reveals(r.Context(), actor, f)
	if err != nil {
		return err
	}
	body := RevealsBody{Reveals: rows}
	if len(rows) == f.Limit {
		body.Next = rows[len(rows)-1].ID
	}
	return writeJSON(w, http.StatusOK, body)
}
