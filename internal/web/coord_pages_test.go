package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/casework"
	"grassroots/internal/party"
	"grassroots/internal/report"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// TestCoordPagesRender renders every coordination page with sample data in
// both languages and checks what each must show; a missing message key
// shows up as the key itself and fails.
func TestCoordPagesRender(t *testing.T) {
	t.Parallel()
	s, err := New(Deps{})
	if err != nil {
		t.Fatal(err)
	}
	township := access.Actor{UserID: 2, Name: "街道干部", UnitCode: "350722001000", UnitName: "南浦街道", UnitKind: "street", UnitPath: "/1/4/", Roles: []access.Role{access.RoleTownship}}
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, shanghai)
	due := now.Add(30 * time.Minute)
	lng, lat := 118.54, 27.92
	rating := 4
	row := casework.CoordRow{No: "350722-20261126-00001", Flow: "whistle", Kind: "street", Title: "燃气泄漏", Status: "responding", Priority: "urgent",
		OpenedBy: "南浦街道", TownshipName: "南浦街道", PlaceName: "仙楼社区", CreatedAt: now, HandleDueAt: &due, Overdue: true, Escalated: true, Supervisions: 1,
		Parties: []casework.CoordParty{{Name: "县住房和城乡建设局", Role: "summoned", Status: "reported"}, {Name: "党员张某某", Role: "summoned", Status: "done", Rating: 5}}, Reported: 2, Done: 1}
	call := row
	call.Flow, call.Kind, call.Status, call.LeadUnit, call.No = "township_call", "", "dispatched", "县住房和城乡建设局", "350722-20261126-00002"
	enf := row
	enf.Flow, enf.Kind, enf.Status, enf.No = "enforcement", "", "transferring", "350722-20261126-00003"
	detail := casework.CaseDetail{
		Case: casework.Case{No: row.No, Flow: "whistle", Kind: "community", Title: "清理楼道", Status: "responding", Priority: "urgent", TownshipName: "南浦街道",
			PlaceName: "仙楼社区", PlaceCode: "350722001001", CreatedAt: now, Version: 3, Supervisions: 1},
		Assignments: []casework.Assignment{
			{ID: 7, UnitCode: "350722001001", UnitName: "仙楼社区", PersonID: 3, PersonName: "党员张某某", Role: "summoned", Status: "answered", ReportedAt: &now,
				ReportLng: &lng, ReportLat: &lat, Answer: "已清理", Rating: &rating},
			{ID: 8, UnitCode: "350722D002", UnitName: "县住房和城乡建设局", Role: "summoned", Status: "refused", ReturnReason: "非本部门职责"},
		},
		Events:      []casework.Event{{At: now, ActorName: "街道干部", ActorUnit: "南浦街道", Action: "transfer", Note: "移送", Data: map[string]any{"basis": "《土地管理法》第七十七条"}}},
		Attachments: []casework.Attachment{{ID: 1, Name: "现场.png", Stage: "evidence"}},
	}
	summonables := []casework.Summonable{{Code: "350722D002", Name: "县住房和城乡建设局", What: "department"}, {PersonID: 3, Name: "党员张某某", What: "party_member", At: "县住房和城乡建设局"}}
	flowOf := func(name string) *casework.Flow {
		for _, f := range casework.BuiltinFlows() {
			if f.Name == name {
				return &f
			}
		}
		t.Fatalf("no flow %s", name)
		return nil
	}
	for _, lang := range []string{"zh", "en"} {
		pg := s.TestPage(lang, township)
		listPage := func(flow string, r casework.CoordRow) CoordListPage {
			f := flowOf(flow)
			nav := f.Nav
			p := CoordListPage{Page: pg, Flow: flow, Base: nav.Href, Rows: []casework.CoordRow{r}, ExportHref: nav.Href + "/export.xlsx?status=open",
				NextHref: nav.Href + "?before=1", CanOpen: true, Kinds: []CoordOption{{Value: "", Label: "全部"}, {Value: "street", Label: "街道", Selected: true}},
				Statuses: []CoordOption{{Value: "open", Label: "在办"}}, Townships: []CoordOption{{Value: "350722001000", Label: "南浦街道"}},
				NewHref: nav.Href + "/new", NewKey: f.CreateTitle(), Links: f.ListLinks, Progress: f.Progress}
			p.TitleKey, p.Nav = nav.Key, nav.ID
			return p
		}
		newPage := func(flow string, form NewCaseForm) CaseNewPage {
			f := flowOf(flow)
			form.Flow = flow
			p := CaseNewPage{Page: pg, Flow: f, Fields: f.CreateFields(), Form: form, Action: f.Nav.Href + "/new", chosen: map[string]bool{}}
			if p.Field(casework.FieldSummon) || p.Field(casework.FieldPropose) {
				p.Reload = p.Action
			}
			p.Page.Nav, p.Page.TitleKey = f.Nav.ID, f.CreateTitle()
			return p
		}
		whistleNew := newPage("whistle", NewCaseForm{Kind: "community", Place: "350722001001", People: []string{"3"}})
		whistleNew.Summonables, whistleNew.chosen = summonables, map[string]bool{"p:3": true}
		whistleNew.Kinds = []CoordOption{{Value: "community", Label: "社区", Selected: true}}
		whistleNew.Places = []CoordOption{{Value: "350722001001", Label: "仙楼社区", Selected: true}}
		whistleNew.Help, whistleNew.Error = "coord.whistle.help.community", "请填写标题"
		callNew := newPage("township_call", NewCaseForm{Category: "B01001", Dispatch: "350722D002"})
		callNew.chosen = map[string]bool{"s:350722D003": true}
		callNew.Proposal = &casework.Proposal{Lead: casework.UnitChoice{Code: "350722D002", Name: "县住房和城乡建设局"}, Supporting: []casework.UnitChoice{{Code: "350722D003", Name: "县城市管理和综合执法局"}}, Source: "territorial_list", Matter: "井盖管理"}
		callNew.Departments = []CoordOption{{Value: "350722D002", Label: "县住房和城乡建设局", Selected: true}, {Value: "350722D003", Label: "县城市管理和综合执法局"}}
		callNew.Categories = []Option{{"B01001", "井盖"}}
		enfNew := newPage("enforcement", NewCaseForm{})
		enfNew.Kinds = []CoordOption{{Value: "", Label: "执法案件"}}
		enfNew.Places = []CoordOption{{Value: "350722101000", Label: "富岭镇"}}
		// The one case page shows a whistle's parties: who reported in,
		// where, the result, the rating, a refusal's reason.
		casePage := CaseViewPage{Page: pg, D: detail, Flow: flowOf("whistle"), Error: "请填写说明"}
		s.fillCaseView(&casePage, []casework.ActionSpec{
			{Name: "accept_result", On: casework.OnAssignment, Needs: casework.Needs{Rating: true}, Assignments: []int64{7, 8}},
			{Name: "transfer", On: casework.OnCase, Needs: casework.Needs{Unit: true, Note: true, Fields: []string{"basis"}, Attachment: "evidence"}},
			{Name: "report_in", On: casework.OnAssignment, Needs: casework.Needs{OfferPoint: true}, Assignments: []int64{7}},
		}, now)
		// An enforcement case's timeline shows a transfer's legal basis.
		enfDetail := detail
		enfDetail.Case.Flow, enfDetail.Case.Kind = "enforcement", ""
		enfPage := CaseViewPage{Page: pg, D: enfDetail, Flow: flowOf("enforcement")}
		s.fillCaseView(&enfPage, nil, now)
		memberPage := MemberPage{Page: pg, Token: "gm_abc", Member: party.Member{PersonID: 3, Name: "党员张某某", UnitName: "县住房和城乡建设局", HomeName: "仙楼社区"},
			Parts: []casework.PersonPart{{Case: detail.Case, Assignment: detail.Assignments[0],
				Actions: []casework.ActionSpec{{Name: "report_in", On: casework.OnAssignment, Needs: casework.Needs{OfferPoint: true}}, {Name: "report_result", On: casework.OnAssignment, Needs: casework.Needs{Note: true}}}}},
			Volunteer: party.VolunteerSummary{Times: 1, Minutes: 120, Records: []party.VolunteerRecord{{CaseNo: row.No, Title: "清理楼道", StartedAt: now, Minutes: 120}}}}
		pages := []struct {
			name string
			data any
			want []string
		}{
			{"coord_list", listPage("whistle", row), []string{`href="/cases/350722-20261126-00001"`, "燃气泄漏", "党员张某某", `href="/whistles/export.xlsx?status=open"`, `href="/whistles/new"`, `href="/whistles/members"`, "★5"}},
			{"coord_list", listPage("township_call", call), []string{"县住房和城乡建设局", `href="/township-calls/new"`, `href="/township-calls/export.xlsx?status=open"`}},
			{"coord_list", listPage("enforcement", enf), []string{`href="/enforcement/zones"`, `href="/enforcement/new"`}},
			{"case_new", whistleNew, []string{`action="/whistles/new"`, `name="people" value="3" checked`, `name="summon" value="350722D002"`, "请填写标题", `name="csrf" value="test-csrf"`,
				`<input type="hidden" name="kind" value="community">`, `<input type="hidden" name="place" value="350722001001">`}},
			{"case_new", callNew, []string{"井盖管理", `<option value="350722D002" selected>`, `name="supporting" value="350722D003" checked`, `action="/township-calls/new"`}},
			{"case_new", enfNew, []string{`action="/enforcement/new"`, "富岭镇", `name="kind"`, `name="place" required`}},
			{"enforcement_zones", ZonesPage{Page: pg, Zones: []casework.Zone{{UnitCode: "350722101000", UnitName: "富岭镇", Open: 1,
				Grids: []casework.ZoneGrid{{GridCode: "G01", GridName: "第一网格", Cases: []casework.CoordRow{enf}}}}}}, []string{"富岭镇", "第一网格", `href="/cases/` + enf.No + `"`}},
			{"case_view", casePage, []string{`action="/cases/350722-20261126-00001/actions/transfer"`, `name="field_basis"`, `name="file_evidence"`, `enctype="multipart/form-data"`,
				`data-party="350722001001-3"`, `data-party="350722D002"`, `name="rating"`, `name="version" value="3"`, `name="assignment_id"`, `value="7" data-party="350722001001-3"`,
				"非本部门职责", "118.54000, 27.92000", "请填写说明", `data-geolocate`, "党员张某某（仙楼社区）", "已清理", "★4",
				pg.T("coord.kind.whistle.community")}},
			{"case_view", enfPage, []string{"《土地管理法》第七十七条", pg.T("coord.kind.enforcement.case")}},
			{"reportcard", ReportCardPage{Page: pg, From: "2026-06-01", To: "2026-11-30", ExportHref: "/reportcard/export.xlsx?from=2026-06-01",
				Cards: []report.DeptCard{{UnitCode: "350722D002", UnitName: "县住房和城乡建设局", Whistles: 2, Rated: 2, AvgRating: 4.5, ReportIns: 2, ReportInMedian: 12, ReportInAvg: 13.5, Refusals: 1}},
				Rates: &report.WhistleRates{Months: []string{"2026-10", "2026-11"}, Average: 0.5,
					Rows: []report.WhistleRateRow{{UnitCode: "350722001000", UnitName: "南浦街道", ByMonth: []int{0, 2}, Total: 2, PerMonth: 1, Flag: "high"}}}},
				[]string{"县住房和城乡建设局", "4.5", "12.0", "13.5", "2026-11", "南浦街道", `data-dept="350722D002"`}},
			{"whistle_members", MembersPage{Page: pg, Community: "350722001001", Members: summonables[1:], Link: "http://x/m/member/gm_abc", LinkFor: "党员张某某",
				CoBuildings: []party.CoBuilding{{UnitName: "县住房和城乡建设局", SignedAt: now}}, Departments: []CoordOption{{Value: "350722D003", Label: "县城市管理和综合执法局"}}},
				[]string{`action="/whistles/members/3/link"`, "gm_abc", `action="/whistles/cobuilding"`}},
			{"whistle_member", memberPage, []string{`action="/m/member/gm_abc/actions/report_in"`, `name="case" value="350722-20261126-00001"`, "2.0", "党员张某某", `name="lng"`}},
		}
		for _, pc := range pages {
			out, err := s.RenderPage(pc.name, pc.data)
			if err != nil {
				t.Fatalf("%s/%s: %v", pc.name, lang, err)
			}
			for _, w := range pc.want {
				if !strings.Contains(out, w) {
					t.Errorf("%s/%s: missing %q", pc.name, lang, w)
				}
			}
			for _, bad := range []string{"coord.", "case.status.", "case.action.", "case.part_status."} {
				if i := strings.Index(out, bad); i >= 0 {
					t.Errorf("%s/%s: untranslated key near %q", pc.name, lang, out[i:min(len(out), i+40)])
				}
			}
		}
	}
}

// TestOneCasePageForEveryFlow opens an enforcement case through its flow's
// declared create form, finds it in the one parties list, follows the old
// parties board's address to the one case page and acts there.
func TestOneCasePageForEveryFlow(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newCaseFixture(t, db)
		town := fx.actor(2, "350722001000", "street", access.RoleTownship)
		other := fx.actor(3, "350722101000", "township", access.RoleTownship)

		// The create form is the flow's declaration rendered by one template.
		expect(t, fx.send(town, "GET", "/enforcement/new", nil), 200, `action="/enforcement/new"`, `name="kind"`, `name="place" required`, `name="title"`)
		expect(t, fx.send(town, "GET", "/cases/new?flow=enforcement", nil), 200, `action="/cases/new"`, `name="kind"`, `name="place" required`)
		w := fx.send(town, "POST", "/enforcement/new", url.Values{"title": {"沿街违规搭建"}, "place": {"350722001001"}, "kind": {""}, "matter": {"CF00202000"}})
		expect(t, w, 303)
		loc := w.Header().Get("Location")
		no := strings.TrimSuffix(strings.TrimPrefix(loc, "/cases/"), "?created=1")
		if !strings.HasPrefix(loc, "/cases/350722-") || no == loc {
			t.Fatalf("created: redirect to %q", loc)
		}

		// The one list links the one case page.
		expect(t, fx.send(town, "GET", "/enforcement", nil), 200, `href="/cases/`+no+`"`, `href="/enforcement/zones"`, `href="/enforcement/new"`)

		// The old address redirects for whoever may see the case, and
		// tells nothing to whoever may not.
		w = fx.send(town, "GET", "/coord/"+no+"?done=comment", nil)
		expect(t, w, http.StatusPermanentRedirect)
		if got := w.Header().Get("Location"); got != "/cases/"+no+"?done=comment" {
			t.Errorf("/coord/%s redirects to %q", no, got)
		}
		if w := fx.send(other, "GET", "/coord/"+no, nil); w.Code != http.StatusNotFound && w.Code != http.StatusForbidden {
			t.Errorf("/coord/%s for another township: %d", no, w.Code)
		}

		// The case page offers the transfer with its declared inputs.
		expect(t, fx.send(town, "GET", "/cases/"+no, nil), 200, `action="/cases/`+no+`/actions/transfer"`, `name="field_basis"`, `name="file_evidence"`)
		w = fx.send(town, "POST", "/cases/"+no+"/actions/close_own", url.Values{"note": {"已自行整改"}})
		expect(t, w, 303)
		expect(t, fx.send(town, "GET", "/cases/"+no, nil), 200, `class="tag closed"`)
	})
}
