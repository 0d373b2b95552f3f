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
	"grassroots/internal/auth"
	"grassroots/internal/catalog"
	"grassroots/internal/service"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// TestServiceItemEditPageRenders renders the item maintenance page, new and
// edit, in both languages, and the item page's "编辑" link for those who may
// use it.
func TestServiceItemEditPageRenders(t *testing.T) {
	t.Parallel()
	s, err := New(Deps{})
	if err != nil {
		t.Fatal(err)
	}
	admin := access.Actor{UserID: 1, UnitCode: "350722000000", UnitKind: "county", UnitPath: "/1/", Roles: []access.Role{access.RoleAdmin}}
	clerk := access.Actor{UserID: 2, UnitCode: "350722001000", UnitKind: "street", UnitPath: "/1/2/", Roles: []access.Role{access.RoleTownship}}
	it := service.Item{Code: "JF00503000", Name: "临时救助", Kind: "promised", Level: "county", DeptCode: "350722D008", LegalDays: 10, PromisedDays: 5, FeeCents: 1250,
		Devolved: true, Materials: []service.Material{{ID: 1, Name: "临时救助申请书", Form: "original", Copies: 1, Required: true, Sample: "见样表"}}}
	for _, lang := range []string{"zh", "en"} {
		p := s.TestPage(lang, admin)
		edit := ServiceItemEditPage{Page: p, Form: formOfItem(service.InputOf(it)), Error: "承诺时限不能超过法定时限",
			Departments: []catalog.UnitRef{{Code: "350722D008", Name: "县民政局"}}}
		edit.Form.Materials = append(edit.Form.Materials, ServiceMaterialRow{Form: "copy", Copies: "1", Required: true})
		for _, pg := range []struct {
			name string
			data any
			want []string
		}{
			{"service_item_edit", edit, []string{`action="/service/items/JF00503000/edit"`, `name="m0_name" value="临时救助申请书"`, `name="m0_sample" value="见样表"`,
				`name="m1_name" value=""`, `name="rows" value="2"`, `name="devolved" value="1" checked`, `value="350722D008" selected`, `name="fee" value="12.50"`,
				`name="promised_days" value="5"`, `value="add"`, "承诺时限不能超过法定时限", `name="csrf" value="test-csrf"`}},
			{"service_item_edit", ServiceItemEditPage{Page: p, New: true, Form: ServiceItemForm{Kind: "promised", Level: "township"},
				Matters: []catalog.Matter{{Code: "JF00504000", Name: "困难群众价格补贴"}}},
				[]string{`action="/service/items/new"`, `name="code"`, `<option value="JF00504000">`, `name="dept_code"`}},
			{"service_item", ServiceItemPage{Page: p, Item: it}, []string{`href="/service/items/JF00503000/edit"`}},
			{"service_desk", ServiceDeskPage{Page: p}, []string{`href="/service/items/new"`}},
		} {
			out, err := s.RenderPage(pg.name, pg.data)
			if err != nil {
				t.Fatalf("%s %s: %v", lang, pg.name, err)
			}
			for _, w := range pg.want {
				if !strings.Contains(out, w) {
					t.Errorf("%s %s: missing %q", lang, pg.name, w)
				}
			}
			if i := strings.Index(out, ">service."); i >= 0 {
				t.Errorf("%s %s: untranslated key %.60s", lang, pg.name, out[i:])
			}
		}
		out, err := s.RenderPage("service_item", ServiceItemPage{Page: s.TestPage(lang, clerk), Item: it})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(out, "/edit") {
			t.Errorf("%s: a township clerk is offered the edit link", lang)
		}
	}
}

func TestParseYuan(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   string
		want int64
		ok   bool
	}{{"", 0, true}, {"0", 0, true}, {"免费", 0, true}, {"12", 1200, true}, {"12.5", 1250, true}, {"12.05元", 1205, true}, {" 3.00 ", 300, true},
		{"-1", 0, false}, {"1.234", 0, false}, {"abc", 0, false}, {".5", 0, false}, {"1.-5", 0, false}, {"1.+5", 0, false}} {
		got, err := parseYuan(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("parseYuan(%q) = %d, %v; want %d, ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
}

// itemClient is a signed-in browser: session cookie and CSRF token.
type itemClient struct {
	t            *testing.T
	h            http.Handler
	cookie, csrf string
}

func (c *itemClient) get(path string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("GET", path, nil)
	r.AddCookie(&http.Cookie{Name: SessionCookie, Value: c.cookie})
	w := httptest.NewRecorder()
	c.h.ServeHTTP(w, r)
	return w
}

func (c *itemClient) post(path string, form url.Values) *httptest.ResponseRecorder {
	form.Set("csrf", c.csrf)
	r := httptest.NewRequest("POST", path, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.AddCookie(&http.Cookie{Name: SessionCookie, Value: c.cookie})
	w := httptest.NewRecorder()
	c.h.ServeHTTP(w, r)
	return w
}

// itemForm is the edit form as the browser posts it.
func itemForm(fields map[string]string, materials ...[5]string) url.Values {
	f := url.Values{"op": {"save"}}
	for k, v := range fields {
		f.Set(k, v)
	}
	f.Set("rows", strconv.Itoa(len(materials)))
	for i, m := range materials {
		p := "m" + strconv.Itoa(i) + "_"
		f.Set(p+"name", m[0])
		f.Set(p+"form", m[1])
		f.Set(p+"copies", m[2])
		if m[3] != "" {
			f.Set(p+"required", "1")
		}
		f.Set(p+"sample", m[4])
	}
	return f
}

// TestServiceItemMaintenance signs in a county administrator who changes an
// item's promised limit and adds a material through the edit page (after a
// refused attempt that keeps the input), and creates a new item; a township
// user and a township administrator are refused.
func TestServiceItemMaintenance(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fx := newCaseFixture(t, db)
		d := fx.s.Deps
		d.Lists = catalog.NewService(db)
		d.Service = service.New(db, d.Cases, d.Org.Sealer(), d.Log)
		s, err := New(d)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range [][2]string{{"JF00503000", "临时救助"}, {"JF00504000", "困难群众价格补贴"}} {
			if _, err := db.Exec(ctx, `INSERT INTO matters (code, type, name, created_at, updated_at) VALUES (?, 'JF', ?, 0, 0)`, m[0], m[1]); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.Service.SaveItem(ctx, access.System, service.ItemInput{Code: "JF00503000", Kind: "promised", Level: "township", LegalDays: 10, PromisedDays: 7,
			Materials: []service.MaterialInput{{Name: "临时救助申请书", Required: true}, {Name: "困难情况说明", Form: "copy"}}}); err != nil {
			t.Fatal(err)
		}
		login := func(user, unit, role string) *itemClient {
			if _, err := s.Auth.CreateUser(ctx, access.System, auth.NewUser{Username: user, Password: user + " password", Name: user, UnitCode: unit, Roles: []string{role}}); err != nil {
				t.Fatal(err)
			}
			tok, err := s.Auth.Login(ctx, user, user+" password", "192.0.2.1")
			if err != nil {
				t.Fatal(err)
			}
			_, csrf, err := s.Auth.Session(ctx, tok)
			if err != nil {
				t.Fatal(err)
			}
			return &itemClient{t: t, h: s.Handler(), cookie: tok, csrf: csrf}
		}
		admin := login("county.admin", "350722000000", "admin")
		clerk := login("nanpu.clerk", "350722001000", "township")
		townAdmin := login("nanpu.admin", "350722001000", "admin")

		good := map[string]string{"kind": "promised", "level": "township", "office": "社会事务办", "legal_days": "10", "promised_days": "3", "fee": "0", "devolved": "1", "one_visit": "1"}
		mats := [][5]string{{"临时救助申请书", "original", "1", "y", ""}, {"困难情况说明", "copy", "1", "", ""}, {"户口簿", "original_copy", "2", "y", "核验原件，收复印件"}}

		// Township users may read the item but not maintain it.
		if w := clerk.get("/service/items/JF00503000"); w.Code != http.StatusOK || strings.Contains(w.Body.String(), "/service/items/JF00503000/edit") {
			t.Errorf("clerk reads the item: %d, edit link shown: %v", w.Code, strings.Contains(w.Body.String(), "/edit"))
		}
		for _, c := range []*itemClient{clerk, townAdmin} {
			if w := c.get("/service/items/JF00503000/edit"); w.Code != http.StatusForbidden {
				t.Errorf("township user opens the edit page: %d", w.Code)
			}
			if w := c.post("/service/items/JF00503000/edit", itemForm(good, mats...)); w.Code != http.StatusForbidden {
				t.Errorf("township user saves the item: %d", w.Code)
			}
			if w := c.post("/service/items/new", itemForm(map[string]string{"code": "JF00504000", "kind": "immediate", "level": "township"})); w.Code != http.StatusForbidden {
				t.Errorf("township user creates an item: %d", w.Code)
			}
		}
		if it, _ := s.Service.Item(ctx, "JF00503000"); it.PromisedDays != 7 || len(it.Materials) != 2 {
			t.Fatalf("a refused save changed the item: %+v", it)
		}

		// The administrator sees the link and the filled-in form.
		if w := admin.get("/service/items/JF00503000"); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `href="/service/items/JF00503000/edit"`) {
			t.Fatalf("admin's item page: %d, no edit link", w.Code)
		}
		w := admin.get("/service/items/JF00503000/edit")
		expect(t, w, http.StatusOK, `name="promised_days" value="7"`, `name="m1_name" value="困难情况说明"`, `name="m2_name" value=""`)
		// A promised limit beyond the legal one: the domain's message, the input kept.
		bad := map[string]string{}
		for k, v := range good {
			bad[k] = v
		}
		bad["promised_days"] = "12"
		w = admin.post("/service/items/JF00503000/edit", itemForm(bad, mats...))
		expect(t, w, http.StatusBadRequest, "承诺时限不能超过法定时限", `name="promised_days" value="12"`, `name="m2_name" value="户口簿"`, `name="m2_sample" value="核验原件，收复印件"`)
		bad["promised_days"], bad["fee"] = "3", "十元"
		expect(t, admin.post("/service/items/JF00503000/edit", itemForm(bad, mats...)), http.StatusBadRequest, "收费金额应为以元计的数字", `name="fee" value="十元"`)
		// Adding a row shows the form again with one more blank row, unsaved.
		add := itemForm(good, mats...)
		add.Set("op", "add")
		add.Set("m1_remove", "1")
		w = admin.post("/service/items/JF00503000/edit", add)
		expect(t, w, http.StatusOK, `name="rows" value="4"`, `name="m1_name" value="户口簿"`, `name="m3_name" value=""`)
		if strings.Contains(w.Body.String(), "困难情况说明") {
			t.Error("a row ticked for removal is still shown")
		}
		// Saved: the promised limit is 3 working days and 户口簿 is asked for.
		w = admin.post("/service/items/JF00503000/edit", itemForm(good, mats...))
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/service/items/JF00503000" {
			t.Fatalf("save: %d %s %.400s", w.Code, w.Header().Get("Location"), w.Body.String())
		}
		it, err := s.Service.Item(ctx, "JF00503000")
		if err != nil {
			t.Fatal(err)
		}
		if it.PromisedDays != 3 || it.Office != "社会事务办" || !it.Devolved || !it.OneVisit || it.Online || len(it.Materials) != 3 {
			t.Fatalf("saved item: %+v", it)
		}
		if m := it.Materials[2]; m.Name != "户口簿" || m.Form != "original_copy" || m.Copies != 2 || !m.Required || m.Sample != "核验原件，收复印件" {
			t.Errorf("added material: %+v", m)
		}
		if it.Materials[1].Required {
			t.Errorf("optional material saved as required: %+v", it.Materials[1])
		}
		var n int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM audit_log WHERE action = 'service.item.save' AND entity_id = 'JF00503000' AND actor_name = 'county.admin'`).Scan(&n); err != nil || n != 1 {
			t.Errorf("audit entries of the save: %d %v", n, err)
		}

		// A new item: an unknown code is refused with the domain's message; a matter of the catalogue is created.
		expect(t, admin.get("/service/items/new"), http.StatusOK, `action="/service/items/new"`, `<option value="JF00504000">`)
		expect(t, admin.post("/service/items/new", itemForm(map[string]string{"code": "XX99999999", "kind": "immediate", "level": "township"})),
			http.StatusBadRequest, "事项目录中没有编码为 XX99999999 的事项", `value="XX99999999"`)
		w = admin.post("/service/items/new", itemForm(map[string]string{"code": "jf00504000", "kind": "immediate", "level": "county", "dept_code": "350722D003", "fee": "12.5", "online": "1"},
			[5]string{"价格补贴申请表", "electronic", "", "y", ""}))
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/service/items/JF00504000" {
			t.Fatalf("create: %d %.400s", w.Code, w.Body.String())
		}
		if it, err := s.Service.Item(ctx, "JF00504000"); err != nil || it.Name != "困难群众价格补贴" || it.FeeCents != 1250 || !it.Online || it.DeptCode != "350722D003" || len(it.Materials) != 1 {
			t.Errorf("created item: %+v %v", it, err)
		}
	})
}
