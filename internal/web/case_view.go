package web

// The case page (/cases/{no}), one for every flow, built from its
// declaration: number, status, kind and deadlines on top; details, the
// parts (each unit's or person's part: signing, reporting in, the answer,
// the rating), map point, timeline and attachments on the left; on the
// right only the actions this user may take now, each a small form with
// exactly the inputs it needs, posting to /cases/{no}/actions/{action}.

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"grassroots/internal/casework"
	"grassroots/internal/download"
	"grassroots/internal/input"
	"grassroots/internal/party"
	"grassroots/internal/store"
)

// DeadlineView is one running deadline on the case page.
type DeadlineView struct {
	Key  string // message key of its name (case.deadline.*)
	Unit string
	Due  time.Time
	Left string
	Over bool
}

// ActionView is one action the user may take, with what its form needs.
type ActionView struct {
	Name      string
	Key       string // message key of its name
	Needs     casework.Needs
	NoteLabel string
	// OptionalNote shows a note field that may stay empty.
	OptionalNote bool
	// Assignments are the parts it may act on; a choice is shown when
	// there are several.
	Assignments []PartOption
	// Outcome labels (revisit: resolved/unresolved; check: passed/failed).
	YesLabel, NoLabel string
	// Files takes attachments (stage Needs.Attachment, else evidence).
	Files bool
	Stage string
	// Primary is the action the page offers first.
	Primary bool
	// Dispatches: the action sends the case to the unit it names; Suggest
	// is smart dispatch's box for its unit (nil without a model).
	Dispatches bool
	Suggest    *SuggestBox
	// Fields are its flow-specific inputs (Needs.Fields), with the values
	// a package offers for them (casework.OfferFieldOptions).
	Fields []ActionField
}

// ActionField is one flow-specific input of an action's form: a choice
// when Offered (the values the field's package offers), else free text.
type ActionField struct {
	Name    string
	Offered bool
	Options []Option
}

// PartOption is a part an action may act on; Party is its row's key in the
// parts table (data-party).
type PartOption struct {
	Value, Label, Party string
}

// PartView is one part (assignment) in the parts table.
type PartView struct {
	casework.Assignment
	// Name is the person with their unit for a person's part, else the unit.
	Name string
	// Party is the row's key: the unit code, with "-<person id>" for a person.
	Party string
	// Point is where the party reported in ("lng, lat"), or "".
	Point string
}

func partView(a casework.Assignment) PartView {
	v := PartView{Assignment: a, Name: a.UnitName, Party: a.UnitCode}
	if a.PersonName != "" {
		v.Name = a.PersonName + "（" + a.UnitName + "）"
	}
	if a.PersonID != 0 {
		v.Party += "-" + strconv.FormatInt(a.PersonID, 10)
	}
	if a.ReportLng != nil && a.ReportLat != nil {
		v.Point = fmt.Sprintf("%.5f, %.5f", *a.ReportLng, *a.ReportLat)
	}
	return v
}

// EventView is one step of the timeline.
type EventView struct {
	casework.Event
	ActionKey string
	Detail    string
	Files     []casework.Attachment
}

// CaseViewPage is the case page.
type CaseViewPage struct {
	Page
	D     casework.CaseDetail
	Parts []PartView
	// Summoned: some part was summoned (a whistle's parties) or rated (a
	// township call's answer), so the parts table shows reporting in,
	// results and ratings.
	Summoned  bool
	Tag       string
	Left      string
	LeftOver  bool
	Deadlines []DeadlineView
	Actions   []ActionView
	Events    []EventView
	Images    []casework.Attachment
	Files     []casework.Attachment
	// MapJSON is the map's data (MapView: the grid's outline, the point,
	// the county beneath).
	MapJSON  string
	HasPoint bool
	// Point is the case's point as text ("118.541200, 27.918700").
	Point         string
	Units         []Option // the unit pickers' first list
	Satisfactions []Option
	// Unreached is the "not reached" answer, offered by actions that
	// declare Needs.Unreached.
	Unreached Option
	Error     string
	Form      ActionForm
	// Flow is the case's flow declaration (never nil on a rendered page).
	Flow *casework.Flow
	// Summonables are the units and people the flow's summoning actions
	// may name (Needs.People).
	Summonables []casework.Summonable
	// Deed is the "mark as good deed" panel, when the party registry
	// offers it for this case (a resolved case a member or co-building
	// unit carried out); the page knows no flow.
	Deed *party.DeedOffer
	// MatterName names the case's matter (Case.MatterCode) from the
	// catalogue; Matters are the choices of actions that name one.
	MatterName string
	Matters    []CoordOption
}

// When shows an optional time the Chinese way ("" when nil).
func (p CaseViewPage) When(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.In(shanghai).Format("2006年1月2日 15:04")
}

// Val returns what the user typed into field of the action's form, after a
// refusal ("" otherwise).
func (p CaseViewPage) Val(action, field string) string {
	if p.Form.Action != action {
		return ""
	}
	switch field {
	case "note":
		return p.Form.Note
	case "unit":
		return p.Form.Unit
	case "units":
		return p.Form.Units
	case "days":
		return p.Form.Days
	case "resolved":
		return p.Form.Resolved
	case "satisfaction":
		return p.Form.Satisfaction
	case "rating":
		return p.Form.Rating
	case "lng":
		return p.Form.Lng
	case "lat":
		return p.Form.Lat
	}
	if k, ok := strings.CutPrefix(field, "field_"); ok {
		return p.Form.Fields[k]
	}
	return ""
}

// Ratings are the choices of a rating, best first.
func (p CaseViewPage) Ratings() []int { return []int{5, 4, 3, 2, 1} }

// ImageType reports whether an attachment is shown as a thumbnail.
func ImageType(ct string) bool { return strings.HasPrefix(ct, "image/") }

// caseView shows a case; a redirect after an action announces its outcome.
func (s *Server) caseView(w http.ResponseWriter, r *http.Request) error {
	if s.Cases == nil {
		return store.NotFound("工单功能未启用")
	}
	p, err := s.caseViewPage(r, r.PathValue("no"))
	if err != nil {
		return err
	}
	q := r.URL.Query()
	switch {
	case q.Get("created") != "":
		p.Flash = p.T("caseui.flash.created", p.D.Case.No)
	case q.Get("done") != "":
		key := "case.action." + q.Get("done")
		if spec, ok := p.Flow.Action(q.Get("done")); ok {
			key = spec.LabelKey()
		}
		p.Flash = p.T("caseui.flash.done", p.T(key))
	case q.Get("deed") != "":
		p.Flash = p.T("deeds.flash.marked")
	}
	return s.render(w, r, "case_view", p)
}

// caseViewPage reads the case and builds its page.
func (s *Server) caseViewPage(r *http.Request, no string) (CaseViewPage, error) {
	ctx := r.Context()
	actor := actorOf(r)
	d, err := s.Cases.Get(ctx, actor, no)
	if err != nil {
		return CaseViewPage{}, err
	}
	// The navigation item of the case's work area, as its flow declares.
	flow, _ := s.Cases.Flow(d.Case.Flow)
	if flow == nil {
		flow = &casework.Flow{Name: d.Case.Flow}
	}
	p := CaseViewPage{Page: s.page(r, "", flow.Nav.ID), D: d, Flow: flow}
	p.Title = d.Case.No + " " + d.Case.Title
	s.fillCaseView(&p, s.Cases.AllowedActions(actor, d), time.Now())
	var m MapView
	if s.Org != nil && d.Case.GridUnitID != 0 {
		if g, err := s.Org.UnitByID(ctx, d.Case.GridUnitID); err == nil {
			m.AddOutline(g.Boundary, d.Case.GridName, "")
		}
	}
	if d.Case.Lng != nil && d.Case.Lat != nil {
		m.Points = append(m.Points, MapPoint{At: [2]float64{*d.Case.Lng, *d.Case.Lat}, Label: d.Case.No, Kind: "case"})
	}
	if !m.Empty() {
		m.Context = []string{countyContext}
	}
	p.MapJSON = m.JSON()
	p.HasPoint = d.Case.Lng != nil && d.Case.Lat != nil
	if p.HasPoint {
		p.Point = fmt.Sprintf("%.6f, %.6f", *d.Case.Lng, *d.Case.Lat)
	}
	for _, sat := range []string{casework.Satisfied, casework.Basic, casework.Unsatisfied} {
		p.Satisfactions = append(p.Satisfactions, Option{sat, p.T("case.satisfaction." + sat)})
	}
	p.Unreached = Option{casework.Unreached, p.T("case.satisfaction." + casework.Unreached)}
	for i, a := range p.Actions {
		if a.Dispatches {
			if p.Actions[i].Suggest, err = s.suggestions(ctx, p.Lang, d.Case.Title+"\n"+d.Case.Body, "", "#a-"+a.Name+"-unit"); err != nil {
				return p, err
			}
		}
	}
	if needsUnit(p.Actions) {
		if p.Units, err = s.unitOptions(ctx, actor, ""); err != nil {
			return p, err
		}
	}
	if s.Party != nil {
		if p.Deed, err = s.Party.CaseDeedOffer(ctx, actor, d); err != nil {
			return p, err
		}
	}
	if code := d.Case.MatterCode; code != "" && s.Lists != nil {
		if m, err := s.Lists.Matter(ctx, code); err == nil {
			p.MatterName = m.Name
		}
	}
	for i := range p.Actions {
		for j := range p.Actions[i].Fields {
			f := &p.Actions[i].Fields[j]
			opts, offered, err := s.Cases.FieldOptions(ctx, actor, d.Case, f.Name)
			if err != nil {
				return p, err
			}
			f.Offered = offered
			for _, o := range opts {
				f.Options = append(f.Options, Option{o.Value, o.Label})
			}
		}
	}
	for _, a := range p.Actions {
		if a.Needs.Matter {
			if p.Matters, err = s.matterOptions(ctx, actor, d.Case.MatterCode); err != nil {
				return p, err
			}
			break
		}
	}
	for _, a := range p.Actions {
		if a.Needs.People {
			// Without a rule for the kind nobody is proposed; the codes
			// are typed instead.
			p.Summonables, _ = s.Cases.Summonables(ctx, actor, d.Case.Kind, d.Case.PlaceCode)
			break
		}
	}
	return p, nil
}

// flowOf returns the engine's declaration of flow.
func (s *Server) flowOf(flow string) (*casework.Flow, bool) {
	if s.Cases == nil {
		return nil, false
	}
	return s.Cases.Flow(flow)
}

func needsUnit(as []ActionView) bool {
	for _, a := range as {
		if a.Needs.Unit || a.Needs.Units {
			return true
		}
	}
	return false
}

// fillCaseView computes the page's deadlines, actions and timeline.
func (s *Server) fillCaseView(p *CaseViewPage, allowed []casework.ActionSpec, now time.Time) {
	d := &p.D
	c := &d.Case
	if p.Flow == nil {
		p.Flow = &casework.Flow{Name: c.Flow}
		if f, ok := s.flowOf(c.Flow); ok {
			p.Flow = f
		}
	}
	cal := s.calendar()
	t := p.T
	partName := map[int64]string{}
	unitName := map[string]string{}
	partKey := map[int64]string{}
	p.Parts = p.Parts[:0]
	for _, a := range d.Assignments {
		v := partView(a)
		p.Parts = append(p.Parts, v)
		partName[a.ID] = v.Name + "（" + t("case.role."+a.Role) + "）"
		partKey[a.ID] = v.Party
		unitName[a.UnitCode] = a.UnitName
		if a.Role == casework.RoleSummoned || a.Rating != nil {
			p.Summoned = true
		}
	}
	for _, dl := range d.Deadlines {
		if strings.HasSuffix(dl.Kind, "_warn") {
			continue
		}
		kind := strings.TrimSuffix(dl.Kind, "_due")
		v := DeadlineView{Key: "case.deadline." + kind, Unit: partName[dl.AssignmentID], Due: dl.DueAt}
		v.Left, v.Over = timeLeft(cal, p.Lang, now, dl.DueAt)
		p.Deadlines = append(p.Deadlines, v)
	}
	// The headline deadline: the lead's current one.
	if lead, ok := d.Lead(); ok && !c.Closed() {
		switch {
		case lead.Status == "to_sign" && lead.SignDueAt != nil:
			p.Left, p.LeftOver = timeLeft(cal, p.Lang, now, *lead.SignDueAt)
		case lead.Open() && lead.Status != "answered" && lead.HandleDueAt != nil:
			p.Left, p.LeftOver = timeLeft(cal, p.Lang, now, *lead.HandleDueAt)
		}
	}
	switch {
	case c.Closed():
		p.Tag = "closed"
	case c.Overdue || p.LeftOver:
		p.Tag = "overdue"
	case p.Left != "" && !p.LeftOver && nearDue(d, now):
		p.Tag = "near"
	case c.Status == "dispatched" || c.Status == "received" || c.Status == "reported" || c.Status == "returned":
		p.Tag = "to-sign"
	default:
		p.Tag = "in-hand"
	}
	// Every form is built from the flow's declaration of the action: its
	// label, its note's label, its outcome labels, its files' stage.
	allowed = primaryFirst(p.Flow, allowed)
	for i, spec := range allowed {
		v := ActionView{Name: spec.Name, Key: spec.LabelKey(), Needs: spec.Needs, Primary: i == 0 && spec.Name != "comment", Dispatches: spec.Dispatches()}
		if spec.NoteLabel != "" {
			v.NoteLabel = t(spec.NoteLabel)
		} else {
			v.NoteLabel = t("caseui.note.optional")
		}
		v.OptionalNote = !spec.Needs.Note && (spec.Needs.Unit || spec.Needs.Units || spec.Needs.Outcome)
		if spec.Needs.Outcome {
			v.YesLabel, v.NoLabel = t("caseui.outcome.resolved"), t("caseui.outcome.unresolved")
			if len(spec.OutcomeLabels) == 2 {
				v.YesLabel, v.NoLabel = t(spec.OutcomeLabels[0]), t(spec.OutcomeLabels[1])
			}
		}
		if st := spec.FileStage(); st != "" {
			v.Files, v.Stage = true, st
		}
		for _, f := range spec.Needs.Fields {
			v.Fields = append(v.Fields, ActionField{Name: f})
		}
		if len(spec.Assignments) > 1 {
			for _, id := range spec.Assignments {
				v.Assignments = append(v.Assignments, PartOption{strconv.FormatInt(id, 10), partName[id], partKey[id]})
			}
		}
		p.Actions = append(p.Actions, v)
	}
	files := map[int64][]casework.Attachment{}
	for _, a := range d.Attachments {
		if ImageType(a.ContentType) {
			p.Images = append(p.Images, a)
		} else {
			p.Files = append(p.Files, a)
		}
		if a.EventID != 0 {
			files[a.EventID] = append(files[a.EventID], a)
		}
	}
	for _, e := range d.Events {
		key := "case.action." + e.Action
		if spec, ok := p.Flow.Action(e.Action); ok {
			key = spec.LabelKey()
		}
		detail := eventDetail(t, e, unitName)
		if spec, ok := p.Flow.Action(e.Action); ok {
			// The flow-specific inputs the action took (a transfer's legal basis).
			for _, f := range spec.Needs.Fields {
				if v, ok := e.Data[f].(string); ok && v != "" {
					if detail != "" {
						detail += " · "
					}
					detail += t("coord.field."+f) + "：" + v
				}
			}
		}
		p.Events = append(p.Events, EventView{Event: e, ActionKey: key, Detail: detail, Files: files[e.ID]})
	}
}

// primaryFirst moves the first of the flow's primary actions (Flow.Primary)
// that the user may take to the front; the others keep the flow's order.
func primaryFirst(flow *casework.Flow, as []casework.ActionSpec) []casework.ActionSpec {
	if flow == nil {
		return as
	}
	for _, name := range flow.Primary {
		for i, a := range as {
			if a.Name == name {
				out := append([]casework.ActionSpec{a}, as[:i]...)
				return append(out, as[i+1:]...)
			}
		}
	}
	return as
}

// nearDue reports whether the lead's running deadline falls within the
// near-deadline window.
func nearDue(d *casework.CaseDetail, now time.Time) bool {
	lead, ok := d.Lead()
	if !ok {
		return false
	}
	due := lead.HandleDueAt
	if lead.Status == "to_sign" {
		due = lead.SignDueAt
	}
	return due != nil && due.Sub(now) <= casework.DefaultNearWithin
}

// eventDetail summarises an event's data: units (by name where the case's
// parts know it), days, outcome.
func eventDetail(t func(string, ...any) string, e casework.Event, unitName map[string]string) string {
	var parts []string
	if units, ok := e.Data["units"].([]any); ok {
		var names []string
		for _, u := range units {
			if s, ok := u.(string); ok {
				if n, ok := unitName[s]; ok {
					s = n
				}
				names = append(names, s)
			}
		}
		if len(names) > 0 {
			parts = append(parts, t("caseui.event.units", strings.Join(names, "、")))
		}
	}
	if name, ok := e.Data["unit_name"].(string); ok && name != "" {
		parts = append(parts, t("caseui.event.units", name))
	}
	if days, ok := e.Data["days"].(float64); ok && days > 0 {
		parts = append(parts, t("caseui.event.days", int(days)))
	}
	if res, ok := e.Data["resolved"].(bool); ok {
		if res {
			parts = append(parts, t("caseui.outcome.resolved"))
		} else {
			parts = append(parts, t("caseui.outcome.unresolved"))
		}
	}
	if sat, ok := e.Data["satisfaction"].(string); ok && sat != "" {
		parts = append(parts, t("case.satisfaction."+sat))
	}
	return strings.Join(parts, " · ")
}

// caseAction takes one action from its form. A refusal shows the case page
// again with the domain's message and what the user typed.
func (s *Server) caseAction(w http.ResponseWriter, r *http.Request) error {
	if s.Cases == nil {
		return store.NotFound("工单功能未启用")
	}
	no, name := r.PathValue("no"), r.PathValue("action")
	act, form, err := s.parseActionForm(w, r, name)
	if err == nil {
		_, err = s.Cases.Do(r.Context(), actorOf(r), no, act)
	}
	if err != nil {
		msg, ok := userMessage(r, err)
		if !ok || Status(err) >= 500 {
			return err
		}
		p, perr := s.caseViewPage(r, no)
		if perr != nil {
			return err
		}
		p.Error, p.Form = msg, form
		s.Log.InfoContext(r.Context(), "case action refused", "case_no", no, "action", name, "err", err)
		s.renderStatus(w, r, Status(err), "case_view", p)
		return nil
	}
	http.Redirect(w, r, "/cases/"+url.PathEscape(no)+"?done="+name, http.StatusSeeOther)
	return nil
}

// parsePoint reads optional longitude and latitude fields.
func parsePoint(lngS, latS string) (*float64, *float64, error) {
	lngS, latS = strings.TrimSpace(lngS), strings.TrimSpace(latS)
	if lngS == "" && latS == "" {
		return nil, nil, nil
	}
	lng, lat, ok := input.Point(lngS, latS)
	if !ok {
		return nil, nil, store.Invalid("经纬度应为数字，如 118.5412 和 27.9187，且须同时填写")
	}
	return &lng, &lat, nil
}

// attachment serves a case's file with its sniffed type: inline for images
// and PDF, never sniffed again by the browser.
func (s *Server) attachment(w http.ResponseWriter, r *http.Request) error {
	if s.Cases == nil {
		return store.NotFound("工单功能未启用")
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return store.NotFound("找不到该附件")
	}
	a, rc, err := s.Cases.OpenAttachment(r.Context(), actorOf(r), id)
	if err != nil {
		return err
	}
	defer rc.Close()
	download.Serve(w, download.File{Type: a.ContentType, Size: a.Size, Name: a.Name,
		Inline: ImageType(a.ContentType) || a.ContentType == "application/pdf"}, rc)
	return nil
}

// caseMapJSON answers the case's map data as JSON.
func (s *Server) caseMapJSON(w http.ResponseWriter, r *http.Request) error {
	if s.Cases == nil {
		return store.NotFound("工单功能未启用")
	}
	p, err := s.caseViewPage(r, r.PathValue("no"))
	if err != nil {
		return err
	}
	body := p.MapJSON
	if body == "" {
		body = "{}"
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = io.WriteString(w, body)
	return nil
}
