package stats

import (
	"context"
	"testing"
	"time"

	"grassroots/internal/casework"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// The trend reads whole months from the monthly sums (migration 0030) and
// the last month from the daily sums: each month must give exactly what
// counting that month's cases gives, before and after folding and after
// cases change and move between months and units; and the monthly sums
// must be the daily sums added up by month.
func TestTrendMatchesCases(t *testing.T) {
	defer func(n int) { foldChunk = n }(foldChunk)
	foldChunk = 7
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fx := newFixture(t, db)
		zone := time.FixedZone("CST", 8*3600)
		now := time.Date(2026, 12, 10, 15, 0, 0, 0, zone)
		h := time.Hour
		// Cases from 14 months back to this morning, two or three a month,
		// some at a month's first and last hour.
		start := time.Date(2025, 10, 31, 23, 30, 0, 0, zone)
		for i := range 40 {
			created := start.Add(time.Duration(i) * 245 * h)
			if created.After(now) {
				break
			}
			places := []unit{fx.communityA, fx.townA, fx.townB}
			c := fxCase{place: places[i%3], created: created}
			switch i % 5 {
			case 0:
				c.leads = []fxLead{{unit: fx.communityA, status: "in_hand", signDue: 2 * h, signed: h, handleDue: 3 * h, contactDue: 3 * h, contacted: h}}
			case 1:
				c.answered, c.revisited, c.resolved, c.satisfaction = 5*h, 6*h, 1, "basic"
				c.leads = []fxLead{{unit: fx.townA, status: "done", signDue: 2 * h, signed: h, handleDue: 4 * h}}
			case 2:
				c.answered, c.revisited, c.resolved, c.satisfaction, c.lateAnswers = 50*h, 51*h, 0, "unsatisfied", 1
				c.leads = []fxLead{{unit: fx.townB, status: "done", signDue: h, signed: 2 * h, handleDue: 10 * h}}
			case 3:
				c.answered, c.revisited, c.resolved, c.onSpot, c.satisfaction = 1, h, 1, 1, "satisfied"
			case 4:
				c.flow = "grid_event"
				c.leads = []fxLead{{unit: fx.townB, status: "to_sign", signDue: h}}
			}
			fx.addCase(c)
		}
		county := actor(fx.county, "county")
		check := func(when string) {
			t.Helper()
			for _, flow := range []string{DefaultFlow, "grid_event"} {
				for _, u := range []unit{fx.county, fx.townA, fx.townB, fx.communityA} {
					trend, err := Trend(ctx, db, county, u.code, flow, 12, now, DefaultWeights())
					if err != nil {
						t.Fatal(err)
					}
					if len(trend) != 12 {
						t.Fatalf("%d months", len(trend))
					}
					seen := 0
					for _, m := range trend {
						raw, err := countByPath(ctx, db, county, Unit{Code: u.code, Path: u.path}, flow, m.From, m.To, now, false)
						if err != nil {
							t.Fatal(err)
						}
						var want Counts
						for _, c := range raw {
							want.add(c)
						}
						if m.Counts != want {
							t.Errorf("%s: %s %s %s: trend %+v, cases give %+v", when, flow, u.code, m.From.Format("2006-01"), m.Counts, want)
						}
						seen += want.Cases
					}
					if u == fx.county && flow == DefaultFlow && seen == 0 {
						t.Fatalf("%s: no cases in the trend", when)
					}
				}
			}
			var bad int
			if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM (
				SELECT m.month, m.flow, m.path FROM case_figures_monthly m
				LEFT JOIN (SELECT month, flow, path, SUM(cases) AS cases, SUM(on_time) AS on_time, SUM(unreached) AS unreached FROM (
					SELECT (SELECT MAX(m2.month) FROM case_figures_monthly m2 WHERE m2.month <= d.day) AS month, d.flow, d.path, d.cases, d.on_time, d.unreached
					FROM case_figures_daily d) y GROUP BY month, flow, path) d
				ON d.month = m.month AND d.flow = m.flow AND d.path = m.path
				WHERE COALESCE(d.cases, 0) <> m.cases OR COALESCE(d.on_time, 0) <> m.on_time OR COALESCE(d.unreached, 0) <> m.unreached) z`).Scan(&bad); err != nil {
				t.Fatal(err)
			}
			if bad != 0 {
				t.Errorf("%s: %d monthly sums differ from their days", when, bad)
			}
		}
		check("before folding")
		if _, err := Fold(ctx, db); err != nil {
			t.Fatal(err)
		}
		var months int
		if err := db.QueryRow(ctx, `SELECT COUNT(DISTINCT month) FROM case_figures_monthly`).Scan(&months); err != nil {
			t.Fatal(err)
		}
		if months < 12 {
			t.Errorf("%d months of sums after folding, want at least 12", months)
		}
		check("after folding")
		// Revisits recorded, answers made late, cases moving to another
		// month (created_at) and another unit (a new lead).
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.Exec(ctx, `UPDATE cases SET revisited_at = created_at + 7200000, resolved = 0, satisfaction = 'unsatisfied', reopens = 1
				WHERE id % 3 = 0`); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE cases SET created_at = created_at - 20 * 86400000 WHERE id % 4 = 1`); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE cases SET late_answers = late_answers + 1, answered_at = created_at + 9000000 WHERE id % 5 = 2`); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO assignments (case_id, unit_id, unit_path, role, status, dispatched_at, overdue, created_at, updated_at)
				SELECT id, ?, ?, 'lead', 'to_sign', created_at, 1, 1, 1 FROM cases WHERE id % 6 = 2`, fx.townB.id, fx.townB.path)
			return err
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
	})
}
