package web

import (
	"bytes"
	"context"
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

// TestPairingWorkImportPage: the pairing organ uploads visits, projects and
// funds on the pairings page; a file with a bad fund row after good rows
// records nothing and the page names the sheet and row; a good file
// records them all.
func TestPairingWorkImportPage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newWalkFixture(t, db)
		ctx := context.Background()
		key := []any{"350722D003", "", "350722001001", "", "2025-01-01"}
		row := func(vals ...any) []any { return append(append([]any(nil), key...), vals...) }
		upload := func(funds ...[]any) *httptest.ResponseRecorder {
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
				{pairing.SheetFunds, append([][]any{{"结对单位代码", "结对单位", "村(社区)代码", "村(社区)", "结对开始日期", "项目名称", "资金来源", "金额(元)"}}, funds...)},
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
			var body bytes.Buffer
			mw := multipart.NewWriter(&body)
			fw, _ := mw.CreateFormFile("file", "结对工作.xlsx")
			if err := f.Write(fw); err != nil {
				t.Fatal(err)
			}
			mw.Close()
			r := httptest.NewRequest(http.MethodPost, "/pairings/work/import", &body)
			r.Header.Set("Content-Type", mw.FormDataContentType())
			w := httptest.NewRecorder()
			fx.s.mux.ServeHTTP(w, withState(r, requestState{Actor: fx.actors[roleDept], CSRF: "test-csrf"}))
			return w
		}
		chain := func() (int, int) {
			c, err := fx.s.Pairing.Chain(ctx, fx.actors[roleDept], fx.ledgers.pairing)
			if err != nil {
				t.Fatal(err)
			}
			return c.Visits, c.Projects
		}
		v0, p0 := chain()
		page := httptest.NewRecorder()
		fx.s.mux.ServeHTTP(page, withState(httptest.NewRequest(http.MethodGet, "/pairings", nil), requestState{Actor: fx.actors[roleDept], CSRF: "test-csrf"}))
		if page.Code != http.StatusOK || !strings.Contains(page.Body.String(), `id="pairing-work-import"`) {
			t.Errorf("the pairings page offers the pairing organ no work import")
		}
		good := row("蔬菜基地", "市级资金", "1000")
		w := upload(good, row("无此项目", "市级资金", "1000"))
		if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "“资金”第3行：该结对没有项目“无此项目”") {
			t.Fatalf("a file with a bad row: %d %s", w.Code, w.Body.String())
		}
		if v, p := chain(); v != v0 || p != p0 {
			t.Fatalf("the refused file recorded: visits %d → %d, projects %d → %d", v0, v, p0, p)
		}
		if w := upload(good); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/pairings?done=import" {
			t.Fatalf("a good file: %d %s", w.Code, w.Header().Get("Location"))
		}
		if v, p := chain(); v != v0+1 || p != p0+1 {
			t.Errorf("after the import: visits %d → %d, projects %d → %d", v0, v, p0, p)
		}
	})
}
