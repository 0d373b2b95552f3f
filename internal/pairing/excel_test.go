package pairing_test

import (
	"bytes"
	"context"
	"errors"
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
