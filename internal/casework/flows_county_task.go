package casework

import "grassroots/internal/access"

// CountyTaskFlow is a county department's hand-down (县直部门交办): the
// department hands a township work through a form made for it — the matter
// (事项) from the catalogue, the township, the time limit in working days
// and the basis (法律法规或政策依据) — not through the 12345 intake with a
// made-up requester. The case goes at once to the township of its place
// (DispatchToPlace), and the access list (职责准入清单) is checked with the
// matter: a matter the list does not admit is refused and the refusal
// recorded, and no case is opened. The township signs within 1 working day
// (flow default; setting casework.limit.sign.county_task), may return it
// within 2 with reasons, and reports the result within the form's time
// limit (the case's own limit, which wins over the settings); the
// department accepts it (closed) or sends it back. A returned hand-down may
// be sent again (to a township) or withdrawn.
func CountyTaskFlow() Flow {
	open := []string{"dispatched", "in_hand"}
	dept := Party{Roles: []access.Role{access.RoleDepartment}, Scope: ScopeOpener}
	sendWho := []Party{dept}
	towns := []string{"township", "street"}
	f := Flow{
		Name:            "county_task",
		Start:           "raised",
		OpenedBy:        []access.Role{access.RoleDepartment},
		OpenScope:       ScopePlace,
		DispatchToPlace: true,
		Nav:             NavEntry{ID: "county_tasks", Key: "nav.county_tasks", Href: "/cases?flow=county_task"},
		Create: CreateForm{Title: "task.new", Channel: "web", Submit: "task.submit", Help: "task.help",
			Fields: []FormField{{Name: FieldMatter, Required: true}, {Name: FieldPlace, Required: true}, {Name: FieldLimit, Required: true},
				{Name: FieldBasis, Required: true}, {Name: FieldTitle, Required: true}, {Name: FieldBody}, {Name: FieldFiles}}},
		States: []State{
			{Name: "raised", Label: "task.status.raised", Public: "已交办"},
			{Name: "dispatched", Public: "等待乡镇（街道）签收"},
			{Name: "in_hand", Public: "乡镇（街道）正在办理"},
			{Name: "returned", Public: "已退回交办部门"},
			{Name: "answered", Public: "已报结果，等待交办部门验收"},
			{Name: "closed", Final: true, Public: "已办结"},
			{Name: "withdrawn", Final: true, Public: "已撤回"},
		},
		Limits: map[string]string{"sign": "1d", "handle": "10d", "return": "2d"},
	}
	f.Actions = commonActions(open, []string{"raised", "returned"}, "returned", sendWho)
	for i := range f.Actions {
		switch f.Actions[i].Name {
		case "dispatch":
			f.Actions[i].UnitKinds = towns
			f.Actions[i].Needs.Matter = true
		case "add_supporting":
			f.Actions[i].UnitKinds = []string{"township", "street", "department"}
		}
	}
	f.Actions = append(f.Actions, answerAndRate(sendWho)...)
	f.Actions = append(f.Actions,
		ActionSpec{
			Name: "withdraw", On: OnCase, From: []string{"returned", "dispatched"}, Who: sendWho, Needs: Needs{Note: true},
			Done: Outcome{To: "withdrawn"},
		},
	)
	f.Primary = primaryOf(f, mainActions...)
	return f
}
