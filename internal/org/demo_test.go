package org

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"grassroots/internal/access"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

func TestDemo(t *testing.T) {
	var first *DemoCounts
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, c := withDemo(t, db)
		// The same seed gives the same data on every engine and every run.
		if first == nil {
			first = &c
		} else if d := cmp.Diff(*first, c); d != "" {
			t.Errorf("demo counts differ between engines (-sqlite +postgres):\n%s", d)
		}
		if c.Leaders() != 622 || c.PartyGroups != 279 || c.PartyMembers != 300 || c.DualRegistered != 160 {
			t.Errorf("demo counts = %+v; want 622 leaders, 279 party groups, 300 party members (160 dual)", c)
		}
		checks := []struct {
			name  string
			query string
			want  int
		}{
			{"leaders", `SELECT COUNT(*) FROM people WHERE role IN ('building_leader', 'street_leader')`, 622},
			{"party groups", `SELECT COUNT(*) FROM party_orgs WHERE kind = 'party_group'`, 279},
			{"grids", `SELECT COUNT(*) FROM units WHERE kind = 'grid' AND demo = 1`, c.Grids},
			{"grid branches", `SELECT COUNT(*) FROM party_orgs WHERE kind = 'grid_branch'`, c.Grids},
			{"buildings", `SELECT COUNT(*) FROM units WHERE kind = 'building'`, c.Buildings + c.Lanes},
			{"villages without a grid", `SELECT COUNT(*) FROM units v WHERE v.kind IN ('village', 'community')
				AND NOT EXISTS (SELECT 1 FROM units g WHERE g.parent_id = v.id AND g.kind = 'grid')`, 0},
			{"grids without a worker", `SELECT COUNT(*) FROM units g WHERE g.kind = 'grid'
				AND NOT EXISTS (SELECT 1 FROM people p WHERE p.unit_id = g.id AND p.role = 'grid_worker')`, 0},
			{"communities with fewer than 3 grids", `SELECT COUNT(*) FROM units v WHERE v.kind = 'community'
				AND (SELECT COUNT(*) FROM units g WHERE g.parent_id = v.id) < 3`, 0},
			{"village grids with buildings", `SELECT COUNT(*) FROM units b JOIN units g ON g.id = b.parent_id
				JOIN units v ON v.id = g.parent_id WHERE b.kind = 'building' AND v.kind = 'village'`, 0},
			{"party groups not under a grid branch", `SELECT COUNT(*) FROM party_orgs o JOIN party_orgs p ON p.id = o.parent_id
				WHERE o.kind = 'party_group' AND p.kind <> 'grid_branch'`, 0},
			{"demo people not marked", `SELECT COUNT(*) FROM people WHERE demo = 0`, 0},
			{"phones in clear", `SELECT COUNT(*) FROM people WHERE phone_enc NOT LIKE 'v1:%' OR phone_hash = ''`, 0},
		}
		for _, ck := range checks {
			if got := count(t, db, ck.query); got != ck.want {
				t.Errorf("%s = %d, want %d", ck.name, got, ck.want)
			}
		}
		if c.Grids < 288+21*3 || c.Grids > 287*3+21*6 {
			t.Errorf("grids = %d, outside what 1–3 per village and 3–6 per community allow", c.Grids)
		}
		// Codes: parent + G + 2 digits; building = grid + B + 2 digits.
		gridCode := regexp.MustCompile(`^\d{12}G\d{2}$`)
		buildingCode := regexp.MustCompile(`^\d{12}G\d{2}B\d{2}$`)
		rows, err := db.Query(ctx, `SELECT u.code, u.kind, p.code FROM units u JOIN units p ON p.id = u.parent_id WHERE u.kind IN ('grid', 'building')`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var code, kind, parent string
			rows.Scan(&code, &kind, &parent)
			re := gridCode
			if kind == KindBuilding {
				re = buildingCode
			}
			if !re.MatchString(code) || !strings.HasPrefix(code, parent) {
				t.Errorf("%s %s under %s: bad code", kind, code, parent)
			}
		}
		rows.Close()
		// Grids never overlap.
		grids, err := s.ByKind(ctx, KindGrid)
		if err != nil {
			t.Fatal(err)
		}
		boxes := make([]BBox, len(grids))
		for i, g := range grids {
			b, err := ParseBoundary(g.Boundary)
			if err != nil {
				t.Fatalf("grid %s boundary: %v", g.Code, err)
			}
			boxes[i] = b.BBox
		}
		for i := range boxes {
			for j := i + 1; j < len(boxes); j++ {
				a, b := boxes[i], boxes[j]
				if a.MinLng < b.MaxLng && b.MinLng < a.MaxLng && a.MinLat < b.MaxLat && b.MinLat < a.MaxLat {
					t.Fatalf("grids %s and %s overlap", grids[i].Code, grids[j].Code)
				}
			}
		}
		// Dual registration: members registered at a community where they live.
		community := actorAt(t, s, "350722001001", access.RoleCommunity)
		registered, err := s.PartyMembersRegisteredAt(ctx, community.UnitID)
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for _, code := range []string{"350722001001", "350722001002", "350722002001"} {
			u, _ := s.UnitByCode(ctx, access.System, code)
			ps, _ := s.PartyMembersRegisteredAt(ctx, u.ID)
			total += len(ps)
		}
		if total == 0 {
			t.Error("no party member is registered at the urban communities")
		}
		for _, p := range registered {
			if p.HomeUnitID != community.UnitID || !strings.HasPrefix(p.UnitCode, "350722D") || !strings.Contains(p.PhoneMasked, "****") {
				t.Errorf("registered member %+v", p)
			}
		}
		// Loading twice is refused.
		if _, err := s.LoadDemo(ctx); !errors.Is(err, store.ErrConflict) {
			t.Errorf("second demo load: %v, want conflict", err)
		}
		if has, _ := s.HasDemo(ctx); !has {
			t.Error("HasDemo = false after loading")
		}
		// A grid's page data: counts, party branch, workers.
		grid, err := s.UnitByCode(ctx, community, "350722001001G01")
		if err != nil {
			t.Fatal(err)
		}
		cnt, err := s.Counts(ctx, grid.ID)
		if err != nil {
			t.Fatal(err)
		}
		if cnt.Grids() != 1 || cnt.People[RoleGridWorker] != 2 || cnt.Children[KindBuilding] == 0 {
			t.Errorf("grid counts = %+v", cnt)
		}
		county, _ := s.County(ctx)
		all, _ := s.Counts(ctx, county.ID)
		if all.Grids() != c.Grids || all.PartyGroups() != 279 || all.People[RoleBuildingLeader]+all.People[RoleStreetLeader] != 622 {
			t.Errorf("county counts = %+v", all)
		}
		orgs, err := s.PartyOrgsOfUnit(ctx, community, grid.ID)
		if err != nil || len(orgs) != 1 || orgs[0].Kind != PartyGridBranch || orgs[0].ParentCode != "350722001001P" {
			t.Errorf("grid party organisations = %+v, %v", orgs, err)
		}
	})
}

func TestGridAt(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _ := withDemo(t, db)
		grids, err := s.ByKind(ctx, KindGrid)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range []Unit{grids[0], grids[len(grids)/2], grids[len(grids)-1]} {
			b, _ := ParseBoundary(g.Boundary)
			lng, lat := (b.BBox.MinLng+b.BBox.MaxLng)/2, (b.BBox.MinLat+b.BBox.MaxLat)/2
			got, err := s.GridAt(ctx, lng, lat)
			if err != nil || got.Code != g.Code {
				t.Errorf("GridAt(centre of %s) = %s, %v", g.Code, got.Code, err)
			}
			// Just outside its right edge lies the gap between strips.
			if got, err := s.GridAt(ctx, b.BBox.MaxLng+1e-5, lat); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("GridAt(just outside %s) = %s, %v; want not found", g.Code, got.Code, err)
			}
		}
		if _, err := s.GridAt(ctx, 116.39, 39.9); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GridAt(Beijing) = %v, want not found", err)
		}
		// An imported boundary with a hole.
		admin := actorAt(t, s, "350722000000", access.RoleAdmin)
		g := grids[0]
		holed := `{"type":"Polygon","coordinates":[[[100,10],[101,10],[101,11],[100,11],[100,10]],[[100.4,10.4],[100.6,10.4],[100.6,10.6],[100.4,10.6],[100.4,10.4]]]}`
		if err := s.SetBoundary(ctx, admin, g.ID, holed); err != nil {
			t.Fatal(err)
		}
		if got, err := s.GridAt(ctx, 100.2, 10.2); err != nil || got.Code != g.Code {
			t.Errorf("GridAt inside the new boundary = %s, %v", got.Code, err)
		}
		if _, err := s.GridAt(ctx, 100.5, 10.5); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GridAt in the hole = %v, want not found", err)
		}
		if err := s.SetBoundary(ctx, admin, g.ID, `{"type":"Point","coordinates":[1,2]}`); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("point boundary: %v, want invalid", err)
		}
	})
}
