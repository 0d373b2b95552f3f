package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"grassroots/internal/pairing"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// TestPairingWorkImportInAPI: the pairing organ imports visits, projects
// and funds; a file with a bad row is a 400 naming it with its sheet and
// records nothing; a good file answers what it recorded.
func TestPairingWorkImportInAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newAPIWalkFixture(t, db)
		key := []any{"350722D003", "", "350722001001", "", "2025-01-01"}
		row := func(vals ...any) []any { return append(append([]any(nil), key...), vals...) }
		file := func(funds ...[]any) (*bytes.Buffer, string) {
			t.Helper()
			f := excelize.NewFile()
			defer f.Close()
			for _, sh := range []struct {
				name string
				rows [][]any
			}{
				{pairing.SheetVisits, [][]any{{"结对单位代码", "结对单位", "村(社区)代码", "村(社区)", "结对开始日期", "调研日期", "调研人员", "调研发现"},
					row("2025-05-01", "钱某", "道路破损")}},
				{pairing.SheetProjects, [][]any{{"结对单位代码", "结对单位", "村(社区)代码", "村(社区)", "结对开始日期", "项目名称", "项目类型"},
					row("蔬菜基地", "种植")}},
				{pairing.SheetFunds, append([][]any{{"结对单位代码", "结对单位", "村(社区)代码", "村(社区)", "结对开始日期", "项目名称", "资金来源", "金额(元)", "状态", "争取日期", "到位日期"}},
					funds...)},
			} {
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
			part, _ := mw.CreateFormFile("file", "结对工作.xlsx")
			if err := f.Write(part); err != nil {
				t.Fatal(err)
			}
			mw.Close()
			return &b, mw.FormDataContentType()
		}
		do := func(role apiRole, method, path string, body *bytes.Buffer, ct string) *httptest.ResponseRecorder {
			t.Helper()
			var r *http.Request
			if body != nil {
				r = httptest.NewRequest(method, path, body)
			} else {
				r = httptest.NewRequest(method, path, nil)
			}
			r.Header.Set("Authorization", "Bearer "+fx.tokens[role])
			if ct != "" {
				r.Header.Set("Content-Type", ct)
			}
			w := httptest.NewRecorder()
			fx.s.Handler().ServeHTTP(w, r)
			return w
		}
		visits := func() int {
			var c struct {
				Visits   int `json:"visits"`
				Projects int `json:"projects"`
			}
			w := do(apiDept, http.MethodGet, fmt.Sprintf("/api/v1/pairings/%d", fx.ledgers.pairing), nil, "")
			if err := json.Unmarshal(w.Body.Bytes(), &c); err != nil {
				t.Fatalf("%d %s", w.Code, w.Body.String())
			}
			return c.Visits*100 + c.Projects
		}
		before := visits()
		good := row("蔬菜基地", "市级资金", "1000", "到位", "2025-04-01", "2025-04-20")
		body, ct := file(good, row("无此项目", "市级资金", "1000", "", "2025-04-01", ""))
		w := do(apiDept, http.MethodPost, "/api/v1/pairings/work/import", body, ct)
		var refused struct {
			Error struct{ Code string } `json:"error"`
			Rows  []pairing.RowError    `json:"rows"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &refused); err != nil || w.Code != http.StatusBadRequest || refused.Error.Code != "invalid" ||
			len(refused.Rows) != 1 || refused.Rows[0] != (pairing.RowError{Sheet: "资金", Row: 3, Reason: "该结对没有项目“无此项目”"}) {
			t.Fatalf("a file with a bad fund row: %d %s", w.Code, w.Body.String())
		}
		if got := visits(); got != before {
			t.Fatalf("the refused file recorded: visits*100+projects %d → %d", before, got)
		}
		body, ct = file(good)
		w = do(apiDept, http.MethodPost, "/api/v1/pairings/work/import", body, ct)
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"visits":1,"projects":1,"funds":1`) {
			t.Fatalf("import: %d %s", w.Code, w.Body.String())
		}
		if got := visits(); got != before+101 {
			t.Errorf("after the import: visits*100+projects %d → %d", before, got)
		}
		body, ct = file(good)
		if w := do(apiTownA, http.MethodPost, "/api/v1/pairings/work/import", body, ct); w.Code != http.StatusForbidden {
			t.Errorf("township import: %d %s", w.Code, w.Body.String())
		}
	})
}
