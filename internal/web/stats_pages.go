package web

// The figures pages: the three rates and their companions per unit and
// period (/stats, with its Excel export and an ECharts bar chart), and the
// daily collection and feedback list (/daily, 每日一收集、每日一反馈).

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/casework"
	"grassroots/internal/report"
	"grassroots/internal/stats"
	"grassroots/internal/store"
	"grassroots/internal/xlsx"
)

// statsRoutes registers the figures pages: the three rates and daily feedback.
func (s *Server) statsRoutes() {
	s.mux.HandleFunc("GET /stats", s.staff(s.statsPage))
	s.mux.HandleFunc("GET /stats/export.xlsx", s.staff(s.statsExport))
	s.mux.HandleFunc("GET /stats/cases", s.staff(s.statsCases))
	s.mux.HandleFunc("GET /stats/cases/export.xlsx", s.staff(s.statsCasesExport))
	s.mux.HandleFunc("GET /daily", s.staff(s.dailyPage))
	s.mux.HandleFunc("GET /daily/export.xlsx", s.staff(s.dailyExport))
}

// FigureHead is a column of the rates table: the figure's name, its
// definition (HintKey) and the counts of its numerator and denominator, by
// which its cases are listed (/stats/cases).
type FigureHead struct {
	Key, Name, HintKey string
	Num, Den           string
	ID                 string
}

// StatsPage shows a unit's rates and the table by child unit, of one flow's
// cases.
type StatsPage struct {
	Page
	Unit, Flow, From, To string
	Flows                []Option
	B                    stats.Breakdown
	Heads                []FigureHead
	// Unreached shows 未联系上 beside 满意率 (when the flow shows it).
	Unreached bool
	// ChartJSON feeds the bar chart (data-chart), read by app.js.
	ChartJSON  string
	ExportHref string
	Units      []Option
}

// statsForm reads unit, flow and period: the actor's unit, the hotline and
// the current month by default; to is inclusive.
func (s *Server) statsForm(r *http.Request, now time.Time) (unit, flow, from, to string) {
	q := r.URL.Query()
	unit, from, to = strings.TrimSpace(q.Get("unit")), strings.TrimSpace(q.Get("from")), strings.TrimSpace(q.Get("to"))
	flow = strings.TrimSpace(q.Get("flow"))
	if flow == "" {
		flow = stats.DefaultFlow
	}
	if unit == "" {
		actor := actorOf(r)
		unit = actor.UnitCode
		// The supervision office sits in a department but watches the
		// county: its figures start at the county.
		if actor.CountyWide() && actor.UnitKind == "department" && s.Org != nil {
			if c, err := s.Org.County(r.Context()); err == nil {
				unit = c.Code
			}
		}
	}
	today := now.In(shanghai)
	if from == "" {
		from = time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, shanghai).Format("2006-01-02")
	}
	if to == "" {
		to = today.Format("2006-01-02")
	}
	return unit, flow, from, to
}

// statsQuery reads the flow and period into a stats.Query, with the
// flow's own figures (casework.Flow.Figures) and the configured weights.
func (s *Server) statsQuery(ctx context.Context, unit, flow, from, to string) (stats.Query, error) {
	if s.DB == nil || s.Stats == nil {
		return stats.Query{}, store.NotFound("统计功能未启用")
	}
	if unit == "" {
		return stats.Query{}, store.Invalid("请选择单位")
	}
	fl, ok := s.flowOf(flow)
	if !ok {
		return stats.Query{}, store.Invalidf("没有业务类型「%s」", flow)
	}
	f, _, err := casework.DayBounds(from)
	if err != nil {
		return stats.Query{}, store.Invalid("开始日期格式应为 2026-11-01")
	}
	_, t, err := casework.DayBounds(to)
	if err != nil {
		return stats.Query{}, store.Invalid("结束日期格式应为 2026-11-30")
	}
	weights, err := stats.LoadWeights(ctx, s.DB)
	if err != nil {
		return stats.Query{}, err
	}
	return stats.Query{Unit: unit, Flow: flow, From: f, To: t, Weights: weights, Figures: stats.FiguresOf(fl.Figures)}, nil
}

// statsBreakdown computes the figures the page and the export show: one
// call, the same numbers.
func (s *Server) statsBreakdown(ctx context.Context, actor access.Actor, unit, flow, from, to string) (stats.Breakdown, error) {
	q, err := s.statsQuery(ctx, unit, flow, from, to)
	if err != nil {
		return stats.Breakdown{}, err
	}
	return s.Stats.Breakdown(ctx, actor, q)
}

func (s *Server) statsPage(w http.ResponseWriter, r *http.Request) error {
	unit, flow, from, to := s.statsForm(r, time.Now())
	p := StatsPage{Page: s.page(r, "caseui.stats.title", "stats"), Unit: unit, Flow: flow, From: from, To: to}
	b, err := s.statsBreakdown(r.Context(), actorOf(r), unit, flow, from, to)
	if err != nil {
		return err
	}
	p.B = b
	p.Heads = statsHeads(b.Names)
	p.Unreached = slices.ContainsFunc(b.Names, func(n stats.FigureName) bool { return n.ID == "satisfaction" })
	p.ChartJSON = ratesChart(p.Page, b)
	v := url.Values{"unit": {unit}, "flow": {flow}, "from": {from}, "to": {to}}
	p.ExportHref = "/stats/export.xlsx?" + v.Encode()
	if s.Cases != nil {
		for _, f := range s.Cases.Flows() {
			p.Flows = append(p.Flows, Option{Value: f.Name, Label: p.T("case.flow." + f.Name)})
		}
	}
	if p.Units, err = s.unitOptions(r.Context(), actorOf(r), ""); err != nil {
		return err
	}
	return s.render(w, r, "stats_rates", p)
}

// statsHeads are the table's columns, one per figure shown.
func statsHeads(names []stats.FigureName) []FigureHead {
	var out []FigureHead
	for _, n := range names {
		out = append(out, FigureHead{Key: n.Key, Name: n.Name, HintKey: n.Key + ".hint", Num: n.Num, Den: n.Den, ID: n.ID})
	}
	return out
}

// RowFigures are a row's values of the figures shown, in the heads' order.
func (p StatsPage) RowFigures(r stats.UnitRates) []stats.Figure { return r.FiguresFor(p.B.Names) }

// ratesChart is the bar chart's data: the first three figures shown (for
// the hotline the three rates), in per cent, by child unit.
func ratesChart(p Page, b stats.Breakdown) string {
	type series struct {
		Name string     `json:"name"`
		Data []*float64 `json:"data"`
	}
	names := b.Names
	if len(names) == 0 {
		names = stats.FigureNames()
	}
	names = names[:min(3, len(names))]
	var cats []string
	ss := make([]series, len(names))
	for i, n := range names {
		ss[i].Name = p.T(n.Key)
	}
	pct := func(f stats.Figure) *float64 {
		if f.Ratio == nil {
			return nil
		}
		v := float64(int(*f.Ratio*1000+0.5)) / 10
		return &v
	}
	for _, row := range b.Rows {
		name := row.Unit.Name
		if row.Self {
			name += "（" + p.T("stats.self") + "）"
		}
		cats = append(cats, name)
		for i, n := range names {
			ss[i].Data = append(ss[i].Data, pct(row.Figure(n.ID)))
		}
	}
	out, _ := json.Marshal(map[string]any{"categories": cats, "series": ss})
	return string(out)
}

func (s *Server) statsExport(w http.ResponseWriter, r *http.Request) error {
	unit, flow, from, to := s.statsForm(r, time.Now())
	b, err := s.statsBreakdown(r.Context(), actorOf(r), unit, flow, from, to)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := stats.WriteRatesXLSX(&buf, b); err != nil {
		return err
	}
	xlsx.Serve(w, xlsx.FileName(time.Time{}, "统计", b.Total.Unit.Name, xlsx.Period(from, to)), buf.Bytes())
	return nil
}

// DailyPage is the daily collection and feedback list of a unit.
type DailyPage struct {
	Page
	Unit, Day          string
	SumFrom, SumTo     string
	R                  report.DailyReport
	NotHeard           []report.DailyCase
	Summaries          []report.DailySummary
	ExportHref         string
	PrevHref, NextHref string
	Units              []Option
}

func (s *Server) dailyForm(r *http.Request, now time.Time) (unit, day string) {
	q := r.URL.Query()
	unit, day = strings.TrimSpace(q.Get("unit")), strings.TrimSpace(q.Get("day"))
	if unit == "" {
		unit = actorOf(r).UnitCode
	}
	if day == "" {
		day = casework.Today(now)
	}
	return unit, day
}

func (s *Server) dailyPage(w http.ResponseWriter, r *http.Request) error {
	if s.Cases == nil {
		return store.NotFound("工单功能未启用")
	}
	ctx := r.Context()
	actor := actorOf(r)
	unit, day := s.dailyForm(r, time.Now())
	p := DailyPage{Page: s.page(r, "caseui.daily.title", "stats"), Unit: unit, Day: day}
	rep, err := s.Reports.Daily(ctx, actor, s.resolveUnit(ctx, unit), day)
	if err != nil {
		return err
	}
	p.R, p.NotHeard = rep, rep.NotHeardBack()
	d, _, _ := casework.DayBounds(rep.Day)
	q := r.URL.Query()
	p.SumTo = strings.TrimSpace(q.Get("sum_to"))
	p.SumFrom = strings.TrimSpace(q.Get("sum_from"))
	if p.SumTo == "" {
		p.SumTo = rep.Day
	}
	if p.SumFrom == "" {
		p.SumFrom = d.AddDate(0, 0, -6).Format("2006-01-02")
	}
	if p.Summaries, err = s.Reports.DailySummaries(ctx, actor, rep.Unit.Code, p.SumFrom, p.SumTo); err != nil {
		return err
	}
	link := func(path, day string) string {
		return path + "?" + url.Values{"unit": {rep.Unit.Code}, "day": {day}}.Encode()
	}
	p.ExportHref = link("/daily/export.xlsx", rep.Day)
	p.PrevHref = link("/daily", d.AddDate(0, 0, -1).Format("2006-01-02"))
	p.NextHref = link("/daily", d.AddDate(0, 0, 1).Format("2006-01-02"))
	if p.Units, err = s.unitOptions(ctx, actor, ""); err != nil {
		return err
	}
	return s.render(w, r, "daily_feedback", p)
}

func (s *Server) dailyExport(w http.ResponseWriter, r *http.Request) error {
	if s.Cases == nil {
		return store.NotFound("工单功能未启用")
	}
	unit, day := s.dailyForm(r, time.Now())
	rep, err := s.Reports.Daily(r.Context(), actorOf(r), s.resolveUnit(r.Context(), unit), day)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := s.Reports.WriteDailyXLSX(&buf, rep); err != nil {
		return err
	}
	xlsx.Serve(w, xlsx.FileName(time.Time{}, "每日反馈", rep.Unit.Name, xlsx.Period(rep.Day, rep.Day)), buf.Bytes())
	return nil
}

// CasesLink is the link to the cases behind a count (/stats/cases) of the
// page's unit, flow and period.
func (p StatsPage) CasesLink(count string) string {
	return "/stats/cases?" + url.Values{"unit": {p.Unit}, "flow": {p.Flow}, "from": {p.From}, "to": {p.To}, "count": {count}}.Encode()
}

// StatsCasesPage lists the cases behind one count of the figures: the
// numerator or the denominator of a figure, so that a reader can check it,
// one page at a time (the export holds them all).
type StatsCasesPage struct {
	Page
	Unit, Flow, From, To, Count string
	UnitName                    string
	// Total is the count the list is made of; Parts says it counts parts
	// (one row per unit given a part), not cases.
	Total, PageSize      int
	Parts                bool
	Cases                []stats.FigureCase
	ExportHref, BackHref string
	NextHref, FirstHref  string
}

// statsCasesQuery reads the request's unit, flow, period, count and page.
func (s *Server) statsCasesQuery(r *http.Request) (StatsCasesPage, stats.CaseQuery, error) {
	unit, flow, from, to := s.statsForm(r, time.Now())
	q := r.URL.Query()
	p := StatsCasesPage{Unit: unit, Flow: flow, From: from, To: to, Count: strings.TrimSpace(q.Get("count"))}
	if p.Count == "" {
		p.Count = "cases"
	}
	sq, err := s.statsQuery(r.Context(), unit, flow, from, to)
	if err != nil {
		return p, stats.CaseQuery{}, err
	}
	return p, stats.CaseQuery{Query: sq, Count: p.Count, After: strings.TrimSpace(q.Get("after"))}, nil
}

func (s *Server) statsCases(w http.ResponseWriter, r *http.Request) error {
	p, q, err := s.statsCasesQuery(r)
	if err != nil {
		return err
	}
	actor := actorOf(r)
	page, err := s.Stats.Cases(r.Context(), actor, q)
	if err != nil {
		return err
	}
	p.Cases, p.PageSize, p.Parts = page.Cases, stats.DefaultCasePage, strings.HasPrefix(p.Count, "parts_")
	if u, err := s.Stats.ListRates(r.Context(), actor, q); err == nil {
		p.UnitName = u.Unit.Name
		p.Total, _ = u.CountOf(p.Count)
	}
	v := url.Values{"unit": {p.Unit}, "flow": {p.Flow}, "from": {p.From}, "to": {p.To}, "count": {p.Count}}
	p.ExportHref = "/stats/cases/export.xlsx?" + v.Encode()
	if q.After != "" {
		p.FirstHref = "/stats/cases?" + v.Encode()
	}
	if page.Next != "" {
		v.Set("after", page.Next)
		p.NextHref = "/stats/cases?" + v.Encode()
		v.Del("after")
	}
	v.Del("count")
	p.BackHref = "/stats?" + v.Encode()
	p.Page = s.page(r, "caseui.stats.cases_title", "stats")
	return s.render(w, r, "stats_cases", p)
}

// statsCasesExport streams every case behind the count into the workbook,
// whatever their number.
func (s *Server) statsCasesExport(w http.ResponseWriter, r *http.Request) error {
	p, q, err := s.statsCasesQuery(r)
	if err != nil {
		return err
	}
	q.After = ""
	actor := actorOf(r)
	u, err := s.Stats.Rates(r.Context(), actor, q.Query)
	if err != nil {
		return err
	}
	title := fmt.Sprintf("%s %s %s 至 %s：%s", u.Unit.Name, p.Flow, p.From, p.To, p.Count)
	name := xlsx.FileName(time.Time{}, "统计工单", u.Unit.Name, p.Count, xlsx.Period(p.From, p.To))
	return s.Stats.WriteCasesXLSX(r.Context(), xlsx.Stream(w, name), actor, q, title)
}
