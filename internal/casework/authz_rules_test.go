package casework

import (
	"context"
	"errors"
	"testing"

	"grassroots/internal/access"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// The rules of issue 12: who may open a case, act on a part, and judge a
// whistle. Each test takes the attack the issue describes and expects it
// refused, and the rightful party served.

func (fx *engFixture) createErr(actor access.Actor, in NewCase, kind error) {
	fx.t.Helper()
	_, _, err := fx.s.Create(context.Background(), actor, in)
	if !errors.Is(err, kind) {
		fx.t.Fatalf("create %q as %s: got %v, want %v", in.Title, actor.UnitCode, err, kind)
	}
	if _, ok := store.UserMessage(err); !ok {
		fx.t.Errorf("create %q: refusal carries no message for the user: %v", in.Title, err)
	}
}

func (fx *engFixture) setting(key, value string) {
	fx.t.Helper()
	if _, err := fx.db.Exec(context.Background(), `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, 0)`, key, value); err != nil {
		fx.t.Fatal(err)
	}
}

// Point 1: a 12345 case is taken by the call centre (the county level, or
// the units the setting names), county administrators, the exchanges and
// residents — not by township, community or grid staff.
func TestHotlineIntakeIsTheCallCentres(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newEngine(t, db)
		ctx := context.Background()
		in := hotline("外乡镇代填")
		in.PlaceUnit, in.Dispatch = "350722101200", "350722101000"
		for _, a := range []access.Actor{
			fx.actor(11, "350722001000", access.RoleTownship),
			fx.actor(12, "350722001000", access.RoleAdmin),
			fx.actor(13, "350722001001", access.RoleCommunity),
			fx.actor(14, "350722001001G01", access.RoleGrid),
			fx.actor(15, "350722D003", access.RoleDepartment),
		} {
			fx.createErr(a, in, store.ErrForbidden)
		}
		if n := fx.count(`SELECT COUNT(*) FROM cases`); n != 0 {
			t.Fatalf("%d cases taken in by refused openers", n)
		}
		// The call-taker at the county, a county administrator, the system
		// (exchanges) and a resident on the portal.
		fx.create(fx.actor(1, "350722000000"), hotline("来电"))
		fx.create(fx.actor(2, "350722000000", access.RoleAdmin), hotline("管理员代录"))
		fx.create(access.System, hotline("省平台"))
		res := hotline("门户")
		res.ReporterPhone = "13900001111"
		if _, _, err := fx.s.Create(ctx, access.Actor{}, res); err != nil {
			t.Fatalf("portal intake: %v", err)
		}
		// The county names its 12345 centre (a unit of its own) and the
		// roles that take calls there.
		fx.addUnit("350722D020", "县12345便民服务中心", "department", "350722000000")
		fx.setting("casework.call_centre.units", "350722D020")
		fx.setting("casework.call_centre.roles", "department")
		fx.create(fx.actor(20, "350722D020", access.RoleDepartment), hotline("服务中心来电"))
		fx.createErr(fx.actor(21, "350722D020", access.RoleCommunity), hotline("角色不符"), store.ErrForbidden)
		fx.createErr(fx.actor(1, "350722000000"), hotline("县级非中心"), store.ErrForbidden)
	})
}

// Point 1: revisit, close and reopen belong to the call centre that
// received the case — also for a resident's portal case (no opening unit),
// and never to an administrator of a township.
func TestHotlineRevisitIsTheCallCentres(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newEngine(t, db)
		ctx := context.Background()
		fx.addUnit("350722D020", "县12345便民服务中心", "department", "350722000000")
		fx.setting("casework.call_centre.units", "350722D020")
		centre := fx.actor(20, "350722D020", access.RoleDepartment)
		townB := fx.actor(30, "350722101000", access.RoleTownship)
		townAAdmin := fx.actor(31, "350722001000", access.RoleAdmin)
		in := hotline("门户诉求")
		in.PlaceUnit = "350722101200"
		c, _, err := fx.s.Create(ctx, access.Actor{}, in)
		if err != nil {
			t.Fatal(err)
		}
		fx.do(centre, c.No, Action{Name: "dispatch", UnitCode: "350722101000"})
		fx.do(townB, c.No, Action{Name: "sign"})
		fx.do(townB, c.No, Action{Name: "answer", Note: "已修复"})
		unsatisfied := Action{Name: "revisit", Resolved: ptrFalse(), Satisfaction: Unsatisfied, Note: "未解决"}
		fx.refused(townAAdmin, c.No, unsatisfied, store.ErrNotFound)
		fx.refused(townB, c.No, unsatisfied, store.ErrForbidden)
		fx.do(centre, c.No, unsatisfied)
		fx.refused(townB, c.No, Action{Name: "close", Note: "结案"}, store.ErrForbidden)
		fx.refused(townB, c.No, Action{Name: "reopen", Note: "重办"}, store.ErrForbidden)
		fx.do(centre, c.No, Action{Name: "reopen", Note: "重办"})
	})
}

// Point 1: grid events are opened inside the opener's own grid or subtree.
func TestGridEventIntakeIsScoped(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newEngine(t, db)
		fx.addUnit("350722101200G01", "某村第一网格", "grid", "350722101200")
		ev := func(place string, onSpot bool) NewCase {
			return NewCase{Flow: "grid_event", Category: "S06001", Title: "垃圾散落", PlaceUnit: place, OnSpot: onSpot, Note: "已清扫"}
		}
		grid := fx.actor(14, "350722001001G01", access.RoleGrid)
		community := fx.actor(13, "350722001001", access.RoleCommunity)
		townA := fx.actor(11, "350722001000", access.RoleTownship)
		fx.createErr(grid, ev("350722101200G01", true), store.ErrForbidden)
		fx.createErr(grid, ev("350722101200", false), store.ErrForbidden)
		fx.createErr(grid, ev("350722001001", false), store.ErrForbidden) // the community above the grid is not the grid's
		fx.createErr(community, ev("350722101200G01", false), store.ErrForbidden)
		fx.createErr(townA, ev("350722101200", false), store.ErrForbidden)
		if n := fx.count(`SELECT COUNT(*) FROM cases`); n != 0 {
			t.Fatalf("%d events taken in outside the opener's area", n)
		}
		if c := fx.create(grid, ev("350722001001G01", true)); c.Status != "closed" {
			t.Errorf("own grid's on-the-spot fix: %s", c.Status)
		}
		fx.create(grid, NewCase{Flow: "grid_event", Category: "S06001", Title: "本网格"}) // no place: the worker's grid
		fx.create(community, ev("350722001001G01", false))
		fx.create(townA, ev("350722001001", false))
		fx.create(fx.actor(2, "350722000000", access.RoleAdmin), ev("350722101200G01", false))
	})
}

// Point 2: the assigned unit's own staff sign, answer, return and ask for
// an extension; staff of the units below it do not act in its name.
func TestAssignmentIsActedOnByItsOwnUnit(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newEngine(t, db)
		taker := fx.actor(1, "350722000000")
		townA := fx.actor(11, "350722001000", access.RoleTownship)
		community := fx.actor(13, "350722001001", access.RoleCommunity)
		grid := fx.actor(14, "350722001001G01", access.RoleGrid)
		in := hotline("路灯")
		in.Dispatch = "350722001000"
		var c Case
		in.PlaceUnit = "350722001001G01" // so that the grid worker sees the case
		c = fx.create(taker, in)
		for _, a := range []access.Actor{community, grid} {
			fx.refused(a, c.No, Action{Name: "sign"}, store.ErrForbidden)
			fx.refused(a, c.No, Action{Name: "return", Note: "非本单位"}, store.ErrForbidden)
		}
		fx.do(townA, c.No, Action{Name: "sign"})
		for _, a := range []access.Actor{community, grid} {
			fx.refused(a, c.No, Action{Name: "request_extension", Note: "需采购", Days: 3}, store.ErrForbidden)
			fx.refused(a, c.No, Action{Name: "answer", Note: "已修"}, store.ErrForbidden)
			fx.refused(a, c.No, Action{Name: "add_supporting", UnitCode: "350722D003"}, store.ErrForbidden)
		}
		fx.do(townA, c.No, Action{Name: "add_supporting", UnitCode: "350722001001"})
		// The community, asked to help, works its own supporting part.
		fx.do(community, c.No, Action{Name: "sign_support"})
		fx.do(townA, c.No, Action{Name: "request_extension", Note: "需采购", Days: 3})
		fx.do(townA, c.No, Action{Name: "answer", Note: "已修复"})
		d := fx.detail(c.No)
		// The reveal rule's lead unit and the action rule's agree.
		for _, a := range []access.Actor{townA, community, grid} {
			if got, want := LeadStaff(a, &d), a.UnitCode == "350722001000"; got != want {
				t.Errorf("LeadStaff(%s) = %v, want %v", a.UnitCode, got, want)
			}
		}
	})
}

// Point 3: a summoned party cannot cancel the whistle or judge its own
// result; the whistler does both.
func TestSummonedPartyCannotJudgeTheWhistle(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newEngine(t, db)
		street := fx.actor(10, "350722001000", access.RoleTownship)
		community := fx.actor(13, "350722001001", access.RoleCommunity)
		grid := fx.actor(14, "350722001001G01", access.RoleGrid)
		c := fx.create(street, NewCase{Flow: "whistle", Kind: WhistleStreet, Title: "燃气泄漏", PlaceUnit: "350722001001G01",
			Summon: []string{"350722001001", "350722D002"}})
		fx.refused(community, c.No, Action{Name: "cancel", Note: "撤哨"}, store.ErrForbidden)
		fx.refused(grid, c.No, Action{Name: "cancel", Note: "撤哨"}, store.ErrForbidden)
		fx.refused(community, c.No, Action{Name: "summon", UnitCodes: []string{"350722D003"}}, store.ErrForbidden)
		d := fx.detail(c.No)
		var mine Assignment
		for _, a := range d.Assignments {
			if a.UnitCode == "350722001001" {
				mine = a
			}
		}
		fx.do(community, c.No, Action{Name: "report_in", AssignmentID: mine.ID})
		fx.refused(grid, c.No, Action{Name: "report_result", AssignmentID: mine.ID, Note: "已处置"}, store.ErrForbidden)
		fx.do(community, c.No, Action{Name: "report_result", AssignmentID: mine.ID, Note: "已处置"})
		fx.refused(community, c.No, Action{Name: "accept_result", AssignmentID: mine.ID, Rating: 5, Note: "社区自评"}, store.ErrForbidden)
		fx.refused(community, c.No, Action{Name: "reject_result", AssignmentID: mine.ID, Note: "x"}, store.ErrForbidden)
		fx.do(street, c.No, Action{Name: "accept_result", AssignmentID: mine.ID, Rating: 4})
		fx.do(street, c.No, Action{Name: "cancel", Note: "撤哨"})
	})
}
