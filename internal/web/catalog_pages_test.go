package web_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"grassroots/internal/access"
	"grassroots/internal/auth"
	"grassroots/internal/catalog"
	"grassroots/internal/org"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
	"grassroots/internal/web"
)

// TestListsPagesRender renders every lists page with sample data, in both
// languages, for an editor and for a read-only user.
func TestListsPagesRender(t *testing.T) {
	t.Parallel()
	s, err := web.New(web.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	editor := access.Actor{UserID: 1, Username: "bb", Name: "编办", UnitCode: catalog.ApprovalOfficeCode, UnitName: "县委编办", UnitKind: "department", UnitPath: "/1/2/", Roles: []access.Role{access.RoleDepartment}}
	township := access.Actor{UserID: 2, Username: "np", Name: "南浦", UnitCode: "350722001000", UnitName: "南浦街道", UnitKind: "street", UnitPath: "/1/3/", Roles: []access.Role{access.RoleTownship}}
	when := time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
	m := catalog.Matter{Code: "XK00101000", Type: "XK", TypeName: "行政许可", Name: "乡村建设规划许可", BasisLaw: "中华人民共和国城乡规划法", BasisArticle: "第四十一条", Demo: true}
	batch := &catalog.Batch{BatchNo: "第一批", DocNo: "浦委编〔2026〕1号", EffectiveAt: when}
	items := map[catalog.ListKind][]catalog.Item{
		catalog.PowerList:       {{Key: "中心镇/1", TownshipType: "中心镇", Matter: m, Subject: "便民服务中心", Duties: "受理、审查", Accountability: "不予受理的"}},
		catalog.TerritorialList: {{Key: "1", UnitCode: "350722D002", UnitName: "县住房和城乡建设局", Matter: m, Duties: "查处", SupportUnits: []string{"350722D003"}, SupportDuties: "发现报告"}},
		catalog.AccessList:      {{Key: "2/1", UnitCode: "350722D002", UnitName: "县住房和城乡建设局", Matter: m, Duties: "入户排查"}},
		catalog.EmpowermentList: {{Key: "中心镇/1", TownshipType: "中心镇", Matter: m, Batch: batch}},
	}
	type page struct {
		name string
		data func(p web.Page, edit bool) any
		want string
	}
	lp := func(p web.Page, edit bool, active string) web.ListsPage {
		lp := web.ListsPage{Page: p, CanEdit: edit, Active: active}
		for _, l := range catalog.Lists {
			lp.Tabs = append(lp.Tabs, web.ListTab{List: l, Active: string(l) == active})
		}
		return lp
	}
	var pages []page
	pages = append(pages, page{"lists_index", func(p web.Page, edit bool) any {
		return web.ListsIndexPage{ListsPage: lp(p, edit, ""), Lists: []catalog.ListSummary{{List: catalog.PowerList, Version: 3, Items: 58, Changed: when}}}
	}, "58"})
	for _, l := range catalog.Lists {
		l := l
		pages = append(pages, page{"lists_list", func(p web.Page, edit bool) any {
			return web.ListsListPage{ListsPage: lp(p, edit, string(l)), List: l, Items: items[l], Version: 2, Current: 3, TownshipTypes: catalog.TownshipTypes,
				Departments: []catalog.UnitRef{{Code: "350722D002", Name: "县住房和城乡建设局"}}, ImportMessage: "导入文件有1行有误", ImportErrors: []catalog.RowError{{Row: 7, Message: "事项编码不能为空"}}}
		}, "乡村建设规划许可"})
		pages = append(pages, page{"lists_item", func(p web.Page, edit bool) any {
			return web.ListsItemPage{ListsPage: lp(p, edit, string(l)), List: l, Key: "k", Form: catalog.InputOf(items[l][0]), Error: "实施主体不能为空",
				TownshipTypes: catalog.TownshipTypes, Departments: []catalog.UnitRef{{Code: "350722D002", Name: "县住房和城乡建设局"}}, Matters: []catalog.Matter{m}, Batches: []catalog.Batch{*batch}}
		}, "实施主体不能为空"})
	}
	pages = append(pages,
		page{"lists_history", func(p web.Page, edit bool) any {
			return web.ListsHistoryPage{ListsPage: lp(p, edit, "power"), List: catalog.PowerList, Versions: []catalog.Version{{No: 2, At: when, ActorName: "编办", Reason: "细化责任事项", Changed: 1}, {No: 1, At: when, ActorName: "演示数据", Reason: "演示数据", Added: 5, Demo: true}}}
		}, "细化责任事项"},
		page{"lists_compare", func(p web.Page, edit bool) any {
			a, b := items[catalog.PowerList][0], items[catalog.PowerList][0]
			b.Duties = "受理、审查、决定"
			return web.ListsComparePage{ListsPage: lp(p, edit, "power"), List: catalog.PowerList, A: 1, B: 2, Diffs: []catalog.Diff{
				{Kind: "changed", Before: &a, After: &b, Fields: []catalog.FieldChange{{Field: "duties", Before: a.Duties, After: b.Duties}}}, {Kind: "removed", Before: &a}}}
		}, "受理、审查、决定"},
		page{"lists_import", func(p web.Page, edit bool) any {
			return web.ListsImportPage{ListsPage: lp(p, edit, "power"), List: catalog.PowerList, Job: catalog.ImportJob{ID: "1-1", Phase: "writing", Done: 500, Total: 1000}}
		}, `hx-trigger="every 1s"`},
		page{"lists_import", func(p web.Page, edit bool) any {
			return web.ListsImportPage{ListsPage: lp(p, edit, "power"), List: catalog.PowerList, Job: catalog.ImportJob{ID: "1-1", Phase: "failed", Finished: true, Message: "导入文件有1行有误", Errors: []catalog.RowError{{Row: 3, Message: "乡镇类型不正确"}}}}
		}, "乡镇类型不正确"},
		page{"lists_matters", func(p web.Page, edit bool) any {
			return web.ListsMattersPage{ListsPage: lp(p, edit, "matters"), Matters: []catalog.Matter{m}, Types: catalog.MatterTypes, Error: "事项编码格式不正确",
				Categories: []catalog.CategoryMatter{{CategoryCode: "08004", CategoryName: "工地扬尘", Matter: m}}}
		}, "《中华人民共和国城乡规划法》第四十一条"},
		page{"lists_attempts", func(p web.Page, edit bool) any {
			return web.ListsAttemptsPage{ListsPage: lp(p, edit, "attempts"), CanGrant: edit, From: "2026-01-01", To: "2026-03-31",
				Report:      []catalog.DepartmentAttempts{{Code: "350722D002", Name: "县住房和城乡建设局", Total: 3, Allowed: 1, Refused: 2}},
				Attempts:    []catalog.Attempt{{At: when, FromName: "县住房和城乡建设局", ToName: "南浦街道", MatterName: m.Name, Message: "根据职责准入清单，县住房和城乡建设局不得将……", Kind: catalog.AttemptHandoff}},
				Exceptions:  []catalog.Exception{{ID: 1, FromName: "县住房和城乡建设局", Matter: m, Reason: "专项整治", GrantedAt: when}},
				Departments: []catalog.UnitRef{{Code: "350722D002", Name: "县住房和城乡建设局"}}, Townships: []catalog.UnitRef{{Code: "350722001000", Name: "南浦街道"}}, Matters: []catalog.Matter{m}}
		}, "根据职责准入清单"},
		page{"lists_requests", func(p web.Page, edit bool) any {
			return web.ListsRequestsPage{ListsPage: lp(p, edit, "requests"), CanRequest: !edit, PendingSeen: 1, Matters: []catalog.Matter{m}, Batches: []catalog.Batch{*batch},
				Requests: []catalog.Request{{ID: 1, TownshipName: "富岭镇", TownshipType: "中心镇", Matter: m, Reason: "群众建房审批跑路多", Status: "pending", RequestedAt: when}}}
		}, "群众建房审批跑路多"},
		page{"lists_duties", func(p web.Page, edit bool) any {
			return web.ListsDutiesPage{ListsPage: lp(p, edit, "duties"), CanRegister: edit, CanClear: edit, Kinds: catalog.DutyKinds,
				Documents: []catalog.DutyDocument{{ID: 1, Kind: catalog.DutyVeto, Title: "安全生产一票否决", DeptName: "县住房和城乡建设局", IssuedAt: when, Status: catalog.DutyInForce,
					Existing: true, Townships: []catalog.UnitChoice{{Code: "350722001000", Name: "南浦街道"}}, Matters: []catalog.Matter{m}}},
				Summaries:   []catalog.DutySummary{{DeptCode: "350722D002", DeptName: "县住房和城乡建设局", Total: 1, InForce: 1}},
				Departments: []catalog.UnitRef{{Code: "350722D002", Name: "县住房和城乡建设局"}}, Townships: []catalog.UnitRef{{Code: "350722001000", Name: "南浦街道"}}, Matters: []catalog.Matter{m}}
		}, "安全生产一票否决"},
	)
	seen := map[string]bool{}
	for _, pg := range pages {
		seen[pg.name] = true
		for _, lang := range []string{"zh", "en"} {
			for _, edit := range []bool{true, false} {
				actor := township
				if edit {
					actor = editor
				}
				html, err := s.RenderPage(pg.name, pg.data(s.TestPage(lang, actor), edit))
				if err != nil {
					t.Fatalf("%s %s: %v", pg.name, lang, err)
				}
				if !strings.Contains(html, pg.want) {
					t.Errorf("%s %s edit=%v lacks %q", pg.name, lang, edit, pg.want)
				}
				if k := regexp.MustCompile(`lists\.[a-z_]+\.?[a-z_.]*`).FindString(html); k != "" {
					t.Errorf("%s %s: untranslated key %q", pg.name, lang, k)
				}
				if edit && strings.Contains(html, "<form") && strings.Contains(html, `method="post"`) && !strings.Contains(html, `name="csrf" value="test-csrf"`) {
					t.Errorf("%s: a form lacks the CSRF field", pg.name)
				}
				if strings.Contains(html, "style=") || strings.Contains(html, "<script>") {
					t.Errorf("%s: inline style or script", pg.name)
				}
			}
		}
	}
	for _, n := range s.PageNames() {
		if strings.HasPrefix(n, "lists_") && !seen[n] {
			t.Errorf("page %s is not rendered by this test", n)
		}
	}
}

// listsClient drives the whole web handler as a signed-in user.
type listsClient struct {
	t      *testing.T
	h      http.Handler
	cookie string
	csrf   string
}

func (c *listsClient) do(method, path string, body io.Reader, contentType string) *httptest.ResponseRecorder {
	c.t.Helper()
	r := httptest.NewRequest(method, path, body)
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	r.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: c.cookie})
	w := httptest.NewRecorder()
	c.h.ServeHTTP(w, r)
	return w
}

func (c *listsClient) post(path string, form url.Values) *httptest.ResponseRecorder {
	form.Set("csrf", c.csrf)
	return c.do("POST", path, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded")
}

func (c *listsClient) upload(path string, file []byte, fields map[string]string) *httptest.ResponseRecorder {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	_ = mw.WriteField("csrf", c.csrf)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", "list.xlsx")
	_, _ = fw.Write(file)
	_ = mw.Close()
	return c.do("POST", path, &b, mw.FormDataContentType())
}

func xlsx(t *testing.T, rows [][]string) []byte {
	t.Helper()
	f := excelize.NewFile()
	for i, r := range rows {
		vals := make([]any, len(r))
		for j, v := range r {
			vals[j] = v
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		_ = f.SetSheetRow("Sheet1", cell, &vals)
	}
	var b bytes.Buffer
	if _, err := f.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestListsWorkflow maintains the lists through the web UI: the approval
// office adds an access item, imports a file (refused with its bad rows, then
// accepted with progress), and grants a township's request in a batch.
func TestListsWorkflow(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for _, q := range []string{
			`INSERT INTO units (id, code, name, kind, path, depth, created_at, updated_at) VALUES (1, '350722000000', '浦城县', 'county', '/1/', 0, 0, 0)`,
			`INSERT INTO units (id, code, name, kind, parent_id, path, depth, created_at, updated_at) VALUES (2, '350722D001', '县委编办', 'department', 1, '/1/2/', 1, 0, 0)`,
			`INSERT INTO units (id, code, name, kind, parent_id, path, depth, created_at, updated_at) VALUES (3, '350722D002', '县住房和城乡建设局', 'department', 1, '/1/3/', 1, 0, 0)`,
			`INSERT INTO units (id, code, name, kind, parent_id, path, depth, township_type, created_at, updated_at) VALUES (4, '350722100000', '富岭镇', 'township', 1, '/1/4/', 1, '中心镇', 0, 0)`,
		} {
			if _, err := db.Exec(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		authSvc := auth.NewService(db, auth.WithHashParams(auth.FastHashParams()))
		for _, u := range []auth.NewUser{
			{Username: "bianban", Password: "bianban password", Name: "编办干部", UnitCode: "350722D001", Roles: []string{"department"}},
			{Username: "fuling", Password: "fuling password", Name: "富岭镇干部", UnitCode: "350722100000", Roles: []string{"township"}},
		} {
			if _, err := authSvc.CreateUser(ctx, access.System, u); err != nil {
				t.Fatal(err)
			}
		}
		lists := catalog.NewService(db)
		s, err := web.New(web.Deps{DB: db, Auth: authSvc, Lists: lists, Org: org.NewService(db, nil), Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		login := func(user, pw string) *listsClient {
			tok, err := authSvc.Login(ctx, user, pw, "192.0.2.1")
			if err != nil {
				t.Fatal(err)
			}
			_, csrf, err := authSvc.Session(ctx, tok)
			if err != nil {
				t.Fatal(err)
			}
			return &listsClient{t: t, h: s.Handler(), cookie: tok, csrf: csrf}
		}
		clerk := login("bianban", "bianban password")
		town := login("fuling", "fuling password")

		if w := clerk.post("/lists/matters", url.Values{"code": {"JC0060"}, "name": {"x"}}); w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "事项编码“JC0060”格式不正确") {
			t.Fatalf("bad matter code: %d", w.Code)
		}
		if w := clerk.post("/lists/matters", url.Values{"code": {"JC00603000"}, "name": {"对燃气经营、使用安全的监督检查"}, "basis_law": {"城镇燃气管理条例"}}); w.Code != http.StatusSeeOther {
			t.Fatalf("save matter: %d %s", w.Code, w.Body.String())
		}
		if w := town.post("/lists/access/items", url.Values{"unit": {"350722D002"}, "matter": {"JC00603000"}, "duties": {"入户排查"}, "reason": {"x"}}); w.Code != http.StatusForbidden {
			t.Errorf("township edits the access list: %d", w.Code)
		}
		if w := clerk.post("/lists/access/items", url.Values{"unit": {"350722D002"}, "matter": {"JC00603000"}, "duties": {"入户排查"}}); w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "请填写修改原因") {
			t.Errorf("save without reason: %d", w.Code)
		}
		if w := clerk.post("/lists/access/items", url.Values{"unit": {"350722D002"}, "matter": {"JC00603000"}, "duties": {"入户排查"}, "reason": {"燃气专项"}}); w.Code != http.StatusSeeOther {
			t.Fatalf("save access item: %d %s", w.Code, w.Body.String())
		}
		if w := town.do("GET", "/lists/access", nil, ""); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "入户排查") || strings.Contains(w.Body.String(), `action="/lists/access/import"`) {
			t.Errorf("township reads the access list: %d", w.Code)
		}
		// Import: a bad file is refused whole, with its rows.
		hdr := catalog.Headers(catalog.PowerList)
		bad := xlsx(t, [][]string{hdr,
			{"中心镇", "乡村建设规划许可", "行政许可", "XK00101000", "乡镇人民政府", "《中华人民共和国城乡规划法》第四十一条", "受理、审查、决定", "", ""},
			{"中心镇", "某处罚", "行政处罚", "CF001", "综合执法队", "", "立案", "", ""}})
		w := clerk.upload("/lists/power/import", bad, nil)
		if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "<td>3</td>") || !strings.Contains(w.Body.String(), "CF001") {
			t.Fatalf("bad import: %d", w.Code)
		}
		if items, _ := lists.Items(ctx, access.System, catalog.PowerList, catalog.Filter{}); len(items) != 0 {
			t.Fatalf("a refused import wrote %d items", len(items))
		}
		good := xlsx(t, [][]string{hdr, {"中心镇", "乡村建设规划许可", "行政许可", "XK00101000", "乡镇人民政府", "《中华人民共和国城乡规划法》第四十一条", "受理、审查、决定", "不予受理的", ""}})
		w = clerk.upload("/lists/power/import", good, map[string]string{"reason": "年度调整"})
		if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/lists/power/imports/") {
			t.Fatalf("good import: %d %s", w.Code, w.Body.String())
		}
		status := w.Header().Get("Location")
		var body string
		for i := 0; i < 100; i++ {
			w := clerk.do("GET", status, nil, "")
			body = w.Body.String()
			if strings.Contains(body, "<progress") && !strings.Contains(body, "hx-trigger") {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if !strings.Contains(body, `value="100"`) || !strings.Contains(body, "已生成第1版") {
			t.Fatalf("import did not finish: %s", body)
		}
		if w := clerk.do("GET", "/lists/power/export", nil, ""); w.Code != http.StatusOK || !strings.Contains(w.Header().Get("Content-Type"), "spreadsheetml") {
			t.Errorf("export: %d %s", w.Code, w.Header().Get("Content-Type"))
		}
		// A filtered export is named by the unit's name, not its code.
		if w := clerk.do("GET", "/lists/access/export?unit=350722D002", nil, ""); w.Code != http.StatusOK ||
			strings.Contains(w.Header().Get("Content-Disposition"), "350722D002") || !strings.Contains(w.Header().Get("Content-Disposition"), url.PathEscape("住房")) {
			t.Errorf("filtered export: %d %q", w.Code, w.Header().Get("Content-Disposition"))
		}
		if w := clerk.do("GET", "/lists/power/history", nil, ""); !strings.Contains(w.Body.String(), "年度调整") {
			t.Errorf("history lacks the import's reason")
		}
		// 基层点单 → 赋权下单.
		if w := town.post("/lists/requests", url.Values{"matter": {"XK00101000"}, "reason": {"群众建房审批跑路多"}}); w.Code != http.StatusSeeOther {
			t.Fatalf("request: %d %s", w.Code, w.Body.String())
		}
		if w := clerk.post("/lists/batches", url.Values{"batch_no": {"第一批"}, "doc_no": {"浦委编〔2026〕1号"}, "effective": {"2026-03-01"}}); w.Code != http.StatusSeeOther {
			t.Fatalf("batch: %d %s", w.Code, w.Body.String())
		}
		reqs, _ := lists.Requests(ctx, access.System, "pending")
		if len(reqs) != 1 {
			t.Fatalf("pending requests: %v", reqs)
		}
		if w := clerk.post("/lists/requests/grant", url.Values{"request": {"1"}, "batch": {"第一批"}}); w.Code != http.StatusSeeOther {
			t.Fatalf("grant: %d %s", w.Code, w.Body.String())
		}
		ok, err := lists.MayDecide(ctx, 4, "XK00101000", time.Now().Add(time.Hour))
		if err != nil || !ok {
			t.Errorf("MayDecide after the grant = %v %v", ok, err)
		}
		for _, p := range []string{"/lists", "/lists/matters", "/lists/attempts", "/lists/requests", "/lists/empowerment", "/lists/power/compare?a=1&b=1", "/lists/territorial/item", "/lists/power?at=2026-01-01"} {
			if w := clerk.do("GET", p, nil, ""); w.Code != http.StatusOK {
				t.Errorf("GET %s = %d", p, w.Code)
			}
		}
	})
}
