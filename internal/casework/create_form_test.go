package casework

import "testing"

// The create form starts where its opener usually is: a community's staff
// blow a community whistle, a street's a street whistle, and a whistle is
// urgent until said otherwise.
func TestCreateFormStartsWhereTheOpenerIs(t *testing.T) {
	t.Parallel()
	flows := map[string]*Flow{}
	for _, f := range BuiltinFlows() {
		flows[f.Name] = &f
	}
	for _, c := range []struct {
		flow, unitKind, kind, priority string
	}{
		{"whistle", "community", WhistleCommunity, PriorityUrgent},
		{"whistle", "village", WhistleCommunity, PriorityUrgent},
		{"whistle", "township", WhistleStreet, PriorityUrgent},
		{"whistle", "department", WhistleStreet, PriorityUrgent},
		{"hotline", "county", "", PriorityNormal},
	} {
		f := flows[c.flow]
		if got := f.StartKind(c.unitKind); got != c.kind {
			t.Errorf("%s opened at a %s: kind %q, want %q", c.flow, c.unitKind, got, c.kind)
		}
		if got := f.StartPriority(); got != c.priority {
			t.Errorf("%s: priority %q, want %q", c.flow, got, c.priority)
		}
	}
}
