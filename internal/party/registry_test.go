package party_test

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"grassroots/internal/access"
	"grassroots/internal/party"
	"grassroots/internal/settings"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// partyOrg adds a party organisation tied to a unit, under parent ("" for
// the root).
func (fx *fixture) partyOrg(code, name, kind, unitCode, parent string) {
	fx.t.Helper()
	ctx := context.Background()
	err := fx.db.InTx(ctx, func(tx *store.Tx) error {
		var parentID any
		path, depth := "/", 0
		if parent != "" {
			var pid int64
			if err := tx.QueryRow(ctx, `SELECT id, path, depth + 1 FROM party_orgs WHERE code = ?`, parent).Scan(&pid, &path, &depth); err != nil {
				return err
			}
			parentID = pid
		}
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO party_orgs (code, name, kind, parent_id, path, depth, unit_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0) RETURNING id`,
			code, name, kind, parentID, "#"+code, depth, fx.units[unitCode].id).Scan(&id); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE party_orgs SET path = ? WHERE id = ?`, path+strconv.FormatInt(id, 10)+"/", id)
		return err
	})
	if err != nil {
		fx.t.Fatal(err)
	}
}

// partyTree is the five-level tree of the fixture, with a department's
// party branch under the county committee:
//
//	P0 中共浦城县委员会 ── P1 南浦街道党工委 ── P11 仙楼社区党委 ── P111 第一网格党支部
//	                   ├── P2 富岭镇党委 ── P21 某村党支部
//	                   └── PD2 住建局机关党支部
func (fx *fixture) partyTree() {
	fx.partyOrg("P0", "中共浦城县委员会", "county_committee", "350722000000", "")
	fx.partyOrg("P1", "南浦街道党工委", "working_committee", "350722001000", "P0")
	fx.partyOrg("P11", "仙楼社区党委", "community_committee", "350722001001", "P1")
	fx.partyOrg("P111", "仙楼社区第一网格党支部", "grid_branch", "350722001001G01", "P11")
	fx.partyOrg("P2", "富岭镇党委", "township_committee", "350722101000", "P0")
	fx.partyOrg("P21", "某村党支部", "village_branch", "350722101200", "P2")
	fx.partyOrg("PD2", "县住建局机关党支部", "unit_branch", "350722D002", "P0")
}

func TestAddMemberWho(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newFixture(t, db)
		fx.partyTree()
		ctx := context.Background()
		in := func(org string) party.MemberInput {
			return party.MemberInput{Name: "党员赵某某", Gender: "女", BirthYear: 1985, JoinedOn: "2008-07-01", OrgCode: org, Phone: "13800000001"}
		}
		orgDept := fx.actor(50, "350722D000", access.RoleDepartment) // made the organisation department below
		for _, tc := range []struct {
			name  string
			actor access.Actor
			org   string
			kind  error
		}{
			{"community staff, own community", fx.actor(30, "350722001001", access.RoleCommunity), "P11", nil},
			{"community staff, a grid below", fx.actor(30, "350722001001", access.RoleCommunity), "P111", nil},
			{"township staff, a community below", fx.actor(11, "350722001000", access.RoleTownship), "P11", nil},
			{"another township", fx.actor(12, "350722101000", access.RoleTownship), "P11", store.ErrForbidden},
			{"community staff, the street above", fx.actor(30, "350722001001", access.RoleCommunity), "P1", store.ErrForbidden},
			{"grid worker", fx.actor(31, "350722001001G01", access.RoleGrid), "P111", store.ErrForbidden},
			{"a unit's own party secretary", fx.actor(20, "350722D002", access.RoleDepartment), "PD2", nil},
			{"another department", fx.actor(21, "350722D003", access.RoleDepartment), "PD2", store.ErrForbidden},
			{"a department, a community", fx.actor(20, "350722D002", access.RoleDepartment), "P11", store.ErrForbidden},
			{"not yet the organisation department", orgDept, "P21", store.ErrForbidden},
			{"county administrator", fx.actor(1, "350722000000", access.RoleAdmin), "P21", nil},
		} {
			_, err := fx.p.AddMember(ctx, tc.actor, in(tc.org))
			if tc.kind == nil && err != nil || tc.kind != nil && !errors.Is(err, tc.kind) {
				t.Errorf("%s: got %v, want %v", tc.name, err, tc.kind)
			}
		}
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			return settings.Put(ctx, tx, party.SettingOrgDepartment, "350722D000", "test")
		}); err != nil {
			t.Fatal(err)
		}
		m, err := fx.p.AddMember(ctx, orgDept, in("P21"))
		if err != nil {
			t.Fatalf("organisation department: %v", err)
		}
		if m.OrgCode != "P21" || m.UnitName != "某村" || m.PhoneMasked != "138****0001" || m.Gender != "女" || m.JoinedOn != "2008-07-01" {
			t.Errorf("member %+v", m)
		}
		if n := fx.count(`SELECT COUNT(*) FROM people WHERE phone_enc LIKE '%13800000001%'`); n != 0 {
			t.Errorf("phone stored in the clear")
		}
		if n := fx.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'party.member.add'`); n != 6 {
			t.Errorf("%d audit entries, want 6", n)
		}
	})
}

func TestAddMemberChecks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newFixture(t, db)
		fx.partyTree()
		ctx := context.Background()
		admin := fx.actor(1, "350722000000", access.RoleAdmin)
		ok := party.MemberInput{Name: "党员钱某某", OrgCode: "PD2", UnitCode: "350722D002", HomeCode: "350722001001", GridCode: "350722001001G01",
			Skills: "法律， 医疗 电工", Intentions: "助老、政策宣讲", IDNo: "11010519491231002X"}
		for _, tc := range []struct {
			name string
			edit func(*party.MemberInput)
		}{
			{"no name", func(m *party.MemberInput) { m.Name = " " }},
			{"bad gender", func(m *party.MemberInput) { m.Gender = "M" }},
			{"born too late", func(m *party.MemberInput) { m.BirthYear = 2024 }},
			{"bad joined day", func(m *party.MemberInput) { m.JoinedOn = "2001.7.1" }},
			{"joined as a child", func(m *party.MemberInput) { m.BirthYear, m.JoinedOn = 1990, "2000-01-01" }},
			{"unknown organisation", func(m *party.MemberInput) { m.OrgCode = "NOSUCH" }},
			{"home not a community", func(m *party.MemberInput) { m.HomeCode = "350722001000" }},
			{"grid of another community", func(m *party.MemberInput) { m.HomeCode = "350722101200" }},
			{"grid without home", func(m *party.MemberInput) { m.HomeCode = "" }},
			{"bad phone", func(m *party.MemberInput) { m.Phone = "12345" }},
			{"bad ID", func(m *party.MemberInput) { m.IDNo = "110105194912310021" }},
		} {
			in := ok
			tc.edit(&in)
			_, err := fx.p.AddMember(ctx, admin, in)
			if !errors.Is(err, store.ErrInvalid) {
				t.Errorf("%s: got %v, want invalid", tc.name, err)
			} else if _, ok := store.UserMessage(err); !ok {
				t.Errorf("%s: no message for the user: %v", tc.name, err)
			}
		}
		if n := fx.count(`SELECT COUNT(*) FROM party_members`); n != 0 {
			t.Errorf("%d members after refusals", n)
		}
		m, err := fx.p.AddMember(ctx, admin, ok)
		if err != nil {
			t.Fatal(err)
		}
		if m.Skills != "法律、医疗、电工" || m.GridName != "仙楼社区第一网格" || m.HomeName != "仙楼社区" || m.IDMasked == "" || strings.Contains(m.IDMasked, "19491231") {
			t.Errorf("member %+v", m)
		}
		if _, err := fx.p.AddMember(ctx, admin, ok); !errors.Is(err, store.ErrConflict) {
			t.Errorf("the same ID twice: %v", err)
		}
	})
}

func TestMembersAndCounts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newFixture(t, db)
		fx.partyTree()
		ctx := context.Background()
		admin := fx.actor(1, "350722000000", access.RoleAdmin)
		for i, org := range []string{"P11", "P111", "P111", "P21", "PD2"} {
			if _, err := fx.p.AddMember(ctx, admin, party.MemberInput{Name: "党员" + strconv.Itoa(i), OrgCode: org}); err != nil {
				t.Fatal(err)
			}
		}
		list, err := fx.p.Members(ctx, fx.actor(30, "350722001001", access.RoleCommunity), party.MemberFilter{OrgCode: "P11"})
		if err != nil || len(list) != 3 {
			t.Fatalf("P11's subtree: %d members, %v", len(list), err)
		}
		if _, err := fx.p.Members(ctx, fx.actor(12, "350722101000", access.RoleTownship), party.MemberFilter{OrgCode: "P11"}); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("another township reads P11: %v", err)
		}
		self, children, levels, err := fx.p.MemberCounts(ctx, admin, "P0")
		if err != nil {
			t.Fatal(err)
		}
		if self.Direct != 0 || self.Subtree != 5 || len(children) != 3 {
			t.Errorf("P0 %+v children %+v", self, children)
		}
		got := map[string]party.LevelCount{}
		for _, l := range levels {
			got[l.Kind] = l
		}
		if got["grid_branch"].Members != 2 || got["community_committee"].Members != 1 || got["village_branch"].Members != 1 || got["county_committee"].Orgs != 1 {
			t.Errorf("levels %+v", levels)
		}
		for _, c := range children {
			if c.Code == "P1" && c.Subtree != 3 {
				t.Errorf("P1 %+v", c)
			}
		}
	})
}

// book builds an .xlsx with sheets of rows (the first row the header).
func book(t *testing.T, sheets map[string][][]string) []byte {
	t.Helper()
	f := excelize.NewFile()
	first := true
	for name, rows := range sheets {
		if first {
			if err := f.SetSheetName("Sheet1", name); err != nil {
				t.Fatal(err)
			}
			first = false
		} else if _, err := f.NewSheet(name); err != nil {
			t.Fatal(err)
		}
		for i, r := range rows {
			for j, v := range r {
				cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
				if err := f.SetCellStr(name, cell, v); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestImportRegister(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newFixture(t, db)
		fx.partyTree()
		ctx := context.Background()
		community := fx.actor(30, "350722001001", access.RoleCommunity)
		orgs := [][]string{{"党组织代码", "党组织名称", "类型", "上级党组织代码", "所属单位代码"},
			{"P1111", "第一网格第一党小组", "党小组", "P111", "350722001001G01"}}
		head := []string{"姓名", "所在党组织代码", "性别", "出生年份", "入党日期", "手机号码", "居住社区代码", "网格代码"}
		bad := book(t, map[string][][]string{"党组织": orgs, "党员": {head,
			{"党员甲", "P1111", "男", "1980", "2005/7/1", "", "350722001001", "350722001001G01"},
			{"党员乙", "P21", "女", "1990", "", "", "", ""},
			{"党员丙", "P11", "男", "一九八零", "", "", "", ""},
			{"", "", "", "", "", "", "", ""},
			{"党员丁", "P11", "X", "", "", "", "", ""},
		}})
		res, err := fx.p.ImportRegister(ctx, community, bytes.NewReader(bad))
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Errors) != 3 || res.Errors[0].Row != 3 || res.Errors[1].Row != 4 || res.Errors[2].Row != 6 || res.Members != 0 || res.Orgs != 0 {
			t.Errorf("bad file: %+v", res)
		}
		if n := fx.count(`SELECT COUNT(*) FROM party_orgs WHERE code = 'P1111'`) + fx.count(`SELECT COUNT(*) FROM people WHERE name = '党员甲'`); n != 0 {
			t.Errorf("a bad file left %d rows", n)
		}
		good := book(t, map[string][][]string{"党组织": orgs, "党员": {head,
			{"党员甲", "P1111", "男", "1980", "2005/7/1", "", "350722001001", "350722001001G01"},
			{"党员丙", "P11", "男", "1980年", "", "", "", ""},
		}})
		res, err = fx.p.ImportRegister(ctx, community, bytes.NewReader(good))
		if err != nil || res.Orgs != 1 || res.Members != 2 || len(res.Errors) != 0 {
			t.Fatalf("good file: %+v %v", res, err)
		}
		list, err := fx.p.Members(ctx, community, party.MemberFilter{OrgCode: "P111"})
		if err != nil || len(list) != 1 || list[0].JoinedOn != "2005-07-01" || list[0].GridCode != "350722001001G01" {
			t.Errorf("imported %+v %v", list, err)
		}
		if res, err := fx.p.ImportRegister(ctx, community, strings.NewReader("not a spreadsheet")); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("not a spreadsheet: %+v %v", res, err)
		}
		// The export has the import's columns: it imports again (as new members).
		var out bytes.Buffer
		if err := fx.p.ExportMembers(ctx, community, party.MemberFilter{OrgCode: "P11"}, &out); err != nil {
			t.Fatal(err)
		}
		f, err := excelize.OpenReader(bytes.NewReader(out.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := f.GetRows("党员")
		if err != nil || len(rows) != 3 || rows[0][0] != "姓名" {
			t.Fatalf("export rows %v %v", rows, err)
		}
		res, err = fx.p.ImportRegister(ctx, community, bytes.NewReader(out.Bytes()))
		if err != nil || res.Members != 2 {
			t.Errorf("export imported again: %+v %v", res, err)
		}
	})
}

// TestMemberFilters: the register filters by skill and by whether the
// member has reported where they live, and the Excel export holds what is
// filtered.
func TestMemberFilters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newFixture(t, db)
		fx.partyTree()
		ctx := context.Background()
		admin := fx.actor(1, "350722000000", access.RoleAdmin)
		community := fx.actor(30, "350722001001", access.RoleCommunity)
		jia, err := fx.p.AddMember(ctx, admin, party.MemberInput{Name: "党员甲某某", OrgCode: "P111", Skills: "法律、电工"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fx.p.AddMember(ctx, admin, party.MemberInput{Name: "党员乙某某", OrgCode: "P111", Skills: "医疗"}); err != nil {
			t.Fatal(err)
		}
		r, err := fx.p.RegisterAtDesk(ctx, community, jia.PersonID, "350722001001", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fx.p.Accept(ctx, community, r.ID, "350722001001G01"); err != nil {
			t.Fatal(err)
		}
		names := func(f party.MemberFilter) string {
			t.Helper()
			f.OrgCode = "P11"
			list, err := fx.p.Members(ctx, admin, f)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, m := range list {
				out = append(out, m.Name)
			}
			return strings.Join(out, ",")
		}
		for _, tc := range []struct {
			f    party.MemberFilter
			want string
		}{
			{party.MemberFilter{}, "党员甲某某,党员乙某某"},
			{party.MemberFilter{Skill: "电工"}, "党员甲某某"},
			{party.MemberFilter{Skill: "%"}, "党员甲某某,党员乙某某"},
			{party.MemberFilter{Registered: "yes"}, "党员甲某某"},
			{party.MemberFilter{Registered: "no"}, "党员乙某某"},
			{party.MemberFilter{Registered: "no", Skill: "电工"}, ""},
		} {
			if got := names(tc.f); got != tc.want {
				t.Errorf("%+v: %q, want %q", tc.f, got, tc.want)
			}
		}
		if _, err := fx.p.Members(ctx, admin, party.MemberFilter{Registered: "maybe"}); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("registered maybe: %v", err)
		}
		var b bytes.Buffer
		if err := fx.p.ExportMembers(ctx, admin, party.MemberFilter{OrgCode: "P11", Registered: "no"}, &b); err != nil {
			t.Fatal(err)
		}
		f, err := excelize.OpenReader(&b)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := f.GetRows(party.SheetMembers)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 || rows[1][0] != "党员乙某某" {
			t.Errorf("export of the unregistered: %q", rows)
		}
	})
}
