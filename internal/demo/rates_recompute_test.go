package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"grassroots/internal/access"
	"grassroots/internal/api"
	"grassroots/internal/auth"
	"grassroots/internal/catalog"
	"grassroots/internal/stats"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
	"grassroots/internal/xlsx/xlsxtest"
)

// raw is one 12345 case as the tables hold it, with its current lead (the
// latest lead assignment by id) and that lead's first contact event.
type raw struct {
	created, answered, revisited, onSpot   int64
	lateAnswers, extensions, reopens       int
	resolved, firstResolved                *int64
	satisfaction, placePath                string
	leadID                                 *int64
	leadPath, dispatcherPath, leadStatus   string
	signed, signDue, contactDue, handleDue *int64
	returned, closed                       *int64
	firstContact                           *int64
}

// recompute counts the 12345 cases of [from, to) for the unit at path under
// docs/RATES.md, from rows read with its own queries (not internal/stats).
func recompute(cases []raw, path string, from, to, now time.Time) stats.Counts {
	var c stats.Counts
	lo, hi, at := store.Millis(from), store.Millis(to), store.Millis(now)
	le := func(a, due *int64) bool { return a != nil && (due == nil || *a <= *due) }
	for _, r := range cases {
		if r.created < lo || r.created >= hi {
			continue
		}
		// The unit that answers: the lead's; the dispatcher's while
		// returned; the place when never dispatched.
		p := r.placePath
		if r.leadID != nil {
			p = r.leadPath
			if r.returned != nil {
				p = r.dispatcherPath
			}
		}
		if !strings.HasPrefix(p, path) {
			continue
		}
		c.Cases++
		dispatched := r.leadID != nil && r.returned == nil
		openLate := dispatched && r.closed == nil && r.handleDue != nil && *r.handleDue < at &&
			!strings.Contains(" answered returned refused done ", " "+r.leadStatus+" ")
		if dispatched {
			c.Dispatched++
			if le(r.firstContact, r.contactDue) {
				c.Responded++
			}
			if le(r.signed, r.signDue) {
				c.Signed++
			}
			if r.lateAnswers > 0 || openLate {
				c.Overdue++
			}
			if r.extensions > 0 {
				c.Extended++
			}
		}
		if r.answered != 0 {
			c.Answered++
			if r.lateAnswers == 0 && !openLate {
				c.OnTime++
			}
		}
		if r.revisited != 0 {
			c.Revisited++
			if r.resolved != nil && *r.resolved == 1 {
				c.Resolved++
			}
			if r.firstResolved != nil && *r.firstResolved == 1 {
				c.FirstResolved++
			}
			switch r.satisfaction {
			case "satisfied":
				c.Satisfied++
			case "basic":
				c.Basic++
			case "unsatisfied":
				c.Unsatisfied++
			case "unreached":
				c.Unreached++
			}
			if r.reopens > 0 {
				c.Reopened++
			}
		}
		if r.onSpot == 1 {
			c.OnSpot++
		}
	}
	return c
}

func readRaw(t *testing.T, db *store.DB) []raw {
	t.Helper()
	ctx := context.Background()
	// The first contact: the earliest contact event on the lead part.
	contacts := map[int64]int64{}
	rows, err := db.Query(ctx, `SELECT assignment_id, at FROM case_events WHERE action = 'contact' AND assignment_id IS NOT NULL ORDER BY at`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id, at int64
		if err := rows.Scan(&id, &at); err != nil {
			t.Fatal(err)
		}
		if _, ok := contacts[id]; !ok {
			contacts[id] = at
		}
	}
	rows.Close()
	rows, err = db.Query(ctx, `SELECT c.created_at, COALESCE(c.answered_at, 0), COALESCE(c.revisited_at, 0), c.on_spot,
		c.late_answers, c.extensions, c.reopens, c.resolved, c.first_resolved, c.satisfaction, c.place_path,
		a.id, COALESCE(a.unit_path, ''), COALESCE(d.path, ''), COALESCE(a.status, ''),
		a.signed_at, a.sign_due_at, a.contact_due_at, a.handle_due_at, a.returned_at, a.closed_at
	FROM cases c
	LEFT JOIN assignments a ON a.id = (SELECT MAX(x.id) FROM assignments x WHERE x.case_id = c.id AND x.role = 'lead')
	LEFT JOIN units d ON d.id = a.dispatched_by_unit_id
	WHERE c.flow = 'hotline'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []raw
	for rows.Next() {
		var r raw
		var resolved, firstResolved *int64
		if err := rows.Scan(&r.created, &r.answered, &r.revisited, &r.onSpot, &r.lateAnswers, &r.extensions, &r.reopens,
			&resolved, &firstResolved, &r.satisfaction, &r.placePath, &r.leadID, &r.leadPath, &r.dispatcherPath, &r.leadStatus,
			&r.signed, &r.signDue, &r.contactDue, &r.handleDue, &r.returned, &r.closed); err != nil {
			t.Fatal(err)
		}
		r.resolved, r.firstResolved = resolved, firstResolved
		if r.leadID != nil {
			if at, ok := contacts[*r.leadID]; ok {
				r.firstContact = &at
			}
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRatesRecomputedFromDemo is issue 14's "done when" on the demo
// history: the 12345 counts of the county, every township and every
// community, for a day, a week, a month and today, recomputed from the
// cases, assignments and case_events tables under docs/RATES.md, equal
// stats.Rates (what the page shows), GET /api/v1/stats/rates and the
// Excel export of the county's breakdown. Not parallel: it sets the clock
// of "still open past the deadline".
func TestRatesRecomputedFromDemo(t *testing.T) {
	now := time.Date(2026, 11, 26, 20, 22, 0, 0, shanghai)
	restore := stats.SetClockForTest(func() time.Time { return now })
	defer restore()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, o := demoEngine(t, db)
		if res, err := Cases(ctx, db, s, o, CaseOptions{Now: now}); err != nil {
			t.Fatalf("load demo: %v (%d failed)", err, res.Failed)
		}
		cases := readRaw(t, db)
		type unitRow struct{ code, name, kind, path string }
		var units []unitRow
		rows, err := db.Query(ctx, `SELECT code, name, kind, path FROM units WHERE kind IN ('county', 'township', 'community') ORDER BY path`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var u unitRow
			if err := rows.Scan(&u.code, &u.name, &u.kind, &u.path); err != nil {
				t.Fatal(err)
			}
			units = append(units, u)
		}
		rows.Close()
		var county access.Actor
		if err := db.QueryRow(ctx, `SELECT id, code, name, kind, path FROM units WHERE code = '350722000000'`).
			Scan(&county.UnitID, &county.UnitCode, &county.UnitName, &county.UnitKind, &county.UnitPath); err != nil {
			t.Fatal(err)
		}
		county.UserID, county.Roles = 1, []access.Role{access.RoleAdmin}

		// GET /api/v1/stats/rates, as a county administrator calls it.
		users := auth.NewService(db, auth.WithHashParams(auth.FastHashParams()))
		if _, err := users.CreateUser(ctx, access.System, auth.NewUser{Username: "rates_check", Name: "核数", UnitCode: "350722000000",
			Roles: []string{"admin"}, Password: "long enough password"}); err != nil {
			t.Fatal(err)
		}
		token, err := users.CreateToken(ctx, access.System, "rates_check", "test")
		if err != nil {
			t.Fatal(err)
		}
		h := api.New(api.Deps{DB: db, Auth: users, Cases: s, Lists: catalog.NewService(db), Org: o,
			Log: slog.New(slog.NewTextHandler(io.Discard, nil))}).Handler()
		apiCounts := func(code string, from, to time.Time) stats.Counts {
			t.Helper()
			// The API's period is of whole days, to inclusive.
			q := "/api/v1/stats/rates?unit=" + code + "&from=" + from.Format("2006-01-02") + "&to=" + to.Add(-time.Nanosecond).Format("2006-01-02")
			r := httptest.NewRequest("GET", q, nil)
			r.Header.Set("Authorization", "Bearer "+token)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			var out struct {
				Total struct {
					Counts stats.Counts `json:"counts"`
				} `json:"total"`
			}
			if w.Code != 200 {
				t.Fatalf("%s = %d %s", q, w.Code, w.Body.String())
			}
			if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			return out.Total.Counts
		}

		today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, shanghai)
		periods := []struct {
			name     string
			from, to time.Time
		}{
			{"day", today.AddDate(0, 0, -1), today},
			{"week", today.AddDate(0, 0, -7), today},
			{"month", time.Date(2026, 11, 1, 0, 0, 0, 0, shanghai), time.Date(2026, 12, 1, 0, 0, 0, 0, shanghai)},
			{"today", today, now},
		}
		compared, nonEmpty := 0, 0
		for _, p := range periods {
			for _, u := range units {
				want := recompute(cases, u.path, p.from, p.to, now)
				r, err := stats.Rates(ctx, db, county, u.code, stats.DefaultFlow, p.from, p.to, stats.DefaultWeights())
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want, r.Counts); diff != "" {
					t.Errorf("%s %s %s (-recomputed +stats):\n%s", p.name, u.kind, u.name, diff)
				}
				// The API, over whole days: today runs to midnight, and no
				// case is received after now.
				to := p.to
				if p.name == "today" {
					to = today.AddDate(0, 0, 1)
				}
				if got := apiCounts(u.code, p.from, to); got != want {
					t.Errorf("%s %s: GET /api/v1/stats/rates counts %+v, recomputed %+v", p.name, u.name, got, want)
				}
				compared++
				if want.Cases > 0 {
					nonEmpty++
				}
			}
			// The Excel export of the county's breakdown: each row's
			// 受理量, 派单量 and figures' denominators.
			br, err := stats.RatesByChild(ctx, db, county, "350722000000", stats.DefaultFlow, p.from, p.to, stats.DefaultWeights())
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := stats.WriteRatesXLSX(&buf, br); err != nil {
				t.Fatal(err)
			}
			sh := xlsxtest.Read(t, buf.Bytes()).Sheet(t, "统计")
			names := sh.Column(t, "单位")
			got := map[string][]string{}
			for _, col := range []string{"受理量", "派单量", "响应率分母", "解决率分母", "满意率分母", "按期办结率分母", "回访未联系上"} {
				for i, c := range sh.Column(t, col) {
					got[names[i].Value] = append(got[names[i].Value], c.Value)
				}
			}
			byPath := map[string]unitRow{}
			for _, u := range units {
				byPath[u.path] = u
			}
			for _, row := range br.Rows {
				name := row.Unit.Name
				if row.Self {
					continue // the county's own row: the total minus its children
				}
				u, ok := byPath[row.Unit.Path]
				if !ok {
					continue // a department: not a township or community
				}
				w := recompute(cases, u.path, p.from, p.to, now)
				want := []string{strconv.Itoa(w.Cases), strconv.Itoa(w.Dispatched), strconv.Itoa(w.Dispatched), strconv.Itoa(w.Revisited),
					strconv.Itoa(w.Satisfied + w.Basic + w.Unsatisfied), strconv.Itoa(w.Answered), strconv.Itoa(w.Unreached)}
				if diff := cmp.Diff(want, got[name]); diff != "" {
					t.Errorf("%s export row %s (-recomputed +export):\n%s", p.name, name, diff)
				}
			}
			w := recompute(cases, county.UnitPath, p.from, p.to, now)
			wantTotal := []string{strconv.Itoa(w.Cases), strconv.Itoa(w.Dispatched), strconv.Itoa(w.Dispatched), strconv.Itoa(w.Revisited),
				strconv.Itoa(w.Satisfied + w.Basic + w.Unsatisfied), strconv.Itoa(w.Answered), strconv.Itoa(w.Unreached)}
			if diff := cmp.Diff(wantTotal, got["合计"]); diff != "" {
				t.Errorf("%s export total (-recomputed +export):\n%s", p.name, diff)
			}
		}
		t.Logf("%s: %d unit-periods compared, %d with cases, over %d 12345 cases", db.Dialect, compared, nonEmpty, len(cases))
		if nonEmpty < len(periods) {
			t.Errorf("only %d unit-periods have cases: the comparison proves little", nonEmpty)
		}
	})
}
