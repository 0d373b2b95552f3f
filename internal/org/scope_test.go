package org

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

func TestScope(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := loaded(t, db)
		nanpu := actorAt(t, s, "350722001000", access.RoleTownship)      // 南浦街道
		county := actorAt(t, s, "350722000000", access.RoleSupervisor)   // the county
		dept := actorAt(t, s, "350722D003", access.RoleDepartment)       // 县城市管理和综合执法局
		community := actorAt(t, s, "350722001001", access.RoleCommunity) // 仙楼社区
		tests := []struct {
			name  string
			actor access.Actor
			code  string
			ok    bool
		}{
			{"township reads itself", nanpu, "350722001000", true},
			{"township reads its community", nanpu, "350722001002", true},
			{"township cannot read another township", nanpu, "350722002000", false},
			{"township cannot read another township's community", nanpu, "350722002001", false},
			{"township cannot read the county", nanpu, "350722000000", false},
			{"county reads every township", county, "350722002000", true},
			{"county reads a village", county, "350722207201", true},
			{"department reads townships", dept, "350722101000", true},
			{"community cannot read a sibling", community, "350722001002", false},
			{"anonymous reads nothing", access.Actor{}, "350722001000", false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := s.UnitByCode(ctx, tt.actor, tt.code)
				if tt.ok && err != nil {
					t.Errorf("UnitByCode(%s) = %v, want allowed", tt.code, err)
				}
				if !tt.ok {
					if !errors.Is(err, store.ErrForbidden) {
						t.Errorf("UnitByCode(%s) = %v, want forbidden", tt.code, err)
					} else if msg, ok := store.UserMessage(err); !ok || !(strings.Contains(msg, "无权") || strings.Contains(msg, "登录")) {
						t.Errorf("forbidden without a Chinese message: %v", err)
					}
				}
			})
		}
		hebin, _ := s.UnitByCode(ctx, access.System, "350722002000")
		if _, err := s.Children(ctx, nanpu, hebin.ID); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("Children of another township: %v, want forbidden", err)
		}
		if _, err := s.UnitByCode(ctx, county, "999999999999"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown code: %v, want not found", err)
		}
		// Search stays in scope.
		found, err := s.Search(ctx, nanpu, "社区", 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(found) != 9 {
			t.Errorf("南浦街道 finds %d communities, want its 9", len(found))
		}
		for _, u := range found {
			if !strings.HasPrefix(u.Code, "350722001") {
				t.Errorf("search leaked %s %s", u.Code, u.Name)
			}
		}
		all, _ := s.Search(ctx, county, "社区", 100)
		if len(all) <= len(found) {
			t.Errorf("county finds %d, no more than the township's %d", len(all), len(found))
		}
		byCode, _ := s.Search(ctx, county, "350722002", 5)
		if len(byCode) == 0 || byCode[0].Code != "350722002000" {
			t.Errorf("code prefix search = %+v", byCode)
		}
		if got, _ := s.Search(ctx, county, "100%", 5); len(got) != 0 {
			t.Errorf("wildcards are not escaped: %d hits", len(got))
		}
		town, err := s.TownshipOf(ctx, found[0].ID)
		if err != nil || town.Code != "350722001000" {
			t.Errorf("TownshipOf = %s, %v", town.Code, err)
		}
		if _, err := s.TownshipOf(ctx, dept.UnitID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("TownshipOf(department) = %v, want not found", err)
		}
	})
}

func TestEdits(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := loaded(t, db)
		countyAdmin := actorAt(t, s, "350722000000", access.RoleAdmin)
		townAdmin := actorAt(t, s, "350722101000", access.RoleAdmin) // 富岭镇
		townStaff := actorAt(t, s, "350722101000", access.RoleTownship)
		fuling, _ := s.UnitByCode(ctx, access.System, "350722101000")
		mods, err := s.Modules(ctx, townStaff, fuling.ID)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, m := range mods {
			names = append(names, m.Name)
		}
		if strings.Join(names, ",") != "大党建,大协调,大治理,大执法,大经济(生态),大服务" {
			t.Errorf("modules = %v", names)
		}
		inst := mods[0].Institutions[0]
		if err := s.RenameInstitution(ctx, townStaff, inst.ID, "新名称"); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("staff rename: %v, want forbidden", err)
		}
		if err := s.RenameInstitution(ctx, townAdmin, inst.ID, " "); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("empty name: %v, want invalid", err)
		}
		if err := s.RenameInstitution(ctx, townAdmin, inst.ID, mods[0].Institutions[1].Name); !errors.Is(err, store.ErrConflict) {
			t.Errorf("duplicate name: %v, want conflict", err)
		}
		if err := s.RenameInstitution(ctx, townAdmin, inst.ID, "党建和群众工作办公室"); err != nil {
			t.Fatal(err)
		}
		other := actorAt(t, s, "350722102000", access.RoleAdmin)
		if err := s.RenameInstitution(ctx, other, inst.ID, "x"); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("another township's admin: %v, want forbidden", err)
		}
		if err := s.RenameModule(ctx, countyAdmin, mods[4].ID, "大经济"); err != nil {
			t.Fatal(err)
		}
		if err := s.RenameUnit(ctx, townAdmin, fuling.ID, "富岭镇（测试）"); err != nil {
			t.Fatal(err)
		}
		if err := s.SetTownshipType(ctx, townAdmin, fuling.ID, TownshipGeneral); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("township admin sets type: %v, want forbidden", err)
		}
		if err := s.SetTownshipType(ctx, countyAdmin, fuling.ID, "特大镇"); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("unknown type: %v, want invalid", err)
		}
		if err := s.SetTownshipType(ctx, countyAdmin, fuling.ID, TownshipGeneral); err != nil {
			t.Fatal(err)
		}
		after, _ := s.UnitByID(ctx, fuling.ID)
		if after.Name != "富岭镇（测试）" || after.TownshipType != TownshipGeneral {
			t.Errorf("after edits: %+v", after)
		}
		mods, _ = s.Modules(ctx, townStaff, fuling.ID)
		if mods[0].Institutions[0].Name != "党建和群众工作办公室" || mods[4].Name != "大经济" {
			t.Errorf("renames not stored: %+v", mods)
		}
		recs, err := audit.List(ctx, db, "", "", 10)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, r := range recs {
			actions = append(actions, r.Action)
		}
		if got := strings.Join(actions, ","); got != "unit.township_type,unit.rename,module.rename,institution.rename,unit.import" &&
			!strings.HasPrefix(got, "unit.township_type,unit.rename,module.rename,institution.rename,") {
			t.Errorf("audit actions = %s", got)
		}
		// Entries written on PostgreSQL wait for the chainer (audit.Chain).
		if _, err := audit.Chain(ctx, db); err != nil {
			t.Fatal(err)
		}
		if n, err := audit.Verify(ctx, db); err != nil || n == 0 {
			t.Errorf("audit chain: %d, %v", n, err)
		}
	})
}

func TestPeople(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := loaded(t, db)
		community := actorAt(t, s, "350722001001", access.RoleCommunity)
		otherTown := actorAt(t, s, "350722002000", access.RoleTownship)
		viewer := actorAt(t, s, "350722001001", access.RoleGrid)
		in := PersonInput{Name: "测试某某", UnitID: community.UnitID, Role: RoleBuildingLeader, Phone: "138 1234 5678", IDNo: "11010519491231002x"}
		bad := []struct {
			name  string
			edit  func(*PersonInput)
			actor access.Actor
			want  error
		}{
			{"bad phone", func(p *PersonInput) { p.Phone = "12345" }, community, store.ErrInvalid},
			{"bad id", func(p *PersonInput) { p.IDNo = "110105194912310021" }, community, store.ErrInvalid},
			{"bad role", func(p *PersonInput) { p.Role = "boss" }, community, store.ErrInvalid},
			{"no name", func(p *PersonInput) { p.Name = "" }, community, store.ErrInvalid},
			{"outside scope", func(p *PersonInput) {}, otherTown, store.ErrForbidden},
			{"grid worker may not add", func(p *PersonInput) {}, viewer, store.ErrForbidden},
		}
		for _, b := range bad {
			p := in
			b.edit(&p)
			if _, err := s.AddPerson(ctx, b.actor, p); !errors.Is(err, b.want) {
				t.Errorf("%s: %v, want %v", b.name, err, b.want)
			}
		}
		p, err := s.AddPerson(ctx, community, in)
		if err != nil {
			t.Fatal(err)
		}
		if p.PhoneMasked != "138****5678" || p.IDMasked != "1101**********002X" {
			t.Errorf("masks = %q %q", p.PhoneMasked, p.IDMasked)
		}
		var enc, hash string
		db.QueryRow(ctx, `SELECT phone_enc, phone_hash FROM people WHERE id = ?`, p.ID).Scan(&enc, &hash)
		if strings.Contains(enc, "5678") || !strings.HasPrefix(enc, "v1:") || hash != s.Sealer().Hash("13812345678") {
			t.Errorf("stored phone %q / %q is not sealed and hashed", enc, hash)
		}
		ps, err := s.People(ctx, viewer, community.UnitID, RoleBuildingLeader)
		if err != nil || len(ps) != 1 || ps[0].PhoneMasked != "138****5678" {
			t.Errorf("People = %+v, %v", ps, err)
		}
		if _, err := s.People(ctx, otherTown, community.UnitID, ""); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("People outside scope: %v", err)
		}
		byPhone, err := s.PeopleByPhone(ctx, community, "+8613812345678")
		if err != nil || len(byPhone) != 1 {
			t.Errorf("PeopleByPhone = %+v, %v", byPhone, err)
		}
		if got, _ := s.PeopleByPhone(ctx, otherTown, "13812345678"); len(got) != 0 {
			t.Errorf("PeopleByPhone leaks across townships: %+v", got)
		}
		if _, err := s.RevealPhone(ctx, otherTown, p.ID, "核实"); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("reveal outside scope: %v", err)
		}
		phone, err := s.RevealPhone(ctx, community, p.ID, "回访核实")
		if err != nil || phone != "13812345678" {
			t.Errorf("RevealPhone = %q, %v", phone, err)
		}
		recs, _ := audit.List(ctx, db, "person", fmt.Sprint(p.ID), 5)
		if len(recs) != 2 || recs[0].Action != "person.reveal_phone" || strings.Contains(recs[1].AfterJSON, "13812345678") {
			t.Errorf("audit of person = %+v", recs)
		}
	})
}
