package civility_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/casework"
	"grassroots/internal/casework/casetest"
	"grassroots/internal/civility"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
	"grassroots/internal/volunteer"
)

const (
	county    = "350722000000"
	street    = "350722001000"
	community = "350722001001"
	grid      = "350722001001G01"
	township  = "350722101000"
	village   = "350722101200"
)

type fixture struct {
	t   *testing.T
	c   *casetest.County
	s   *civility.Service
	ctx context.Context
	// resident lives in 仙楼社区; gridWorker, reviewer1, reviewer2 and
	// decider are staff.
	resident                                         int64
	gridWorker, reviewer1, reviewer2, decider, other access.Actor
}

func newFixture(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	c := casetest.New(t, db)
	fx := &fixture{t: t, c: c, ctx: context.Background()}
	fx.s = civility.New(db, c.Cases)
	fx.s.UseClock(func() time.Time { return c.Now })
	fx.resident = c.Person("居民甲", community, "resident", "")
	fx.gridWorker = c.Actor(10, grid, access.RoleGrid)
	fx.reviewer1 = c.Actor(11, community, access.RoleCommunity)
	fx.reviewer2 = c.Actor(12, street, access.RoleTownship)
	fx.decider = c.Actor(13, street, access.RoleTownship)
	fx.other = c.Actor(14, township, access.RoleTownship)
	if _, err := civility.SeedDemoCatalogue(fx.ctx, db, c.Now); err != nil {
		t.Fatal(err)
	}
	return fx
}

func kindOf(err error) error {
	for _, k := range []error{store.ErrInvalid, store.ErrForbidden, store.ErrConflict, store.ErrNotFound} {
		if errors.Is(err, k) {
			return k
		}
	}
	return nil
}

func (fx *fixture) count(q string, args ...any) int {
	fx.t.Helper()
	var n int
	if err := fx.c.DB.QueryRow(fx.ctx, q, args...).Scan(&n); err != nil {
		fx.t.Fatal(err)
	}
	return n
}

func (fx *fixture) uncivil() civility.Entry {
	fx.t.Helper()
	e, err := fx.s.Record(fx.ctx, fx.gridWorker, civility.NewEntry{ItemCode: "N-LITTER", PersonID: fx.resident, Source: civility.SourcePatrol,
		Place: "仙楼社区南门", OccurredAt: fx.c.Now.Add(-time.Hour), Evidence: "巡查照片两张，时间地点清楚"})
	if err != nil {
		fx.t.Fatal(err)
	}
	return e
}

// TestNegativeItemNeedsBasis: a negative item without a legal basis cannot
// be saved, and nothing is written; with a basis it is, as a new version.
func TestNegativeItemNeedsBasis(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newFixture(t, db)
		admin := fx.c.Admin()
		before := fx.count(`SELECT COUNT(*) FROM civility_items`)
		_, err := fx.s.SaveItem(fx.ctx, admin, civility.Item{Code: "N-NOISE", Name: "深夜喧哗", Kind: civility.Negative, Points: 5, ValidityDays: 365})
		if kindOf(err) != store.ErrInvalid || !strings.Contains(err.Error(), "依据") {
			t.Fatalf("negative item without basis: %v", err)
		}
		if n := fx.count(`SELECT COUNT(*) FROM civility_items`); n != before {
			t.Errorf("%d items after the refusal, want %d", n, before)
		}
		if _, err := fx.s.SaveItem(fx.ctx, fx.reviewer1, civility.Item{Code: "P-X", Name: "x", Kind: civility.Positive, Points: 1, ValidityDays: 1}); kindOf(err) != store.ErrForbidden {
			t.Errorf("community staff saved an item: %v", err)
		}
		it, err := fx.s.SaveItem(fx.ctx, admin, civility.Item{Code: "N-LITTER", Name: "乱扔垃圾", Kind: civility.Negative, Points: 3, ValidityDays: 180,
			BasisKind: civility.BasisRegulation, Basis: "《南平市文明行为促进条例》第二十三条"})
		if err != nil || it.Version != 2 {
			t.Fatalf("new version: %+v %v", it, err)
		}
		_, err = fx.s.SaveItem(fx.ctx, admin, civility.Item{Code: "N-RULE", Name: "违反村规", Kind: civility.Negative, Points: 1, ValidityDays: 30,
			BasisKind: civility.BasisVillageRule, Basis: "某村村规民约第五条"})
		if kindOf(err) != store.ErrInvalid {
			t.Errorf("village rule without assembly date: %v", err)
		}
	})
}

// TestTwoReviewersAppealWindowAndAppeal walks the negative entry: one
// reviewer cannot approve it twice, nor the recorder; two approve it; it
// cannot take effect inside the window; the person appeals with their card;
// a reviewer of the entry cannot decide the appeal, a third person does.
func TestTwoReviewersAppealWindowAndAppeal(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newFixture(t, db)
		card, err := fx.s.IssueCard(fx.ctx, fx.reviewer1, fx.resident, "246810", true)
		if err != nil {
			t.Fatal(err)
		}
		e := fx.uncivil()
		if e.Status != civility.StatusRecorded {
			t.Fatalf("status %s", e.Status)
		}
		if _, err := fx.s.Review(fx.ctx, fx.gridWorker, e.ID, true, ""); kindOf(err) != store.ErrForbidden {
			t.Errorf("grid worker reviewed: %v", err)
		}
		if _, err := fx.s.Review(fx.ctx, fx.reviewer1, e.ID, true, "属实"); err != nil {
			t.Fatal(err)
		}
		// The single-reviewer refusal: the same person again.
		reviews := fx.count(`SELECT COUNT(*) FROM civility_reviews`)
		if _, err := fx.s.Review(fx.ctx, fx.reviewer1, e.ID, true, "再次"); kindOf(err) != store.ErrForbidden {
			t.Fatalf("one reviewer approved twice: %v", err)
		}
		if got, _ := fx.s.Entry(fx.ctx, fx.reviewer1, e.ID); got.Status != civility.StatusReviewed || fx.count(`SELECT COUNT(*) FROM civility_reviews`) != reviews {
			t.Fatalf("after the refused second review: %s", got.Status)
		}
		e, err = fx.s.Review(fx.ctx, fx.reviewer2, e.ID, true, "证据充分")
		if err != nil || e.Status != civility.StatusNoticed || e.NoticeNo == "" {
			t.Fatalf("second review: %+v %v", e.Status, err)
		}
		if d := e.WindowEndsAt.Sub(e.NoticedAt); d != 15*24*time.Hour {
			t.Errorf("window %v, want 15 days", d)
		}
		// Taking effect inside the window is refused, by hand or by Settle.
		fx.c.Now = fx.c.Now.Add(14 * 24 * time.Hour)
		if _, err := fx.s.MakeEffective(fx.ctx, fx.reviewer2, e.ID); kindOf(err) != store.ErrConflict {
			t.Fatalf("effect inside the window: %v", err)
		}
		if n, _, err := fx.s.Settle(fx.ctx); err != nil || n != 0 {
			t.Fatalf("settle inside the window: %d %v", n, err)
		}
		// The person reads the notice and appeals on the portal.
		acct, err := fx.s.Portal(fx.ctx, card, "246810")
		if err != nil || len(acct.Entries) != 1 || acct.Entries[0].NoticeNo != e.NoticeNo {
			t.Fatalf("portal: %+v %v", acct.Entries, err)
		}
		if _, err := fx.s.Portal(fx.ctx, card, "000000"); kindOf(err) != store.ErrForbidden {
			t.Errorf("wrong PIN: %v", err)
		}
		e, err = fx.s.AppealByCard(fx.ctx, card, "246810", e.ID, "当时是在捡垃圾，不是扔垃圾")
		if err != nil || e.Status != civility.StatusAppealed || e.AppealCaseNo == "" {
			t.Fatalf("appeal: %+v %v", e, err)
		}
		fx.c.Now = fx.c.Now.Add(2 * 24 * time.Hour)
		if _, err := fx.s.MakeEffective(fx.ctx, fx.reviewer2, e.ID); kindOf(err) != store.ErrConflict {
			t.Fatalf("effect during the appeal: %v", err)
		}
		// A reviewer of the entry may not decide the appeal.
		if _, err := fx.c.Cases.Do(fx.ctx, fx.reviewer2, e.AppealCaseNo, casework.Action{Name: "uphold", Note: "维持"}); kindOf(err) != store.ErrForbidden {
			t.Fatalf("reviewer decided the appeal: %v", err)
		}
		if got, _ := fx.s.Entry(fx.ctx, fx.reviewer1, e.ID); got.Status != civility.StatusAppealed {
			t.Fatalf("after the refused decision: %s", got.Status)
		}
		if _, err := fx.c.Cases.Do(fx.ctx, fx.decider, e.AppealCaseNo, casework.Action{Name: "withdraw", Note: "照片显示当事人在清理垃圾"}); err != nil {
			t.Fatal(err)
		}
		got, _ := fx.s.Entry(fx.ctx, fx.reviewer1, e.ID)
		if got.Status != civility.StatusWithdrawn || got.AppealStatus != "withdrawn" {
			t.Fatalf("after withdraw: %s / %s", got.Status, got.AppealStatus)
		}
	})
}

// TestUpheldTakesEffectAfterWindow: without an appeal the entry takes
// effect when the window closes (Settle), and a negative entry credits or
// debits no points.
func TestUpheldTakesEffectAfterWindow(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newFixture(t, db)
		e := fx.uncivil()
		mustReview(t, fx, e.ID)
		fx.c.Now = fx.c.Now.Add(15*24*time.Hour + time.Minute)
		if n, _, err := fx.s.Settle(fx.ctx); err != nil || n != 1 {
			t.Fatalf("settle: %d %v", n, err)
		}
		got, _ := fx.s.Entry(fx.ctx, fx.reviewer1, e.ID)
		if got.Status != civility.StatusEffective {
			t.Fatalf("status %s", got.Status)
		}
		if _, err := fx.s.AppealByCard(fx.ctx, "JF0", "000000", e.ID, "x"); kindOf(err) != store.ErrForbidden {
			t.Errorf("appeal with no card: %v", err)
		}
		if _, err := fx.s.Appeal(fx.ctx, fx.reviewer1, e.ID, "过期申诉"); kindOf(err) != store.ErrConflict {
			t.Errorf("appeal after the window: %v", err)
		}
		// Expiry at the end of validity.
		fx.c.Now = fx.c.Now.Add(181 * 24 * time.Hour)
		if _, n, err := fx.s.Settle(fx.ctx); err != nil || n != 1 {
			t.Fatalf("expire: %d %v", n, err)
		}
	})
}

func mustReview(t *testing.T, fx *fixture, id int64) {
	t.Helper()
	if _, err := fx.s.Review(fx.ctx, fx.reviewer1, id, true, "属实"); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.s.Review(fx.ctx, fx.reviewer2, id, true, "属实"); err != nil {
		t.Fatal(err)
	}
}

// TestPointsStore: verified volunteer hours earn points (with consent
// only), a redemption within balance and stock succeeds, beyond the
// balance or the stock is refused and writes nothing, and the balances are
// always the sums of the movements.
func TestPointsStore(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newFixture(t, db)
		vol := volunteer.New(db)
		vol.UseClock(func() time.Time { return fx.c.Now })
		card, err := fx.s.IssueCard(fx.ctx, fx.reviewer1, fx.resident, "135790", true)
		if err != nil {
			t.Fatal(err)
		}
		noConsent := fx.c.Person("居民乙", community, "resident", "")
		if _, err := fx.s.IssueCard(fx.ctx, fx.reviewer1, noConsent, "135790", false); err != nil {
			t.Fatal(err)
		}
		served := func(person int64, hours int) int64 {
			var id int64
			err := db.InTx(fx.ctx, func(tx *store.Tx) error {
				var vid int64
				if err := tx.QueryRow(fx.ctx, `INSERT INTO volunteers (person_id, volunteer_no, unit_id, created_at) VALUES (?, ?, ?, 0)
					ON CONFLICT (person_id) DO UPDATE SET unit_id = excluded.unit_id RETURNING id`,
					person, volunteer.Number(person), fx.c.Unit(community).ID).Scan(&vid); err != nil {
					return err
				}
				return tx.QueryRow(fx.ctx, `INSERT INTO volunteer_entries (volunteer_id, layer, status, source, started_at, ended_at, minutes, activity_minutes,
					place, content, org_unit_id, org_path, recorder, counts, created_at) VALUES (?, 'verified', 'approved', 'manual', ?, ?, ?, ?, '仙楼社区', '清理楼道', ?, ?, '社区', 1, 0) RETURNING id`,
					vid, store.Millis(fx.c.Now.Add(-3*time.Hour)), store.Millis(fx.c.Now), hours*60, hours*60, fx.c.Unit(community).ID, fx.c.Unit(community).Path).Scan(&id)
			})
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		e, err := fx.s.FromVolunteerEntry(fx.ctx, fx.reviewer1, served(fx.resident, 3), "")
		if err != nil || e.Status != civility.StatusEffective || e.Points != 30 {
			t.Fatalf("from volunteer hours: %+v %v", e, err)
		}
		if _, err := fx.s.FromVolunteerEntry(fx.ctx, fx.reviewer1, served(noConsent, 3), ""); err != nil {
			t.Fatal(err)
		}
		acct, err := fx.s.AccountByCard(fx.ctx, fx.reviewer1, card)
		if err != nil || acct.Balance != 30 {
			t.Fatalf("balance %d %v", acct.Balance, err)
		}
		var noBalance int
		if err := db.QueryRow(fx.ctx, `SELECT COALESCE(SUM(balance), 0) FROM civility_accounts WHERE person_id = ?`, noConsent).Scan(&noBalance); err != nil || noBalance != 0 {
			t.Errorf("points credited without consent: %d %v", noBalance, err)
		}
		st, err := fx.s.AddStore(fx.ctx, fx.reviewer1, "仙楼社区积分超市", fx.c.Unit(community).ID, false)
		if err != nil {
			t.Fatal(err)
		}
		soap, err := fx.s.AddGoods(fx.ctx, fx.reviewer1, st, "肥皂", 10, 2)
		if err != nil {
			t.Fatal(err)
		}
		oil, err := fx.s.AddGoods(fx.ctx, fx.reviewer1, st, "食用油", 50, 5)
		if err != nil {
			t.Fatal(err)
		}
		snapshot := func() [3]int {
			return [3]int{fx.count(`SELECT COUNT(*) FROM civility_movements`), fx.count(`SELECT COUNT(*) FROM civility_redemptions`),
				fx.count(`SELECT COALESCE(SUM(stock), 0) FROM civility_goods`)}
		}
		before := snapshot()
		if _, err := fx.s.Redeem(fx.ctx, fx.reviewer1, st, oil, card, 1); kindOf(err) != store.ErrInvalid || !strings.Contains(err.Error(), "余额不足") {
			t.Fatalf("redemption beyond the balance: %v", err)
		}
		if _, err := fx.s.Redeem(fx.ctx, fx.reviewer1, st, soap, card, 3); kindOf(err) != store.ErrInvalid || !strings.Contains(err.Error(), "库存") {
			t.Fatalf("redemption beyond the stock: %v", err)
		}
		if after := snapshot(); after != before {
			t.Fatalf("refused redemptions wrote: %v → %v", before, after)
		}
		if _, err := fx.s.Redeem(fx.ctx, fx.other, st, soap, card, 1); kindOf(err) != store.ErrForbidden {
			t.Errorf("another township's clerk redeemed: %v", err)
		}
		r, err := fx.s.Redeem(fx.ctx, fx.reviewer1, st, soap, card, 2)
		if err != nil || r.Balance != 10 {
			t.Fatalf("redeem: %+v %v", r, err)
		}
		if problems, err := fx.s.LedgerCheck(fx.ctx); err != nil || len(problems) != 0 {
			t.Fatalf("ledger: %+v %v", problems, err)
		}
		var balances, movements int64
		if err := db.QueryRow(fx.ctx, `SELECT SUM(balance) FROM civility_accounts`).Scan(&balances); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRow(fx.ctx, `SELECT SUM(amount) FROM civility_movements`).Scan(&movements); err != nil {
			t.Fatal(err)
		}
		if balances != 0 || movements != 0 {
			t.Errorf("double entry: balances sum %d, movements sum %d", balances, movements)
		}
		m, err := fx.s.Monthly(fx.ctx, fx.reviewer1)
		if err != nil || len(m) != 1 || m[0].Points != 20 || m[0].GoodsOut != 2 || m[0].StockIn != 7 {
			t.Fatalf("monthly: %+v %v", m, err)
		}
		f, err := fx.s.Figures(fx.ctx, fx.c.Admin(), "township")
		if err != nil || len(f.Rows) != 1 || f.Rows[0].Place != "南浦街道" || f.Rows[0].Entries != 2 {
			t.Fatalf("figures: %+v %v", f.Rows, err)
		}
		if _, err := fx.s.Entries(fx.ctx, fx.c.Admin(), civility.Filter{}); kindOf(err) != store.ErrForbidden {
			t.Errorf("county admin listed people's entries: %v", err)
		}
	})
}

// TestLeaderRegisteredInOneStep: a building leader becomes a volunteer
// from their person record; a resident is refused.
func TestLeaderRegisteredInOneStep(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newFixture(t, db)
		vol := volunteer.New(db)
		leader := fx.c.Person("楼栋长丙", community, "building_leader", "")
		v, err := vol.RegisterLeader(fx.ctx, fx.reviewer1, leader)
		if err != nil || v.No != volunteer.Number(leader) {
			t.Fatalf("register: %+v %v", v, err)
		}
		if _, err := vol.RegisterLeader(fx.ctx, fx.reviewer1, fx.resident); kindOf(err) != store.ErrInvalid {
			t.Errorf("resident registered as leader: %v", err)
		}
		if _, err := vol.RegisterLeader(fx.ctx, fx.other, leader); kindOf(err) != store.ErrForbidden {
			t.Errorf("another township registered: %v", err)
		}
	})
}
