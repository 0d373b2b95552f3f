package staffing_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/casework/casetest"
	"grassroots/internal/staffing"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

type fixture struct {
	*casetest.County
	s *staffing.Service
}

func newFixture(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	c := casetest.New(t, db)
	c.AddUnit("350722D001", "县委编办", "department", "350722000000")
	ctx := context.Background()
	var mod int64
	if err := db.QueryRow(ctx, `INSERT INTO unit_modules (unit_id, name, sort) VALUES (?, '大协调', 1) RETURNING id`, c.Unit("350722101000").ID).Scan(&mod); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, `INSERT INTO institutions (unit_id, module_id, kind, name, sort) VALUES (?, ?, 'office', '党政综合办公室', 1)`, c.Unit("350722101000").ID, mod); err != nil {
		t.Fatal(err)
	}
	s := staffing.New(db)
	s.UseClock(func() time.Time { return c.Now })
	return &fixture{County: c, s: s}
}

func (fx *fixture) bianban() access.Actor { return fx.Actor(20, "350722D001", access.RoleDepartment) }

func mustID(t *testing.T) func(int64, error) int64 {
	return func(id int64, err error) int64 {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
}

func TestMovesChangeTheLedger(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		fx := newFixture(t, db)
		must := mustID(t)
		bb := fx.bianban()
		must(fx.s.Record(ctx, bb, staffing.Move{Kind: "approve", ToCode: "350722D002", Type: "career1", Count: 10, DocNo: "浦编〔2025〕1号", DocDay: "2025-01-10"}))
		must(fx.s.Record(ctx, bb, staffing.Move{Kind: "approve", ToCode: "350722101000", ToInstitution: "党政综合办公室", Type: "事业编制(公益一类)", Count: 3, DocNo: "浦编〔2025〕2号", DocDay: "2025-01-10"}))
		must(fx.s.Record(ctx, bb, staffing.Move{Kind: "approve", ToCode: "350722101000", Type: "leader", Count: 1, DocNo: "浦编〔2025〕2号", DocDay: "2025-01-10"}))
		person := fx.Person("王某", "350722101000", "cadre", "")
		must(fx.s.Fill(ctx, bb, staffing.PostInput{UnitCode: "350722101000", Institution: "党政综合办公室", Type: "career1", PersonID: person, Since: "2025-03-01"}))

		// 减县补乡: two posts from the department to the township.
		must(fx.s.Record(ctx, bb, staffing.Move{Kind: "transfer", FromCode: "350722D002", ToCode: "350722101000", ToInstitution: "党政综合办公室",
			Type: "career1", Count: 2, DocNo: "浦编〔2026〕7号", DocDay: "2026-06-01"}))
		l, err := fx.s.Ledger(ctx, bb)
		if err != nil {
			t.Fatal(err)
		}
		if got := l.Unit("350722101000").Of("career1"); got != (staffing.Counts{Approved: 5, Filled: 1, Vacant: 4}) {
			t.Errorf("township 事业一类 = %+v", got)
		}
		if got := l.Unit("350722D002").Of("career1"); got != (staffing.Counts{Approved: 8, Vacant: 8}) {
			t.Errorf("department 事业一类 = %+v", got)
		}
		if got := l.County.Total; got != (staffing.Counts{Approved: 13, Filled: 1, Vacant: 12}) {
			t.Errorf("county total = %+v", got)
		}
		hist, err := fx.s.History(ctx, bb, "350722101000", 0)
		if err != nil || len(hist) == 0 || hist[0].DocNo != "浦编〔2026〕7号" || hist[0].From.UnitCode != "350722D002" {
			t.Fatalf("history = %+v, %v", hist, err)
		}

		// Only vacant posts move, and nothing is half-written.
		_, err = fx.s.Record(ctx, bb, staffing.Move{Kind: "transfer", FromCode: "350722101000", FromInstitution: "党政综合办公室", ToCode: "350722D002",
			Type: "career1", Count: 5, DocNo: "x", DocDay: "2026-06-02"})
		if !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), "空编只有4名") {
			t.Errorf("moving filled posts: %v", err)
		}
		for _, m := range []staffing.Move{
			{Kind: "transfer", FromCode: "350722D002", ToCode: "350722101000", Type: "career1", Count: 1, DocDay: "2026-06-02"},
			{Kind: "transfer", FromCode: "350722D002", ToCode: "350722101000", Type: "nope", Count: 1, DocNo: "x", DocDay: "2026-06-02"},
			{Kind: "transfer", FromCode: "350722D002", ToCode: "350722101000", Type: "career1", Count: 0, DocNo: "x", DocDay: "2026-06-02"},
			{Kind: "loan", FromCode: "350722D002", ToCode: "350722101000", Type: "career1", Count: 1, DocNo: "x", DocDay: "2026-06-02"},
			{Kind: "transfer", FromCode: "350722101200", ToCode: "350722101000", Type: "career1", Count: 1, DocNo: "x", DocDay: "2026-06-02"},
		} {
			if _, err := fx.s.Record(ctx, bb, m); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("%+v: %v", m, err)
			}
		}

		// A loan (周转) and its return.
		loan := must(fx.s.Record(ctx, bb, staffing.Move{Kind: "loan", FromCode: "350722D002", ToCode: "350722101000", Type: "career1", Count: 1,
			DocNo: "浦编〔2026〕8号", DocDay: "2026-07-01", ReturnDay: "2026-10-01"}))
		l, _ = fx.s.Ledger(ctx, bb)
		if len(l.Loans) != 1 || !l.Loans[0].Overdue {
			t.Errorf("open loans = %+v", l.Loans)
		}
		must(fx.s.Return(ctx, bb, loan, "浦编〔2026〕9号", "2026-10-01"))
		if _, err := fx.s.Return(ctx, bb, loan, "浦编〔2026〕9号", "2026-10-01"); !errors.Is(err, store.ErrConflict) {
			t.Errorf("second return: %v", err)
		}
		l, _ = fx.s.Ledger(ctx, bb)
		if got := l.Unit("350722D002").Of("career1").Approved; got != 8 || len(l.Loans) != 0 {
			t.Errorf("after the return: %d, loans %+v", got, l.Loans)
		}

		// One person, one post; the person's page lists it.
		if _, err := fx.s.Fill(ctx, bb, staffing.PostInput{UnitCode: "350722D002", Type: "career1", PersonID: person}); !errors.Is(err, store.ErrConflict) {
			t.Errorf("second post: %v", err)
		}
		if posts, err := fx.s.Posts(ctx, bb, "", person); err != nil || len(posts) != 1 || posts[0].Body.Module != "大协调" {
			t.Errorf("person's posts = %+v, %v", posts, err)
		}
	})
}

// TestWhoMayWrite walks docs/AUTHORIZATION.md's staffing rows.
func TestWhoMayWrite(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		fx := newFixture(t, db)
		if _, err := fx.s.Record(ctx, fx.bianban(), staffing.Move{Kind: "approve", ToCode: "350722101000", Type: "admin", Count: 4, DocNo: "a", DocDay: "2025-01-01"}); err != nil {
			t.Fatal(err)
		}
		if _, err := fx.s.Record(ctx, fx.bianban(), staffing.Move{Kind: "approve", ToCode: "350722001000", Type: "admin", Count: 2, DocNo: "a", DocDay: "2025-01-01"}); err != nil {
			t.Fatal(err)
		}
		rows := []struct {
			name       string
			actor      access.Actor
			write      bool
			seesFuling bool
			seesNanpu  bool
		}{
			{"编办 staff", fx.bianban(), true, true, true},
			{"county administrator", fx.Admin(), true, true, true},
			{"township staff, own unit", fx.Actor(21, "350722101000", access.RoleTownship), false, true, false},
			{"township administrator", fx.Actor(22, "350722101000", access.RoleAdmin), false, true, false},
			{"another township", fx.Actor(23, "350722001000", access.RoleTownship), false, false, true},
			{"village below", fx.Actor(24, "350722101200", access.RoleCommunity), false, false, false},
			{"other department", fx.Department(), false, true, true},
			{"supervisor", fx.Actor(25, "350722000000", access.RoleSupervisor), false, true, true},
			{"anonymous", access.Actor{}, false, false, false},
		}
		for _, r := range rows {
			t.Run(r.name, func(t *testing.T) {
				_, err := fx.s.Record(ctx, r.actor, staffing.Move{Kind: "approve", ToCode: "350722101000", Type: "admin", Count: 1, DocNo: "b", DocDay: "2025-02-01"})
				if r.write != (err == nil) || (!r.write && !errors.Is(err, store.ErrForbidden)) {
					t.Errorf("write: %v, want allowed %v", err, r.write)
				}
				l, err := fx.s.Ledger(ctx, r.actor)
				if r.actor.Anonymous() {
					if !errors.Is(err, store.ErrForbidden) {
						t.Errorf("anonymous ledger: %v", err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if got := l.Unit("350722101000").Total.Approved > 0; got != r.seesFuling {
					t.Errorf("sees 富岭镇 = %v", got)
				}
				if got := l.Unit("350722001000").Total.Approved > 0; got != r.seesNanpu {
					t.Errorf("sees 南浦街道 = %v", got)
				}
			})
		}
	})
}
