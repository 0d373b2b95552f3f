package service

import (
	"testing"

	"grassroots/internal/access"
)

func TestCanMaintainItems(t *testing.T) {
	for _, c := range []struct {
		name  string
		actor access.Actor
		want  bool
	}{
		{"system", access.System, true},
		{"anonymous", access.Actor{}, false},
		{"county administrator", access.Actor{UserID: 1, UnitCode: "350722000000", UnitKind: "county", Roles: []access.Role{access.RoleAdmin}}, true},
		{"approval office staff", access.Actor{UserID: 2, UnitCode: "350722D001", UnitKind: "department", Roles: []access.Role{access.RoleDepartment}}, true},
		{"other department staff", access.Actor{UserID: 3, UnitCode: "350722D003", UnitKind: "department", Roles: []access.Role{access.RoleDepartment}}, false},
		{"county supervisor", access.Actor{UserID: 4, UnitCode: "350722000000", UnitKind: "county", Roles: []access.Role{access.RoleSupervisor}}, false},
		{"township administrator", access.Actor{UserID: 5, UnitCode: "350722001000", UnitKind: "street", Roles: []access.Role{access.RoleAdmin}}, false},
		{"township staff", access.Actor{UserID: 6, UnitCode: "350722001000", UnitKind: "street", Roles: []access.Role{access.RoleTownship}}, false},
	} {
		if got := CanMaintainItems(c.actor); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestInputOfRoundTrips(t *testing.T) {
	it := Item{Code: "JF00503000", Name: "临时救助", Kind: KindPromised, Level: LevelCounty, DeptCode: "350722D008", LegalDays: 10, PromisedDays: 5,
		FeeCents: 100, Online: true, Devolved: true, Materials: []Material{{ID: 7, Name: "申请书", Form: FormCopy, Copies: 2, Required: true, Sample: "样表"}}}
	in := InputOf(it)
	if in.Code != it.Code || in.DeptCode != it.DeptCode || !in.Online || !in.Devolved || in.OneVisit || len(in.Materials) != 1 ||
		in.Materials[0] != (MaterialInput{Name: "申请书", Form: FormCopy, Copies: 2, Required: true, Sample: "样表"}) {
		t.Errorf("InputOf: %+v", in)
	}
}
