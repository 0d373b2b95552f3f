package catalog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
	"grassroots/internal/xlsx/xlsxtest"
)

// sheet builds a spreadsheet from rows (the first is the header).
func sheet(t testing.TB, rows [][]string) *bytes.Buffer {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range rows {
		vals := make([]any, len(r))
		for j, v := range r {
			vals[j] = v
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &vals); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	if _, err := f.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return &b
}

func TestImportReportsEveryBadRowAndWritesNothing(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		hdr := Headers(PowerList)
		good := []string{"城区街道", "对堆放物料影响市容的处罚", "行政处罚", "CF00202000", "综合执法队", "《城市市容和环境卫生管理条例》第三十六条", "立案、调查", "不履行职责的", ""}
		rows := [][]string{hdr, good,
			{"城区街道", "某许可", "行政许可", "XK0012", "便民服务中心", "", "受理", "", ""},                                 // 3: bad code
			{"县城", "某许可", "行政许可", "XK00123000", "便民服务中心", "", "受理", "", ""},                               // 4: bad township type
			{"城区街道", "某处罚", "行政许可", "CF00301000", "综合执法队", "", "立案", "", ""},                              // 5: type does not match code
			{"城区街道", "", "行政处罚", "CF00302000", "综合执法队", "", "立案", "", ""},                                 // 6: no name
			{"城区街道", "对堆放物料影响市容的处罚", "行政处罚", "CF00202000", "综合执法队", "《城市市容和环境卫生管理条例》第三十六条", "立案", "", ""}, // 7: duplicate of row 2
			{"中心镇", "对堆放物料的处罚（另名）", "行政处罚", "CF00202000", "综合执法队", "", "立案", "", ""},                      // 8: same code, other name
			{"中心镇", "某检查", "行政检查", "JC00601000", "", "", "检查", "", ""},                                    // 9: no subject
			{},
			{"一般乡镇", "临时救助", "行政给付", "JF00503000", "社会事务办公室", "《社会救助暂行办法》第四十七条", "受理、审核", "", ""}, // 11: good
		}
		parsed, err := ParseFile(context.Background(), PowerList, sheet(t, rows))
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.s.Import(ctx, f.admin, PowerList, parsed, ImportOptions{})
		var ie *ImportError
		if !errors.As(err, &ie) || !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("Import = %v, want an ImportError", err)
		}
		var lines []int
		for _, e := range ie.Errors {
			lines = append(lines, e.Row)
		}
		if d := cmp.Diff([]int{3, 4, 5, 6, 7, 8, 9}, lines); d != "" {
			t.Errorf("bad rows (-want +got):\n%s\n%v", d, ie.Errors)
		}
		for _, e := range ie.Errors {
			if e.Message == "" {
				t.Errorf("row %d has no reason", e.Row)
			}
		}
		t.Logf("errors: %v", ie.Errors)
		// Nothing written: no matters, no items, no versions.
		var n int
		for _, table := range []string{"matters", "list_items", "list_versions"} {
			if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil || n != 0 {
				t.Errorf("%s has %d rows after a refused import (%v)", table, n, err)
			}
		}
		// The good rows alone import.
		parsed, _ = ParseFile(context.Background(), PowerList, sheet(t, [][]string{hdr, good, rows[10]}))
		res, err := f.s.Import(ctx, f.admin, PowerList, parsed, ImportOptions{Reason: "首次导入"})
		if err != nil {
			t.Fatal(err)
		}
		if res.Added != 2 || res.MattersCreated != 2 || res.Version != 1 {
			t.Errorf("result %+v", res)
		}
		// A file with a wrong header is refused as a whole.
		if _, err := ParseFile(context.Background(), PowerList, sheet(t, [][]string{{"名称", "编码"}, {"x", "y"}})); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("wrong header: %v", err)
		}
		if _, err := ParseFile(context.Background(), PowerList, bytes.NewBufferString("not a spreadsheet")); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("not xlsx: %v", err)
		}
	})
}

func TestExportImportRoundTrip(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		if _, err := db.Exec(ctx, `INSERT INTO categories (code, name, kind, created_at) VALUES ('06010', '暴露垃圾', '管理事项', 0)`); err != nil {
			t.Fatal(err)
		}
		// Every list with content (internal/demo's tests round-trip the
		// demo lists too).
		if err := f.s.LoadGenerated(ctx, generator, generatedLists()); err != nil {
			t.Fatal(err)
		}
		for _, list := range Lists {
			t.Run(string(list), func(t *testing.T) {
				before, err := f.s.Items(ctx, f.admin, list, Filter{})
				if err != nil || len(before) == 0 {
					t.Fatalf("demo %s list: %d items, %v", list, len(before), err)
				}
				file := bytesOf(t, f, list)
				// The export is a clerk's table: frozen header, filter, typed
				// cells (the explanation sheet is free text).
				sh := xlsxtest.Read(t, file, "填写说明").Sheet(t, sheetName)
				if len(sh.Rows) != len(before) {
					t.Errorf("export has %d rows, want %d", len(sh.Rows), len(before))
				}
				if list == EmpowermentList {
					if c := sh.Column(t, "生效日期")[0]; !c.Date() {
						t.Errorf("effective date %+v is not a date cell", c)
					}
				}
				// Import into a fresh database: everything comes back.
				db2 := storetest.SQLite(t)
				f2 := newFixture(t, db2)
				rows, err := ParseFile(context.Background(), list, bytes.NewReader(file))
				if err != nil {
					t.Fatal(err)
				}
				if _, err := f2.s.Import(ctx, f2.admin, list, rows, ImportOptions{}); err != nil {
					t.Fatal(err)
				}
				after, err := f2.s.Items(ctx, f2.admin, list, Filter{})
				if err != nil {
					t.Fatal(err)
				}
				if d := cmp.Diff(comparable(before), comparable(after)); d != "" {
					t.Errorf("round trip (-before +after):\n%s", d)
				}
				// Re-importing the export into the same database changes nothing.
				res, err := f.s.Import(ctx, f.admin, list, rows, ImportOptions{Replace: true})
				if err != nil || res.Added+res.Changed+res.Removed+res.MattersCreated+res.MattersUpdated != 0 {
					t.Errorf("re-import: %+v %v", res, err)
				}
			})
		}
	})
}

// comparable strips what differs between databases (ids, versions, demo).
func comparable(items []Item) []string {
	var out []string
	for _, it := range items {
		b := ""
		if it.Batch != nil {
			b = it.Batch.BatchNo + "|" + it.Batch.DocNo + "|" + it.Batch.EffectiveAt.Format(time.RFC3339)
		}
		out = append(out, fmt.Sprintf("%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%v|%s|%s",
			it.TownshipType, it.UnitCode, it.Matter.Code, it.Matter.Name, it.Matter.Type, it.Matter.Basis(), b,
			it.Subject, it.Duties, it.Accountability, it.Note, it.SupportUnits, it.SupportDuties, it.List))
	}
	return out
}

func TestTemplateHasHeaders(t *testing.T) {
	t.Parallel()
	for _, list := range Lists {
		var b bytes.Buffer
		if err := Template(list, &b); err != nil {
			t.Fatal(err)
		}
		if sh := xlsxtest.Read(t, b.Bytes(), "填写说明").Sheet(t, sheetName); len(sh.Titles) != len(Headers(list)) {
			t.Errorf("%s template headers %q", list, sh.Titles)
		}
		rows, err := ParseFile(context.Background(), list, &b)
		if err != nil || len(rows) != 0 {
			t.Errorf("%s template: %d rows, %v", list, len(rows), err)
		}
	}
}

// TestImportTenThousandRows measures a 10,000-row import (checked whole,
// written in one transaction) on each engine.
func TestImportTenThousandRows(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("large import skipped in -short mode")
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		const n = 10000
		rows := make([]ImportRow, n)
		for i := range rows {
			code := fmt.Sprintf("CF%05d000", i+1)
			rows[i] = ImportRow{Row: i + 2, TypeName: "行政处罚", Input: ItemInput{
				TownshipType: TownshipTypes[i%3], MatterCode: code, Subject: "综合执法队", Duties: "立案、调查、审查、告知、决定、送达、执行",
				Accountability: "不履行或不正确履行职责的", Matter: &MatterInput{Name: fmt.Sprintf("对第%d类违法行为的处罚", i+1), BasisLaw: "某条例", BasisArticle: "第十条"}}}
		}
		var last int
		start := time.Now()
		res, err := f.s.Import(ctx, f.admin, PowerList, rows, ImportOptions{Progress: func(phase string, done, total int) {
			if phase == "writing" {
				last = done
			}
		}})
		took := time.Since(start)
		if err != nil {
			t.Fatal(err)
		}
		if res.Added != n || res.MattersCreated != n || last != n {
			t.Errorf("result %+v, progress reached %d", res, last)
		}
		t.Logf("%s: imported %d rows in %s", db.Dialect, n, took)
		if took > 20*time.Second {
			t.Errorf("10,000 rows took %s", took)
		}
		// A second import of the same rows with one change writes one item.
		rows[5].Input.Duties = "改"
		start = time.Now()
		res, err = f.s.Import(ctx, f.admin, PowerList, rows, ImportOptions{})
		if err != nil || res.Changed != 1 || res.Added != 0 {
			t.Errorf("re-import: %+v %v", res, err)
		}
		t.Logf("%s: re-checked %d rows in %s", db.Dialect, n, time.Since(start))
	})
}
