package stats

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"grassroots/internal/casework"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// The daily sums (with the changes not yet folded) must give exactly what
// counting the cases gives, before and after folding and after cases move
// between units and change their counts. SQLite folds in chunks; small ones
// here, so that a fold takes several.
func TestDailySumsMatchCases(t *testing.T) {
	defer func(n int) { foldChunk = n }(foldChunk)
	foldChunk = 5
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fx := newFixture(t, db)
		zone := time.FixedZone("CST", 8*3600)
		from := time.Date(2026, 11, 1, 0, 0, 0, 0, zone)
		h := time.Hour
		for i := range 12 {
			created := from.Add(time.Duration(i)*61*h - 3*h) // some the day before, one per day or so
			c := fxCase{place: fx.communityA, created: created}
			switch i % 6 {
			case 0:
				c.leads = []fxLead{{unit: fx.communityA, status: "to_sign", signDue: 2 * h, contactDue: 3 * h, contacted: h}}
			case 1:
				c.answered, c.revisited, c.resolved, c.satisfaction = 5*h, 6*h, 1, "basic"
				c.leads = []fxLead{{unit: fx.townA, status: "done", signDue: 2 * h, signed: h, handleDue: 4 * h, contactDue: h, contacted: 2 * h}}
			case 2:
				c.leads = []fxLead{{unit: fx.townB, status: "returned", signDue: h, overdue: 1}, {unit: fx.townA, status: "in_hand", signed: h, handleDue: 3 * h}}
			case 3:
				c.answered, c.revisited, c.resolved, c.onSpot, c.flow = 1, h, 1, 1, "grid_event" // fixed on the spot
			case 4:
				// Answered late, reopened, re-answered; the revisit did not reach the requester.
				c.answered, c.lateAnswers, c.revisited, c.resolved, c.reopens, c.satisfaction = 30*h, 1, 31*h, 1, 1, "unreached"
				c.leads = []fxLead{{unit: fx.communityA, status: "done", signDue: 2 * h, signed: h, handleDue: 40 * h}}
			case 5:
				// Returned, not re-dispatched: counts for the county.
				c.leads = []fxLead{{unit: fx.townB, status: "returned", signDue: h, dispatcher: fx.county}}
			}
			fx.addCase(c)
		}
		county := actor(fx.county, "county")
		periods := [][2]time.Time{
			{from, from.AddDate(0, 1, 0)},
			{from.AddDate(0, 0, -1), from.AddDate(0, 0, 3)},
			{from.AddDate(0, 0, 2), from.AddDate(0, 0, 5)},
		}
		now := testNow
		check := func(when string) {
			t.Helper()
			for _, flow := range []string{DefaultFlow, "grid_event"} {
				for _, u := range []unit{fx.county, fx.townA, fx.townB, fx.communityA} {
					su := Unit{ID: u.id, Code: u.code, Path: u.path}
					for _, p := range periods {
						daily, err := countByPath(ctx, db, county, su, flow, p[0], p[1], now, true)
						if err != nil {
							t.Fatal(err)
						}
						raw, err := countByPath(ctx, db, county, su, flow, p[0], p[1], now, false)
						if err != nil {
							t.Fatal(err)
						}
						if diff := cmp.Diff(raw, daily); diff != "" {
							t.Errorf("%s: %s %s %s–%s: daily sums differ from the cases (-cases +daily):\n%s", when, flow, u.code,
								p[0].Format(time.DateOnly), p[1].Format(time.DateOnly), diff)
						}
					}
				}
			}
			// Every new count is exercised, so that a sum the triggers miss
			// shows.
			all, err := countByPath(ctx, db, county, Unit{Code: fx.county.code, Path: fx.county.path}, DefaultFlow, periods[0][0], periods[0][1], now, false)
			if err != nil {
				t.Fatal(err)
			}
			var total Counts
			for _, c := range all {
				total.add(c)
			}
			if total.Responded == 0 || total.Signed == 0 || total.Overdue == 0 || total.Unreached == 0 || total.FirstResolved == 0 {
				t.Errorf("%s: fixture leaves a count at 0: %+v", when, total)
			}
		}
		check("before folding")
		if _, err := Fold(ctx, db); err != nil {
			t.Fatal(err)
		}
		var left int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM case_figures_changes`).Scan(&left); err != nil {
			t.Fatal(err)
		}
		if left != 0 {
			t.Errorf("%d changes left after folding", left)
		}
		check("after folding")

		// Cases change: revisits recorded, a case re-dispatched from town A
		// to town B (its counts move), an overdue mark.
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.Exec(ctx, `UPDATE cases SET revisited_at = created_at + 7200000, resolved = 0, satisfaction = 'unsatisfied', reopens = 1
				WHERE id % 3 = 0`); err != nil {
				return err
			}
			// A late answer, a first revisit, a contact, a case moving flows.
			if _, err := tx.Exec(ctx, `UPDATE cases SET late_answers = late_answers + 1, answered_at = created_at + 9000000,
				first_resolved = COALESCE(first_resolved, 0) WHERE id % 5 = 1`); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE assignments SET contacted_at = dispatched_at + 60000 WHERE contacted_at IS NULL AND id % 2 = 0`); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE cases SET flow = 'grid_event' WHERE id % 7 = 0`); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO assignments (case_id, unit_id, unit_path, role, status, dispatched_at, overdue, created_at, updated_at)
				SELECT id, ?, ?, 'lead', 'to_sign', created_at, 1, 1, 1 FROM cases WHERE id % 4 = 2`, fx.townB.id, fx.townB.path); err != nil {
				return err
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := casework.RefreshLeads(ctx, db); err != nil {
			t.Fatal(err)
		}
		check("after changes, before folding")
		if _, err := Fold(ctx, db); err != nil {
			t.Fatal(err)
		}
		check("after changes and folding")
		if n, err := Fold(ctx, db); err != nil || n != 0 {
			t.Errorf("folding nothing: %d, %v", n, err)
		}

		// A period that does not start at midnight is counted from the
		// cases, and agrees too.
		r, err := Rates(ctx, db, county, fx.county.code, DefaultFlow, from.Add(h), from.AddDate(0, 0, 3), DefaultWeights())
		if err != nil {
			t.Fatal(err)
		}
		raw, err := countByPath(ctx, db, county, Unit{Code: fx.county.code, Path: fx.county.path}, DefaultFlow, from.Add(h), from.AddDate(0, 0, 3), now, false)
		if err != nil {
			t.Fatal(err)
		}
		var total Counts
		for _, c := range raw {
			total.add(c)
		}
		if r.Counts != total || total.Cases == 0 {
			t.Errorf("unaligned period: %+v, cases give %+v", r.Counts, total)
		}
	})
}
