package web

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/casework"
	"grassroots/internal/input"
	"grassroots/internal/store"
)

// The coordination pages: whistle and report (吹哨报到), township calls
// (乡呼县应) and enforcement transfers (综合执法): their lists, the forms that
// open them, a parties board per case (each party's part and the actions
// this user may take on it), the department report card with the whistle
// rate, the "grid + zone" enforcement view, and a party member's own page
// reached by a personal link.
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

// coordFlowInfo is what differs between the three lists.
type coordFlowInfo struct {
	Base, Nav, Title string
	Kinds            []string
}

var coordFlows = map[string]coordFlowInfo{
	"whistle":       {Base: "/whistles", Nav: "whistles", Title: "coord.whistle.title", Kinds: casework.WhistleKinds},
	"township_call": {Base: "/township-calls", Nav: "township_calls", Title: "coord.call.title"},
	"enforcement":   {Base: "/enforcement", Nav: "enforcement", Title: "coord.enf.title", Kinds: []string{"-", casework.EnforcementCoordination}},
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
		p := CoordListPage{Page: s.page(r, info.Title, info.Nav), Flow: flow, Base: info.Base, Filter: ff, Rows: page.Rows}
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
				p.Statuses = append(p.Statuses, CoordOption{Value: st.Name, Label: s.Msgs.T(lang, "case.status."+st.Name), Selected: st.Name == ff.Status})
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
		p.ExportHref = info.Base + "/export.xlsx"
		if len(v) > 0 {
			p.ExportHref += "?" + v.Encode()
		}
		if page.Next != "" {
			v.Set("before", page.Next)
			p.NextHref = info.Base + "?" + v.Encode()
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
	info := coordFlows[flow]
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
		name := map[string]string{"whistle": "吹哨报到", "township_call": "乡呼县应", "enforcement": "综合执法"}[flow]
		sendXLSX(w, name+"-"+time.Now().In(shanghai).Format("20060102-1504")+".xlsx", b.Bytes())
		_ = info
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

// WhistleNewPage is the form that blows a whistle.
type WhistleNewPage struct {
	Page
	Kind, Place, Priority, Title, Body, Address, Category string
	Kinds                                                 []CoordOption
	Places                                                []CoordOption
	Priorities                                            []CoordOption
	Summonables                                           []casework.Summonable
	Chosen                                                map[string]bool
	Error                                                 string
}

func (s *Server) whistleForm(r *http.Request, v url.Values) (WhistleNewPage, error) {
	actor := actorOf(r)
	p := WhistleNewPage{Page: s.page(r, "coord.whistle.new", "whistles"), Kind: v.Get("kind"), Place: v.Get("place"), Priority: v.Get("priority"),
		Title: v.Get("title"), Body: v.Get("body"), Address: v.Get("address"), Category: v.Get("category"), Chosen: map[string]bool{}}
	if p.Kind == "" {
		p.Kind = casework.WhistleStreet
		if actor.UnitKind == "community" || actor.UnitKind == "village" {
			p.Kind = casework.WhistleCommunity
		}
	}
	if p.Place == "" {
		p.Place = defaultPlace(actor)
	}
	if p.Priority == "" {
		p.Priority = casework.PriorityUrgent
	}
	for _, k := range casework.WhistleKinds {
		p.Kinds = append(p.Kinds, CoordOption{Value: k, Label: p.T("coord.kind.whistle." + k), Selected: k == p.Kind})
	}
	for _, pr := range casework.Priorities {
		p.Priorities = append(p.Priorities, CoordOption{Value: pr, Label: p.T("coord.priority." + pr), Selected: pr == p.Priority})
	}
	var err error
	if p.Places, err = s.placeOptions(r.Context(), actor, p.Place); err != nil {
		return p, err
	}
	for _, c := range v["summon"] {
		p.Chosen["u:"+c] = true
	}
	for _, c := range v["people"] {
		p.Chosen["p:"+c] = true
	}
	p.Summonables, err = s.Cases.Summonables(r.Context(), actor, p.Kind, p.Place)
	if err != nil {
		if msg, ok := store.UserMessage(err); ok {
			p.Error = msg
			return p, nil
		}
		return p, err
	}
	return p, nil
}

// Key is how a summonable party is named in the form's checkboxes.
func (p WhistleNewPage) Key(x casework.Summonable) string {
	if x.PersonID != 0 {
		return "p:" + strconv.FormatInt(x.PersonID, 10)
	}
	return "u:" + x.Code
}

func (s *Server) whistleNew(w http.ResponseWriter, r *http.Request) error {
	if s.Cases == nil {
		return store.NotFound("工单功能未启用")
	}
	p, err := s.whistleForm(r, r.URL.Query())
	if err != nil {
		return err
	}
	return s.render(w, r, "whistle_new", p)
}

func parseIDs(vs []string) ([]int64, error) {
	var out []int64
	for _, v := range vs {
		id, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return nil, store.Invalid("人员编号有误")
		}
		out = append(out, id)
	}
	return out, nil
}

func (s *Server) whistleCreate(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return store.Invalid("表单内容有误")
	}
	f := r.PostForm
	people, err := parseIDs(f["people"])
	if err != nil {
		return err
	}
	in := casework.NewCase{Flow: "whistle", Kind: f.Get("kind"), Title: f.Get("title"), Body: f.Get("body"), Priority: f.Get("priority"),
		Address: f.Get("address"), PlaceUnit: f.Get("place"), Category: f.Get("category"), Summon: f["summon"], SummonPeople: people, Channel: "web"}
	c, _, err := s.Cases.Create(r.Context(), actorOf(r), in)
	if err != nil {
		msg, ok := store.UserMessage(err)
		if !ok {
			return err
		}
		p, ferr := s.whistleForm(r, f)
		if ferr != nil {
			return ferr
		}
		p.Error = msg
		s.renderStatus(w, r, Status(err), "whistle_new", p)
		return nil
	}
	http.Redirect(w, r, "/coord/"+c.No+"?done=receive", http.StatusSeeOther)
	return nil
}

// CallNewPage is the form that raises a township call.
type CallNewPage struct {
	Page
	Category, Title, Body, Place, Address, Dept string
	Categories                                  []CoordOption
	Places                                      []CoordOption
	Departments                                 []CoordOption
	Proposal                                    *casework.Proposal
	Supporting                                  map[string]bool
	Note                                        string
	Error                                       string
}

func (s *Server) callForm(r *http.Request, v url.Values) (CallNewPage, error) {
	actor := actorOf(r)
	p := CallNewPage{Page: s.page(r, "coord.call.new", "township_calls"), Category: strings.TrimSpace(v.Get("category")), Title: v.Get("title"),
		Body: v.Get("body"), Place: v.Get("place"), Address: v.Get("address"), Dept: v.Get("dept"), Supporting: map[string]bool{}}
	if p.Place == "" {
		p.Place = defaultPlace(actor)
	}
	ctx := r.Context()
	var err error
	if p.Places, err = s.placeOptions(ctx, actor, p.Place); err != nil {
		return p, err
	}
	tree, err := s.Cases.Categories(ctx)
	if err != nil {
		return p, err
	}
	var walk func([]casework.Category)
	walk = func(cs []casework.Category) {
		for _, c := range cs {
			if !c.Active {
				continue // out of use, with everything under it
			}
			if len(c.Children) == 0 {
				p.Categories = append(p.Categories, CoordOption{Value: c.Code, Label: c.Name, Selected: c.Code == p.Category})
			}
			walk(c.Children)
		}
	}
	walk(tree)
	for _, c := range v["supporting"] {
		p.Supporting[c] = true
	}
	if p.Category != "" {
		pr, err := s.Cases.Propose(ctx, p.Category)
		switch {
		case err == nil:
			p.Proposal = &pr
			if p.Dept == "" {
				p.Dept = pr.Lead.Code
			}
			if len(v["supporting"]) == 0 {
				for _, u := range pr.Supporting {
					p.Supporting[u.Code] = true
				}
			}
		default:
			msg, ok := store.UserMessage(err)
			if !ok {
				return p, err
			}
			p.Note = msg
		}
	}
	depts, err := s.Cases.UnitChoices(ctx, "department")
	if err != nil {
		return p, err
	}
	for _, d := range depts {
		p.Departments = append(p.Departments, CoordOption{Value: d.Code, Label: d.Name, Selected: d.Code == p.Dept})
	}
	return p, nil
}

func (s *Server) callNew(w http.ResponseWriter, r *http.Request) error {
	if s.Cases == nil {
		return store.NotFound("工单功能未启用")
	}
	p, err := s.callForm(r, r.URL.Query())
	if err != nil {
		return err
	}
	return s.render(w, r, "township_call_new", p)
}

func (s *Server) callCreate(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return store.Invalid("表单内容有误")
	}
	f := r.PostForm
	var sup []string
	for _, c := range f["supporting"] {
		if c != f.Get("dept") {
			sup = append(sup, c)
		}
	}
	in := casework.NewCase{Flow: "township_call", Category: f.Get("category"), Title: f.Get("title"), Body: f.Get("body"), Address: f.Get("address"),
		PlaceUnit: f.Get("place"), Dispatch: f.Get("dept"), Supporting: sup, Channel: "web"}
	c, _, err := s.Cases.Create(r.Context(), actorOf(r), in)
	if err != nil {
		msg, ok := store.UserMessage(err)
		if !ok {
			return err
		}
		p, ferr := s.callForm(r, f)
		if ferr != nil {
			return ferr
		}
		p.Error = msg
		s.renderStatus(w, r, Status(err), "township_call_new", p)
		return nil
	}
	http.Redirect(w, r, "/coord/"+c.No+"?done=receive", http.StatusSeeOther)
	return nil
}

// EnforcementNewPage is the form that opens an enforcement case.
type EnforcementNewPage struct {
	Page
	Kind, Title, Body, Place, Address string
	Kinds                             []CoordOption
	Places                            []CoordOption
	Error                             string
}

func (s *Server) enforcementForm(r *http.Request, v url.Values) (EnforcementNewPage, error) {
	actor := actorOf(r)
	p := EnforcementNewPage{Page: s.page(r, "coord.enf.new", "enforcement"), Kind: v.Get("kind"), Title: v.Get("title"), Body: v.Get("body"),
		Place: v.Get("place"), Address: v.Get("address")}
	if p.Place == "" {
		p.Place = defaultPlace(actor)
	}
	for _, k := range []string{casework.EnforcementCase, casework.EnforcementCoordination} {
		p.Kinds = append(p.Kinds, CoordOption{Value: k, Label: p.T(kindKey("enforcement", k)), Selected: k == p.Kind})
	}
	var err error
	p.Places, err = s.placeOptions(r.Context(), actor, p.Place)
	if err != nil {
		return p, err
	}
	if !slices.ContainsFunc(p.Places, func(o CoordOption) bool { return o.Selected }) && p.Place != "" {
		p.Places = append(p.Places, CoordOption{Value: p.Place, Label: p.Place, Selected: true})
	}
	return p, nil
}

func (s *Server) enforcementNew(w http.ResponseWriter, r *http.Request) error {
	if s.Cases == nil {
		return store.NotFound("工单功能未启用")
	}
	p, err := s.enforcementForm(r, r.URL.Query())
	if err != nil {
		return err
	}
	return s.render(w, r, "enforcement_new", p)
}

func (s *Server) enforcementCreate(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return store.Invalid("表单内容有误")
	}
	f := r.PostForm
	in := casework.NewCase{Flow: "enforcement", Kind: f.Get("kind"), Title: f.Get("title"), Body: f.Get("body"), Address: f.Get("address"),
		PlaceUnit: f.Get("place"), Channel: "web"}
	c, _, err := s.Cases.Create(r.Context(), actorOf(r), in)
	if err != nil {
		msg, ok := store.UserMessage(err)
		if !ok {
			return err
		}
		p, ferr := s.enforcementForm(r, f)
		if ferr != nil {
			return ferr
		}
		p.Error = msg
		s.renderStatus(w, r, Status(err), "enforcement_new", p)
		return nil
	}
	http.Redirect(w, r, "/coord/"+c.No+"?done=receive", http.StatusSeeOther)
	return nil
}

// ZonesPage is the "grid + zone" enforcement view.
type ZonesPage struct {
	Page
	Zones []casework.Zone
}

func (s *Server) enforcementZones(w http.ResponseWriter, r *http.Request) error {
	if s.Cases == nil {
		return store.NotFound("工单功能未启用")
	}
	zones, err := s.Cases.EnforcementZones(r.Context(), actorOf(r))
	if err != nil {
		return err
	}
	return s.render(w, r, "enforcement_zones", ZonesPage{Page: s.page(r, "coord.enf.zones", "enforcement"), Zones: zones})
}

// CoordActionView is one action form on the parties board.
type CoordActionView struct {
	Name         string
	Needs        casework.Needs
	AssignmentID int64
	// Units are the units the action may assign (dispatch, transfer, settle).
	Units []CoordOption
}

// CoordActionForm is what the action form partial renders: one action's form
// with exactly the inputs it needs, posting to Href.
type CoordActionForm struct {
	Page
	Href        string
	CaseNo      string // sent as "case" (the member's page)
	Version     int
	A           CoordActionView
	Summonables []casework.Summonable
}

// Form is the form of action a on this case.
func (p CoordCasePage) Form(a CoordActionView) CoordActionForm {
	return CoordActionForm{Page: p.Page, Href: "/coord/" + p.D.Case.No + "/actions/" + a.Name, Version: p.D.Case.Version, A: a, Summonables: p.Summonables}
}

// Form is the form of a member's action on one of their parts.
func (p MemberPage) Form(part casework.MemberPart, spec casework.ActionSpec) CoordActionForm {
	return CoordActionForm{Page: p.Page, Href: "/m/member/" + p.Token + "/actions/" + spec.Name, CaseNo: part.Case.No,
		A: CoordActionView{Name: spec.Name, Needs: spec.Needs, AssignmentID: part.Assignment.ID}}
}

// Ratings are the choices of a rating, best first.
func (f CoordActionForm) Ratings() []int { return []int{5, 4, 3, 2, 1} }

// WantsPoint reports whether the form asks for where the party is.
func (f CoordActionForm) WantsPoint() bool { return f.A.Needs.Point || f.A.Name == "report_in" }

// PartyView is one party's part with the actions this user may take on it.
type PartyView struct {
	A       casework.Assignment
	Actions []CoordActionView
}

// CoordCasePage is a coordination case's parties board.
type CoordCasePage struct {
	Page
	D           casework.CaseDetail
	Parties     []PartyView
	CaseActions []CoordActionView
	Summonables []casework.Summonable
	Done        string
	Error       string
}

// Name is the party's name: the person for a person's part, else the unit.
func (v PartyView) Name() string {
	if v.A.PersonName != "" {
		return v.A.PersonName + "（" + v.A.UnitName + "）"
	}
	return v.A.UnitName
}

// Point is where the party reported in, "lng, lat", or "".
func (v PartyView) Point() string {
	if v.A.ReportLng == nil || v.A.ReportLat == nil {
		return ""
	}
	return fmt.Sprintf("%.5f, %.5f", *v.A.ReportLng, *v.A.ReportLat)
}

func (s *Server) coordCasePage(r *http.Request, no string) (CoordCasePage, error) {
	actor := actorOf(r)
	ctx := r.Context()
	d, err := s.Cases.Get(ctx, actor, no)
	if err != nil {
		return CoordCasePage{}, err
	}
	info := coordFlows[d.Case.Flow]
	p := CoordCasePage{Page: s.page(r, "", info.Nav), D: d, Done: r.URL.Query().Get("done")}
	p.Title = d.Case.No + " " + d.Case.Title
	var units []CoordOption
	unitsFor := func() ([]CoordOption, error) {
		if units != nil {
			return units, nil
		}
		us, err := s.Cases.UnitChoices(ctx, "department", "township", "street")
		if err != nil {
			return nil, err
		}
		for _, u := range us {
			units = append(units, CoordOption{Value: u.Code, Label: u.Name})
		}
		return units, nil
	}
	byID := map[int64]int{}
	for i, a := range d.Assignments {
		p.Parties = append(p.Parties, PartyView{A: a})
		byID[a.ID] = i
	}
	for _, spec := range s.Cases.AllowedActions(actor, d) {
		av := CoordActionView{Name: spec.Name, Needs: spec.Needs}
		if spec.Needs.Unit {
			if av.Units, err = unitsFor(); err != nil {
				return p, err
			}
		}
		if spec.On == casework.OnCase {
			if spec.Name == "summon" && d.Case.Flow == "whistle" {
				p.Summonables, _ = s.Cases.Summonables(ctx, actor, d.Case.Kind, d.Case.PlaceCode)
			}
			p.CaseActions = append(p.CaseActions, av)
			continue
		}
		for _, id := range spec.Assignments {
			if i, ok := byID[id]; ok {
				one := av
				one.AssignmentID = id
				p.Parties[i].Actions = append(p.Parties[i].Actions, one)
			}
		}
	}
	return p, nil
}

func (s *Server) coordCase(w http.ResponseWriter, r *http.Request) error {
	if s.Cases == nil {
		return store.NotFound("工单功能未启用")
	}
	p, err := s.coordCasePage(r, r.PathValue("no"))
	if err != nil {
		return err
	}
	return s.render(w, r, "coord_case", p)
}

// actionFromForm reads an action's inputs from a submitted form.
func actionFromForm(r *http.Request, name string) (casework.Action, error) {
	ct := r.Header.Get("Content-Type")
	if strings.HasPrefix(ct, "multipart/form-data") {
		if r.MultipartForm == nil {
			if err := r.ParseMultipartForm(32 << 20); err != nil {
				return casework.Action{}, store.Invalid("上传内容有误或超过大小限制")
			}
		}
	} else if err := r.ParseForm(); err != nil {
		return casework.Action{}, store.Invalid("表单内容有误")
	}
	f := r.Form
	act := casework.Action{Name: name, Note: f.Get("note"), UnitCode: f.Get("unit"), UnitCodes: f["units"], Satisfaction: f.Get("satisfaction")}
	var err error
	if act.People, err = parseIDs(f["people"]); err != nil {
		return act, err
	}
	num := func(k string) (int, error) {
		v := strings.TrimSpace(f.Get(k))
		if v == "" {
			return 0, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, store.Invalid("数字格式有误：" + k)
		}
		return n, nil
	}
	if id, err := num("assignment_id"); err != nil {
		return act, err
	} else {
		act.AssignmentID = int64(id)
	}
	if act.Rating, err = num("rating"); err != nil {
		return act, err
	}
	if act.Days, err = num("days"); err != nil {
		return act, err
	}
	if act.Version, err = num("version"); err != nil {
		return act, err
	}
	switch f.Get("resolved") {
	case "1", "true":
		v := true
		act.Resolved = &v
	case "0", "false":
		v := false
		act.Resolved = &v
	}
	if lng, lat := strings.TrimSpace(f.Get("lng")), strings.TrimSpace(f.Get("lat")); lng != "" || lat != "" {
		x, y, ok := input.Point(lng, lat)
		if !ok {
			return act, store.Invalid("经纬度格式有误")
		}
		act.Lng, act.Lat = &x, &y
	}
	for k, vs := range f {
		if name, ok := strings.CutPrefix(k, "field_"); ok && len(vs) > 0 {
			if act.Fields == nil {
				act.Fields = map[string]string{}
			}
			act.Fields[name] = vs[0]
		}
	}
	if r.MultipartForm != nil {
		for field, fhs := range r.MultipartForm.File {
			stage, ok := strings.CutPrefix(field, "file_")
			if !ok {
				continue
			}
			for _, fh := range fhs {
				if fh.Size == 0 {
					continue
				}
				fd, err := fh.Open()
				if err != nil {
					return act, err
				}
				data, err := io.ReadAll(io.LimitReader(fd, casework.MaxAttachment+1))
				fd.Close()
				if err != nil {
					return act, err
				}
				act.Attachments = append(act.Attachments, casework.NewAttachment{Name: fh.Filename, ContentType: fh.Header.Get("Content-Type"), Data: data, Stage: stage})
			}
		}
	}
	return act, nil
}

func (s *Server) coordAction(w http.ResponseWriter, r *http.Request) error {
	if s.Cases == nil {
		return store.NotFound("工单功能未启用")
	}
	no, name := r.PathValue("no"), r.PathValue("action")
	act, err := actionFromForm(r, name)
	if err == nil {
		_, err = s.Cases.Do(r.Context(), actorOf(r), no, act)
	}
	if err != nil {
		msg, ok := store.UserMessage(err)
		if !ok {
			return err
		}
		p, perr := s.coordCasePage(r, no)
		if perr != nil {
			return perr
		}
		p.Error = msg
		s.renderStatus(w, r, Status(err), "coord_case", p)
		return nil
	}
	http.Redirect(w, r, "/coord/"+url.PathEscape(no)+"?done="+url.QueryEscape(name), http.StatusSeeOther)
	return nil
}

// ReportCardPage is the department report card and the whistle rate.
type ReportCardPage struct {
	Page
	From, To   string
	Cards      []casework.DeptCard
	Rates      *casework.WhistleRates
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
	if p.Cards, err = s.Cases.ReportCard(r.Context(), actor, from, to); err != nil {
		return p, err
	}
	if actor.CountyWide() || actor.Has(access.RoleSupervisor) {
		rates, err := s.Cases.WhistleRate(r.Context(), actor, from, to)
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
	if err := casework.WriteReportCardXLSX(&b, p.Cards, p.Rates); err != nil {
		return err
	}
	sendXLSX(w, fmt.Sprintf("部门考评-%s至%s.xlsx", p.From, p.To), b.Bytes())
	return nil
}

// MembersPage is where community staff see the party members registered at
// their community, issue personal links, and keep the co-building units.
type MembersPage struct {
	Page
	Community   string
	Communities []CoordOption
	Members     []casework.Summonable
	CoBuildings []casework.CoBuilding
	Departments []CoordOption
	LinkFor     string
	Link        string
	Error       string
}

func (s *Server) membersPage(r *http.Request, community string) (MembersPage, error) {
	actor := actorOf(r)
	p := MembersPage{Page: s.page(r, "coord.members.title", "whistles"), Community: community}
	if p.Community == "" && (actor.UnitKind == "community" || actor.UnitKind == "village") {
		p.Community = actor.UnitCode
	}
	ctx := r.Context()
	places, err := s.Cases.PlaceChoices(ctx, actor)
	if err != nil {
		return p, err
	}
	for _, u := range places {
		if u.Kind == "community" || u.Kind == "village" {
			p.Communities = append(p.Communities, CoordOption{Value: u.Code, Label: u.Name, Selected: u.Code == p.Community})
		}
	}
	if p.Community == "" {
		return p, nil
	}
	if !slices.ContainsFunc(p.Communities, func(o CoordOption) bool { return o.Value == p.Community }) && !actor.CountyWide() {
		return p, store.Forbidden("该社区不在您的辖区")
	}
	all, err := s.Cases.Summonables(ctx, actor, casework.WhistleCommunity, p.Community)
	if err != nil {
		return p, err
	}
	for _, x := range all {
		if x.PersonID != 0 {
			p.Members = append(p.Members, x)
		}
	}
	if p.CoBuildings, err = s.Cases.CoBuildings(ctx, p.Community); err != nil {
		return p, err
	}
	us, err := s.Cases.UnitChoices(ctx, "department")
	if err != nil {
		return p, err
	}
	for _, u := range us {
		p.Departments = append(p.Departments, CoordOption{Value: u.Code, Label: u.Name})
	}
	return p, nil
}

func (s *Server) whistleMembers(w http.ResponseWriter, r *http.Request) error {
	if s.Cases == nil {
		return store.NotFound("工单功能未启用")
	}
	p, err := s.membersPage(r, r.URL.Query().Get("community"))
	if err != nil {
		return err
	}
	return s.render(w, r, "whistle_members", p)
}

func (s *Server) whistleMemberLink(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return store.NotFound("找不到该人员")
	}
	token, err := s.Cases.IssueMemberLink(r.Context(), actorOf(r), id)
	if err != nil {
		return err
	}
	p, err := s.membersPage(r, r.PostFormValue("community"))
	if err != nil {
		return err
	}
	scheme := "http"
	if s.cookieSecure(r) { // TLS here or at a trusted proxy
		scheme = "https"
	}
	p.Link = scheme + "://" + r.Host + "/m/member/" + token
	for _, m := range p.Members {
		if m.PersonID == id {
			p.LinkFor = m.Name
		}
	}
	return s.render(w, r, "whistle_members", p)
}

func (s *Server) whistleCoBuilding(w http.ResponseWriter, r *http.Request) error {
	community := r.PostFormValue("community")
	_, err := s.Cases.AddCoBuilding(r.Context(), actorOf(r), community, r.PostFormValue("unit"), r.PostFormValue("note"))
	if err != nil {
		msg, ok := store.UserMessage(err)
		if !ok {
			return err
		}
		p, perr := s.membersPage(r, community)
		if perr != nil {
			return perr
		}
		p.Error = msg
		s.renderStatus(w, r, Status(err), "whistle_members", p)
		return nil
	}
	http.Redirect(w, r, "/whistles/members?community="+url.QueryEscape(community), http.StatusSeeOther)
	return nil
}

// MemberPage is a party member's own page, on the phone.
type MemberPage struct {
	Page
	Token     string
	Member    casework.Member
	Parts     []casework.MemberPart
	Volunteer casework.VolunteerSummary
	Done      string
	Error     string
}

func (s *Server) memberData(r *http.Request) (MemberPage, error) {
	token := r.PathValue("token")
	p := MemberPage{Page: s.page(r, "coord.member.title", ""), Token: token, Done: r.URL.Query().Get("done")}
	if s.Cases == nil {
		return p, store.NotFound("工单功能未启用")
	}
	m, err := s.Cases.MemberByToken(r.Context(), token)
	if err != nil {
		return p, err
	}
	p.Member = m
	if p.Parts, err = s.Cases.MemberParts(r.Context(), m.PersonID, 50); err != nil {
		return p, err
	}
	if p.Volunteer, err = s.Cases.Volunteer(r.Context(), m.PersonID); err != nil {
		return p, err
	}
	return p, nil
}

func (s *Server) memberPage(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Referrer-Policy", "no-referrer") // the link is the member's key
	w.Header().Set("Cache-Control", "no-store")
	p, err := s.memberData(r)
	if err != nil {
		return err
	}
	return s.render(w, r, "whistle_member", p)
}

func (s *Server) memberAction(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Referrer-Policy", "no-referrer")
	p, err := s.memberData(r)
	if err != nil {
		return err
	}
	name := r.PathValue("action")
	act, err := actionFromForm(r, name)
	if err == nil {
		_, err = s.Cases.MemberDo(r.Context(), p.Member, r.PostFormValue("case"), act)
	}
	if err != nil {
		msg, ok := store.UserMessage(err)
		if !ok {
			return err
		}
		p.Error = msg
		s.renderStatus(w, r, Status(err), "whistle_member", p)
		return nil
	}
	http.Redirect(w, r, "/m/member/"+url.PathEscape(p.Token)+"?done="+url.QueryEscape(name), http.StatusSeeOther)
	return nil
}
