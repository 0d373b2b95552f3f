package demo

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"grassroots/internal/access"
	"grassroots/internal/api"
	"grassroots/internal/auth"
	"grassroots/internal/casework"
	"grassroots/internal/catalog"
	"grassroots/internal/stats"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
	"grassroots/internal/web"
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
// stats.Rates, GET /api/v1/stats/rates, the web page /stats (its figure
// cards, read from the HTML) and the Excel export /stats/export.xlsx of
// the county's breakdown. The server's figures run at the test's clock
// (web.Deps.Stats, api.Deps.Stats): nothing global is set.
func TestRatesRecomputedFromDemo(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 26, 20, 22, 0, 0, shanghai)
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		figures := stats.New(db).WithClock(func() time.Time { return now })
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
		quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
		h := api.New(api.Deps{DB: db, Auth: users, Cases: s, Lists: catalog.NewService(db), Org: o, Stats: figures, Log: quiet}).Handler()
		// The web page and its export, as the same administrator sees them.
		ui, err := web.New(web.Deps{DB: db, Auth: users, Cases: s, Lists: catalog.NewService(db), Org: o, Stats: figures, Log: quiet})
		if err != nil {
			t.Fatal(err)
		}
		session, err := users.Login(ctx, "rates_check", "long enough password", "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		uh := ui.Handler()
		get := func(path string) *httptest.ResponseRecorder {
			t.Helper()
			r := httptest.NewRequest("GET", path, nil)
			r.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: session})
			w := httptest.NewRecorder()
			uh.ServeHTTP(w, r)
			if w.Code != 200 {
				t.Fatalf("GET %s = %d %s", path, w.Code, w.Body.String())
			}
			return w
		}
		// pageShows reads the figure cards and the counts beside them from
		// the page's HTML: figure → numerator and denominator.
		pageShows := func(code string, from, to time.Time) (map[string][2]float64, map[string]int) {
			t.Helper()
			q := "/stats?unit=" + code + "&flow=hotline&from=" + from.Format("2006-01-02") + "&to=" + to.Add(-time.Nanosecond).Format("2006-01-02")
			body := get(q).Body.String()
			start := strings.Index(body, `<div class="cards rate-cards">`)
			end := strings.Index(body, `<p class="muted" data-unit="`+code+`">`)
			if start < 0 || end < start {
				t.Fatalf("%s: no figure cards", q)
			}
			para := body[end:]
			para = para[:strings.Index(para, "</p>")]
			figs := map[string][2]float64{}
			for _, m := range cardFigure.FindAllStringSubmatch(body[start:end], -1) {
				num, err1 := strconv.ParseFloat(m[2], 64)
				den, err2 := strconv.ParseFloat(m[3], 64)
				if err1 != nil || err2 != nil {
					t.Fatalf("%s: card %q", q, m[0])
				}
				figs[m[1]] = [2]float64{num, den}
			}
			counts := map[string]int{}
			for _, m := range pageCount.FindAllStringSubmatch(para, -1) {
				counts[m[1]], _ = strconv.Atoi(m[2])
			}
			return figs, counts
		}
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
				r, err := figures.Rates(ctx, county, stats.Query{Unit: u.code, Flow: stats.DefaultFlow, From: p.from, To: p.to, Weights: stats.DefaultWeights()})
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
				// The page: every card's numerator and denominator, and the
				// counts beside them (未联系上 beside 满意率).
				figs, counts := pageShows(u.code, p.from, to)
				if diff := cmp.Diff(expectFigures(want), figs); diff != "" {
					t.Errorf("%s %s: page /stats (-recomputed +page):\n%s", p.name, u.name, diff)
				}
				if diff := cmp.Diff(map[string]int{"cases": want.Cases, "dispatched": want.Dispatched, "unreached": want.Unreached}, counts); diff != "" {
					t.Errorf("%s %s: page /stats counts (-recomputed +page):\n%s", p.name, u.name, diff)
				}
				compared++
				if want.Cases > 0 {
					nonEmpty++
				}
			}
			// The Excel export of the county's breakdown, as the page
			// offers it: each row's 受理量, 派单量 and figures' denominators.
			br, err := figures.Breakdown(ctx, county, stats.Query{Unit: "350722000000", Flow: stats.DefaultFlow, From: p.from, To: p.to, Weights: stats.DefaultWeights()})
			if err != nil {
				t.Fatal(err)
			}
			to := p.to
			if p.name == "today" {
				to = today.AddDate(0, 0, 1)
			}
			export := get("/stats/export.xlsx?unit=350722000000&flow=hotline&from=" + p.from.Format("2006-01-02") + "&to=" + to.Add(-time.Nanosecond).Format("2006-01-02"))
			sh := xlsxtest.Read(t, export.Body.Bytes()).Sheet(t, "统计")
			names := sh.Column(t, "单位")
			got := map[string][]string{}
			for _, col := range []string{"受理量", "派单量", "响应率分子", "响应率分母", "解决率分子", "解决率分母", "满意率分子", "满意率分母",
				"按期办结率分子", "按期办结率分母", "超期率分子", "回访未联系上"} {
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
				want := exportRow(w)
				if diff := cmp.Diff(want, got[name]); diff != "" {
					t.Errorf("%s export row %s (-recomputed +export):\n%s", p.name, name, diff)
				}
			}
			w := recompute(cases, county.UnitPath, p.from, p.to, now)
			wantTotal := exportRow(w)
			if diff := cmp.Diff(wantTotal, got["合计"]); diff != "" {
				t.Errorf("%s export total (-recomputed +export):\n%s", p.name, diff)
			}
		}
		// The whistles' own figures over the demo's months: the summoned
		// parties, recounted from the assignments, and the results the
		// whistlers accepted.
		var summoned, reportedIn, results, accepted int
		if err := db.QueryRow(ctx, `SELECT COUNT(*),
				COALESCE(SUM(CASE WHEN a.reported_at IS NOT NULL AND (a.report_due_at IS NULL OR a.reported_at <= a.report_due_at) THEN 1 ELSE 0 END), 0),
				COALESCE(SUM(CASE WHEN a.answered_at IS NOT NULL THEN 1 ELSE 0 END), 0),
				COALESCE(SUM(CASE WHEN a.answered_at IS NOT NULL AND a.status = 'done' AND a.rating IS NOT NULL THEN 1 ELSE 0 END), 0)
			FROM assignments a JOIN cases c ON c.id = a.case_id WHERE c.flow = 'whistle' AND a.role = 'summoned' AND c.created_at < ?`,
			store.Millis(now)).Scan(&summoned, &reportedIn, &results, &accepted); err != nil {
			t.Fatal(err)
		}
		wq := stats.Query{Unit: "350722000000", Flow: "whistle", From: now.AddDate(-1, 0, 0), To: now, Weights: stats.DefaultWeights(),
			Figures: stats.FiguresOf(whistleFigures(s))}
		wr, err := figures.Rates(ctx, county, wq)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := [2]string{wr.Figure("report_in").Fraction(), wr.Figure("accepted").Fraction()}, [2]string{
			strconv.Itoa(reportedIn) + " / " + strconv.Itoa(summoned), strconv.Itoa(accepted) + " / " + strconv.Itoa(results)}; got != want || accepted == 0 {
			t.Errorf("whistle figures %v, recounted %v (accepted %d)", got, want, accepted)
		}
		t.Logf("%s: %d unit-periods compared, %d with cases, over %d 12345 cases", db.Dialect, compared, nonEmpty, len(cases))
		if nonEmpty < len(periods) {
			t.Errorf("only %d unit-periods have cases: the comparison proves little", nonEmpty)
		}
	})
}

var (
	// cardFigure is a figure card of /stats: its figure, numerator and
	// denominator.
	cardFigure = regexp.MustCompile(`data-figure="(\w+)" data-num="([0-9.]+)" data-den="([0-9]+)"`)
	// pageCount is a count shown beside the figures.
	pageCount = regexp.MustCompile(`<span data-count="(\w+)">([0-9]+)</span>`)
)

// expectFigures are the ten 12345 figures of recomputed counts, as
// docs/RATES.md defines their numerators and denominators (基本满意 weighs
// the default 0.8).
func expectFigures(c stats.Counts) map[string][2]float64 {
	f := func(num float64, den int) [2]float64 { return [2]float64{math.Round(num*100) / 100, float64(den)} }
	return map[string][2]float64{
		"response":       f(float64(c.Responded), c.Dispatched),
		"signing":        f(float64(c.Signed), c.Dispatched),
		"resolution":     f(float64(c.Resolved), c.Revisited),
		"first_resolved": f(float64(c.FirstResolved), c.Revisited),
		"satisfaction":   f(float64(c.Satisfied)+0.8*float64(c.Basic), c.Satisfied+c.Basic+c.Unsatisfied),
		"on_time":        f(float64(c.OnTime), c.Answered),
		"overdue":        f(float64(c.Overdue), c.Dispatched),
		"extension":      f(float64(c.Extended), c.Dispatched),
		"reopen":         f(float64(c.Reopened), c.Revisited),
		"on_spot":        f(float64(c.OnSpot), c.Cases),
	}
}

// exportRow is what a line of the export holds in the compared columns.
func exportRow(c stats.Counts) []string {
	n := strconv.Itoa
	return []string{n(c.Cases), n(c.Dispatched), n(c.Responded), n(c.Dispatched), n(c.Resolved), n(c.Revisited),
		strconv.FormatFloat(math.Round((float64(c.Satisfied)+0.8*float64(c.Basic))*100)/100, 'f', -1, 64), n(c.Satisfied + c.Basic + c.Unsatisfied),
		n(c.OnTime), n(c.Answered), n(c.Overdue), n(c.Unreached)}
}

func whistleFigures(s *casework.Service) []string {
	f, _ := s.Flow("whistle")
	return f.Figures
}
