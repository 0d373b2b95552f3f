package demo

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"grassroots/internal/access"
	"grassroots/internal/org"
	"grassroots/internal/pii"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

func TestOrg(t *testing.T) {
	t.Parallel()
	var first *OrgCounts
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, c := withOrg(t, db)
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
			if kind == org.KindBuilding {
				re = buildingCode
			}
			if !re.MatchString(code) || !strings.HasPrefix(code, parent) {
				t.Errorf("%s %s under %s: bad code", kind, code, parent)
			}
		}
		rows.Close()
		// Grids never overlap.
		grids, err := s.ByKind(ctx, org.KindGrid)
		if err != nil {
			t.Fatal(err)
		}
		boxes := make([]org.BBox, len(grids))
		for i, g := range grids {
			b, err := org.ParseBoundary(g.Boundary)
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
		if _, err := Org(ctx, s); !errors.Is(err, store.ErrConflict) {
			t.Errorf("second demo load: %v, want conflict", err)
		}
		if has, _ := HasOrg(ctx, s); !has {
			t.Error("HasOrg = false after loading")
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
		if cnt.Grids() != 1 || cnt.People[org.RoleGridWorker] != 2 || cnt.Children[org.KindBuilding] == 0 {
			t.Errorf("grid counts = %+v", cnt)
		}
		county, _ := s.County(ctx)
		all, _ := s.Counts(ctx, county.ID)
		if all.Grids() != c.Grids || all.PartyGroups() != 279 || all.People[org.RoleBuildingLeader]+all.People[org.RoleStreetLeader] != 622 {
			t.Errorf("county counts = %+v", all)
		}
		orgs, err := s.PartyOrgsOfUnit(ctx, community, grid.ID)
		if err != nil || len(orgs) != 1 || orgs[0].Kind != org.PartyGridBranch || orgs[0].ParentCode != "350722001001P" {
			t.Errorf("grid party organisations = %+v, %v", orgs, err)
		}
	})
}

// withOrg returns an organisation service with the shipped divisions and
// the demo organisation data loaded.
func withOrg(t testing.TB, db *store.DB) (*org.Service, OrgCounts) {
	t.Helper()
	s := org.NewService(db, testSealer(t))
	if _, err := s.LoadDivisions(context.Background()); err != nil {
		t.Fatalf("load divisions: %v", err)
	}
	c, err := Org(context.Background(), s)
	if err != nil {
		t.Fatalf("load demo: %v", err)
	}
	return s, c
}

func testSealer(t testing.TB) *pii.Sealer {
	t.Helper()
	s, err := pii.New([]byte(strings.Repeat("k", pii.KeySize)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// actorAt builds a signed-in user at the unit with code, holding roles.
func actorAt(t testing.TB, s *org.Service, code string, roles ...access.Role) access.Actor {
	t.Helper()
	u, err := s.UnitByCode(context.Background(), access.System, code)
	if err != nil {
		t.Fatalf("unit %s: %v", code, err)
	}
	return access.Actor{UserID: 1, Username: "t_" + code, Name: "测试用户", UnitID: u.ID, UnitCode: u.Code,
		UnitName: u.Name, UnitKind: u.Kind, UnitPath: u.Path, Roles: roles}
}

func count(t testing.TB, db *store.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}
