package org

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

func TestLoadDivisions(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := NewService(db, testSealer(t))
		sum, err := s.LoadDivisions(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := sum.String(), "loaded 1 county, 19 township-level units, 308 villages and communities, 20 departments"; got != want {
			t.Errorf("summary = %q, want %q", got, want)
		}
		kinds := map[string]int{}
		if err := countInto(ctx, db, `SELECT kind, COUNT(*) FROM units GROUP BY kind`, nil, kinds); err != nil {
			t.Fatal(err)
		}
		want := map[string]int{KindProvince: 1, KindCity: 1, KindCounty: 1, KindStreet: 2, KindTownship: 17,
			KindCommunity: 21, KindVillage: 287, KindDepartment: 20}
		if d := cmp.Diff(want, kinds); d != "" {
			t.Errorf("units by kind (-want +got):\n%s", d)
		}
		// Every path is the parent's path plus the unit's id.
		if n := count(t, db, `SELECT COUNT(*) FROM units u JOIN units p ON p.id = u.parent_id
			WHERE u.path <> p.path || CAST(u.id AS TEXT) || '/' OR u.depth <> p.depth + 1`); n != 0 {
			t.Errorf("%d units have a path or depth that does not follow their parent", n)
		}
		county, err := s.County(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if county.Code != "350722000000" || county.Lng == nil || *county.Lng != 118.541256 {
			t.Errorf("county = %+v", county)
		}
		if n, err := s.CountSubtree(ctx, county.ID); err != nil || n != 19+308+20 {
			t.Errorf("county subtree = %d, %v; want 347", n, err)
		}
		// Templates: 6 modules each; 9 institutions per township, 8 per street.
		if n := count(t, db, `SELECT COUNT(*) FROM unit_modules`); n != 19*6 {
			t.Errorf("modules = %d, want %d", n, 19*6)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM institutions`); n != 17*9+2*8 {
			t.Errorf("institutions = %d, want %d", n, 17*9+2*8)
		}
		types := map[string]int{}
		countInto(ctx, db, `SELECT township_type, COUNT(*) FROM units WHERE kind IN ('street', 'township') GROUP BY township_type`, nil, types)
		if d := cmp.Diff(map[string]int{TownshipUrbanStreet: 2, TownshipCentral: 4, TownshipGeneral: 13}, types); d != "" {
			t.Errorf("township types (-want +got):\n%s", d)
		}
		depts, err := s.ByKind(ctx, KindDepartment)
		if err != nil || len(depts) != 20 || depts[0].Code != DeptSupervision || depts[0].ParentCode != county.Code {
			t.Errorf("departments = %d, first %+v, %v", len(depts), depts[0], err)
		}
		// One standing party organisation per county, township and village-level unit.
		if n := count(t, db, `SELECT COUNT(*) FROM party_orgs`); n != 1+19+308 {
			t.Errorf("party organisations = %d, want 328", n)
		}
		o, err := s.PartyOrgByCode(ctx, access.System, "350722001001P")
		if err != nil || o.Kind != PartyCommunityCommittee || o.Name != "仙楼社区党委" || o.ParentCode != "350722001000P" {
			t.Errorf("community committee = %+v, %v", o, err)
		}
		// Loading again changes nothing.
		again, err := s.LoadDivisions(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if again.Result.Inserted != 0 || again.Result.Updated != 0 || again.Result.Unchanged != 330 {
			t.Errorf("second load = %+v, want all 330 unchanged", again.Result)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM units`); n != 350 {
			t.Errorf("units after a second load = %d, want 350", n)
		}
	})
}

const otherCountyHeader = "code,name,level,parent_code,urban_rural_code,unit_type,ur_code_year,match_2016,lng_gcj02,lat_gcj02\n"

func TestImportBadFileImportsNothing(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := loaded(t, db)
		before := count(t, db, `SELECT COUNT(*) FROM units`)
		auditBefore := count(t, db, `SELECT COUNT(*) FROM audit_log`)
		file := otherCountyHeader +
			"350721000000,顺昌县,county,350700000000,,县,,,117.81,26.79\n" + // 2: good
			"350721100000,双溪街道,township,350721000000,,街道,,,,\n" + // 3: good
			"35072110100,坏代码,township,350721000000,,镇,,,,\n" + // 4: bad code
			"350721102000,,township,350721000000,,镇,,,,\n" + // 5: missing name
			"350721103000,某镇,hamlet,350721000000,,镇,,,,\n" + // 6: unknown level
			"350721105001,某社区居委会,village,350721105000,,居委会(社区),,,,\n" + // 7: unknown parent
			"350721100000,双溪街道重复,township,350721000000,,街道,,,,\n" + // 8: duplicate of line 3
			"350721100002,某村委会,village,350721100000,,村委会,,,200,26\n" + // 9: coordinates out of range
			"350721000001,某村委会,village,350721000000,,村委会,,,,\n" + // 10: parent is not a township
			"350721100003,短行,village\n" // 11: too few columns
		_, err := s.Import(ctx, access.System, strings.NewReader(file), "bad.csv")
		var ie *ImportError
		if !errors.As(err, &ie) || !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("err = %v, want an *ImportError that is ErrInvalid", err)
		}
		var lines []int
		for _, r := range ie.Rows {
			lines = append(lines, r.Line)
		}
		if d := cmp.Diff([]int{4, 5, 6, 7, 8, 9, 10, 11}, lines); d != "" {
			t.Errorf("reported lines (-want +got):\n%s\n%v", d, ie)
		}
		for _, want := range []string{"第4行", "不是12位数字", "缺少名称", "未知的层级", "既不在文件中也不在系统中", "代码重复（与第3行相同）", "不在中国范围内", "不是乡级单位", "列数"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error lacks %q: %v", want, err)
			}
		}
		if after := count(t, db, `SELECT COUNT(*) FROM units`); after != before {
			t.Errorf("units %d → %d: a bad file imported something", before, after)
		}
		if after := count(t, db, `SELECT COUNT(*) FROM audit_log`); after != auditBefore {
			t.Errorf("audit entries %d → %d after a refused import", auditBefore, after)
		}
		// A bad header is reported on line 1.
		_, err = s.Import(ctx, access.System, strings.NewReader("code,name\n1,2\n"), "header.csv")
		if !errors.As(err, &ie) || ie.Rows[0].Line != 1 {
			t.Errorf("bad header: %v", err)
		}
	})
}

func TestImportGoodFile(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := loaded(t, db)
		// Children listed before their parents on purpose; one Pucheng unit renamed.
		file := otherCountyHeader +
			"350721100001,双溪社区居委会,village,350721100000,111,居委会(社区),,,117.80,26.80\n" +
			"350721101200,大干村委会,village,350721101000,220,村委会,,,,\n" +
			"350721100000,双溪街道,township,350721000000,,街道,,,,\n" +
			"350721101000,大干镇,township,350721000000,,镇,,,,\n" +
			"350721000000,顺昌县,county,350700000000,,县,,,117.81,26.79\n" +
			"350722001001,仙楼社区,village,350722001000,121,居委会(社区),2016,same,,\n" +
			"350722001002,光明社区居委会,village,350722001000,121,居委会(社区),2016,same,118.53897,27.918872\n"
		admin := actorAt(t, s, "350722000000", access.RoleAdmin)
		res, err := s.Import(ctx, admin, strings.NewReader(file), "shunchang.csv")
		if err != nil {
			t.Fatal(err)
		}
		want := ImportResult{Inserted: 5, Updated: 1, Unchanged: 1, InsertedByKind: map[string]int{
			KindCounty: 1, KindStreet: 1, KindTownship: 1, KindCommunity: 1, KindVillage: 1}}
		if d := cmp.Diff(want, res); d != "" {
			t.Errorf("result (-want +got):\n%s", d)
		}
		u, err := s.UnitByCode(ctx, access.System, "350721101200")
		if err != nil {
			t.Fatal(err)
		}
		anc, err := s.Ancestors(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		var chain []string
		for _, a := range anc {
			chain = append(chain, a.Code)
		}
		if d := cmp.Diff([]string{"350000000000", "350700000000", "350721000000", "350721101000"}, chain); d != "" {
			t.Errorf("ancestors (-want +got):\n%s", d)
		}
		if u.Kind != KindVillage || u.UrbanRuralCode != "220" || u.Depth != 4 {
			t.Errorf("imported village = %+v", u)
		}
		town, _ := s.UnitByCode(ctx, access.System, "350721101000")
		mods, err := s.Modules(ctx, access.System, town.ID)
		if err != nil || len(mods) != 6 || len(mods[0].Institutions) != 2 {
			t.Errorf("new township's modules = %+v, %v", mods, err)
		}
		renamed, _ := s.UnitByCode(ctx, access.System, "350722001001")
		if renamed.Name != "仙楼社区" {
			t.Errorf("existing unit not updated: %q", renamed.Name)
		}
		recs, err := audit.List(ctx, db, "unit", "shunchang.csv", 5)
		if err != nil || len(recs) != 1 || !strings.Contains(recs[0].AfterJSON, "仙楼社区居委会") {
			t.Errorf("audit of the import = %+v, %v", recs, err)
		}
		// Only the system or a county administrator may import.
		township := actorAt(t, s, "350722001000", access.RoleAdmin)
		if _, err := s.Import(ctx, township, strings.NewReader(file), "x.csv"); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("township admin import: %v, want forbidden", err)
		}
	})
}

func FuzzParseDivisions(f *testing.F) {
	f.Add(string(PuchengDivisions()[:2000]))
	f.Add(otherCountyHeader + "350721000000,顺昌县,county,350700000000,,县,,,117.81,26.79\n")
	f.Add("code,name,level,parent_code\n\"unterminated")
	f.Fuzz(func(t *testing.T, in string) {
		rows, bad := ParseDivisions(strings.NewReader(in))
		for _, r := range rows {
			if len(r.Code) != 12 || r.Name == "" || levels[r.Level].rank == 0 {
				t.Errorf("accepted bad row %+v", r)
			}
		}
		for _, b := range bad {
			if b.Line < 1 || b.Reason == "" {
				t.Errorf("row error without line or reason: %+v", b)
			}
		}
	})
}

func ExampleRowError() {
	fmt.Println(RowError{Line: 4, Code: "35072110100", Reason: "代码不是12位数字"})
	// Output: 第4行（代码 35072110100）：代码不是12位数字
}
