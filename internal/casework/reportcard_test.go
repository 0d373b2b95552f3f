package casework

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"grassroots/internal/access"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

func TestReportCardAndWhistleRate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newCoord(t, db)
		ctx := context.Background()
		street := fx.actor(10, "350722001000", access.RoleTownship)
		zj := fx.actor(20, "350722D002", access.RoleDepartment)
		cg := fx.actor(21, "350722D003", access.RoleDepartment)
		sup := fx.actor(50, "350722D000", access.RoleSupervisor)

		w := fx.create(street, NewCase{Flow: "whistle", Kind: WhistleStreet, Title: "燃气泄漏", Priority: PriorityUrgent, PlaceUnit: "350722001001",
			Summon: []string{"350722D002", "350722D003"}})
		p1, p2 := fx.part(w.No, "350722D002", 0), fx.part(w.No, "350722D003", 0)
		fx.now = fx.now.Add(20 * time.Minute)
		fx.do(zj, w.No, Action{Name: "report_in", AssignmentID: p1.ID})
		fx.do(cg, w.No, Action{Name: "refuse_summons", AssignmentID: p2.ID, Note: "非本部门职责"})
		fx.do(zj, w.No, Action{Name: "report_result", AssignmentID: p1.ID, Note: "已处置"})
		fx.do(street, w.No, Action{Name: "accept_result", AssignmentID: p1.ID, Rating: 4})

		call := fx.create(street, NewCase{Flow: "township_call", Title: "井盖", PlaceUnit: "350722001000", Dispatch: "350722D002"})
		fx.do(zj, call.No, Action{Name: "sign"})
		fx.do(zj, call.No, Action{Name: "answer", Note: "已补装"})
		fx.do(street, call.No, Action{Name: "rate", Resolved: ptrTrue(), Rating: 5})
		fx.create(street, NewCase{Flow: "whistle", Kind: WhistleStreet, Title: "第二次吹哨", PlaceUnit: "350722001001"})

		from, to := cst("2026-11-01 00:00"), cst("2026-12-01 00:00")
		cards, err := fx.s.ReportCard(ctx, sup, from, to)
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
		own, err := fx.s.ReportCard(ctx, cg, from, to)
		if err != nil || len(own) != 1 || own[0].UnitCode != "350722D003" {
			t.Errorf("a department's own card: %+v %v", own, err)
		}
		if _, err := fx.s.ReportCard(ctx, street, from, to); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("a township read the report card: %v", err)
		}

		rates, err := fx.s.WhistleRate(ctx, sup, cst("2026-10-01 00:00"), to)
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
		if _, err := fx.s.WhistleRate(ctx, zj, from, to); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("a department read the whistle rate: %v", err)
		}

		var buf bytes.Buffer
		if err := WriteReportCardXLSX(&buf, cards, &rates); err != nil {
			t.Fatal(err)
		}
		f, err := excelize.OpenReader(&buf)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := f.GetRows("部门考评")
		if err != nil || len(rows) != 3 || rows[1][1] != "县住房和城乡建设局" || rows[1][6] != "4.5" || rows[2][10] != "1" {
			t.Errorf("report card sheet %v %v", rows, err)
		}
		rrows, err := f.GetRows("吹哨率")
		if err != nil || len(rrows) != 3 || rrows[0][2] != "2026-10" {
			t.Errorf("whistle rate sheet %v %v", rrows, err)
		}
	})
}
