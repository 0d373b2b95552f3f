package org_test

import (
	"context"
	"errors"
	"testing"

	"grassroots/internal/access"
	. "grassroots/internal/org"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

func demoActor(t *testing.T, s *Service, code string, roles ...access.Role) access.Actor {
	t.Helper()
	u, err := s.UnitByCode(context.Background(), access.System, code)
	if err != nil {
		t.Fatalf("unit %s: %v", code, err)
	}
	return access.Actor{UserID: 7, Username: "t_" + code, Name: "测试" + string(roles[0]), UnitID: u.ID, UnitCode: u.Code,
		UnitName: u.Name, UnitKind: u.Kind, UnitPath: u.Path, Roles: roles}
}

// The grid page's view: workers, buildings with leaders, the grid branch and
// its groups with members, and contact groups recorded by who may.
func TestGridViewAndContactGroups(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := withDemoGrids(t, db)
		const grid = "350722001001G01"
		worker := demoActor(t, s, grid, access.RoleGrid)
		v, err := s.Grid(ctx, worker, grid)
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Workers) == 0 || len(v.Buildings) == 0 || v.Leaders() != len(v.Buildings) || len(v.Branches) != 1 {
			t.Fatalf("grid view: %d workers, %d buildings, %d leaders, %d branches", len(v.Workers), len(v.Buildings), v.Leaders(), len(v.Branches))
		}
		for _, b := range v.Buildings {
			want := RoleBuildingLeader
			if b.Unit.UnitType == "街巷" {
				want = RoleStreetLeader
			}
			if b.Leaders[0].Role != want {
				t.Errorf("%s (%s) is led by a %s", b.Unit.Name, b.Unit.UnitType, b.Leaders[0].Role)
			}
		}
		if !v.CanEditGroups {
			t.Error("the grid's worker may not record contact groups")
		}
		lng, lat, ok := GridCentreWGS84(v.Grid)
		if b, err := ParseBoundary(v.Grid.Boundary); err != nil || !ok || !b.Contains(lng, lat) {
			t.Errorf("the grid's centre %v,%v (WGS-84) is outside its boundary: %v", lng, lat, err)
		}

		building := v.Buildings[0].Unit
		in := ContactGroupInput{UnitID: building.ID, Kind: GroupOwners, Name: " 1号楼业主群 ", Platform: "微信群", RunBy: "王某某", Members: 86}
		cg, err := s.AddContactGroup(ctx, worker, in)
		if err != nil {
			t.Fatal(err)
		}
		if cg.Name != "1号楼业主群" || cg.UpdatedBy != worker.Name {
			t.Errorf("added %+v", cg)
		}
		community := demoActor(t, s, "350722001001", access.RoleCommunity)
		if _, err := s.AddContactGroup(ctx, community, ContactGroupInput{UnitID: v.Grid.ID, Kind: GroupParty, Name: "第1网格党员群", Members: 12}); err != nil {
			t.Errorf("community staff: %v", err)
		}
		// Another township's staff, a grid worker of another grid, a
		// supervisor: refused, nothing written.
		for _, a := range []access.Actor{
			demoActor(t, s, "350722101000", access.RoleTownship),
			demoActor(t, s, "350722001001G02", access.RoleGrid),
			demoActor(t, s, "350722000000", access.RoleSupervisor),
		} {
			if _, err := s.AddContactGroup(ctx, a, in); !errors.Is(err, store.ErrForbidden) {
				t.Errorf("%s at %s: %v, want forbidden", a.Roles[0], a.UnitCode, err)
			}
			if err := s.UpdateContactGroup(ctx, a, cg.ID, in); !errors.Is(err, store.ErrForbidden) {
				t.Errorf("update by %s at %s: %v, want forbidden", a.Roles[0], a.UnitCode, err)
			}
		}
		for _, bad := range []ContactGroupInput{
			{UnitID: building.ID, Kind: "wechat", Name: "x"},
			{UnitID: building.ID, Kind: GroupOwners, Name: " "},
			{UnitID: building.ID, Kind: GroupOwners, Name: "x", Members: -1},
			{UnitID: v.Grid.ParentID, Kind: GroupOwners, Name: "x"},
		} {
			if _, err := s.AddContactGroup(ctx, worker, bad); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("AddContactGroup(%+v) = %v, want invalid", bad, err)
			}
		}
		in.Members = 90
		if err := s.UpdateContactGroup(ctx, worker, cg.ID, in); err != nil {
			t.Fatal(err)
		}
		v, err = s.Grid(ctx, worker, grid)
		if err != nil {
			t.Fatal(err)
		}
		if v.ContactGroups() != 2 || len(v.GridGroups) != 1 || len(v.Buildings[0].Groups) != 1 || v.Buildings[0].Groups[0].Members != 90 {
			t.Errorf("after recording: %d groups, grid %+v, building %+v", v.ContactGroups(), v.GridGroups, v.Buildings[0].Groups)
		}
		var n int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM contact_groups`).Scan(&n); err != nil || n != 2 {
			t.Errorf("%d contact groups stored, want 2", n)
		}
		// Another township cannot read the grid at all.
		if _, err := s.Grid(ctx, demoActor(t, s, "350722101000", access.RoleTownship), grid); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("another township reads the grid: %v", err)
		}
		if _, err := s.Grid(ctx, community, "350722001001"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Grid(community) = %v, want not found", err)
		}
	})
}

// Every demo grid's centre point (GCJ-02, as stored) lies inside its own
// boundary (WGS-84) once converted to the boundary's datum.
func TestDemoGridCentresInside(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := withDemoGrids(t, db)
		grids, err := s.ByKind(context.Background(), KindGrid)
		if err != nil || len(grids) == 0 {
			t.Fatalf("%d grids, %v", len(grids), err)
		}
		for _, g := range grids {
			b, err := ParseBoundary(g.Boundary)
			lng, lat, ok := GridCentreWGS84(g)
			if err != nil || !ok || !b.Contains(lng, lat) {
				t.Errorf("%s: centre %v,%v outside its boundary (%v)", g.Code, lng, lat, err)
			}
		}
	})
}
