package taskforce_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/casework/casetest"
	"grassroots/internal/settings"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
	"grassroots/internal/taskforce"
)

type fixture struct {
	*casetest.County
	s     *taskforce.Service
	insts map[string]int64
}

func newFixture(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	c := casetest.New(t, db)
	fx := &fixture{County: c, s: taskforce.New(db, c.Cases), insts: map[string]int64{}}
	fx.s.UseClock(func() time.Time { return c.Now })
	ctx := context.Background()
	for i, m := range []struct{ module, inst string }{{"大经济(生态)", "经济发展办公室"}, {"大治理", "平安建设办公室"}} {
		var mod, inst int64
		if err := db.QueryRow(ctx, `INSERT INTO unit_modules (unit_id, name, sort) VALUES (?, ?, ?) RETURNING id`, c.Unit("350722101000").ID, m.module, i).Scan(&mod); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRow(ctx, `INSERT INTO institutions (unit_id, module_id, kind, name, sort) VALUES (?, ?, 'office', ?, ?) RETURNING id`,
			c.Unit("350722101000").ID, mod, m.inst, i).Scan(&inst); err != nil {
			t.Fatal(err)
		}
		fx.insts[m.inst] = inst
	}
	return fx
}

func (fx *fixture) town() access.Actor { return fx.Actor(30, "350722101000", access.RoleTownship) }

func TestTaskForceAcrossModulesWithInbox(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		fx := newFixture(t, db)
		lead := fx.Person("镇长甲", "350722101000", "cadre", "")
		a := fx.Person("干部乙", "350722101000", "cadre", "")
		b := fx.Person("干部丙", "350722101000", "cadre", "")
		dept := fx.Person("住建局丁", "350722D002", "cadre", "")
		village := fx.Person("村干部戊", "350722101200", "cadre", "")
		id, err := fx.s.Create(ctx, fx.town(), taskforce.Input{UnitCode: "350722101000", Name: "茶产业园建设专班", Task: "推进茶产业园一期建设",
			LeadID: lead, StartDay: "2026-03-01", TargetDay: "2026-10-31", EndDay: "2026-12-31"})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range []taskforce.MemberInput{
			{PersonID: a, FullTime: true, InstitutionID: fx.insts["经济发展办公室"]},
			{PersonID: b, Share: 30, InstitutionID: fx.insts["平安建设办公室"]},
			{PersonID: dept, Share: 20},
		} {
			if err := fx.s.AddMember(ctx, fx.town(), id, m); err != nil {
				t.Fatal(err)
			}
		}
		no, err := fx.s.GiveCase(ctx, fx.town(), id, "茶园道路征迁协调", "三户未签约")
		if err != nil {
			t.Fatal(err)
		}
		again, err := fx.s.GiveCase(ctx, fx.town(), id, "茶园道路征迁协调", "三户未签约")
		if err != nil || again != no {
			t.Errorf("second give = %s, %v", again, err)
		}
		d, err := fx.s.Get(ctx, fx.town(), id)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Inbox) != 1 || d.Inbox[0].CaseNo != no || len(d.MemberList) != 3 || d.Level != taskforce.Township {
			t.Fatalf("detail = %+v", d)
		}
		modules := map[string]bool{}
		for _, m := range d.MemberList {
			modules[m.Module] = true
		}
		if !modules["大经济(生态)"] || !modules["大治理"] || len(d.Warnings) != 0 {
			t.Errorf("members %+v warnings %v", d.MemberList, d.Warnings)
		}

		// Warnings: over 100 %, past the end, from below county level.
		cid, err := fx.s.Create(ctx, fx.Admin(), taskforce.Input{UnitCode: "350722000000", Name: "县重点项目攻坚专班", Task: "重点项目征迁",
			LeadID: dept, StartDay: "2026-01-01", TargetDay: "2026-06-30", EndDay: "2026-09-30"})
		if err != nil {
			t.Fatal(err)
		}
		if err := fx.s.AddMember(ctx, fx.Admin(), cid, taskforce.MemberInput{PersonID: a, Share: 50}); err != nil {
			t.Fatal(err)
		}
		if err := fx.s.AddMember(ctx, fx.Admin(), cid, taskforce.MemberInput{PersonID: village, Share: 50}); err != nil {
			t.Fatal(err)
		}
		d, _ = fx.s.Get(ctx, fx.Admin(), cid)
		w := strings.Join(d.Warnings, "\n")
		for _, want := range []string{"已过结束日期", "村干部戊来自县级以下单位", "干部乙在各专班的投入合计 150%"} {
			if !strings.Contains(w, want) {
				t.Errorf("warnings lack %q:\n%s", want, w)
			}
		}
		list, err := fx.s.List(ctx, fx.Admin())
		if err != nil || len(list) != 2 {
			t.Fatalf("list = %+v, %v", list, err)
		}
		f := taskforce.FiguresOf(list)
		if f.Open != 2 || f.PastEnd != 1 || f.FromBelow != 2 || f.Items != 1 {
			// 干部乙 and 村干部戊 are both from below county level on the county task force.
			t.Errorf("figures = %+v", f)
		}
		if ms, err := fx.s.OfPerson(ctx, fx.Admin(), a); err != nil || len(ms) != 2 {
			t.Errorf("memberships = %+v, %v", ms, err)
		}

		// Bad input.
		for _, in := range []taskforce.Input{
			{UnitCode: "350722101000", Task: "x", LeadID: lead, TargetDay: "2026-05-01", EndDay: "2026-06-01"},
			{UnitCode: "350722101000", Name: "x", Task: "x", LeadID: lead, StartDay: "2026-07-01", TargetDay: "2026-05-01", EndDay: "2026-06-01"},
			{UnitCode: "350722101200", Name: "x", Task: "x", LeadID: lead, StartDay: "2026-01-01", TargetDay: "2026-05-01", EndDay: "2026-06-01"},
		} {
			if _, err := fx.s.Create(ctx, fx.Admin(), in); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("%+v: %v", in, err)
			}
		}
		if err := fx.s.AddMember(ctx, fx.town(), id, taskforce.MemberInput{PersonID: a, Share: 130}); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("share 130: %v", err)
		}
	})
}

// TestWhoMayKeep walks docs/AUTHORIZATION.md's task force rows.
func TestWhoMayKeep(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		fx := newFixture(t, db)
		lead := fx.Person("镇长甲", "350722101000", "cadre", "")
		rows := []struct {
			name                   string
			actor                  access.Actor
			township, county, read bool
		}{
			{"township staff, own unit", fx.town(), true, false, true},
			{"township administrator", fx.Actor(31, "350722101000", access.RoleAdmin), true, false, true},
			{"another township", fx.Actor(32, "350722001000", access.RoleTownship), false, false, false},
			{"village below", fx.Actor(33, "350722101200", access.RoleCommunity), false, false, false},
			{"department", fx.Department(), false, false, true},
			{"supervisor", fx.Actor(34, "350722000000", access.RoleSupervisor), false, false, true},
			{"county administrator", fx.Admin(), true, true, true},
		}
		for i, r := range rows {
			t.Run(r.name, func(t *testing.T) {
				in := taskforce.Input{UnitCode: "350722101000", Name: "专班" + string(rune('A'+i)), Task: "任务", LeadID: lead,
					StartDay: "2026-01-01", TargetDay: "2026-12-01", EndDay: "2026-12-31"}
				id, err := fx.s.Create(ctx, r.actor, in)
				if r.township != (err == nil) || (err != nil && !errors.Is(err, store.ErrForbidden)) {
					t.Errorf("township task force: %v", err)
				}
				in.UnitCode, in.Name = "350722000000", "县专班"+string(rune('A'+i))
				if _, err := fx.s.Create(ctx, r.actor, in); r.county != (err == nil) {
					t.Errorf("county task force: %v", err)
				}
				if id == 0 {
					if id, err = fx.s.Create(ctx, fx.Admin(), taskforce.Input{UnitCode: "350722101000", Name: "管理员专班" + string(rune('A'+i)), Task: "任务",
						LeadID: lead, StartDay: "2026-01-01", TargetDay: "2026-12-01", EndDay: "2026-12-31"}); err != nil {
						t.Fatal(err)
					}
				}
				_, err = fx.s.Get(ctx, r.actor, id)
				if r.read != (err == nil) {
					t.Errorf("read: %v", err)
				}
				err = fx.s.AddMember(ctx, r.actor, id, taskforce.MemberInput{PersonID: lead, Share: 10})
				if r.township != (err == nil) {
					t.Errorf("add member: %v", err)
				}
			})
		}
	})
}

// TestOwnPostCountsInTimeShares: a person who holds a post in the staffing
// ledger keeps part of their time for it (setting taskforce.own_post_share,
// default 50 %), so their part-time shares warn sooner; a full-time member
// is released from their post and only their task forces count.
func TestOwnPostCountsInTimeShares(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		fx := newFixture(t, db)
		lead := fx.Person("镇长甲", "350722101000", "cadre", "")
		part := fx.Person("干部乙", "350722101000", "cadre", "")
		full := fx.Person("干部丙", "350722101000", "cadre", "")
		free := fx.Person("干部丁", "350722101000", "cadre", "")
		for _, p := range []int64{part, full} {
			if _, err := db.Exec(ctx, `INSERT INTO staffing_posts (unit_id, post_type, person_id, since, created_at) VALUES (?, 'career1', ?, '2020-01-01', 0)`,
				fx.Unit("350722101000").ID, p); err != nil {
				t.Fatal(err)
			}
		}
		mk := func(name string) int64 {
			id, err := fx.s.Create(ctx, fx.town(), taskforce.Input{UnitCode: "350722101000", Name: name, Task: "任务", LeadID: lead,
				StartDay: "2026-03-01", TargetDay: "2026-12-01", EndDay: "2026-12-31"})
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		a, b := mk("甲专班"), mk("乙专班")
		add := func(tf, person int64, share int, fullTime bool) {
			t.Helper()
			if err := fx.s.AddMember(ctx, fx.town(), tf, taskforce.MemberInput{PersonID: person, Share: share, FullTime: fullTime}); err != nil {
				t.Fatal(err)
			}
		}
		add(a, part, 30, false)
		add(a, full, 0, true)
		add(a, free, 60, false)
		member := func(tf, person int64) (taskforce.Member, []string) {
			t.Helper()
			d, err := fx.s.Get(ctx, fx.town(), tf)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range d.MemberList {
				if m.PersonID == person {
					return m, d.Warnings
				}
			}
			t.Fatalf("no member %d in %+v", person, d.MemberList)
			return taskforce.Member{}, nil
		}
		// 30 % + the own post's 50 %: within 100 %.
		if m, w := member(a, part); m.OwnPost != 50 || m.TotalShare != 80 || len(w) != 0 {
			t.Errorf("part-time with a post: %+v %v", m, w)
		}
		// Full-time: released from the post, 100 %, no warning.
		if m, _ := member(a, full); m.OwnPost != 0 || m.TotalShare != 100 {
			t.Errorf("full-time: %+v", m)
		}
		// No post in the ledger: only the task forces count.
		if m, _ := member(a, free); m.OwnPost != 0 || m.TotalShare != 60 {
			t.Errorf("no post: %+v", m)
		}
		// A second task force's 30 %: 110 % with the own post.
		add(b, part, 30, false)
		m, w := member(b, part)
		if m.TotalShare != 110 || !strings.Contains(strings.Join(w, "\n"), "干部乙的投入合计 110%（本职岗位 50%、各专班 60%），超过100%") {
			t.Errorf("two task forces: %+v %v", m, w)
		}
		list, err := fx.s.List(ctx, fx.town())
		if err != nil {
			t.Fatal(err)
		}
		if f := taskforce.FiguresOf(list); f.Overloaded != 2 {
			t.Errorf("figures = %+v (干部乙 is over in both task forces)", f)
		}
		// The county sets the own post's share lower: 30 + 30 + 20 = 80 %.
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			return settings.Set(ctx, tx, access.System, taskforce.SettingOwnPostShare, "20")
		}); err != nil {
			t.Fatal(err)
		}
		if m, w := member(b, part); m.OwnPost != 20 || m.TotalShare != 80 || len(w) != 0 {
			t.Errorf("own post 20 %%: %+v %v", m, w)
		}
	})
}

// TestInboxLikeAUnit: the task force's inbox shows each case with its lead
// unit and handling deadline; an open case past its deadline is overdue,
// warns and is counted; a closed one is neither open nor overdue.
func TestInboxLikeAUnit(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		fx := newFixture(t, db)
		lead := fx.Person("镇长甲", "350722101000", "cadre", "")
		id, err := fx.s.Create(ctx, fx.town(), taskforce.Input{UnitCode: "350722101000", Name: "征迁专班", Task: "征迁", LeadID: lead,
			StartDay: "2026-03-01", TargetDay: "2026-12-01", EndDay: "2026-12-31"})
		if err != nil {
			t.Fatal(err)
		}
		no, err := fx.s.GiveCase(ctx, fx.town(), id, "三户未签约", "")
		if err != nil {
			t.Fatal(err)
		}
		d, err := fx.s.Get(ctx, fx.town(), id)
		if err != nil || len(d.Inbox) != 1 || d.Inbox[0].Closed || d.Inbox[0].Overdue || d.OpenItems != 1 || d.OverdueItems != 0 {
			t.Fatalf("new case: %+v, %v", d, err)
		}
		// The lead unit's deadline passes (the engine sets it at dispatch).
		past := store.Millis(fx.Now.Add(-48 * time.Hour))
		if _, err := db.Exec(ctx, `UPDATE cases SET handle_due_at = ?, lead_unit_id = (SELECT id FROM units WHERE code = '350722D002') WHERE no = ?`, past, no); err != nil {
			t.Fatal(err)
		}
		d, _ = fx.s.Get(ctx, fx.town(), id)
		it := d.Inbox[0]
		if !it.Overdue || it.Lead != "县住房和城乡建设局" || it.Due != fx.Now.Add(-48*time.Hour).In(time.FixedZone("CST", 8*3600)).Format(time.DateOnly) ||
			d.OverdueItems != 1 || !strings.Contains(strings.Join(d.Warnings, "\n"), "1件工单已超过办理期限") {
			t.Errorf("overdue: %+v %v", it, d.Warnings)
		}
		list, _ := fx.s.List(ctx, fx.town())
		if f := taskforce.FiguresOf(list); f.OpenItems != 1 || f.OverdueItems != 1 || f.WithWarnings != 1 {
			t.Errorf("figures = %+v", f)
		}
		if _, err := db.Exec(ctx, `UPDATE cases SET closed_at = ? WHERE no = ?`, store.Millis(fx.Now), no); err != nil {
			t.Fatal(err)
		}
		d, _ = fx.s.Get(ctx, fx.town(), id)
		if !d.Inbox[0].Closed || d.Inbox[0].Overdue || d.OpenItems != 0 || d.OverdueItems != 0 || len(d.Warnings) != 0 {
			t.Errorf("closed: %+v %v", d.Inbox[0], d.Warnings)
		}
	})
}

func TestCheckSetting(t *testing.T) {
	for v, ok := range map[string]bool{"0": true, "50": true, "100": true, "101": false, "-1": false, "half": false, "": false} {
		if err := taskforce.CheckSetting(taskforce.SettingOwnPostShare, v); (err == nil) != ok {
			t.Errorf("%q: %v", v, err)
		}
	}
	if err := taskforce.CheckSetting("casework.other", "x"); err != nil {
		t.Errorf("another key: %v", err)
	}
}
