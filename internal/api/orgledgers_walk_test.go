package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"grassroots/internal/access"
	"grassroots/internal/pairing"
	"grassroots/internal/staffing"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
	"grassroots/internal/taskforce"
)

// orgLedgerIDs are the walk fixture's organisational ledgers: a pairing of
// the department with 仙楼社区 (under township A) with a visit, a project
// and a fund line, a task force kept by township A, approved posts there.
type orgLedgerIDs struct {
	cadre, pairing, visit, project, fund, taskforce int64
}

func seedOrgLedgers(t *testing.T, db *store.DB, p *pairing.Service, tf *taskforce.Service, st *staffing.Service) orgLedgerIDs {
	t.Helper()
	ctx := context.Background()
	var ids orgLedgerIDs
	if err := db.QueryRow(ctx, `INSERT INTO people (name, unit_id, role, created_at, updated_at) SELECT '结对干部钱某', id, 'cadre', 0, 0
		FROM units WHERE code = '350722D003' RETURNING id`).Scan(&ids.cadre); err != nil {
		t.Fatal(err)
	}
	must := func(id int64, err error) int64 {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	sys := access.System
	ids.pairing = must(p.Pair(ctx, sys, pairing.Input{OrgCode: "350722D003", CadreID: ids.cadre, VillageCode: "350722001001", StartDay: "2025-01-01", EndDay: "2027-12-31"}))
	ids.visit = must(p.Visit(ctx, sys, ids.pairing, pairing.VisitInput{Day: "2025-03-01", Visitors: "钱某", Finding: "社区菜市场缺少冷库"}))
	ids.project = must(p.AddProject(ctx, sys, ids.pairing, pairing.ProjectInput{VisitID: ids.visit, Kind: "加工", Name: "社区冷库"}))
	ids.fund = must(p.AddFund(ctx, sys, ids.project, pairing.FundInput{Source: "县级资金", Amount: 50000, Day: "2025-04-01"}))
	ids.taskforce = must(tf.Create(ctx, sys, taskforce.Input{UnitCode: "350722001000", Name: "老旧小区改造专班", Task: "推进改造", LeadID: ids.cadre,
		StartDay: "2025-01-01", TargetDay: "2026-06-30", EndDay: "2027-12-31"}))
	must(st.Record(ctx, sys, staffing.Move{Kind: "approve", ToCode: "350722001000", Type: "admin", Count: 3, DocNo: "浦编〔2025〕1号", DocDay: "2025-01-01"}))
	return ids
}

// orgLedgerRules are the ledgers' API routes and who may call them
// (docs/AUTHORIZATION.md, "Organisational ledgers").
func orgLedgerRules(fx *apiWalkFixture) map[string]apiRule {
	ids := fx.ledgers
	organ := []apiRole{apiDept, apiCountyAdmin}
	readsPairing := []apiRole{apiTownA, apiCommunity, apiDept, apiSupervisor, apiCountyAdmin, apiTownAdmin}
	keepsTF := []apiRole{apiTownA, apiCountyAdmin, apiTownAdmin}
	return map[string]apiRule{
		"GET /api/v1/pairings":      {Allow: apiEveryone},
		"GET /api/v1/pairings/{id}": {Path: fmt.Sprintf("/api/v1/pairings/%d", ids.pairing), Allow: readsPairing},
		"POST /api/v1/pairings/{id}/visits": {Path: fmt.Sprintf("/api/v1/pairings/%d/visits", ids.pairing), Allow: organ,
			Body: `{"day":"2025-05-01","visitors":"钱某","finding":"道路破损"}`},
		"POST /api/v1/pairings/{id}/projects": {Path: fmt.Sprintf("/api/v1/pairings/%d/projects", ids.pairing), Allow: organ,
			Body: `{"kind":"种植","name":"蔬菜基地"}`},
		"POST /api/v1/pairing-projects/{id}/funds": {Path: fmt.Sprintf("/api/v1/pairing-projects/%d/funds", ids.project), Allow: organ,
			Body: `{"source":"市级资金","amount":1000}`},
		"POST /api/v1/pairing-funds/{id}/advance": {Path: fmt.Sprintf("/api/v1/pairing-funds/%d/advance", ids.fund), Allow: organ, Body: `{}`},
		"POST /api/v1/villages/{code}/income": {Path: "/api/v1/villages/350722001001/income", Allow: []apiRole{apiTownA, apiCountyAdmin, apiTownAdmin},
			Body: `{"year":2025,"amount":100000}`},

		"GET /api/v1/taskforces": {Allow: apiEveryone},
		"POST /api/v1/taskforces": {Allow: keepsTF, Body: fmt.Sprintf(`{"unit_code":"350722001000","name":"防汛专班","task":"汛期值守","lead_person_id":%d,
			"start_day":"2026-05-01","target_day":"2026-08-31","end_day":"2026-09-30"}`, ids.cadre)},
		"GET /api/v1/taskforces/{id}": {Path: fmt.Sprintf("/api/v1/taskforces/%d", ids.taskforce), Allow: apiSeesUnitA},
		"POST /api/v1/taskforces/{id}/members": {Path: fmt.Sprintf("/api/v1/taskforces/%d/members", ids.taskforce), Allow: keepsTF,
			Body: fmt.Sprintf(`{"person_id":%d,"share":20}`, ids.cadre)},
		"POST /api/v1/taskforces/{id}/cases": {Path: fmt.Sprintf("/api/v1/taskforces/%d/cases", ids.taskforce), Allow: keepsTF, Body: `{"title":"加装电梯协调"}`},

		"GET /api/v1/staffing":         {Allow: apiEveryone},
		"GET /api/v1/staffing/history": {Allow: apiEveryone},
		// The county's establishment office (县委编办) writes the ledger; of the walk's users only the county administrator.
		"POST /api/v1/staffing/moves": {Allow: apiCountyAdmin1,
			Body: `{"kind":"approve","to_unit":"350722001000","post_type":"admin","count":1,"doc_no":"浦编〔2026〕2号","doc_day":"2026-01-05"}`},
		"POST /api/v1/staffing/posts":   {Allow: apiCountyAdmin1, Body: fmt.Sprintf(`{"unit_code":"350722001000","post_type":"admin","person_id":%d}`, fx.volunteer)},
		"GET /api/v1/people/{id}/posts": {Path: fmt.Sprintf("/api/v1/people/%d/posts", fx.volunteer), Allow: readsPairing},

		// Each registry's Excel, for whoever reads it (rows by the reader's scope).
		"GET /api/v1/pairings/export.xlsx":   {Allow: apiEveryone},
		"GET /api/v1/taskforces/export.xlsx": {Allow: apiEveryone},
		"GET /api/v1/staffing/export.xlsx":   {Allow: apiEveryone},
		// Imports: no file is a 400 for whoever may import; each row is checked against its unit in the domain tests.
		"POST /api/v1/taskforces/import":       {Allow: []apiRole{apiTownA, apiTownB, apiDept, apiCountyAdmin, apiTownAdmin}},
		"POST /api/v1/staffing/import":         {Allow: apiCountyAdmin1},
		"POST /api/v1/pairings/import":         {Allow: apiCountyAdmin1},
		"POST /api/v1/pairings/work/import":    {Allow: organ},
		"POST /api/v1/villages/incomes/import": {Allow: []apiRole{apiTownA, apiTownB, apiCountyAdmin, apiTownAdmin}},
		"POST /api/v1/taskforces/{id}/close":   {Path: fmt.Sprintf("/api/v1/taskforces/%d/close", ids.taskforce), Allow: keepsTF, Body: `{}`},
	}
}

// TestOrgLedgerFiguresInAPI checks the registries' figures come out of the
// API: per pairing, township and county; task forces; 核定/实有/空编.
func TestOrgLedgerFiguresInAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newAPIWalkFixture(t, db)
		get := func(role apiRole, path string, v any) {
			t.Helper()
			r := httptest.NewRequest(http.MethodGet, path, nil)
			r.Header.Set("Authorization", "Bearer "+fx.tokens[role])
			w := httptest.NewRecorder()
			fx.s.Handler().ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				t.Fatalf("%s: %d %s", path, w.Code, w.Body.String())
			}
			if err := json.Unmarshal(w.Body.Bytes(), v); err != nil {
				t.Fatal(err)
			}
		}
		var pl struct {
			Pairings []struct {
				Visits  int   `json:"visits"`
				Sought  int64 `json:"funds_sought"`
				InPlace int64 `json:"funds_in_place"`
			} `json:"pairings"`
			Figures struct {
				Townships []struct {
					Name   string `json:"name"`
					Cadres int    `json:"cadres_paired"`
				} `json:"townships"`
				County struct {
					Cadres   int   `json:"cadres_paired"`
					Visits   int   `json:"visits"`
					Projects int   `json:"projects"`
					Sought   int64 `json:"funds_sought"`
				} `json:"county"`
			} `json:"figures"`
		}
		get(apiCountyAdmin, "/api/v1/pairings", &pl)
		c := pl.Figures.County
		if len(pl.Pairings) != 1 || pl.Pairings[0].Visits != 1 || pl.Pairings[0].Sought != 50000 || c.Cadres != 1 || c.Visits != 1 || c.Projects != 1 ||
			c.Sought != 50000 || len(pl.Figures.Townships) != 1 || pl.Figures.Townships[0].Name != "南浦街道" {
			t.Errorf("pairings = %+v", pl)
		}
		var tl struct {
			Figures struct {
				Open int `json:"open"`
			} `json:"figures"`
		}
		get(apiTownA, "/api/v1/taskforces", &tl)
		if tl.Figures.Open != 1 {
			t.Errorf("task forces = %+v", tl)
		}
		var sl struct {
			County struct {
				Total struct {
					Approved int `json:"approved"`
					Vacant   int `json:"vacant"`
				} `json:"total"`
			} `json:"county"`
		}
		get(apiTownA, "/api/v1/staffing", &sl)
		if sl.County.Total.Approved != 3 || sl.County.Total.Vacant != 3 {
			t.Errorf("staffing = %+v", sl)
		}
		// Another township sees none of them.
		get(apiTownB, "/api/v1/pairings", &pl)
		if len(pl.Pairings) != 0 || pl.Figures.County.Cadres != 0 {
			t.Errorf("township B sees %+v", pl)
		}
	})
}

// TestOrgLedgerExcelInAPI: each registry exports to Excel through the API,
// and a task force file imports with all rows or none, the refused rows
// named in the answer.
func TestOrgLedgerExcelInAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newAPIWalkFixture(t, db)
		do := func(role apiRole, method, path string, body io.Reader, ct string) *httptest.ResponseRecorder {
			t.Helper()
			r := httptest.NewRequest(method, path, body)
			r.Header.Set("Authorization", "Bearer "+fx.tokens[role])
			if ct != "" {
				r.Header.Set("Content-Type", ct)
			}
			w := httptest.NewRecorder()
			fx.s.Handler().ServeHTTP(w, r)
			return w
		}
		for path, head := range map[string]string{"/api/v1/pairings/export.xlsx": "结对单位代码", "/api/v1/taskforces/export.xlsx": "设立单位代码",
			"/api/v1/staffing/export.xlsx": ""} {
			w := do(apiTownA, http.MethodGet, path, nil, "")
			if w.Code != http.StatusOK || !strings.Contains(w.Header().Get("Content-Type"), "spreadsheetml") {
				t.Fatalf("%s: %d %s", path, w.Code, w.Header().Get("Content-Type"))
			}
			f, err := excelize.OpenReader(w.Body)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			rows, _ := f.GetRows(f.GetSheetList()[0])
			if len(rows) < 2 || (head != "" && rows[0][0] != head) {
				t.Errorf("%s: first sheet %v", path, rows)
			}
		}

		file := func(tfs, members [][]any) (io.Reader, string) {
			t.Helper()
			f := excelize.NewFile()
			defer f.Close()
			for _, sh := range []struct {
				name string
				rows [][]any
			}{{taskforce.SheetTaskForces, append([][]any{{"设立单位代码", "专班名称", "任务", "组长", "组长单位代码", "开始日期", "目标日期", "结束日期"}}, tfs...)},
				{taskforce.SheetMembers, append([][]any{{"专班名称", "姓名", "所在单位代码", "专职/兼职", "投入比例"}}, members...)}} {
				if _, err := f.NewSheet(sh.name); err != nil {
					t.Fatal(err)
				}
				for i, r := range sh.rows {
					cell, _ := excelize.CoordinatesToCellName(1, i+1)
					if err := f.SetSheetRow(sh.name, cell, &r); err != nil {
						t.Fatal(err)
					}
				}
			}
			var b bytes.Buffer
			mw := multipart.NewWriter(&b)
			part, _ := mw.CreateFormFile("file", "专班.xlsx")
			if err := f.Write(part); err != nil {
				t.Fatal(err)
			}
			mw.Close()
			return &b, mw.FormDataContentType()
		}
		own := []any{"350722001000", "加装电梯专班", "推进加装电梯", "结对干部钱某", "350722D003", "2026-01-01", "2026-06-30", "2026-12-31"}
		county := []any{"350722000000", "县级专班", "县级任务", "结对干部钱某", "350722D003", "2026-01-01", "2026-06-30", "2026-12-31"}
		member := []any{"加装电梯专班", "结对干部钱某", "350722D003", "兼职", "20%"}
		body, ct := file([][]any{own, county}, [][]any{member})
		w := do(apiTownA, http.MethodPost, "/api/v1/taskforces/import", body, ct)
		var refused struct {
			Error struct{ Code string } `json:"error"`
			Rows  []taskforce.RowError  `json:"rows"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &refused); err != nil || w.Code != http.StatusBadRequest || len(refused.Rows) != 1 ||
			refused.Rows[0] != (taskforce.RowError{Sheet: "工作专班", Row: 3, Reason: "无权为浦城县设立专班：乡镇专班由本乡镇设立，县级专班由县级设立"}) {
			t.Fatalf("a township's file with a county row: %d %s", w.Code, w.Body.String())
		}
		open := func() int {
			var tl struct {
				Figures struct {
					Open    int `json:"open"`
					Members int `json:"members"`
				} `json:"figures"`
			}
			if err := json.Unmarshal(do(apiTownA, http.MethodGet, "/api/v1/taskforces", nil, "").Body.Bytes(), &tl); err != nil {
				t.Fatal(err)
			}
			return tl.Figures.Open*100 + tl.Figures.Members
		}
		if got := open(); got != 100 {
			t.Fatalf("the refused file recorded: open*100+members = %d", got)
		}
		body, ct = file([][]any{own}, [][]any{member})
		w = do(apiTownA, http.MethodPost, "/api/v1/taskforces/import", body, ct)
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"taskforces":1`) || !strings.Contains(w.Body.String(), `"members":1`) {
			t.Fatalf("import: %d %s", w.Code, w.Body.String())
		}
		if got := open(); got != 201 {
			t.Errorf("after the import: open*100+members = %d", got)
		}
		// A community below may not import.
		body, ct = file([][]any{own}, nil)
		if w := do(apiCommunity, http.MethodPost, "/api/v1/taskforces/import", body, ct); w.Code != http.StatusForbidden {
			t.Errorf("community import: %d %s", w.Code, w.Body.String())
		}
	})
}
