package casework

import (
	"context"
	"errors"
	"slices"
	"testing"

	"grassroots/internal/access"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

func TestTownshipCall(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newCoord(t, db)
		ctx := context.Background()
		admin := fx.actor(1, "350722000000", access.RoleAdmin)
		if err := fx.cat.SetCategoryDepartment(ctx, admin, "B01001", "350722D002"); err != nil {
			t.Fatal(err)
		}
		street := fx.actor(10, "350722001000", access.RoleTownship)
		other := fx.actor(11, "350722101000", access.RoleTownship)
		zj := fx.actor(20, "350722D002", access.RoleDepartment)
		cg := fx.actor(21, "350722D003", access.RoleDepartment)
		sup := fx.actor(50, "350722D000", access.RoleSupervisor)

		p, err := fx.s.Propose(ctx, "B01001")
		if err != nil || p.Lead.Code != "350722D002" || p.Source != "category" {
			t.Fatalf("proposal %+v %v", p, err)
		}
		fx.createErr(fx.actor(30, "350722001001", access.RoleCommunity), NewCase{Flow: "township_call", Title: "x", PlaceUnit: "350722001000"}, store.ErrForbidden)

		// Raised with the proposal taken: dispatched at once, sign within 1 working day.
		c := fx.create(street, NewCase{Flow: "township_call", Category: "B01001", Title: "主干道窨井盖缺失多处", Body: "镇里无执法权限，请住建局处置", PlaceUnit: "350722001000"})
		lead := fx.lead(c.No)
		if c.Status != "dispatched" || lead.UnitCode != "350722D002" {
			t.Fatalf("call %s to %s", c.Status, lead.UnitCode)
		}
		if lead.SignDueAt == nil || !lead.SignDueAt.Equal(cst("2026-11-27 09:00")) {
			t.Errorf("sign due %v", lead.SignDueAt)
		}
		// A township cannot see another township's calls.
		if _, err := fx.s.Get(ctx, other, c.No); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("another township read the call: %v", err)
		}
		page, err := fx.s.CoordList(ctx, other, CoordFilter{Flow: "township_call"})
		if err != nil || len(page.Rows) != 0 {
			t.Errorf("another township lists %d calls (%v)", len(page.Rows), err)
		}
		for _, a := range []access.Actor{street, zj, sup} {
			page, err := fx.s.CoordList(ctx, a, CoordFilter{Flow: "township_call", Status: "open"})
			if err != nil || len(page.Rows) != 1 || page.Rows[0].LeadUnit != "县住房和城乡建设局" {
				t.Errorf("%s lists %+v (%v)", a.UnitCode, page.Rows, err)
			}
		}
		// Only the department signs and answers; only the township rates.
		fx.refused(cg, c.No, Action{Name: "sign"}, store.ErrNotFound)
		fx.refused(street, c.No, Action{Name: "sign", AssignmentID: lead.ID}, store.ErrForbidden)
		fx.refused(zj, c.No, Action{Name: "answer", Note: "x"}, store.ErrConflict)
		fx.refused(zj, c.No, Action{Name: "reassign", AssignmentID: lead.ID, UnitCode: "350722D003", Note: "x"}, store.ErrForbidden)
		fx.do(zj, c.No, Action{Name: "sign"})
		if lead = fx.lead(c.No); lead.HandleDueAt == nil || !lead.HandleDueAt.Equal(cst("2026-12-03 09:00")) {
			t.Errorf("answer due %v", lead.HandleDueAt)
		}
		fx.do(zj, c.No, Action{Name: "answer", Note: "已安排补装井盖12个"})
		fx.refused(zj, c.No, Action{Name: "rate", Resolved: ptrTrue(), Rating: 5}, store.ErrForbidden)
		fx.refused(street, c.No, Action{Name: "rate", Resolved: ptrTrue()}, store.ErrInvalid)
		fx.refused(street, c.No, Action{Name: "rate", Resolved: ptrFalse(), Rating: 2}, store.ErrInvalid)
		if c = fx.do(street, c.No, Action{Name: "rate", Resolved: ptrFalse(), Rating: 2, Note: "仍缺3个"}); c.Status != "in_hand" {
			t.Errorf("unresolved rating leaves %s", c.Status)
		}
		fx.do(zj, c.No, Action{Name: "answer", Note: "已全部补装"})
		if c = fx.do(street, c.No, Action{Name: "rate", Resolved: ptrTrue(), Rating: 5}); c.Status != "closed" {
			t.Errorf("rated call %s", c.Status)
		}
		if lead = fx.lead(c.No); lead.Rating == nil || *lead.Rating != 5 {
			t.Errorf("rating %v", lead.Rating)
		}

		// A department returns a call that is not its matter; the township sends it elsewhere.
		c2 := fx.create(street, NewCase{Flow: "township_call", Title: "违建拆除需县级支持", PlaceUnit: "350722001000", Dispatch: "350722D002", Supporting: []string{"350722D003"}})
		d := fx.detail(c2.No)
		if len(d.Assignments) != 2 || d.Assignments[1].Role != RoleSupporting {
			t.Fatalf("parts %+v", d.Assignments)
		}
		fx.do(zj, c2.No, Action{Name: "return", Note: "属城管局职责"})
		fx.refused(street, c2.No, Action{Name: "dispatch", UnitCode: "350722001001"}, store.ErrInvalid)
		fx.refused(street, c2.No, Action{Name: "dispatch", UnitCode: "350722D003"}, store.ErrConflict) // it supports already
		if c2 = fx.do(street, c2.No, Action{Name: "dispatch", UnitCode: "350722D000"}); c2.Status != "dispatched" {
			t.Errorf("re-sent call %s", c2.Status)
		}
		if c2 = fx.do(street, c2.No, Action{Name: "withdraw", Note: "已自行协调解决"}); c2.Status != "withdrawn" || !c2.Closed() {
			t.Errorf("withdrawn call %s", c2.Status)
		}
	})
}

func TestTownshipCallEscalationAndReassign(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newCoord(t, db)
		ctx := context.Background()
		street := fx.actor(10, "350722001000", access.RoleTownship)
		cg := fx.actor(21, "350722D003", access.RoleDepartment)
		sup := fx.actor(50, "350722D000", access.RoleSupervisor)
		if _, err := db.Exec(ctx, `INSERT INTO settings (key, value, updated_at) VALUES ('casework.limit.sign.township_call', '2wh', 0)`); err != nil {
			t.Fatal(err)
		}
		c := fx.create(street, NewCase{Flow: "township_call", Title: "山体滑坡隐患", PlaceUnit: "350722001000", Dispatch: "350722D002"})
		lead := fx.lead(c.No)
		if !lead.SignDueAt.Equal(cst("2026-11-26 11:00")) {
			t.Errorf("configured sign limit: due %v", lead.SignDueAt)
		}
		fx.now = cst("2026-11-26 11:30")
		for range 2 {
			if _, err := fx.sweeper.SweepOnce(ctx, fx.now); err != nil {
				t.Fatal(err)
			}
		}
		if n := fx.count(`SELECT COUNT(*) FROM case_events e JOIN units u ON u.id = e.actor_unit_id WHERE e.case_id = ? AND e.action = 'escalate' AND u.code = '350722D000'`, c.ID); n != 1 {
			t.Fatalf("%d escalations to the supervision office", n)
		}
		page, err := fx.s.CoordList(ctx, sup, CoordFilter{Flow: "township_call", Status: "open"})
		if err != nil || len(page.Rows) != 1 || !page.Rows[0].Escalated {
			t.Errorf("supervisor's list %+v %v", page.Rows, err)
		}
		fx.do(sup, c.No, Action{Name: "supervise", Note: "请立即签收"})
		fx.refused(street, c.No, Action{Name: "reassign", AssignmentID: lead.ID, UnitCode: "350722D003", Note: "x"}, store.ErrForbidden)
		fx.refused(sup, c.No, Action{Name: "reassign", AssignmentID: lead.ID, UnitCode: "350722D003"}, store.ErrInvalid)
		if c = fx.do(sup, c.No, Action{Name: "reassign", AssignmentID: lead.ID, UnitCode: "350722D003", Note: "住建局超期未签收，改派城管局"}); c.Status != "dispatched" {
			t.Errorf("reassigned call %s", c.Status)
		}
		d := fx.detail(c.No)
		if d.Assignments[0].Status != "returned" || d.Assignments[0].Open() {
			t.Errorf("old part %s", d.Assignments[0].Status)
		}
		if l, _ := d.Lead(); l.UnitCode != "350722D003" || l.Status != "to_sign" {
			t.Errorf("new lead %s %s", l.UnitCode, l.Status)
		}
		fx.do(cg, c.No, Action{Name: "sign"})
		fx.do(cg, c.No, Action{Name: "answer", Note: "已设置警示并排险"})
		c = fx.do(street, c.No, Action{Name: "rate", Resolved: ptrTrue(), Rating: 4})
		if c.Status != "closed" || c.Supervisions != 1 {
			t.Errorf("call %s supervisions %d", c.Status, c.Supervisions)
		}
		var acts []string
		for _, e := range fx.detail(c.No).Events {
			acts = append(acts, e.Action)
		}
		for _, want := range []string{"receive", "dispatch", "overdue", "escalate", "supervise", "reassign", "sign", "answer", "rate"} {
			if !slices.Contains(acts, want) {
				t.Errorf("timeline %v lacks %s", acts, want)
			}
		}
	})
}
