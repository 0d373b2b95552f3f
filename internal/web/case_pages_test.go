package web

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
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"grassroots/internal/access"
	"grassroots/internal/auth"
	"grassroots/internal/casework"
	"grassroots/internal/catalog"
	"grassroots/internal/org"
	"grassroots/internal/pii"
	"grassroots/internal/report"
	"grassroots/internal/stats"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
	"grassroots/internal/worktime"
	"grassroots/internal/xlsx/xlsxtest"
)

// TestCasePagesRender renders every page of the case UI with sample data in
// both languages and checks that no message key is left untranslated.
func TestCasePagesRender(t *testing.T) {
	t.Parallel()
	s, err := New(Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	operator := access.Actor{UserID: 1, Username: "op", Name: "话务员", UnitCode: "350722000000", UnitName: "浦城县", UnitKind: "county", UnitPath: "/1/", Roles: []access.Role{access.RoleAdmin}}
	created := time.Date(2026, 11, 26, 14, 30, 0, 0, shanghai)
	due := created.Add(48 * time.Hour)
	lng, lat := 118.5412, 27.9187
	c := casework.Case{No: "350722-20261126-00042", Flow: "hotline", RequestType: "complaint", CategoryName: "路灯", CategoryCode: "B01010",
		Title: "路灯不亮", Body: "仙楼社区门口路灯连续三晚不亮", Priority: "urgent", Channel: "phone", Address: "南浦街道仙楼路1号",
		Lng: &lng, Lat: &lat, GridName: "仙楼社区第一网格", PlaceName: "仙楼社区", TownshipName: "南浦街道", ReporterName: "张先生",
		PhoneMasked: "*******5678", Status: "in_hand", LeadUnitName: "南浦街道", CreatedAt: created, Version: 3}
	part := casework.Assignment{ID: 9, UnitName: "南浦街道", Role: "lead", Status: "in_hand", DispatchedAt: created, SignedAt: &created, HandleDueAt: &due, ExtRequested: 3}
	d := casework.CaseDetail{Case: c, Assignments: []casework.Assignment{part},
		Events: []casework.Event{
			{ID: 1, At: created, ActorName: "话务员", ActorUnit: "浦城县", Action: "receive", ToStatus: "received"},
			{ID: 2, At: created, ActorName: "话务员", ActorUnit: "浦城县", Action: "dispatch", FromStatus: "received", ToStatus: "dispatched", Data: map[string]any{"units": []any{"南浦街道"}}},
			{ID: 3, At: created, ActorName: "李四", Action: "answer", Note: "已修复"},
		},
		Attachments: []casework.Attachment{{ID: 5, EventID: 3, Name: "after.jpg", ContentType: "image/jpeg", Stage: "after"}, {ID: 6, Name: "说明.pdf", ContentType: "application/pdf"}},
		Deadlines:   []casework.Deadline{{Kind: "handle_due", AssignmentID: 9, DueAt: due}},
	}
	row := casework.InboxRow{CaseID: 1, No: c.No, Title: c.Title, Flow: "hotline", Status: "in_hand", Priority: "urgent", CategoryName: "路灯",
		PlaceName: "仙楼社区", LeadUnitName: "南浦街道", CreatedAt: created, AssignmentID: 9, AssignmentStatus: "in_hand", AssignmentUnit: "南浦街道", HandleDueAt: due}
	specs := casework.HotlineFlow().Actions
	var allowed []casework.ActionSpec
	for _, sp := range specs {
		if sp.Name == "dispatch" || sp.Name == "revisit" || sp.Name == "request_extension" || sp.Name == "return" {
			sp.Assignments = []int64{9, 10}
			allowed = append(allowed, sp)
		}
	}
	rates := stats.UnitRates{Unit: stats.Unit{Code: "350722001000", Name: "南浦街道"}, Counts: stats.Counts{Cases: 10, Dispatched: 8}}
	half := 0.5
	rates.Response = stats.Figure{Numerator: 4, Denominator: 8, Ratio: &half}
	rep := report.DailyReport{Unit: report.DailyUnit{Code: "350722001000", Name: "南浦街道"}, Day: "2026-11-26",
		DailyCounts: report.DailyCounts{Collected: 2, FedBack: 1, NotFedBack: 1},
		Children:    []report.DailyChild{{Unit: report.DailyUnit{Code: "350722001001", Name: "仙楼社区"}, DailyCounts: report.DailyCounts{Collected: 2, FedBack: 1, NotFedBack: 1}}},
		Cases:       []report.DailyCase{{No: c.No, Title: "路灯不亮", Status: "in_hand", CreatedAt: created, FedBack: true, LastFeedback: "已转交"}, {No: "350722-20261126-00043", Title: "噪音扰民", Status: "dispatched", CreatedAt: created}},
		Feedback:    []report.DailyFeedback{{No: c.No, Title: "路灯不亮", At: created, Action: "dispatch", Note: "已转交南浦街道"}}}

	hotline := casework.HotlineFlow()
	for _, lang := range []string{"zh", "en"} {
		base := s.TestPage(lang, operator)
		var m MapView
		m.AddOutline(`{"type":"Polygon","coordinates":[[[118.54,27.91],[118.55,27.91],[118.55,27.92],[118.54,27.91]]]}`, "第一网格", "")
		m.Points = []MapPoint{{At: [2]float64{118.5412, 27.9187}, Kind: "case"}}
		view := CaseViewPage{Page: base, D: d, MapJSON: m.JSON(),
			HasPoint: true, Point: "118.541200, 27.918700", Units: []Option{{"350722001000", "南浦街道"}},
			Satisfactions: []Option{{"satisfied", "满意"}}, Error: "请填写退回理由", Form: ActionForm{Action: "return", Note: "不属于本街道"}}
		s.fillCaseView(&view, allowed, created)
		pages := []struct {
			name string
			data any
			want []string
		}{
			{"case_inbox", CaseInboxPage{Page: base, Form: InboxForm{Bucket: "in_hand", Q: "路灯"}, Work: true,
				Tabs: []InboxTab{{Bucket: "in_hand", Key: "caseui.bucket.in_hand", Count: 3, HasCount: true, Href: "/cases?bucket=in_hand", Current: true}, {Bucket: "overdue", Key: "caseui.bucket.overdue", Count: 1, HasCount: true, Alarm: true, Href: "/cases?bucket=overdue"}},
				Rows: []InboxRowView{rowView(s.calendar(), lang, created, row, s.finalStatus)}, Phone: PhoneSearchView{Allowed: true},
				NextHref: "/cases?bucket=in_hand&cursor=abc", ExportHref: "/cases/export.xlsx?bucket=in_hand",
				Flows: []Option{{"hotline", "12345工单"}}, RequestTypes: []Option{{"complaint", "投诉举报"}}, Categories: []Option{{"B01010", "路灯"}}},
				[]string{c.No, `hx-get="/cases"`, `class="count alarm"`, "cursor=abc", "/cases/export.xlsx?bucket=in_hand", `value="路灯"`, `action="/cases/search" method="post"`}},
			{"case_view", view, []string{c.No, "仙楼社区第一网格", "*******5678", `data-map="`, `/attachments/5`, "不属于本街道", "请填写退回理由",
				`action="/cases/350722-20261126-00042/actions/dispatch"`, `name="resolved"`, `name="days"`, `name="version" value="3"`, `name="assignment_id"`, "/static/vendor/leaflet."}},
			{"case_new", CaseNewPage{Page: base, Flow: &hotline, Fields: hotline.CreateFields(), Form: NewCaseForm{Flow: "hotline", Title: "噪音", Priority: "normal"}, Error: "联系电话格式不正确",
				Flows: []Option{{"hotline", "12345"}}, Priorities: []Option{{"normal", "一般"}}, Categories: []Option{{"B01010", "路灯"}}, Units: []Option{{"350722001000", "南浦街道"}}},
				[]string{"autofocus", `accesskey="r"`, `hx-get="/cases/nearby"`, "联系电话格式不正确", `value="噪音"`, `name="dispatch"`}},
			{"case_units", UnitListPage{Page: base, ListID: "f-units", Units: []Option{{"350722001000", "南浦街道"}}}, []string{`<datalist id="f-units">`, "南浦街道"}},
			{"case_nearby", CaseNearbyPage{Page: base, Asked: true, Cases: []NearbyView{{NearbyCase: casework.NearbyCase{No: c.No, Title: "路灯不亮", Status: "in_hand", CreatedAt: created}, Metres: 33}}},
				[]string{c.No, "33"}},
			{"home", HomePage{Page: base, Cards: []HomeCard{{Key: "caseui.bucket.to_sign", Count: 4, Href: "/cases?bucket=to_sign"}, {Key: "caseui.bucket.overdue", Count: 2, Href: "/cases?bucket=overdue", Alarm: true}},
				Links: []HomeLink{{"caseui.new.title", "/cases/new", "n"}}}, []string{"/cases?bucket=to_sign", `class="card alarm"`, `href="/cases/new"`}},
			{"stats_rates", StatsPage{Page: base, Unit: "350722001000", From: "2026-11-01", To: "2026-11-30",
				B:     stats.Breakdown{Total: rates, Rows: []stats.UnitRates{rates}, Names: stats.FigureNames()},
				Heads: statsHeads(stats.FigureNames()), Unreached: true,
				ChartJSON: ratesChart(base, stats.Breakdown{Rows: []stats.UnitRates{rates}}), ExportHref: "/stats/export.xlsx?unit=350722001000", Flow: "hotline"},
				[]string{"50.0%", `data-chart="`, "/stats/export.xlsx", "/static/vendor/echarts.min.", "docs/RATES.md",
					"/stats/cases?count=responded&amp;flow=hotline&amp;from=2026-11-01&amp;to=2026-11-30&amp;unit=350722001000",
					`data-figure="response" data-num="4" data-den="8"`, `data-count="unreached"`, "count=unreached"}},
			{"stats_cases", StatsCasesPage{Page: base, Unit: "350722001000", Flow: "hotline", From: "2026-11-01", To: "2026-11-30", Count: "overdue",
				UnitName: "南浦街道", Cases: []stats.FigureCase{{No: "350722-20261101-00001", Flow: "hotline", Title: "路灯不亮", Status: "in_hand", CreatedAt: time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)}},
				ExportHref: "/stats/cases/export.xlsx?count=overdue", BackHref: "/stats?unit=350722001000", Total: 201, PageSize: 200,
				NextHref: "/stats/cases?count=overdue&after=1.2"},
				[]string{"/cases/350722-20261101-00001", "路灯不亮", "/stats/cases/export.xlsx?count=overdue", `rel="next"`, `data-total="201"`}},
			{"daily_feedback", DailyPage{Page: base, Unit: "350722001000", Day: "2026-11-26", R: rep, NotHeard: rep.NotHeardBack(),
				Summaries:  []report.DailySummary{{Unit: rep.Unit, Day: "2026-11-25", DailyCounts: report.DailyCounts{Collected: 3, NotFedBack: 1}, NotFedBackNos: []string{"350722-20261125-00001"}}},
				ExportHref: "/daily/export.xlsx?unit=350722001000&day=2026-11-26"},
				[]string{"噪音扰民", `class="unheard"`, "350722-20261125-00001", "data-print", "/daily/export.xlsx"}},
		}
		for _, pg := range pages {
			t.Run(lang+"/"+pg.name, func(t *testing.T) {
				out, err := s.RenderPage(pg.name, pg.data)
				if err != nil {
					t.Fatal(err)
				}
				for _, w := range pg.want {
					if !strings.Contains(out, w) {
						t.Errorf("page lacks %q", w)
					}
				}
				for _, bad := range []string{"caseui.", "case.status.", "case.action.", "stats.rate.", "%!"} {
					if i := strings.Index(out, bad); i >= 0 {
						t.Errorf("untranslated or broken text %q near %q", bad, out[max(0, i-60):min(len(out), i+60)])
					}
				}
			})
		}
	}
}

func TestRowViewTags(t *testing.T) {
	t.Parallel()
	cal, err := worktime.NewCalendar(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, shanghai) // a Thursday
	for _, tc := range []struct {
		name     string
		row      casework.InboxRow
		tag      string
		leftPart string
	}{
		{"to sign, two hours left", casework.InboxRow{Status: "dispatched", AssignmentID: 1, AssignmentStatus: "to_sign", SignDueAt: now.Add(2 * time.Hour)}, "near", "剩余2小时"},
		{"in hand, days left", casework.InboxRow{Status: "in_hand", AssignmentID: 1, AssignmentStatus: "in_hand", HandleDueAt: now.AddDate(0, 0, 7)}, "in-hand", "个工作日"},
		{"overdue by two working days", casework.InboxRow{Status: "in_hand", AssignmentID: 1, AssignmentStatus: "in_hand", Overdue: true, Late: true, HandleDueAt: now.AddDate(0, 0, -2)}, "overdue", "超期2个工作日"},
		{"closed", casework.InboxRow{Status: "closed", AssignmentID: 1, AssignmentStatus: "answered", HandleDueAt: now.AddDate(0, 0, -2)}, "closed", ""},
		{"received, not dispatched", casework.InboxRow{Status: "received"}, "to-sign", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := rowView(cal, "zh", now, tc.row, func(flow, status string) bool { return status == "closed" })
			if v.Tag != tc.tag {
				t.Errorf("tag %q, want %q", v.Tag, tc.tag)
			}
			if !strings.Contains(v.Left, tc.leftPart) || (tc.leftPart == "" && v.Left != "") {
				t.Errorf("left %q, want it to contain %q", v.Left, tc.leftPart)
			}
		})
	}
}

// caseFixture is a small county with a real case engine behind a web
// server.
type caseFixture struct {
	t     *testing.T
	db    *store.DB
	s     *Server
	units map[string][2]string // code → id, path
}

func newCaseFixture(t *testing.T, db *store.DB) *caseFixture {
	t.Helper()
	ctx := context.Background()
	fx := &caseFixture{t: t, db: db, units: map[string][2]string{}}
	for _, u := range [][4]string{
		{"350722000000", "浦城县", "county", ""},
		{"350722D003", "县城市管理和综合执法局", "department", "350722000000"},
		{"350722001000", "南浦街道", "street", "350722000000"},
		{"350722001001", "仙楼社区", "community", "350722001000"},
		{"350722001001G01", "仙楼社区第一网格", "grid", "350722001001"},
		{"350722101000", "富岭镇", "township", "350722000000"},
	} {
		fx.addUnit(ctx, u[0], u[1], u[2], u[3])
	}
	work, err := worktime.NewService(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := pii.New(make([]byte, pii.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	orgs := org.NewService(db, sealer)
	cases, err := casework.NewService(db, casework.Deps{
		Calendar:  func(context.Context) (casework.Calendar, error) { return work.Calendar(), nil },
		Sealer:    sealer,
		Log:       log,
		AttachDir: t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := catalog.NewService(db).SeedCategories(ctx); err != nil {
		t.Fatal(err)
	}
	s, err := New(Deps{DB: db, Log: log, Org: orgs, Work: work, Cases: cases, Auth: auth.NewService(db, auth.WithHashParams(auth.FastHashParams()))})
	if err != nil {
		t.Fatal(err)
	}
	fx.s = s
	return fx
}

func (fx *caseFixture) addUnit(ctx context.Context, code, name, kind, parent string) {
	fx.t.Helper()
	path := "/"
	var parentID any
	if parent != "" {
		p := fx.units[parent]
		id, _ := strconv.ParseInt(p[0], 10, 64)
		parentID, path = id, p[1]
	}
	var id int64
	if err := fx.db.QueryRow(ctx, `INSERT INTO units (code, name, kind, parent_id, path, depth, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 0, 0) RETURNING id`,
		code, name, kind, parentID, "tmp"+code, strings.Count(path, "/")-1).Scan(&id); err != nil {
		fx.t.Fatal(err)
	}
	path += strconv.FormatInt(id, 10) + "/"
	if _, err := fx.db.Exec(ctx, `UPDATE units SET path = ? WHERE id = ?`, path, id); err != nil {
		fx.t.Fatal(err)
	}
	fx.units[code] = [2]string{strconv.FormatInt(id, 10), path}
}

func (fx *caseFixture) actor(uid int64, code, kind string, roles ...access.Role) access.Actor {
	u := fx.units[code]
	id, _ := strconv.ParseInt(u[0], 10, 64)
	return access.Actor{UserID: uid, Username: "u" + strconv.FormatInt(uid, 10), Name: "用户" + strconv.FormatInt(uid, 10),
		UnitID: id, UnitCode: code, UnitKind: kind, UnitPath: u[1], Roles: roles}
}

// send serves a request as actor (the session layer is skipped; the
// signed-in test below goes through it).
func (fx *caseFixture) send(actor access.Actor, method, target string, form url.Values) *httptest.ResponseRecorder {
	var r *http.Request
	if form != nil {
		r = httptest.NewRequest(method, target, strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		r = httptest.NewRequest(method, target, nil)
	}
	w := httptest.NewRecorder()
	fx.s.mux.ServeHTTP(w, withState(r, requestState{Actor: actor, CSRF: "test-csrf"}))
	return w
}

func expect(t *testing.T, w *httptest.ResponseRecorder, status int, contains ...string) {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status %d, want %d; body: %.600s", w.Code, status, w.Body.String())
	}
	for _, c := range contains {
		if !strings.Contains(w.Body.String(), c) {
			t.Errorf("body lacks %q: %.800s", c, w.Body.String())
		}
	}
}

func TestCaseHandlers(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newCaseFixture(t, db)
		operator := fx.actor(1, "350722000000", "county", access.RoleAdmin)
		clerk := fx.actor(2, "350722001000", "street", access.RoleTownship)
		other := fx.actor(3, "350722101000", "township", access.RoleTownship)

		// The call-taker form, then a call taken and dispatched at once.
		expect(t, fx.send(operator, "GET", "/cases/new", nil), 200, "autofocus", "南浦街道")
		bad := url.Values{"flow": {"hotline"}, "reporter_name": {"张先生"}, "reporter_phone": {"12345"}, "request_type": {"complaint"},
			"title": {"路灯不亮"}, "body": {"门口路灯三晚不亮"}, "category": {"B01001"}, "lng": {"118.5412"}, "lat": {"27.9187"}, "place_unit": {"仙楼社区"}, "dispatch": {"南浦街道"}}
		expect(t, fx.send(operator, "POST", "/cases/new", bad), 400, "联系电话格式不正确", ">门口路灯三晚不亮<", `value="张先生"`)
		good := url.Values{}
		for k, v := range bad {
			good[k] = v
		}
		good.Set("reporter_phone", "13812345678")
		w := fx.send(operator, "POST", "/cases/new", good)
		expect(t, w, 303)
		loc := w.Header().Get("Location")
		if !strings.HasPrefix(loc, "/cases/350722-") || !strings.HasSuffix(loc, "?created=1") {
			t.Fatalf("redirect to %q", loc)
		}
		no := strings.TrimSuffix(strings.TrimPrefix(loc, "/cases/"), "?created=1")
		expect(t, fx.send(operator, "GET", loc, nil), 200, "已受理，工单编号 "+no, "南浦街道", "*******5678")

		// The township clerk sees it to sign, with only the actions it may take.
		expect(t, fx.send(clerk, "GET", "/cases?bucket=to_sign", nil), 200, no, "路灯不亮", "剩余")
		page := fx.send(clerk, "GET", "/cases/"+no, nil)
		expect(t, page, 200, "/actions/sign", "/actions/return")
		if strings.Contains(page.Body.String(), "/actions/revisit") || strings.Contains(page.Body.String(), "/actions/dispatch\"") {
			t.Error("the clerk is offered the call centre's actions")
		}
		// Another township does not see it at all.
		expect(t, fx.send(other, "GET", "/cases/"+no, nil), 404)
		expect(t, fx.send(other, "GET", "/cases?bucket=all", nil), 200, "没有符合条件的工单")

		// A refused action keeps what was typed and shows the domain's message.
		w = fx.send(clerk, "POST", "/cases/"+no+"/actions/return", url.Values{"note": {""}})
		expect(t, w, 400, "需要填写说明")
		// Sign, then answer.
		expect(t, fx.send(clerk, "POST", "/cases/"+no+"/actions/sign", url.Values{}), 303)
		expect(t, fx.send(clerk, "POST", "/cases/"+no+"/actions/answer", url.Values{"note": {"已更换灯泡"}}), 303)
		// A stale form is refused.
		w = fx.send(operator, "POST", "/cases/"+no+"/actions/revisit", url.Values{"resolved": {"1"}, "satisfaction": {"satisfied"}, "version": {"1"}})
		expect(t, w, 409, "已被他人更新", `value="satisfied" selected`)
		expect(t, fx.send(operator, "GET", "/cases?bucket=to_revisit", nil), 200, no)
		expect(t, fx.send(operator, "POST", "/cases/"+no+"/actions/revisit", url.Values{"resolved": {"1"}, "satisfaction": {"satisfied"}}), 303)
		expect(t, fx.send(operator, "GET", "/cases/"+no+"?done=revisit", nil), 200, "已完成“回访”", "已办结", "已更换灯泡")

		// Search by number, by phone and by keyword.
		expect(t, fx.send(operator, "GET", "/cases?q="+no, nil), 200, no)
		expect(t, fx.send(operator, "POST", "/cases/search", url.Values{"q": {"138-1234-5678"}}), 200, no, "138****5678")
		expect(t, fx.send(operator, "POST", "/cases/search", url.Values{"q": {"139-1234-5678"}}), 200, "没有符合条件的工单")
		expect(t, fx.send(operator, "GET", "/cases?q="+url.QueryEscape("路灯"), nil), 200, no)
		expect(t, fx.send(operator, "GET", "/cases?bucket=nonsense", nil), 400, "未知的列表")
		// htmx asks for the fragment only.
		r := httptest.NewRequest("GET", "/cases?bucket=closed", nil)
		r.Header.Set("HX-Request", "true")
		hw := httptest.NewRecorder()
		fx.s.mux.ServeHTTP(hw, withState(r, requestState{Actor: operator, CSRF: "x"}))
		if hw.Code != 200 || strings.Contains(hw.Body.String(), "<html") || !strings.Contains(hw.Body.String(), no) {
			t.Errorf("htmx inbox: %d %.300s", hw.Code, hw.Body.String())
		}

		// The export is a workbook holding exactly the filtered rows.
		w = fx.send(operator, "GET", "/cases/export.xlsx?bucket=closed", nil)
		expect(t, w, 200)
		if ct := w.Header().Get("Content-Type"); ct != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
			t.Errorf("export content type %q", ct)
		}
		if rows := xlsxRows(t, w.Body.Bytes(), "工单"); len(rows) != 2 || rows[1][0] != no {
			t.Errorf("export rows %v", rows)
		}
		// A clerk's table (frozen header, filter, date cells, names), named
		// by what was filtered and when.
		xlsxtest.Read(t, w.Body.Bytes())
		// (The day is a pattern: the test may run across midnight.)
		if cd := w.Header().Get("Content-Disposition"); !strings.Contains(cd, "filename*=UTF-8''"+url.PathEscape("工单-")) ||
			!regexp.MustCompile(regexp.QuoteMeta(url.PathEscape(fx.s.Msgs.T("zh", "caseui.bucket.closed")+"-"))+`[0-9]{8}\.xlsx$`).MatchString(cd) ||
			!regexp.MustCompile(`filename="[0-9]{8}\.xlsx"`).MatchString(cd) {
			t.Errorf("export file name %q", cd)
		}
		w = fx.send(operator, "GET", "/cases/export.xlsx?bucket=to_sign", nil)
		if rows := xlsxRows(t, w.Body.Bytes(), "工单"); len(rows) != 1 {
			t.Errorf("to_sign export has %d rows, want the header only", len(rows))
		}

		// The duplicate hint finds the case while it is open; a second one.
		good.Set("title", "路灯还是不亮")
		w = fx.send(operator, "POST", "/cases/new", good)
		expect(t, w, 303)
		no2 := strings.TrimSuffix(strings.TrimPrefix(w.Header().Get("Location"), "/cases/"), "?created=1")
		expect(t, fx.send(operator, "GET", "/cases/nearby?lng=118.54121&lat=27.91871&category=B01001", nil), 200, no2, "相距")
		if strings.Contains(fx.send(operator, "GET", "/cases/nearby?lng=118.54121&lat=27.91871&category=B01001", nil).Body.String(), no+"<") {
			t.Error("a closed case is offered as a duplicate")
		}
		expect(t, fx.send(operator, "GET", "/cases/nearby?lng=&lat=&category=B01001", nil), 200, "填写分类和经纬度")

		// Return with a reason, then re-dispatch.
		expect(t, fx.send(clerk, "POST", "/cases/"+no2+"/actions/return", url.Values{"note": {"不属于本街道管辖"}}), 303)
		expect(t, fx.send(operator, "GET", "/cases/"+no2, nil), 200, "不属于本街道管辖", "/actions/dispatch")
		expect(t, fx.send(operator, "POST", "/cases/"+no2+"/actions/dispatch", url.Values{"unit": {"县城市管理和综合执法局"}}), 303)
		expect(t, fx.send(operator, "GET", "/cases/"+no2, nil), 200, "县城市管理和综合执法局")

		// An attachment from an action, served inline with its sniffed type.
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		mw.WriteField("note", "现场照片")
		mw.WriteField("stage", "evidence")
		fw, _ := mw.CreateFormFile("file", "photo.png")
		fw.Write(pngBytes)
		mw.Close()
		r = httptest.NewRequest("POST", "/cases/"+no2+"/actions/comment", &body)
		r.Header.Set("Content-Type", mw.FormDataContentType())
		aw := httptest.NewRecorder()
		fx.s.mux.ServeHTTP(aw, withState(r, requestState{Actor: operator, CSRF: "x"}))
		expect(t, aw, 303)
		var attID int64
		if err := db.QueryRow(context.Background(), `SELECT MAX(id) FROM attachments`).Scan(&attID); err != nil {
			t.Fatal(err)
		}
		w = fx.send(operator, "GET", "/attachments/"+strconv.FormatInt(attID, 10), nil)
		expect(t, w, 200)
		if w.Header().Get("Content-Type") != "image/png" || w.Header().Get("X-Content-Type-Options") != "nosniff" || !strings.HasPrefix(w.Header().Get("Content-Disposition"), "inline") {
			t.Errorf("attachment headers %v", w.Header())
		}
		expect(t, fx.send(other, "GET", "/attachments/"+strconv.FormatInt(attID, 10), nil), 404)
		expect(t, fx.send(operator, "GET", "/cases/"+no2, nil), 200, `<img src="/attachments/`+strconv.FormatInt(attID, 10))

		// The map data and the unit picker.
		expect(t, fx.send(operator, "GET", "/cases/"+no2+"/map.json", nil), 200, `"at":[118.5412,27.9187]`)
		expect(t, fx.send(clerk, "GET", "/units/search?list=x&field=unit&unit="+url.QueryEscape("仙楼"), nil), 200, `<datalist id="x">`, "350722001001")

		// Home: the counts link to their lists.
		expect(t, fx.send(clerk, "GET", "/", nil), 200, "/cases?bucket=to_sign", "/daily")

		// Figures and daily feedback, and their exports.
		today := casework.Today(time.Now())
		expect(t, fx.send(operator, "GET", "/stats?unit=350722000000&from="+today+"&to="+today, nil), 200, "南浦街道", "响应率", `data-chart="`)
		w = fx.send(operator, "GET", "/stats/export.xlsx?unit=350722000000&from="+today+"&to="+today, nil)
		expect(t, w, 200)
		if rows := xlsxRows(t, w.Body.Bytes(), "统计"); len(rows) < 3 {
			t.Errorf("rates export rows %v", rows)
		}
		xlsxtest.Read(t, w.Body.Bytes())
		expect(t, fx.send(other, "GET", "/stats?unit=350722001000", nil), 403)
		expect(t, fx.send(clerk, "GET", "/daily?day="+today, nil), 200, no, "仙楼社区")
		w = fx.send(clerk, "GET", "/daily/export.xlsx?day="+today, nil)
		expect(t, w, 200)
		if rows := xlsxRows(t, w.Body.Bytes(), "收集明细"); len(rows) != 4 {
			t.Errorf("daily export rows %v", rows)
		}
		xlsxtest.Read(t, w.Body.Bytes())
		expect(t, fx.send(clerk, "GET", "/daily?day=2026-13-01", nil), 400)
	})
}

// TestCaseInboxSignedIn goes through the session layer: a real user signs
// in and reads the inbox; a POST without the CSRF token is refused.
func TestCaseInboxSignedIn(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newCaseFixture(t, db)
		ctx := context.Background()
		if _, err := fx.s.Auth.CreateUser(ctx, access.System, auth.NewUser{Username: "clerk", Password: "clerk-password-1", Name: "街道办事员",
			UnitCode: "350722001000", Roles: []string{"township"}}); err != nil {
			t.Fatal(err)
		}
		token, err := fx.s.Auth.Login(ctx, "clerk", "clerk-password-1", "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		_, csrf, err := fx.s.Auth.Session(ctx, token)
		if err != nil {
			t.Fatal(err)
		}
		h := fx.s.Handler()
		get := func(target string) *httptest.ResponseRecorder {
			r := httptest.NewRequest("GET", target, nil)
			r.AddCookie(&http.Cookie{Name: SessionCookie, Value: token})
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			return w
		}
		expect(t, get("/cases?bucket=to_sign"), 200, "街道办事员", "待签收")
		r := httptest.NewRequest("POST", "/cases/350722-20261126-00001/actions/sign", strings.NewReader(""))
		r.AddCookie(&http.Cookie{Name: SessionCookie, Value: token})
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		expect(t, w, 403)
		r = httptest.NewRequest("POST", "/cases/350722-20261126-00001/actions/sign", strings.NewReader(""))
		r.AddCookie(&http.Cookie{Name: SessionCookie, Value: token})
		r.Header.Set("X-CSRF-Token", csrf)
		w = httptest.NewRecorder()
		h.ServeHTTP(w, r)
		expect(t, w, 404, "找不到工单")
		// Anonymous visitors are sent to the login page.
		w = httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/cases", nil))
		expect(t, w, 303)
	})
}

// xlsxRows reads a sheet of a workbook.
func xlsxRows(t *testing.T, data []byte, sheet string) [][]string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not a workbook: %v", err)
	}
	defer f.Close()
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// pngBytes is a 1×1 PNG.
var pngBytes = []byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R', 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89,
	0, 0, 0, 13, 'I', 'D', 'A', 'T', 0x78, 0x9c, 0x63, 0, 1, 0, 0, 5, 0, 1, 0x0d, 0x0a, 0x2d, 0xb4, 0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82}
