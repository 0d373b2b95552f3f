package casework

import "grassroots/internal/access"

// ServiceFlowName is the name of the flow service applications run on; the
// service window's own pages and API (internal/service) are built on it.
const ServiceFlowName = "service"

// ServiceFlow is a service application (便民服务): accepted at any window
// (无差别综合窗口) and dispatched at once to the back office of the office
// or department responsible (its handling clock starts at acceptance, with
// the item's promised limit carried by the case); signed for, handled, with
// supplements asked (the clock stops) and given (it restarts with the time
// left); approved or refused with reasons; then delivered at the unified
// window, by post or online. An immediate item (即办件) is finished and
// delivered at the window. The service package keeps the item, materials,
// channel, visits and reviews beside the case.
func ServiceFlow() Flow {
	window := Party{Scope: ScopeOpener}
	admins := countyAdmin()
	supervisors := Party{Roles: []access.Role{access.RoleSupervisor}, Scope: ScopeAny}
	backOffice := partyHandler()
	open := []string{"dispatched", "in_hand", "supplement"}
	return Flow{
		Name: ServiceFlowName,
		Nav:  NavEntry{ID: "service", Key: "nav.service", Href: "/service"},
		// 好差评: the five-level review of the service window, one per
		// application (internal/service).
		ReviewHref: "/portal/service/track",
		Primary:    []string{"sign", "dispatch", "fix_on_spot"},
		Start:      "accepted",
		Kinds:      []string{"immediate", "promised"},
		OpenedBy:   []access.Role{access.RoleTownship, access.RoleCommunity, access.RoleDepartment, access.RoleAdmin},
		Limits:     map[string]string{"sign": "1d", "handle": "5d", "return": "1d"},
		States: []State{
			{Name: "accepted", Public: "已受理"},
			{Name: "dispatched", Public: "已受理，已转后台办理"},
			{Name: "in_hand", Public: "正在办理"},
			{Name: "supplement", Public: "待补正材料（办理时限暂停计算）"},
			{Name: "returned", Public: "正在重新分送"},
			{Name: "approved", Public: "已办结，等待出件"},
			{Name: "refused", Public: "不予办理，等待送达"},
			{Name: "delivered", Final: true, Public: "已出件"},
			{Name: "withdrawn", Final: true, Public: "已撤回"},
		},
		Actions: []ActionSpec{
			{
				Name: "dispatch", On: OnCase, From: []string{"accepted", "returned"}, Who: []Party{window, admins, supervisors}, Needs: Needs{Unit: true},
				Done: Outcome{To: "dispatched", Effects: []Effect{EffDispatch}, Starts: []Start{{Deadline: "sign"}, {Deadline: "handle"}},
					Public: "已受理，转{unit}办理"},
			},
			{
				Name: "fix_on_spot", On: OnCase, From: []string{"accepted"}, Who: []Party{window}, Needs: Needs{Note: true, Files: "evidence"},
				NoteLabel: "caseui.note.handling",
				Done:      Outcome{To: "delivered", Effects: []Effect{EffOnSpot}, Public: "即办件，已当场办结并出件"},
			},
			{
				Name: "sign", On: OnAssignment, From: []string{"dispatched"}, AssignmentFrom: []string{"to_sign"}, AssignmentRole: RoleLead,
				Who:  []Party{backOffice},
				Done: Outcome{To: "in_hand", AssignmentTo: "in_hand", Effects: []Effect{EffSign}, Stops: []string{"sign"}, Public: "{unit}已开始办理"},
			},
			{
				Name: "return", On: OnAssignment, From: []string{"dispatched", "in_hand"}, AssignmentFrom: []string{"to_sign", "in_hand"}, AssignmentRole: RoleLead,
				Who: []Party{backOffice}, Needs: Needs{Note: true}, WithinDispatch: "return", NoteLabel: "caseui.note.return",
				Done: Outcome{To: "returned", AssignmentTo: "returned", Effects: []Effect{EffReturn}, Stops: []string{"sign", "handle"}},
			},
			{
				Name: "ask_supplement", On: OnAssignment, From: []string{"in_hand"}, AssignmentFrom: []string{"in_hand"}, AssignmentRole: RoleLead,
				Who: []Party{backOffice}, Needs: Needs{Note: true},
				Done: Outcome{To: "supplement", Pauses: []string{"handle"}, Public: "请补正材料：{answer}（补正期间办理时限暂停计算）"},
			},
			{
				Name: "give_supplement", On: OnCase, From: []string{"supplement"}, Who: []Party{window, partyLead(), admins, supervisors},
				Needs: Needs{Note: true, Fields: []string{"via"}},
				Done:  Outcome{To: "in_hand", Resumes: []string{"handle"}, Public: "材料已补正，继续办理"},
			},
			{
				Name: "approve", On: OnAssignment, From: []string{"in_hand"}, AssignmentFrom: []string{"in_hand"}, AssignmentRole: RoleLead,
				Who: []Party{backOffice}, Needs: Needs{Note: true, Files: "result"},
				Done: Outcome{To: "approved", AssignmentTo: "answered", Effects: []Effect{EffAnswer}, Stops: []string{"handle"}, Public: "已办结，准予办理：{answer}"},
			},
			{
				Name: "refuse", On: OnAssignment, From: []string{"in_hand"}, AssignmentFrom: []string{"in_hand"}, AssignmentRole: RoleLead,
				Who: []Party{backOffice}, Needs: Needs{Note: true, Files: "result"},
				Done: Outcome{To: "refused", AssignmentTo: "answered", Effects: []Effect{EffAnswer}, Stops: []string{"handle"}, Public: "不予办理，理由：{answer}"},
			},
			{
				Name: "deliver", On: OnCase, From: []string{"approved", "refused"}, Who: []Party{window, partyLead(), admins, supervisors},
				Needs: Needs{Fields: []string{"delivery"}},
				Done:  Outcome{To: "delivered", Public: "办理结果已送达"},
			},
			{
				Name: "withdraw", On: OnCase, From: append([]string{"accepted", "returned"}, open...), Who: []Party{window, admins, supervisors}, Needs: Needs{Note: true},
				Done: Outcome{To: "withdrawn", Public: "申请已撤回"},
			},
			superviseAction(open),
			commentAction(),
		},
	}
}
