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

// each runs test on a fresh fixture on each database, in parallel with
// the package's other tests.
func each(t *testing.T, test func(t *testing.T, fx *fixture)) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) { test(t, newFixture(t, db)) })
}

// shop opens 仙楼社区's store with soap at 10 points, stock in stock, and
// returns the store's and the soap's ids.
func (fx *fixture) shop(stock int) (storeID, soapID int64) {
	fx.t.Helper()
	st, err := fx.s.AddStore(fx.ctx, fx.reviewer1, "仙楼社区积分超市", fx.c.Unit(community).ID, false)
	if err != nil {
		fx.t.Fatal(err)
	}
	soap, err := fx.s.AddGoods(fx.ctx, fx.reviewer1, st, "肥皂", 10, stock)
	if err != nil {
		fx.t.Fatal(err)
	}
	return st, soap
}

// card issues person a points card at the community and returns its number.
func (fx *fixture) card(person int64, pin string, consent bool) string {
	fx.t.Helper()
	no, err := fx.s.IssueCard(fx.ctx, fx.reviewer1, person, pin, consent)
	if err != nil {
		fx.t.Fatal(err)
	}
	return no
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
	each(t, func(t *testing.T, fx *fixture) {
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
	each(t, func(t *testing.T, fx *fixture) {
		card := fx.card(fx.resident, "246810", true)
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
		e, err := fx.s.Review(fx.ctx, fx.reviewer2, e.ID, true, "证据充分")
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
	each(t, func(t *testing.T, fx *fixture) {
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

// served records hours of verified, approved volunteer service by person
// in 仙楼社区 and returns the service entry's id.
func (fx *fixture) served(person int64, hours int) int64 {
	fx.t.Helper()
	var id int64
	err := fx.c.DB.InTx(fx.ctx, func(tx *store.Tx) error {
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
		fx.t.Fatal(err)
	}
	return id
}

// balance is the person's points balance and the sum of their account's
// movements, which must be equal.
func (fx *fixture) balance(person int64) int64 {
	fx.t.Helper()
	var bal, sum int64
	if err := fx.c.DB.QueryRow(fx.ctx, `SELECT COALESCE(MAX(a.balance), 0), COALESCE(SUM(m.amount), 0) FROM civility_accounts a
		LEFT JOIN civility_movements m ON m.account_id = a.id WHERE a.person_id = ?`, person).Scan(&bal, &sum); err != nil {
		fx.t.Fatal(err)
	}
	if bal != sum {
		fx.t.Fatalf("person %d: balance %d, movements sum %d", person, bal, sum)
	}
	if problems, err := fx.s.LedgerCheck(fx.ctx); err != nil || len(problems) != 0 {
		fx.t.Fatalf("ledger: %+v %v", problems, err)
	}
	return bal
}

// TestConsentLater: positive entries of a person who has not consented are
// kept without points; consenting credits each of them once (a second
// consent credits nothing); withdrawing keeps the balance, which the
// person may still spend, and credits nothing new until consent is given
// again; the balance is always the sum of the movements.
func TestConsentLater(t *testing.T) {
	each(t, func(t *testing.T, fx *fixture) {
		// Collected before any card: kept, not scored.
		first, err := fx.s.FromVolunteerEntry(fx.ctx, fx.reviewer1, fx.served(fx.resident, 2), "")
		if err != nil || first.Status != civility.StatusEffective || first.Points != 20 {
			t.Fatalf("before the card: %+v %v", first, err)
		}
		card := fx.card(fx.resident, "135790", false)
		if _, err := fx.s.FromVolunteerEntry(fx.ctx, fx.reviewer1, fx.served(fx.resident, 1), ""); err != nil {
			t.Fatal(err)
		}
		if b := fx.balance(fx.resident); b != 0 {
			t.Fatalf("balance %d without consent, want 0", b)
		}
		acct, err := fx.s.Portal(fx.ctx, card, "135790")
		if err != nil || len(acct.Entries) != 2 || len(acct.Incentives) != 0 {
			t.Fatalf("portal without consent: %d entries, %d incentives, %v", len(acct.Entries), len(acct.Incentives), err)
		}
		// Consent: both entries credited, each by its own transfer.
		if err := fx.s.SetConsentByCard(fx.ctx, card, "135790", true); err != nil {
			t.Fatal(err)
		}
		if b := fx.balance(fx.resident); b != 30 {
			t.Fatalf("balance %d after consent, want 30", b)
		}
		if n := fx.count(`SELECT COUNT(*) FROM civility_transfers WHERE kind = 'earn' AND reason LIKE '%补记%'`); n != 2 {
			t.Errorf("%d back-credits, want 2", n)
		}
		// Consent again: nothing more.
		if err := fx.s.SetConsent(fx.ctx, fx.reviewer2, fx.resident, true); err != nil {
			t.Fatal(err)
		}
		if b := fx.balance(fx.resident); b != 30 {
			t.Fatalf("balance %d after a second consent, want 30", b)
		}
		if err := fx.s.SetConsent(fx.ctx, fx.other, fx.resident, false); kindOf(err) != store.ErrForbidden {
			t.Errorf("another township withdrew the consent: %v", err)
		}
		// Withdrawn: the balance stays and may be spent; nothing new.
		if err := fx.s.SetConsentByCard(fx.ctx, card, "135790", false); err != nil {
			t.Fatal(err)
		}
		if _, err := fx.s.FromVolunteerEntry(fx.ctx, fx.reviewer1, fx.served(fx.resident, 4), ""); err != nil {
			t.Fatal(err)
		}
		if b := fx.balance(fx.resident); b != 30 {
			t.Fatalf("balance %d after withdrawal and a new entry, want 30", b)
		}
		st, soap := fx.shop(5)
		if r, err := fx.s.Redeem(fx.ctx, fx.reviewer1, st, soap, card, 1); err != nil || r.Balance != 20 {
			t.Fatalf("redeem after withdrawal: %+v %v", r, err)
		}
		if acct, err := fx.s.AccountByCard(fx.ctx, fx.reviewer1, card); err != nil || len(acct.Incentives) != 0 || acct.Card.Consent {
			t.Fatalf("incentives after withdrawal: %+v %v", acct.Incentives, err)
		}
		// Consent given again: the entry of the withdrawn time is credited.
		if err := fx.s.SetConsent(fx.ctx, fx.reviewer1, fx.resident, true); err != nil {
			t.Fatal(err)
		}
		if b := fx.balance(fx.resident); b != 60 {
			t.Fatalf("balance %d after consent again, want 60", b)
		}
	})
}

// TestPointsStore: verified volunteer hours earn points (with consent
// only), a redemption within balance and stock succeeds, beyond the
// balance or the stock is refused and writes nothing, and the balances are
// always the sums of the movements.
func TestPointsStore(t *testing.T) {
	each(t, func(t *testing.T, fx *fixture) {
		db := fx.c.DB
		card := fx.card(fx.resident, "135790", true)
		noConsent := fx.c.Person("居民乙", community, "resident", "")
		fx.card(noConsent, "135790", false)
		e, err := fx.s.FromVolunteerEntry(fx.ctx, fx.reviewer1, fx.served(fx.resident, 3), "")
		if err != nil || e.Status != civility.StatusEffective || e.Points != 30 {
			t.Fatalf("from volunteer hours: %+v %v", e, err)
		}
		if _, err := fx.s.FromVolunteerEntry(fx.ctx, fx.reviewer1, fx.served(noConsent, 3), ""); err != nil {
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
		st, soap := fx.shop(2)
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
	each(t, func(t *testing.T, fx *fixture) {
		db := fx.c.DB
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

// TestAppealRevisedToAnotherItem: an appeal decided "revised" names the
// item the entry becomes, among those offered (another negative item, no
// heavier); a revision without one, to the same item, to a positive or a
// heavier item is refused and writes nothing; the entry then takes effect
// as the revised item, and its history keeps both.
func TestAppealRevisedToAnotherItem(t *testing.T) {
	each(t, func(t *testing.T, fx *fixture) {
		e, err := fx.s.Record(fx.ctx, fx.gridWorker, civility.NewEntry{ItemCode: "N-PARK", PersonID: fx.resident, Source: civility.SourcePatrol,
			Place: "仙楼社区消防通道", OccurredAt: fx.c.Now.Add(-time.Hour), Evidence: "照片：车牌与位置清楚"})
		if err != nil {
			t.Fatal(err)
		}
		mustReview(t, fx, e.ID)
		e, err = fx.s.Appeal(fx.ctx, fx.reviewer1, e.ID, "车辆只停了两分钟卸货，未堵塞通道")
		if err != nil {
			t.Fatal(err)
		}
		// The case page's choice: lighter or equal negative items, not the
		// entry's own, not a positive one.
		d, err := fx.c.Cases.Get(fx.ctx, fx.decider, e.AppealCaseNo)
		if err != nil {
			t.Fatal(err)
		}
		opts, offered, err := fx.c.Cases.FieldOptions(fx.ctx, fx.decider, d.Case, "item")
		if err != nil || !offered {
			t.Fatalf("options: %v %v", offered, err)
		}
		var codes []string
		for _, o := range opts {
			codes = append(codes, o.Value)
		}
		if got := strings.Join(codes, " "); got != "N-PARK-MINOR N-LITTER N-PET N-BURN" {
			t.Errorf("revision items %q, want N-PARK-MINOR N-LITTER N-PET N-BURN", got)
		}
		events := fx.count(`SELECT COUNT(*) FROM case_events`)
		for _, bad := range []map[string]string{nil, {"item": "N-PARK"}, {"item": "P-VOL"}, {"item": "N-NONE"}} {
			_, err := fx.c.Cases.Do(fx.ctx, fx.decider, e.AppealCaseNo, casework.Action{Name: "revise", Note: "情节轻微", Fields: bad})
			if kindOf(err) != store.ErrInvalid {
				t.Errorf("revise with %v: %v", bad, err)
			}
		}
		if n := fx.count(`SELECT COUNT(*) FROM case_events`); n != events {
			t.Errorf("refused revisions wrote %d events", n-events)
		}
		if got, _ := fx.s.Entry(fx.ctx, fx.reviewer1, e.ID); got.Status != civility.StatusAppealed || got.Item.Code != "N-PARK" {
			t.Fatalf("after refused revisions: %s %s", got.Status, got.Item.Code)
		}
		if _, err := fx.c.Cases.Do(fx.ctx, fx.decider, e.AppealCaseNo, casework.Action{Name: "revise", Note: "短暂停车卸货，情节轻微",
			Fields: map[string]string{"item": "N-PARK-MINOR"}}); err != nil {
			t.Fatal(err)
		}
		got, _ := fx.s.Entry(fx.ctx, fx.reviewer1, e.ID)
		if got.Status != civility.StatusNoticed || got.Item.Code != "N-PARK-MINOR" || got.Points != 2 || got.AppealStatus != "revised" {
			t.Fatalf("after revise: %s %s %d %s", got.Status, got.Item.Code, got.Points, got.AppealStatus)
		}
		last := got.History[len(got.History)-1]
		if last.Kind != "appeal_revised" || !strings.Contains(last.Note, "N-PARK") || !strings.Contains(last.Note, "N-PARK-MINOR") {
			t.Errorf("history %+v: want both items", last)
		}
		// In force after the window, as the revised item.
		fx.c.Now = fx.c.Now.Add(15*24*time.Hour + time.Minute)
		if n, _, err := fx.s.Settle(fx.ctx); err != nil || n != 1 {
			t.Fatalf("settle: %d %v", n, err)
		}
		got, _ = fx.s.Entry(fx.ctx, fx.reviewer1, e.ID)
		if got.Status != civility.StatusEffective || got.ExpiresAt.Sub(got.EffectiveAt) != 90*24*time.Hour {
			t.Fatalf("effective: %s %v", got.Status, got.ExpiresAt.Sub(got.EffectiveAt))
		}
	})
}

// TestDemoVillageStores: the demo opens 村级积分超市 at village service
// points besides the community stores, with goods and stock, and the
// first villager, whose verified hours were collected, redeems there.
func TestDemoVillageStores(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := casetest.New(t, db)
		c.AddUnit("350722001201", "解放村委会", "village", street)
		s := civility.New(db, c.Cases)
		s.UseClock(func() time.Time { return c.Now })
		vol := volunteer.New(db)
		vol.UseClock(func() time.Time { return c.Now })
		ctx := context.Background()
		res, err := s.SeedDemo(ctx, vol, c.Now)
		if err != nil {
			t.Fatal(err)
		}
		if res.Stores != 3 || res.VillageStores != 2 || res.Residents != 9 || res.Entries != 9 {
			t.Fatalf("demo: %+v", res)
		}
		var villageStore civility.Store
		stores, err := s.Stores(ctx, c.Admin())
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range stores {
			if st.UnitName == "解放村委会" {
				villageStore = st
			}
		}
		if villageStore.Name != "解放村积分超市（村便民服务点）" || len(villageStore.Goods) != 6 {
			t.Fatalf("village store: %+v", villageStore)
		}
		soap := villageStore.Goods[0]
		if soap.Name != "肥皂" || soap.Stock != 50 {
			t.Fatalf("goods: %+v", villageStore.Goods)
		}
		clerk := c.Actor(20, street, access.RoleTownship)
		acct, err := s.AccountByCard(ctx, clerk, civility.DemoVillageCardNo)
		if err != nil || acct.Card.UnitName != "解放村委会" || acct.Balance != 20 {
			t.Fatalf("village card: %+v %v", acct, err)
		}
		r, err := s.Redeem(ctx, clerk, villageStore.ID, soap.ID, civility.DemoVillageCardNo, 1)
		if err != nil || r.Balance != 10 {
			t.Fatalf("redeem at the village store: %+v %v", r, err)
		}
		if again, err := s.SeedDemo(ctx, vol, c.Now); err != nil || again.Stores != 0 {
			t.Errorf("second seed: %+v %v", again, err)
		}
	})
}
