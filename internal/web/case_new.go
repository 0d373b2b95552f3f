package web

// The create form (/cases/new?flow=..., and a parties-list flow's own
// {list}/new): one template renders the fields the flow declares
// (casework.Flow.Create) — for the 12345 call-taker a keyboard-friendly
// screen with a duplicate hint (open cases of the same category within 50
// m) fetched as the point or the category changes; for a whistle the
// parties its kind and place may summon; for a township call the units the
// lists propose from the category.

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"grassroots/internal/access"
	"grassroots/internal/casework"
	"grassroots/internal/catalog"
	"grassroots/internal/store"
)

// NewCaseForm is a create form as typed.
type NewCaseForm struct {
	Flow, ReporterName, ReporterPhone, RequestType, Category, Priority, Title, Body, Address string
	PlaceUnit, Lng, Lat, Dispatch                                                            string
	// Kind and Place (a place in the opener's scope); the units and people
	// chosen to summon; the supporting units.
	Kind, Place                string
	Summon, People, Supporting []string
	// Matter (a catalogue code), the time limit in working days and the
	// basis of a hand-down.
	Matter, LimitDays, Basis string
}

// newCaseFormOf reads a create form from the query or the posted form.
func newCaseFormOf(v url.Values) NewCaseForm {
	g := func(k string) string { return strings.TrimSpace(v.Get(k)) }
	f := NewCaseForm{Flow: g("flow"), ReporterName: g("reporter_name"), ReporterPhone: g("reporter_phone"), RequestType: g("request_type"),
		Category: g("category"), Priority: g("priority"), Title: g("title"), Body: v.Get("body"), Address: g("address"),
		PlaceUnit: g("place_unit"), Lng: g("lng"), Lat: g("lat"), Dispatch: g("dispatch"), Kind: g("kind"), Place: g("place"),
		Summon: v["summon"], People: v["people"], Supporting: v["supporting"],
		Matter: categoryCode(g("matter")), LimitDays: g("limit_days"), Basis: g("basis")}
	if f.Dispatch == "" {
		f.Dispatch = g("dept") // the township-call form's old name for it
	}
	return f
}

// CaseNewPage is a flow's create form, built from its declaration
// (casework.Flow.Create): one template renders every flow's fields.
type CaseNewPage struct {
	Page
	Flow   *casework.Flow
	Fields []casework.FormField
	Form   NewCaseForm
	// Action is where the form posts; Reload is where the fields that
	// others depend on (kind, place, category) are sent to fill the form
	// again (GET), "" when none depends on another.
	Action, Reload string
	Help           string // message key of the hint above the form
	Error          string
	// Note is what the lists said when they proposed no unit.
	Note         string
	Flows        []Option
	RequestTypes []Option
	Priorities   []Option
	Categories   []Option
	Units        []Option
	Kinds        []CoordOption
	Places       []CoordOption
	Departments  []CoordOption
	Matters      []CoordOption
	Summonables  []casework.Summonable
	Proposal     *casework.Proposal
	// Suggest is smart dispatch's box (nil without a model).
	Suggest *SuggestBox
	chosen  map[string]bool
}

// PartiesArea reports whether the form belongs to a parties list's work
// area (its tabs are shown).
func (p CaseNewPage) PartiesArea() bool { return p.Flow != nil && p.Flow.List == casework.ListParties }

// Field reports whether the form has the field.
func (p CaseNewPage) Field(name string) bool { return p.Flow.HasField(name) }

// PickMap is the map of the point field: a click fills the longitude and
// latitude inputs; the county is drawn beneath.
func (p CaseNewPage) PickMap() string {
	return MapView{Pick: &MapPick{Lng: "f-lng", Lat: "f-lat"}, Context: []string{countyContext}}.JSON()
}

// Required reports whether the form's field must be filled.
func (p CaseNewPage) Required(name string) bool {
	for _, f := range p.Fields {
		if f.Name == name {
			return f.Required
		}
	}
	return false
}

// Reloads reports whether the field is in the reload form (others depend
// on it) rather than in the posted one.
func (p CaseNewPage) Reloads(name string) bool {
	switch name {
	case casework.FieldKind, casework.FieldPlace:
		return p.Field(casework.FieldSummon)
	case casework.FieldCategory:
		return p.Field(casework.FieldPropose)
	}
	return false
}

// Key is how a summonable party is named in the form's checkboxes.
func (p CaseNewPage) Key(x casework.Summonable) string {
	if x.PersonID != 0 {
		return "p:" + strconv.FormatInt(x.PersonID, 10)
	}
	return "u:" + x.Code
}

// Chosen reports whether a party or a supporting unit ("s:" + code) is
// ticked.
func (p CaseNewPage) Chosen(key string) bool { return p.chosen[key] }

// caseNewPage builds the create form of form.Flow; base is the list route
// of the flow's work area whose "new" page this is ("" for /cases/new).
func (s *Server) caseNewPage(r *http.Request, form NewCaseForm, base string) (CaseNewPage, error) {
	ctx := r.Context()
	actor := actorOf(r)
	flow, ok := s.flowOf(form.Flow)
	if !ok {
		flow = &casework.Flow{Name: form.Flow}
	}
	nav := "cases"
	if flow.Nav.ID != "" {
		nav = flow.Nav.ID
	}
	p := CaseNewPage{Page: s.page(r, flow.CreateTitle(), nav), Flow: flow, Fields: flow.CreateFields(), Form: form,
		Action: "/cases/new", chosen: map[string]bool{}}
	if base != "" {
		p.Action = base + "/new"
	}
	if p.Form.Priority == "" {
		p.Form.Priority = flow.StartPriority()
	}
	if p.Form.Kind == "" {
		p.Form.Kind = flow.StartKind(actor.UnitKind)
	}
	if p.Form.Place == "" {
		p.Form.Place = defaultPlace(actor)
	}
	if flow.Create.Help != "" {
		p.Help = flow.Create.Help
		if len(flow.Kinds) > 0 && p.Form.Kind != "" {
			p.Help += "." + p.Form.Kind
		}
	}
	if p.Field(casework.FieldSummon) || p.Field(casework.FieldPropose) {
		p.Reload = p.Action
	}
	if base == "" {
		if err := s.fillCaseOptions(ctx, actor, p.Lang, &p.Flows, nil, nil); err != nil {
			return p, err
		}
	}
	if err := s.fillCaseOptions(ctx, actor, p.Lang, nil, &p.RequestTypes, &p.Categories); err != nil {
		return p, err
	}
	for _, pr := range casework.Priorities {
		p.Priorities = append(p.Priorities, Option{pr, p.T("case.priority." + pr)})
	}
	for _, k := range flow.Kinds {
		p.Kinds = append(p.Kinds, CoordOption{Value: k, Label: p.T(flow.KindKey(k)), Selected: k == p.Form.Kind})
	}
	var err error
	// Smart dispatch's suggestions fill the category and the unit.
	if p.Field(casework.FieldCategory) && p.Field(casework.FieldDispatch) {
		if p.Suggest, err = s.suggestions(ctx, p.Lang, p.Form.Title+"\n"+p.Form.Body, "#f-category", "#f-dispatch"); err != nil {
			return p, err
		}
	}
	if p.Field(casework.FieldPlaceUnit) || p.Field(casework.FieldDispatch) {
		if p.Units, err = s.unitOptions(ctx, actor, ""); err != nil {
			return p, err
		}
	}
	if p.Field(casework.FieldPlace) {
		if p.Places, err = s.placeOptions(ctx, actor, p.Form.Place); err != nil {
			return p, err
		}
		if p.Form.Place != "" && !slices.ContainsFunc(p.Places, func(o CoordOption) bool { return o.Selected }) {
			p.Places = append(p.Places, CoordOption{Value: p.Form.Place, Label: p.Form.Place, Selected: true})
		}
	}
	if p.Field(casework.FieldMatter) {
		if p.Matters, err = s.matterOptions(ctx, actor, p.Form.Matter); err != nil {
			return p, err
		}
	}
	if p.Field(casework.FieldSummon) {
		for _, c := range form.Summon {
			p.chosen["u:"+c] = true
		}
		for _, c := range form.People {
			p.chosen["p:"+c] = true
		}
		p.Summonables, err = s.Cases.Summonables(ctx, actor, p.Form.Kind, p.Form.Place)
		if err != nil {
			msg, ok := userMessage(r, err)
			if !ok {
				return p, err
			}
			p.Note = msg
		}
	}
	if p.Field(casework.FieldPropose) {
		if err := s.fillProposal(r, &p); err != nil {
			return p, err
		}
	}
	return p, nil
}

// fillProposal proposes the lead department and the supporting units from
// the category (the lists), unless the user chose them.
func (s *Server) fillProposal(r *http.Request, p *CaseNewPage) error {
	ctx := r.Context()
	for _, c := range p.Form.Supporting {
		p.chosen["s:"+c] = true
	}
	if code := categoryCode(p.Form.Category); code != "" {
		pr, err := s.Cases.Propose(ctx, code)
		switch {
		case err == nil:
			p.Proposal = &pr
			if p.Form.Dispatch == "" {
				p.Form.Dispatch = pr.Lead.Code
			}
			if len(p.Form.Supporting) == 0 {
				for _, u := range pr.Supporting {
					p.chosen["s:"+u.Code] = true
				}
			}
		default:
			msg, ok := userMessage(r, err)
			if !ok {
				return err
			}
			p.Note = msg
		}
	}
	depts, err := s.Cases.UnitChoices(ctx, "department")
	if err != nil {
		return err
	}
	for _, d := range depts {
		p.Departments = append(p.Departments, CoordOption{Value: d.Code, Label: d.Name, Selected: d.Code == p.Form.Dispatch})
	}
	return nil
}

func (s *Server) caseNewForm(w http.ResponseWriter, r *http.Request) error {
	if s.Cases == nil {
		return store.NotFound("工单功能未启用")
	}
	form := newCaseFormOf(r.URL.Query())
	// The first registered flow is the default (the 12345 hotline).
	if fs := s.Cases.Flows(); form.Flow == "" && len(fs) > 0 {
		form.Flow = fs[0].Name
	}
	p, err := s.caseNewPage(r, form, "")
	if err != nil {
		return err
	}
	return s.render(w, r, "case_new", p)
}

// flowNew is the create form of a flow whose work area has its own list
// (Flow.List): /whistles/new is /cases/new?flow=whistle in that area.
func (s *Server) flowNew(flow string) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		if s.Cases == nil {
			return store.NotFound("工单功能未启用")
		}
		form := newCaseFormOf(r.URL.Query())
		form.Flow = flow
		p, err := s.caseNewPage(r, form, s.coordNav(flow).Href)
		if err != nil {
			return err
		}
		return s.render(w, r, "case_new", p)
	}
}

// caseCreate opens the case; a refusal shows the form again with the
// message and everything typed.
func (s *Server) caseCreate(w http.ResponseWriter, r *http.Request) error {
	return s.createCase(w, r, "")
}

// flowCreate is caseCreate for a flow's own "new" route.
func (s *Server) flowCreate(flow string) handler {
	return func(w http.ResponseWriter, r *http.Request) error { return s.createCase(w, r, flow) }
}

func (s *Server) createCase(w http.ResponseWriter, r *http.Request, flow string) error {
	if s.Cases == nil {
		return store.NotFound("工单功能未启用")
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		r.Body = http.MaxBytesReader(w, r.Body, maxMultipart)
		if err := r.ParseMultipartForm(32 << 20); err != nil {
			return store.Invalid("上传的文件过大（每个文件不超过10MB）")
		}
	} else if err := r.ParseForm(); err != nil {
		return store.Invalid("提交的内容无法读取")
	}
	form := newCaseFormOf(r.PostForm)
	base := ""
	if flow != "" {
		form.Flow, base = flow, s.coordNav(flow).Href
	}
	c, err := s.createFromForm(r, form)
	if err != nil {
		msg, ok := userMessage(r, err)
		if !ok || Status(err) >= 500 {
			return err
		}
		p, perr := s.caseNewPage(r, form, base)
		if perr != nil {
			return err
		}
		p.Error = msg
		s.renderStatus(w, r, Status(err), "case_new", p)
		return nil
	}
	http.Redirect(w, r, "/cases/"+url.PathEscape(c.No)+"?created=1", http.StatusSeeOther)
	return nil
}

// createFromForm reads a create form into a new case. Every field is read
// by its one name whichever flow's form sent it (the form shows the fields
// its flow declares; the engine refuses what the flow does not take), so a
// script may post any flow's form to /cases/new as the API takes it.
func (s *Server) createFromForm(r *http.Request, f NewCaseForm) (casework.Case, error) {
	ctx := r.Context()
	flow, ok := s.flowOf(f.Flow)
	if !ok {
		flow = &casework.Flow{Name: f.Flow}
	}
	lng, lat, err := parsePoint(f.Lng, f.Lat)
	if err != nil {
		return casework.Case{}, err
	}
	people, err := parseIDs(f.People)
	if err != nil {
		return casework.Case{}, err
	}
	files, err := formFiles(r, "file", "")
	if err != nil {
		return casework.Case{}, err
	}
	limit := 0
	if f.LimitDays != "" {
		n, err := strconv.Atoi(f.LimitDays)
		if err != nil {
			return casework.Case{}, store.Invalid("办理时限应为整数个工作日")
		}
		limit = n
	}
	in := casework.NewCase{Flow: f.Flow, Kind: f.Kind, RequestType: f.RequestType, Category: categoryCode(f.Category), Title: f.Title,
		Matter: f.Matter, LimitDays: limit, Basis: f.Basis,
		Body: f.Body, Priority: f.Priority, Address: f.Address, Lng: lng, Lat: lat, ReporterName: f.ReporterName,
		ReporterPhone: f.ReporterPhone, Summon: f.Summon, SummonPeople: people, Attachments: files, Channel: flow.Create.Channel}
	switch {
	case f.Place != "":
		in.PlaceUnit = f.Place
	case f.PlaceUnit != "":
		in.PlaceUnit = s.resolveUnit(ctx, f.PlaceUnit)
	}
	if f.Dispatch != "" {
		in.Dispatch = s.resolveUnit(ctx, f.Dispatch)
	}
	for _, c := range f.Supporting {
		if c != in.Dispatch {
			in.Supporting = append(in.Supporting, c)
		}
	}
	if !flow.NeedsRequestType {
		in.RequestType = ""
	}
	c, _, err := s.Cases.Create(ctx, actorOf(r), in)
	return c, err
}

// matterOptions lists the catalogue's matters for a picker ("CF00202000
// 对…的处罚"), the chosen one selected.
func (s *Server) matterOptions(ctx context.Context, actor access.Actor, selected string) ([]CoordOption, error) {
	if s.Lists == nil {
		return nil, nil
	}
	ms, err := s.Lists.Matters(ctx, actor, catalog.MatterFilter{})
	if err != nil {
		return nil, err
	}
	out := make([]CoordOption, 0, len(ms))
	for _, m := range ms {
		out = append(out, CoordOption{Value: m.Code, Label: m.Code + " " + m.Name, Selected: m.Code == selected})
	}
	return out, nil
}

// categoryCode takes the code out of what a category picker holds: "B01001"
// or "B01001 市政公用设施 / 路灯".
func categoryCode(v string) string {
	v = strings.TrimSpace(v)
	if i := strings.IndexAny(v, " \t"); i > 0 {
		return v[:i]
	}
	return v
}

// CaseNearbyPage is the duplicate hint fragment.
type CaseNearbyPage struct {
	Page
	Asked bool // a point and a category were given
	Cases []NearbyView
}

// NearbyView is a possible duplicate with its distance in whole metres.
type NearbyView struct {
	casework.NearbyCase
	Metres int
}

// caseNearby answers the duplicate hint: open cases of the category within
// 50 m of the point.
func (s *Server) caseNearby(w http.ResponseWriter, r *http.Request) error {
	if s.Cases == nil {
		return store.NotFound("工单功能未启用")
	}
	q := r.URL.Query()
	p := CaseNearbyPage{Page: s.page(r, "caseui.nearby.title", "cases")}
	lng, lat, err := parsePoint(q.Get("lng"), q.Get("lat"))
	category := categoryCode(q.Get("category"))
	if err == nil && lng != nil && category != "" {
		p.Asked = true
		cs, err := s.Cases.Nearby(r.Context(), actorOf(r), *lng, *lat, category, 0)
		if err != nil {
			return err
		}
		for _, c := range cs {
			p.Cases = append(p.Cases, NearbyView{NearbyCase: c, Metres: int(c.Distance + 0.5)})
		}
	}
	return s.render(w, r, "case_nearby", p)
}
