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

// Households of a grid's buildings: the demo's are counted on the grid's
// view; an import with bad rows records nothing and names every bad row; a
// good one adds and updates by room; the list and the export mask the
// head's phone and ID number; only the grid's front line imports.
func TestHouseholds(t *testing.T) {
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
		_, before, err := s.GridHouseholds(ctx, worker, grid)
		if err != nil {
			t.Fatal(err)
		}
		if v.Households == 0 || v.Households != len(before) || v.Residents < v.Households {
			t.Fatalf("the demo's households: view %d (%d residents), list %d", v.Households, v.Residents, len(before))
		}
		b := v.Buildings[0].Unit.Code

		bad := []HouseholdRow{
			{Unit: b, Room: "901", HeadName: "张某某", Phone: "13800001234", IDNo: "350722199001011236", Residents: 3},
			{Unit: "350722101200G01B01", Room: "101", HeadName: "外网格", Residents: 1},
			{Unit: b, Room: "902", HeadName: "李某某", Phone: "12345", Residents: 2},
			{Unit: b, Room: "901", HeadName: "重复", Residents: 1},
			{Unit: b, Room: "903", HeadName: "", Residents: 1},
			{Unit: b, Room: "904", HeadName: "王某某", Residents: 0},
		}
		_, err = s.ImportHouseholds(ctx, worker, grid, bad)
		var ie *xlsx.ImportError
		if !errors.As(err, &ie) || !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("bad rows: %v", err)
		}
		var lines []int
		for _, r := range ie.Rows {
			lines = append(lines, r.Row)
		}
		if len(lines) != 5 || lines[0] != 3 || lines[4] != 7 || !strings.Contains(err.Error(), "“住户”第5行：门牌号901：与第2行是同一户") {
			t.Errorf("bad rows named: %v; %v", lines, err)
		}
		if _, after, _ := s.GridHouseholds(ctx, worker, grid); len(after) != len(before) {
			t.Errorf("a refused import recorded %d households", len(after)-len(before))
		}

		good := []HouseholdRow{
			{Unit: b, Room: "901", HeadName: "张某某", Phone: "138 0000 1234", IDNo: "350722199001011236", Residents: 3},
			{Unit: b, Room: before[0].Room, HeadName: "新户主", Residents: 2},
		}
		if before[0].UnitCode != b {
			good[1].Unit = before[0].UnitCode
		}
		res, err := s.ImportHouseholds(ctx, worker, grid, good)
		if err != nil || res.Inserted != 1 || res.Updated != 1 {
			t.Fatalf("import: %+v %v", res, err)
		}
		_, after, err := s.GridHouseholds(ctx, worker, grid)
		if err != nil || len(after) != len(before)+1 {
			t.Fatalf("after: %d %v", len(after), err)
		}
		var found *Household
		for i := range after {
			if after[i].UnitCode == b && after[i].Room == "901" {
				found = &after[i]
			}
		}
		if found == nil || found.HeadName != "张某某" || found.PhoneMasked != "138****1234" || strings.Contains(found.IDMasked, "19900101") || found.IDMasked == "" {
			t.Errorf("the new household: %+v", found)
		}
		var n int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM households WHERE head_phone_enc LIKE '%13800001234%' OR head_id_enc LIKE '%350722199001011236%'`).Scan(&n); err != nil || n != 0 {
			t.Errorf("numbers kept in the clear: %d %v", n, err)
		}
		var buf bytes.Buffer
		if err := WriteHouseholdsXLSX(&buf, after); err != nil {
			t.Fatal(err)
		}
		f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := f.GetRows(SheetHouseholds)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != len(after)+1 || rows[0][2] != "门牌号" || strings.Contains(strings.Join(flat(rows), ","), "13800001234") {
			t.Errorf("export: %d rows, header %v", len(rows), rows[0])
		}
		// The export reads back as an import's rows.
		back, err := ParseHouseholdsXLSX(bytes.NewReader(buf.Bytes()))
		if err != nil || len(back) != len(after) {
			t.Errorf("read back: %d %v", len(back), err)
		}

		for _, a := range []access.Actor{demoActor(t, s, "350722001001G02", access.RoleGrid), demoActor(t, s, "350722101000", access.RoleTownship), demoActor(t, s, "350722000000", access.RoleSupervisor)} {
			if _, err := s.ImportHouseholds(ctx, a, grid, good); !errors.Is(err, store.ErrForbidden) {
				t.Errorf("%s imported: %v", a.UnitCode, err)
			}
		}
	})
}

func flat(rows [][]string) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r...)
	}
	return out
}
