package cockpit

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/stats"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// queryCounter counts the database's reads while it observes.
type queryCounter struct {
	mu      sync.Mutex
	queries []string
}

func (q *queryCounter) observe(db *store.DB) {
	db.ObserveQueries(func(query string) {
		q.mu.Lock()
		q.queries = append(q.queries, query)
		q.mu.Unlock()
	})
}

// during counts the reads of fn.
func (q *queryCounter) during(t *testing.T, fn func() error) []string {
	t.Helper()
	q.mu.Lock()
	q.queries = nil
	q.mu.Unlock()
	if err := fn(); err != nil {
		t.Fatal(err)
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]string(nil), q.queries...)
}

// TestRefreshCost counts what a big-screen refresh asks the database, panel
// by panel (the refresh is one request per panel, GET /cockpit/panels/
// {panel}): the unit one query, then each panel at most panelQueries (one;
// docs/COCKPIT.md, "Cost"). A mechanism, not a timing: the count does not depend
// on the machine, and a panel that starts asking per child or per month
// fails here.
func TestRefreshCost(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fx := newFixture(t, db)
		fx.seed()
		s := New(db, Pillars(Sources{})...)
		s.UseClock(func() time.Time { return fx.now })
		var qc queryCounter
		qc.observe(db)
		defer db.ObserveQueries(nil)
		p := PeriodAt(fx.now)
		for _, who := range []struct {
			actor access.Actor
			unit  string
		}{
			{actorAt(fx.county, access.RoleAdmin), fx.county.code},
			{actorAt(fx.townA, access.RoleTownship), fx.townA.code},
			{actorAt(fx.townA, access.RoleTownship), fx.gridA.code},
		} {
			var u Unit
			got := qc.during(t, func() (err error) {
				u, _, err = s.Resolve(ctx, who.actor, who.unit)
				return err
			})
			if len(got) != 1 {
				t.Errorf("%s: resolving the unit took %d queries, want 1: %q", who.unit, len(got), got)
			}
			panels := map[string]func() error{
				"rates": func() error { _, err := s.Hotline(ctx, who.actor, u, p); return err },
				"map": func() error {
					m, err := s.Map(ctx, who.actor, u, p, fx.cat, StateOpen)
					if err == nil && who.unit == fx.county.code && (len(m.Grids) != 1 || len(m.Categories) != 1) {
						t.Errorf("map: %+v", m)
					}
					return err
				},
				"overdue": func() error { _, err := s.Overdue(ctx, who.actor, u, p); return err },
				// The built-in registries are not wired here: no query.
				"pillars": func() error { _, err := s.Pillars(ctx, who.actor, u, p); return err },
			}
			for name, fn := range panels {
				got := qc.during(t, fn)
				if want := panelQueries[name]; len(got) > want || len(got) == 0 && name != "pillars" {
					t.Errorf("%s: panel %s took %d queries, want at most %d:\n%s", who.unit, name, len(got), want, firstLines(got))
				}
			}
		}
	})
}

// panelQueries is what each panel's refresh may cost at most: one query
// each (the 12345 panel's is stats.Panel's statement, intake and the week
// its parts); the pillars here have no registry wired.
var panelQueries = map[string]int{"rates": 1, "map": 1, "overdue": 1, "pillars": 0}

// firstLines shows each query by its first line.
func firstLines(queries []string) string {
	var b strings.Builder
	for _, q := range queries {
		line, _, _ := strings.Cut(q, "\n")
		b.WriteString("\t" + line + "\n")
	}
	return b.String()
}

// TestFiguresAreStats checks that the cockpit's 12345 numbers are the
// figures stats computes for the same unit and period: the month's ten
// figures, each child's three in the rankings, every month of the trend
// (against stats.Rates of that month), on both databases, before and after
// the sums are folded.
func TestFiguresAreStats(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fx := newFixture(t, db)
		fx.seed()
		// Some earlier months, answered and not.
		for i := 1; i <= 13; i++ {
			at := time.Date(2026, 12, 5, 9, 0, 0, 0, zone).AddDate(0, -i, 0)
			fx.add(fxCase{place: fx.commA, grid: fx.gridA, lead: &fx.commA, created: at, handleDue: time.Hour, answered: i%2 == 0, category: true})
			fx.add(fxCase{place: fx.townB, lead: &fx.dept, created: at.Add(time.Hour), handleDue: 1000 * time.Hour})
		}
		fx.refresh()
		st := stats.New(db).WithClock(func() time.Time { return fx.now })
		s := New(db, Pillars(Sources{})...)
		s.UseClock(func() time.Time { return fx.now })
		county := actorAt(fx.county, access.RoleAdmin)
		p := PeriodAt(fx.now)
		w := stats.DefaultWeights()
		check := func(when string) {
			t.Helper()
			for _, code := range []string{fx.county.code, fx.townA.code, fx.townB.code} {
				u, _, err := s.Resolve(ctx, county, code)
				if err != nil {
					t.Fatal(err)
				}
				h, err := s.Hotline(ctx, county, u, p)
				if err != nil {
					t.Fatal(err)
				}
				want, err := st.Rates(ctx, county, stats.Query{Unit: code, Flow: Flow, From: p.MonthFrom, To: p.To, Weights: w})
				if err != nil {
					t.Fatal(err)
				}
				if h.Total.Counts != want.Counts {
					t.Errorf("%s %s: month %+v, stats %+v", when, code, h.Total.Counts, want.Counts)
				}
				for i, f := range want.Figures() {
					if h.Rates[i].Value != f.Percent() || h.Rates[i].Den != strconv.Itoa(f.Denominator) {
						t.Errorf("%s %s: figure %d is %s of %s, stats %s of %d", when, code, i, h.Rates[i].Value, h.Rates[i].Den, f.Percent(), f.Denominator)
					}
				}
				for _, row := range append(append([]RankRow{}, h.Townships...), h.Departments...) {
					r, err := st.Rates(ctx, county, stats.Query{Unit: row.Unit.Code, Flow: Flow, From: p.MonthFrom, To: p.To, Weights: w})
					if err != nil {
						t.Fatal(err)
					}
					figs := r.Figures()
					for i, k := range threeIdx {
						if row.Rates[i].Value != figs[k].Percent() || row.Cases != r.Counts.Cases {
							t.Errorf("%s %s: ranking of %s, rate %d: %s (%d cases), stats %s (%d)", when, code, row.Unit.Code, i,
								row.Rates[i].Value, row.Cases, figs[k].Percent(), r.Counts.Cases)
						}
					}
				}
				if len(h.Trend) != 12 {
					t.Fatalf("%d months", len(h.Trend))
				}
				cases := 0
				for i, tp := range h.Trend {
					from := p.MonthFrom.AddDate(0, i-11, 0)
					to := from.AddDate(0, 1, 0)
					if to.After(p.To) {
						to = p.To
					}
					r, err := st.Rates(ctx, county, stats.Query{Unit: code, Flow: Flow, From: from, To: to, Weights: w})
					if err != nil {
						t.Fatal(err)
					}
					figs := r.Figures()
					if tp.Month != from.Format("2006-01") || tp.Cases != r.Counts.Cases {
						t.Errorf("%s %s: trend %s has %d cases, stats %s %d", when, code, tp.Month, tp.Cases, from.Format("2006-01"), r.Counts.Cases)
					}
					for j, k := range threeIdx {
						if (tp.Rates[j] == nil) != (figs[k].Ratio == nil) || tp.Rates[j] != nil && *tp.Rates[j] != *figs[k].Ratio {
							t.Errorf("%s %s: trend %s rate %d differs from stats", when, code, tp.Month, j)
						}
					}
					cases += tp.Cases
				}
				if code == fx.county.code && cases < 20 {
					t.Errorf("%s: the trend holds %d cases", when, cases)
				}
			}
		}
		check("before folding")
		if _, err := stats.Fold(ctx, db); err != nil {
			t.Fatal(err)
		}
		check("after folding")
	})
}
