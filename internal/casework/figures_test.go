package casework

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/stats"
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
		pv, err := fx.s.Track(t.Context(), c.No, "8000")
		if err != nil {
			t.Fatal(err)
		}
		var told []string
		for _, e := range pv.Events {
			told = append(told, e.Text)
		}
		if !slices.Contains(told, "已联系您") || !slices.Contains(told, "承办单位致电您，未能接通") {
			t.Errorf("the requester's timeline: %q", told)
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

// The 12345 figures recomputed from the timeline — cases, assignments and
// events, as docs/RATES.md words them, with the deadline in force taken from
// the events that set it — equal what stats counts from its sums.
func TestFiguresRecomputedFromTimeline(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newEngine(t, db)
		ctx := t.Context()
		taker := fx.actor(1, "350722000000")
		street := fx.actor(2, "350722001000", access.RoleTownship)
		cal := fx.work.Calendar()
		from := fx.now.Add(-time.Hour)
		lead := func(no string) int64 { return fx.lead(no).ID }
		newCase := func(title, priority string) string {
			in := hotline(title)
			in.Priority = priority
			no := fx.create(taker, in).No
			fx.do(taker, no, Action{Name: "dispatch", UnitCode: "350722001000"})
			return no
		}
		// A: contacted, signed and answered in time, resolved.
		a := newCase("A", PriorityNormal)
		fx.now = fx.now.Add(time.Hour)
		fx.do(street, a, Action{Name: "contact", Resolved: ptrTrue(), AssignmentID: lead(a)})
		fx.do(street, a, Action{Name: "sign", AssignmentID: lead(a)})
		fx.do(street, a, Action{Name: "answer", Note: "已修复", AssignmentID: lead(a)})
		fx.do(taker, a, Action{Name: "revisit", Resolved: ptrTrue(), Satisfaction: Satisfied})
		// B: contacted late, answered late, reopened, answered in time.
		b := newCase("B", PriorityNormal)
		fx.do(street, b, Action{Name: "sign", AssignmentID: lead(b)})
		fx.now = cal.Add(fx.now, workDays(2))
		fx.do(street, b, Action{Name: "contact", Resolved: ptrFalse(), AssignmentID: lead(b)})
		fx.now = cal.Add(fx.now, workDays(6))
		fx.do(street, b, Action{Name: "answer", Note: "已处理", AssignmentID: lead(b)})
		fx.do(taker, b, Action{Name: "revisit", Resolved: ptrFalse(), Satisfaction: Unsatisfied, Note: "未解决"})
		fx.do(taker, b, Action{Name: "reopen", Note: "再办"})
		fx.now = fx.now.Add(time.Hour)
		fx.do(street, b, Action{Name: "answer", Note: "已解决", AssignmentID: lead(b)})
		// C: urgent, signed, never answered: open past its deadline.
		c := newCase("C", PriorityUrgent)
		fx.do(street, c, Action{Name: "sign", AssignmentID: lead(c)})
		// D: returned, not re-dispatched.
		d := newCase("D", PriorityNormal)
		fx.do(street, d, Action{Name: "return", Note: "不属本街道", AssignmentID: lead(d)})
		fx.now = fx.now.Add(72 * time.Hour)

		type part struct {
			id                       int64
			returned                 bool
			contactDue, firstContact int64
		}
		var want stats.Counts
		for _, no := range []string{a, b, c, d} {
			var caseID int64
			var status string
			if err := db.QueryRow(ctx, `SELECT id, status FROM cases WHERE no = ?`, no).Scan(&caseID, &status); err != nil {
				t.Fatal(err)
			}
			var p part
			var returned, contactDue *int64
			if err := db.QueryRow(ctx, `SELECT id, returned_at, contact_due_at FROM assignments WHERE case_id = ? AND role = 'lead' ORDER BY id DESC LIMIT 1`,
				caseID).Scan(&p.id, &returned, &contactDue); err != nil {
				t.Fatal(err)
			}
			p.returned = returned != nil
			if contactDue != nil {
				p.contactDue = *contactDue
			}
			rows, err := db.Query(ctx, `SELECT at, action, COALESCE(assignment_id, 0), data_json FROM case_events WHERE case_id = ? ORDER BY at, id`, caseID)
			if err != nil {
				t.Fatal(err)
			}
			var due int64
			answered, late := false, false
			for rows.Next() {
				var at, aid int64
				var action, data string
				if err := rows.Scan(&at, &action, &aid, &data); err != nil {
					t.Fatal(err)
				}
				var m map[string]any
				_ = json.Unmarshal([]byte(data), &m)
				if s, ok := m["handle_due_at"].(string); ok {
					if tm, err := time.Parse(time.RFC3339, s); err == nil {
						due = store.Millis(tm)
					}
				}
				switch {
				case action == "contact" && aid == p.id && p.firstContact == 0:
					p.firstContact = at
				case action == "answer" && aid == p.id:
					answered = true
					late = late || (due != 0 && at > due)
				}
			}
			rows.Close()
			openLate := (status == "in_hand" || status == "dispatched") && due != 0 && store.Millis(fx.now) > due
			want.Cases++
			if p.returned {
				continue
			}
			want.Dispatched++
			if p.firstContact != 0 && (p.contactDue == 0 || p.firstContact <= p.contactDue) {
				want.Responded++
			}
			if answered {
				want.Answered++
				if !late && !openLate {
					want.OnTime++
				}
			}
			if late || openLate {
				want.Overdue++
			}
		}
		county := fx.actor(1, "350722000000", access.RoleAdmin)
		at := stats.New(db).WithClock(func() time.Time { return fx.now })
		r, err := at.Rates(ctx, county, stats.Query{Unit: "350722000000", Flow: stats.DefaultFlow, From: from, To: fx.now, Weights: stats.DefaultWeights()})
		if err != nil {
			t.Fatal(err)
		}
		got := stats.Counts{Cases: r.Counts.Cases, Dispatched: r.Counts.Dispatched, Responded: r.Counts.Responded,
			Answered: r.Counts.Answered, OnTime: r.Counts.OnTime, Overdue: r.Counts.Overdue}
		if got != want || want.Responded != 1 || want.Overdue != 2 || want.OnTime != 1 {
			t.Errorf("stats %+v, recomputed from the timeline %+v", got, want)
		}
		// 超期 does not wait for the sweeper: C is open past its deadline
		// and no sweep has marked it; B answered late, was reopened and
		// answered on time. The list behind 超期 is exactly B and C.
		var marked int
		if err := db.QueryRow(ctx, `SELECT overdue FROM assignments WHERE id = ?`, lead(c)).Scan(&marked); err != nil || marked != 0 {
			t.Fatalf("C's lead marked overdue %d (%v): the sweeper ran, the test proves nothing", marked, err)
		}
		var listed []string
		err = at.EachCase(ctx, county, stats.CaseQuery{Query: stats.Query{Unit: "350722000000", Flow: stats.DefaultFlow, From: from, To: fx.now},
			Count: "overdue"}, func(fc stats.FigureCase) error {
			listed = append(listed, fc.No)
			return nil
		})
		if err != nil || !slices.Equal(slices.Sorted(slices.Values(listed)), slices.Sorted(slices.Values([]string{b, c}))) {
			t.Errorf("overdue cases listed %v (%v), want B %s and C %s", listed, err, b, c)
		}
		// The same at midnight boundaries (the daily sums plus the moment's
		// open leads): the page's and the API's whole days.
		day := func(t time.Time) time.Time {
			l := t.In(time.FixedZone("CST", 8*3600))
			return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, l.Location())
		}
		r, err = at.Rates(ctx, county, stats.Query{Unit: "350722000000", Flow: stats.DefaultFlow, From: day(from), To: day(fx.now).AddDate(0, 0, 1),
			Weights: stats.DefaultWeights()})
		if err != nil || r.Counts.Overdue != 2 || r.Counts.OnTime != 1 {
			t.Errorf("whole days: overdue %d, on time %d (%v), want 2 and 1", r.Counts.Overdue, r.Counts.OnTime, err)
		}
	})
}

// The hotline's revisit may answer "not reached" (未联系上): the case is
// revisited, out of 满意率's denominator and counted as unreached; an
// answer the flow does not offer is refused.
func TestRevisitNotReached(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newEngine(t, db)
		taker := fx.actor(1, "350722000000")
		street := fx.actor(2, "350722001000", access.RoleTownship)
		from := fx.now.Add(-time.Hour)
		answered := func(title string) string {
			no := fx.create(taker, hotline(title)).No
			fx.do(taker, no, Action{Name: "dispatch", UnitCode: "350722001000"})
			id := fx.lead(no).ID
			fx.do(street, no, Action{Name: "sign", AssignmentID: id})
			fx.do(street, no, Action{Name: "answer", Note: "已处理", AssignmentID: id})
			return no
		}
		a, b := answered("A"), answered("B")
		fx.refused(taker, a, Action{Name: "revisit", Resolved: ptrTrue(), Satisfaction: "maybe"}, store.ErrInvalid)
		c := fx.do(taker, a, Action{Name: "revisit", Resolved: ptrTrue(), Satisfaction: Unreached})
		if c.Satisfaction != Unreached || c.Status != "closed" {
			t.Errorf("revisit not reached: satisfaction %q, status %s", c.Satisfaction, c.Status)
		}
		fx.do(taker, b, Action{Name: "revisit", Resolved: ptrTrue(), Satisfaction: Basic})
		county := fx.actor(1, "350722000000", access.RoleAdmin)
		r, err := stats.Rates(t.Context(), db, county, "350722000000", stats.DefaultFlow, from, fx.now.Add(time.Hour), stats.DefaultWeights())
		if err != nil {
			t.Fatal(err)
		}
		if r.Counts.Revisited != 2 || r.Counts.Unreached != 1 || r.Counts.Basic != 1 || r.Satisfaction.Denominator != 1 ||
			r.Satisfaction.Fraction() != "0.8 / 1" {
			t.Errorf("counts %+v, 满意率 %s", r.Counts, r.Satisfaction.Fraction())
		}
	})
}
