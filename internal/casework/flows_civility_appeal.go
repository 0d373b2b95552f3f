package casework

import "grassroots/internal/access"

// CivilityAppealFlow is the appeal (申诉) against a civic-behaviour entry
// (internal/civility, docs/CIVILITY.md): a person who received the notice
// of a negative entry appeals within the appeal window, on the portal or at
// the community's counter; the appeal is received, then reviewed by
// someone who took no part in deciding the entry, and ends upheld (维持),
// revised (变更, to another catalogue item: field "item") or withdrawn
// (撤销), always with reasons.
//
// The engine knows nothing of entries: internal/civility opens the case
// (external id "entry-<id>") and its change hook refuses a decision by one
// of the entry's reviewers or recorder, and applies the outcome to the
// entry in the decision's own transaction.
func CivilityAppealFlow() Flow {
	// The reviewers: staff of the township or community whose area holds
	// the person's community (the case's place).
	reviewers := []Party{{Roles: localRoles, Scope: ScopePlace}}
	decide := func(name, to, public string, fields ...string) ActionSpec {
		return ActionSpec{
			Name: name, Label: "civility.appeal.action." + name, On: OnCase, From: []string{"received"}, Who: reviewers,
			Needs: Needs{Note: true, Fields: fields}, Done: Outcome{To: to, Public: public},
		}
	}
	return Flow{
		Name: "civility_appeal",
		// The case page offers the three decisions first.
		Primary: []string{"uphold", "revise", "withdraw"},
		Nav:     NavEntry{ID: "civility", Key: "nav.civility", Href: "/civility"},
		Start:   "received",
		// Staff receive an appeal at the counter for a person; residents
		// appeal on the portal with their points card (internal/civility
		// opens the case as the system).
		OpenedBy:  []access.Role{access.RoleTownship, access.RoleCommunity},
		OpenScope: ScopePlace,
		States: []State{
			{Name: "received", Public: "申诉已受理，等待复核"},
			{Name: "upheld", Label: "civility.appeal.status.upheld", Final: true, Public: "复核维持原记录"},
			{Name: "revised", Label: "civility.appeal.status.revised", Final: true, Public: "复核变更原记录"},
			{Name: "withdrawn", Label: "civility.appeal.status.withdrawn", Final: true, Public: "复核撤销原记录"},
		},
		Actions: []ActionSpec{
			decide("uphold", "upheld", "复核维持原记录：{answer}"),
			// A revision names the catalogue item the entry becomes (field
			// "item"; internal/civility offers the items and checks it).
			decide("revise", "revised", "复核变更原记录：{answer}", "item"),
			decide("withdraw", "withdrawn", "复核撤销原记录：{answer}"),
			superviseAction([]string{"received"}),
			commentAction(),
		},
	}
}
