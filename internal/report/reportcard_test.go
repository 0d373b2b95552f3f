package report

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"grassroots/internal/access"
	"grassroots/internal/casework"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
	"grassroots/internal/xlsx/xlsxtest"
)

func TestReportCardAndWhistleRate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newEngine(t, db)
		ctx := context.Background()
		street := fx.actor(10, "350722001000", access.RoleTownship)
		zj := fx.actor(20, "350722D002", access.RoleDepartment)
		cg := fx.actor(21, "350722D003", access.RoleDepartment)
		sup := fx.actor(50, "350722D000", access.RoleSupervisor)

		w := fx.create(street, casework.NewCase{Flow: "whistle", Kind: casework.WhistleStreet, Title: "燃气泄漏", Priority: casework.PriorityUrgent, PlaceUnit: "350722001001",
			Summon: []string{"350722D002", "350722D003"}})
		p1, p2 := fx.part(w.No, "350722D002"), fx.part(w.No, "350722D003")
		fx.Now = fx.Now.Add(20 * time.Minute)
		fx.do(zj, w.No, casework.Action{Name: "report_in", AssignmentID: p1.ID})
		fx.do(cg, w.No, casework.Action{Name: "refuse_summons", AssignmentID: p2.ID, Note: "非本部门职责"})
		fx.do(zj, w.No, casework.Action{Name: "report_result", AssignmentID: p1.ID, Note: "已处置"})
		fx.do(street, w.No, casework.Action{Name: "accept_result", AssignmentID: p1.ID, Rating: 4})

		call := fx.create(street, casework.NewCase{Flow: "township_call", Title: "井盖", PlaceUnit: "350722001000", Dispatch: "350722D002"})
		fx.do(zj, call.No, casework.Action{Name: "sign"})
		fx.do(zj, call.No, casework.Action{Name: "answer", Note: "已补装"})
		fx.do(street, call.No, casework.Action{Name: "rate", Resolved: ptrTrue(), Rating: 5})
		fx.create(street, casework.NewCase{Flow: "whistle", Kind: casework.WhistleStreet, Title: "第二次吹哨", PlaceUnit: "350722001001"})

		from, to := at("2026-11-01 00:00"), at("2026-12-01 00:00")
		cards, err := fx.r.ReportCard(ctx, sup, from, to)
		if err != nil {
			t.Fatal(err)
		}
		want := []DeptCard{
			{UnitCode: "350722D002", UnitName: "县住房和城乡建设局", Whistles: 1, Calls: 1, Rated: 2, AvgRating: 4.5, ReportIns: 1, ReportInMedian: 20, ReportInAvg: 20},
			{UnitCode: "350722D003", UnitName: "县城市管理和综合执法局", Whistles: 1, Refusals: 1},
		}
		if diff := cmp.Diff(want, cards); diff != "" {
			t.Errorf("report card (-want +got):\n%s", diff)
		}
		own, err := fx.r.ReportCard(ctx, cg, from, to)
		if err != nil || len(own) != 1 || own[0].UnitCode != "350722D003" {
			t.Errorf("a department's own card: %+v %v", own, err)
		}
		if _, err := fx.r.ReportCard(ctx, street, from, to); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("a township read the report card: %v", err)
		}

		rates, err := fx.r.WhistleRate(ctx, sup, at("2026-10-01 00:00"), to)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"2026-10", "2026-11"}, rates.Months); diff != "" {
			t.Errorf("months: %s", diff)
		}
		byCode := map[string]WhistleRateRow{}
		for _, r := range rates.Rows {
			byCode[r.UnitCode] = r
		}
		if r := byCode["350722001000"]; r.Total != 2 || r.ByMonth[1] != 2 || r.PerMonth != 1 || r.Flag != "" {
			t.Errorf("南浦街道 %+v", r)
		}
		if r := byCode["350722101000"]; r.Total != 0 || r.Flag != "low" {
			t.Errorf("富岭镇 %+v", r)
		}
		if rates.Average != 0.5 {
			t.Errorf("county average %v", rates.Average)
		}
		if _, err := fx.r.WhistleRate(ctx, zj, from, to); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("a department read the whistle rate: %v", err)
		}

		var buf bytes.Buffer
		if err := WriteReportCardXLSX(&buf, cards, &rates); err != nil {
			t.Fatal(err)
		}
		book := xlsxtest.Read(t, buf.Bytes())
		card := book.Sheet(t, "部门考评")
		if len(card.Rows) != 2 || card.Rows[0][1].Value != "县住房和城乡建设局" {
			t.Fatalf("report card sheet %+v", card.Rows)
		}
		if c := card.Column(t, "平均评分")[0]; !c.Number || c.Raw != "4.5" {
			t.Errorf("average rating %+v, want the number 4.5", c)
		}
		if c := card.Column(t, "拒绝报到")[1]; !c.Number || c.Raw != "1" {
			t.Errorf("refusals %+v", c)
		}
		rate := book.Sheet(t, "吹哨率")
		if len(rate.Rows) != 2 || rate.Titles[2] != "2026年10月" {
			t.Errorf("whistle rate sheet %q %+v", rate.Titles, rate.Rows)
		}
		if c := rate.Column(t, "提示"); c[1].Value != "偏少" {
			t.Errorf("flag column %+v, want 偏少 not low", c)
		}

		// An average of nothing is "—" in the workbook, as on the page,
		// not 0.
		buf.Reset()
		if err := WriteReportCardXLSX(&buf, []DeptCard{{UnitCode: "350722D009", UnitName: "县水利局", Whistles: 1}}, nil); err != nil {
			t.Fatal(err)
		}
		empty := xlsxtest.Read(t, buf.Bytes()).Sheet(t, "部门考评")
		for _, col := range []string{"平均评分", "报到用时中位数（分钟）", "报到平均用时（分钟）"} {
			if c := empty.Column(t, col)[0]; c.Number || c.Value != "—" {
				t.Errorf("%s of nothing: %+v, want —", col, c)
			}
		}
	})
}

// TestReportCardReadsTheFlowsFigures registers a flow the report code has
// never heard of: its parts count towards the figures it declares.
func TestReportCardReadsTheFlowsFigures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newEngine(t, db)
		ctx := context.Background()
		toy := casework.TownshipCallFlow()
		toy.Name, toy.Label = "toy_call", "case.flow.township_call"
		toy.Nav = casework.NavEntry{ID: "toy_calls", Key: "nav.township_calls", Href: "/toy-calls"}
		toy.Card = []casework.CardFigure{casework.CardTransfers}
		if err := fx.cases.Register(toy); err != nil {
			t.Fatal(err)
		}
		street := fx.actor(10, "350722001000", access.RoleTownship)
		sup := fx.actor(50, "350722D000", access.RoleSupervisor)
		fx.create(street, casework.NewCase{Flow: "toy_call", Title: "井盖", PlaceUnit: "350722001000", Dispatch: "350722D002"})
		cards, err := fx.r.ReportCard(ctx, sup, at("2026-11-01 00:00"), at("2026-12-01 00:00"))
		if err != nil {
			t.Fatal(err)
		}
		want := []DeptCard{{UnitCode: "350722D002", UnitName: "县住房和城乡建设局", Transfer: 1}}
		if diff := cmp.Diff(want, cards); diff != "" {
			t.Errorf("report card (-want +got):\n%s", diff)
		}
	})
}
