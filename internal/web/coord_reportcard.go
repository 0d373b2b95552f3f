package web

import (
	"bytes"
	"net/http"
	"net/url"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/report"
	"grassroots/internal/store"
	"grassroots/internal/xlsx"
)

// The department report card with the whistle rate, and its export.

// ReportCardPage is the department report card and the whistle rate.
type ReportCardPage struct {
	Page
	From, To   string
	Cards      []report.DeptCard
	Rates      *report.WhistleRates
	ExportHref string
}

func (s *Server) reportPeriod(r *http.Request) (from, to time.Time, fs, ts string, err error) {
	q := r.URL.Query()
	fs, ts = q.Get("from"), q.Get("to")
	now := time.Now().In(shanghai)
	if fs == "" {
		fs = time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, shanghai).AddDate(0, -5, 0).Format("2006-01-02")
	}
	if ts == "" {
		ts = now.Format("2006-01-02")
	}
	if from, err = parseDay(fs); err != nil {
		return
	}
	if to, err = parseDay(ts); err != nil {
		return
	}
	to = to.AddDate(0, 0, 1)
	if !to.After(from) {
		err = store.Invalid("结束日期应晚于开始日期")
	}
	return
}

func (s *Server) reportData(r *http.Request) (ReportCardPage, error) {
	p := ReportCardPage{Page: s.page(r, "coord.report.title", "stats")}
	from, to, fs, ts, err := s.reportPeriod(r)
	if err != nil {
		return p, err
	}
	p.From, p.To = fs, ts
	actor := actorOf(r)
	if p.Cards, err = s.Reports.ReportCard(r.Context(), actor, from, to); err != nil {
		return p, err
	}
	if actor.CountyWide() || actor.Has(access.RoleSupervisor) {
		rates, err := s.Reports.WhistleRate(r.Context(), actor, from, to)
		if err != nil {
			return p, err
		}
		p.Rates = &rates
	}
	p.ExportHref = "/reportcard/export.xlsx?" + url.Values{"from": {fs}, "to": {ts}}.Encode()
	return p, nil
}

func (s *Server) reportCard(w http.ResponseWriter, r *http.Request) error {
	if s.Cases == nil {
		return store.NotFound("工单功能未启用")
	}
	p, err := s.reportData(r)
	if err != nil {
		return err
	}
	return s.render(w, r, "reportcard", p)
}

func (s *Server) reportCardExport(w http.ResponseWriter, r *http.Request) error {
	if s.Cases == nil {
		return store.NotFound("工单功能未启用")
	}
	p, err := s.reportData(r)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := report.WriteReportCardXLSX(&b, p.Cards, p.Rates); err != nil {
		return err
	}
	xlsx.Serve(w, xlsx.FileName(time.Time{}, "部门考评", xlsx.Period(p.From, p.To)), b.Bytes())
	return nil
}
