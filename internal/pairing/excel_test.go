package pairing_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"grassroots/internal/access"
	"grassroots/internal/pairing"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

func incomesFile(t *testing.T, rows ...[]any) *bytes.Buffer {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if _, err := f.NewSheet(pairing.SheetIncomes); err != nil {
		t.Fatal(err)
	}
	for i, r := range append([][]any{{"村(社区)代码", "年份", "收入(元)"}}, rows...) {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(pairing.SheetIncomes, cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return &b
}

func TestImportIncomesAllOrNothing(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		fx := newFixture(t, db)
		pid := fx.pair(t)
		town := fx.Actor(50, "350722101000", access.RoleTownship)
		// Row 3 is another township's community: nothing is entered.
		_, err := fx.s.ImportIncomes(ctx, town, incomesFile(t, []any{"350722101200", "2025", "90000"}, []any{"350722001001", "2025", "1"}))
		var ie *pairing.ImportError
		if !errors.As(err, &ie) || len(ie.Rows) != 1 || ie.Rows[0].Row != 3 {
			t.Fatalf("import with another township's row: %v", err)
		}
		if c, _ := fx.s.Chain(ctx, town, pid); len(c.Incomes) != 0 {
			t.Fatalf("a refused file entered %+v", c.Incomes)
		}
		n, err := fx.s.ImportIncomes(ctx, town, incomesFile(t, []any{"350722101200", "2024", "60000"}, []any{"350722101200", "2025", "90,000"}))
		if err != nil || n != 2 {
			t.Fatalf("import = %d, %v", n, err)
		}
		c, _ := fx.s.Chain(ctx, town, pid)
		if !c.Rising || c.Latest.Amount != 90000 || c.Latest.Change != 30000 {
			t.Errorf("chain after import = %+v", c.Row)
		}
		// The same year again is refused (entered once a year).
		if _, err := fx.s.ImportIncomes(ctx, town, incomesFile(t, []any{"350722101200", "2025", "1"})); !errors.As(err, &ie) {
			t.Errorf("second 2025: %v", err)
		}
	})
}

func pairingsFile(t *testing.T, rows ...[]any) *bytes.Buffer {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if _, err := f.NewSheet(pairing.SheetPairings); err != nil {
		t.Fatal(err)
	}
	for i, r := range append([][]any{{"结对单位代码", "党组织", "责任干部", "村(社区)代码", "开始日期", "结束日期"}}, rows...) {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(pairing.SheetPairings, cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return &b
}

// TestImportPairingsAllOrNothing: the organisation department sets a round
// of pairings up from one file; a file with any bad row — a pairing there
// already, a cadre not of the unit, a township for a village — sets nothing
// up and names each row; no one else may import.
func TestImportPairingsAllOrNothing(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		fx := newFixture(t, db)
		fx.pair(t) // 住建局 with 350722101200 from 2025-01-01
		good := []any{"350722D002", "", "住建局党支部书记", "350722001001", "2026-01-01", "2028-12-31"}
		bad := [][]any{good,
			{"350722D002", "", "住建局党支部书记", "350722101200", "2025-01-01", "2027-12-31"}, // there already
			{"350722D002", "", "无此人", "350722001001", "2026-01-01", "2028-12-31"},
			{"350722D002", "", "住建局党支部书记", "350722101000", "2026-01-01", "2028-12-31"}, // a township
		}
		_, err := fx.s.ImportPairings(ctx, fx.orgDept(), pairingsFile(t, bad...))
		var ie *pairing.ImportError
		if !errors.As(err, &ie) || len(ie.Rows) != 3 || ie.Rows[0].Row != 3 || ie.Rows[1].Row != 4 || ie.Rows[2].Row != 5 {
			t.Fatalf("import with bad rows: %v", err)
		}
		for _, want := range []string{"已在该期限结对", "找不到人员“无此人”", "不是村（社区）"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error lacks %q: %v", want, err)
			}
		}
		if rows, _ := fx.s.List(ctx, fx.orgDept()); len(rows) != 1 {
			t.Fatalf("a refused file set up %d pairings", len(rows)-1)
		}
		n, err := fx.s.ImportPairings(ctx, fx.orgDept(), pairingsFile(t, good))
		if err != nil || n != 1 {
			t.Fatalf("import = %d, %v", n, err)
		}
		rows, _ := fx.s.List(ctx, fx.orgDept())
		if len(rows) != 2 || pairing.FiguresOf(rows).County.Cadres != 1 {
			t.Errorf("pairings = %+v", rows)
		}
		for _, a := range []access.Actor{fx.organ(), fx.Actor(50, "350722101000", access.RoleTownship)} {
			if _, err := fx.s.ImportPairings(ctx, a, pairingsFile(t, good)); !errors.Is(err, store.ErrForbidden) {
				t.Errorf("%s import: %v", a.UnitCode, err)
			}
		}
		// The export's first sheet reads back as an import (its pairings are there already).
		var out bytes.Buffer
		if err := fx.s.Export(ctx, fx.orgDept(), &out); err != nil {
			t.Fatal(err)
		}
		if _, err := fx.s.ImportPairings(ctx, fx.orgDept(), &out); !errors.As(err, &ie) || len(ie.Rows) != 2 || !strings.Contains(ie.Rows[0].Reason, "已在该期限结对") {
			t.Errorf("re-import of the export: %v", err)
		}
	})
}
