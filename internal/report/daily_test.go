package report

import (
	"bytes"
	"context"
	"errors"
	"grassroots/internal/casework/caserows"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"grassroots/internal/casework"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
	"grassroots/internal/xlsx/xlsxtest"
)

func TestDaily(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fx := newViewsFixture(t, db)
		cases, err := casework.NewService(db, casework.Deps{})
		if err != nil {
			t.Fatal(err)
		}
		s := New(db, cases)
		d := time.Date(2026, 11, 2, 0, 0, 0, 0, cst) // the day, Asia/Shanghai
		at := func(h, m int) time.Time { return d.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute) }

		c0 := fx.AddCase(caserows.Case{Title: "零点", Created: at(0, 0), Place: fx.CommunityA})
		c1 := fx.AddCase(caserows.Case{Title: "网格上报", Created: at(9, 1), Place: fx.CommunityA, Grid: fx.GridA})
		fx.AddEvent(c1, at(15, 0), "answer", 1, "已派人维修")
		c2 := fx.AddCase(caserows.Case{Title: "无人回复", Created: at(10, 0), Place: fx.CommunityA})
		fx.AddEvent(c2, at(11, 0), "sign", 0, "内部签收")
		c3 := fx.AddCase(caserows.Case{Title: "村里已答复", Created: at(11, 0), Place: fx.CommunityB, AnsweredAt: at(16, 0)})
		c4 := fx.AddCase(caserows.Case{Title: "只受理", Created: at(12, 0), Place: fx.CommunityA})
		fx.AddEvent(c4, at(12, 0), "receive", 1, "已受理")
		fx.AddEvent(c4, d.AddDate(0, 0, 1).Add(time.Hour), "answer", 1, "次日答复")
		c5 := fx.AddCase(caserows.Case{Title: "前一天的", Created: d.Add(-time.Hour), Place: fx.CommunityA})
		fx.AddEvent(c5, at(8, 0), "comment", 1, "正在处理")
		c6 := fx.AddCase(caserows.Case{Title: "深夜", Created: at(23, 59), Place: fx.CommunityA})
		fx.AddCase(caserows.Case{Title: "次日", Created: d.AddDate(0, 0, 1), Place: fx.CommunityA})
		c8 := fx.AddCase(caserows.Case{Title: "街道本级", Created: at(13, 0), Place: fx.TownA})
		_ = c0

		county := fx.Actor(fx.County, "county")
		r, err := s.Daily(ctx, county, fx.TownA.Code, "2026-11-02")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(DailyCounts{Collected: 6, FedBack: 1, NotFedBack: 5}, r.DailyCounts); diff != "" {
			t.Errorf("town A counts (-want +got):\n%s", diff)
		}
		type line struct {
			Code string
			Self bool
			DailyCounts
		}
		var lines []line
		for _, c := range r.Children {
			lines = append(lines, line{c.Unit.Code, c.Self, c.DailyCounts})
		}
		wantLines := []line{
			{fx.TownA.Code, true, DailyCounts{1, 0, 1}},
			{fx.CommunityA.Code, false, DailyCounts{5, 1, 4}},
		}
		if diff := cmp.Diff(wantLines, lines); diff != "" {
			t.Errorf("town A breakdown (-want +got):\n%s", diff)
		}
		var got []int64
		for _, c := range r.Cases {
			got = append(got, c.CaseID)
		}
		if diff := cmp.Diff([]int64{c6, c8, c4, c2, c1, c0}, got); diff != "" {
			t.Errorf("cases (-want +got):\n%s", diff)
		}
		if r.Cases[4].LastFeedback != "已派人维修" || !r.Cases[4].FedBack {
			t.Errorf("c1: %+v", r.Cases[4])
		}
		if n := len(r.NotHeardBack()); n != 5 {
			t.Errorf("not heard back: %d", n)
		}
		var fbCases []int64
		for _, f := range r.Feedback {
			fbCases = append(fbCases, f.CaseID)
		}
		if diff := cmp.Diff([]int64{c1, c5}, fbCases); diff != "" {
			t.Errorf("feedback (-want +got):\n%s", diff)
		}

		// A community's breakdown is per grid; a grid holds what was reported in it.
		r, err = s.Daily(ctx, county, fx.CommunityA.Code, "2026-11-02")
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Children) != 2 || !r.Children[0].Self || r.Children[0].Collected != 4 || r.Children[1].Unit.Code != fx.GridA.Code || r.Children[1].FedBack != 1 {
			t.Errorf("community A breakdown: %+v", r.Children)
		}
		r, err = s.Daily(ctx, fx.Actor(fx.GridA, "grid"), fx.GridA.Code, "2026-11-02")
		if err != nil {
			t.Fatal(err)
		}
		if r.Collected != 1 || r.FedBack != 1 || len(r.Children) != 0 {
			t.Errorf("grid: %+v", r)
		}
		r, err = s.Daily(ctx, county, fx.County.Code, "2026-11-02")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(DailyCounts{7, 2, 5}, r.DailyCounts); diff != "" {
			t.Errorf("county (-want +got):\n%s", diff)
		}
		if r.Children[1].Unit.Code != fx.TownB.Code || r.Children[1].FedBack != 1 {
			t.Errorf("county breakdown: %+v", r.Children)
		}
		_ = c3

		if _, err := s.Daily(ctx, fx.Actor(fx.TownB, "township"), fx.TownA.Code, "2026-11-02"); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("town B reading town A: %v", err)
		}
		if _, err := s.Daily(ctx, county, fx.TownA.Code, "2026/11/02"); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("bad day: %v", err)
		}

		// The Excel export.
		r, err = s.Daily(ctx, county, fx.TownA.Code, "2026-11-02")
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := s.WriteDailyXLSX(&buf, r); err != nil {
			t.Fatal(err)
		}
		// Every sheet: a title line, the frozen header with its filter, typed cells.
		book := xlsxtest.Read(t, buf.Bytes())
		for sheet, want := range map[string]int{"汇总": 3, "收集明细": 6, "当日反馈": 2} {
			if sh := book.Sheet(t, sheet); len(sh.Rows) != want || sh.HeadRow != 2 {
				t.Errorf("sheet %s: %d rows under header row %d, want %d under row 2", sheet, len(sh.Rows), sh.HeadRow, want)
			}
		}
		sum := book.Sheet(t, "汇总")
		total := sum.Rows[len(sum.Rows)-1]
		if total[0].Value != "合计" || !total[1].Number || total[1].Raw != "6" || total[2].Raw != "1" || total[3].Raw != "5" {
			t.Errorf("total line %+v", total)
		}
		detail := book.Sheet(t, "收集明细")
		if got := detail.Column(t, "流程")[0].Value; got != "12345工单" {
			t.Errorf("flow column shows %q, want the flow's name", got)
		}
		if got := detail.Column(t, "状态")[0].Value; got != "已派单" {
			t.Errorf("status column shows %q, want the status's name", got)
		}
		if c := detail.Column(t, "受理时间")[0]; !c.Date() || c.Value != "2026-11-02 23:59" {
			t.Errorf("intake time %+v, want a date cell", c)
		}
		fbs := book.Sheet(t, "当日反馈")
		if got := fbs.Column(t, "环节"); got[0].Value != "答复" || got[1].Value != "备注" {
			t.Errorf("action column %+v, want the actions' names", got)
		}

		// Stored summaries, idempotent.
		for range 2 {
			n, err := s.GenerateDailySummaries(ctx, "2026-11-02")
			if err != nil {
				t.Fatal(err)
			}
			if n != 6 {
				t.Errorf("wrote %d summaries, want 6", n)
			}
		}
		var rowsN int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM daily_summaries`).Scan(&rowsN); err != nil {
			t.Fatal(err)
		}
		if rowsN != 6 {
			t.Errorf("daily_summaries has %d rows, want 6", rowsN)
		}
		sums, err := s.DailySummaries(ctx, county, fx.County.Code, "2026-11-01", "2026-11-30")
		if err != nil {
			t.Fatal(err)
		}
		got2 := map[string]DailyCounts{}
		for _, x := range sums {
			got2[x.Unit.Code] = x.DailyCounts
		}
		want2 := map[string]DailyCounts{
			fx.County.Code: {7, 2, 5},
			fx.TownA.Code:  {6, 1, 5},
			fx.TownB.Code:  {1, 1, 0},
		}
		if diff := cmp.Diff(want2, got2); diff != "" {
			t.Errorf("county summaries (-want +got):\n%s", diff)
		}
		sums, err = s.DailySummaries(ctx, county, fx.CommunityA.Code, "2026-11-02", "2026-11-02")
		if err != nil {
			t.Fatal(err)
		}
		if len(sums) != 2 || sums[0].Unit.Code != fx.CommunityA.Code || len(sums[0].NotFedBackNos) != 4 ||
			sums[1].Unit.Code != fx.GridA.Code || sums[1].Collected != 1 || len(sums[1].NotFedBackNos) != 0 {
			t.Errorf("community A summaries: %+v", sums)
		}
	})
}
