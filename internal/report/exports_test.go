package report

import (
	"bytes"
	"context"
	"fmt"
	"grassroots/internal/casework/caserows"
	"testing"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/casework"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
	"grassroots/internal/xlsx/xlsxtest"
)

func TestInboxXLSX(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fx := newViewsFixture(t, db)
		cases, err := casework.NewService(db, casework.Deps{})
		if err != nil {
			t.Fatal(err)
		}
		s := New(db, cases)
		for i := range 7 {
			fx.AddCase(caserows.Case{Title: fmt.Sprintf("路灯%d", i), Place: fx.CommunityA, RequestType: "complaint",
				Lead: &caserows.Assign{Unit: fx.TownA, Status: "in_hand", Signed: fx.Base, HandleDue: fx.Base.Add(72 * time.Hour)}})
		}
		fx.AddCase(caserows.Case{Title: "别处", Place: fx.CommunityB})
		var buf bytes.Buffer
		if err := s.ExportInbox(ctx, fx.Actor(fx.TownA, "township"), casework.InboxFilter{Q: "路灯"}, &buf); err != nil {
			t.Fatal(err)
		}
		sh := xlsxtest.Read(t, buf.Bytes()).Sheet(t, "工单")
		if len(sh.Rows) != 7 {
			t.Fatalf("rows = %d, want 7", len(sh.Rows))
		}
		if sh.Rows[0][1].Value != "路灯6" || sh.Rows[6][1].Value != "路灯0" || sh.Column(t, "主办单位")[0].Value != "南浦街道" {
			t.Errorf("unexpected content: %+v / %+v", sh.Rows[0], sh.Rows[6])
		}
		for col, want := range map[string]string{"流程": "12345工单", "诉求类型": "投诉举报", "状态": "已派单", "承办状态": "办理中", "是否超期": "否"} {
			if got := sh.Column(t, col)[0].Value; got != want {
				t.Errorf("column %s shows %q, want %q", col, got, want)
			}
		}
		for _, col := range []string{"受理时间", "签收时间", "办理时限"} {
			if c := sh.Column(t, col)[0]; !c.Date() {
				t.Errorf("column %s: %+v is not a date cell", col, c)
			}
		}
		if c := sh.Column(t, "办理时限")[0]; c.Value != "2026-11-05 09:00" {
			t.Errorf("handling deadline %q, want 2026-11-05 09:00 (Asia/Shanghai)", c.Value)
		}
	})
}

func TestCoordXLSX(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newEngine(t, db)
		ctx := context.Background()
		street := fx.actor(10, "350722001000", access.RoleTownship)
		fx.create(street, casework.NewCase{Flow: "whistle", Kind: casework.WhistleStreet, Title: "燃气泄漏", Priority: casework.PriorityUrgent,
			PlaceUnit: "350722001001", Summon: []string{"350722D002", "350722D003"}})
		page, err := fx.cases.CoordList(ctx, street, casework.CoordFilter{Flow: "whistle"})
		if err != nil || len(page.Rows) != 1 {
			t.Fatalf("list %+v %v", page.Rows, err)
		}
		var buf bytes.Buffer
		if err := fx.r.WriteCoordXLSX(&buf, "", page.Rows); err != nil {
			t.Fatal(err)
		}
		sh := xlsxtest.Read(t, buf.Bytes()).Sheet(t, "吹哨报到")
		row := sh.Rows[0]
		if row[2].Value == "" || row[2].Value == casework.WhistleStreet || row[4].Value != "紧急" {
			t.Errorf("kind %q and priority %q, want their names", row[2].Value, row[4].Value)
		}
		if c := sh.Column(t, "参与方数")[0]; !c.Number || c.Raw != "2" {
			t.Errorf("parties %+v", c)
		}
		if c := sh.Column(t, "发起时间")[0]; !c.Date() || c.Value != "2026-11-26 09:00" {
			t.Errorf("created %+v", c)
		}
		// A list read page by page is exported whole: three pages of two.
		pages := [][]casework.CoordRow{}
		for i := range 3 {
			var p []casework.CoordRow
			for j := range 2 {
				r := page.Rows[0]
				r.No = fmt.Sprintf("350722-20261126-%05d", i*2+j)
				p = append(p, r)
			}
			pages = append(pages, p)
		}
		buf.Reset()
		if err := fx.r.WriteCoordPagesXLSX(&buf, "吹哨报到", func() ([]casework.CoordRow, error) {
			if len(pages) == 0 {
				return nil, nil
			}
			p := pages[0]
			pages = pages[1:]
			return p, nil
		}); err != nil {
			t.Fatal(err)
		}
		nos := xlsxtest.Read(t, buf.Bytes()).Sheet(t, "吹哨报到").Column(t, "编号")
		if len(nos) != 6 || nos[5].Value != "350722-20261126-00005" {
			t.Errorf("paged export: %d rows %+v", len(nos), nos)
		}
	})
}

func BenchmarkWriteInboxXLSX(b *testing.B) {
	rows := make([]casework.InboxRow, 50000)
	for i := range rows {
		rows[i] = casework.InboxRow{No: fmt.Sprintf("350722-20261126-%05d", i), Title: "路灯不亮，晚上出行不便", Flow: "hotline",
			Status: "in_hand", CategoryName: "路灯", PlaceName: "城中社区", LeadUnitName: "南浦街道",
			CreatedAt: time.Now(), HandleDueAt: time.Now()}
	}
	s := New(nil, nil)
	for b.Loop() {
		var buf bytes.Buffer
		if err := s.WriteInboxXLSX(&buf, rows); err != nil {
			b.Fatal(err)
		}
	}
}
