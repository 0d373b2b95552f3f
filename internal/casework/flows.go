package casework

import "grassroots/internal/access"

// BuiltinFlows returns the flows the engine ships: the 12345 hotline and the
// grid event loop. Later flows (whistle, township_call, enforcement,
// service) are further values of the same type, registered with
// Service.Register or Deps.Flows.
func BuiltinFlows() []Flow {
	return []Flow{HotlineFlow(), GridEventFlow(), WhistleFlow(), TownshipCallFlow(), EnforcementFlow(), ServiceFlow(), CountyTaskFlow(), CivilityAppealFlow()}
}

// Parties used by the built-in flows.
var (
	// handlers are the staff of the unit a part is assigned to.
	handlerRoles = []access.Role{access.RoleDepartment, access.RoleTownship, access.RoleCommunity, access.RoleGrid}
	// localRoles are township and community staff.
	localRoles = []access.Role{access.RoleTownship, access.RoleCommunity}
)

// partyHandler: the staff of the assigned unit itself. Its sub-units are
// asked to help through the flow (a supporting part); they do not sign,
// answer, return or ask for an extension in its name.
func partyHandler() Party { return Party{Roles: handlerRoles, Scope: ScopeUnit} }

// partyLead: the staff of the lead unit itself (the rule that also reveals
// the reporter's phone).
func partyLead() Party { return Party{Roles: handlerRoles, Scope: ScopeLead} }

// countyAdmin: an administrator at the county level — not an administrator
// of a township, who administers users and lists there, not other
// townships' cases.
func countyAdmin() Party { return Party{Roles: []access.Role{access.RoleAdmin}, Scope: ScopeCounty} }

// callCentre: the 12345 call centre that received the case (its staff, not
// whoever typed it in), and county administrators.
func callCentre() []Party {
	return []Party{{Scope: ScopeCallCentre}, countyAdmin()}
}

func supervisorOnly() []Party {
	return []Party{{Roles: []access.Role{access.RoleSupervisor}, Scope: ScopeAny}}
}

// dispatchers approve extensions: the level that dispatched the part, and
// supervisors.
func dispatchers() []Party {
	return []Party{
		{Scope: ScopeDispatcher},
		{Roles: []access.Role{access.RoleSupervisor}, Scope: ScopeAny},
	}
}

// commonActions are shared by the built-in flows: signing, returning,
// extensions, supporting units, supervision and comments. open lists the
// case statuses in which the case is being worked.
func commonActions(open []string, dispatchedFrom []string, returnTo string, dispatchWho []Party) []ActionSpec {
	return []ActionSpec{
		{
			Name: "dispatch", On: OnCase, From: dispatchedFrom, Who: dispatchWho, Needs: Needs{Unit: true},
			Done: Outcome{To: "dispatched", Effects: []Effect{EffDispatch}, Starts: []Start{{Deadline: "sign"}},
				Public: "您反映的问题已转交{unit}办理"},
		},
		{
			Name: "sign", On: OnAssignment, From: []string{"dispatched"}, AssignmentFrom: []string{"to_sign"}, AssignmentRole: RoleLead,
			Who: []Party{partyHandler()},
			Done: Outcome{To: "in_hand", AssignmentTo: "in_hand", Effects: []Effect{EffSign}, Stops: []string{"sign"}, Starts: []Start{{Deadline: "handle"}},
				Public: "{unit}已签收，正在办理"},
		},
		{
			Name: "sign_support", On: OnAssignment, From: open, AssignmentFrom: []string{"to_sign"}, AssignmentRole: RoleSupporting,
			Who:  []Party{partyHandler()},
			Done: Outcome{AssignmentTo: "in_hand", Effects: []Effect{EffSign}, Stops: []string{"sign"}, Starts: []Start{{Deadline: "handle"}}},
		},
		{
			Name: "return", On: OnAssignment, From: open, AssignmentFrom: []string{"to_sign", "in_hand"}, AssignmentRole: RoleLead,
			Who: []Party{partyHandler()}, Needs: Needs{Note: true}, WithinDispatch: "return", NoteLabel: "caseui.note.return",
			Done: Outcome{To: returnTo, AssignmentTo: "returned", Effects: []Effect{EffReturn}, Stops: []string{"sign", "handle"}},
		},
		{
			Name: "request_extension", On: OnAssignment, From: open, AssignmentFrom: []string{"in_hand"}, AssignmentRole: RoleLead,
			Who: []Party{partyHandler()}, Needs: Needs{Note: true, Days: true}, MaxExtensions: 1, NoPendingExtension: true,
			NoteLabel: "caseui.note.request_extension",
			Done:      Outcome{Effects: []Effect{EffRequestExtend}},
		},
		{
			Name: "approve_extension", On: OnAssignment, From: open, AssignmentFrom: []string{"in_hand"}, AssignmentRole: RoleLead,
			Who: dispatchers(), MaxExtensions: 1, PendingExtension: true,
			Done: Outcome{Effects: []Effect{EffApproveExtend}, Public: "办理时限已依规延长"},
		},
		{
			Name: "refuse_extension", On: OnAssignment, From: open, AssignmentFrom: []string{"in_hand"}, AssignmentRole: RoleLead,
			Who: dispatchers(), Needs: Needs{Note: true}, PendingExtension: true, NoteLabel: "caseui.note.refuse",
			Done: Outcome{Effects: []Effect{EffRefuseExtend}},
		},
		{
			Name: "add_supporting", On: OnCase, From: []string{"dispatched", "in_hand"}, Needs: Needs{Unit: true},
			// The lead asks for help; whoever may dispatch adds it too.
			Who:  append([]Party{partyLead()}, dispatchWho...),
			Done: Outcome{Effects: []Effect{EffAddSupporting}, Starts: []Start{{Deadline: "sign"}}},
		},
		{
			Name: "support_done", On: OnAssignment, From: open, AssignmentFrom: []string{"in_hand"}, AssignmentRole: RoleSupporting,
			Who: []Party{partyHandler()}, Needs: Needs{Note: true}, NoteLabel: "caseui.note.support_done",
			Done: Outcome{Effects: []Effect{EffAnswer, EffClosePart}, Stops: []string{"handle"}},
		},
		superviseAction(open),
		commentAction(),
	}
}

// superviseAction is the supervision office's 督办 on an open case.
func superviseAction(open []string) ActionSpec {
	return ActionSpec{
		Name: "supervise", On: OnCase, From: open, Who: supervisorOnly(), Needs: Needs{Note: true}, NoteLabel: "caseui.note.supervise",
		Done: Outcome{Effects: []Effect{EffSupervise}},
	}
}

// commentAction is a remark anyone who sees the case may add, with files.
func commentAction() ActionSpec {
	return ActionSpec{Name: "comment", On: OnCase, Who: []Party{{Scope: ScopeViewer}}, Needs: Needs{Note: true, Files: "evidence"},
		NoteLabel: "caseui.note.comment"}
}

// feedbackAction is 每日一反馈: telling the requester what happened on the
// case today, in words the requester reads on the portal and in the day's
// feedback list (report.Daily, the grid's work ledger). It moves nothing;
// open lists the statuses it may be given in, who those who may give it.
func feedbackAction(open []string, who []Party) ActionSpec {
	return ActionSpec{Name: "feedback", On: OnCase, From: open, Who: who, Needs: Needs{Note: true}, NoteLabel: "caseui.note.feedback",
		DailyFeedback: true, Done: Outcome{Public: "{answer}"}}
}

// gridStaff are the grid workers and community staff whose subtree holds
// the case's grid (and the case's opener).
func gridStaff() Party {
	return Party{Roles: []access.Role{access.RoleGrid, access.RoleCommunity}, Scope: ScopeGrid}
}

// mainActions are the steps that move a case forward in the built-in
// flows, in the order the case page offers them first.
var mainActions = []string{"sign", "contact", "sign_support", "answer", "report_handled", "support_done", "revisit", "check", "dispatch",
	"register", "approve_extension", "reopen", "fix_on_spot"}

// primaryOf lists the flow's own actions among names, in the order of names.
func primaryOf(f Flow, names ...string) []string {
	var out []string
	for _, n := range names {
		if _, ok := f.Action(n); ok {
			out = append(out, n)
		}
	}
	return out
}

// HotlineFlow is the 12345 flow: received → dispatched → (signed) in_hand →
// answered → revisited: closed, or unresolved → reopened (重办) or closed;
// a misrouted case is returned (退回) to the call centre and re-dispatched.
func HotlineFlow() Flow {
	open := []string{"dispatched", "in_hand"}
	f := Flow{
		Name:             "hotline",
		Start:            "received",
		OpenScope:        ScopeCallCentre,
		NeedsRequestType: true,
		Public:           true,
		AutoDispatch:     true,
		Nav:              NavEntry{ID: "cases", Key: "nav.cases", Href: "/cases"},
		Report:           ReportPortal,
		// The call-taker's screen.
		Create: CreateForm{Fields: []FormField{{Name: FieldReporter}, {Name: FieldRequestType, Required: true}, {Name: FieldCategory},
			{Name: FieldPriority}, {Name: FieldTitle, Required: true}, {Name: FieldBody}, {Name: FieldAddress}, {Name: FieldPoint},
			{Name: FieldPlaceUnit}, {Name: FieldDispatch}, {Name: FieldFiles}}},
		States: []State{
			{Name: "received", Public: "已受理，等待派单"},
			{Name: "dispatched", Public: "已转交承办单位"},
			{Name: "in_hand", Public: "正在办理"},
			{Name: "returned", Public: "正在重新派单"},
			{Name: "answered", Public: "已答复，等待回访"},
			{Name: "unresolved", Public: "回访未解决，正在处理"},
			{Name: "closed", Final: true, Public: "已办结"},
		},
	}
	f.Actions = commonActions(open, []string{"received", "returned"}, "returned", callCentre())
	// 先行联系: the lead's first call to the requester is due within the
	// contact limit of dispatch (响应率, docs/RATES.md).
	for i := range f.Actions {
		if f.Actions[i].Name == "dispatch" {
			f.Actions[i].Done.Starts = append(f.Actions[i].Done.Starts, Start{Deadline: "contact"})
		}
	}
	f.Actions = append(f.Actions,
		ActionSpec{
			Name: "contact", On: OnAssignment, From: open, AssignmentFrom: []string{"to_sign", "in_hand"}, AssignmentRole: RoleLead,
			Who: []Party{partyHandler()}, Needs: Needs{Outcome: true}, NoteLabel: "caseui.note.contact",
			OutcomeLabels: []string{"caseui.outcome.reached", "caseui.outcome.not_reached"},
			Done:          Outcome{Effects: []Effect{EffContact}, Public: "已联系您"},
			Failed:        &Outcome{Effects: []Effect{EffContact}, Public: "承办单位致电您，未能接通"},
		},
		ActionSpec{
			Name: "answer", On: OnAssignment, From: []string{"in_hand"}, AssignmentFrom: []string{"in_hand"}, AssignmentRole: RoleLead,
			Who: []Party{partyHandler()}, Needs: Needs{Note: true, Files: "evidence"}, NoteLabel: "caseui.note.answer",
			Done: Outcome{To: "answered", AssignmentTo: "answered", Effects: []Effect{EffAnswer}, Stops: []string{"handle"},
				Starts: []Start{{Deadline: "revisit"}}, Public: "{unit}已答复：{answer}"},
		},
		ActionSpec{
			Name: "revisit", On: OnCase, From: []string{"answered"}, Who: callCentre(),
			Needs: Needs{Outcome: true, Satisfaction: true, Unreached: true, NoteOnFail: true}, NoteLabel: "caseui.note.revisit",
			Done: Outcome{To: "closed", Effects: []Effect{EffRevisit}, Stops: []string{"revisit"}, Public: "已回访，工单办结"},
			Failed: &Outcome{To: "unresolved", Effects: []Effect{EffRevisit}, Stops: []string{"revisit"},
				Public: "已回访，问题尚未解决，将继续处理"},
		},
		ActionSpec{
			Name: "reopen", On: OnCase, From: []string{"unresolved"}, Who: callCentre(), Needs: Needs{Note: true}, NoteLabel: "caseui.note.reopen",
			Done: Outcome{To: "in_hand", Effects: []Effect{EffReopen}, Starts: []Start{{Deadline: "handle", OnLead: true}},
				Public: "已退回承办单位重新办理"},
		},
		ActionSpec{
			Name: "close", On: OnCase, From: []string{"unresolved"}, Who: callCentre(), Needs: Needs{Note: true}, NoteLabel: "caseui.note.close",
			Done: Outcome{To: "closed", Public: "工单已办结"},
		},
		// 每日一反馈: the lead unit, the grid's worker and the call centre
		// tell the requester where the case stands today.
		feedbackAction([]string{"received", "dispatched", "in_hand", "returned", "answered", "unresolved"},
			append([]Party{partyLead(), gridStaff()}, callCentre()...)),
	)
	f.Primary = primaryOf(f, mainActions...)
	return f
}

// GridEventFlow is the digital city-management loop: a grid worker reports
// (photo, place, category) → the community or township sets the case up
// (立案) → dispatched → signed, handled → handling reported with an after
// photo → checked on site by the grid worker (核查): passed → closed, failed
// → back to handling. A matter fixed on the spot (即办件) is closed at once.
func GridEventFlow() Flow {
	open := []string{"dispatched", "in_hand"}
	placeStaff := Party{Roles: localRoles, Scope: ScopePlace}
	setUp := []Party{placeStaff, {Roles: []access.Role{access.RoleAdmin}, Scope: ScopePlace}, countyAdmin(),
		{Roles: []access.Role{access.RoleSupervisor}, Scope: ScopeAny}}
	gridWorker := []Party{gridStaff()}
	f := Flow{
		Name:      "grid_event",
		Start:     "reported",
		OpenScope: ScopePlace,
		OpenedBy:  []access.Role{access.RoleGrid, access.RoleCommunity, access.RoleTownship, access.RoleAdmin},
		Nav:       NavEntry{ID: "grid_events", Key: "nav.grid_events", Href: "/cases?flow=grid_event"},
		Report:    ReportPatrol,
		// Its own figures: checked on site, closed on time, fixed on the spot.
		Figures: []string{"checked", "on_time", "overdue", "on_spot"},
		Create: CreateForm{Fields: []FormField{{Name: FieldCategory, Required: true}, {Name: FieldPriority}, {Name: FieldTitle, Required: true},
			{Name: FieldBody}, {Name: FieldAddress}, {Name: FieldPoint}, {Name: FieldPlaceUnit}, {Name: FieldDispatch}, {Name: FieldFiles}}},
		// A grid worker's report comes in by the grid channel, always with
		// a category and a place.
		Channels:      map[access.Role]string{access.RoleGrid: "grid"},
		NeedsCategory: true,
		NeedsPlace:    true,
		States: []State{
			{Name: "reported", Public: "已上报"},
			{Name: "registered", Public: "已立案"},
			{Name: "dispatched", Public: "已派遣"},
			{Name: "in_hand", Public: "正在处置"},
			{Name: "returned", Public: "正在重新派遣"},
			{Name: "handled", Public: "已处置，等待核查"},
			{Name: "closed", Final: true, Public: "已结案"},
			{Name: "dismissed", Final: true, Public: "不予立案"},
		},
	}
	f.Actions = []ActionSpec{
		{
			Name: "fix_on_spot", On: OnCase, From: []string{"reported"}, Who: []Party{{Scope: ScopeOpener}},
			Needs: Needs{Note: true, Files: "evidence"}, NoteLabel: "caseui.note.handling",
			Done: Outcome{To: "closed", Effects: []Effect{EffOnSpot}, Public: "网格员已现场处置：{answer}"},
		},
		{
			Name: "register", On: OnCase, From: []string{"reported"}, Who: setUp,
			Done: Outcome{To: "registered"},
		},
		{
			Name: "dismiss", On: OnCase, From: []string{"reported"}, Who: setUp, Needs: Needs{Note: true}, NoteLabel: "caseui.note.dismiss",
			Done: Outcome{To: "dismissed"},
		},
	}
	f.Actions = append(f.Actions, commonActions(open, []string{"registered", "returned"}, "returned", setUp)...)
	f.Actions = append(f.Actions,
		ActionSpec{
			Name: "report_handled", On: OnAssignment, From: []string{"in_hand"}, AssignmentFrom: []string{"in_hand"}, AssignmentRole: RoleLead,
			Who: []Party{partyHandler()}, Needs: Needs{Note: true, Attachment: "after"}, NoteLabel: "caseui.note.handling",
			Done: Outcome{To: "handled", AssignmentTo: "answered", Effects: []Effect{EffAnswer}, Stops: []string{"handle"}, Starts: []Start{{Deadline: "check"}}},
		},
		ActionSpec{
			Name: "check", On: OnCase, From: []string{"handled"}, Who: gridWorker, Needs: Needs{Outcome: true, NoteOnFail: true},
			NoteLabel: "caseui.note.check", OutcomeLabels: []string{"caseui.outcome.passed", "caseui.outcome.failed"},
			Done:   Outcome{To: "closed", Effects: []Effect{EffRevisit}, Stops: []string{"check"}},
			Failed: &Outcome{To: "in_hand", Effects: []Effect{EffRevisit, EffLeadBackInHand}, Stops: []string{"check"}, Starts: []Start{{Deadline: "handle", OnLead: true}}},
		},
		// 每日一反馈: the grid's worker, the lead unit and the place's staff
		// tell whoever raised it where the event stands today.
		feedbackAction([]string{"reported", "registered", "dispatched", "in_hand", "returned", "handled"},
			[]Party{gridStaff(), partyLead(), placeStaff}),
	)
	f.Primary = primaryOf(f, mainActions...)
	return f
}
