package pairing_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/casework/casetest"
	"grassroots/internal/pairing"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

type fixture struct {
	*casetest.County
	s     *pairing.Service
	cadre int64
}

func newFixture(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	c := casetest.New(t, db)
	c.AddUnit("350722D019", "县委组织部", "department", "350722000000")
	fx := &fixture{County: c, s: pairing.New(db, c.Cases)}
	fx.s.UseClock(func() time.Time { return c.Now })
	fx.cadre = c.Person("住建局党支部书记", "350722D002", "cadre", "")
	return fx
}

func (fx *fixture) orgDept() access.Actor { return fx.Actor(40, "350722D019", access.RoleDepartment) }
func (fx *fixture) organ() access.Actor   { return fx.Actor(41, "350722D002", access.RoleDepartment) }

func (fx *fixture) pair(t *testing.T) int64 {
	t.Helper()
	id, err := fx.s.Pair(context.Background(), fx.orgDept(), pairing.Input{OrgCode: "350722D002", CadreID: fx.cadre, VillageCode: "350722101200",
		StartDay: "2025-01-01", EndDay: "2027-12-31"})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestChainFromVisitToIncome(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		fx := newFixture(t, db)
		pid := fx.pair(t)
		organ := fx.organ()
		vid, err := fx.s.Visit(ctx, organ, pid, pairing.VisitInput{Day: "2026-03-02", Visitors: "书记、驻村干部",
			Finding: "村里茶园荒废三百亩\n缺少加工厂房\n村民愿意入股"})
		if err != nil {
			t.Fatal(err)
		}
		prj, err := fx.s.AddProject(ctx, organ, pid, pairing.ProjectInput{VisitID: vid, Kind: "加工", Name: "茶叶初制所",
			PartnerKind: "cooperative", PartnerName: "某村茶叶专业合作社", Stage: pairing.StageStarted})
		if err != nil {
			t.Fatal(err)
		}
		fund, err := fx.s.AddFund(ctx, organ, prj, pairing.FundInput{Source: "省级乡村振兴资金", Amount: 300000, Day: "2026-04-01"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fx.s.AddFund(ctx, organ, prj, pairing.FundInput{Source: "县级配套", Amount: 50000, Day: "2026-04-01"}); err != nil {
			t.Fatal(err)
		}
		if st, err := fx.s.AdvanceFund(ctx, organ, fund, "2026-05-10"); err != nil || st != pairing.FundInPlace {
			t.Fatalf("advance = %s, %v", st, err)
		}
		town := fx.Actor(42, "350722101000", access.RoleTownship)
		if err := fx.s.RecordIncome(ctx, town, "350722101200", 2025, 80000); err != nil {
			t.Fatal(err)
		}
		if err := fx.s.RecordIncome(ctx, town, "350722101200", 2026, 120000); err != nil {
			t.Fatal(err)
		}
		if err := fx.s.RecordIncome(ctx, town, "350722101200", 2026, 1); !errors.Is(err, store.ErrConflict) {
			t.Errorf("second 2026 income: %v", err)
		}
		no, err := fx.s.VisitToCase(ctx, organ, vid)
		if err != nil || no == "" {
			t.Fatalf("visit to case = %q, %v", no, err)
		}
		if again, _ := fx.s.VisitToCase(ctx, organ, vid); again != no {
			t.Errorf("second case = %s, want %s", again, no)
		}
		d, err := fx.Cases.Get(ctx, fx.Admin(), no)
		if err != nil || d.Case.PlaceCode != "350722101200" {
			t.Errorf("case = %+v, %v", d.Case, err)
		}
		c, err := fx.s.Chain(ctx, town, pid)
		if err != nil {
			t.Fatal(err)
		}
		if c.Visits != 1 || c.Projects != 1 || c.Sought != 350000 || c.InPlace != 300000 || !c.Rising || c.Latest.Change != 40000 ||
			len(c.VisitList[0].Finding) != 3 || c.VisitList[0].CaseNo != no || len(c.VisitList[0].Projects) != 1 ||
			c.ProjectList[0].PartnerName != "某村茶叶专业合作社" {
			t.Errorf("chain = %+v", c)
		}
		rows, err := fx.s.List(ctx, fx.orgDept())
		if err != nil {
			t.Fatal(err)
		}
		a := pairing.FiguresOf(rows)
		if a.County.Cadres != 1 || a.County.Visits != 1 || a.County.Projects != 1 || a.County.InPlace != 300000 || a.County.Rising != 1 ||
			len(a.Townships) != 1 || a.Townships[0].Name != "富岭镇" {
			t.Errorf("figures = %+v", a)
		}

		// Bad input, nothing written.
		for _, in := range []pairing.VisitInput{
			{Day: "2026-03-02", Visitors: "x", Finding: "一\n二\n三\n四"},
			{Day: "2026-03-02", Visitors: "x", Finding: ""},
			{Day: "2026-13-02", Visitors: "x", Finding: "一"},
			{Day: "2027-01-01", Visitors: "x", Finding: "一"},
			{Day: "2026-03-02", Finding: "一"},
		} {
			if _, err := fx.s.Visit(ctx, organ, pid, in); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("%+v: %v", in, err)
			}
		}
		if _, err := fx.s.AddFund(ctx, organ, prj, pairing.FundInput{Source: "x", Amount: -1}); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("negative fund: %v", err)
		}
		if _, err := fx.s.AddProject(ctx, organ, pid, pairing.ProjectInput{Kind: "挖矿", Name: "x"}); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("bad kind: %v", err)
		}
		if c, _ := fx.s.Chain(ctx, town, pid); c.Visits != 1 {
			t.Errorf("visits after refusals = %d", c.Visits)
		}
	})
}

// TestWhoMayWrite walks docs/AUTHORIZATION.md's pairing rows.
func TestWhoMayWrite(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		fx := newFixture(t, db)
		pid := fx.pair(t)
		rows := []struct {
			name                      string
			actor                     access.Actor
			pair, visit, income, read bool
		}{
			{"organisation department", fx.orgDept(), true, true, true, true},
			{"the pairing organ's staff", fx.organ(), false, true, false, true},
			{"another department", fx.Department(), false, false, false, true},
			{"township of the village", fx.Actor(43, "350722101000", access.RoleTownship), false, false, true, true},
			{"the village itself", fx.Actor(44, "350722101200", access.RoleCommunity), false, false, false, true},
			{"another township", fx.Actor(45, "350722001000", access.RoleTownship), false, false, false, false},
			{"supervisor", fx.Actor(46, "350722000000", access.RoleSupervisor), false, false, false, true},
			{"county administrator", fx.Admin(), true, true, true, true},
		}
		for i, r := range rows {
			t.Run(r.name, func(t *testing.T) {
				_, err := fx.s.Pair(ctx, r.actor, pairing.Input{OrgCode: "350722D003", CadreID: fx.cadre, VillageCode: "350722101200",
					StartDay: "2025-0" + string(rune('1'+i)) + "-01", EndDay: "2027-12-31"})
				if r.pair != (err == nil) {
					t.Errorf("pair: %v", err)
				}
				_, err = fx.s.Visit(ctx, r.actor, pid, pairing.VisitInput{Day: "2026-03-02", Visitors: "x", Finding: "一"})
				if r.visit != (err == nil) {
					t.Errorf("visit: %v", err)
				}
				err = fx.s.RecordIncome(ctx, r.actor, "350722101200", 2010+i, 1000)
				if r.income != (err == nil) {
					t.Errorf("income: %v", err)
				}
				_, err = fx.s.Chain(ctx, r.actor, pid)
				if r.read != (err == nil) {
					t.Errorf("read: %v", err)
				}
			})
		}
	})
}
