package api

import (
	"net/http"
	"strconv"
	"strings"

	"grassroots/internal/access"
	"grassroots/internal/cockpit"
	"grassroots/internal/store"
)

// cockpitEndpoints registers the cockpit's panel data (one panel per
// request, what the big screen refreshes), the cases behind a number and
// the stored monthly reports.
func (s *Server) cockpitEndpoints() {
	s.route("GET /api/v1/cockpit/panels/{panel}", s.authed(s.cockpitPanel))
	s.route("GET /api/v1/cockpit/cases", s.authed(s.cockpitCases))
	s.route("GET /api/v1/cockpit/reports", s.authed(s.cockpitReports))
	s.route("GET /api/v1/cockpit/reports/{id}", s.authed(s.cockpitReport))
}

func (s *Server) cockpitUnit(r *http.Request, actor access.Actor) (cockpit.Unit, cockpit.Period, error) {
	if s.Cockpit == nil {
		return cockpit.Unit{}, cockpit.Period{}, store.NotFound("驾驶舱未启用")
	}
	u, _, err := s.Cockpit.Resolve(r.Context(), actor, strings.TrimSpace(r.URL.Query().Get("unit")))
	if err != nil {
		return u, cockpit.Period{}, err
	}
	p := cockpit.PeriodAt(s.Cockpit.Now())
	if m := strings.TrimSpace(r.URL.Query().Get("month")); m != "" && m != p.MonthLabel {
		if p, err = cockpit.MonthPeriod(m, s.Cockpit.Now()); err != nil {
			return u, p, err
		}
	}
	return u, p, nil
}

func (s *Server) cockpitPanel(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	u, p, err := s.cockpitUnit(r, actor)
	if err != nil {
		return err
	}
	ctx := r.Context()
	var out any
	switch r.PathValue("panel") {
	case "rates":
		out, err = s.Cockpit.Hotline(ctx, actor, u, p)
	case "map":
		cat, state, e := cockpit.MapSwitches(r.URL.Query())
		if e != nil {
			return e
		}
		out, err = s.Cockpit.Map(ctx, actor, u, p, cat, state)
	case "overdue":
		out, err = s.Cockpit.Overdue(ctx, actor, u, p)
	case "pillars":
		out, err = s.Cockpit.Pillars(ctx, actor, u, p)
	default:
		return store.NotFoundf("没有面板「%s」", r.PathValue("panel"))
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"unit": u, "panel": r.PathValue("panel"), "data": out})
}

func (s *Server) cockpitCases(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	u, p, err := s.cockpitUnit(r, actor)
	if err != nil {
		return err
	}
	cat, state, err := cockpit.MapSwitches(r.URL.Query())
	if err != nil {
		return err
	}
	q := r.URL.Query()
	l, err := s.Cockpit.Cases(r.Context(), actor, u, p, strings.TrimSpace(q.Get("list")), strings.TrimSpace(q.Get("value")), cat, state)
	if err != nil {
		return err
	}
	if l.Cases == nil {
		l.Cases = []cockpit.CaseRow{}
	}
	return writeJSON(w, http.StatusOK, l)
}

func (s *Server) cockpitReports(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	if s.Cockpit == nil {
		return store.NotFound("驾驶舱未启用")
	}
	list, err := s.Cockpit.Reports(r.Context(), actor, strings.TrimSpace(r.URL.Query().Get("unit")))
	if err != nil {
		return err
	}
	if list == nil {
		list = []cockpit.ReportInfo{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"reports": list})
}

func (s *Server) cockpitReport(w http.ResponseWriter, r *http.Request, actor access.Actor) error {
	if s.Cockpit == nil {
		return store.NotFound("驾驶舱未启用")
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return store.NotFound("找不到这份月报")
	}
	rep, err := s.Cockpit.Report(r.Context(), actor, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rep)
}
