package web

// The county cockpit (驾驶舱): a unit's panels on one screen, drilled down by
// township → community → grid; the panels refresh themselves (htmx, the
// interval setting cockpit.refresh_seconds) without reloading the page; a
// big-screen mode at 1920×1080; the lists behind its numbers; and the
// monthly reports the daily job stores.

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"grassroots/internal/cockpit"
	"grassroots/internal/settings"
	"grassroots/internal/store"
	"grassroots/internal/xlsx"
)

// RefreshKey is the setting of the cockpit's refresh interval in seconds
// (default 60, at least 10).
const RefreshKey = "cockpit.refresh_seconds"

func (s *Server) cockpitRoutes() {
	s.mux.HandleFunc("GET /cockpit", s.staff(s.cockpitPage))
	s.mux.HandleFunc("GET /cockpit/panels/{panel}", s.staff(s.cockpitPanel))
	s.mux.HandleFunc("GET /cockpit/cases", s.staff(s.cockpitCases))
	s.mux.HandleFunc("GET /cockpit/reports", s.staff(s.cockpitReports))
	s.mux.HandleFunc("GET /cockpit/reports/{id}", s.staff(s.cockpitReport))
	s.mux.HandleFunc("GET /cockpit/reports/{id}/export.xlsx", s.staff(s.cockpitReportXLSX))
}

// CockpitPage is a unit's cockpit (or, Report set, a stored monthly report).
type CockpitPage struct {
	Page
	Unit     cockpit.Unit
	Crumbs   []cockpit.Crumb
	Children []cockpit.Crumb
	Period   cockpit.Period
	P        cockpit.Panels
	Map      cockpit.Map
	MapJSON  string
	// TrendJSON and IntakeJSON feed the charts (data-chart, app.js).
	TrendJSON, IntakeJSON string
	Categories            []cockpit.Category
	States                []string
	Screen                bool
	Refresh               int
	// Report is the stored monthly report shown (print page), if any.
	Report *cockpit.Report
}

// Name is a number's label in the page's language.
func (p CockpitPage) Name(n cockpit.Number) string {
	if n.Key != "" && p.msgs != nil && p.msgs.Has(p.Lang, n.Key) {
		return p.T(n.Key)
	}
	if n.Label != "" {
		return n.Label
	}
	return n.Key
}

// Q is the query of this cockpit's unit (and screen mode) for its links.
func (p CockpitPage) Q() string {
	v := url.Values{"unit": {p.Unit.Code}}
	if p.Screen {
		v.Set("screen", "1")
	}
	return v.Encode()
}

// DrillQ is the query of a child unit's cockpit, keeping the screen mode.
func (p CockpitPage) DrillQ(code string) string {
	v := url.Values{"unit": {code}}
	if p.Screen {
		v.Set("screen", "1")
	}
	return v.Encode()
}

func (s *Server) cockpitService() (*cockpit.Service, error) {
	if s.Cockpit == nil {
		return nil, store.NotFound("驾驶舱未启用")
	}
	return s.Cockpit, nil
}

// cockpitBase resolves the unit and the period of a cockpit request.
func (s *Server) cockpitBase(r *http.Request, titleKey string) (CockpitPage, *cockpit.Service, error) {
	c, err := s.cockpitService()
	if err != nil {
		return CockpitPage{}, nil, err
	}
	p := CockpitPage{Page: s.page(r, titleKey, "cockpit"), Screen: r.URL.Query().Get("screen") == "1", States: cockpit.MapStates()}
	p.Unit, p.Crumbs, err = c.Resolve(r.Context(), actorOf(r), strings.TrimSpace(r.URL.Query().Get("unit")))
	if err != nil {
		return p, nil, err
	}
	p.Period = cockpit.PeriodAt(c.Now())
	p.Refresh, err = settings.Int(r.Context(), s.DB, RefreshKey, 60)
	if err != nil {
		return p, nil, err
	}
	p.Refresh = max(p.Refresh, 10)
	return p, c, nil
}

func (s *Server) cockpitPage(w http.ResponseWriter, r *http.Request) error {
	p, c, err := s.cockpitBase(r, "cockpit.title")
	if err != nil {
		return err
	}
	ctx, actor := r.Context(), actorOf(r)
	if p.P, err = c.Panels(ctx, actor, p.Unit, p.Period); err != nil {
		return err
	}
	if err := s.cockpitMap(r, c, &p); err != nil {
		return err
	}
	if p.Children, err = c.Children(ctx, actor, p.Unit); err != nil {
		return err
	}
	p.charts()
	p.Title = p.Unit.Name + " " + p.T("cockpit.title")
	return s.render(w, r, "cockpit", p)
}

// cockpitMap computes the map panel and its MapView.
func (s *Server) cockpitMap(r *http.Request, c *cockpit.Service, p *CockpitPage) error {
	cat, state, err := cockpit.MapSwitches(r.URL.Query())
	if err != nil {
		return err
	}
	ctx, actor := r.Context(), actorOf(r)
	if p.Map, err = c.Map(ctx, actor, p.Unit, p.Period, cat, state); err != nil {
		return err
	}
	p.Categories = p.Map.Categories
	var m MapView
	for _, g := range p.Map.Grids {
		m.AddGraded(g.Boundary, g.Name+" · "+strconv.Itoa(g.Cases), "/grids/"+url.PathEscape(g.Code), g.Grade)
	}
	for _, o := range p.Map.Overdue {
		m.Points = append(m.Points, MapPoint{At: o.At, Label: o.No + " " + o.Title, Href: "/cases/" + url.PathEscape(o.No), Kind: "overdue"})
	}
	m.Context = []string{countyContext}
	p.MapJSON = m.JSON()
	return nil
}

// charts fills the charts' data: the year's three rates by month, and the
// month's intake by channel.
func (p *CockpitPage) charts() {
	type series struct {
		Name string     `json:"name"`
		Data []*float64 `json:"data"`
	}
	h := p.P.Hotline
	var months []string
	ss := []series{{Name: p.T("stats.rate.response")}, {Name: p.T("stats.rate.resolution")}, {Name: p.T("stats.rate.satisfaction")}}
	for _, tp := range h.Trend {
		months = append(months, tp.Month)
		for i, v := range tp.Rates {
			var x *float64
			if v != nil {
				f := float64(int(*v*1000+0.5)) / 10
				x = &f
			}
			ss[i].Data = append(ss[i].Data, x)
		}
	}
	b, _ := json.Marshal(map[string]any{"kind": "line", "categories": months, "series": ss})
	p.TrendJSON = string(b)
	var names []string
	var counts []*float64
	for _, n := range h.Channels {
		names = append(names, p.Name(n))
		v := n.N
		counts = append(counts, &v)
	}
	b, _ = json.Marshal(map[string]any{"kind": "count", "categories": names, "series": []series{{Name: p.T("cockpit.intake.cases"), Data: counts}}})
	p.IntakeJSON = string(b)
}

// cockpitPanel answers one panel's fragment, for the refresh: one panel,
// its own queries only.
func (s *Server) cockpitPanel(w http.ResponseWriter, r *http.Request) error {
	p, c, err := s.cockpitBase(r, "cockpit.title")
	if err != nil {
		return err
	}
	ctx, actor := r.Context(), actorOf(r)
	name := r.PathValue("panel")
	switch name {
	case "rates":
		p.P.Hotline, err = c.Hotline(ctx, actor, p.Unit, p.Period)
		p.charts()
	case "map":
		err = s.cockpitMap(r, c, &p)
	case "overdue":
		p.P.Overdue, err = c.Overdue(ctx, actor, p.Unit, p.Period)
	case "pillars":
		p.P.Pillars, err = c.Pillars(ctx, actor, p.Unit, p.Period)
	default:
		return store.NotFoundf("没有面板「%s」", name)
	}
	if err != nil {
		return err
	}
	return s.renderFragment(w, "cockpit", "cockpit-"+name, p)
}

// renderFragment writes the named template of a page, without the layout.
func (s *Server) renderFragment(w http.ResponseWriter, page, name string, data any) error {
	t, ok := s.pages[page]
	if !ok {
		return store.NotFoundf("没有页面「%s」", page)
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, name, data); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, err := w.Write(b.Bytes())
	return err
}

// CockpitCasesPage lists the cases behind one number.
type CockpitCasesPage struct {
	Page
	L    cockpit.CaseList
	Back string
}

func (s *Server) cockpitCases(w http.ResponseWriter, r *http.Request) error {
	c, err := s.cockpitService()
	if err != nil {
		return err
	}
	ctx, actor, q := r.Context(), actorOf(r), r.URL.Query()
	u, _, err := c.Resolve(ctx, actor, strings.TrimSpace(q.Get("unit")))
	if err != nil {
		return err
	}
	per := cockpit.PeriodAt(c.Now())
	if m := strings.TrimSpace(q.Get("month")); m != "" && m != per.MonthLabel {
		if per, err = cockpit.MonthPeriod(m, c.Now()); err != nil {
			return err
		}
	}
	cat, state, err := cockpit.MapSwitches(r.URL.Query())
	if err != nil {
		return err
	}
	l, err := c.Cases(ctx, actor, u, per, strings.TrimSpace(q.Get("list")), strings.TrimSpace(q.Get("value")), cat, state)
	if err != nil {
		return err
	}
	p := CockpitCasesPage{Page: s.page(r, "cockpit.cases.title", "cockpit"), L: l, Back: "/cockpit?" + url.Values{"unit": {u.Code}}.Encode()}
	return s.render(w, r, "cockpit_cases", p)
}

// CockpitReportsPage lists the stored monthly reports.
type CockpitReportsPage struct {
	Page
	Reports []cockpit.ReportInfo
}

func (s *Server) cockpitReports(w http.ResponseWriter, r *http.Request) error {
	c, err := s.cockpitService()
	if err != nil {
		return err
	}
	list, err := c.Reports(r.Context(), actorOf(r), strings.TrimSpace(r.URL.Query().Get("unit")))
	if err != nil {
		return err
	}
	return s.render(w, r, "cockpit_reports", CockpitReportsPage{Page: s.page(r, "cockpit.reports.title", "cockpit"), Reports: list})
}

func (s *Server) loadReport(r *http.Request) (cockpit.Report, error) {
	c, err := s.cockpitService()
	if err != nil {
		return cockpit.Report{}, err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return cockpit.Report{}, store.NotFound("找不到这份月报")
	}
	return c.Report(r.Context(), actorOf(r), id)
}

// cockpitReport is the printable A4 page of a stored monthly report.
func (s *Server) cockpitReport(w http.ResponseWriter, r *http.Request) error {
	rep, err := s.loadReport(r)
	if err != nil {
		return err
	}
	p := CockpitPage{Page: s.page(r, "cockpit.reports.title", "cockpit"), Unit: rep.Unit, P: rep.Panels, Report: &rep}
	p.charts()
	p.Title = rep.Unit.Name + " " + rep.Month + " " + p.T("cockpit.report.title")
	return s.render(w, r, "cockpit_report", p)
}

func (s *Server) cockpitReportXLSX(w http.ResponseWriter, r *http.Request) error {
	rep, err := s.loadReport(r)
	if err != nil {
		return err
	}
	pg := s.page(r, "", "cockpit")
	var b bytes.Buffer
	if err := cockpit.WriteXLSX(&b, rep, func(k string) string { return pg.T(k) }); err != nil {
		return err
	}
	xlsx.Serve(w, xlsx.FileName(rep.CreatedAt, rep.Unit.Name, "12345月报", rep.Month), b.Bytes())
	return nil
}

// NumView is a number as a card shows it: its name, value, denominator,
// definition and the link to what is behind it, in the page's language.
type NumView struct {
	Name, Value, Of, Def, Href string
	Alarm                      bool
}

// Num prepares a number for the cockpit-num template.
func (p CockpitPage) Num(n cockpit.Number) NumView {
	v := NumView{Name: p.Name(n), Value: n.Value, Of: n.Of, Href: n.Href, Alarm: n.Alarm}
	if n.Def != "" {
		v.Def = p.T(n.Def)
	}
	return v
}

// RateView is a rate with its numerator's and denominator's lists.
type RateView struct {
	NumView
	Num, Den, NumHref, DenHref string
}

// Rate prepares a rate for the cockpit-rate template.
func (p CockpitPage) Rate(r cockpit.Rate) RateView {
	return RateView{NumView: p.Num(r.Number), Num: r.Num, Den: r.Den, NumHref: r.NumHref, DenHref: r.DenHref}
}

// Rest are the month's rates after the three shown large.
func (p CockpitPage) Rest() []cockpit.Rate {
	var out []cockpit.Rate
	for i, r := range p.P.Hotline.Rates {
		if i != 0 && i != 2 && i != 4 {
			out = append(out, r)
		}
	}
	return out
}

// Nums prepares a list of numbers.
func (p CockpitPage) Nums(ns []cockpit.Number) []NumView {
	out := make([]NumView, len(ns))
	for i, n := range ns {
		out[i] = p.Num(n)
	}
	return out
}

// RankView is a ranking table.
type RankView struct {
	P    Page
	Rows []cockpit.RankRow
}

// Ranking prepares a ranking table.
func (p CockpitPage) Ranking(rows []cockpit.RankRow) RankView { return RankView{P: p.Page, Rows: rows} }
