package casework

import "grassroots/internal/access"

// Enforcement kinds: an enforcement case (案件, kind "") or a coordination
// request between enforcement units (协调协作, kind "coordination").
const (
	EnforcementCase         = ""
	EnforcementCoordination = "coordination"
)

// EnforcementFlow is enforcement transfer and coordination (案件移送、协调协作).
// A township's comprehensive enforcement team (综合执法队) or a county
// department opens an enforcement case and handles it (handling); either
// side may transfer it to the other (移送) with the reason, the legal basis
// and the evidence list (attachments of stage "evidence"). The receiver
// accepts it (接收) or returns it with reasons (退回) within 3 working days
// (flow default; setting casework.limit.sign.enforcement). After a return the
// sender handles it, transfers it again, or disputes the return (争议); the
// county (supervision office) settles a dispute by ruling which unit handles
// it, and that unit has the case at once. Coordination requests use the same
// steps: transfer = request, accept = agree to help, return = decline.
//
// A case names its matter (事项) from the catalogue; a transfer or a ruling
// may name it when the case has none. A county department's hand-down to a
// township (and a ruling that sends a department's case to a township) is
// checked against the access list with that matter. A penalty decision
// (作出处罚决定, which closes the case) is a decision (ActionSpec.Decision):
// a township takes it only for a matter the empowerment list grants to its
// township type or to it alone; otherwise it is refused, the refusal is
// recorded, and the case is transferred to the county department.
func EnforcementFlow() Flow {
	enforcers := []access.Role{access.RoleTownship, access.RoleDepartment}
	opener := Party{Roles: enforcers, Scope: ScopeOpener}
	county := Party{Roles: []access.Role{access.RoleSupervisor}, Scope: ScopeAny}
	holder := Party{Roles: enforcers, Scope: ScopeLead}
	sides := []string{"department", "township", "street"}
	return Flow{
		Name:      "enforcement",
		Card:      []CardFigure{CardTransfers, CardReturns},
		Nav:       NavEntry{ID: "enforcement", Key: "nav.enforcement", Href: "/enforcement"},
		List:      ListParties,
		APIList:   "/api/v1/enforcement-cases",
		ListLinks: []NavEntry{{ID: "zones", Key: "coord.enf.zones", Href: "/enforcement/zones"}},
		Create: CreateForm{Title: "coord.enf.new", Channel: "web", Submit: "coord.enf.open", Help: "coord.enf.help",
			Fields: []FormField{{Name: FieldKind}, {Name: FieldMatter, Required: true}, {Name: FieldTitle, Required: true}, {Name: FieldBody},
				{Name: FieldPlace, Required: true}, {Name: FieldAddress}}},
		Start:     "handling",
		Kinds:     []string{EnforcementCase, EnforcementCoordination},
		OpenedBy:  []access.Role{access.RoleTownship, access.RoleDepartment, access.RoleAdmin},
		OpenScope: ScopePlace,
		States: []State{
			{Name: "handling", Public: "办理中"},
			{Name: "transferring", Public: "移送中，等待接收"},
			{Name: "accepted", Public: "已接收，正在办理"},
			{Name: "returned", Public: "已退回移送单位"},
			{Name: "disputed", Public: "移送争议，等待县级裁决"},
			{Name: "closed", Final: true, Public: "已结案"},
		},
		Limits: map[string]string{"sign": "3d", "handle": "15d"},
		Actions: []ActionSpec{
			{
				Name: "transfer", On: OnCase, From: []string{"handling", "returned"}, Who: []Party{opener},
				Needs: Needs{Unit: true, Note: true, Fields: []string{"basis"}, Attachment: "evidence", Matter: true}, UnitKinds: sides,
				Done: Outcome{To: "transferring", Effects: []Effect{EffDispatch}, Starts: []Start{{Deadline: "sign"}}},
			},
			{
				Name: "accept_transfer", On: OnAssignment, From: []string{"transferring"}, AssignmentFrom: []string{"to_sign"}, AssignmentRole: RoleLead,
				Who:  []Party{partyHandler()},
				Done: Outcome{To: "accepted", AssignmentTo: "in_hand", Effects: []Effect{EffSign}, Stops: []string{"sign"}, Starts: []Start{{Deadline: "handle"}}},
			},
			{
				Name: "return_transfer", On: OnAssignment, From: []string{"transferring"}, AssignmentFrom: []string{"to_sign"}, AssignmentRole: RoleLead,
				Who: []Party{partyHandler()}, Needs: Needs{Note: true},
				Done: Outcome{To: "returned", AssignmentTo: "returned", Effects: []Effect{EffReturn}, Stops: []string{"sign"}},
			},
			{
				Name: "dispute", On: OnCase, From: []string{"returned"}, Who: []Party{opener}, Needs: Needs{Note: true},
				Done: Outcome{To: "disputed"},
			},
			{
				Name: "settle", On: OnCase, From: []string{"disputed"}, Who: []Party{county}, Needs: Needs{Unit: true, Note: true, Matter: true}, UnitKinds: sides,
				AccessFromOpener: true,
				Done:             Outcome{To: "accepted", Effects: []Effect{EffDispatch}, CreatedStatus: "in_hand", Starts: []Start{{Deadline: "handle"}}},
			},
			{
				Name: "conclude", On: OnAssignment, From: []string{"accepted"}, AssignmentFrom: []string{"in_hand"}, AssignmentRole: RoleLead,
				Who: []Party{holder}, Needs: Needs{Note: true},
				Done: Outcome{To: "closed", AssignmentTo: "answered", Effects: []Effect{EffAnswer}, Stops: []string{"handle"}},
			},
			{
				// 作出处罚决定 on the opener's own case: a decision.
				Name: "decide", On: OnCase, From: []string{"handling", "returned"}, Who: []Party{opener}, Decision: true,
				Needs: Needs{Note: true, Fields: []string{"decision_no"}, Files: "evidence"}, NoteLabel: "caseui.note.decision",
				Done: Outcome{To: "closed"},
			},
			{
				// 作出处罚决定 on a case transferred to (or ruled to) the unit.
				Name: "decide_accepted", On: OnAssignment, From: []string{"accepted"}, AssignmentFrom: []string{"in_hand"}, AssignmentRole: RoleLead,
				Who: []Party{holder}, Decision: true, Needs: Needs{Note: true, Fields: []string{"decision_no"}, Files: "evidence"}, NoteLabel: "caseui.note.decision",
				Done: Outcome{To: "closed", AssignmentTo: "answered", Effects: []Effect{EffAnswer}, Stops: []string{"handle"}},
			},
			{
				Name: "close_own", On: OnCase, From: []string{"handling", "returned"}, Who: []Party{opener}, Needs: Needs{Note: true},
				Done: Outcome{To: "closed"},
			},
			{
				Name: "supervise", On: OnCase, From: []string{"handling", "transferring", "accepted", "returned", "disputed"}, Who: supervisorOnly(), Needs: Needs{Note: true},
				NoteLabel: "caseui.note.supervise",
				Done:      Outcome{Effects: []Effect{EffSupervise}},
			},
			commentAction(),
		},
	}
}
