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

	"grassroots/internal/access"
	"grassroots/internal/auth"
	"grassroots/internal/casework"
	"grassroots/internal/catalog"
	"grassroots/internal/org"
	"grassroots/internal/pii"
	"grassroots/internal/report"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
	"grassroots/internal/web"
)

// pngPhoto is a 1×1 PNG.
var pngPhoto = []byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R', 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89,
	0, 0, 0, 13, 'I', 'D', 'A', 'T', 0x78, 0x9c, 0x63, 0, 1, 0, 0, 5, 0, 1, 0x0d, 0x0a, 0x2d, 0xb4, 0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82}

func TestPortalPagesRender(t *testing.T) {
	t.Parallel()
	s, err := web.New(web.Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	worker := access.Actor{UserID: 9, Username: "demo_grid", Name: "演示网格员", UnitCode: "350722001001G01", UnitName: "仙楼社区第一网格", UnitKind: "grid",
		UnitPath: "/1/2/3/4/", Roles: []access.Role{access.RoleGrid}}
	at := time.Date(2026, 11, 26, 6, 30, 0, 0, time.UTC)
	answered := at.Add(3 * time.Hour)
	cats := []web.CategoryOption{{Code: "S06028", Name: "噪声扰民", Group: "市容环境类"}, {Code: "S01037", Name: "路灯异常", Group: "市政公用设施类"}}
	view := casework.PublicView{No: "350722-20261126-00042", Title: "路灯不亮", Status: "answered", StatusText: "已答复，等待回访", CreatedAt: at,
		Answer: "已更换灯泡", AnsweredAt: &answered, CanRate: true, Events: []casework.PublicEvent{{At: at, Text: "您的诉求已受理"}}}
	unit := org.Unit{ID: 3, Code: "350722001001", Name: "仙楼社区", Kind: "community"}
	parent := org.Unit{ID: 2, Code: "350722001000", Name: "南浦街道", Kind: "street"}
	handled := casework.Event{Action: "report_handled", At: at, ActorUnit: "县城管局", Note: "已劝离摊贩"}
	gc := casework.GridCase{No: "350722-20261126-00007", Title: "占道经营", Status: "handled", CategoryName: "占道经营", CreatedAt: at}
	for _, lang := range []string{"zh", "en"} {
		anon := s.TestPage(lang, access.Actor{})
		mine := s.TestPage(lang, worker)
		pages := []struct {
			name string
			data any
			want []string
		}{
			{"portal_home", web.PortalHomePage{Page: anon}, []string{`href="/portal/report"`, `href="/portal/track"`, `href="/portal/feedback"`}},
			{"portal_report", web.PortalReportPage{Page: anon, Form: web.PortalReportForm{Category: "S01037", Body: "路灯坏了", Phone: "13800138000", Lng: "118.5", Lat: "27.9"},
				Categories: cats, Query: "井盖", Matches: []web.CategoryOption{{Code: "S01002", Name: "污水井盖异常", Group: "市政公用设施类"}},
				RequestTypes: casework.RequestTypes, Townships: []org.Unit{parent}, Idem: "abcdefghijklmnopqrstuv", Error: "联系电话格式不正确"},
				[]string{`name="csrf" value="test-csrf"`, `enctype="multipart/form-data"`, `value="S01037" checked`, `value="S01002"`, `capture="environment"`,
					`accept="image/*"`, `data-locate`, `name="lng" value="118.5"`, `value="complaint"`, "联系电话格式不正确", `name="idem" value="abcdefghijklmnopqrstuv"`, `type="tel"`}},
			{"portal_categories", web.PortalCategoriesPage{Page: anon, Query: "井盖", Matches: cats, Back: "/portal/report"}, []string{`href="/portal/report?category=S06028"`}},
			{"portal_done", web.PortalDonePage{Page: anon, No: "350722-20261126-00042"}, []string{`class="case-no"`, "350722-20261126-00042", `href="/portal/track?no=350722-20261126-00042"`}},
			{"portal_track", web.PortalTrackPage{Page: anon, No: "350722-20261126-00042", Error: "工单编号或电话后四位不正确"},
				[]string{`action="/portal/track"`, `name="last4"`, "工单编号或电话后四位不正确"}},
			{"portal_track", web.PortalTrackPage{Page: anon, No: view.No, Last4: "8000", View: &view},
				[]string{"已更换灯泡", "已答复，等待回访", `action="/portal/track/rate"`, `value="basic"`, `name="last4" value="8000"`, "2026年11月26日 14:30"}},
			{"portal_feedback", web.PortalFeedbackPage{Page: anon, Day: "2026-11-26", Unit: &unit, Parent: &parent, Counts: report.DailyCounts{Collected: 2, FedBack: 1, NotFedBack: 1},
				Rows:     []web.PublicFeedbackRow{{No: "350722-20261126-***42", Title: "路灯不亮", Place: "仙楼社区第一网格", StatusText: "正在办理", CreatedAt: at}},
				Children: []org.Unit{{Code: "350722001001G01", Name: "仙楼社区第一网格"}}},
				[]string{"350722-20261126-***42", `href="/portal/feedback?unit=350722001001G01&amp;day=2026-11-26"`, "南浦街道"}},
			{"portal_feedback", web.PortalFeedbackPage{Page: anon, Day: "2026-11-26", Children: []org.Unit{parent}}, []string{`href="/portal/feedback?unit=350722001000&amp;day=2026-11-26"`}},
			{"portal_limited", web.PortalLimitedPage{Page: anon, Minutes: 6}, []string{"6"}},
			{"mobile_home", web.MobileHomePage{Page: mine, Work: casework.GridWork{Day: "2026-11-26", Today: []casework.GridCase{gc, {No: "350722-20261126-00008", Title: "垃圾", Status: "closed", OnSpot: true, CreatedAt: at}},
				OnSpotToday: 1, ToCheck: []casework.GridCase{gc}}},
				[]string{`href="/m/report"`, `href="/m/check/350722-20261126-00007"`, "仙楼社区第一网格"}},
			{"mobile_report", web.MobileReportPage{Page: mine, Form: web.MobileReportForm{Category: "S06028", Note: "已清理"}, Categories: cats, Idem: "abcdefghijklmnopqrstuv"},
				[]string{`name="op" value="report"`, `name="op" value="onspot"`, `name="after"`, `capture="environment"`, `value="S06028" required checked`, "已清理", `hx-get="/portal/categories?for=m"`}},
			{"mobile_check", web.MobileCheckPage{Page: mine, Case: casework.Case{No: gc.No, Title: gc.Title, Status: "handled", Flow: "grid_event"}, Handling: &handled,
				After: []casework.Attachment{{ID: 5, Name: "after.png"}}, CanCheck: true, Form: web.MobileCheckForm{Result: "fail", Note: "摊贩又回来了"}},
				[]string{`src="/attachments/5"`, "已劝离摊贩", `value="fail" required checked`, "摊贩又回来了", `action="/m/check/350722-20261126-00007"`}},
		}
		for _, p := range pages {
			t.Run(lang+"/"+p.name, func(t *testing.T) {
				html, err := s.RenderPage(p.name, p.data)
				if err != nil {
					t.Fatalf("render: %v", err)
				}
				for _, w := range p.want {
					if !strings.Contains(html, w) {
						t.Errorf("page lacks %q", w)
					}
				}
				if m := regexp.MustCompile(`(portal|mobile|case)\.[a-z_]+\.[a-z_.]+`).FindString(html); m != "" {
					t.Errorf("untranslated key %q in page", m)
				}
				if strings.Contains(html, "<script>") || strings.Contains(html, `style="`) {
					t.Error("inline script or style in page")
				}
			})
		}
	}
}

// portalFixture is a street with a community and a grid, a department, the
// case engine, accounts and the web handler with small rate limits.
type portalFixture struct {
	t     *testing.T
	db    *store.DB
	s     *web.Server
	cases *casework.Service
	auth  *auth.Service
	units map[string]access.Actor // a user's actor at each unit, by code
}

func newPortalFixture(t *testing.T, db *store.DB, limits web.PortalLimits) *portalFixture {
	t.Helper()
	ctx := context.Background()
	units := []struct {
		id                     int64
		code, name, kind, path string
		parent                 any
	}{
		{1, "350722000000", "浦城县", "county", "/1/", nil},
		{2, "350722001000", "南浦街道", "street", "/1/2/", 1},
		{3, "350722001001", "仙楼社区", "community", "/1/2/3/", 2},
		{4, "350722001001G01", "仙楼社区第一网格", "grid", "/1/2/3/4/", 3},
		{5, "350722D003", "县城市管理和综合执法局", "department", "/1/5/", 1},
	}
	fx := &portalFixture{t: t, db: db, units: map[string]access.Actor{}}
	for _, u := range units {
		if _, err := db.Exec(ctx, `INSERT INTO units (id, code, name, kind, parent_id, path, depth, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0)`,
			u.id, u.code, u.name, u.kind, u.parent, u.path, strings.Count(u.path, "/")-2); err != nil {
			t.Fatal(err)
		}
		fx.units[u.code] = access.Actor{UserID: 100 + u.id, Name: "用户", UnitID: u.id, UnitCode: u.code, UnitName: u.name, UnitKind: u.kind, UnitPath: u.path}
	}
	sealer, err := pii.New(make([]byte, pii.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	fx.cases, err = casework.NewService(db, casework.Deps{Sealer: sealer, Log: log, AttachDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if err := catalog.NewService(db).SeedCategories(ctx); err != nil {
		t.Fatal(err)
	}
	fx.auth = auth.NewService(db, auth.WithHashParams(auth.FastHashParams()))
	if _, err := fx.auth.CreateUser(ctx, access.System, auth.NewUser{Username: "grid1", Password: "grid password 1", Name: "网格员", UnitCode: "350722001001G01", Roles: []string{"grid"}}); err != nil {
		t.Fatal(err)
	}
	fx.s, err = web.New(web.Deps{DB: db, Log: log, Auth: fx.auth, Org: org.NewService(db, sealer), Cases: fx.cases, Portal: limits})
	if err != nil {
		t.Fatal(err)
	}
	return fx
}

// as returns the actor of a user at unit code with roles.
func (fx *portalFixture) as(code string, roles ...access.Role) access.Actor {
	a := fx.units[code]
	a.Roles = roles
	return a
}

// browser is one visitor: its cookies and its CSRF token.
type browser struct {
	fx      *portalFixture
	cookies map[string]string
	csrf    string
	ip      string
}

func (fx *portalFixture) visitor(ip string) *browser {
	b := &browser{fx: fx, cookies: map[string]string{}, ip: ip}
	w := b.get("/portal")
	if w.Code != http.StatusOK {
		fx.t.Fatalf("GET /portal = %d", w.Code)
	}
	b.csrf = b.cookies[web.CSRFCookie]
	return b
}

// signIn signs the browser in as username.
func (b *browser) signIn(username, password string) {
	ctx := context.Background()
	token, err := b.fx.auth.Login(ctx, username, password, b.ip)
	if err != nil {
		b.fx.t.Fatal(err)
	}
	_, csrf, err := b.fx.auth.Session(ctx, token)
	if err != nil {
		b.fx.t.Fatal(err)
	}
	b.cookies[web.SessionCookie], b.csrf = token, csrf
}

func (b *browser) send(r *http.Request) *httptest.ResponseRecorder {
	r.RemoteAddr = b.ip + ":4444"
	for k, v := range b.cookies {
		r.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	w := httptest.NewRecorder()
	b.fx.s.Handler().ServeHTTP(w, r)
	for _, ck := range w.Result().Cookies() {
		b.cookies[ck.Name] = ck.Value
	}
	return w
}

func (b *browser) get(path string) *httptest.ResponseRecorder {
	return b.send(httptest.NewRequest("GET", path, nil))
}

func (b *browser) post(path string, form url.Values) *httptest.ResponseRecorder {
	form.Set("csrf", b.csrf)
	r := httptest.NewRequest("POST", path, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.send(r)
}

// postFiles posts a multipart form with files (field → file names, each a
// PNG).
func (b *browser) postFiles(path string, form url.Values, files map[string][]string) *httptest.ResponseRecorder {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	form.Set("csrf", b.csrf)
	for k, vs := range form {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	for field, names := range files {
		for _, n := range names {
			fw, _ := mw.CreateFormFile(field, n)
			fw.Write(pngPhoto)
		}
	}
	mw.Close()
	r := httptest.NewRequest("POST", path, &body)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	return b.send(r)
}

func caseNoFrom(t *testing.T, location string) string {
	t.Helper()
	m := regexp.MustCompile(`[0-9]{6}-[0-9]{8}-[0-9]{3,}`).FindString(location)
	if m == "" {
		t.Fatalf("no case number in %q", location)
	}
	return m
}

func TestPortalReportTrackAndRate(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newPortalFixture(t, db, web.PortalLimits{Reports: web.RateLimit{Events: 3, Per: time.Hour}, Tracks: web.RateLimit{Events: 5, Per: time.Hour}})
		ctx := context.Background()
		res := fx.visitor("198.51.100.7")
		if w := res.get("/portal/report"); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "噪声扰民") || !strings.Contains(w.Body.String(), "南浦街道") {
			t.Fatalf("GET /portal/report = %d", w.Code)
		}
		if w := res.get("/portal/categories?cq=" + url.QueryEscape("井盖")); !strings.Contains(w.Body.String(), "污水井盖异常") {
			t.Errorf("category search lacks 污水井盖异常")
		}
		if w := res.send(func() *http.Request {
			r := httptest.NewRequest("GET", "/portal/categories?cq="+url.QueryEscape("路灯"), nil)
			r.Header.Set("HX-Request", "true")
			return r
		}()); strings.Contains(w.Body.String(), "<html") || !strings.Contains(w.Body.String(), `name="category" value="S01037"`) {
			t.Errorf("htmx category search = %s", w.Body.String())
		}

		form := url.Values{"request_type": {"complaint"}, "category": {"S06028"}, "body": {"楼下KTV每晚噪声扰民到凌晨"}, "address": {"仙楼路12号"},
			"place_unit": {"350722001000"}, "name": {"王女士"}, "phone": {"138 0013 8000"}, "idem": {"abcdefghijklmnopqrstuv"}}
		// Without the CSRF token nothing is created.
		r := httptest.NewRequest("POST", "/portal/report", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if w := (&browser{fx: fx, cookies: map[string]string{}, ip: "198.51.100.9"}).send(r); w.Code != http.StatusForbidden {
			t.Errorf("report without CSRF = %d, want 403", w.Code)
		}
		w := res.postFiles("/portal/report", form, map[string][]string{"photos": {"noise.png"}})
		if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/portal/report/done?no=") {
			t.Fatalf("report = %d %s: %s", w.Code, w.Header().Get("Location"), w.Body.String())
		}
		no := caseNoFrom(t, w.Header().Get("Location"))
		d, err := fx.cases.Get(ctx, access.System, no)
		if err != nil {
			t.Fatal(err)
		}
		if c := d.Case; c.Channel != "portal" || c.Flow != "hotline" || c.Status != "received" || c.CategoryCode != "S06028" || c.PhoneLast4 != "8000" ||
			c.Title != "楼下KTV每晚噪声扰民到凌晨" || len(d.Attachments) != 1 {
			t.Errorf("case = %+v with %d attachments", c, len(d.Attachments))
		}
		if w := res.get(w.Header().Get("Location")); !strings.Contains(w.Body.String(), no) {
			t.Errorf("done page lacks the number")
		}
		// A double tap sends the same form twice: one case.
		w = res.postFiles("/portal/report", form, nil)
		if again := caseNoFrom(t, w.Header().Get("Location")); again != no {
			t.Errorf("the same form twice gave %s and %s", no, again)
		}
		// A bad phone is shown on the form, with what was typed.
		bad := with(form, "phone", "12345")
		bad.Del("idem")
		w = res.postFiles("/portal/report", bad, nil)
		if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "联系电话格式不正确") || !strings.Contains(w.Body.String(), "楼下KTV每晚噪声扰民到凌晨") {
			t.Errorf("bad phone = %d", w.Code)
		}
		// The report limit (3 an hour) is spent: the fourth is refused.
		w = res.postFiles("/portal/report", with(bad, "phone", "13800138000"), nil)
		if w.Code != http.StatusTooManyRequests || !strings.Contains(w.Body.String(), "操作过于频繁") || w.Header().Get("Retry-After") == "" {
			t.Errorf("fourth report = %d, want 429 in Chinese with Retry-After", w.Code)
		}
		if n := countCases(t, db); n != 1 {
			t.Errorf("%d cases, want 1", n)
		}
		// Another address is not affected.
		if w := fx.visitor("203.0.113.5").postFiles("/portal/report", with(form, "idem", "bcdefghijklmnopqrstuvw"), nil); w.Code != http.StatusSeeOther {
			t.Errorf("another client's report = %d", w.Code)
		}

		// Track: a wrong last four is refused like an unknown number, and counts.
		w = res.post("/portal/track", url.Values{"no": {no}, "last4": {"0000"}})
		if w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), "工单编号或电话后四位不正确") || strings.Contains(w.Body.String(), "噪声扰民到凌晨") {
			t.Errorf("wrong last4 = %d", w.Code)
		}
		w = res.post("/portal/track", url.Values{"no": {no}, "last4": {"8000"}})
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "您的诉求已受理") || strings.Contains(w.Body.String(), `action="/portal/track/rate"`) {
			t.Errorf("track = %d: %s", w.Code, w.Body.String())
		}
		// Answer it, then the resident rates the answer.
		taker := fx.as("350722000000", access.RoleSupervisor)
		street := fx.as("350722001000", access.RoleTownship)
		for _, act := range []struct {
			who access.Actor
			a   casework.Action
		}{
			{taker, casework.Action{Name: "dispatch", UnitCode: "350722001000"}},
			{street, casework.Action{Name: "sign"}},
			{street, casework.Action{Name: "answer", Note: "已责令KTV晚十点后停止营业"}},
		} {
			if _, err := fx.cases.Do(ctx, act.who, no, act.a); err != nil {
				t.Fatalf("%s: %v", act.a.Name, err)
			}
		}
		w = res.post("/portal/track", url.Values{"no": {no}, "last4": {"8000"}})
		if !strings.Contains(w.Body.String(), "已责令KTV晚十点后停止营业") || !strings.Contains(w.Body.String(), `action="/portal/track/rate"`) {
			t.Errorf("answered case lacks the answer or the rating form")
		}
		w = res.post("/portal/track/rate", url.Values{"no": {no}, "last4": {"8000"}, "satisfaction": {"basic"}, "note": {"希望长期管住"}})
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "感谢您的评价") || !strings.Contains(w.Body.String(), "基本满意") {
			t.Errorf("rate = %d: %s", w.Code, w.Body.String())
		}
		if d, _ := fx.cases.Get(ctx, access.System, no); d.Case.ResidentSatisfaction != casework.Basic {
			t.Errorf("resident satisfaction = %q", d.Case.ResidentSatisfaction)
		}
		// Five lookups an hour (the wrong one and the rating count): the fifth
		// passes, the sixth is refused, right combination or not.
		if w := res.post("/portal/track", url.Values{"no": {no}, "last4": {"8000"}}); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "您的评价：基本满意") {
			t.Errorf("fifth lookup = %d", w.Code)
		}
		w = res.post("/portal/track", url.Values{"no": {no}, "last4": {"8000"}})
		if w.Code != http.StatusTooManyRequests || !strings.Contains(w.Body.String(), "操作过于频繁") {
			t.Errorf("sixth lookup = %d, want 429", w.Code)
		}

		// The day's feedback: masked number, no name, no phone.
		w = res.get("/portal/feedback?unit=350722001000&day=" + casework.Today(time.Now()))
		body := w.Body.String()
		masked := no[:len(no)-5] + "***" + no[len(no)-2:]
		if w.Code != http.StatusOK || !strings.Contains(body, masked) || strings.Contains(body, no) || strings.Contains(body, "王女士") || strings.Contains(body, "8000") ||
			!strings.Contains(body, `href="/portal/feedback?unit=350722001001&amp;`) {
			t.Errorf("feedback = %d: %s", w.Code, body)
		}
		if w := res.get("/portal/feedback?unit=350722D003"); w.Code != http.StatusNotFound {
			t.Errorf("feedback of a department = %d, want 404", w.Code)
		}
	})
}

func countCases(t *testing.T, db *store.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM cases`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestGridWorkerPhonePages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newPortalFixture(t, db, web.PortalLimits{})
		ctx := context.Background()
		b := fx.visitor("192.0.2.20")
		if w := b.get("/m"); w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/login") {
			t.Fatalf("anonymous /m = %d", w.Code)
		}
		b.signIn("grid1", "grid password 1")
		if w := b.get("/m/report"); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "暴露垃圾") {
			t.Fatalf("GET /m/report = %d", w.Code)
		}
		report := url.Values{"op": {"report"}, "category": {"S09006"}, "body": {"仙楼路口流动摊贩占道"}, "lng": {""}, "lat": {""}}
		w := b.postFiles("/m/report", report, map[string][]string{"photos": {"before.png"}})
		if w.Code != http.StatusSeeOther || !strings.Contains(w.Header().Get("Location"), "done=report") {
			t.Fatalf("report = %d %s: %s", w.Code, w.Header().Get("Location"), w.Body.String())
		}
		no := caseNoFrom(t, w.Header().Get("Location"))
		d, err := fx.cases.Get(ctx, access.System, no)
		if err != nil {
			t.Fatal(err)
		}
		if c := d.Case; c.Flow != "grid_event" || c.Status != "reported" || c.Channel != "grid" || c.GridCode != "350722001001G01" || len(d.Attachments) != 1 || d.Attachments[0].Stage != "before" {
			t.Errorf("reported case = %+v, %d attachments", c, len(d.Attachments))
		}

		// Fixed on the spot needs what was done and a photo after.
		onspot := url.Values{"op": {"onspot"}, "category": {"S06010"}, "body": {"路边垃圾散落"}, "note": {"已清扫干净"}}
		if w := b.postFiles("/m/report", onspot, nil); w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "处置后的照片") || !strings.Contains(w.Body.String(), "已清扫干净") {
			t.Errorf("on the spot without a photo = %d", w.Code)
		}
		w = b.postFiles("/m/report", onspot, map[string][]string{"photos": {"before.png"}, "after": {"after.png"}})
		if w.Code != http.StatusSeeOther || !strings.Contains(w.Header().Get("Location"), "done=onspot") {
			t.Fatalf("on the spot = %d: %s", w.Code, w.Body.String())
		}
		spot := caseNoFrom(t, w.Header().Get("Location"))
		if d, _ := fx.cases.Get(ctx, access.System, spot); d.Case.Status != "closed" || !d.Case.OnSpot || len(d.Attachments) != 2 {
			t.Errorf("on-the-spot case = %s on_spot=%v, %d attachments", d.Case.Status, d.Case.OnSpot, len(d.Attachments))
		}

		// The community sets it up, the department handles it with a photo after.
		community := fx.as("350722001001", access.RoleCommunity)
		dept := fx.as("350722D003", access.RoleDepartment)
		for _, act := range []struct {
			who access.Actor
			a   casework.Action
		}{
			{community, casework.Action{Name: "register"}},
			{community, casework.Action{Name: "dispatch", UnitCode: "350722D003"}},
			{dept, casework.Action{Name: "sign"}},
			{dept, casework.Action{Name: "report_handled", Note: "已劝离摊贩", Attachments: []casework.NewAttachment{{Name: "after.png", Data: pngPhoto, Stage: "after"}}}},
		} {
			if _, err := fx.cases.Do(ctx, act.who, no, act.a); err != nil {
				t.Fatalf("%s: %v", act.a.Name, err)
			}
		}
		w = b.get("/m")
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `href="/m/check/`+no+`"`) || !strings.Contains(w.Body.String(), spot) {
			t.Fatalf("/m = %d: %s", w.Code, w.Body.String())
		}
		w = b.get("/m/check/" + no)
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "已劝离摊贩") || !strings.Contains(w.Body.String(), `<img src="/attachments/`) ||
			!strings.Contains(w.Body.String(), `value="pass"`) {
			t.Fatalf("/m/check = %d: %s", w.Code, w.Body.String())
		}
		// Sent back without a reason: refused, on the page.
		if w := b.postFiles("/m/check/"+no, url.Values{"result": {"fail"}, "lng": {"118.53"}, "lat": {"27.92"}}, nil); w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "原因") {
			t.Errorf("fail without a reason = %d", w.Code)
		}
		w = b.postFiles("/m/check/"+no, url.Values{"result": {"pass"}, "note": {"现场已无摊贩"}, "lng": {"118.53"}, "lat": {"27.92"}}, map[string][]string{"photos": {"check.png"}})
		if w.Code != http.StatusSeeOther || !strings.Contains(w.Header().Get("Location"), "done=pass") {
			t.Fatalf("check = %d: %s", w.Code, w.Body.String())
		}
		d, _ = fx.cases.Get(ctx, access.System, no)
		if d.Case.Status != "closed" || len(d.Attachments) != 3 {
			t.Errorf("after the check: %s with %d attachments", d.Case.Status, len(d.Attachments))
		}
		if last := d.Events[len(d.Events)-1]; last.Action != "check" || !strings.Contains(last.Note, "核查位置：118.530000, 27.920000") {
			t.Errorf("check event = %s %q", last.Action, last.Note)
		}
		if w := b.get("/m?done=pass&no=" + no); !strings.Contains(w.Body.String(), "核查通过") {
			t.Errorf("no flash after the check")
		}

		// Someone without the grid or community role is turned away.
		if _, err := fx.auth.CreateUser(ctx, access.System, auth.NewUser{Username: "dept1", Password: "dept password 1", Name: "部门", UnitCode: "350722D003", Roles: []string{"department"}}); err != nil {
			t.Fatal(err)
		}
		other := fx.visitor("192.0.2.21")
		other.signIn("dept1", "dept password 1")
		if w := other.get("/m"); w.Code != http.StatusForbidden {
			t.Errorf("department user /m = %d, want 403", w.Code)
		}
	})
}
