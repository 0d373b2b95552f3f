package party_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/party"
	"grassroots/internal/settings"
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

// TestSignOffRoundsSignedTime: signed-in-and-out time becomes verified
// service rounded to the setting's unit (the quarter hour by default),
// the activity's length for one there throughout, nothing for a stay
// under half a unit; the figures show the rounded minutes.
func TestSignOffRoundsSignedTime(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newFixture(t, db)
		fx.p.UseClock(func() time.Time { return fx.Now })
		v := volunteer.New(db)
		fx.p.UseLedger(party.VolunteerLedger(v))
		ctx := context.Background()
		community := fx.actor(30, "350722001001", access.RoleCommunity)
		start := fx.Now
		at := func(m int) time.Time { return start.Add(time.Duration(m) * time.Minute) }
		// signOff plans a two-hour activity, records the attendances
		// (person, in and out in minutes from its start) and signs it off.
		signOff := func(title string, att ...[3]int64) int64 {
			t.Helper()
			act, err := fx.p.PlanActivity(ctx, community, party.ActivityInput{Community: "350722001001", Title: title,
				Place: "仙楼社区党群服务中心", StartsAt: start, EndsAt: start.Add(2 * time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range att {
				if _, err := fx.p.RecordAttendance(ctx, community, act.ID, a[0], at(int(a[1])), at(int(a[2]))); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := fx.p.SignOff(ctx, community, act.ID, party.SignOffInput{}); err != nil {
				t.Fatal(err)
			}
			return act.ID
		}
		minutes := func(id, person int64) int {
			t.Helper()
			return fx.count(`SELECT COALESCE(SUM(e.minutes), -1) FROM volunteer_entries e JOIN volunteers w ON w.id = e.volunteer_id
				WHERE e.source = 'activity' AND e.source_ref = ? AND w.person_id = ?`, fmt.Sprint(id), person)
		}
		a1 := signOff("政策宣讲", [3]int64{fx.member, 3, 118}, [3]int64{fx.stranger, 10, 15})
		if got := minutes(a1, fx.member); got != 120 {
			t.Errorf("there throughout, signed in 3 minutes late: %d minutes, want 120", got)
		}
		if got := minutes(a1, fx.stranger); got != -1 {
			t.Errorf("a five-minute stay recorded %d minutes, want no entry", got)
		}
		a2 := signOff("清理楼道", [3]int64{fx.member, 10, 62})
		if got := minutes(a2, fx.member); got != 45 {
			t.Errorf("52 minutes: %d, want 45 (the nearest quarter hour)", got)
		}
		if err := db.InTx(ctx, func(tx *store.Tx) error { return settings.Put(ctx, tx, volunteer.SettingMinuteUnit, "1", "test") }); err != nil {
			t.Fatal(err)
		}
		a3 := signOff("助老理发", [3]int64{fx.member, 10, 62})
		if got := minutes(a3, fx.member); got != 52 {
			t.Errorf("52 minutes by the minute: %d, want 52", got)
		}
		verified, _, _, err := v.Totals(ctx, fx.units["350722001001"].path, start.Add(-time.Hour), start.Add(24*time.Hour))
		if err != nil || verified != 120+45+52 {
			t.Errorf("verified minutes %d %v, want %d", verified, err, 120+45+52)
		}
	})
}
