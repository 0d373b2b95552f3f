package pairing_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"grassroots/internal/access"
	"grassroots/internal/pairing"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

var workHeaders = map[string][]any{
	pairing.SheetVisits:   {"结对单位代码", "结对单位", "村(社区)代码", "村(社区)", "结对开始日期", "调研日期", "调研人员", "调研发现", "照片"},
	pairing.SheetProjects: {"结对单位代码", "结对单位", "村(社区)代码", "村(社区)", "结对开始日期", "项目名称", "项目类型", "合作主体类型", "合作主体", "责任干部", "项目阶段", "阶段日期", "来源调研日期"},
	pairing.SheetFunds:    {"结对单位代码", "结对单位", "村(社区)代码", "村(社区)", "结对开始日期", "项目名称", "资金来源", "金额(元)", "状态", "争取日期", "到位日期", "使用日期"},
}

// workFile writes a workbook with the given work sheets (header added).
func workFile(t *testing.T, sheets map[string][][]any) *bytes.Buffer {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for _, name := range []string{pairing.SheetVisits, pairing.SheetProjects, pairing.SheetFunds} {
		rows, ok := sheets[name]
		if !ok {
			continue
		}
		if _, err := f.NewSheet(name); err != nil {
			t.Fatal(err)
		}
		for i, r := range append([][]any{workHeaders[name]}, rows...) {
			cell, _ := excelize.CoordinatesToCellName(1, i+1)
			if err := f.SetSheetRow(name, cell, &r); err != nil {
				t.Fatal(err)
			}
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return &b
}

var key = []any{"350722D002", "住建局", "350722101200", "某村", "2025-01-01"}

func row(vals ...any) []any { return append(slices.Clone(key), vals...) }

func goodWork() map[string][][]any {
	return map[string][][]any{
		pairing.SheetVisits: {row("2026-03-02", "书记、驻村干部", "村里茶园荒废三百亩\n缺少加工厂房", "")},
		pairing.SheetProjects: {row("茶叶初制所", "加工", "合作社", "某村茶叶专业合作社", "", "实施", "2026-04-01", "2026-03-02"),
			row("光伏屋顶", "光伏", "", "", "住建局党支部书记", "", "")},
		pairing.SheetFunds: {row("茶叶初制所", "省级乡村振兴资金", "300,000", "到位", "2026-04-01", "2026-05-10", ""),
			row("茶叶初制所", "县级配套", "50000", "使用", "2026-04-01", "2026-05-10", "2026-06-01"),
			row("光伏屋顶", "市级资金", "20000", "", "2026-07-01", "", "")},
	}
}

// TestImportWorkAllOrNothing: a pairing organ records its visits, projects
// and fund lines from one workbook; a file with one bad row — even after
// good ones, on the last sheet — records nothing and names the row with
// its sheet.
func TestImportWorkAllOrNothing(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		fx := newFixture(t, db)
		pid := fx.pair(t)
		organ := fx.organ()
		bad := goodWork()
		bad[pairing.SheetFunds] = append(bad[pairing.SheetFunds], row("无此项目", "县级配套", "1", "", "2026-04-01", "", ""))
		bad[pairing.SheetVisits] = append(bad[pairing.SheetVisits], row("2026-12-01", "书记", "明天的发现", ""))
		_, err := fx.s.ImportWork(ctx, organ, workFile(t, bad))
		var ie *pairing.ImportError
		if !errors.As(err, &ie) || len(ie.Rows) != 2 {
			t.Fatalf("import with bad rows: %v", err)
		}
		if r := ie.Rows[0]; r.Sheet != pairing.SheetVisits || r.Row != 3 || !strings.Contains(r.Reason, "不能晚于今天") {
			t.Errorf("first refused row = %+v", r)
		}
		if r := ie.Rows[1]; r.Sheet != pairing.SheetFunds || r.Row != 5 || !strings.Contains(r.Reason, "无此项目") {
			t.Errorf("second refused row = %+v", r)
		}
		if c, _ := fx.s.Chain(ctx, organ, pid); c.Visits != 0 || c.Projects != 0 || c.Sought != 0 {
			t.Fatalf("a refused file recorded %+v", c.Row)
		}
		n, err := fx.s.ImportWork(ctx, organ, workFile(t, goodWork()))
		if err != nil || n != (pairing.WorkCount{Visits: 1, Projects: 2, Funds: 3}) {
			t.Fatalf("import = %+v, %v", n, err)
		}
		c, err := fx.s.Chain(ctx, organ, pid)
		if err != nil {
			t.Fatal(err)
		}
		if c.Visits != 1 || c.Projects != 2 || c.Sought != 370000 || c.InPlace != 350000 || c.Used != 50000 {
			t.Errorf("chain after import = %+v", c.Row)
		}
		if p := c.ProjectList[0]; p.Stage != pairing.StageStarted || p.PartnerKind != "cooperative" || p.Cadre != "住建局党支部书记" ||
			p.VisitID != c.VisitList[0].ID || c.ProjectList[1].VisitID != 0 {
			t.Errorf("project = %+v", p)
		}
		// Another organ may not write this pairing: the file is refused whole.
		other := fx.Actor(43, "350722D003", access.RoleDepartment)
		if _, err := fx.s.ImportWork(ctx, other, workFile(t, goodWork())); !errors.As(err, &ie) || len(ie.Rows) != 6 {
			t.Errorf("another organ's import: %v", err)
		}
		if _, err := fx.s.ImportWork(ctx, fx.Actor(50, "350722101000", access.RoleTownship), workFile(t, goodWork())); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("township import: %v", err)
		}
	})
}

func workSheets(t *testing.T, b []byte) map[string][][]string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][][]string{}
	for _, name := range []string{pairing.SheetVisits, pairing.SheetProjects, pairing.SheetFunds} {
		rows, err := f.GetRows(name)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = rows
	}
	return out
}

// TestWorkRoundTrip: what the export writes of visits, projects and funds
// reads back as an import that records the same.
func TestWorkRoundTrip(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		fx := newFixture(t, db)
		fx.pair(t)
		organ := fx.organ()
		if _, err := fx.s.ImportWork(ctx, organ, workFile(t, goodWork())); err != nil {
			t.Fatal(err)
		}
		var first bytes.Buffer
		if err := fx.s.Export(ctx, fx.orgDept(), &first); err != nil {
			t.Fatal(err)
		}
		before := workSheets(t, first.Bytes())
		if len(before[pairing.SheetFunds]) != 4 {
			t.Fatalf("exported funds = %v", before[pairing.SheetFunds])
		}
		for _, table := range []string{"pairing_funds", "pairing_project_stages", "pairing_projects", "pairing_visits"} {
			if _, err := db.Exec(ctx, `DELETE FROM `+table); err != nil {
				t.Fatal(err)
			}
		}
		n, err := fx.s.ImportWork(ctx, organ, bytes.NewReader(first.Bytes()))
		if err != nil || n != (pairing.WorkCount{Visits: 1, Projects: 2, Funds: 3}) {
			t.Fatalf("import of the export = %+v, %v", n, err)
		}
		var second bytes.Buffer
		if err := fx.s.Export(ctx, fx.orgDept(), &second); err != nil {
			t.Fatal(err)
		}
		after := workSheets(t, second.Bytes())
		for name, rows := range before {
			if !slices.EqualFunc(rows, after[name], slices.Equal) {
				t.Errorf("%s: exported %v, after the round trip %v", name, rows, after[name])
			}
		}
	})
}
