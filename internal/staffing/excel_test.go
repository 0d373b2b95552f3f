package staffing_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"grassroots/internal/staffing"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

func movesFile(t *testing.T, rows [][]any) *bytes.Buffer {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if _, err := f.NewSheet(staffing.SheetMoves); err != nil {
		t.Fatal(err)
	}
	header := []any{"事项", "划出单位代码", "划出机构", "划入单位代码", "划入机构", "编制类型", "数量", "批准文号", "批准日期", "归还日期", "备注"}
	for i, r := range append([][]any{header}, rows...) {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(staffing.SheetMoves, cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return &b
}

func TestImportMovesAllOrNothing(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		fx := newFixture(t, db)
		good := []any{"核定", "", "", "350722D002", "", "事业编制(公益一类)", "10", "浦编〔2025〕1号", "2025-01-10", "", ""}
		move := []any{"划转", "350722D002", "", "350722101000", "党政综合办公室", "公益一类", "2", "浦编〔2026〕7号", "2026-06-01", "", "减县补乡"}
		bad := []any{"划转", "350722D002", "", "350722101000", "", "公益一类", "20", "浦编〔2026〕8号", "2026-06-02", "", ""}
		_, err := fx.s.Import(ctx, fx.bianban(), movesFile(t, [][]any{good, move, bad}))
		var ie *staffing.ImportError
		if !errors.As(err, &ie) || len(ie.Rows) != 1 || ie.Rows[0].Row != 4 || !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("import with a bad row: %v", err)
		}
		if h, _ := fx.s.History(ctx, fx.bianban(), "", 0); len(h) != 0 {
			t.Fatalf("a refused file recorded %d events", len(h))
		}
		n, err := fx.s.Import(ctx, fx.bianban(), movesFile(t, [][]any{good, move}))
		if err != nil || n != 2 {
			t.Fatalf("import = %d, %v", n, err)
		}
		l, _ := fx.s.Ledger(ctx, fx.bianban())
		if got := l.Unit("350722101000").Of(staffing.Career1).Approved; got != 2 {
			t.Errorf("township approved = %d", got)
		}
		if _, err := fx.s.Import(ctx, fx.Department(), movesFile(t, [][]any{good})); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("department import: %v", err)
		}
		// The export reads back: its 编制调整 sheet has the events.
		var out bytes.Buffer
		if err := fx.s.Export(ctx, fx.bianban(), &out); err != nil {
			t.Fatal(err)
		}
		f, err := excelize.OpenReader(&out)
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := f.GetRows(staffing.SheetMoves)
		if len(rows) != 3 || !strings.Contains(strings.Join(rows[1], "|"), "浦编〔2026〕7号") {
			t.Errorf("exported moves = %v", rows)
		}
	})
}
