package casework

import "grassroots/internal/access"

// TownshipCallFlow is "township calls, county responds" (乡呼县应): a
// township raises a matter it cannot settle alone; the lists propose the
// responsible county department and the supporting units from the category
// (DispatchFromCategory), and the township sends it. The department signs
// within 1 working day and answers within 5 (flow defaults; settings
// casework.limit.sign.township_call and casework.limit.handle.township_call
// override them); a missed deadline escalates to the county supervision
// office, which supervises (督办) and may reassign the call (改派). A
// department may return a call that is not its matter. The township rates
// the answer: resolved closes the call, unresolved sends it back to the
// department.
func TownshipCallFlow() Flow {
	open := []string{"dispatched", "in_hand"}
	township := Party{Roles: []access.Role{access.RoleTownship}, Scope: ScopeOpener}
	caller := []Party{township, {Roles: []access.Role{access.RoleTownship}, Scope: ScopePlace}}
	sendWho := append(append([]Party{}, caller...), Party{Roles: []access.Role{access.RoleSupervisor}, Scope: ScopeAny})
	f := Flow{
		Name: "township_call",
		Card: []CardFigure{CardCalls, CardReturns},
		// Its own figures: answered in time, and rated by the township.
		Figures:              []string{"signing", "answered_on_time", "overdue", "rated", "rated_resolved"},
		Start:                "raised",
		OpenedBy:             []access.Role{access.RoleTownship, access.RoleAdmin},
		OpenScope:            ScopePlace,
		DispatchFromCategory: true,
		Nav:                  NavEntry{ID: "township_calls", Key: "nav.township_calls", Href: "/township-calls"},
		List:                 ListParties,
		APIList:              "/api/v1/township-calls",
		// The lists propose the department and the supporting units from
		// the category.
		Create: CreateForm{Title: "coord.call.new", Channel: "web", Submit: "coord.call.raise",
			Fields: []FormField{{Name: FieldCategory}, {Name: FieldPropose}, {Name: FieldTitle, Required: true}, {Name: FieldBody},
				{Name: FieldPlace, Required: true}, {Name: FieldAddress}}},
		States: []State{
			{Name: "raised", Public: "已呼叫"},
			{Name: "dispatched", Public: "等待县直部门签收"},
			{Name: "in_hand", Public: "县直部门正在办理"},
			{Name: "returned", Public: "已退回，等待重新呼叫"},
			{Name: "answered", Public: "已答复，等待乡镇评价"},
			{Name: "closed", Final: true, Public: "已办结"},
			{Name: "withdrawn", Final: true, Public: "已撤回"},
		},
		Limits: map[string]string{"sign": "1d", "handle": "5d", "return": "1d"},
	}
	f.Actions = commonActions(open, []string{"raised", "returned"}, "returned", sendWho)
	for i := range f.Actions {
		switch f.Actions[i].Name {
		case "dispatch", "add_supporting":
			// A call goes to county departments (and other townships that support).
			f.Actions[i].UnitKinds = []string{"department", "township", "street"}
		}
	}
	f.Actions = append(f.Actions, answerAndRate(caller)...)
	f.Actions = append(f.Actions,
		ActionSpec{
			Name: "reassign", On: OnAssignment, From: open, AssignmentFrom: []string{"to_sign", "in_hand"}, AssignmentRole: RoleLead,
			Who: supervisorOnly(), Needs: Needs{Unit: true, Note: true}, UnitKinds: []string{"department", "township", "street"},
			Done: Outcome{To: "dispatched", AssignmentTo: "returned", Effects: []Effect{EffReturn, EffDispatch}, Stops: []string{"sign", "handle"},
				Starts: []Start{{Deadline: "sign"}}},
		},
		ActionSpec{
			Name: "withdraw", On: OnCase, From: []string{"raised", "returned", "dispatched"}, Who: caller, Needs: Needs{Note: true},
			Done: Outcome{To: "withdrawn"},
		},
	)
	f.Primary = primaryOf(f, mainActions...)
	return f
}

// answerAndRate are the actions of a flow whose lead answers with evidence
// and whose sender rates the answer: resolved closes the case, unresolved
// sends it back to the lead with the handling limit started again.
func answerAndRate(rater []Party) []ActionSpec {
	return []ActionSpec{
		{
			Name: "answer", On: OnAssignment, From: []string{"in_hand"}, AssignmentFrom: []string{"in_hand"}, AssignmentRole: RoleLead,
			Who: []Party{partyHandler()}, Needs: Needs{Note: true, Files: "evidence"}, NoteLabel: "caseui.note.answer",
			Done: Outcome{To: "answered", AssignmentTo: "answered", Effects: []Effect{EffAnswer}, Stops: []string{"handle"}},
		},
		{
			Name: "rate", On: OnAssignment, From: []string{"answered"}, AssignmentFrom: []string{"answered"}, AssignmentRole: RoleLead,
			Who: rater, Needs: Needs{Outcome: true, Rating: true, NoteOnFail: true},
			Done:   Outcome{To: "closed", Effects: []Effect{EffRate, EffRevisit}},
			Failed: &Outcome{To: "in_hand", AssignmentTo: "in_hand", Effects: []Effect{EffRate, EffRevisit}, Starts: []Start{{Deadline: "handle"}}},
		},
	}
}
