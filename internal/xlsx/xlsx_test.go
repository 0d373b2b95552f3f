package xlsx_test

import (
	"bytes"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"grassroots/internal/xlsx"
	"grassroots/internal/xlsx/xlsxtest"
)

var cst = time.FixedZone("CST", 8*3600)

func write(t *testing.T, title string, rows int) []byte {
	t.Helper()
	wb, err := xlsx.New()
	if err != nil {
		t.Fatal(err)
	}
	defer wb.Close()
	sh, err := wb.AddSheet("工单", title, []xlsx.Column{
		{Title: "编号"}, {Title: "标题"}, {Title: "件数", Kind: xlsx.Int}, {Title: "评分", Kind: xlsx.Float},
		{Title: "解决率", Kind: xlsx.Percent}, {Title: "日期", Kind: xlsx.Date}, {Title: "受理时间", Kind: xlsx.DateTime},
	})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 3, 14, 30, 0, 0, cst)
	half := 0.5
	for i := range rows {
		var ratio *float64
		if i%2 == 0 {
			ratio = &half
		}
		var due *time.Time
		if i%3 == 0 {
			due = &at
		}
		title := "路灯不亮"
		if i == 0 {
			title = "城关镇南门街路灯长期不亮影响夜间出行"
		}
		if err := sh.Add("350722-20261203-00001", title, i, 4.5, ratio, at.UTC(), due); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := wb.AddSheet("空表", "", []xlsx.Column{{Title: "单位"}}); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if _, err := wb.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestWorkbook(t *testing.T) {
	// Fewer rows than are held back to size the columns, and more (the
	// rest streams after the widths are set).
	for _, n := range []int{3, 1200} {
		for _, title := range []string{"", "南浦街道 2026-12-03 每日一收集、每日一反馈"} {
			book := xlsxtest.Read(t, write(t, title, n))
			sh := book.Sheet(t, "工单")
			wantHead := 1
			if title != "" {
				wantHead = 2
			}
			if sh.HeadRow != wantHead || len(sh.Rows) != n {
				t.Errorf("header row %d, %d rows; want %d, %d", sh.HeadRow, len(sh.Rows), wantHead, n)
			}
			day := sh.Column(t, "日期")[0]
			if !day.Date() || day.Format != xlsx.DateFormat || day.Value != "2026年12月3日" || day.Raw != "46359" {
				t.Errorf("date cell %+v", day)
			}
			at := sh.Column(t, "受理时间")[0]
			if !at.Date() || at.Value != "2026-12-03 14:30" {
				t.Errorf("time cell %+v (the time is written in Asia/Shanghai)", at)
			}
			if c := sh.Column(t, "受理时间")[1]; c.Raw != "" {
				t.Errorf("a nil time gives an empty cell, got %+v", c)
			}
			if c := sh.Column(t, "件数")[2]; !c.Number || c.Raw != "2" {
				t.Errorf("int cell %+v", c)
			}
			if c := sh.Column(t, "解决率"); !c[0].Number || c[0].Value != "50.0%" || c[1].Raw != "" {
				t.Errorf("percent cells %+v", c[:2])
			}
			// The long title sizes its column: 19 Chinese characters are 38
			// wide; a short column keeps the minimum; none exceeds the maximum.
			if w := sh.Widths[1]; w < 38 || w > 60 {
				t.Errorf("title column width %v", w)
			}
			if w := sh.Widths[2]; w < 6 || w > 10 {
				t.Errorf("count column width %v", w)
			}
			if w := sh.Widths[0]; w < 21 {
				t.Errorf("number column width %v", w)
			}
			if empty := book.Sheet(t, "空表"); len(empty.Rows) != 0 {
				t.Errorf("empty sheet rows %v", empty.Rows)
			}
		}
	}
}

func TestAddChecksValues(t *testing.T) {
	wb, err := xlsx.New()
	if err != nil {
		t.Fatal(err)
	}
	defer wb.Close()
	sh, err := wb.AddSheet("a", "", []xlsx.Column{{Title: "n", Kind: xlsx.Int}, {Title: "d", Kind: xlsx.Date}})
	if err != nil {
		t.Fatal(err)
	}
	if err := sh.Add("12", time.Now()); err == nil {
		t.Error("a string in a number column was written")
	}
	if err := sh.Add(1, "2026-12-03"); err == nil {
		t.Error("a string in a date column was written")
	}
	if err := sh.Add(1); err == nil {
		t.Error("a short row was written")
	}
}

func TestFileName(t *testing.T) {
	day := time.Date(2026, 12, 3, 1, 0, 0, 0, cst)
	tests := []struct {
		parts []string
		want  string
	}{
		{[]string{"工单", "南浦街道", "超期"}, "工单-南浦街道-超期-20261203.xlsx"},
		{[]string{"工单", "", "全部"}, "工单-全部-20261203.xlsx"},
		{[]string{"统计", "浦城县", xlsx.Period("2026-11-01", "2026-11-30")}, "统计-浦城县-20261101至20261130-20261203.xlsx"},
		{[]string{"清单/第1版:草稿"}, "清单_第1版_草稿-20261203.xlsx"},
	}
	for _, tt := range tests {
		if got := xlsx.FileName(day, tt.parts...); got != tt.want {
			t.Errorf("FileName(%q) = %q, want %q", tt.parts, got, tt.want)
		}
	}
	// The day is the county's: 23:30 UTC on 2 December is 3 December.
	if got := xlsx.FileName(time.Date(2026, 12, 2, 23, 30, 0, 0, time.UTC), "工单"); got != "工单-20261203.xlsx" {
		t.Errorf("day in UTC+8: %q", got)
	}
}

func TestServe(t *testing.T) {
	w := httptest.NewRecorder()
	xlsx.Serve(w, "工单-南浦街道-超期-20261203.xlsx", []byte("PK"))
	want := map[string]string{
		"Content-Type":        xlsx.ContentType,
		"Content-Disposition": `attachment; filename="20261203.xlsx"; filename*=UTF-8''%E5%B7%A5%E5%8D%95-%E5%8D%97%E6%B5%A6%E8%A1%97%E9%81%93-%E8%B6%85%E6%9C%9F-20261203.xlsx`,
		"Content-Length":      "2",
	}
	got := map[string]string{}
	for k := range want {
		got[k] = w.Header().Get(k)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("headers (-want +got):\n%s", diff)
	}
	if d := xlsx.ContentDisposition("report card 2026.xlsx"); d != `attachment; filename="report-card-2026.xlsx"; filename*=UTF-8''report%20card%202026.xlsx` {
		t.Errorf("ascii name: %s", d)
	}
}
