package org_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"grassroots/internal/access"
	. "grassroots/internal/org"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
	"grassroots/internal/xlsx"

	"github.com/xuri/excelize/v2"
)

// residentsBook is a households workbook with a 住户 sheet and a 居民 sheet.
func residentsBook(t *testing.T, households [][]any, residents [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", SheetHouseholds); err != nil {
		t.Fatal(err)
	}
	if _, err := f.NewSheet(SheetResidents); err != nil {
		t.Fatal(err)
	}
	put := func(sheet string, rows [][]any) {
		for i, r := range rows {
			cell, _ := excelize.CoordinatesToCellName(1, i+1)
			if err := f.SetSheetRow(sheet, cell, &r); err != nil {
				t.Fatal(err)
			}
		}
	}
	put(SheetHouseholds, append([][]any{{"楼栋编码", "门牌号", "户主姓名", "居住人数"}}, households...))
	put(SheetResidents, append([][]any{{"楼栋编码", "门牌号", "姓名", "与户主关系", "性别", "出生年份", "联系电话", "身份证号", "备注"}}, residents...))
	var b bytes.Buffer
	if _, err := f.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Residents of a household, imported from the workbook's 居民 sheet: one
// bad row refuses the whole file (both sheets' rows recorded nothing) and
// is named by sheet and row; a good file records them, sealed, listed and
// exported masked; a household's count becomes the number of its records;
// only the grid's front line imports.
func TestResidents(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := withDemoGrids(t, db)
		const grid = "350722001001G01"
		worker := demoActor(t, s, grid, access.RoleGrid)
		v, err := s.Grid(ctx, worker, grid)
		if err != nil {
			t.Fatal(err)
		}
		b := v.Buildings[0].Unit.Code
		_, before, err := s.GridHouseholds(ctx, worker, grid)
		if err != nil {
			t.Fatal(err)
		}
		hh := [][]any{{b, "801", "赵某某", 5}}
		good := [][]any{
			{b, "801", "赵某某", "户主", "男", 1970, "13900001111", "350722197001011237", "退休"},
			{b, "801", "钱某某", "配偶", "女", 1972, "", "", ""},
		}
		bad := append(append([][]any{}, good...), []any{b, "801", "孙某某", "邻居", "男", 1990, "", "", ""})
		book, err := ParseHouseholdBookXLSX(bytes.NewReader(residentsBook(t, hh, bad)))
		if err != nil || len(book.Households) != 1 || len(book.Residents) != 3 {
			t.Fatalf("parse: %+v %v", book, err)
		}
		_, err = s.ImportHouseholdBook(ctx, worker, grid, book)
		var ie *xlsx.ImportError
		if !errors.As(err, &ie) || !errors.Is(err, store.ErrInvalid) || len(ie.Rows) != 1 || ie.Rows[0].Sheet != SheetResidents || ie.Rows[0].Row != 4 {
			t.Fatalf("one bad resident row: %v", err)
		}
		if !strings.Contains(err.Error(), "“居民”第4行：与户主关系") {
			t.Errorf("the bad row named: %v", err)
		}
		if _, after, _ := s.GridHouseholds(ctx, worker, grid); len(after) != len(before) {
			t.Errorf("a refused import recorded %d households", len(after)-len(before))
		}
		var n int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM residents`).Scan(&n); err != nil || n != 0 {
			t.Errorf("a refused import recorded %d residents (%v)", n, err)
		}
		// Every bad row is named with its sheet's row, a blank row skipped:
		// a year that is not a number, a bad relation, a bad count.
		several := append(append([][]any{}, good...), []any{}, []any{b, "801", "孙某某", "子女", "男", "九零", "", "", ""},
			[]any{b, "801", "李某某", "邻居", "", "", "", "", ""})
		book, err = ParseHouseholdBookXLSX(bytes.NewReader(residentsBook(t, [][]any{{b, "801", "赵某某", "五"}}, several)))
		if err != nil {
			t.Fatalf("parse: %v", err)
		}
		_, err = s.ImportHouseholdBook(ctx, worker, grid, book)
		if !errors.As(err, &ie) || len(ie.Rows) != 3 || ie.Rows[0].Sheet != SheetHouseholds || ie.Rows[0].Row != 2 ||
			ie.Rows[1].Row != 5 || ie.Rows[2].Row != 6 || !strings.Contains(err.Error(), "“居民”第5行：出生年份") {
			t.Errorf("several bad rows: %v", err)
		}
		// A resident of a household neither recorded nor imported.
		_, err = s.ImportHouseholdBook(ctx, worker, grid, HouseholdBook{Residents: []ResidentRow{{Unit: b, Room: "8888", Name: "周某某", Relation: "户主"}}})
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), "“居民”第2行：门牌号“8888”") {
			t.Errorf("unknown household: %v", err)
		}

		book, err = ParseHouseholdBookXLSX(bytes.NewReader(residentsBook(t, hh, good)))
		if err != nil {
			t.Fatal(err)
		}
		res, err := s.ImportHouseholdBook(ctx, worker, grid, book)
		if err != nil || res.Inserted != 1 || res.Residents != 2 {
			t.Fatalf("import: %+v %v", res, err)
		}
		_, after, err := s.GridHouseholds(ctx, worker, grid)
		if err != nil {
			t.Fatal(err)
		}
		var found *Household
		for i := range after {
			if after[i].UnitCode == b && after[i].Room == "801" {
				found = &after[i]
			}
		}
		// The count rule: 5 on the sheet, 2 records.
		if found == nil || found.Residents != 2 || len(found.Records) != 2 {
			t.Fatalf("the household: %+v", found)
		}
		head := found.Records[0]
		if head.Name != "赵某某" || head.Relation != "户主" || head.BirthYear != 1970 || head.PhoneMasked != "139****1111" ||
			head.IDMasked == "" || strings.Contains(head.IDMasked, "19700101") || head.Note != "退休" {
			t.Errorf("the head's record: %+v", head)
		}
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM residents WHERE phone_enc LIKE '%13900001111%' OR id_enc LIKE '%350722197001011237%' OR phone_hash = '' AND name = '赵某某'`).Scan(&n); err != nil || n != 0 {
			t.Errorf("numbers kept in the clear or not hashed: %d %v", n, err)
		}
		v2, err := s.Grid(ctx, worker, grid)
		if err != nil || v2.Residents != v.Residents+2 {
			t.Errorf("the grid's residents: %d, were %d (%v)", v2.Residents, v.Residents, err)
		}

		// The export writes both sheets, masked.
		var buf bytes.Buffer
		if err := WriteHouseholdsXLSX(&buf, after); err != nil {
			t.Fatal(err)
		}
		f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := f.GetRows(SheetResidents)
		f.Close()
		if err != nil || len(rows) != 3 || rows[1][2] != "赵某某" || rows[1][6] != "139****1111" {
			t.Fatalf("the 居民 sheet: %v %v", rows, err)
		}
		if all := strings.Join(flat(rows), ","); strings.Contains(all, "13900001111") || strings.Contains(all, "19700101") {
			t.Errorf("the export shows the numbers: %s", all)
		}

		// A second import names the household again: its records are
		// replaced, not added.
		res, err = s.ImportHouseholdBook(ctx, worker, grid, HouseholdBook{Residents: []ResidentRow{{Unit: b, Room: "801", Name: "赵某某", Relation: "户主"}}})
		if err != nil || res.Residents != 1 {
			t.Fatalf("replace: %+v %v", res, err)
		}
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM residents`).Scan(&n); err != nil || n != 1 {
			t.Errorf("after replacing: %d residents (%v)", n, err)
		}

		for _, a := range []access.Actor{demoActor(t, s, "350722001001G02", access.RoleGrid), demoActor(t, s, "350722000000", access.RoleSupervisor)} {
			if _, err := s.ImportHouseholdBook(ctx, a, grid, book); !errors.Is(err, store.ErrForbidden) {
				t.Errorf("%s imported: %v", a.UnitCode, err)
			}
		}
	})
}
