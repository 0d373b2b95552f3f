package party_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/party"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// fakeLedger records what sign-offs hand it, or fails.
type fakeLedger struct {
	got  []party.SignedOffActivity
	fail bool
}

func (l *fakeLedger) ActivitySignedOff(ctx context.Context, tx *store.Tx, a party.SignedOffActivity) error {
	if tx == nil {
		return errors.New("no transaction")
	}
	if l.fail {
		return errors.New("ledger down")
	}
	l.got = append(l.got, a)
	return nil
}

func (l *fakeLedger) Totals(ctx context.Context, unitPath string, from, to time.Time) (int, int, int, error) {
	return 0, 0, 0, nil
}

func TestNeedsClaimsAndMatches(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newFixture(t, db)
		fx.partyTree()
		ctx := context.Background()
		community := fx.actor(30, "350722001001", access.RoleCommunity)
		admin := fx.actor(1, "350722000000", access.RoleAdmin)
		start := fx.Now.Add(48 * time.Hour)
		end := start.Add(2 * time.Hour)
		need := party.ItemInput{Kind: party.ItemNeed, Community: "350722001001", Grid: "350722001001G01", Title: "独居老人助老理发", Skills: "理发、医疗", Headcount: 2, StartsAt: &start, EndsAt: &end}
		if _, err := fx.p.PublishItem(ctx, fx.actor(20, "350722D002", access.RoleDepartment), need); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("a unit publishes a need: %v", err)
		}
		if _, err := fx.p.PublishItem(ctx, fx.actor(12, "350722101000", access.RoleTownship), need); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("another township publishes: %v", err)
		}
		bad := need
		bad.Grid = "350722101200"
		if _, err := fx.p.PublishItem(ctx, community, bad); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("another community's grid: %v", err)
		}
		it, err := fx.p.PublishItem(ctx, community, need)
		if err != nil {
			t.Fatal(err)
		}
		// A unit offers a resource in its own name; not in another unit's.
		res := party.ItemInput{Kind: party.ItemResource, Community: "350722001001", Owner: "350722D002", Title: "开放职工食堂"}
		if _, err := fx.p.PublishItem(ctx, fx.actor(21, "350722D003", access.RoleDepartment), res); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("in another unit's name: %v", err)
		}
		if _, err := fx.p.PublishItem(ctx, fx.actor(20, "350722D002", access.RoleDepartment), res); err != nil {
			t.Errorf("a unit's own resource: %v", err)
		}
		// Members living at the community: one in the grid with a skill, one elsewhere.
		barber, err := fx.p.AddMember(ctx, admin, party.MemberInput{Name: "党员理发师", OrgCode: "PD2", UnitCode: "350722D002", HomeCode: "350722001001",
			GridCode: "350722001001G01", Skills: "理发", Intentions: "助老"})
		if err != nil {
			t.Fatal(err)
		}
		other, err := fx.p.AddMember(ctx, admin, party.MemberInput{Name: "党员会计", OrgCode: "PD2", UnitCode: "350722D002", HomeCode: "350722001001", Skills: "会计"})
		if err != nil {
			t.Fatal(err)
		}
		ms, err := fx.p.Matches(ctx, community, it.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) < 2 || ms[0].PersonID != barber.PersonID || ms[0].Score != 6 {
			t.Errorf("matches %+v", ms)
		}
		if _, err := fx.p.Matches(ctx, fx.actor(12, "350722101000", access.RoleTownship), it.ID, 10); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("another township's matches: %v", err)
		}
		mb, _ := fx.p.MemberByID(ctx, barber.PersonID)
		if it, err = fx.p.ClaimAsMember(ctx, mb, it.ID); err != nil || it.Status != party.ItemClaimed || it.Claims != 1 {
			t.Fatalf("claimed %+v %v", it, err)
		}
		if _, err := fx.p.ClaimAsMember(ctx, mb, it.ID); !errors.Is(err, store.ErrConflict) {
			t.Errorf("claimed twice: %v", err)
		}
		if ms, _ := fx.p.Matches(ctx, community, it.ID, 10); len(ms) == 0 || ms[0].PersonID == barber.PersonID {
			t.Errorf("a claimer still suggested: %+v", ms)
		}
		mo, _ := fx.p.MemberByID(ctx, other.PersonID)
		if _, err := fx.p.ClaimAsMember(ctx, mo, it.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := fx.p.ClaimAsMember(ctx, mb, it.ID+1); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("claim a resource: %v", err)
		}
		m3, _ := fx.p.MemberByID(ctx, fx.member)
		if _, err := fx.p.ClaimAsMember(ctx, m3, it.ID); !errors.Is(err, store.ErrConflict) {
			t.Errorf("over the headcount: %v", err)
		}
	})
}

func TestActivitySignOff(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newFixture(t, db)
		fx.p.UseClock(func() time.Time { return fx.Now })
		ctx := context.Background()
		community := fx.actor(30, "350722001001", access.RoleCommunity)
		unit := fx.actor(20, "350722D002", access.RoleDepartment)
		a, err := fx.p.SignAgreement(ctx, community, agreementIn())
		if err != nil {
			t.Fatal(err)
		}
		start := fx.Now
		in := party.ActivityInput{Community: "350722001001", Organiser: "350722D002", CommitmentID: a.Commitments[0].ID, Title: "助老理发",
			Content: "为独居老人上门理发", Place: "仙楼社区党群服务中心", StartsAt: start, EndsAt: start.Add(2 * time.Hour), Roster: []int64{fx.member}}
		if _, err := fx.p.PlanActivity(ctx, fx.actor(21, "350722D003", access.RoleDepartment), in); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("another unit organises: %v", err)
		}
		noPlace := in
		noPlace.Place = ""
		if _, err := fx.p.PlanActivity(ctx, unit, noPlace); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("no place: %v", err)
		}
		act, err := fx.p.PlanActivity(ctx, unit, in)
		if err != nil {
			t.Fatal(err)
		}
		m, _ := fx.p.MemberByID(ctx, fx.member)
		stranger, _ := fx.p.MemberByID(ctx, fx.stranger)
		if _, err := fx.p.SignIn(ctx, stranger, act.ID, true); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("not on the roster: %v", err)
		}
		if _, err := fx.p.SignIn(ctx, m, act.ID, false); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("out before in: %v", err)
		}
		fx.Now = start.Add(5 * time.Minute)
		if _, err := fx.p.SignIn(ctx, m, act.ID, true); err != nil {
			t.Fatal(err)
		}
		fx.Now = start.Add(95 * time.Minute)
		if _, err := fx.p.SignIn(ctx, m, act.ID, false); err != nil {
			t.Fatal(err)
		}
		// The organiser records a member without a phone.
		if _, err := fx.p.RecordAttendance(ctx, fx.actor(21, "350722D003", access.RoleDepartment), act.ID, fx.stranger, start, start.Add(time.Hour)); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("another unit records: %v", err)
		}
		if _, err := fx.p.RecordAttendance(ctx, unit, act.ID, fx.stranger, start.Add(-time.Hour), start.Add(3*time.Hour)); err != nil {
			t.Fatal(err)
		}
		// A failing ledger rolls the whole sign-off back.
		ledger := &fakeLedger{fail: true}
		fx.p.UseLedger(ledger)
		so := party.SignOffInput{ResidentName: "居民周某某", Problem: "独居老人行动不便无法理发", DoerPersonID: fx.member}
		if _, err := fx.p.SignOff(ctx, community, act.ID, so); err == nil {
			t.Fatal("signed off with a failing ledger")
		}
		if n := fx.count(`SELECT COUNT(*) FROM party_activities WHERE status = 'signed_off'`) + fx.count(`SELECT done FROM co_building_commitments WHERE id = ?`, a.Commitments[0].ID); n != 0 {
			t.Errorf("a failed sign-off left changes (%d)", n)
		}
		ledger.fail = false
		if _, err := fx.p.SignOff(ctx, unit, act.ID, so); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("the organising unit signs off itself: %v", err)
		}
		if _, err := fx.p.SignOff(ctx, fx.actor(12, "350722101000", access.RoleTownship), act.ID, so); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("another township signs off: %v", err)
		}
		got, err := fx.p.SignOff(ctx, community, act.ID, so)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != party.ActivitySignedOff || got.ResidentName != "居民周某某" {
			t.Errorf("signed off %+v", got)
		}
		if len(ledger.got) != 1 {
			t.Fatalf("ledger got %d", len(ledger.got))
		}
		l := ledger.got[0]
		if l.Place != "仙楼社区党群服务中心" || l.OrganiserUnitID != fx.units["350722D002"].id || len(l.Attendees) != 2 || l.SignedOffBy != 30 {
			t.Errorf("ledger got %+v", l)
		}
		for _, x := range l.Attendees {
			// Clamped to the activity's time: the organiser's record of 4 hours counts 2.
			if x.PersonID == fx.stranger && x.Out.Sub(x.In) != 2*time.Hour || x.PersonID == fx.member && x.Out.Sub(x.In) != 90*time.Minute {
				t.Errorf("attendee %+v", x)
			}
		}
		if l.Deed == nil || l.Deed.DoerPersonID != fx.member || l.Deed.Beneficiary != "居民周某某" {
			t.Errorf("deed %+v", l.Deed)
		}
		if n := fx.count(`SELECT done FROM co_building_commitments WHERE id = ?`, a.Commitments[0].ID); n != 2 {
			t.Errorf("commitment done %d, want 2 person-times", n)
		}
		if _, err := fx.p.SignOff(ctx, community, act.ID, so); !errors.Is(err, store.ErrConflict) {
			t.Errorf("signed off twice: %v", err)
		}
		// Without a ledger the attendance is still recorded.
		fx.p.UseLedger(nil)
		act2, err := fx.p.PlanActivity(ctx, community, party.ActivityInput{Community: "350722001001", Title: "政策宣讲", Place: "仙楼社区党群服务中心",
			StartsAt: start, EndsAt: start.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fx.p.SignOff(ctx, community, act2.ID, party.SignOffInput{}); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("nobody attended: %v", err)
		}
		if _, err := fx.p.RecordAttendance(ctx, community, act2.ID, fx.member, start, start.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, err := fx.p.SignOff(ctx, community, act2.ID, party.SignOffInput{}); err != nil {
			t.Errorf("sign-off without a ledger: %v", err)
		}
	})
}
