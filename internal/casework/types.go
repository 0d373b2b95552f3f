package casework

import "time"

// Request types (诉求类型) of 12345 cases.
const (
	RequestConsult    = "consult"    // 咨询
	RequestHelp       = "help"       // 求助
	RequestComplaint  = "complaint"  // 投诉举报
	RequestSuggestion = "suggestion" // 意见建议
)

// RequestTypes lists the request types in display order.
var RequestTypes = []string{RequestConsult, RequestHelp, RequestComplaint, RequestSuggestion}

// Priorities of a case.
const (
	PriorityUrgent  = "urgent"
	PriorityNormal  = "normal"
	PriorityComplex = "complex"
)

// Priorities lists the priorities in display order.
var Priorities = []string{PriorityUrgent, PriorityNormal, PriorityComplex}

// Satisfaction levels given at revisit.
const (
	Satisfied   = "satisfied"   // 满意
	Basic       = "basic"       // 基本满意
	Unsatisfied = "unsatisfied" // 不满意
	// Unreached is the revisit's answer when the requester could not be
	// reached (未联系上), offered where the action declares Needs.Unreached.
	Unreached = "unreached"
)

// Assignment roles.
const (
	RoleLead       = "lead"
	RoleSupporting = "supporting"
	RoleSummoned   = "summoned"
)

// Case is one matter moving through a flow.
type Case struct {
	ID             int64    `json:"-"`
	No             string   `json:"no"`
	Flow           string   `json:"flow"`
	Kind           string   `json:"kind,omitempty"`
	RequestType    string   `json:"request_type,omitempty"`
	CategoryID     int64    `json:"-"`
	CategoryCode   string   `json:"category_code,omitempty"`
	CategoryName   string   `json:"category_name,omitempty"`
	Title          string   `json:"title"`
	Body           string   `json:"body"`
	Priority       string   `json:"priority"`
	Channel        string   `json:"channel"`
	Source         string   `json:"source,omitempty"`
	ExternalID     string   `json:"external_id,omitempty"`
	Address        string   `json:"address,omitempty"`
	Lng            *float64 `json:"lng,omitempty"`
	Lat            *float64 `json:"lat,omitempty"`
	GridUnitID     int64    `json:"-"`
	GridCode       string   `json:"grid_code,omitempty"`
	GridName       string   `json:"grid_name,omitempty"`
	GridPath       string   `json:"-"`
	PlaceUnitID    int64    `json:"-"`
	PlaceCode      string   `json:"place_code,omitempty"`
	PlaceName      string   `json:"place_name,omitempty"`
	PlacePath      string   `json:"-"`
	TownshipUnitID int64    `json:"-"`
	TownshipCode   string   `json:"township_code,omitempty"`
	TownshipName   string   `json:"township_name,omitempty"`
	ReporterName   string   `json:"reporter_name,omitempty"`
	// MatterCode is the catalogue matter (事项) the case is about: an
	// enforcement case's, a county department's hand-down's.
	MatterCode     string     `json:"matter_code,omitempty"`
	PhoneMasked    string     `json:"reporter_phone,omitempty"` // 138****5678
	PhoneLast4     string     `json:"-"`
	Status         string     `json:"status"`
	LeadUnitID     int64      `json:"-"`
	LeadUnitCode   string     `json:"lead_unit_code,omitempty"`
	LeadUnitName   string     `json:"lead_unit_name,omitempty"`
	CreatedBy      int64      `json:"-"`
	OpenedByUnitID int64      `json:"-"`
	OpenedByCode   string     `json:"opened_by_unit_code,omitempty"`
	ProposedDept   string     `json:"proposed_dept_code,omitempty"` // the category's responsible department
	HandleDueAt    *time.Time `json:"handle_due_at,omitempty"`
	AnsweredAt     *time.Time `json:"answered_at,omitempty"`
	Answer         string     `json:"answer,omitempty"`
	RevisitDueAt   *time.Time `json:"revisit_due_at,omitempty"`
	RevisitedAt    *time.Time `json:"revisited_at,omitempty"`
	Resolved       *bool      `json:"resolved,omitempty"`
	Satisfaction   string     `json:"satisfaction,omitempty"`
	OnSpot         bool       `json:"on_spot"`
	Extensions     int        `json:"extensions"`
	Reopens        int        `json:"reopens"`
	Supervisions   int        `json:"supervisions"`
	Overdue        bool       `json:"overdue"`
	ClosedAt       *time.Time `json:"closed_at,omitempty"`
	// ResidentSatisfaction is the requester's own rating on the portal.
	ResidentSatisfaction string     `json:"resident_satisfaction,omitempty"`
	ResidentRatedAt      *time.Time `json:"resident_rated_at,omitempty"`
	DataJSON             string     `json:"-"`
	CreatedAt            time.Time  `json:"created_at"`
	UpdatedAt            time.Time  `json:"updated_at"`
	Version              int        `json:"version"`
}

// Closed reports whether the case has reached a final status.
func (c *Case) Closed() bool { return c.ClosedAt != nil }

// Assignment is one unit's part in a case.
type Assignment struct {
	ID             int64      `json:"id"`
	CaseID         int64      `json:"-"`
	UnitID         int64      `json:"-"`
	UnitCode       string     `json:"unit_code"`
	UnitName       string     `json:"unit_name"`
	UnitPath       string     `json:"-"`
	PersonID       int64      `json:"person_id,omitempty"`
	PersonName     string     `json:"person_name,omitempty"` // the summoned person, for a person's part
	Role           string     `json:"role"`
	Status         string     `json:"status"`
	DispatchedAt   time.Time  `json:"dispatched_at"`
	DispatchedBy   int64      `json:"-"`
	DispatcherPath string     `json:"-"`
	DispatcherCode string     `json:"dispatched_by_unit_code,omitempty"`
	SignDueAt      *time.Time `json:"sign_due_at,omitempty"`
	SignedAt       *time.Time `json:"signed_at,omitempty"`
	ReportDueAt    *time.Time `json:"report_due_at,omitempty"`
	ReportedAt     *time.Time `json:"reported_at,omitempty"`
	ReportLng      *float64   `json:"report_lng,omitempty"`
	ReportLat      *float64   `json:"report_lat,omitempty"`
	HandleDueAt    *time.Time `json:"handle_due_at,omitempty"`
	AnsweredAt     *time.Time `json:"answered_at,omitempty"`
	Answer         string     `json:"answer,omitempty"`
	ReturnedAt     *time.Time `json:"returned_at,omitempty"`
	ReturnReason   string     `json:"return_reason,omitempty"`
	// ReturnBy is when the part can no longer be returned as misrouted
	// (filled by Get).
	ReturnBy      *time.Time `json:"return_by,omitempty"`
	ExtensionDays int        `json:"extension_days"`
	ExtRequested  int        `json:"extension_requested_days,omitempty"` // a pending request
	Warned        bool       `json:"warned"`
	Overdue       bool       `json:"overdue"`
	Escalated     bool       `json:"escalated"`
	Rating        *int       `json:"rating,omitempty"`
	RatingNote    string     `json:"rating_note,omitempty"`
	ClosedAt      *time.Time `json:"closed_at,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
}

// Open reports whether the part is still being worked.
func (a *Assignment) Open() bool { return a.ClosedAt == nil }

// Event is one step on a case's timeline.
type Event struct {
	ID           int64          `json:"id"`
	CaseID       int64          `json:"-"`
	AssignmentID int64          `json:"assignment_id,omitempty"`
	At           time.Time      `json:"at"`
	UserID       int64          `json:"-"`
	ActorName    string         `json:"actor_name"`
	ActorUnitID  int64          `json:"-"`
	ActorUnit    string         `json:"actor_unit,omitempty"`
	Action       string         `json:"action"`
	FromStatus   string         `json:"from_status,omitempty"`
	ToStatus     string         `json:"to_status,omitempty"`
	Note         string         `json:"note,omitempty"`
	DataJSON     string         `json:"-"`
	Data         map[string]any `json:"data,omitempty"`
	Public       bool           `json:"public"`
	PublicText   string         `json:"public_text,omitempty"`
}

// Attachment is a file stored with a case.
type Attachment struct {
	ID          int64     `json:"id"`
	CaseID      int64     `json:"-"`
	EventID     int64     `json:"event_id,omitempty"`
	Name        string    `json:"name"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	StorageKey  string    `json:"-"`
	Stage       string    `json:"stage,omitempty"`
	CreatedBy   int64     `json:"-"`
	CreatedAt   time.Time `json:"created_at"`
}

// Deadline is a pending deadline timer of a case.
type Deadline struct {
	Kind         string    `json:"kind"` // sign_warn, handle_due ...
	AssignmentID int64     `json:"assignment_id,omitempty"`
	DueAt        time.Time `json:"due_at"`
}

// CaseDetail is a case with everything a case page shows.
type CaseDetail struct {
	Case        Case         `json:"case"`
	Assignments []Assignment `json:"assignments"`
	Events      []Event      `json:"events"`
	Attachments []Attachment `json:"attachments"`
	Deadlines   []Deadline   `json:"deadlines"`
	// set are the engine settings read with the case (for AllowedActions).
	set settings
}

// Lead returns the open lead assignment, if any.
func (d *CaseDetail) Lead() (Assignment, bool) {
	for _, a := range d.Assignments {
		if a.Role == RoleLead && a.Status != "returned" {
			return a, true
		}
	}
	return Assignment{}, false
}

// Assignment returns the assignment with id.
func (d *CaseDetail) Assignment(id int64) (Assignment, bool) {
	for _, a := range d.Assignments {
		if a.ID == id {
			return a, true
		}
	}
	return Assignment{}, false
}

// NewAttachment is a file that comes with an intake or an action.
type NewAttachment struct {
	Name        string
	ContentType string // as declared; the stored type is sniffed
	Data        []byte
	Stage       string // before, after, evidence, material
}

// NewCase is what intake needs.
type NewCase struct {
	Flow        string   `json:"flow"`
	Kind        string   `json:"kind,omitempty"`
	RequestType string   `json:"request_type,omitempty"`
	Category    string   `json:"category,omitempty"` // category code
	Title       string   `json:"title"`
	Body        string   `json:"body,omitempty"`
	Priority    string   `json:"priority,omitempty"`
	Channel     string   `json:"channel,omitempty"`
	Source      string   `json:"source,omitempty"`
	ExternalID  string   `json:"external_id,omitempty"`
	Address     string   `json:"address,omitempty"`
	Lng         *float64 `json:"lng,omitempty"`
	Lat         *float64 `json:"lat,omitempty"`
	// PlaceUnit is the unit code of where it happened, chosen by the caller
	// when the point lies in no grid (or there is no point).
	PlaceUnit     string `json:"place_unit,omitempty"`
	ReporterName  string `json:"reporter_name,omitempty"`
	ReporterPhone string `json:"reporter_phone,omitempty"`
	// Dispatch, when set, dispatches the case at intake to this unit code
	// (the call-taker chooses the unit).
	Dispatch string `json:"dispatch,omitempty"`
	// Summon and SummonPeople, when set, summon these units (codes) and
	// people (ids) at intake with the flow's "summon" action (a whistle).
	Summon       []string `json:"summon,omitempty"`
	SummonPeople []int64  `json:"summon_people,omitempty"`
	// Supporting adds these units (codes) as supporting parts at intake,
	// after the dispatch (a township call's supporting departments).
	Supporting []string `json:"supporting,omitempty"`
	// OnSpot closes a grid event at once as fixed on the spot (即办件).
	OnSpot bool `json:"on_spot,omitempty"`
	// Note goes with the intake's actions (the on-the-spot fix's description).
	Note string `json:"note,omitempty"`
	// Matter is the catalogue matter's code (FieldMatter).
	Matter string `json:"matter_code,omitempty"`
	// LimitDays is the case's own time limit in working days (FieldLimit):
	// its handle deadline, kept in the case's data as {"limits": {"handle": "Nd"}}.
	LimitDays int `json:"limit_days,omitempty"`
	// Basis is the legal or policy basis the work is handed on (FieldBasis),
	// kept in the case's data.
	Basis string `json:"basis,omitempty"`
	// DataJSON holds flow-specific fields as a JSON object.
	DataJSON    string          `json:"-"`
	Attachments []NewAttachment `json:"-"`
	// auto is set by intake when the case is dispatched automatically.
	auto *AutoChoice
}

// Action is one move a user asks for.
type Action struct {
	Name         string   `json:"-"`
	AssignmentID int64    `json:"assignment_id,omitempty"`
	Note         string   `json:"note,omitempty"`
	UnitCode     string   `json:"unit,omitempty"`
	UnitCodes    []string `json:"units,omitempty"`
	Days         int      `json:"days,omitempty"`
	Resolved     *bool    `json:"resolved,omitempty"`
	Satisfaction string   `json:"satisfaction,omitempty"`
	Rating       int      `json:"rating,omitempty"`
	Lng          *float64 `json:"lng,omitempty"`
	Lat          *float64 `json:"lat,omitempty"`
	// People are the ids of people to summon (party members, grid workers).
	People []int64 `json:"people,omitempty"`
	// Fields are the flow-specific inputs the action needs (Needs.Fields).
	Fields map[string]string `json:"fields,omitempty"`
	// Version, when not 0, must match the case's version (optimistic lock
	// for forms left open).
	Version     int             `json:"version,omitempty"`
	Attachments []NewAttachment `json:"-"`
	// auto marks the automatic dispatch at intake (its event's data).
	auto *AutoChoice
}
