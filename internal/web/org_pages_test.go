package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"grassroots/internal/access"
	"grassroots/internal/demo"
	"grassroots/internal/org"
	"grassroots/internal/pii"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

func orgSampleUnit(code, name, kind string) org.Unit {
	lng, lat := 118.53897, 27.918872
	return org.Unit{ID: 5, Code: code, Name: name, Kind: kind, ParentID: 4, ParentCode: "350722001000", Path: "/1/2/3/4/5/", Depth: 4,
		UnitType: "居委会(社区)", TownshipType: "城区街道", UrbanRuralCode: "121", Lng: &lng, Lat: &lat, Demo: true}
}

// TestOrgPagesRender renders each organisation page with sample data, in
// both languages, for an administrator and a reader.
func TestOrgPagesRender(t *testing.T) {
	t.Parallel()
	s, err := New(Deps{})
	if err != nil {
		t.Fatal(err)
	}
	admin := access.Actor{UserID: 1, Name: "管理员", UnitName: "浦城县", UnitKind: "county", UnitPath: "/1/", Roles: []access.Role{access.RoleAdmin}}
	reader := access.Actor{UserID: 2, Name: "网格员", UnitName: "仙楼社区", UnitKind: "community", UnitPath: "/1/2/3/4/5/", Roles: []access.Role{access.RoleGrid}}
	counts := org.Counts{Children: map[string]int{"grid": 3}, Subtree: map[string]int{"grid": 3, "building": 20},
		PartyOrgs: map[string]int{"party_group": 7}, People: map[string]int{"grid_worker": 6, "building_leader": 20}}
	township := orgSampleUnit("350722001000", "南浦街道", org.KindStreet)
	grid := orgSampleUnit("350722001001G01", "仙楼社区第1网格", org.KindGrid)
	building := orgSampleUnit("350722001001G01B01", "1号楼", org.KindBuilding)
	person := org.Person{ID: 1, Name: "王某某", Role: org.RoleGridWorker, PhoneMasked: "199****0001", UnitName: "县民政局", Demo: true}
	branch := org.PartyOrg{ID: 9, Code: "350722001001G01P", Name: "仙楼社区第1网格党支部", Kind: org.PartyGridBranch, UnitCode: grid.Code, UnitName: grid.Name, Demo: true}
	group := org.PartyOrg{ID: 10, Code: "350722001001G01B01P", Name: "仙楼社区第1网格1号楼党小组", Kind: org.PartyGroup, UnitCode: building.Code, UnitName: building.Name}
	modules := []org.Module{{ID: 1, Name: "大党建", Institutions: []org.Institution{{ID: 2, ModuleID: 1, Kind: "office", Name: "党建工作办公室"}, {ID: 3, ModuleID: 1, Kind: "centre", Name: "党群服务中心"}}}}
	for _, lang := range []string{"zh", "en"} {
		for _, actor := range []access.Actor{admin, reader} {
			edit := actor.Has(access.RoleAdmin)
			pages := []struct {
				name    string
				data    any
				want    []string
				notWant []string
			}{
				{"org_index", OrgIndexPage{Page: s.TestPage(lang, actor), County: orgSampleUnit("350722000000", "浦城县", org.KindCounty), Counts: counts,
					Townships:   []OrgChildRow{{Unit: township, Villages: 9, Grids: 40, People: 300}},
					Departments: []OrgChildRow{{Unit: orgSampleUnit("350722D000", "县委督查室(县效能办)", org.KindDepartment)}}},
					[]string{`href="/org/350722001000"`, "南浦街道", "县委督查室(县效能办)", `name="q"`}, nil},
				{"org_index", OrgIndexPage{Page: s.TestPage(lang, actor), Query: "南浦", Searched: true, Results: []org.Unit{township}},
					[]string{`value="南浦"`, `href="/org/350722001000"`}, nil},
				{"org_unit", OrgUnitPage{Page: s.TestPage(lang, actor), Unit: township, Counts: counts, Modules: modules,
					Crumbs:   []OrgCrumb{{Code: "350722000000", Name: "浦城县", Link: true}, {Code: "350700000000", Name: "南平市"}},
					Children: []OrgChildRow{{Unit: orgSampleUnit("350722001001", "仙楼社区居委会", org.KindCommunity), Grids: 3}},
					Roles:    []OrgRoleCount{{Role: org.RoleGridWorker, Count: 6}}, CanEdit: edit, CanSetType: edit, TownshipTypes: org.TownshipTypes(),
					Registered: []org.Person{person}},
					[]string{"大党建", "党群服务中心", `href="/org/350722000000"`, "仙楼社区居委会", "118.538970, 27.918872", "199****0001"},
					[]string{`href="/org/350700000000"`}},
				{"org_unit", OrgUnitPage{Page: s.TestPage(lang, actor), Unit: grid, Counts: counts,
					Children:  []OrgChildRow{{Unit: building}},
					PartyOrgs: []org.PartyOrg{branch}, ChildPartyOrgs: []org.PartyOrg{group}, People: []org.Person{person}, CanEdit: edit},
					[]string{"1号楼", `href="/org/party/350722001001G01P"`, "199****0001", "王某某"}, nil},
				{"org_party", OrgPartyPage{Page: s.TestPage(lang, actor), Org: branch, Crumbs: []org.PartyOrg{{Code: "350722001001P", Name: "仙楼社区党委"}},
					Children: []org.PartyOrg{group}, Members: []org.Person{person}},
					[]string{"仙楼社区第1网格党支部", `href="/org/party/350722001001P"`, `href="/org/350722001001G01B01"`, "199****0001"}, nil},
			}
			for _, pg := range pages {
				out, err := s.RenderPage(pg.name, pg.data)
				if err != nil {
					t.Fatalf("%s %s: %v", pg.name, lang, err)
				}
				for _, w := range pg.want {
					if !strings.Contains(out, w) {
						t.Errorf("%s (%s, %s) lacks %q", pg.name, lang, actor.Name, w)
					}
				}
				for _, w := range pg.notWant {
					if strings.Contains(out, w) {
						t.Errorf("%s (%s, %s) has %q", pg.name, lang, actor.Name, w)
					}
				}
				if strings.Contains(out, "org.") && strings.Contains(out, ">org.") {
					t.Errorf("%s (%s) shows an untranslated key", pg.name, lang)
				}
				hasForm := strings.Contains(out, `/name"`)
				if pg.name == "org_unit" && hasForm != edit {
					t.Errorf("%s (%s, %s): rename forms shown = %v, want %v", pg.name, lang, actor.Name, hasForm, edit)
				}
				if hasForm && !strings.Contains(out, `name="csrf" value="test-csrf"`) {
					t.Errorf("%s: a form lacks the CSRF field", pg.name)
				}
			}
		}
	}
}

// TestOrgBrowse walks the real organisation browser on both engines, from
// the county down to a village and one of its grids, and checks scope and
// the rename forms.
func TestOrgBrowse(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		sealer, _ := pii.New([]byte(strings.Repeat("k", pii.KeySize)))
		o := org.NewService(db, sealer)
		if _, err := o.LoadDivisions(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := demo.Org(ctx, o); err != nil {
			t.Fatal(err)
		}
		s, err := New(Deps{DB: db, Org: o})
		if err != nil {
			t.Fatal(err)
		}
		actorAt := func(code string, roles ...access.Role) access.Actor {
			u, err := o.UnitByCode(ctx, access.System, code)
			if err != nil {
				t.Fatal(err)
			}
			return access.Actor{UserID: 1, Username: "u", Name: "测试", UnitID: u.ID, UnitCode: u.Code, UnitName: u.Name, UnitKind: u.Kind, UnitPath: u.Path, Roles: roles}
		}
		do := func(a access.Actor, method, target string, form url.Values) *httptest.ResponseRecorder {
			var r *http.Request
			if form != nil {
				r = httptest.NewRequest(method, target, strings.NewReader(form.Encode()))
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			} else {
				r = httptest.NewRequest(method, target, nil)
			}
			w := httptest.NewRecorder()
			s.mux.ServeHTTP(w, withState(r, requestState{Actor: a, CSRF: "x"}))
			return w
		}
		county := actorAt("350722000000", access.RoleAdmin)
		steps := []struct {
			target string
			want   []string
		}{
			{"/org", []string{"浦城县", "南浦街道", "管厝乡", "县委督查室(县效能办)", "国网浦城县供电公司"}},
			{"/org?q=" + url.QueryEscape("官路"), []string{"官路乡", "官路村委会"}},
			{"/org/350722207000", []string{"官路乡", "官路村委会", "大党建", "综合执法队", "官路乡党委"}},
			{"/org/350722207201", []string{"官路村委会", "官路村第1网格", "官路村党支部"}},
			{"/org/350722207201G01", []string{"官路村第1网格", "官路村第1网格党支部", "演示网格员", "199****"}},
			{"/org/350722001001G01", []string{"1号楼", "楼栋长", "仙楼社区第1网格党支部"}},
			{"/org/party/350722001001P", []string{"仙楼社区党委", "仙楼社区第1网格党支部"}},
		}
		for _, st := range steps {
			w := do(county, "GET", st.target, nil)
			if w.Code != http.StatusOK {
				t.Fatalf("GET %s = %d: %s", st.target, w.Code, w.Body.String())
			}
			for _, want := range st.want {
				if !strings.Contains(w.Body.String(), want) {
					t.Errorf("GET %s lacks %q", st.target, want)
				}
			}
		}
		// A township user starts at their own township and cannot open another.
		nanpu := actorAt("350722001000", access.RoleTownship)
		if w := do(nanpu, "GET", "/org", nil); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/org/350722001000" {
			t.Errorf("township /org = %d → %s", w.Code, w.Header().Get("Location"))
		}
		if w := do(nanpu, "GET", "/org/350722002000", nil); w.Code != http.StatusForbidden {
			t.Errorf("township opens another township: %d", w.Code)
		}
		if w := do(nanpu, "GET", "/org/350722001000", nil); w.Code != 200 || strings.Contains(w.Body.String(), `/name"`) {
			t.Errorf("township staff page: %d, rename forms shown = %v", w.Code, strings.Contains(w.Body.String(), `/name"`))
		}
		// Renames by an administrator; refused for staff.
		guanlu, _ := o.UnitByCode(ctx, access.System, "350722207000")
		mods, _ := o.Modules(ctx, access.System, guanlu.ID)
		inst := mods[0].Institutions[0]
		target := "/org/350722207000/institutions/" + itoa(inst.ID) + "/name"
		if w := do(actorAt("350722207000", access.RoleTownship), "POST", target, url.Values{"name": {"党群办"}}); w.Code != http.StatusForbidden {
			t.Errorf("staff rename = %d", w.Code)
		}
		if w := do(county, "POST", "/org/350722001000/institutions/"+itoa(inst.ID)+"/name", url.Values{"name": {"x"}}); w.Code != http.StatusNotFound {
			t.Errorf("rename through another township's page = %d, want 404", w.Code)
		}
		if w := do(county, "POST", target, url.Values{"name": {"党群工作办"}}); w.Code != http.StatusSeeOther {
			t.Fatalf("admin rename = %d: %s", w.Code, w.Body.String())
		}
		if w := do(county, "POST", "/org/350722207000/township-type", url.Values{"township_type": {org.TownshipCentral}}); w.Code != http.StatusSeeOther {
			t.Fatalf("set township type = %d", w.Code)
		}
		if w := do(county, "POST", "/org/350722207000/name", url.Values{"name": {""}}); w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "名称不能为空") {
			t.Errorf("empty name = %d", w.Code)
		}
		w := do(county, "GET", "/org/350722207000?saved=1", nil)
		if body := w.Body.String(); !strings.Contains(body, "党群工作办") || !strings.Contains(body, "已保存") || !strings.Contains(body, `value="中心镇" selected`) {
			t.Errorf("after edits the page does not show them")
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
