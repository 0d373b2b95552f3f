package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"grassroots/internal/access"
	"grassroots/internal/auth"
	"grassroots/internal/casework"
	"grassroots/internal/catalog"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// sampleCategories is a small category tree: two standard branches and the
// county's 民生诉求 with one category of its own in use and one out of use.
func sampleCategories() []catalog.Category {
	return []catalog.Category{
		{Code: "B", Name: "管理部件", Kind: catalog.KindParts, Active: true, Children: []catalog.Category{
			{Code: "B01", Name: "市政公用设施", ParentCode: "B", Kind: catalog.KindParts, DeptCode: "350722D002", DeptName: "县住房和城乡建设局", Active: true, Children: []catalog.Category{
				{Code: "B01001", Name: "上水井盖", ParentCode: "B01", Kind: catalog.KindParts, DeptCode: "350722D002", DeptName: "县住房和城乡建设局", Active: true},
				{Code: "B01002", Name: "污水井盖", ParentCode: "B01", Kind: catalog.KindParts, Active: false},
			}},
		}},
		{Code: "S", Name: "管理事项", Kind: catalog.KindMatters, Active: true, Children: []catalog.Category{
			{Code: "S03", Name: "市容环境", ParentCode: "S", Kind: catalog.KindMatters, Active: true, Children: []catalog.Category{
				{Code: "S03001", Name: "暴露垃圾", ParentCode: "S03", Kind: catalog.KindMatters, DeptCode: "350722D003", DeptName: "县城市管理和综合执法局", Active: true},
			}},
		}},
		{Code: "L", Name: "民生诉求", Kind: catalog.KindLivelihood, Active: true, Children: []catalog.Category{
			{Code: "L01", Name: "供暖供气", ParentCode: "L", Kind: catalog.KindLivelihood, Active: true},
			{Code: "L02", Name: "旧的分类", ParentCode: "L", Kind: catalog.KindLivelihood, Active: false},
		}},
	}
}

var sampleDepts = []CategoryDept{{"350722D002", "县住房和城乡建设局"}, {"350722D003", "县城市管理和综合执法局"}}

// TestCategoryPagesRender renders the category page in both languages:
// the whole tree, filtered, with a department form open, with each row's
// rename and deactivate/reactivate forms, and with a refused form kept.
func TestCategoryPagesRender(t *testing.T) {
	t.Parallel()
	s, err := New(Deps{})
	if err != nil {
		t.Fatal(err)
	}
	admin := access.Actor{UserID: 1, Username: "admin", Name: "管理员", UnitKind: "county", UnitPath: "/1/", Roles: []access.Role{access.RoleAdmin}}
	for _, tc := range []struct {
		name             string
		lang             string
		query, edit      string
		form             catalog.NewCategory
		formErr, deptErr string
		editDept         string
		// A refused rename (rename, renameName, renameErr) or
		// (de)activation (toggled, activeErr).
		rename, renameName, renameErr string
		toggled, activeErr            string
		want, notWant                 []string
	}{
		{name: "zh whole tree", lang: "zh",
			want: []string{"问题分类", "管理部件", "上水井盖", "县住房和城乡建设局", "已停用", "（2 个小类）", `name="csrf" value="test-csrf"`,
				`href="/admin/categories?edit=B01001#cat-B01001"`, `action="/admin/categories"`, `<option value="L" selected>`, "　供暖供气（L01）", "增加民生诉求分类"},
			notWant: []string{`action="/admin/categories/B01001/department"`, " open>"}},
		{name: "en filtered", lang: "en", query: "垃圾",
			want:    []string{"Case categories", "暴露垃圾", `id="cat-S03" open`, "1 subcategories found.", `value="垃圾"`},
			notWant: []string{"上水井盖", `value="供暖供气"`}},
		{name: "zh editing", lang: "zh", edit: "B01002",
			want:    []string{`action="/admin/categories/B01002/department"`, `id="cat-B01" open`, `id="cat-B" open`, `<option value="">（不指定）</option>`, "cat-focus"},
			notWant: []string{`<option value="350722D002" selected>`}},
		{name: "zh refused department kept", lang: "zh", edit: "B01001", deptErr: "不是县直部门", editDept: "350722D003",
			want: []string{"不是县直部门", `<option value="350722D003" selected>`}},
		{name: "zh rows' controls", lang: "zh",
			want: []string{`<form id="cat-toggle" method="post" action="/admin/categories" hidden><input type="hidden" name="csrf" value="test-csrf"></form>`,
				`供暖供气 <a class="cat-edit" href="/admin/categories?edit=L01#cat-L01">改名</a>`,
				`<a class="cat-edit" href="/admin/categories?edit=L02#cat-L02">改名</a>`,
				`<button type="submit" class="link" form="cat-toggle" formaction="/admin/categories/B01001/active" name="active" value="0">停用</button>`,
				`<button type="submit" class="link" form="cat-toggle" formaction="/admin/categories/B01002/active" name="active" value="1">启用</button>`,
				`formaction="/admin/categories/B01/active"`, "停用（连同下级分类）", "<th>使用</th>"},
			// The rename form opens for one row at a time. The standard's
			// categories keep their names; the roots are not renamed or
			// taken out of use from the page; no category goes under one out
			// of use.
			notWant: []string{`action="/admin/categories/L01/name"`, `href="/admin/categories?edit=B01001#cat-B01001">改名`, `edit=B01#cat-B01">改名`, `edit=L#cat-L">改名`,
				`formaction="/admin/categories/B/active"`, `formaction="/admin/categories/L/active"`, "旧的分类（L02）"}},
		{name: "zh renaming", lang: "zh", edit: "L01",
			want: []string{`action="/admin/categories/L01/name"`, `id="name-L01" name="name" value="供暖供气" maxlength="60" required>`, ">改名</button>",
				`action="/admin/categories/L01/department"`, `<a class="cat-edit" href="/admin/categories?edit=L02#cat-L02">改名</a>`},
			notWant: []string{`action="/admin/categories/L02/name"`}},
		{name: "en filtered forms keep the query", lang: "en", query: "供暖", edit: "L01",
			want: []string{`action="/admin/categories/L01/name"`, `<input type="hidden" name="q" value="供暖">`,
				`<form id="cat-toggle" method="post" action="/admin/categories" hidden><input type="hidden" name="csrf" value="test-csrf"><input type="hidden" name="q" value="供暖"></form>`,
				`form="cat-toggle" formaction="/admin/categories/L01/active" name="active" value="0">Deactivate</button>`, ">Rename</button>", "<th>Use</th>"},
			notWant: []string{"旧的分类"}},
		{name: "zh refused rename kept", lang: "zh", rename: "L01", renameName: " ", renameErr: "分类名称必填，且不超过60字",
			want:    []string{`id="name-L01" name="name" value=" "`, `<span class="error" role="alert">分类名称必填，且不超过60字</span>`},
			notWant: []string{`value="供暖供气"`}},
		{name: "zh refused standard rename at its row", lang: "zh", rename: "B01001", renameName: "井盖", renameErr: "B01001“上水井盖”是国家标准 GB/T 47678.5 的分类，名称不能更改",
			want: []string{`<td>上水井盖 <span class="error" role="alert">B01001“上水井盖”是国家标准`}},
		{name: "en refused reactivation at its row", lang: "en", toggled: "B01002", activeErr: "上级分类 B01“市政公用设施”已停用",
			want: []string{`formaction="/admin/categories/B01002/active" name="active" value="1">Reactivate</button> <span class="error" role="alert">上级分类 B01“市政公用设施”已停用</span>`}},
		{name: "en refused add kept", lang: "en", form: catalog.NewCategory{Code: "L01", Name: "重复的分类", ParentCode: "L01", DeptCode: "350722D003"}, formErr: "分类编码 L01 已存在",
			want: []string{"分类编码 L01 已存在", `value="重复的分类"`, `<option value="L01" selected>`, `<option value="350722D003" selected>`, "Add a livelihood category"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &AdminCategoriesPage{Page: s.TestPage(tc.lang, admin)}
			fillCategoriesPage(p, sampleCategories(), sampleDepts, tc.query, tc.edit, "")
			if tc.form.Code != "" {
				p.Form = tc.form
			}
			p.FormError, p.DeptError, p.EditDept = tc.formErr, tc.deptErr, tc.editDept
			p.Rename, p.RenameName, p.RenameError = tc.rename, tc.renameName, tc.renameErr
			p.Toggled, p.ActiveError = tc.toggled, tc.activeErr
			out, err := s.RenderPage("admin_categories", p)
			if err != nil {
				t.Fatal(err)
			}
			// Every form that posts carries the CSRF token.
			if forms, tokens := strings.Count(out, `method="post"`), strings.Count(out, `name="csrf"`); forms != tokens {
				t.Errorf("%d forms post, %d carry the CSRF token", forms, tokens)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(out, w) {
					t.Errorf("page has %q", w)
				}
			}
		})
	}
}

// TestCategoryHandlersSignedIn goes through the session layer as a signed-in
// county administrator: add a 民生诉求 category, set and clear a
// department, rename, deactivate and reactivate categories, see mistakes on
// the page; others are refused.
func TestCategoryHandlersSignedIn(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newCaseFixture(t, db)
		ctx := context.Background()
		h := fx.s.Handler()
		signIn := func(username, unit, role string) (token, csrf string) {
			t.Helper()
			if _, err := fx.s.Auth.CreateUser(ctx, access.System, auth.NewUser{Username: username, Password: "category-password-1", Name: username,
				UnitCode: unit, Roles: []string{role}}); err != nil {
				t.Fatal(err)
			}
			token, err := fx.s.Auth.Login(ctx, username, "category-password-1", "127.0.0.1")
			if err != nil {
				t.Fatal(err)
			}
			if _, csrf, err = fx.s.Auth.Session(ctx, token); err != nil {
				t.Fatal(err)
			}
			return token, csrf
		}
		send := func(token, method, target string, form url.Values) *httptest.ResponseRecorder {
			var r *http.Request
			if form != nil {
				r = httptest.NewRequest(method, target, strings.NewReader(form.Encode()))
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			} else {
				r = httptest.NewRequest(method, target, nil)
			}
			r.AddCookie(&http.Cookie{Name: SessionCookie, Value: token})
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			return w
		}
		deptOf := func(code string) string {
			t.Helper()
			var dept string
			if err := db.QueryRow(ctx, `SELECT COALESCE(u.code, '') FROM categories c LEFT JOIN units u ON u.id = c.dept_unit_id WHERE c.code = ?`, code).Scan(&dept); err != nil {
				t.Fatalf("category %s: %v", code, err)
			}
			return dept
		}
		nameOf := func(code string) (name string, active bool) {
			t.Helper()
			var n int
			if err := db.QueryRow(ctx, `SELECT name, active FROM categories WHERE code = ?`, code).Scan(&name, &n); err != nil {
				t.Fatalf("category %s: %v", code, err)
			}
			return name, n == 1
		}
		admin, csrf := signIn("cat.admin", "350722000000", "admin")

		expect(t, send(admin, "GET", "/admin/categories", nil), 200, "问题分类", "管理部件", "管理事项", "民生诉求", "县城市管理和综合执法局",
			`<option value="350722D003">县城市管理和综合执法局</option>`)
		expect(t, send(admin, "GET", "/admin/categories?q=井盖", nil), 200, "供水井盖", `id="cat-B01" open`)

		// Add a category with its department.
		w := send(admin, "POST", "/admin/categories", url.Values{"csrf": {csrf}, "code": {"L01"}, "name": {"供暖供气"}, "parent": {"L"}, "dept": {"350722D003"}})
		expect(t, w, 303)
		if loc := w.Header().Get("Location"); loc != "/admin/categories?saved=L01#cat-L01" {
			t.Errorf("redirect to %q", loc)
		}
		if got := deptOf("L01"); got != "350722D003" {
			t.Errorf("L01 department %q", got)
		}
		expect(t, send(admin, "GET", "/admin/categories?saved=L01", nil), 200, "已保存分类 L01", "供暖供气", `id="cat-L" open`)
		// Mistakes show on the page with the typed values kept.
		expect(t, send(admin, "POST", "/admin/categories", url.Values{"csrf": {csrf}, "code": {"L01"}, "name": {"重复"}, "parent": {"L"}}), 409,
			"分类编码 L01 已存在", `value="重复"`)
		expect(t, send(admin, "POST", "/admin/categories", url.Values{"csrf": {csrf}, "code": {"L 02"}, "name": {"物业服务"}, "parent": {"L01"}}), 400,
			"分类编码只能由", `value="L 02"`, `value="物业服务"`, `<option value="L01" selected>`)
		expect(t, send(admin, "POST", "/admin/categories", url.Values{"csrf": {csrf}, "code": {"B01999"}, "name": {"自定部件"}, "parent": {"B01"}}), 400,
			"国家标准分类不能增加下级")
		expect(t, send(admin, "POST", "/admin/categories", url.Values{"csrf": {csrf}, "code": {"L02"}, "name": {"物业服务"}, "dept": {"350722001000"}}), 400,
			"不是县直部门")

		// Set, then clear, a standard leaf's department.
		expect(t, send(admin, "GET", "/admin/categories?edit=B01001", nil), 200, `action="/admin/categories/B01001/department"`)
		w = send(admin, "POST", "/admin/categories/B01001/department", url.Values{"csrf": {csrf}, "dept": {"350722D003"}})
		expect(t, w, 303)
		if got := deptOf("B01001"); got != "350722D003" {
			t.Errorf("B01001 department %q after setting", got)
		}
		expect(t, send(admin, "POST", "/admin/categories/B01001/department", url.Values{"csrf": {csrf}, "dept": {""}}), 303)
		if got := deptOf("B01001"); got != "" {
			t.Errorf("B01001 department %q after clearing", got)
		}
		expect(t, send(admin, "POST", "/admin/categories/B01001/department", url.Values{"csrf": {csrf}, "dept": {"350722001000"}}), 400,
			"不是县直部门", `action="/admin/categories/B01001/department"`)
		expect(t, send(admin, "POST", "/admin/categories/NOSUCH/department", url.Values{"csrf": {csrf}, "dept": {"350722D003"}}), 404)
		// Without the CSRF token nothing changes.
		expect(t, send(admin, "POST", "/admin/categories/B01001/department", url.Values{"dept": {"350722D003"}}), 403)
		if got := deptOf("B01001"); got != "" {
			t.Errorf("B01001 department %q after a refused post", got)
		}

		// Rename the county's own category, back at the tree with the query kept.
		w = send(admin, "POST", "/admin/categories/L01/name", url.Values{"csrf": {csrf}, "name": {" 供暖供气服务 "}, "q": {"供暖"}})
		expect(t, w, 303)
		if loc := w.Header().Get("Location"); loc != "/admin/categories?saved=L01&q=%E4%BE%9B%E6%9A%96#cat-L01" {
			t.Errorf("redirect to %q", loc)
		}
		if name, _ := nameOf("L01"); name != "供暖供气服务" {
			t.Errorf("L01 named %q after the rename", name)
		}
		expect(t, send(admin, "GET", "/admin/categories?saved=L01", nil), 200, "已保存分类 L01", `供暖供气服务 <a class="cat-edit"`)
		expect(t, send(admin, "GET", "/admin/categories?edit=L01", nil), 200, `value="供暖供气服务"`, `action="/admin/categories/L01/name"`)
		// The standard's names, a bad name and an unknown code are refused.
		expect(t, send(admin, "POST", "/admin/categories/B01001/name", url.Values{"csrf": {csrf}, "name": {"井盖"}}), 400,
			"名称不能更改", `id="cat-B01" open`)
		long := strings.Repeat("暖", 61)
		expect(t, send(admin, "POST", "/admin/categories/L01/name", url.Values{"csrf": {csrf}, "name": {long}}), 400,
			"不超过60字", `value="`+long+`"`)
		expect(t, send(admin, "POST", "/admin/categories/L/name", url.Values{"csrf": {csrf}, "name": {"诉求"}}), 400, "分类的根")
		expect(t, send(admin, "POST", "/admin/categories/NOSUCH/name", url.Values{"csrf": {csrf}, "name": {"新名称"}}), 404)
		expect(t, send(admin, "POST", "/admin/categories/L01/name", url.Values{"name": {"没有令牌"}}), 403)
		if name, _ := nameOf("L01"); name != "供暖供气服务" {
			t.Errorf("L01 named %q after refused renames", name)
		}
		if name, _ := nameOf("B01001"); name != "供水井盖" {
			t.Errorf("B01001 named %q", name)
		}

		// Deactivate a standard branch: it goes with its minors, and the page says so.
		w = send(admin, "POST", "/admin/categories/B01/active", url.Values{"csrf": {csrf}, "active": {"0"}})
		expect(t, w, 303)
		if loc := w.Header().Get("Location"); loc != "/admin/categories?saved=B01&done=deactivated#cat-B01" {
			t.Errorf("redirect to %q", loc)
		}
		for _, code := range []string{"B01", "B01001"} {
			if _, active := nameOf(code); active {
				t.Errorf("%s still active", code)
			}
		}
		expect(t, send(admin, "GET", "/admin/categories?saved=B01&done=deactivated", nil), 200, "已停用分类 B01（如有下级分类，一并停用）",
			`<form id="cat-toggle" method="post" action="/admin/categories" hidden><input type="hidden" name="csrf" value="`, // masked per answer

			`formaction="/admin/categories/B01001/active" name="active" value="1">`)
		// A minor does not come back under its inactive major: the refusal shows at its row.
		expect(t, send(admin, "POST", "/admin/categories/B01001/active", url.Values{"csrf": {csrf}, "active": {"1"}}), 400,
			`<span class="error" role="alert">上级分类 B01“市政公用设施”已停用`, `id="cat-B01" open`)
		w = send(admin, "POST", "/admin/categories/B01/active", url.Values{"csrf": {csrf}, "active": {"1"}})
		expect(t, w, 303)
		if loc := w.Header().Get("Location"); loc != "/admin/categories?saved=B01&done=activated#cat-B01" {
			t.Errorf("redirect to %q", loc)
		}
		expect(t, send(admin, "GET", "/admin/categories?saved=B01&done=activated", nil), 200, "已启用分类 B01。下级分类不随之启用")
		expect(t, send(admin, "POST", "/admin/categories/B01001/active", url.Values{"csrf": {csrf}, "active": {"1"}}), 303)
		if _, active := nameOf("B01001"); !active {
			t.Error("B01001 inactive after reactivating it")
		}
		expect(t, send(admin, "POST", "/admin/categories/B01001/active", url.Values{"csrf": {csrf}, "active": {"yes"}}), 400)
		expect(t, send(admin, "POST", "/admin/categories/B01001/active", url.Values{"csrf": {csrf}}), 400)
		expect(t, send(admin, "POST", "/admin/categories/NOSUCH/active", url.Values{"csrf": {csrf}, "active": {"0"}}), 404)
		expect(t, send(admin, "POST", "/admin/categories/B01001/active", url.Values{"active": {"0"}}), 403)
		if _, active := nameOf("B01001"); !active {
			t.Error("B01001 inactive after refused posts")
		}

		// Non-administrators and township administrators are refused.
		clerk, clerkCSRF := signIn("cat.clerk", "350722000000", "supervisor")
		expect(t, send(clerk, "GET", "/admin/categories", nil), 403)
		expect(t, send(clerk, "POST", "/admin/categories/B01001/department", url.Values{"csrf": {clerkCSRF}, "dept": {"350722D003"}}), 403)
		expect(t, send(clerk, "POST", "/admin/categories/L01/name", url.Values{"csrf": {clerkCSRF}, "name": {"改名"}}), 403)
		expect(t, send(clerk, "POST", "/admin/categories/L01/active", url.Values{"csrf": {clerkCSRF}, "active": {"0"}}), 403)
		town, townCSRF := signIn("cat.town", "350722001000", "admin")
		expect(t, send(town, "GET", "/admin/categories", nil), 403, "县级系统管理员")
		expect(t, send(town, "POST", "/admin/categories", url.Values{"csrf": {townCSRF}, "code": {"L03"}, "name": {"物业服务"}}), 403)
		expect(t, send(town, "POST", "/admin/categories/L01/name", url.Values{"csrf": {townCSRF}, "name": {"改名"}}), 403, "县级系统管理员")
		expect(t, send(town, "POST", "/admin/categories/L01/active", url.Values{"csrf": {townCSRF}, "active": {"0"}}), 403, "县级系统管理员")
		if got := deptOf("B01001"); got != "" {
			t.Errorf("B01001 department %q after refused users", got)
		}
		if name, active := nameOf("L01"); name != "供暖供气服务" || !active {
			t.Errorf("L01 %q active %v after refused users", name, active)
		}
		// Anonymous visitors are sent to log in.
		w = httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/admin/categories", nil))
		expect(t, w, 303)
	})
}

// TestInactiveCategoryNotOffered: a category taken out of use on the page is
// no longer offered by the forms that file cases (the staff's new case, the
// township call, the residents' category search), nor accepted.
func TestInactiveCategoryNotOffered(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newCaseFixture(t, db)
		ctx := context.Background()
		admin := fx.actor(1, "350722000000", "county", access.RoleAdmin)
		if _, err := fx.s.Lists.AddCategory(ctx, admin, catalog.NewCategory{Code: "L01", Name: "供暖供气"}); err != nil {
			t.Fatal(err)
		}
		forms := []struct{ path, offer string }{
			{"/cases/new", `<option value="L01">`},
			{"/township-calls/new", `<option value="L01">`},
			{"/portal/categories?cq=" + url.QueryEscape("供暖"), "category=L01"},
		}
		for _, f := range forms {
			expect(t, fx.send(admin, "GET", f.path, nil), 200, f.offer)
		}
		expect(t, fx.send(admin, "POST", "/admin/categories/L01/active", url.Values{"csrf": {"test-csrf"}, "active": {"0"}}), 303)
		for _, f := range forms {
			w := fx.send(admin, "GET", f.path, nil)
			expect(t, w, 200)
			if strings.Contains(w.Body.String(), f.offer) {
				t.Errorf("%s still offers L01", f.path)
			}
		}
		_, _, err := fx.s.Cases.Create(ctx, admin, casework.NewCase{Flow: "hotline", RequestType: "help", Title: "暖气不热",
			ReporterPhone: "13800005678", PlaceUnit: "350722001001", Category: "L01"})
		if msg, _ := store.UserMessage(err); !strings.Contains(msg, "已停用") {
			t.Errorf("a case under inactive L01: %v", err)
		}
	})
}
