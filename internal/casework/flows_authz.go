package casework

import (
	"fmt"
	"slices"
	"strings"

	"grassroots/internal/access"
)

// scopeWords says, for the authorisation table (docs/AUTHORIZATION.md),
// where relative to the case a party's unit must be.
var scopeWords = map[Scope]string{
	ScopeAny:        "anywhere",
	ScopeCounty:     "at the county level (county unit or above, or the supervision office) — not a township's administrator",
	ScopeViewer:     "anyone who may see the case (see Reads)",
	ScopePerson:     "the summoned person, on their own part (personal page)",
	ScopeOpener:     "the opener: the user who opened it, or the unit that received it",
	ScopeCallCentre: "the 12345 call centre (settings casework.call_centre.units / .roles; default: the county unit) — not whoever typed the case in",
	ScopePlace:      "a unit whose subtree holds the case's place (own unit or above; not a unit below, not another township)",
	ScopeGrid:       "the opener, or a unit whose subtree holds the case's grid",
	ScopeAssignment: "a unit in the subtree of the target part's unit",
	ScopeUnit:       "the target part's unit itself (not a unit below it, not another township)",
	ScopeLead:       "the lead unit itself (the unit of the current lead part; the same rule reveals the reporter's phone)",
	ScopeDispatcher: "the unit that dispatched the target part, or a unit above it",
}

func rolesWords(rs []access.Role) string {
	if len(rs) == 0 {
		return "any role"
	}
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r)
	}
	return strings.Join(out, ", ")
}

// partyWords describes one party: "township, community — a unit whose ...".
func partyWords(p Party) string {
	return rolesWords(p.Roles) + " — " + scopeWords[p.Scope]
}

// AuthorizationTable renders who may open a case of each flow and who may
// take each of its actions, from the flow declarations themselves, as the
// Markdown of docs/AUTHORIZATION.md's generated part. A test keeps the
// document equal to it, so the table cannot drift from the rule.
func AuthorizationTable(flows []Flow) string {
	var b strings.Builder
	for _, f := range flows {
		fmt.Fprintf(&b, "### %s (%s)\n\n", f.Name, label(f.LabelKey()))
		b.WriteString("Intake (the case-creating action):\n\n")
		if len(f.OpenedBy) == 0 {
			b.WriteString("- roles: any signed-in role\n")
		} else {
			fmt.Fprintf(&b, "- roles: %s\n", rolesWords(f.OpenedBy))
		}
		switch f.OpenScope {
		case ScopeCallCentre:
			b.WriteString("- where: the 12345 call centre's staff (settings casework.call_centre.units / .roles; default: anyone at the county unit), or a county-level administrator; township, community and grid staff are refused (403)\n")
		case ScopePlace:
			b.WriteString("- where: inside the opener's own subtree — a grid worker in their own grid(s) only, community and township staff inside their subtree; a unit above the place, never another township (403); county-level units (the county, its departments, the supervision office) anywhere\n")
		default:
			b.WriteString("- where: no rule beyond the role\n")
		}
		switch {
		case f.Public && len(f.PublicKinds) > 0:
			fmt.Fprintf(&b, "- residents without an account (portal): kinds %s only\n", strings.Join(f.PublicKinds, ", "))
		case f.Public:
			b.WriteString("- residents without an account (portal, Open311): yes\n")
		default:
			b.WriteString("- residents without an account: no\n")
		}
		if f.DispatchToPlace {
			b.WriteString("- the case goes at intake to the township of its place, checked against the access list with its matter (a refusal opens no case and is recorded)\n")
		}
		b.WriteString("- system work (the provincial exchange's pushes, Open311 keys without a user, the demo): yes\n")
		b.WriteString("- the unit that receives the case (cases.opened_by_unit_id): ")
		if f.OpenScope == ScopeCallCentre {
			b.WriteString("the call centre, whoever typed it in\n\n")
		} else {
			b.WriteString("the opener's unit; for a resident's case, the place's township\n\n")
		}
		b.WriteString("| action | on | from status | who may take it (any of) |\n|---|---|---|---|\n")
		for _, a := range f.Actions {
			from := "any open status"
			if len(a.From) > 0 {
				from = strings.Join(a.From, ", ")
			}
			on := string(a.On)
			if a.On == OnAssignment && a.AssignmentRole != "" {
				on = a.AssignmentRole + " part"
			}
			var who []string
			for _, p := range a.Who {
				who = append(who, partyWords(p))
			}
			rule := strings.Join(who, "<br>")
			if a.Decision {
				rule += "<br>*a decision:* a township-level actor only for a matter the empowerment list grants to its township type or to it alone; otherwise refused (403) and recorded"
			}
			if a.AccessFromOpener {
				rule += "<br>*the access list is read for the unit that received the case, not the actor*"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", a.Name, on, from, rule)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// AuthorizationScopes lists the scopes the flows use, for checks that the
// table explains every one.
func AuthorizationScopes(flows []Flow) []Scope {
	var out []Scope
	for _, f := range flows {
		for _, a := range f.Actions {
			for _, p := range a.Who {
				if !slices.Contains(out, p.Scope) {
					out = append(out, p.Scope)
				}
			}
		}
	}
	return out
}
