package web

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/casework"
	"grassroots/internal/store"
)

// The coordination pages: whistle and report (吹哨报到), township calls
// (乡呼县应) and enforcement transfers (综合执法). This file has the routes,
// the lists and their exports; coord_new.go the forms that open them and the
// "grid + zone" enforcement view; coord_case.go the parties board per case;
// coord_reportcard.go the department report card with the whistle rate;
// coord_members.go the party members and a member's own page reached by a
// personal link.
func (s *Server) coordRoutes() {
	s.mux.HandleFunc("GET /whistles", s.staff(s.coordList("whistle")))
	s.mux.HandleFunc("GET /whistles/export.xlsx", s.staff(s.coordExport("whistle")))
	s.mux.HandleFunc("GET /whistles/new", s.staff(s.whistleNew))
	s.mux.HandleFunc("POST /whistles/new", s.staff(s.whistleCreate))
	s.mux.HandleFunc("GET /whistles/members", s.staff(s.whistleMembers))
	s.mux.HandleFunc("POST /whistles/members/{id}/link", s.staff(s.whistleMemberLink))
	s.mux.HandleFunc("POST /whistles/cobuilding", s.staff(s.whistleCoBuilding))
	s.mux.HandleFunc("GET /township-calls", s.staff(s.coordList("township_call")))
	s.mux.HandleFunc("GET /township-calls/export.xlsx", s.staff(s.coordExport("township_call")))
	s.mux.HandleFunc("GET /township-calls/new", s.staff(s.callNew))
	s.mux.HandleFunc("POST /township-calls/new", s.staff(s.callCreate))
	s.mux.HandleFunc("GET /enforcement", s.staff(s.coordList("enforcement")))
	s.mux.HandleFunc("GET /enforcement/export.xlsx", s.staff(s.coordExport("enforcement")))
	s.mux.HandleFunc("GET /enforcement/new", s.staff(s.enforcementNew))
	s.mux.HandleFunc("POST /enforcement/new", s.staff(s.enforcementCreate))
	s.mux.HandleFunc("GET /enforcement/zones", s.staff(s.enforcementZones))
	s.mux.HandleFunc("GET /coord/{no}", s.staff(s.coordCase))
	s.mux.HandleFunc("POST /coord/{no}/actions/{action}", s.staff(s.coordAction))
	s.mux.HandleFunc("GET /reportcard", s.staff(s.reportCard))
	s.mux.HandleFunc("GET /reportcard/export.xlsx", s.staff(s.reportCardExport))
	s.mux.HandleFunc("GET /m/member/{token}", s.h(s.memberPage))
	s.mux.HandleFunc("POST /m/member/{token}/actions/{action}", s.h(s.memberAction))
}

// CoordOption is one choice of a select or datalist.
type CoordOption struct {
	Value, Label string
	Selected     bool
}

// coordFlowInfo is what differs between the three lists besides what the
// flow declares (its list route and navigation item: Flow.Nav).
type coordFlowInfo struct {
	Title string
	Kinds []string
}

var coordFlows = map[string]coordFlowInfo{
	"whistle":       {Title: "coord.whistle.title", Kinds: casework.WhistleKinds},
	"township_call": {Title: "coord.call.title"},
	"enforcement":   {Title: "coord.enf.title", Kinds: []string{"-", casework.EnforcementCoordination}},
}

// coordNav is the list route and navigation item flow declares.
func (s *Server) coordNav(flow string) casework.NavEntry {
	if f, ok := s.flowOf(flow); ok {
		return f.Nav
	}
	return casework.NavEntry{}
}

// CoordFilterForm is a coordination list's filter bar.
type CoordFilterForm struct {
	Kind, Status, Township, Unit, From, To, Q string
}

func coordFilterOf(q url.Values) CoordFilterForm {
	g := func(k string) string { return strings.TrimSpace(q.Get(k)) }
	return CoordFilterForm{Kind: g("kind"), Status: g("status"), Township: g("township"), Unit: g("unit"), From: g("from"), To: g("to"), Q: g("q")}
}

func (f CoordFilterForm) values() url.Values {
	v := url.Values{}
	for k, x := range map[string]string{"kind": f.Kind, "status": f.Status, "township": f.Township, "unit": f.Unit, "from": f.From, "to": f.To, "q": f.Q} {
		if x != "" {
			v.Set(k, x)
		}
	}
	return v
}

func parseDay(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.ParseInLocation("2006-01-02", s, shanghai)
	if err != nil {
		return t, store.Invalid("日期格式应为 2026-11-26")
	}
	return t, nil
}

func (f CoordFilterForm) filter(flow string) (casework.CoordFilter, error) {
	from, err := parseDay(f.From)
	if err != nil {
		return casework.CoordFilter{}, err
	}
	to, err := parseDay(f.To)
	if err != nil {
		return casework.CoordFilter{}, err
	}
	if !to.IsZero() {
		to = to.AddDate(0, 0, 1)
	}
	return casework.CoordFilter{Flow: flow, Kind: f.Kind, Status: f.Status, Township: f.Township, Unit: f.Unit, From: from, To: to, Q: f.Q}, nil
}

// CoordListPage is a coordination list: whistles, township calls or
// enforcement cases.
type CoordListPage struct {
	Page
	Flow       string
	Base       string
	Filter     CoordFilterForm
	Kinds      []CoordOption
	Statuses   []CoordOption
	Townships  []CoordOption
	Rows       []casework.CoordRow
	NextHref   string
	ExportHref string
	CanOpen    bool
}

func (s *Server) coordList(flow string) handler {
	info := coordFlows[flow]
	return func(w http.ResponseWriter, r *http.Request) error {
		if s.Cases == nil {
			return store.NotFound("工单功能未启用")
		}
		ff := coordFilterOf(r.URL.Query())
		f, err := ff.filter(flow)
		if err != nil {
			return err
		}
		f.Before = r.URL.Query().Get("before")
		actor := actorOf(r)
		page, err := s.Cases.CoordList(r.Context(), actor, f)
		if err != nil {
			return err
		}
		nav := s.coordNav(flow)
		p := CoordListPage{Page: s.page(r, info.Title, nav.ID), Flow: flow, Base: nav.Href, Filter: ff, Rows: page.Rows}
		lang := p.Lang
		p.Kinds = []CoordOption{{Value: "", Label: s.Msgs.T(lang, "coord.any")}}
		for _, k := range info.Kinds {
			p.Kinds = append(p.Kinds, CoordOption{Value: k, Label: s.Msgs.T(lang, kindKey(flow, k)), Selected: k == ff.Kind})
		}
		p.Statuses = []CoordOption{{Value: "", Label: s.Msgs.T(lang, "coord.any")}}
		for _, st := range []string{"open", "overdue", "closed"} {
			p.Statuses = append(p.Statuses, CoordOption{Value: st, Label: s.Msgs.T(lang, "coord.status."+st), Selected: st == ff.Status})
		}
		if fl, ok := s.Cases.Flow(flow); ok {
			for _, st := range fl.States {
				p.Statuses = append(p.Statuses, CoordOption{Value: st.Name, Label: s.Msgs.T(lang, fl.StateKey(st.Name)), Selected: st.Name == ff.Status})
			}
			p.CanOpen = len(fl.OpenedBy) == 0 || actor.HasAny(fl.OpenedBy...)
		}
		towns, err := s.Cases.UnitChoices(r.Context(), "township", "street")
		if err != nil {
			return err
		}
		p.Townships = []CoordOption{{Value: "", Label: s.Msgs.T(lang, "coord.any")}}
		for _, t := range towns {
			p.Townships = append(p.Townships, CoordOption{Value: t.Code, Label: t.Name, Selected: t.Code == ff.Township})
		}
		v := ff.values()
		p.ExportHref = nav.Href + "/export.xlsx"
		if len(v) > 0 {
			p.ExportHref += "?" + v.Encode()
		}
		if page.Next != "" {
			v.Set("before", page.Next)
			p.NextHref = nav.Href + "?" + v.Encode()
		}
		return s.render(w, r, flow+"_list", p)
	}
}

func kindKey(flow, kind string) string {
	switch {
	case flow == "enforcement" && (kind == "" || kind == "-"):
		return "coord.kind.enforcement.case"
	case kind == "":
		return "coord.any"
	}
	return "coord.kind." + flow + "." + kind
}

// KindName is the label of a case's kind in lists and pages.
func (p Page) KindName(flow, kind string) string {
	if flow != "enforcement" && kind == "" {
		return ""
	}
	return p.T(kindKey(flow, kind))
}

func (s *Server) coordExport(flow string) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		if s.Cases == nil {
			return store.NotFound("工单功能未启用")
		}
		f, err := coordFilterOf(r.URL.Query()).filter(flow)
		if err != nil {
			return err
		}
		f.Limit = 5000
		var all []casework.CoordRow
		for {
			page, err := s.Cases.CoordList(r.Context(), actorOf(r), f)
			if err != nil {
				return err
			}
			all = append(all, page.Rows...)
			if page.Next == "" || len(all) >= 50000 {
				break
			}
			f.Before = page.Next
		}
		var b bytes.Buffer
		if err := casework.WriteCoordXLSX(&b, all); err != nil {
			return err
		}
		// The file is named by the flow's label, in Chinese as the sheet.
		name := flow
		if f, ok := s.flowOf(flow); ok {
			name = s.Msgs.T("zh", f.LabelKey())
		}
		sendXLSX(w, name+"-"+time.Now().In(shanghai).Format("20060102-1504")+".xlsx", b.Bytes())
		return nil
	}
}

func sendXLSX(w http.ResponseWriter, name string, b []byte) {
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	ascii := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return '_'
		}
		return r
	}, name)
	w.Header().Set("Content-Disposition", `attachment; filename="`+ascii+`"; filename*=UTF-8''`+url.PathEscape(name))
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = w.Write(b)
}

// placeOptions are the places the user may open a case for.
func (s *Server) placeOptions(ctx context.Context, actor access.Actor, selected string) ([]CoordOption, error) {
	ps, err := s.Cases.PlaceChoices(ctx, actor)
	if err != nil {
		return nil, err
	}
	out := make([]CoordOption, 0, len(ps))
	for _, p := range ps {
		out = append(out, CoordOption{Value: p.Code, Label: p.Name, Selected: p.Code == selected})
	}
	return out, nil
}

// defaultPlace is where a user's own cases happen: their unit when it is a
// township, community or village.
func defaultPlace(a access.Actor) string {
	switch a.UnitKind {
	case "township", "street", "community", "village":
		return a.UnitCode
	}
	return ""
}
