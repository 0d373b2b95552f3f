package demo

import (
	"context"
	"testing"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/pairing"
	"grassroots/internal/staffing"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
	"grassroots/internal/taskforce"
)

// TestOrgLedgers checks the demo ledgers carry the seed's figures, and that
// a second run adds nothing.
func TestOrgLedgers(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		o, _ := withOrg(t, db)
		p, tf, st := pairing.New(db, nil), taskforce.New(db, nil), staffing.New(db)
		now := time.Now()
		res, err := OrgLedgers(ctx, db, o, p, tf, st, now)
		if err != nil {
			t.Fatal(err)
		}
		t.Log(res)
		rows, err := p.List(ctx, access.System)
		if err != nil {
			t.Fatal(err)
		}
		f := pairing.FiguresOf(rows).County
		if f.Cadres != DemoPairedCadres || f.Visits != DemoVisits || f.Projects != DemoProjects || f.Sought < DemoFundsYuan || f.Rising == 0 {
			t.Errorf("pairing figures %+v", f)
		}
		hist, err := st.History(ctx, access.System, "", 5000)
		if err != nil {
			t.Fatal(err)
		}
		moved, towns := 0, map[string]int{}
		for _, e := range hist {
			if e.Kind == staffing.KindTransfer {
				moved += e.Count
				towns[e.To.UnitCode] += e.Count
			}
		}
		if moved != DemoFreedPosts || len(towns) != 19 {
			t.Errorf("moved %d posts to %d townships", moved, len(towns))
		}
		l, err := st.Ledger(ctx, access.System)
		if err != nil {
			t.Fatal(err)
		}
		if l.County.Total.Vacant < 0 || l.County.Total.Filled == 0 || len(l.Loans) != 1 {
			t.Errorf("county line %+v, loans %d", l.County, len(l.Loans))
		}
		list, err := tf.List(ctx, access.System)
		if err != nil {
			t.Fatal(err)
		}
		if ff := taskforce.FiguresOf(list); ff.PastEnd == 0 || ff.FromBelow == 0 || ff.Overloaded == 0 {
			t.Errorf("task force warnings missing: %+v", ff)
		}
		if again, err := OrgLedgers(ctx, db, o, p, tf, st, now); err != nil || again.Pairings != 0 {
			t.Errorf("second run = %+v, %v", again, err)
		}
	})
}
