package stats

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// Panel's one statement gives exactly what RatesByChild and Trend give,
// for whole days (the sums) and other periods (the cases), before and after
// folding, with a weight setting, and hands a caller's part its rows.
func TestPanelIsRatesAndTrend(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fx := newFixture(t, db)
		zone := time.FixedZone("CST", 8*3600)
		now := time.Date(2026, 12, 10, 15, 0, 0, 0, zone)
		h := time.Hour
		for i := range 30 {
			created := time.Date(2025, 12, 1, 8, 0, 0, 0, zone).Add(time.Duration(i) * 300 * h)
			c := fxCase{place: []unit{fx.communityA, fx.townA, fx.townB}[i%3], created: created}
			switch i % 3 {
			case 0:
				c.answered, c.revisited, c.resolved, c.satisfaction = 5*h, 6*h, 1, "basic"
				c.leads = []fxLead{{unit: fx.townA, status: "done", signDue: 2 * h, signed: h, handleDue: 4 * h}}
			case 1:
				c.leads = []fxLead{{unit: fx.communityA, status: "in_hand", signDue: 2 * h, signed: h, handleDue: 3 * h}}
			case 2:
				c.answered, c.revisited, c.resolved, c.satisfaction = 50*h, 51*h, 0, "unsatisfied"
			}
			fx.addCase(c)
		}
		if _, err := db.Exec(ctx, `INSERT INTO settings (key, value, updated_at) VALUES (?, '0.6', 1)`, WeightBasicKey); err != nil {
			t.Fatal(err)
		}
		county := actor(fx.county, "county")
		w, err := LoadWeights(ctx, db)
		if err != nil || w.Basic != 0.6 {
			t.Fatalf("weights %+v %v", w, err)
		}
		month := MonthStart(now)
		periods := [][2]time.Time{{month, month.AddDate(0, 1, 0)}, {month.AddDate(0, -2, 0), month}, {month.Add(-5 * h), now}}
		check := func(when string) {
			t.Helper()
			for _, u := range []unit{fx.county, fx.townA} {
				su := Unit{ID: u.id, Code: u.code, Path: u.path}
				if err := db.QueryRow(ctx, `SELECT name, kind FROM units WHERE id = ?`, u.id).Scan(&su.Name, &su.Kind); err != nil {
					t.Fatal(err)
				}
				for _, p := range periods {
					got, err := Panel(ctx, db, county, su, DefaultFlow, p[0], p[1], 12, now,
						Part{SQL: `SELECT 'x', code, '', '', '', id` + PadCounts(0) + ` FROM units WHERE id = ?`, Args: []any{u.id}})
					if err != nil {
						t.Fatal(err)
					}
					b, err := New(db).WithClock(func() time.Time { return now }).Breakdown(ctx, county, Query{Unit: u.code, Flow: DefaultFlow, From: p[0], To: p[1], Weights: w})
					if err != nil {
						t.Fatal(err)
					}
					if diff := cmp.Diff(b, got.Breakdown); diff != "" {
						t.Errorf("%s %s %v: by child (-RatesByChild +Panel):\n%s", when, u.code, p, diff)
					}
					tr, err := Trend(ctx, db, county, u.code, DefaultFlow, 12, now, w)
					if err != nil {
						t.Fatal(err)
					}
					if diff := cmp.Diff(tr, got.Trend); diff != "" {
						t.Errorf("%s %s: trend (-Trend +Panel):\n%s", when, u.code, diff)
					}
					if got.Weights != w || len(got.Extra) != 1 || got.Extra[0].Tag != "x" || got.Extra[0].Text[0] != u.code || got.Extra[0].Key != u.id {
						t.Errorf("%s: weights %+v, extra %+v", when, got.Weights, got.Extra)
					}
				}
			}
		}
		check("before folding")
		if _, err := Fold(ctx, db); err != nil {
			t.Fatal(err)
		}
		check("after folding")
		// Another township's staff may not read the county's.
		_, err = Panel(ctx, db, actor(fx.townB, "township"), Unit{ID: fx.townA.id, Code: fx.townA.code, Path: fx.townA.path}, DefaultFlow, month, now, 12, now)
		if !errors.Is(err, store.ErrForbidden) {
			t.Errorf("another township: %v", err)
		}
	})
}
