package demo

import (
	"context"
	"testing"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/party"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// countLedger counts what sign-offs hand the ledger.
type countLedger struct{ activities, attendees, deeds int }

func (l *countLedger) ActivitySignedOff(ctx context.Context, tx *store.Tx, a party.SignedOffActivity) error {
	l.activities++
	l.attendees += len(a.Attendees)
	if a.Deed != nil {
		l.deeds++
	}
	return nil
}

func (l *countLedger) Totals(context.Context, string, time.Time, time.Time) (int, int, int, error) {
	return 0, 0, l.deeds, nil
}

func TestParty(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		o, _ := withOrg(t, db)
		p := party.New(db, nil)
		ledger := &countLedger{}
		p.UseLedger(ledger)
		// A server on UTC starting at 20:30, 04:30 the next day in Shanghai.
		now := time.Date(2026, 11, 26, 20, 30, 0, 0, time.UTC)
		started := time.Now()
		res, err := Party(ctx, o, p, now)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("demo party data: %+v in %v", res, time.Since(started))
		if res.Agreements != PartyAgreements || res.Registered != PartyRegistered || res.PersonTimes != PartyPersonTimes || res.Deeds != PartyDeeds {
			t.Errorf("loaded %+v", res)
		}
		if ledger.attendees != PartyPersonTimes || ledger.deeds != PartyDeeds || ledger.activities != res.Activities {
			t.Errorf("ledger got %+v", ledger)
		}
		county, err := o.County(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// The period the desk (/party) shows: the twelve months to the end of today.
		cst := now.In(shanghai)
		to := time.Date(cst.Year(), cst.Month(), cst.Day(), 0, 0, 0, 0, shanghai).AddDate(0, 0, 1)
		f, err := p.Figures(ctx, access.System, county.Code, to.AddDate(-1, 0, 0), to)
		if err != nil {
			t.Fatal(err)
		}
		if f.Agreements != PartyAgreements || f.Registered != PartyRegistered || f.PersonTimes != PartyPersonTimes || f.GoodDeeds == nil || *f.GoodDeeds != PartyDeeds {
			t.Errorf("county figures %+v", f)
		}
		var communities int
		if err := db.QueryRow(ctx, `SELECT COUNT(DISTINCT community_unit_id) FROM co_building WHERE demo = 1`).Scan(&communities); err != nil || communities != 16 {
			t.Errorf("agreements across %d communities, want 16 (%v)", communities, err)
		}
		// The big committees' part-time members are persons of the register.
		if _, err := PartyCommittees(ctx, o, p, now); err != nil {
			t.Fatal(err)
		}
		var partTime, linked int
		if err := db.QueryRow(ctx, `SELECT COUNT(*), COUNT(person_id) FROM committee_members WHERE part_time = 1`).Scan(&partTime, &linked); err != nil {
			t.Fatal(err)
		}
		if partTime == 0 || linked != partTime {
			t.Errorf("%d of %d part-time committee members are persons of the register", linked, partTime)
		}
		again, err := Party(ctx, o, p, now)
		if err != nil || again.Members != 0 {
			t.Errorf("loaded twice: %+v %v", again, err)
		}
	})
}
