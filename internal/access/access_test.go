package access

import "testing"

func TestSeesPath(t *testing.T) {
	township := Actor{UserID: 1, UnitPath: "/1/3/7/", UnitKind: "township"}
	county := Actor{UserID: 2, UnitPath: "/1/3/", UnitKind: "county"}
	tests := []struct {
		name  string
		actor Actor
		path  string
		want  bool
	}{
		{"own unit", township, "/1/3/7/", true},
		{"child", township, "/1/3/7/12/", true},
		{"sibling sharing a prefix", township, "/1/3/70/", false},
		{"parent", township, "/1/3/", false},
		{"county sees all", county, "/1/3/70/", true},
		{"anonymous sees nothing", Actor{}, "/1/3/7/", false},
		{"system sees all", System, "/9/", true},
		{"the supervision office sees all", Actor{UserID: 3, UnitPath: "/1/3/40/", UnitKind: "department", Roles: []Role{RoleSupervisor}}, "/1/3/7/", true},
		{"a department sees its own subtree only", Actor{UserID: 4, UnitPath: "/1/3/41/", UnitKind: "department", Roles: []Role{RoleDepartment}}, "/1/3/7/", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.actor.SeesPath(tt.path); got != tt.want {
				t.Errorf("SeesPath(%q) = %v, want %v", tt.path, got, tt.want)
			}
		})
	}
}

func TestPathRange(t *testing.T) {
	lo, hi := PathRange("/1/5/")
	for _, p := range []string{"/1/5/", "/1/5/9/", "/1/5/99999/"} {
		if !(p >= lo && p < hi) {
			t.Errorf("%q should be in [%q, %q)", p, lo, hi)
		}
	}
	for _, p := range []string{"/1/50/", "/1/4/", "/1/6/"} {
		if p >= lo && p < hi {
			t.Errorf("%q should not be in [%q, %q)", p, lo, hi)
		}
	}
}
