package casework

import (
	"fmt"
	"slices"

	"grassroots/internal/access"
)

// Flow is a declared state machine that cases move through: the statuses a
// case can be in, the actions that move it, who may take each, which
// deadlines each starts and stops. The engine reads flows; it has no code
// for any one flow, so whistles, township calls, enforcement transfers and
// service applications are further Flow values.
type Flow struct {
	// Name is the flow's key ("hotline", "grid_event"), stored in cases.flow.
	Name string
	// Start is the status of a new case.
	Start string
	// States lists every case status of the flow.
	States []State
	// Kinds lists the allowed sub-kinds (cases.kind); empty allows only "".
	Kinds []string
	// OpenedBy are the roles that may open a case of this flow; empty means
	// any signed-in user. System actors may always open cases.
	OpenedBy []access.Role
	// OpenScope says where a signed-in opener must be: ScopeCallCentre (a
	// 12345 case is taken by the call centre, or a county administrator),
	// ScopePlace (the case's grid or place lies in the opener's own grid or
	// subtree); "" asks nothing beyond OpenedBy.
	OpenScope Scope
	// Public lets residents without an account open a case (portal).
	Public bool
	// NeedsRequestType demands a request type (consult/help/complaint/suggestion).
	NeedsRequestType bool
	// Actions are the moves the flow allows.
	Actions []ActionSpec
	// PublicKinds, when set, are the only kinds residents may open (a
	// resident's whistle, not a street's).
	PublicKinds []string
	// Limits are the flow's own default time limits, written like the
	// settings ("30m", "1d"), keyed "deadline", "deadline.priority",
	// "deadline.kind" or "deadline.kind.priority" (most specific wins).
	// Settings override them; the engine's defaults apply when neither says.
	Limits map[string]string
	// Summons says, per case kind ("" for every kind), whom the flow's
	// actions may assign; a kind without a rule may assign any unit.
	Summons map[string]SummonRule
	// DispatchFromCategory dispatches a new case at intake to the unit the
	// lists propose for its category when the caller names none.
	DispatchFromCategory bool
	// AutoDispatch lets intake dispatch a case that names no category nor
	// unit to the unit the lists route the category smart dispatch is sure
	// of, for the channels the county chose (UseAutoDispatch).
	AutoDispatch bool
	// DispatchToPlace dispatches a new case at intake to the township (or
	// street) of its place: a county department's hand-down goes there.
	DispatchToPlace bool

	// What the pages and the API need to show the flow: they read these and
	// keep no list of flows of their own.

	// Label is the message key of the flow's display name ("" means
	// "case.flow.<Name>"); LabelKey returns it.
	Label string
	// Nav is the flow's work area in the navigation and its list route.
	// Flows that share an area (Nav.ID) share its entry.
	Nav NavEntry
	// Primary lists the actions that move a case forward, in the order the
	// case page offers them first (the first one allowed is highlighted).
	Primary []string
	// Channels is the intake channel a case gets when its opener has the
	// role and names none (a grid worker's report comes in by "grid").
	Channels map[access.Role]string
	// NeedsCategory refuses a case without a category; NeedsPlace one
	// without a point or a place (a grid event is always somewhere).
	NeedsCategory bool
	NeedsPlace    bool
	// List is how the flow's list (Nav.Href) shows its cases: ListInbox
	// (the case inbox filtered by the flow, /cases?flow=...) or ListParties
	// (one row per case with its parties, filtered by kind, status and
	// township: whistles, township calls, enforcement). The web registers
	// a ListParties flow's list, its export and its create form under
	// Nav.Href.
	List ListKind
	// ListLinks are further pages of the flow's work area its list links
	// to (a community's party members, the enforcement zones).
	ListLinks []NavEntry
	// Progress shows, in the list, how many summoned parties reported in
	// and finished instead of the lead unit.
	Progress bool
	// Create is the flow's create form: its title, button and fields.
	Create CreateForm
	// APIList is the path of the flow's JSON list under the API
	// ("/api/v1/whistles"), one row per case with its parties, for a
	// ListParties flow; the API registers it from here.
	APIList string
	// Report names the form outside the staff's create forms that opens a
	// case of this flow: ReportPortal (a resident's report on the portal) or
	// ReportPatrol (a grid worker's report from patrol on the phone, whose
	// cases the phone's check page shows). Service.ReportFlow finds it.
	Report ReportForm
	// Card lists the figures of the departments' report card (部门考评)
	// that a county department's part in the flow's cases counts towards;
	// a flow without any stays off the card.
	Card []CardFigure
	// Figures are the figures the rates page, the rates API and its export
	// show for the flow's cases, by their IDs in internal/stats (FigureIDs;
	// docs/RATES.md), in order; none shows the 12345 rates and their
	// companions.
	Figures []string
	// ReviewHref is the page where residents rate a case of this flow in
	// its registry's own scale ("" rates on the 12345 tracking page): the
	// tracking page then neither offers nor takes a rating of its own, so
	// that a case has one rating.
	ReviewHref string
}

// ReportForm is a report form outside the staff's create forms (Flow.Report).
type ReportForm string

const (
	// ReportPortal is a resident's report on the public portal (/report).
	ReportPortal ReportForm = "portal"
	// ReportPatrol is a grid worker's report from patrol on the phone
	// (/m/report); the phone's check page (/m/check/{no}) shows its cases.
	ReportPatrol ReportForm = "patrol"
)

// CreateForm is a flow's create form as data: the web renders it with one
// template (case_new.html) and reads it with one handler.
type CreateForm struct {
	// Title and Submit are message keys of the form's heading and its
	// button ("" means "caseui.new.title" and "caseui.new.submit").
	Title, Submit string
	// Help is the message key of a hint above the form; for a flow with
	// kinds, Help + "." + kind is shown instead.
	Help string
	// Fields are the form's fields, in order.
	Fields []FormField
	// Channel is the intake channel of a case opened by the form ("" lets
	// the engine choose: Flow.Channels, else "phone").
	Channel string
	// Priority is the urgency the form starts with ("" means normal): a
	// whistle is blown because something is urgent.
	Priority string
	// KindByUnit is the kind the form starts with for an opener of a unit
	// kind ("community" → a community whistle); else the first of Kinds.
	KindByUnit map[string]string
}

// StartKind is the kind the create form starts with for an opener at a
// unit of kind unitKind.
func (f *Flow) StartKind(unitKind string) string {
	if k, ok := f.Create.KindByUnit[unitKind]; ok {
		return k
	}
	if len(f.Kinds) > 0 {
		return f.Kinds[0]
	}
	return ""
}

// StartPriority is the urgency the create form starts with.
func (f *Flow) StartPriority() string {
	if f.Create.Priority != "" {
		return f.Create.Priority
	}
	return PriorityNormal
}

// FormField is one field of a create form. Name is one of the Field*
// names, which are also the names the form posts.
type FormField struct {
	Name     string
	Required bool
}

// The create form's fields: each is the input of that name and fills the
// NewCase field of its name.
const (
	FieldReporter    = "reporter"     // reporter_name and reporter_phone
	FieldRequestType = "request_type" // consult/help/complaint/suggestion
	FieldKind        = "kind"         // one of Flow.Kinds; the form is reloaded on a change
	FieldCategory    = "category"     // a category code (a datalist of the catalogue)
	FieldPropose     = "propose"      // the lists propose the lead ("dispatch") and "supporting" units from the category
	FieldPriority    = "priority"
	FieldTitle       = "title"
	FieldBody        = "body"
	FieldAddress     = "address"
	FieldPoint       = "point"      // lng and lat, with the nearby-duplicates hint
	FieldPlaceUnit   = "place_unit" // any unit, typed or picked (a grid, a community)
	FieldPlace       = "place"      // one of the places in the opener's scope
	FieldDispatch    = "dispatch"   // the unit the case goes to at once, typed or picked
	FieldSummon      = "summon"     // units ("summon") and people ("people") the kind's summons rule proposes
	FieldFiles       = "file"       // attachments
	FieldMatter      = "matter"     // a matter code of the catalogue (a datalist of the matters)
	FieldLimit       = "limit_days" // the case's own time limit in working days
	FieldBasis       = "basis"      // the legal or policy basis of the work
)

// CreateTitle is the message key of the create form's heading.
func (f *Flow) CreateTitle() string {
	if f.Create.Title != "" {
		return f.Create.Title
	}
	return "caseui.new.title"
}

// CreateSubmit is the message key of the create form's button.
func (f *Flow) CreateSubmit() string {
	if f.Create.Submit != "" {
		return f.Create.Submit
	}
	return "caseui.new.submit"
}

// CreateFields are the create form's fields: the declared ones, or a
// title, a description, an urgency and an address.
func (f *Flow) CreateFields() []FormField {
	if len(f.Create.Fields) > 0 {
		return f.Create.Fields
	}
	return []FormField{{Name: FieldPriority}, {Name: FieldTitle, Required: true}, {Name: FieldBody}, {Name: FieldAddress}}
}

// HasField reports whether the create form has the field.
func (f *Flow) HasField(name string) bool {
	return slices.ContainsFunc(f.CreateFields(), func(x FormField) bool { return x.Name == name })
}

var formFields = map[string]bool{
	FieldReporter: true, FieldRequestType: true, FieldKind: true, FieldCategory: true, FieldPropose: true, FieldPriority: true,
	FieldTitle: true, FieldBody: true, FieldAddress: true, FieldPoint: true, FieldPlaceUnit: true, FieldPlace: true,
	FieldDispatch: true, FieldSummon: true, FieldFiles: true, FieldMatter: true, FieldLimit: true, FieldBasis: true,
}

// ListKind says which list shows a flow's cases.
type ListKind string

const (
	ListInbox   ListKind = ""
	ListParties ListKind = "parties"
)

// NavEntry is a work area of the navigation: its id (the active item), the
// message key of its name and the route of its list.
type NavEntry struct {
	ID   string `json:"id"`
	Key  string `json:"key"`
	Href string `json:"href"`
}

// SummonRule limits whom an action may assign: which kinds of units, which
// people (by role), and where they must be relative to the case's place.
type SummonRule struct {
	// UnitKinds are the unit kinds that may be assigned (empty: no units).
	UnitKinds []string
	// CoBuilding admits, besides UnitKinds, units that signed a co-building
	// agreement (共建协议) with the case's place.
	CoBuilding bool
	// PersonRoles are the people roles that may be summoned (empty: nobody).
	PersonRoles []string
	// RegisteredAtPlace: people must be registered at the case's place
	// (dual registration: people.home_unit_id).
	RegisteredAtPlace bool
	// InTownship: people must work in the case's township (the front line).
	InTownship bool
}

// State is one case status of a flow.
type State struct {
	Name string
	// Final marks a status from which the case is closed (closed, dismissed).
	Final bool
	// Public is the text a resident reads for this status on the portal.
	Public string
	// Label is the message key of the status's name ("" means
	// "case.status.<Name>"); Flow.StateKey returns it.
	Label string
}

// Target says what an action operates on.
type Target string

const (
	// OnCase actions act on the case as a whole (dispatch, revisit, supervise).
	OnCase Target = "case"
	// OnAssignment actions act on one unit's part (sign, answer, return); the
	// caller names it with Action.AssignmentID, or the lead is taken.
	OnAssignment Target = "assignment"
)

// Scope says where, relative to the case, the actor's unit must be.
type Scope string

const (
	// ScopeAny: the role alone is enough (county supervisor, administrator).
	ScopeAny Scope = "any"
	// ScopeCounty: the actor works at the county level (the county unit or
	// above) or in the supervision office (access.Actor.CountyWide) — not an
	// administrator of a township.
	ScopeCounty Scope = "county"
	// ScopeAssignment: the actor's unit lies in the target assignment's unit
	// subtree (for case actions: the lead assignment's). No built-in flow
	// uses it: a unit below the assigned one is asked to help through the
	// flow (a supporting part), it does not act in the assigned unit's name.
	ScopeAssignment Scope = "assignment"
	// ScopeUnit: the actor works at the target assignment's unit itself (for
	// case actions: the lead's), not at a unit below it.
	ScopeUnit Scope = "unit"
	// ScopeLead: the actor works at the lead assignment's unit itself
	// (LeadStaff, the rule that also reveals the reporter's phone).
	ScopeLead Scope = "lead"
	// ScopeCallCentre: the actor is staff of the 12345 call centre (the units
	// and roles of the settings casework.call_centre.units and
	// casework.call_centre.roles; by default anyone at the county unit),
	// whoever typed the case in.
	ScopeCallCentre Scope = "call_centre"
	// ScopePlace: the case's place (community/township) lies in the actor's
	// subtree.
	ScopePlace Scope = "place"
	// ScopeGrid: the actor's unit is the case's grid, or above it.
	ScopeGrid Scope = "grid"
	// ScopeOpener: the actor opened the case, or works at the unit that
	// received it (the call centre, the whistling township).
	ScopeOpener Scope = "opener"
	// ScopeDispatcher: the actor works at the unit that dispatched the
	// target assignment, or at a unit above it.
	ScopeDispatcher Scope = "dispatcher"
	// ScopeViewer: anyone who may see the case.
	ScopeViewer Scope = "viewer"
	// ScopePerson: the person the target assignment summons, acting on
	// their own part through their personal page (a party member).
	ScopePerson Scope = "person"
)

// Party is one kind of actor allowed to take an action: any of Roles, at
// Scope. An empty Roles means any role.
type Party struct {
	Roles []access.Role
	Scope Scope
}

// Needs are the inputs an action requires.
type Needs struct {
	Note         bool // a note or reason (退回理由、答复内容)
	NoteOnFail   bool // a note when the outcome is negative (check failed, unresolved)
	Unit         bool // a unit code (dispatch, add a supporting unit)
	Units        bool // one or more unit codes (summon several parties)
	Days         bool // a number of working days (extension)
	Outcome      bool // Resolved must be given (revisit, check)
	Satisfaction bool // satisfied / basic / unsatisfied
	// Unreached offers "not reached" (未联系上) as the satisfaction answer:
	// the revisit could not reach the requester (counted apart, docs/RATES.md).
	Unreached bool
	Rating    bool // 1..5
	Point     bool // a point (report-in on site)
	// OfferPoint offers an optional point (where a party reported in).
	OfferPoint bool
	// People lets the action name people besides units (Action.People: a
	// whistle summons party members and grid workers).
	People     bool
	Attachment string // an attachment of this stage must exist or come with the action ("after")
	// Files offers optional attachments of this stage (photos or documents
	// of an answer, "evidence"); Attachment implies files of its stage.
	Files string
	// Fields are named flow-specific inputs the action requires (Action.Fields),
	// kept on the event's data (an enforcement transfer's legal basis).
	Fields []string
	// Matter offers the case's matter (Action.Fields["matter"], a catalogue
	// code): given, it becomes the case's matter before the access list is
	// checked; a hand-off from a county department to a township that
	// names no matter is refused by the list and recorded.
	Matter bool
}

// Effect is an engine primitive an action applies besides the status change.
// Flows combine them; the engine implements each once.
type Effect string

const (
	EffDispatch       Effect = "dispatch"          // new lead assignment to Action.UnitCode
	EffAddSupporting  Effect = "add_supporting"    // new supporting assignment to Action.UnitCode
	EffSummon         Effect = "summon"            // new summoned assignment per Action.UnitCodes
	EffSign           Effect = "sign"              // assignment signed_at
	EffAnswer         Effect = "answer"            // answer text on the assignment, and on the case for the lead
	EffReturn         Effect = "return"            // assignment returned with the reason; the case loses its lead
	EffRequestExtend  Effect = "request_extension" // pending extension of Action.Days on the assignment
	EffApproveExtend  Effect = "approve_extension" // handle deadline moved by the pending days; extensions+1
	EffRefuseExtend   Effect = "refuse_extension"  // pending extension dropped
	EffSupervise      Effect = "supervise"         // supervisions+1
	EffRevisit        Effect = "revisit"           // resolved, satisfaction, revisited_at on the case
	EffReopen         Effect = "reopen"            // reopens+1; the lead back to in_hand
	EffOnSpot         Effect = "on_spot"           // on_spot=1
	EffReportIn       Effect = "report_in"         // reported_at and point on the assignment
	EffRate           Effect = "rate"              // rating on the assignment
	EffClosePart      Effect = "close_part"        // the assignment is done (closed_at)
	EffCloseIfAllDone Effect = "close_if_all_done" // the case closes when every assignment is done
	EffClose          Effect = "close"             // closed_at; every open assignment done; every timer cancelled
	EffLeadBackInHand Effect = "lead_in_hand"      // the lead assignment back to in_hand (check failed)
	EffVolunteer      Effect = "volunteer_hours"   // a person's part: its time on site counts as volunteer service
	EffContact        Effect = "contact"           // 先行联系: the first call to the requester (contacted_at) and its result
)

// Start names a deadline an action starts, and on what.
type Start struct {
	// Deadline is the kind: sign, handle, revisit, check, report_in.
	Deadline string
	// OnLead starts it on the lead assignment (for case actions such as
	// reopen); otherwise on the action's assignment, or on the case for the
	// case-level deadlines (revisit, check).
	OnLead bool
}

// Outcome is what an action does: the status change and its follow-up work.
type Outcome struct {
	// To is the case status after the action ("" leaves it).
	To string
	// AssignmentTo is the target assignment's status after ("" leaves it).
	AssignmentTo string
	Effects      []Effect
	// Starts are the deadlines the action starts.
	Starts []Start
	// Stops are the deadline kinds whose timers the action cancels (on the
	// target assignment, and the case's own).
	Stops []string
	// Pauses are the deadline kinds whose clock the action stops, keeping
	// the working time left (an application waiting for supplements);
	// Resumes restart them with that time left (pause.go).
	Pauses  []string
	Resumes []string
	// Public is the text the requester reads on the portal ("" keeps the
	// event internal).
	Public string
	// CreatedStatus is the status of the assignments the action creates
	// ("" for to_sign; "in_hand" when a ruling assigns the work outright).
	CreatedStatus string
}

// ActionSpec declares one action of a flow.
type ActionSpec struct {
	// Name is the action's key, used in URLs and the event timeline.
	Name string `json:"name"`
	// Label is the message key of the action's name ("" means
	// "case.action.<Name>"); LabelKey returns it.
	Label string `json:"label"`
	// NoteLabel is the message key of its note field's label ("" for a
	// generic one: "caseui.note.optional").
	NoteLabel string `json:"note_label,omitempty"`
	// OutcomeLabels are the message keys of the positive and negative
	// outcome when Needs.Outcome is set (default: resolved / unresolved).
	OutcomeLabels []string `json:"outcome_labels,omitempty"`
	// On says whether it acts on the case or on one assignment.
	On Target `json:"on"`
	// From lists the case statuses it may be taken from (empty: any open status).
	From []string `json:"-"`
	// AssignmentFrom lists the target assignment's statuses it may be taken from.
	AssignmentFrom []string `json:"-"`
	// AssignmentRole limits the target assignment's role ("lead", "supporting", "summoned").
	AssignmentRole string `json:"-"`
	// Who may take it (any of).
	Who []Party `json:"-"`
	// Needs are its inputs.
	Needs Needs `json:"needs"`
	// WithinDispatch refuses the action once this deadline kind's limit since
	// the assignment's dispatch has passed ("return": 2 working days).
	WithinDispatch string `json:"-"`
	// MaxExtensions refuses the action once the case has had this many
	// extensions approved (0 = no limit).
	MaxExtensions int `json:"-"`
	// AccessFromOpener checks the access list as if the case's receiving
	// unit (cases.opened_by_unit_id) handed the work on, not the actor: a
	// supervisor's ruling sends a department's case down to a township on
	// that department's list.
	AccessFromOpener bool `json:"-"`
	// Decision marks a decision on the case's matter (处罚决定): a
	// township-level actor may take it only for a matter the empowerment
	// list grants to its township (ListRules.CheckDecision); a refusal is
	// recorded and the flow's transfer stays open.
	Decision bool `json:"decision,omitempty"`
	// UnitKinds, when set, are the only unit kinds the action may assign
	// (an enforcement transfer goes to a township or a department).
	UnitKinds []string `json:"-"`
	// NoPendingExtension refuses it while an extension request waits;
	// PendingExtension refuses it unless one waits.
	NoPendingExtension bool `json:"-"`
	PendingExtension   bool `json:"-"`
	// Done is what the action does; when Needs.Outcome is set it is the
	// positive outcome (resolved, check passed).
	Done Outcome `json:"-"`
	// Failed is the negative outcome (unresolved, check failed).
	Failed *Outcome `json:"-"`
	// DailyFeedback marks the action that tells the requester what
	// happened today (每日一反馈): the grid worker's phone offers it for
	// each of the day's cases whose requester has not heard back yet
	// (Flow.FeedbackAction); its public text is what the requester reads.
	DailyFeedback bool `json:"daily_feedback,omitempty"`
	// Assignments lists, for assignment actions, the assignments this user
	// may take it on now; AllowedActions fills it.
	Assignments []int64 `json:"assignment_ids,omitempty"`
}

// LabelKey is the message key of the flow's display name.
func (f *Flow) LabelKey() string {
	if f.Label != "" {
		return f.Label
	}
	return "case.flow." + f.Name
}

// KindKey is the message key of a kind's name ("" when the flow has no
// kinds, or kind is "" and not one of them): "coord.kind.<flow>.<kind>",
// "coord.kind.<flow>.case" for a declared empty kind.
func (f *Flow) KindKey(kind string) string {
	switch {
	case kind == "" && slices.Contains(f.Kinds, ""):
		return "coord.kind." + f.Name + ".case"
	case kind == "" || !slices.Contains(f.Kinds, kind):
		return ""
	}
	return "coord.kind." + f.Name + "." + kind
}

// StateKey is the message key of status's name in the flow.
func (f *Flow) StateKey(status string) string {
	for _, s := range f.States {
		if s.Name == status && s.Label != "" {
			return s.Label
		}
	}
	return "case.status." + status
}

// LabelKey is the message key of the action's name.
func (a ActionSpec) LabelKey() string {
	if a.Label != "" {
		return a.Label
	}
	return "case.action." + a.Name
}

// Dispatches reports whether the action sends the case to the unit it
// names (its form may offer smart dispatch's suggestions).
func (a ActionSpec) Dispatches() bool {
	return a.Needs.Unit && slices.Contains(a.Done.Effects, EffDispatch)
}

// FileStage is the stage of the files the action's form takes ("" when it
// takes none): its required attachment's, else its optional files'.
func (a ActionSpec) FileStage() string {
	if a.Needs.Attachment != "" {
		return a.Needs.Attachment
	}
	return a.Needs.Files
}

// Terminal reports whether status is final in the flow.
func (f *Flow) Terminal(status string) bool {
	for _, s := range f.States {
		if s.Name == status {
			return s.Final
		}
	}
	return false
}

// HasState reports whether the flow declares status.
func (f *Flow) HasState(status string) bool {
	return slices.ContainsFunc(f.States, func(s State) bool { return s.Name == status })
}

// Action returns the flow's action named name.
func (f *Flow) Action(name string) (ActionSpec, bool) {
	for _, a := range f.Actions {
		if a.Name == name {
			return a, true
		}
	}
	return ActionSpec{}, false
}

// FeedbackAction returns the flow's daily feedback action (每日一反馈,
// ActionSpec.DailyFeedback), if it declares one.
func (f *Flow) FeedbackAction() (ActionSpec, bool) {
	for _, a := range f.Actions {
		if a.DailyFeedback {
			return a, true
		}
	}
	return ActionSpec{}, false
}

// PublicText returns the residents' text for status.
func (f *Flow) PublicText(status string) string {
	for _, s := range f.States {
		if s.Name == status {
			return s.Public
		}
	}
	return ""
}

// fillLabels writes the default message keys into the declaration, so that
// the API's allowed_actions carry them.
func (f *Flow) fillLabels() {
	f.Label = f.LabelKey()
	f.States = slices.Clone(f.States)
	for i := range f.States {
		f.States[i].Label = f.StateKey(f.States[i].Name)
	}
	f.Actions = slices.Clone(f.Actions)
	for i := range f.Actions {
		f.Actions[i].Label = f.Actions[i].LabelKey()
	}
}

// Validate checks that the flow is well formed: its statuses exist and its
// deadlines and effects are ones the engine knows.
func (f *Flow) Validate() error {
	if f.Name == "" || !f.HasState(f.Start) {
		return fmt.Errorf("flow %q: start status %q not declared", f.Name, f.Start)
	}
	for _, x := range f.Create.Fields {
		if !formFields[x.Name] {
			return fmt.Errorf("flow %s: create form field %q unknown", f.Name, x.Name)
		}
	}
	for _, n := range f.Primary {
		if _, ok := f.Action(n); !ok {
			return fmt.Errorf("flow %s: primary action %q not declared", f.Name, n)
		}
	}
	seen := map[string]bool{}
	for _, a := range f.Actions {
		if a.Name == "" || seen[a.Name] {
			return fmt.Errorf("flow %s: action name %q empty or repeated", f.Name, a.Name)
		}
		seen[a.Name] = true
		if a.On != OnCase && a.On != OnAssignment {
			return fmt.Errorf("flow %s action %s: target %q", f.Name, a.Name, a.On)
		}
		if len(a.Who) == 0 {
			return fmt.Errorf("flow %s action %s: nobody may take it", f.Name, a.Name)
		}
		if n := len(a.OutcomeLabels); n != 0 && (n != 2 || !a.Needs.Outcome) {
			return fmt.Errorf("flow %s action %s: outcome labels need Needs.Outcome and two keys", f.Name, a.Name)
		}
		for _, s := range a.From {
			if !f.HasState(s) {
				return fmt.Errorf("flow %s action %s: from status %q not declared", f.Name, a.Name, s)
			}
		}
		if a.WithinDispatch != "" {
			if _, ok := deadlineKinds[a.WithinDispatch]; !ok {
				return fmt.Errorf("flow %s action %s: unknown deadline %q", f.Name, a.Name, a.WithinDispatch)
			}
		}
		outs := []Outcome{a.Done}
		if a.Failed != nil {
			outs = append(outs, *a.Failed)
		}
		for _, o := range outs {
			if o.To != "" && !f.HasState(o.To) {
				return fmt.Errorf("flow %s action %s: to status %q not declared", f.Name, a.Name, o.To)
			}
			for _, st := range o.Starts {
				if _, ok := deadlineKinds[st.Deadline]; !ok {
					return fmt.Errorf("flow %s action %s: unknown deadline %q", f.Name, a.Name, st.Deadline)
				}
			}
			for _, k := range append(append(slices.Clone(o.Stops), o.Pauses...), o.Resumes...) {
				if _, ok := deadlineKinds[k]; !ok {
					return fmt.Errorf("flow %s action %s: unknown deadline %q", f.Name, a.Name, k)
				}
			}
			for _, e := range o.Effects {
				if !knownEffects[e] {
					return fmt.Errorf("flow %s action %s: unknown effect %q", f.Name, a.Name, e)
				}
			}
		}
	}
	return nil
}

var knownEffects = map[Effect]bool{
	EffDispatch: true, EffAddSupporting: true, EffSummon: true, EffSign: true, EffAnswer: true,
	EffReturn: true, EffRequestExtend: true, EffApproveExtend: true, EffRefuseExtend: true,
	EffSupervise: true, EffRevisit: true, EffReopen: true, EffOnSpot: true, EffReportIn: true,
	EffRate: true, EffClosePart: true, EffCloseIfAllDone: true, EffClose: true, EffLeadBackInHand: true,
	EffVolunteer: true, EffContact: true,
}

// channelFor is the intake channel the flow gives a case its actor opens
// without naming one ("" when no role of the actor has one).
func (f *Flow) channelFor(actor access.Actor) string {
	roles := make([]string, 0, len(f.Channels))
	for r := range f.Channels {
		roles = append(roles, string(r))
	}
	slices.Sort(roles)
	for _, r := range roles {
		if actor.Has(access.Role(r)) {
			return f.Channels[access.Role(r)]
		}
	}
	return ""
}
