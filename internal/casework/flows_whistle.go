package casework

import "grassroots/internal/access"

// Whistle kinds (吹哨报到): who blows and who reports in.
const (
	WhistleStreet       = "street"       // 街道吹哨、部门报到: a street or township summons county departments and other units
	WhistleCommunity    = "community"    // 社区吹哨、党员报到: a community summons registered party members and co-building organisations
	WhistleResident     = "resident"     // 百姓吹哨、服务报到: a resident's whistle summons the service units responsible
	WhistleOrganisation = "organisation" // 组织吹哨、一线报到: a party organisation summons front-line cadres and grid workers
)

// WhistleKinds lists the kinds in display order.
var WhistleKinds = []string{WhistleStreet, WhistleCommunity, WhistleResident, WhistleOrganisation}

// WhistleFlow is whistle and report (吹哨报到): the whistler names the matter,
// the place, the urgency and whom it summons; every summoned party gets its
// own part with a report-in deadline (30 working minutes when urgent, 2
// working hours otherwise; settings casework.limit.report_in.whistle.<kind>.<priority>)
// and a handling deadline. A party accepts or refuses (with a reason),
// reports in on site (who, when, optionally where), and reports its result;
// "事不完人不撤": its part closes only when the whistler accepts the result
// and rates it (评价权); a rejected result sends the party back to work. The
// whistle closes when every part is done. A party member's hours on a part
// count as volunteer service.
func WhistleFlow() Flow {
	open := []string{"blown", "responding"}
	// The whistler: whoever blew it, or anyone at the unit that blew it (a
	// resident's whistle is received by the place's township, intake.go's
	// receivingUnit). Only the whistler summons, judges the results and
	// cancels: a summoned party acts on its own part, never on the whistle.
	whistler := []Party{{Scope: ScopeOpener}}
	// A summoned party: the staff of the summoned unit itself; for a
	// person's part, the person on their own page, or the staff of the unit
	// the person belongs to recording for them.
	party := []Party{
		{Roles: handlerRoles, Scope: ScopeUnit},
		{Scope: ScopePerson},
	}
	localAndCounty := []string{"department", "township", "street", "community", "village", "grid"}
	return Flow{
		Name: "whistle",
		// A department summoned reports in, or refuses, in person.
		Card: []CardFigure{CardWhistles, CardReportIn, CardRefusals},
		// Its own figures: the summoned parties' report-in and results.
		Figures: []string{"report_in", "accepted"},
		Nav:     NavEntry{ID: "whistles", Key: "nav.whistles", Href: "/whistles"},
		List:    ListParties,
		APIList: "/api/v1/whistles",
		// The list counts the parties that reported in and finished.
		Progress:  true,
		ListLinks: []NavEntry{{ID: "members", Key: "coord.members.title", Href: "/whistles/members"}},
		// Whom the whistle summons depends on its kind and place.
		Create: CreateForm{Title: "coord.whistle.new", Channel: "web", Submit: "coord.whistle.blow", Help: "coord.whistle.help",
			Fields: []FormField{{Name: FieldKind}, {Name: FieldPlace, Required: true}, {Name: FieldTitle, Required: true}, {Name: FieldBody},
				{Name: FieldAddress}, {Name: FieldPriority}, {Name: FieldCategory}, {Name: FieldSummon}},
			Priority:   PriorityUrgent,
			KindByUnit: map[string]string{"community": WhistleCommunity, "village": WhistleCommunity}},
		Start: "blown",
		Kinds: WhistleKinds,
		// Residents blow their own whistle on the portal; staff blow the rest.
		Public:      true,
		PublicKinds: []string{WhistleResident},
		OpenedBy:    []access.Role{access.RoleTownship, access.RoleCommunity, access.RoleDepartment, access.RoleAdmin, access.RoleSupervisor},
		OpenScope:   ScopePlace,
		States: []State{
			{Name: "blown", Public: "已吹哨，等待报到"},
			{Name: "responding", Public: "已报到，正在处置"},
			{Name: "closed", Final: true, Public: "已办结"},
			{Name: "cancelled", Final: true, Public: "已撤哨"},
		},
		Limits: map[string]string{
			"report_in.urgent": "30m", "report_in": "2wh",
			"handle.urgent": "1d", "handle": "3d",
		},
		Summons: map[string]SummonRule{
			WhistleStreet:       {UnitKinds: localAndCounty},
			WhistleCommunity:    {CoBuilding: true, PersonRoles: []string{"party_member"}, RegisteredAtPlace: true},
			WhistleResident:     {UnitKinds: localAndCounty},
			WhistleOrganisation: {UnitKinds: []string{"grid"}, PersonRoles: []string{"cadre", "grid_worker"}, InTownship: true},
		},
		Actions: []ActionSpec{
			{
				Name: "summon", On: OnCase, From: open, Who: append(whistler, countyAdmin()),
				Needs: Needs{Units: true, People: true},
				Done: Outcome{Effects: []Effect{EffSummon}, Starts: []Start{{Deadline: "report_in"}, {Deadline: "handle"}},
					Public: "已召集{unit}等单位报到"},
			},
			{
				Name: "accept_summons", On: OnAssignment, From: open, AssignmentFrom: []string{"to_sign"}, AssignmentRole: RoleSummoned,
				Who:  party,
				Done: Outcome{AssignmentTo: "accepted", Effects: []Effect{EffSign}},
			},
			{
				Name: "refuse_summons", On: OnAssignment, From: open, AssignmentFrom: []string{"to_sign", "accepted"}, AssignmentRole: RoleSummoned,
				Who: party, Needs: Needs{Note: true},
				Done: Outcome{AssignmentTo: "refused", Effects: []Effect{EffReturn}, Stops: []string{"report_in", "handle"}},
			},
			{
				Name: "report_in", On: OnAssignment, From: open, AssignmentFrom: []string{"to_sign", "accepted"}, AssignmentRole: RoleSummoned,
				Who: party, Needs: Needs{OfferPoint: true},
				Done: Outcome{To: "responding", AssignmentTo: "reported", Effects: []Effect{EffSign, EffReportIn}, Stops: []string{"report_in"}},
			},
			{
				Name: "report_result", On: OnAssignment, From: open, AssignmentFrom: []string{"reported"}, AssignmentRole: RoleSummoned,
				Who: party, Needs: Needs{Note: true},
				Done: Outcome{AssignmentTo: "answered", Effects: []Effect{EffAnswer}, Stops: []string{"handle"}},
			},
			{
				Name: "accept_result", On: OnAssignment, From: open, AssignmentFrom: []string{"answered"}, AssignmentRole: RoleSummoned,
				Who: whistler, Needs: Needs{Rating: true},
				Done: Outcome{Effects: []Effect{EffRate, EffVolunteer, EffClosePart, EffCloseIfAllDone}, Public: "{unit}的处置结果已验收"},
			},
			{
				Name: "reject_result", On: OnAssignment, From: open, AssignmentFrom: []string{"answered"}, AssignmentRole: RoleSummoned,
				Who: whistler, Needs: Needs{Note: true},
				Done: Outcome{AssignmentTo: "reported", Starts: []Start{{Deadline: "handle"}}},
			},
			{
				Name: "cancel", On: OnCase, From: open, Who: whistler, Needs: Needs{Note: true},
				Done: Outcome{To: "cancelled", Public: "已撤哨"},
			},
			superviseAction(open),
			commentAction(),
		},
	}
}
