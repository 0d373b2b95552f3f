package casework

import (
	"testing"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
	"grassroots/internal/worktime"
)

// The facts the figures read (docs/RATES.md): the first contact and its
// deadline, every answer judged against the deadline in force when given,
// the first revisit's result, and where a returned case counts.
func TestFiguresFacts(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newEngine(t, db)
		taker := fx.actor(1, "350722000000")
		street := fx.actor(2, "350722001000", access.RoleTownship)
		millis := func(query string, args ...any) int64 {
			t.Helper()
			var v *int64
			if err := db.QueryRow(t.Context(), query, args...).Scan(&v); err != nil {
				t.Fatal(err)
			}
			if v == nil {
				return 0
			}
			return *v
		}
		cal := fx.work.Calendar()

		// Contact limits: 1 working day, 2 working hours when urgent.
		start := fx.now
		c := fx.create(taker, hotline("路灯不亮"))
		fx.do(taker, c.No, Action{Name: "dispatch", UnitCode: "350722001000"})
		urgent := hotline("井盖缺失")
		urgent.Priority = PriorityUrgent
		u := fx.create(taker, urgent)
		fx.do(taker, u.No, Action{Name: "dispatch", UnitCode: "350722001000"})
		if got, want := millis(`SELECT contact_due_at FROM assignments WHERE id = ?`, fx.lead(c.No).ID), store.Millis(cal.Add(start, workDays(1))); got != want {
			t.Errorf("contact due %v, want %v", time.UnixMilli(got), time.UnixMilli(want))
		}
		if got, want := millis(`SELECT contact_due_at FROM assignments WHERE id = ?`, fx.lead(u.No).ID), store.Millis(cal.Add(start, worktime.Limit{Minutes: 120})); got != want {
			t.Errorf("urgent contact due %v, want %v", time.UnixMilli(got), time.UnixMilli(want))
		}

		// The first call counts, reached or not; the requester reads it.
		fx.now = fx.now.Add(time.Hour)
		fx.do(street, c.No, Action{Name: "contact", Resolved: ptrFalse(), AssignmentID: fx.lead(c.No).ID})
		first := store.Millis(fx.now)
		fx.now = fx.now.Add(time.Hour)
		fx.do(street, c.No, Action{Name: "contact", Resolved: ptrTrue(), Note: "已约定上门时间", AssignmentID: fx.lead(c.No).ID})
		if got := millis(`SELECT lead_contacted_at FROM cases WHERE no = ?`, c.No); got != first {
			t.Errorf("first contact %v, want %v", time.UnixMilli(got), time.UnixMilli(first))
		}
		if n := fx.count(`SELECT COUNT(*) FROM case_events e JOIN cases c ON c.id = e.case_id WHERE c.no = ? AND e.action = 'contact'
			AND e.public = 1 AND e.public_text = '已联系您'`, c.No); n != 1 {
			t.Errorf("%d public 已联系您 events", n)
		}

		// Answered late, reopened, answered in time: still late once.
		fx.do(street, c.No, Action{Name: "sign", AssignmentID: fx.lead(c.No).ID})
		fx.now = cal.Add(fx.now, workDays(8))
		fx.do(street, c.No, Action{Name: "answer", Note: "已修复", AssignmentID: fx.lead(c.No).ID})
		fx.do(taker, c.No, Action{Name: "revisit", Resolved: ptrFalse(), Satisfaction: Unsatisfied, Note: "仍不亮"})
		fx.do(taker, c.No, Action{Name: "reopen", Note: "请再查"})
		fx.now = fx.now.Add(time.Hour)
		fx.do(street, c.No, Action{Name: "answer", Note: "已更换灯具", AssignmentID: fx.lead(c.No).ID})
		fx.do(taker, c.No, Action{Name: "revisit", Resolved: ptrTrue(), Satisfaction: Satisfied})
		if n := fx.count(`SELECT late_answers FROM cases WHERE no = ?`, c.No); n != 1 {
			t.Errorf("late answers %d, want 1 (a reopen does not erase lateness)", n)
		}
		if n := fx.count(`SELECT COUNT(*) FROM cases WHERE no = ? AND resolved = 1 AND first_resolved = 0`, c.No); n != 1 {
			t.Error("the first revisit's result is not kept")
		}

		// Returned: counts for the dispatching unit until re-dispatched.
		u = fx.create(taker, hotline("路灯闪烁"))
		fx.do(taker, u.No, Action{Name: "dispatch", UnitCode: "350722001000"})
		fx.do(street, u.No, Action{Name: "return", Note: "不属本街道", AssignmentID: fx.lead(u.No).ID})
		if n := fx.count(`SELECT COUNT(*) FROM cases c JOIN units d ON d.code = '350722000000'
			WHERE c.no = ? AND c.lead_path = d.path AND c.lead_returned_at IS NOT NULL`, u.No); n != 1 {
			t.Error("a returned case does not count for its dispatcher")
		}
		fx.do(taker, u.No, Action{Name: "dispatch", UnitCode: "350722D003"})
		if n := fx.count(`SELECT COUNT(*) FROM cases c JOIN units d ON d.code = '350722D003'
			WHERE c.no = ? AND c.lead_path = d.path AND c.lead_returned_at IS NULL`, u.No); n != 1 {
			t.Error("a re-dispatched case does not count for its new lead")
		}
	})
}
