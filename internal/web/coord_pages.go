package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/casework"
	"grassroots/internal/store"
	"grassroots/internal/xlsx"
)

// The coordination pages: the lists of the flows that declare a parties
// list (casework.ListParties: whistles, township calls, enforcement), one
// handler parameterised by the flow and registered under the route the flow
// declares (Flow.Nav.Href); coord_new.go has the forms that open them and
// the "grid + zone" enforcement view; coord_reportcard.go the department
// report card with the whistle rate; coord_members.go the party members and
// a member's own page reached by a personal link. A case of any flow is
// shown by the one case page (case_view.go); /coord/{no} is its old address.
func (s *Server) coordRoutes() {
	for _, f := range s.routedFlows() {
		if f.List != casework.ListParties || f.Nav.Href == "" {
			continue
		}
		s.mux.HandleFunc("GET "+f.Nav.Href, s.staff(s.coordList(f.Name)))
		s.mux.HandleFunc("GET "+f.Nav.Href+"/export.xlsx", s.staff(s.coordExport(f.Name)))
		s.mux.HandleFunc("GET "+f.Nav.Href+"/new", s.staff(s.flowNew(f.Name)))
		s.mux.HandleFunc("POST "+f.Nav.Href+"/new", s.staff(s.flowCreate(f.Name)))
	}
	s.mux.HandleFunc("GET /whistles/members", s.staff(s.whistleMembers))
	s.mux.HandleFunc("POST /whistles/members/{id}/link", s.staff(s.whistleMemberLink))
	s.mux.HandleFunc("POST /whistles/cobuilding", s.staff(s.whistleCoBuilding))
	s.mux.HandleFunc("GET /enforcement/zones", s.staff(s.enforcementZones))
	s.mux.HandleFunc("GET /coord/{no}", s.staff(s.coordCase))
	s.mux.HandleFunc("GET /reportcard", s.staff(s.reportCard))
	s.mux.HandleFunc("GET /reportcard/export.xlsx", s.staff(s.reportCardExport))
	s.mux.HandleFunc("GET /m/member/{token}", s.h(s.memberPage))
	s.mux.HandleFunc("POST /m/member/{token}/actions/{action}", s.h(s.memberAction))
}

// routedFlows are the flows whose pages get routes when the server is
// built: the engine's, or the built-in declarations when there is no engine
// (the pages then answer that casework is off).
func (s *Server) routedFlows() []*casework.Flow {
	if s.Cases != nil {
		return s.Cases.Flows()
	}
	var out []*casework.Flow
	for _, f := range casework.BuiltinFlows() {
		out = append(out, &f)
	}
	return out
}

// areaOf is the navigation item of the work area whose list links to the
// page at href (Flow.ListLinks).
func (s *Server) areaOf(href string) string {
	for _, f := range s.routedFlows() {
		for _, l := range f.ListLinks {
			if l.Href == href {
				return f.Nav.ID
			}
		}
	}
	return ""
}

// CoordOption is one choice of a select or datalist.
type CoordOption struct {
	Value, Label string
	Selected     bool
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

// CoordListPage is a parties list: the cases of one flow (whistles,
// township calls or enforcement cases) with their parties.
type CoordListPage struct {
	Page
	Flow      string
	Base      string
	Filter    CoordFilterForm
	Kinds     []CoordOption
	Statuses  []CoordOption
	Townships []CoordOption
	// Units are the parties' units the list filters by, by name (the
	// code is the value only).
	Units      []CoordOption
	Rows       []casework.CoordRow
	NextHref   string
	ExportHref string
	CanOpen    bool
	// NewHref opens the flow's create form; Links are the work area's
	// further pages (Flow.ListLinks).
	NewHref  string
	NewKey   string
	Links    []casework.NavEntry
	Progress bool
}

func (s *Server) coordList(flow string) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		if s.Cases == nil {
			return store.NotFound("工单功能未启用")
		}
		fl, ok := s.Cases.Flow(flow)
		if !ok {
			return store.NotFound("找不到该流程")
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
		nav := fl.Nav
		p := CoordListPage{Page: s.page(r, nav.Key, nav.ID), Flow: flow, Base: nav.Href, Filter: ff, Rows: page.Rows,
			NewHref: nav.Href + "/new", NewKey: fl.CreateTitle(), Links: fl.ListLinks, Progress: fl.Progress}
		lang := p.Lang
		p.Kinds = []CoordOption{{Value: "", Label: s.Msgs.T(lang, "coord.any")}}
		for _, k := range fl.Kinds {
			v := k
			if k == "" {
				v = "-" // the filter's "" is any kind
			}
			p.Kinds = append(p.Kinds, CoordOption{Value: v, Label: s.Msgs.T(lang, fl.KindKey(k)), Selected: v == ff.Kind})
		}
		p.Statuses = []CoordOption{{Value: "", Label: s.Msgs.T(lang, "coord.any")}}
		for _, st := range []string{"open", "overdue", "closed"} {
			p.Statuses = append(p.Statuses, CoordOption{Value: st, Label: s.Msgs.T(lang, "coord.status."+st), Selected: st == ff.Status})
		}
		for _, st := range fl.States {
			p.Statuses = append(p.Statuses, CoordOption{Value: st.Name, Label: s.Msgs.T(lang, fl.StateKey(st.Name)), Selected: st.Name == ff.Status})
		}
		p.CanOpen = len(fl.OpenedBy) == 0 || actor.HasAny(fl.OpenedBy...)
		towns, err := s.Cases.UnitChoices(r.Context(), "township", "street")
		if err != nil {
			return err
		}
		p.Townships = []CoordOption{{Value: "", Label: s.Msgs.T(lang, "coord.any")}}
		for _, t := range towns {
			p.Townships = append(p.Townships, CoordOption{Value: t.Code, Label: t.Name, Selected: t.Code == ff.Township})
		}
		depts, err := s.Cases.UnitChoices(r.Context(), "department")
		if err != nil {
			return err
		}
		p.Units = []CoordOption{{Value: "", Label: s.Msgs.T(lang, "coord.any")}}
		for _, u := range append(depts, towns...) {
			p.Units = append(p.Units, CoordOption{Value: u.Code, Label: u.Name, Selected: u.Code == ff.Unit})
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
		return s.render(w, r, "coord_list", p)
	}
}

// KindName is the label of a case's kind in lists and pages ("" for a
// flow without kinds), as the flow declares it (Flow.KindKey).
func (p Page) KindName(flow, kind string) string {
	f, ok := p.flowOf(flow)
	if !ok {
		return ""
	}
	key := f.KindKey(kind)
	if key == "" {
		return ""
	}
	if t := p.T(key); t != key {
		return t
	}
	return ""
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
		// The whole list, page by page (keyset), streamed into the
		// workbook: no cap, so every row a figure counts can be checked.
		f.Limit = 5000
		first, err := s.Cases.CoordList(r.Context(), actorOf(r), f)
		if err != nil {
			return err
		}
		page := &first
		next := func() ([]casework.CoordRow, error) {
			if page == nil {
				return nil, nil
			}
			rows, more := page.Rows, page.Next
			page = nil
			if more != "" {
				f.Before = more
				p, err := s.Cases.CoordList(r.Context(), actorOf(r), f)
				if err != nil {
					return nil, err
				}
				page = &p
			}
			return rows, nil
		}
		// The sheet and the file are named by the flow's label, in Chinese,
		// and the file by what was filtered: 吹哨报到-南浦街道-超期-20261203.xlsx.
		zh := func(key string) string {
			if key == "" || !s.Msgs.Has("zh", key) {
				return ""
			}
			return s.Msgs.T("zh", key)
		}
		name, kind, status, township := flow, "", "", ""
		if fl, ok := s.flowOf(flow); ok {
			name = zh(fl.LabelKey())
			switch f.Kind {
			case "":
			case "-": // the flow's cases of no kind (enforcement cases proper)
				kind = zh(fl.KindKey(""))
			default:
				kind = zh(fl.KindKey(f.Kind))
			}
			if status = zh("coord.status." + f.Status); status == "" && f.Status != "" {
				status = zh(fl.StateKey(f.Status))
			}
		}
		if f.Township != "" && len(first.Rows) > 0 {
			township = first.Rows[0].TownshipName
		}
		return s.Reports.WriteCoordPagesXLSX(xlsx.Stream(w, xlsx.FileName(time.Now(), name, township, kind, status)), name, next)
	}
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
