package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"grassroots/internal/casework"
	"grassroots/internal/store"
)

// The forms that open a whistle, a township call and an enforcement case,
// and the "grid + zone" enforcement view (coord_pages.go has the lists).

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
