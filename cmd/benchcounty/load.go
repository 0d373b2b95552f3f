package main

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"grassroots/internal/casework"
	"grassroots/internal/catalog"
	"grassroots/internal/demo"
	"grassroots/internal/org"
	"grassroots/internal/pii"
	"grassroots/internal/stats"
	"grassroots/internal/store"
)

// county is what the synthetic cases are placed on: Pucheng's real
// townships, villages and communities, the demo grids and the county
// departments, as the org package seeds them.
type county struct {
	code        string // 350722000000
	grids       []grid
	departments []unit
	categories  []int64 // leaf categories (GB/T 47678.5 matters and parts)
	leafCodes   []string
}

type unit struct {
	id   int64
	code string
	path string
}

type grid struct {
	unit
	community, township unit
	// lng, lat is a point inside the grid (the middle of its bounding box,
	// which lies in the strip the demo draws).
	lng, lat float64
}

// seedCounty loads the divisions, the demo grids and the shipped categories
// into an empty database (as `grassroots serve --demo` does), and reads them
// back.
func seedCounty(ctx context.Context, db *store.DB, keyFile string) (*county, error) {
	sealer, err := pii.FromKeyOrFile(os.Getenv(pii.EnvKey), keyFile)
	if err != nil {
		return nil, err
	}
	o := org.NewService(db, sealer)
	empty, err := o.Empty(ctx)
	if err != nil {
		return nil, err
	}
	if empty {
		if _, err := o.LoadDivisions(ctx); err != nil {
			return nil, err
		}
	}
	has, err := demo.HasOrg(ctx, o)
	if err != nil {
		return nil, err
	}
	if !has {
		if _, err := demo.Org(ctx, o); err != nil {
			return nil, err
		}
	}
	if err := catalog.NewService(db).SeedCategories(ctx); err != nil {
		return nil, err
	}
	return readCounty(ctx, db)
}

// readCounty reads the units and categories the generator uses.
func readCounty(ctx context.Context, db *store.DB) (*county, error) {
	c := &county{}
	byID := map[int64]unit{}
	kinds := map[int64]string{}
	type box struct{ minLng, maxLng, minLat, maxLat sql.NullFloat64 }
	boxes := map[int64]box{}
	rows, err := db.Query(ctx, `SELECT id, code, path, kind, min_lng, max_lng, min_lat, max_lat FROM units`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var u unit
		var kind string
		var b box
		if err := rows.Scan(&u.id, &u.code, &u.path, &kind, &b.minLng, &b.maxLng, &b.minLat, &b.maxLat); err != nil {
			rows.Close()
			return nil, err
		}
		byID[u.id], kinds[u.id], boxes[u.id] = u, kind, b
		switch kind {
		case "county":
			c.code = u.code
		case "department":
			c.departments = append(c.departments, u)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for id, kind := range kinds {
		if kind != "grid" {
			continue
		}
		g := grid{unit: byID[id]}
		ids := pathIDs(g.path)
		for _, a := range ids {
			switch kinds[a] {
			case "community", "village":
				g.community = byID[a]
			case "township", "street":
				g.township = byID[a]
			}
		}
		b := boxes[id]
		if g.community.id == 0 || g.township.id == 0 || !b.minLng.Valid {
			continue
		}
		g.lng, g.lat = (b.minLng.Float64+b.maxLng.Float64)/2, (b.minLat.Float64+b.maxLat.Float64)/2
		c.grids = append(c.grids, g)
	}
	if len(c.grids) == 0 || len(c.departments) == 0 || c.code == "" {
		return nil, fmt.Errorf("the organisation data holds %d grids and %d departments: seed failed", len(c.grids), len(c.departments))
	}
	// Stable order, so a given seed places cases the same way every run.
	sortUnits(c.grids, c.departments)
	rows, err = db.Query(ctx, `SELECT k.id, k.code FROM categories k WHERE NOT EXISTS (SELECT 1 FROM categories x WHERE x.parent_id = k.id) ORDER BY k.code`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id int64
		var code string
		if err := rows.Scan(&id, &code); err != nil {
			rows.Close()
			return nil, err
		}
		c.categories = append(c.categories, id)
		c.leafCodes = append(c.leafCodes, code)
	}
	rows.Close()
	if len(c.categories) == 0 {
		return nil, errors.New("no categories loaded")
	}
	return c, rows.Err()
}

func sortUnits(gs []grid, ds []unit) {
	slices.SortFunc(gs, func(a, b grid) int { return strings.Compare(a.code, b.code) })
	slices.SortFunc(ds, func(a, b unit) int { return strings.Compare(a.code, b.code) })
}

func pathIDs(p string) []int64 {
	var out []int64
	for _, part := range strings.Split(strings.Trim(p, "/"), "/") {
		var id int64
		if _, err := fmt.Sscan(part, &id); err == nil {
			out = append(out, id)
		}
	}
	return out
}

// phrases are what the synthetic cases are about.
var phrases = []string{"路灯不亮", "夜间施工噪音扰民", "咨询低保申请材料", "道路积水严重", "垃圾清运不及时", "违章停车堵路",
	"占道经营", "井盖缺失有危险", "树木倒伏", "小区停水", "楼道堆放杂物", "广场舞音响太吵", "油烟扰民", "下水道堵塞",
	"医保报销咨询", "养老金发放", "学校门口交通拥堵", "流浪狗伤人", "电动车违规充电", "农村道路破损", "自来水水压低",
	"公交站牌损坏", "河道漂浮物", "农贸市场卫生差", "物业服务不到位", "房屋漏水", "拖欠农民工工资", "燃气泄漏隐患",
	"菜市场占道", "冬季供暖不足"}

// The tables the loader fills, with their columns in the order the
// generator emits values.
var (
	caseCols = []string{"id", "no", "flow", "request_type", "category_id", "title", "body", "priority", "channel", "address",
		"lng", "lat", "grid_unit_id", "place_unit_id", "place_path", "township_unit_id", "reporter_name", "reporter_phone_hash",
		"reporter_phone_last4", "status", "lead_unit_id", "handle_due_at", "answered_at", "answer", "revisit_due_at",
		"revisited_at", "resolved", "satisfaction", "on_spot", "extensions", "reopens", "overdue", "closed_at",
		"created_at", "updated_at"}
	assignCols = []string{"id", "case_id", "case_created_at", "unit_id", "unit_path", "role", "status", "dispatched_at", "sign_due_at",
		"signed_at", "handle_due_at", "answered_at", "answer", "extension_days", "warned", "overdue", "escalated",
		"closed_at", "created_at", "updated_at"}
	eventCols = []string{"id", "case_id", "assignment_id", "at", "actor_name", "actor_unit_id", "action", "from_status",
		"to_status", "note", "public", "public_text"}
	timerCols = []string{"id", "kind", "case_id", "assignment_id", "due_at", "payload", "created_at", "fired_at", "fired_by"}
)

// batch collects the rows of one chunk of cases.
type batch struct {
	cases, assigns, events, timers [][]any
	search                         [][]any // case id, tokens
}

func (b *batch) reset() {
	b.cases, b.assigns, b.events, b.timers, b.search = b.cases[:0], b.assigns[:0], b.events[:0], b.timers[:0], b.search[:0]
}

// generator makes the cases of a synthetic county year, deterministically
// from its seed.
type generator struct {
	c        *county
	rng      *rand.Rand
	now      time.Time // the end of the year (the load's "now")
	start    time.Time
	zone     *time.Location
	counters map[string]int // per day, the last case number
	nextA    int64
	nextE    int64
	nextT    int64
	weights  []int // per grid, how busy it is
	wsum     int
	times    []int64 // the receipt times of all cases, in order (ids grow with time, as in real intake)
}

func newGenerator(c *county, n int, now time.Time) *generator {
	g := &generator{c: c, rng: rand.New(rand.NewPCG(20261126, 350722)), now: now, start: now.AddDate(-1, 0, 0),
		zone: time.FixedZone("CST", 8*3600), counters: map[string]int{}}
	// Urban grids see more cases than rural ones: give each grid a weight
	// of 1..8, fixed by the seed.
	g.weights = make([]int, len(c.grids))
	for i := range g.weights {
		g.weights[i] = 1 + g.rng.IntN(8)
		g.wsum += g.weights[i]
	}
	g.times = make([]int64, n)
	for i := range g.times {
		g.times[i] = g.createdAt().UnixNano()
	}
	slices.Sort(g.times)
	return g
}

func (g *generator) pickGrid() grid {
	n := g.rng.IntN(g.wsum)
	for i, w := range g.weights {
		if n < w {
			return g.c.grids[i]
		}
		n -= w
	}
	return g.c.grids[len(g.c.grids)-1]
}

// createdAt draws a receipt time in the year: any day, mostly in the
// daytime (07:00-22:00 China time).
func (g *generator) createdAt() time.Time {
	days := int(g.now.Sub(g.start).Hours() / 24)
	for {
		d := g.start.In(g.zone).AddDate(0, 0, g.rng.IntN(days+1))
		day := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, g.zone)
		t := day.Add(7*time.Hour + time.Duration(g.rng.Int64N(int64(15*time.Hour))))
		if g.rng.IntN(10) == 0 { // some calls at night
			t = day.Add(time.Duration(g.rng.Int64N(int64(24 * time.Hour))))
		}
		if t.Before(g.now) && !t.Before(g.start) {
			return t
		}
	}
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func nullMS(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

// add appends case id and everything that goes with it to b.
func (g *generator) add(b *batch, id int64) {
	r := g.rng
	created := time.Unix(0, g.times[id-1])
	gr := g.pickGrid()
	day := created.In(g.zone).Format("20060102")
	g.counters[day]++
	no := fmt.Sprintf("%s-%s-%05d", g.c.code[:6], day, g.counters[day])
	p1, p2 := phrases[r.IntN(len(phrases))], phrases[r.IntN(len(phrases))]
	title := p1
	body := fmt.Sprintf("群众反映%s，另外%s，希望尽快处理。来电编号%d", p1, p2, r.IntN(1000000))
	address := fmt.Sprintf("%s附近%d号", gr.code, r.IntN(300)+1)
	flow, channel, reqType := "hotline", "phone", []string{"consult", "help", "complaint", "complaint", "suggestion"}[r.IntN(5)]
	if r.IntN(100) < 15 {
		flow, channel, reqType = "grid_event", "grid", ""
	}
	priority := "normal"
	switch x := r.IntN(100); {
	case x < 5:
		priority = "urgent"
	case x < 10:
		priority = "complex"
	}
	phone := fmt.Sprintf("1%010d", r.Int64N(10_000_000_000))
	h := sha256.Sum256([]byte("bench:" + phone))
	catIdx := r.IntN(len(g.c.categories))
	age := g.now.Sub(created)
	lng, lat := gr.lng+(r.Float64()-0.5)*0.001, gr.lat+(r.Float64()-0.5)*0.001

	// The lead unit: the grid's community, its township, or a county
	// department.
	lead := gr.community
	switch x := r.IntN(100); {
	case flow == "grid_event":
	case x < 25:
		lead = gr.township
	case x < 40:
		lead = g.c.departments[r.IntN(len(g.c.departments))]
	}
	onSpot := flow == "grid_event" && r.IntN(100) < 30
	signLimit := 2 * time.Hour
	handleLimit := 5 * 24 * time.Hour
	if priority == "urgent" {
		signLimit, handleLimit = 30*time.Minute, 24*time.Hour
	} else if priority == "complex" {
		handleLimit = 15 * 24 * time.Hour
	}
	dispatched := created.Add(time.Duration(1+r.IntN(30)) * time.Minute)
	signDue := dispatched.Add(signLimit)
	handleDue := dispatched.Add(handleLimit)

	// What has happened to it by now: young cases are still being
	// worked; 2% of older ones are long-running (still in hand, overdue).
	var signed, answered, revisitDue, revisited, closed time.Time
	status, astatus := "closed", "done"
	var resolved any
	satisfaction := ""
	overdue, extensions, reopens := 0, 0, 0
	stuck := r.IntN(100) < 2
	switch {
	case onSpot:
		closed = created.Add(time.Duration(5+r.IntN(60)) * time.Minute)
	case age < 3*time.Hour && r.IntN(2) == 0:
		status, astatus = "dispatched", "to_sign"
	case age < 6*24*time.Hour || stuck:
		status, astatus = "in_hand", "in_hand"
		signed = dispatched.Add(time.Duration(r.IntN(int(signLimit/time.Minute)*3/2+1)) * time.Minute)
		if signed.After(g.now) {
			signed = g.now.Add(-time.Minute)
		}
		if g.now.After(handleDue) {
			overdue = 1
		}
	default:
		signed = dispatched.Add(time.Duration(r.IntN(int(signLimit/time.Minute)*3/2+1)) * time.Minute)
		answered = signed.Add(time.Duration(r.Int64N(int64(handleLimit) * 6 / 5)))
		if r.IntN(20) == 0 {
			extensions = 1
			handleDue = handleDue.Add(5 * 24 * time.Hour)
		}
		if answered.After(handleDue) {
			overdue = 1
		}
		revisitDue = answered.Add(24 * time.Hour)
		if g.now.Sub(answered) < 30*time.Hour {
			status, astatus = "answered", "answered"
		} else {
			revisited = answered.Add(time.Duration(1+r.IntN(30)) * time.Hour)
			closed = revisited
			resolved = 1
			if r.IntN(10) == 0 {
				resolved = 0
				reopens = 1
			}
			satisfaction = []string{"satisfied", "satisfied", "satisfied", "basic", "unsatisfied"}[r.IntN(5)]
		}
	}
	answer := ""
	if !answered.IsZero() {
		answer = "已安排人员现场处理，问题已解决。"
	}
	var leadID, caseHandleDue any
	if !onSpot {
		leadID, caseHandleDue = lead.id, ms(handleDue)
	}
	var res any = resolved
	b.cases = append(b.cases, []any{id, no, flow, reqType, g.c.categories[catIdx], title, body, priority, channel, address,
		lng, lat, gr.id, gr.community.id, gr.community.path, gr.township.id, "", hex.EncodeToString(h[:16]),
		phone[7:], status, leadID, caseHandleDue, nullMS(answered), answer, nullMS(revisitDue),
		nullMS(revisited), res, satisfaction, b2i(onSpot), extensions, reopens, overdue, nullMS(closed),
		ms(created), ms(created)})
	b.search = append(b.search, []any{id, casework.Tokens(title + "\n" + body + "\n" + address)})

	ev := func(aid any, at time.Time, action, from, to string, public bool, text string) {
		g.nextE++
		b.events = append(b.events, []any{g.nextE, id, aid, ms(at), "bench", nil, action, from, to, "", b2i(public), text})
	}
	ev(nil, created, "receive", "", "received", true, "您的诉求已受理，工单编号 "+no)
	if onSpot {
		ev(nil, closed, "fix_on_spot", "received", "closed", true, "问题已现场处理")
		return
	}
	g.nextA++
	aid := g.nextA
	aClosed := closed
	b.assigns = append(b.assigns, []any{aid, id, ms(created), lead.id, lead.path, "lead", astatus, ms(dispatched), ms(signDue),
		nullMS(signed), ms(handleDue), nullMS(answered), answer, extensions * 5, 0, overdue, overdue, nullMS(aClosed),
		ms(dispatched), ms(dispatched)})
	ev(aid, dispatched, "dispatch", "received", "dispatched", false, "")
	if !signed.IsZero() {
		ev(aid, signed, "sign", "dispatched", "in_hand", true, "承办单位已签收")
	}
	if !answered.IsZero() {
		ev(aid, answered, "answer", "in_hand", "answered", true, answer)
	}
	if !revisited.IsZero() {
		ev(nil, revisited, "revisit", "answered", "closed", false, "")
	}
	// A supporting department on one case in ten.
	if r.IntN(10) == 0 {
		g.nextA++
		d := g.c.departments[r.IntN(len(g.c.departments))]
		b.assigns = append(b.assigns, []any{g.nextA, id, ms(created), d.id, d.path, "supporting", astatus, ms(dispatched), ms(signDue),
			nullMS(signed), ms(handleDue), nullMS(answered), "", 0, 0, 0, 0, nullMS(aClosed), ms(dispatched), ms(dispatched)})
	}
	// The open part's deadline timers: pending when due after now, fired
	// (by an earlier sweep) when already passed.
	if closed.IsZero() && answered.IsZero() {
		kind, due, deadline := "handle_due", handleDue, "handle"
		if astatus == "to_sign" {
			kind, due, deadline = "sign_due", signDue, "sign"
		}
		payload, _ := json.Marshal(map[string]any{"deadline": deadline, "due_at": ms(due)})
		var firedAt, firedBy any
		if !due.After(g.now) {
			firedAt, firedBy = ms(due), "bench-load"
		}
		g.nextT++
		b.timers = append(b.timers, []any{g.nextT, kind, id, aid, ms(due), string(payload), ms(dispatched), firedAt, firedBy})
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// loadCases writes n cases (ids 1..n) with their assignments, events, search
// tokens and timers, chunk by chunk, each chunk in one transaction:
// multi-row INSERTs on SQLite, COPY on PostgreSQL. It returns the numbers of
// rows written.
func loadCases(ctx context.Context, db *store.DB, c *county, n int, now time.Time, progress func(done int)) (map[string]int, error) {
	g := newGenerator(c, n, now)
	const chunk = 20000
	var b batch
	total := map[string]int{}
	for done := 0; done < n; {
		b.reset()
		k := min(chunk, n-done)
		for i := range k {
			g.add(&b, int64(done+i+1))
		}
		var err error
		if db.Dialect == store.Postgres {
			err = copyBatch(ctx, db, &b)
		} else {
			err = insertBatch(ctx, db, &b)
		}
		if err != nil {
			return total, fmt.Errorf("cases %d-%d: %w", done+1, done+k, err)
		}
		total["cases"] += len(b.cases)
		total["assignments"] += len(b.assigns)
		total["events"] += len(b.events)
		total["timers"] += len(b.timers)
		done += k
		if progress != nil {
			progress(done)
		}
	}
	// Case numbers handed out later continue after the synthetic ones.
	err := db.InTx(ctx, func(tx *store.Tx) error {
		for day, last := range g.counters {
			if _, err := tx.Exec(ctx, `INSERT INTO case_counters (county_code, day, last) VALUES (?, ?, ?)
				ON CONFLICT (county_code, day) DO UPDATE SET last = excluded.last`, c.code[:6], day, last); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return total, fmt.Errorf("case counters: %w", err)
	}
	// The assignments went in raw: copy each case's current lead onto the
	// case, as the engine does for every action (the rates read it).
	if err := casework.RefreshLeads(ctx, db); err != nil {
		return total, err
	}
	// The triggers recorded every case's counts as changes: fold them into
	// the daily sums, as the server does every few seconds.
	if _, err := stats.Fold(ctx, db); err != nil {
		return total, err
	}
	if db.Dialect == store.Postgres {
		for _, t := range []string{"cases", "assignments", "case_events", "timers"} {
			if _, err := db.Exec(ctx, `SELECT setval(pg_get_serial_sequence('`+t+`', 'id'), (SELECT COALESCE(MAX(id), 0) + 1 FROM `+t+`), false)`); err != nil {
				return total, fmt.Errorf("sequence of %s: %w", t, err)
			}
		}
		_, err = db.Exec(ctx, `VACUUM ANALYZE`)
	} else {
		_, err = db.Exec(ctx, `ANALYZE`)
	}
	return total, err
}

// insertBatch writes a chunk on SQLite with multi-row INSERTs in one
// transaction.
func insertBatch(ctx context.Context, db *store.DB, b *batch) error {
	search := make([][]any, len(b.search))
	for i, s := range b.search {
		search[i] = []any{s[0], strings.Join(s[1].([]string), " ")}
	}
	return db.InTx(ctx, func(tx *store.Tx) error {
		for _, t := range []struct {
			table string
			cols  []string
			rows  [][]any
		}{
			{"cases", caseCols, b.cases},
			{"assignments", assignCols, b.assigns},
			{"case_events", eventCols, b.events},
			{"timers", timerCols, b.timers},
			{"case_search", []string{"rowid", "tokens"}, search},
		} {
			if err := insertRows(ctx, tx, t.table, t.cols, t.rows); err != nil {
				return fmt.Errorf("%s: %w", t.table, err)
			}
		}
		return nil
	})
}

// insertRows writes rows with INSERTs of up to 200 rows each.
func insertRows(ctx context.Context, tx *store.Tx, table string, cols []string, rows [][]any) error {
	const per = 200
	row := "(" + strings.TrimSuffix(strings.Repeat("?,", len(cols)), ",") + ")"
	head := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES "
	for len(rows) > 0 {
		k := min(per, len(rows))
		args := make([]any, 0, k*len(cols))
		for _, r := range rows[:k] {
			args = append(args, r...)
		}
		if _, err := tx.Exec(ctx, head+strings.TrimSuffix(strings.Repeat(row+",", k), ","), args...); err != nil {
			return err
		}
		rows = rows[k:]
	}
	return nil
}

// copyBatch writes a chunk on PostgreSQL with COPY, in one transaction.
func copyBatch(ctx context.Context, db *store.DB, b *batch) error {
	conn, err := db.W.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		tx, err := pc.Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(ctx)
		for _, t := range []struct {
			table string
			cols  []string
			rows  [][]any
		}{
			{"cases", caseCols, b.cases},
			{"assignments", assignCols, b.assigns},
			{"case_events", eventCols, b.events},
			{"timers", timerCols, b.timers},
			{"case_search", []string{"case_id", "tokens"}, b.search},
		} {
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{t.table}, t.cols, pgx.CopyFromRows(t.rows)); err != nil {
				return fmt.Errorf("copy %s: %w", t.table, err)
			}
		}
		return tx.Commit(ctx)
	})
}
