package web

import (
	"strings"
	"testing"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/casework"
)

// TestCoordPagesRender renders every coordination page with sample data in
// both languages and checks what each must show; a missing message key
// shows up as the key itself and fails.
func TestCoordPagesRender(t *testing.T) {
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
	needsAll := casework.Needs{Note: true, Unit: true, Units: true, Rating: true, Outcome: true, Days: true, Point: true, Attachment: "evidence", Fields: []string{"basis"}}
	units := []CoordOption{{Value: "350722D003", Label: "县城市管理和综合执法局"}}
	summonables := []casework.Summonable{{Code: "350722D002", Name: "县住房和城乡建设局", What: "department"}, {PersonID: 3, Name: "党员张某某", What: "party_member", At: "县住房和城乡建设局"}}
	for _, lang := range []string{"zh", "en"} {
		pg := s.TestPage(lang, township)
		listPage := func(flow string, r casework.CoordRow) CoordListPage {
			info := coordFlows[flow]
			var nav casework.NavEntry
			for _, f := range casework.BuiltinFlows() {
				if f.Name == flow {
					nav = f.Nav
				}
			}
			p := CoordListPage{Page: pg, Flow: flow, Base: nav.Href, Rows: []casework.CoordRow{r}, ExportHref: nav.Href + "/export.xlsx?status=open",
				NextHref: nav.Href + "?before=1", CanOpen: true, Kinds: []CoordOption{{Value: "", Label: "全部"}, {Value: "street", Label: "街道", Selected: true}},
				Statuses: []CoordOption{{Value: "open", Label: "在办"}}, Townships: []CoordOption{{Value: "350722001000", Label: "南浦街道"}}}
			p.TitleKey, p.Nav = info.Title, nav.ID
			return p
		}
		casePage := CoordCasePage{Page: pg, D: detail, Summonables: summonables, Done: "report_in", Error: "请填写说明"}
		casePage.Parties = []PartyView{{A: detail.Assignments[0], Actions: []CoordActionView{{Name: "accept_result", Needs: casework.Needs{Rating: true}, AssignmentID: 7}}},
			{A: detail.Assignments[1]}}
		casePage.CaseActions = []CoordActionView{{Name: "summon", Needs: needsAll, Units: units}}
		memberPage := MemberPage{Page: pg, Token: "gm_abc", Member: casework.Member{PersonID: 3, Name: "党员张某某", UnitName: "县住房和城乡建设局", HomeName: "仙楼社区"},
			Parts: []casework.MemberPart{{Case: detail.Case, Assignment: detail.Assignments[0],
				Actions: []casework.ActionSpec{{Name: "report_in", On: casework.OnAssignment, Needs: casework.Needs{OfferPoint: true}}, {Name: "report_result", On: casework.OnAssignment, Needs: casework.Needs{Note: true}}}}},
			Volunteer: casework.VolunteerSummary{Times: 1, Minutes: 120, Records: []casework.VolunteerRecord{{CaseNo: row.No, Title: "清理楼道", StartedAt: now, Minutes: 120}}}}
		pages := []struct {
			name string
			data any
			want []string
		}{
			{"whistle_list", listPage("whistle", row), []string{`href="/coord/350722-20261126-00001"`, "燃气泄漏", "党员张某某", `href="/whistles/export.xlsx?status=open"`, `href="/whistles/new"`, "★5"}},
			{"township_call_list", listPage("township_call", call), []string{"县住房和城乡建设局", `href="/township-calls/new"`, `href="/township-calls/export.xlsx?status=open"`}},
			{"enforcement_list", listPage("enforcement", enf), []string{`href="/enforcement/zones"`, `href="/enforcement/new"`}},
			{"whistle_new", WhistleNewPage{Page: pg, Kind: "community", Place: "350722001001", Summonables: summonables, Chosen: map[string]bool{"p:3": true},
				Kinds: []CoordOption{{Value: "community", Label: "社区", Selected: true}}, Places: []CoordOption{{Value: "350722001001", Label: "仙楼社区", Selected: true}}, Error: "请填写标题"},
				[]string{`name="people" value="3" checked`, `name="summon" value="350722D002"`, "请填写标题", `name="csrf" value="test-csrf"`}},
			{"township_call_new", CallNewPage{Page: pg, Category: "B01001", Dept: "350722D002", Supporting: map[string]bool{"350722D003": true},
				Proposal:    &casework.Proposal{Lead: casework.UnitChoice{Code: "350722D002", Name: "县住房和城乡建设局"}, Supporting: []casework.UnitChoice{{Code: "350722D003", Name: "县城市管理和综合执法局"}}, Source: "territorial_list", Matter: "井盖管理"},
				Departments: []CoordOption{{Value: "350722D002", Label: "县住房和城乡建设局", Selected: true}, {Value: "350722D003", Label: "县城市管理和综合执法局"}},
				Categories:  []CoordOption{{Value: "B01001", Label: "井盖"}}},
				[]string{"井盖管理", `<option value="350722D002" selected>`, `name="supporting" value="350722D003" checked`}},
			{"enforcement_new", EnforcementNewPage{Page: pg, Kinds: []CoordOption{{Value: "", Label: "执法案件"}}, Places: []CoordOption{{Value: "350722101000", Label: "富岭镇"}}},
				[]string{`action="/enforcement/new"`, "富岭镇"}},
			{"enforcement_zones", ZonesPage{Page: pg, Zones: []casework.Zone{{UnitCode: "350722101000", UnitName: "富岭镇", Open: 1,
				Grids: []casework.ZoneGrid{{GridCode: "G01", GridName: "第一网格", Cases: []casework.CoordRow{enf}}}}}}, []string{"富岭镇", "第一网格", enf.No}},
			{"coord_case", casePage, []string{`action="/coord/350722-20261126-00001/actions/summon"`, `name="field_basis"`, `name="file_evidence"`, `enctype="multipart/form-data"`,
				`name="people" value="3"`, `name="rating"`, `name="resolved"`, `name="version" value="3"`, `name="assignment_id" value="7"`, "非本部门职责", "118.54000, 27.92000",
				"请填写说明", "《土地管理法》第七十七条", `data-geolocate`}},
			{"reportcard", ReportCardPage{Page: pg, From: "2026-06-01", To: "2026-11-30", ExportHref: "/reportcard/export.xlsx?from=2026-06-01",
				Cards: []casework.DeptCard{{UnitCode: "350722D002", UnitName: "县住房和城乡建设局", Whistles: 2, Rated: 2, AvgRating: 4.5, ReportIns: 2, ReportInMedian: 12, ReportInAvg: 13.5, Refusals: 1}},
				Rates: &casework.WhistleRates{Months: []string{"2026-10", "2026-11"}, Average: 0.5,
					Rows: []casework.WhistleRateRow{{UnitCode: "350722001000", UnitName: "南浦街道", ByMonth: []int{0, 2}, Total: 2, PerMonth: 1, Flag: "high"}}}},
				[]string{"县住房和城乡建设局", "4.5", "12.0", "13.5", "2026-11", "南浦街道", `data-dept="350722D002"`}},
			{"whistle_members", MembersPage{Page: pg, Community: "350722001001", Members: summonables[1:], Link: "http://x/m/member/gm_abc", LinkFor: "党员张某某",
				CoBuildings: []casework.CoBuilding{{UnitName: "县住房和城乡建设局", SignedAt: now}}, Departments: units},
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
