package party_test

import (
	"context"
	"testing"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/party"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
	"grassroots/internal/volunteer"
)

// TestSignOffReachesVolunteerRecords: with the volunteer records as the
// ledger, a community's sign-off gives each attendee a verified entry of
// their signed time and records the good deed, in the sign-off's
// transaction; the registry's figures read them back.
func TestSignOffReachesVolunteerRecords(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newFixture(t, db)
		fx.p.UseClock(func() time.Time { return fx.Now })
		v := volunteer.New(db)
		fx.p.UseLedger(party.VolunteerLedger(v))
		ctx := context.Background()
		community := fx.actor(30, "350722001001", access.RoleCommunity)
		start := fx.Now
		act, err := fx.p.PlanActivity(ctx, community, party.ActivityInput{Community: "350722001001", Title: "助老理发",
			Content: "为独居老人上门理发", Place: "仙楼社区党群服务中心", StartsAt: start, EndsAt: start.Add(2 * time.Hour), Roster: []int64{fx.member}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fx.p.RecordAttendance(ctx, community, act.ID, fx.member, start, start.Add(90*time.Minute)); err != nil {
			t.Fatal(err)
		}
		fx.Now = start.Add(3 * time.Hour)
		if _, err := fx.p.SignOff(ctx, community, act.ID, party.SignOffInput{ResidentName: "居民周某某", Problem: "独居老人无法外出理发", DoerPersonID: fx.member}); err != nil {
			t.Fatal(err)
		}
		verified, backfilled, deeds, err := v.Totals(ctx, fx.units["350722001001"].path, start.Add(-time.Hour), start.Add(24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if verified != 90 || backfilled != 0 || deeds != 1 {
			t.Errorf("volunteer totals = %d verified, %d back-filled minutes, %d deeds; want 90, 0, 1", verified, backfilled, deeds)
		}
		if n := fx.count(`SELECT COUNT(*) FROM volunteer_entries WHERE layer = 'verified'`); n != 1 {
			t.Errorf("%d verified entries, want 1", n)
		}
	})
}
