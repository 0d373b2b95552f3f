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

	"grassroots/internal/access"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// householdsFile is an .xlsx of the 住户 sheet with rows under the header.
func householdsFile(t *testing.T, rows ...[]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", "住户"); err != nil {
		t.Fatal(err)
	}
	all := append([][]any{{"楼栋编码", "楼栋", "门牌号", "户主姓名", "联系电话", "身份证号", "居住人数"}}, rows...)
	for i, r := range all {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("住户", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func (fx *caseFixture) upload(actor access.Actor, target, field string, data []byte) *httptest.ResponseRecorder {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile(field, "住户.xlsx")
	fw.Write(data)
	mw.Close()
	r := httptest.NewRequest(http.MethodPost, target, &body)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	w := httptest.NewRecorder()
	fx.s.mux.ServeHTTP(w, withState(r, requestState{Actor: actor, CSRF: "test-csrf"}))
	return w
}

// TestGridHouseholds: the grid worker imports the grid's households from
// Excel; a file with a bad row records nothing and the page names the row;
// the list and the export show the head's phone masked; the grid page
// counts them; a township elsewhere may not import.
func TestGridHouseholds(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newCaseFixture(t, db)
		ctx := context.Background()
		fx.addUnit(ctx, "350722001001G01B01", "仙楼1号楼", "building", "350722001001G01")
		worker := fx.actor(31, "350722001001G01", "grid", access.RoleGrid)
		const page = "/grids/350722001001G01/households"

		w := fx.upload(worker, page, "file", householdsFile(t,
			[]any{"350722001001G01B01", "仙楼1号楼", "101", "张某某", "13800001234", "", 3},
			[]any{"350722001001G01B01", "仙楼1号楼", "102", "李某某", "12345", "", 2}))
		expect(t, w, http.StatusBadRequest, "“住户”第3行：门牌号102：联系电话格式不正确", "未导入任何记录")
		expect(t, fx.send(worker, http.MethodGet, page, nil), http.StatusOK, `data-count="households">0<`, "尚未登记住户")

		w = fx.upload(worker, page, "file", householdsFile(t,
			[]any{"350722001001G01B01", "仙楼1号楼", "101", "张某某", "13800001234", "", 3},
			[]any{"350722001001G01B01", "仙楼1号楼", "102", "李某某", "", "", ""}))
		expect(t, w, http.StatusOK, "新增2户，更新0户", "138****1234", `data-count="residents">4<`)
		if strings.Contains(w.Body.String(), "13800001234") {
			t.Error("the page shows the phone in the clear")
		}
		expect(t, fx.send(worker, http.MethodGet, "/grids/350722001001G01", nil), http.StatusOK, `data-count="households">2<`, `data-count="residents">4<`)
		x := fx.send(worker, http.MethodGet, page+".xlsx", nil)
		expect(t, x, http.StatusOK)
		if !strings.Contains(x.Header().Get("Content-Type"), "spreadsheetml") || bytes.Contains(x.Body.Bytes(), []byte("13800001234")) {
			t.Errorf("export: %s", x.Header().Get("Content-Type"))
		}

		other := fx.actor(40, "350722101000", "township", access.RoleTownship)
		if w := fx.upload(other, page, "file", householdsFile(t, []any{"350722001001G01B01", "", "103", "王某某", "", "", 1})); w.Code != http.StatusForbidden {
			t.Errorf("another township imported: %d", w.Code)
		}
		if w := fx.upload(worker, page, "nofile", nil); w.Code != http.StatusBadRequest {
			t.Errorf("no file: %d", w.Code)
		}
	})
}

// residentsFile is an .xlsx of a 住户 sheet with one household and a 居民
// sheet with rows under the header.
func residentsFile(t *testing.T, rows ...[]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", "住户"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.NewSheet("居民"); err != nil {
		t.Fatal(err)
	}
	put := func(sheet string, all [][]any) {
		for i, r := range all {
			cell, _ := excelize.CoordinatesToCellName(1, i+1)
			if err := f.SetSheetRow(sheet, cell, &r); err != nil {
				t.Fatal(err)
			}
		}
	}
	put("住户", [][]any{{"楼栋编码", "门牌号", "户主姓名", "居住人数"}, {"350722001001G01B01", "201", "陈某某", 6}})
	put("居民", append([][]any{{"楼栋编码", "门牌号", "姓名", "与户主关系", "性别", "出生年份", "联系电话", "身份证号", "备注"}}, rows...))
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestGridResidents: the residents of the workbook's 居民 sheet: a bad row
// refuses the whole file and is named with its sheet; a good file lists
// each household's residents masked, the household counting them; the
// export has the 居民 sheet, masked.
func TestGridResidents(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newCaseFixture(t, db)
		ctx := context.Background()
		fx.addUnit(ctx, "350722001001G01B01", "仙楼1号楼", "building", "350722001001G01")
		worker := fx.actor(31, "350722001001G01", "grid", access.RoleGrid)
		const page = "/grids/350722001001G01/households"
		head := []any{"350722001001G01B01", "201", "陈某某", "户主", "男", 1965, "13600003333", "", "楼栋志愿者"}

		w := fx.upload(worker, page, "file", residentsFile(t, head, []any{"350722001001G01B01", "201", "林某某", "配偶", "未知", "", "", "", ""}))
		expect(t, w, http.StatusBadRequest, "“居民”第3行：性别应为男或女", "未导入任何记录")
		expect(t, fx.send(worker, http.MethodGet, page, nil), http.StatusOK, `data-count="households">0<`)

		w = fx.upload(worker, page, "file", residentsFile(t, head, []any{"350722001001G01B01", "201", "林某某", "配偶", "女", "", "", "", ""}))
		expect(t, w, http.StatusOK, "新增1户，更新0户", "居民2人", "陈某某", "林某某", "136****3333", "1965年生", "楼栋志愿者", `data-count="residents">2<`)
		if strings.Contains(w.Body.String(), "13600003333") {
			t.Error("the page shows the phone in the clear")
		}
		x := fx.send(worker, http.MethodGet, page+".xlsx", nil)
		expect(t, x, http.StatusOK)
		f, err := excelize.OpenReader(bytes.NewReader(x.Body.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := f.GetRows("居民")
		f.Close()
		if err != nil || len(rows) != 3 || rows[1][6] != "136****3333" {
			t.Errorf("the export's 居民 sheet: %v %v", rows, err)
		}
	})
}
