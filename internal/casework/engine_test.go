package casework

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/catalog"
	"grassroots/internal/i18n"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

func TestBuiltinFlowsValid(t *testing.T) {
	t.Parallel()
	for _, f := range BuiltinFlows() {
		if err := f.Validate(); err != nil {
			t.Errorf("%s: %v", f.Name, err)
		}
	}
	bad := HotlineFlow()
	bad.Actions[0].Done.To = "nowhere"
	if err := bad.Validate(); err == nil {
		t.Error("a flow moving to an undeclared status validated")
	}
}

func TestParseLimit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want string
		bad  bool
	}{
		{in: "30m", want: "{30 0 0s}"}, {in: "2wh", want: "{120 0 0s}"}, {in: "5d", want: "{0 5 0s}"}, {in: "24h", want: "{0 0 24h0m0s}"},
		{in: "0d", bad: true}, {in: "5x", bad: true}, {in: "", bad: true},
	} {
		l, err := ParseLimit(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("ParseLimit(%q) accepted", tc.in)
			}
			continue
		}
		if got := fmt.Sprintf("%v", struct {
			M, D int
			N    time.Duration
		}{l.Minutes, l.Days, l.Natural}); got != tc.want {
			t.Errorf("ParseLimit(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func hotline(title string) NewCase {
	return NewCase{Flow: "hotline", RequestType: RequestComplaint, Title: title, Body: "小区路灯不亮，晚上出行不便", ReporterPhone: "13800138000", PlaceUnit: "350722001001"}
}

func TestNumberingAndIdempotentIntake(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newEngine(t, db)
		ctx := context.Background()
		taker := fx.actor(1, "350722000000")
		var nos []string
		for i := range 3 {
			nos = append(nos, fx.create(taker, hotline(fmt.Sprintf("路灯不亮%d", i))).No)
		}
		fx.now = cst("2026-11-27 00:10")
		nos = append(nos, fx.create(taker, hotline("次日来电")).No)
		want := []string{"350722-20261126-00001", "350722-20261126-00002", "350722-20261126-00003", "350722-20261127-00001"}
		if !slices.Equal(nos, want) {
			t.Errorf("numbers %v, want %v", nos, want)
		}

		in := hotline("省平台推送")
		in.Source, in.ExternalID = "province", "FJ12345-0001"
		c1, created1, err := fx.s.Create(ctx, access.System, in)
		if err != nil || !created1 {
			t.Fatalf("first intake: %v %v", created1, err)
		}
		c2, created2, err := fx.s.Create(ctx, access.System, in)
		if err != nil || created2 || c2.No != c1.No {
			t.Fatalf("second intake: created=%v no=%s (first %s) err=%v", created2, c2.No, c1.No, err)
		}
		if n := fx.count(`SELECT COUNT(*) FROM cases WHERE external_id = ?`, "FJ12345-0001"); n != 1 {
			t.Errorf("%d rows for one external id", n)
		}
		if c1.PhoneLast4 != "8000" || c1.PhoneMasked != "*******8000" {
			t.Errorf("phone kept as %q / %q", c1.PhoneLast4, c1.PhoneMasked)
		}
		var enc string
		if err := db.QueryRow(ctx, `SELECT reporter_phone_enc FROM cases WHERE no = ?`, c1.No).Scan(&enc); err != nil || strings.Contains(enc, "13800138000") || enc == "" {
			t.Errorf("phone not sealed: %q %v", enc, err)
		}
		if c1.PlaceCode != "350722001001" || c1.TownshipCode != "350722001000" {
			t.Errorf("routed to place %s township %s", c1.PlaceCode, c1.TownshipCode)
		}
		if n := fx.count(`SELECT COUNT(*) FROM case_events WHERE case_id = ? AND action = 'receive'`, c1.ID); n != 1 {
			t.Errorf("%d receive events", n)
		}
		if n := fx.count(`SELECT COUNT(*) FROM audit_log WHERE entity = 'case' AND entity_id = ? AND action = 'case.receive'`, c1.No); n != 1 {
			t.Errorf("%d audit entries for the intake", n)
		}
	})
}

func TestIntakeValidation(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newEngine(t, db)
		taker := fx.actor(1, "350722000000")
		for _, tc := range []struct {
			name string
			edit func(*NewCase)
			msg  string
		}{
			{"no title", func(n *NewCase) { n.Title = " " }, "请填写标题"},
			{"bad phone", func(n *NewCase) { n.ReporterPhone = "12345" }, "联系电话格式不正确"},
			{"bad request type", func(n *NewCase) { n.RequestType = "rant" }, "诉求类型"},
			{"no request type", func(n *NewCase) { n.RequestType = "" }, "请选择诉求类型"},
			{"bad priority", func(n *NewCase) { n.Priority = "asap" }, "紧急程度"},
			{"unknown category", func(n *NewCase) { n.Category = "X99" }, "找不到问题分类"},
			{"unknown flow", func(n *NewCase) { n.Flow = "nope" }, "不支持的流程"},
			{"unknown place", func(n *NewCase) { n.PlaceUnit = "999" }, "找不到单位编码"},
		} {
			in := hotline("路灯")
			tc.edit(&in)
			_, _, err := fx.s.Create(context.Background(), taker, in)
			msg, _ := store.UserMessage(err)
			if !errors.Is(err, store.ErrInvalid) || !strings.Contains(msg, tc.msg) {
				t.Errorf("%s: got %v, want invalid %q", tc.name, err, tc.msg)
			}
		}
		if n := fx.count(`SELECT COUNT(*) FROM cases`); n != 0 {
			t.Errorf("%d cases written by refused intakes", n)
		}
		// A category proposes its department (seeded by major class).
		in := hotline("井盖缺失")
		in.Category = "B01001"
		c := fx.create(taker, in)
		if c.ProposedDept != "350722D002" || c.CategoryName != "供水井盖" {
			t.Errorf("category %s proposes %q", c.CategoryName, c.ProposedDept)
		}
	})
}

func TestHotlineThroughEveryAction(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newEngine(t, db)
		ctx := context.Background()
		taker := fx.actor(1, "350722000000")
		street := fx.actor(2, "350722001000", access.RoleTownship)
		city := fx.actor(3, "350722D003", access.RoleDepartment)
		housing := fx.actor(4, "350722D002", access.RoleDepartment)
		other := fx.actor(5, "350722101000", access.RoleTownship)
		sup := fx.actor(6, "350722D000", access.RoleSupervisor)

		c := fx.create(taker, hotline("仙楼社区路灯不亮"))
		no := c.No
		if c.Status != "received" {
			t.Fatalf("status %s", c.Status)
		}
		// A township cannot see another township's case.
		if _, err := fx.s.Get(ctx, other, no); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("another township reads the case: %v", err)
		}
		// Not allowed from the state.
		fx.refused(taker, no, Action{Name: "revisit", Resolved: ptrTrue(), Satisfaction: Satisfied}, store.ErrConflict)
		fx.refused(street, no, Action{Name: "dispatch", UnitCode: "350722D003"}, store.ErrForbidden)

		c = fx.do(taker, no, Action{Name: "dispatch", UnitCode: "350722001000"})
		if c.Status != "dispatched" || c.LeadUnitCode != "350722001000" {
			t.Fatalf("after dispatch: %s lead %s", c.Status, c.LeadUnitCode)
		}
		if n := fx.count(`SELECT COUNT(*) FROM timers WHERE case_id = ? AND kind IN ('sign_warn', 'sign_due') AND fired_at IS NULL`, c.ID); n != 2 {
			t.Errorf("%d sign timers", n)
		}
		fx.refused(street, no, Action{Name: "return"}, store.ErrInvalid) // needs a reason
		c = fx.do(street, no, Action{Name: "return", Note: "路灯属城管局管理，非本街道职责"})
		if c.Status != "returned" || c.LeadUnitCode != "" {
			t.Fatalf("after return: %s lead %q", c.Status, c.LeadUnitCode)
		}
		if n := fx.count(`SELECT COUNT(*) FROM timers WHERE case_id = ? AND fired_at IS NULL`, c.ID); n != 0 {
			t.Errorf("%d timers left after the return", n)
		}
		c = fx.do(taker, no, Action{Name: "dispatch", UnitCode: "350722D003"})
		if c.Status != "dispatched" || c.LeadUnitCode != "350722D003" {
			t.Fatalf("after re-dispatch: %s lead %s", c.Status, c.LeadUnitCode)
		}
		// The street no longer holds a part; it still sees the case (its place).
		fx.refused(street, no, Action{Name: "sign"}, store.ErrForbidden)
		c = fx.do(city, no, Action{Name: "sign"})
		if c.Status != "in_hand" || c.HandleDueAt == nil {
			t.Fatalf("after sign: %s due %v", c.Status, c.HandleDueAt)
		}
		firstDue := *c.HandleDueAt

		// A supporting unit; it cannot act on the lead's part.
		fx.do(taker, no, Action{Name: "add_supporting", UnitCode: "350722D002"})
		lead := fx.lead(no)
		fx.refused(housing, no, Action{Name: "answer", AssignmentID: lead.ID, Note: "已修复"}, store.ErrForbidden)
		fx.do(housing, no, Action{Name: "sign_support"})
		fx.do(housing, no, Action{Name: "support_done", Note: "已配合检查线路"})

		// Extensions: refused, then approved, then no second one.
		fx.refused(city, no, Action{Name: "request_extension", Days: 11, Note: "需采购灯具"}, store.ErrInvalid)
		fx.do(city, no, Action{Name: "request_extension", Days: 3, Note: "需采购灯具"})
		fx.refused(city, no, Action{Name: "request_extension", Days: 3, Note: "再次"}, store.ErrInvalid) // one pending
		fx.refused(city, no, Action{Name: "approve_extension"}, store.ErrForbidden)                    // not the dispatcher
		fx.do(taker, no, Action{Name: "refuse_extension", Note: "时限内可完成"})
		fx.do(city, no, Action{Name: "request_extension", Days: 3, Note: "灯具到货延迟"})
		c = fx.do(taker, no, Action{Name: "approve_extension"})
		if c.Extensions != 1 || !c.HandleDueAt.After(firstDue) {
			t.Errorf("after approval: extensions %d due %v (was %v)", c.Extensions, c.HandleDueAt, firstDue)
		}
		cal := fx.work.Calendar()
		if want := cal.Add(firstDue, workDays(3)); !c.HandleDueAt.Equal(want) {
			t.Errorf("extended due %v, want %v", c.HandleDueAt, want)
		}
		fx.refused(city, no, Action{Name: "request_extension", Days: 2, Note: "还要延"}, store.ErrInvalid)

		// Supervision by the supervision office only.
		fx.refused(taker, no, Action{Name: "supervise", Note: "请加快"}, store.ErrForbidden)
		c = fx.do(sup, no, Action{Name: "supervise", Note: "请加快办理"})
		if c.Supervisions != 1 {
			t.Errorf("supervisions %d", c.Supervisions)
		}
		fx.do(street, no, Action{Name: "comment", Note: "街道已跟进"})

		c = fx.do(city, no, Action{Name: "answer", Note: "已更换路灯灯具"})
		if c.Status != "answered" || c.Answer != "已更换路灯灯具" || c.RevisitDueAt == nil {
			t.Fatalf("after answer: %s %q %v", c.Status, c.Answer, c.RevisitDueAt)
		}
		fx.refused(taker, no, Action{Name: "revisit", Resolved: ptrFalse(), Satisfaction: Unsatisfied}, store.ErrInvalid) // reason needed
		c = fx.do(taker, no, Action{Name: "revisit", Resolved: ptrFalse(), Satisfaction: Unsatisfied, Note: "路灯仍时亮时灭"})
		if c.Status != "unresolved" || c.Resolved == nil || *c.Resolved {
			t.Fatalf("after unresolved revisit: %s %v", c.Status, c.Resolved)
		}
		c = fx.do(taker, no, Action{Name: "reopen", Note: "请彻底检修线路"})
		if c.Status != "in_hand" || c.Reopens != 1 {
			t.Fatalf("after reopen: %s reopens %d", c.Status, c.Reopens)
		}
		if l := fx.lead(no); l.Status != "in_hand" || l.UnitCode != "350722D003" {
			t.Errorf("lead after reopen: %s %s", l.UnitCode, l.Status)
		}
		fx.do(city, no, Action{Name: "answer", Note: "已更换线路"})
		c = fx.do(taker, no, Action{Name: "revisit", Resolved: ptrTrue(), Satisfaction: Basic})
		if c.Status != "closed" || c.ClosedAt == nil || c.Satisfaction != Basic {
			t.Fatalf("after revisit: %s %v %s", c.Status, c.ClosedAt, c.Satisfaction)
		}
		if n := fx.count(`SELECT COUNT(*) FROM timers WHERE case_id = ? AND fired_at IS NULL`, c.ID); n != 0 {
			t.Errorf("%d timers left on a closed case", n)
		}
		if n := fx.count(`SELECT COUNT(*) FROM assignments WHERE case_id = ? AND closed_at IS NULL`, c.ID); n != 0 {
			t.Errorf("%d open parts on a closed case", n)
		}
		fx.refused(sup, no, Action{Name: "supervise", Note: "x"}, store.ErrConflict)

		d := fx.detail(no)
		var actions []string
		for _, e := range d.Events {
			actions = append(actions, e.Action)
		}
		want := []string{"receive", "dispatch", "return", "dispatch", "sign", "add_supporting", "sign_support", "support_done",
			"request_extension", "refuse_extension", "request_extension", "approve_extension", "supervise", "comment",
			"answer", "revisit", "reopen", "answer", "revisit"}
		if !slices.Equal(actions, want) {
			t.Errorf("timeline %v\nwant %v", actions, want)
		}
		if n := fx.count(`SELECT COUNT(*) FROM audit_log WHERE entity = 'case' AND entity_id = ?`, no); n != len(want) {
			t.Errorf("%d audit entries, want %d", n, len(want))
		}

		// The resident follows it and rates it.
		v, err := fx.s.Track(ctx, no, "8000")
		if err != nil {
			t.Fatal(err)
		}
		if v.Status != "closed" || v.Answer != "已更换线路" || !v.CanRate || len(v.Events) == 0 {
			t.Errorf("public view %+v", v)
		}
		for _, e := range v.Events {
			if strings.Contains(e.Text, "非本街道职责") {
				t.Errorf("an internal note reached the resident: %q", e.Text)
			}
		}
		if _, err := fx.s.Track(ctx, no, "0000"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("wrong last four: %v", err)
		}
		if err := fx.s.Rate(ctx, no, "8000", Satisfied, "谢谢"); err != nil {
			t.Fatal(err)
		}
		if err := fx.s.Rate(ctx, no, "8000", Satisfied, "again"); !errors.Is(err, store.ErrConflict) {
			t.Errorf("second rating: %v", err)
		}
	})
}

func TestAllowedActions(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newEngine(t, db)
		ctx := context.Background()
		taker := fx.actor(1, "350722000000")
		city := fx.actor(3, "350722D003", access.RoleDepartment)
		in := hotline("噪音扰民")
		in.Dispatch = "350722D003"
		c := fx.create(taker, in)
		if c.Status != "dispatched" {
			t.Fatalf("dispatch at intake: %s", c.Status)
		}
		names := func(a access.Actor) []string {
			d, err := fx.s.Get(ctx, a, c.No)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, s := range fx.s.AllowedActions(a, d) {
				out = append(out, s.Name)
			}
			return out
		}
		if got := names(city); !slices.Equal(got, []string{"sign", "return", "add_supporting", "comment", "contact", "feedback"}) {
			t.Errorf("department may %v", got)
		}
		if got := names(taker); !slices.Equal(got, []string{"add_supporting", "comment", "feedback"}) {
			t.Errorf("call-taker may %v", got)
		}
		// After the return period, return is no longer offered, and refused.
		fx.now = fx.work.Calendar().Add(fx.now, workDays(3))
		if got := names(city); slices.Contains(got, "return") {
			t.Errorf("return offered after its period: %v", got)
		}
		fx.refused(city, c.No, Action{Name: "return", Note: "不归我们管"}, store.ErrInvalid)
	})
}

func TestGridEvent(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newEngine(t, db)
		ctx := context.Background()
		worker := fx.actor(10, "350722001001G01", access.RoleGrid)
		community := fx.actor(11, "350722001001", access.RoleCommunity)
		city := fx.actor(3, "350722D003", access.RoleDepartment)
		otherTown := fx.actor(5, "350722101000", access.RoleTownship)

		ev := NewCase{Flow: "grid_event", Category: "S06001", Title: "占道经营", Body: "仙楼路口有流动摊贩占道",
			Attachments: []NewAttachment{{Name: "before.png", Data: pngBytes, Stage: "before"}}}
		c := fx.create(worker, ev)
		if c.Status != "reported" || c.GridCode != "350722001001G01" || c.PlaceCode != "350722001001" || c.Channel != "grid" {
			t.Fatalf("reported: %s grid %s place %s channel %s", c.Status, c.GridCode, c.PlaceCode, c.Channel)
		}
		fx.refused(otherTown, c.No, Action{Name: "register"}, store.ErrNotFound)
		fx.refused(worker, c.No, Action{Name: "register"}, store.ErrForbidden)
		fx.do(community, c.No, Action{Name: "register"})
		fx.do(community, c.No, Action{Name: "dispatch", UnitCode: "350722D003"})
		fx.do(city, c.No, Action{Name: "sign"})
		fx.refused(city, c.No, Action{Name: "report_handled", Note: "已清理"}, store.ErrInvalid) // no after photo
		c = fx.do(city, c.No, Action{Name: "report_handled", Note: "已劝离摊贩",
			Attachments: []NewAttachment{{Name: "after.png", Data: pngBytes, Stage: "after"}}})
		if c.Status != "handled" || c.RevisitDueAt == nil {
			t.Fatalf("after report: %s %v", c.Status, c.RevisitDueAt)
		}
		fx.refused(city, c.No, Action{Name: "check", Resolved: ptrTrue()}, store.ErrForbidden)
		c = fx.do(worker, c.No, Action{Name: "check", Resolved: ptrFalse(), Note: "摊贩又回来了"})
		if c.Status != "in_hand" {
			t.Fatalf("after failed check: %s", c.Status)
		}
		if l := fx.lead(c.No); l.Status != "in_hand" {
			t.Errorf("lead after failed check: %s", l.Status)
		}
		fx.do(city, c.No, Action{Name: "report_handled", Note: "已取缔"})
		c = fx.do(worker, c.No, Action{Name: "check", Resolved: ptrTrue()})
		if c.Status != "closed" || c.ClosedAt == nil {
			t.Fatalf("after check: %s", c.Status)
		}
		if n := fx.count(`SELECT COUNT(*) FROM attachments WHERE case_id = ?`, c.ID); n != 2 {
			t.Errorf("%d attachments", n)
		}

		// On-the-spot fix.
		spot := fx.create(worker, NewCase{Flow: "grid_event", Category: "S06001", Title: "垃圾散落", OnSpot: true, Note: "已现场清扫"})
		if spot.Status != "closed" || !spot.OnSpot || spot.ClosedAt == nil {
			t.Fatalf("on the spot: %s on_spot=%v", spot.Status, spot.OnSpot)
		}
		if n := fx.count(`SELECT COUNT(*) FROM cases WHERE on_spot = 1`); n != 1 {
			t.Errorf("%d on-the-spot cases counted", n)
		}
		// Residents cannot open grid events; grid events need a category.
		if _, _, err := fx.s.Create(ctx, access.Actor{}, NewCase{Flow: "grid_event", Title: "x", ReporterPhone: "13800138000"}); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("anonymous grid event: %v", err)
		}
		if _, _, err := fx.s.Create(ctx, worker, NewCase{Flow: "grid_event", Title: "x"}); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("grid event without category: %v", err)
		}
	})
}

func TestActionIsOneTransaction(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newEngine(t, db)
		ctx := context.Background()
		taker := fx.actor(1, "350722000000")
		c := fx.create(taker, hotline("路灯"))
		audits := fx.count(`SELECT COUNT(*) FROM audit_log`)
		// A broken limit fails the dispatch after its assignment, status
		// change and event were written: none of them may remain.
		if _, err := db.Exec(ctx, `INSERT INTO settings (key, value, updated_at) VALUES ('casework.limit.sign', 'soon', 0)`); err != nil {
			t.Fatal(err)
		}
		if _, err := fx.s.Do(ctx, taker, c.No, Action{Name: "dispatch", UnitCode: "350722D003"}); err == nil {
			t.Fatal("dispatch with a broken limit succeeded")
		}
		d := fx.detail(c.No)
		if d.Case.Status != "received" || len(d.Assignments) != 0 || len(d.Events) != 1 || d.Case.Version != c.Version || d.Case.LeadUnitID != 0 {
			t.Errorf("a failed action left: status %s, %d parts, %d events, version %d", d.Case.Status, len(d.Assignments), len(d.Events), d.Case.Version)
		}
		if n := fx.count(`SELECT COUNT(*) FROM audit_log`); n != audits {
			t.Errorf("audit grew from %d to %d", audits, n)
		}
		if n := fx.count(`SELECT COUNT(*) FROM timers`); n != 0 {
			t.Errorf("%d timers written", n)
		}
	})
}

func TestDeadlinesOnTheRealCalendar(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newEngine(t, db)
		ctx := context.Background()
		taker := fx.actor(1, "350722000000")
		street := fx.actor(2, "350722001000", access.RoleTownship)
		fx.now = cst("2026-09-30 15:00")
		in := hotline("噪音")
		in.Dispatch = "350722001000"
		c := fx.create(taker, in)
		lead := fx.lead(c.No)
		// Sign within 2 working hours: 15:00 + 120 working minutes.
		if want := cst("2026-09-30 17:00"); lead.SignDueAt == nil || !lead.SignDueAt.Equal(want) {
			t.Errorf("sign due %v, want %v", lead.SignDueAt, want)
		}
		fx.now = cst("2026-09-30 16:00")
		c = fx.do(street, c.No, Action{Name: "sign"})
		// 5 working days after the National Day break, counting the 10-10 make-up day.
		if want := cst("2026-10-13 16:00"); c.HandleDueAt == nil || !c.HandleDueAt.Equal(want) {
			t.Fatalf("handle due %v, want %v", c.HandleDueAt, want)
		}
		if n := fx.count(`SELECT COUNT(*) FROM timers WHERE case_id = ? AND kind LIKE 'sign%' AND fired_at IS NULL`, c.ID); n != 0 {
			t.Errorf("%d sign timers left after signing", n)
		}

		sweep := func(now time.Time) {
			t.Helper()
			fx.now = now
			if _, err := fx.sweeper.SweepOnce(ctx, now); err != nil {
				t.Fatal(err)
			}
		}
		events := func(action string) int {
			return fx.count(`SELECT COUNT(*) FROM case_events WHERE case_id = ? AND action = ?`, c.ID, action)
		}
		sweep(cst("2026-10-09 09:00"))
		if events("warn") != 0 {
			t.Error("warned too early")
		}
		sweep(cst("2026-10-12 17:00")) // past 80% (4 working days)
		sweep(cst("2026-10-12 17:01"))
		if events("warn") != 1 || !fx.lead(c.No).Warned {
			t.Errorf("warn events %d, warned %v", events("warn"), fx.lead(c.No).Warned)
		}
		if events("overdue") != 0 {
			t.Error("overdue before the deadline")
		}
		sweep(cst("2026-10-13 16:01"))
		sweep(cst("2026-10-13 16:05"))
		if events("overdue") != 1 || events("escalate") != 1 {
			t.Errorf("overdue %d, escalate %d", events("overdue"), events("escalate"))
		}
		d := fx.detail(c.No)
		l, _ := d.Lead()
		if !d.Case.Overdue || !l.Overdue || !l.Escalated {
			t.Errorf("flags: case overdue %v, part overdue %v escalated %v", d.Case.Overdue, l.Overdue, l.Escalated)
		}
		for _, e := range d.Events {
			if e.Action == "escalate" && e.Data["unit_code"] != "350722D000" {
				t.Errorf("a street escalates to %v, want the supervision office", e.Data["unit_code"])
			}
		}
		// Calling the handler again for a fired timer writes nothing more.
		var id int64
		var kind, payload string
		if err := db.QueryRow(ctx, `SELECT id, kind, payload FROM timers WHERE case_id = ? AND kind = 'handle_due'`, c.ID).Scan(&id, &kind, &payload); err != nil {
			t.Fatal(err)
		}
		err := db.InTx(ctx, func(tx *store.Tx) error {
			return fx.s.HandleTimer(ctx, tx, timerOf(id, kind, c.ID, l.ID, payload))
		})
		if err != nil || events("escalate") != 1 {
			t.Errorf("re-fired handler: %v, escalate %d", err, events("escalate"))
		}
	})
}

func TestCommunityEscalatesToTownship(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newEngine(t, db)
		ctx := context.Background()
		taker := fx.actor(1, "350722000000")
		in := hotline("积水")
		in.Dispatch = "350722001001"
		c := fx.create(taker, in)
		due := fx.lead(c.No).SignDueAt
		fx.now = due.Add(time.Minute)
		if _, err := fx.sweeper.SweepOnce(ctx, fx.now); err != nil {
			t.Fatal(err)
		}
		d := fx.detail(c.No)
		var to any
		for _, e := range d.Events {
			if e.Action == "escalate" {
				to = e.Data["unit_code"]
			}
		}
		if to != "350722001000" {
			t.Errorf("a community's late signature escalates to %v, want its street", to)
		}
		if d.Case.Overdue {
			t.Error("a late signature marked the case handling-overdue")
		}
	})
}

func TestAttachments(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newEngine(t, db)
		ctx := context.Background()
		taker := fx.actor(1, "350722000000")
		other := fx.actor(5, "350722101000", access.RoleTownship)
		c := fx.create(taker, hotline("路灯"))
		for _, tc := range []struct {
			name string
			data []byte
			ok   bool
		}{
			{"photo.png", pngBytes, true},
			{"doc.pdf", []byte("%PDF-1.4\n%âãÏÓ\n1 0 obj\n<<>>\nendobj\n"), true},
			{"evil.html", []byte("<html><script>alert(1)</script></html>"), false},
			{"fake.png", []byte("#!/bin/sh\nrm -rf /\n"), false},
			{"big.png", append(append([]byte{}, pngBytes...), make([]byte, MaxAttachment)...), false},
		} {
			a, err := fx.s.Attach(ctx, taker, c.No, tc.name, "image/png", bytes.NewReader(tc.data), "before")
			if tc.ok != (err == nil) {
				t.Errorf("%s: ok=%v err=%v", tc.name, tc.ok, err)
				continue
			}
			if !tc.ok {
				if !errors.Is(err, store.ErrInvalid) {
					t.Errorf("%s: %v, want invalid", tc.name, err)
				}
				continue
			}
			got, r, err := fx.s.OpenAttachment(ctx, taker, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(r)
			r.Close()
			if !bytes.Equal(body, tc.data) || got.ContentType == "" || strings.Contains(got.ContentType, "html") {
				t.Errorf("%s: read back %d bytes as %s", tc.name, len(body), got.ContentType)
			}
			if _, _, err := fx.s.OpenAttachment(ctx, other, a.ID); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("another township opens the attachment: %v", err)
			}
		}
	})
}

func TestCategories(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newEngine(t, db)
		ctx := context.Background()
		admin := fx.actor(9, "350722000000", access.RoleAdmin)
		if n := fx.count(`SELECT COUNT(*) FROM categories WHERE std_code <> '' AND LENGTH(std_code) = 5`); n != 403 {
			t.Errorf("%d standard minor categories, want 403", n)
		}
		if err := fx.cat.SeedCategories(ctx); err != nil {
			t.Fatal(err)
		}
		if n := fx.count(`SELECT COUNT(*) FROM categories WHERE LENGTH(std_code) = 5`); n != 403 {
			t.Errorf("seeding twice gives %d", n)
		}
		tree, err := fx.cat.Categories(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(tree) != 3 || tree[0].Code != "B" || len(tree[0].Children) != 5 || tree[0].Children[0].Children[0].Code != "B01001" {
			t.Fatalf("tree roots %d, first %+v", len(tree), tree[0].Code)
		}
		if _, err := fx.cat.AddCategory(ctx, fx.actor(1, "350722000000"), catalog.NewCategory{Code: "L01", Name: "低保救助"}); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("non-admin adds a category: %v", err)
		}
		if _, err := fx.cat.AddCategory(ctx, admin, catalog.NewCategory{Code: "L01", Name: "低保救助", DeptCode: "350722D002"}); err != nil {
			t.Fatal(err)
		}
		if _, err := fx.cat.AddCategory(ctx, admin, catalog.NewCategory{Code: "L01", Name: "重复"}); !errors.Is(err, store.ErrConflict) {
			t.Errorf("duplicate code: %v", err)
		}
		if _, err := fx.cat.AddCategory(ctx, admin, catalog.NewCategory{Code: "X1", Name: "标准下", ParentCode: "B01"}); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("category under the standard: %v", err)
		}
		if err := fx.cat.SetCategoryDepartment(ctx, admin, "B01001", "350722D003"); err != nil {
			t.Fatal(err)
		}
		if err := fx.cat.SetCategoryDepartment(ctx, admin, "B01001", "350722001000"); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("a street as a category's department: %v", err)
		}
		in := hotline("井盖")
		in.Category = "B01001"
		if c := fx.create(admin, in); c.ProposedDept != "350722D003" {
			t.Errorf("proposed %s after the change", c.ProposedDept)
		}
		if n := fx.count(`SELECT COUNT(*) FROM audit_log WHERE entity = 'category'`); n < 3 {
			t.Errorf("%d category audit entries", n)
		}
	})
}

// TestEveryNameTranslated keeps the message catalogue in step with the
// flows: every message key a flow declares (its name, navigation entry,
// statuses, actions, note and outcome labels, file stages) has a text in
// both languages, and the engine's own messages name actions by it.
func TestEveryNameTranslated(t *testing.T) {
	t.Parallel()
	msgs := i18n.MustLoad()
	has := func(what, key string) {
		t.Helper()
		if !msgs.Has("zh", key) || !msgs.Has("en", key) {
			t.Errorf("%s: key %q lacks a zh or en text", what, key)
		}
	}
	for _, f := range BuiltinFlows() {
		has(f.Name, f.LabelKey())
		if f.Nav.Key == "" || f.Nav.Href == "" || f.Nav.ID == "" {
			t.Errorf("flow %s declares no navigation entry", f.Name)
		} else {
			has(f.Name+" nav", f.Nav.Key)
		}
		for _, st := range f.States {
			has(f.Name+" status "+st.Name, f.StateKey(st.Name))
		}
		for _, a := range f.Actions {
			has(f.Name+" action "+a.Name, a.LabelKey())
			if a.NoteLabel != "" {
				has(f.Name+" note of "+a.Name, a.NoteLabel)
			}
			for _, k := range a.OutcomeLabels {
				has(f.Name+" outcome of "+a.Name, k)
			}
			if st := a.FileStage(); st != "" {
				has(f.Name+" stage of "+a.Name, "case.stage."+st)
			}
			if got := actionLabel(a); got == a.LabelKey() {
				t.Errorf("action %s has no name for messages", a.Name)
			}
		}
	}
}

// TestLimitsByCategoryAndRequestType: time limits per request type and per
// category are data (settings); a category's limit wins over the request
// type's, which wins over the default.
func TestLimitsByCategoryAndRequestType(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newEngine(t, db)
		ctx := context.Background()
		for k, v := range map[string]string{
			"casework.limit.handle.type.consult":        "2d",
			"casework.limit.handle.category.B01001":     "1d",
			"casework.limit.sign.type.complaint.normal": "60m",
		} {
			if _, err := db.Exec(ctx, `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, 0)`, k, v); err != nil {
				t.Fatal(err)
			}
		}
		taker := fx.actor(1, "350722000000")
		street := fx.actor(2, "350722001000", access.RoleTownship)
		tests := []struct {
			name, requestType, category string
			wantSign, wantHandle        string
		}{
			{"default", RequestHelp, "", "2026-11-02 11:00", "2026-11-09 10:00"},
			{"by request type", RequestConsult, "", "2026-11-02 11:00", "2026-11-04 10:00"},
			{"by category over request type", RequestConsult, "B01001", "2026-11-02 11:00", "2026-11-03 10:00"},
			{"sign limit by request type and priority", RequestComplaint, "", "2026-11-02 10:00", "2026-11-09 10:00"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				fx.now = cst("2026-11-02 09:00") // a Monday
				in := hotline("路灯")
				in.RequestType, in.Dispatch = tt.requestType, "350722001000"
				if tt.category != "" {
					in.Category = tt.category
				}
				c := fx.create(taker, in)
				if want := cst(tt.wantSign); fx.lead(c.No).SignDueAt == nil || !fx.lead(c.No).SignDueAt.Equal(want) {
					t.Errorf("sign due %v, want %v", fx.lead(c.No).SignDueAt, want)
				}
				fx.now = cst("2026-11-02 10:00")
				c = fx.do(street, c.No, Action{Name: "sign"})
				if want := cst(tt.wantHandle); c.HandleDueAt == nil || !c.HandleDueAt.Equal(want) {
					t.Errorf("handle due %v, want %v", c.HandleDueAt, want)
				}
			})
		}
	})
}
