package stats

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/store"
)

// A panel read (Panel) is one statement: the UNION ALL of parts that each
// give rows of the same shape, told apart by their first column. A part's
// columns are: a tag, four texts, a key number and partCounts counts.
const partCounts = 17

// Part is a caller's part of a panel read: a SELECT of a tag (a string
// literal of its own, not one of Panel's: w, c, m, ml, t, tl), four texts,
// a number and 17 counts (PadCounts fills those it leaves out), with its
// arguments.
type Part struct {
	SQL  string
	Args []any
}

// PartRow is one row of a caller's part.
type PartRow struct {
	Tag  string
	Text [4]string
	Key  int64
	N    [partCounts]int64
}

// PadCounts is the SELECT list's tail of zeros for a part that gives only
// the first n counts: ", 0, 0, …".
func PadCounts(n int) string {
	return strings.Repeat(", 0", partCounts-n)
}

// PanelFigures are what Panel reads.
type PanelFigures struct {
	Weights Weights
	// Breakdown is the period's figures by child, as RatesByChild.
	Breakdown Breakdown
	// Trend is the months' figures, as Trend.
	Trend []UnitRates
	// Extra are the rows of the caller's parts, in no particular order.
	Extra []PartRow
}

// openLateCond is the part of 超期 that depends on the moment (see
// openLateQuery), on assignments a and case_figures x.
const openLateCond = `a.closed_at IS NULL AND a.role = 'lead' AND a.handle_due_at < ? AND a.status NOT IN ('answered', 'returned', 'refused', 'done')
	AND x.late_answers = 0`

// Panel reads, in one statement, what the cockpit's 12345 panel shows of
// the figures of unit u (already found by the caller; the actor must see
// it): the weights, the figures of flow for [from, to) by child (as
// RatesByChild), the trend of the last months months to now (as Trend), and
// the caller's extra parts. The numbers are exactly those of RatesByChild
// and Trend (TestPanelIsRatesAndTrend): the same sums, the same open-late
// part, only asked together.
func Panel(ctx context.Context, db *store.DB, actor access.Actor, u Unit, flow string, from, to time.Time, months int, now time.Time, extra ...Part) (PanelFigures, error) {
	var out PanelFigures
	if err := checkPeriod(flow, from, to, DefaultWeights()); err != nil {
		return out, err
	}
	if months < 1 || months > 36 {
		return out, store.Invalid("趋势的月数应在 1 到 36 之间")
	}
	if actor.Anonymous() {
		return out, store.Forbidden("请先登录")
	}
	if !actor.SeesPath(u.Path) {
		return out, store.Forbidden(fmt.Sprintf("您无权查看「%s」的统计", u.Name))
	}
	lo, hi := access.PathRange(u.Path)
	scope, sargs := actor.SubtreeFilter("x.path")
	where := "x.path >= ? AND x.path < ? AND " + scope
	within := append([]any{lo, hi}, sargs...)
	var parts []string
	var args []any
	part := func(sql string, a ...any) {
		parts = append(parts, sql)
		args = append(args, a...)
	}
	// The weight setting and the children.
	part(`SELECT 'w', COALESCE((SELECT value FROM settings WHERE key = ?), ''), '', '', '', 0`+PadCounts(0), WeightBasicKey)
	part(`SELECT 'c', code, name, kind, path, id, sort`+PadCounts(1)+` FROM units WHERE parent_id = ?`, u.ID)
	// The period by path: the daily sums for whole days, else the cases.
	fromDay, fromMidnight := cstDay(from)
	toDay, toMidnight := cstDay(to)
	if fromMidnight && toMidnight {
		part(`SELECT 'm', x.path, '', '', '', 0, `+sumFigures+` FROM (
			SELECT day, path, `+figureColumns+` FROM case_figures_daily WHERE day >= ? AND day < ? AND flow = ?
			UNION ALL
			SELECT day, path, `+figureColumns+` FROM case_figures_changes WHERE day >= ? AND day < ? AND flow = ?
		) x WHERE `+where+` GROUP BY x.path`, append([]any{fromDay, toDay, flow, fromDay, toDay, flow}, within...)...)
	} else {
		part(`SELECT 'm', x.path, '', '', '', 0, `+sumFigures+` FROM case_figures x
			WHERE x.created_at >= ? AND x.created_at < ? AND x.flow = ? AND `+where+` GROUP BY x.path`,
			append([]any{store.Millis(from), store.Millis(to), flow}, within...)...)
	}
	// Driven from the open leads, each case by its key (trendLateFrom: a
	// CROSS JOIN keeps SQLite from starting at the period's cases).
	part(`SELECT 'ml', x.path, '', '', '', 0, COUNT(*), SUM(x.on_time)`+PadCounts(2)+` `+trendLateFrom+` AND `+where+` GROUP BY x.path`,
		append([]any{store.Millis(now), store.Millis(from), store.Millis(to), flow}, within...)...)
	// The trend: whole months from the monthly sums, the last month's days
	// from the daily sums, the changes not yet folded (trendSums), and its
	// open-late part (trendLateFrom), as Trend reads them.
	first, end := trendSpan(now, months)
	tFrom, _ := cstDay(first)
	tLast, _ := cstDay(MonthStart(now))
	tTo, _ := cstDay(end)
	part(`SELECT 't', '', '', '', '', x.day, `+sumFigures+` FROM `+trendSums+` WHERE `+where+` GROUP BY x.day`,
		append(trendSumsArgs(tFrom, tLast, tTo, flow), within...)...)
	part(`SELECT 'tl', '', '', '', '', x.day, COUNT(*), SUM(x.on_time)`+PadCounts(2)+` `+trendLateFrom+` AND `+where+` GROUP BY x.day`,
		append([]any{store.Millis(now), store.Millis(first), store.Millis(end), flow}, within...)...)
	for _, e := range extra {
		part(e.SQL, e.Args...)
	}
	rows, err := db.Reader(ctx).Query(ctx, strings.Join(parts, "\nUNION ALL\n"), args...)
	if err != nil {
		return out, fmt.Errorf("panel %s: %w", u.Code, err)
	}
	defer rows.Close()
	byPath, byDay := map[string]Counts{}, map[int64]Counts{}
	type child struct {
		Unit
		sort int64
	}
	var children []child
	weight := ""
	for rows.Next() {
		var r PartRow
		var n [partCounts]*int64
		dest := []any{&r.Tag, &r.Text[0], &r.Text[1], &r.Text[2], &r.Text[3], &r.Key}
		for i := range r.N {
			n[i] = &r.N[i]
			dest = append(dest, n[i])
		}
		if err := rows.Scan(dest...); err != nil {
			return out, fmt.Errorf("panel %s: %w", u.Code, err)
		}
		var c Counts
		for i, f := range c.fields() {
			*f = int(r.N[i])
		}
		switch r.Tag {
		case "w":
			weight = r.Text[0]
		case "c":
			children = append(children, child{Unit{ID: r.Key, Code: r.Text[0], Name: r.Text[1], Kind: r.Text[2], Path: r.Text[3]}, r.N[0]})
		case "m":
			if c != (Counts{}) { // a unit whose cases all moved elsewhere
				byPath[r.Text[0]] = addCounts(byPath[r.Text[0]], c)
			}
		case "ml":
			byPath[r.Text[0]] = openLate(byPath[r.Text[0]], int(r.N[0]), int(r.N[1]))
		case "t":
			byDay[r.Key] = addCounts(byDay[r.Key], c)
		case "tl":
			byDay[r.Key] = openLate(byDay[r.Key], int(r.N[0]), int(r.N[1]))
		default:
			out.Extra = append(out.Extra, r)
		}
	}
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("panel %s: %w", u.Code, err)
	}
	out.Weights = weightsOf(weight)
	sort.SliceStable(children, func(i, j int) bool {
		if children[i].sort != children[j].sort {
			return children[i].sort < children[j].sort
		}
		return children[i].Code < children[j].Code
	})
	kids := make([]Unit, len(children))
	for i, ch := range children {
		kids[i] = ch.Unit
	}
	q := Query{Flow: flow, From: from, To: to, Weights: out.Weights}
	out.Breakdown = splitByChild(u, q, byPath, nil, kids, q.names())
	out.Trend = trendOf(u, flow, first, end, months, byDay, out.Weights)
	return out, nil
}

func addCounts(c, o Counts) Counts {
	c.add(o)
	return c
}

// openLate adds the cases open past their deadline now to counts: overdue,
// and not on time even when an earlier answer was.
func openLate(c Counts, n, onTime int) Counts {
	c.Overdue += n
	c.OnTime -= onTime
	return c
}

// weightsOf reads the weight setting's value, DefaultWeights for a missing
// or unusable one (LoadWeights).
func weightsOf(v string) Weights {
	if v == "" {
		return DefaultWeights()
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || (Weights{Basic: f}).Validate() != nil {
		return DefaultWeights()
	}
	return Weights{Basic: f}
}

// trendSpan is the trend's first month and its end (the end of now's day).
func trendSpan(now time.Time, months int) (first, end time.Time) {
	first = MonthStart(now).AddDate(0, -(months - 1), 0)
	c := now.In(cstZone)
	return first, time.Date(c.Year(), c.Month(), c.Day()+1, 0, 0, 0, 0, cstZone)
}

// trendOf puts the counts by day (a monthly sum's day is its month's first)
// into the months from first, the last ending at end.
func trendOf(u Unit, flow string, first, end time.Time, months int, byDay map[int64]Counts, w Weights) []UnitRates {
	out := make([]UnitRates, months)
	sums := make([]Counts, months)
	for d, cn := range byDay {
		t := time.Unix(d*86400, 0).UTC() // the day's date in CST
		i := (t.Year()-first.Year())*12 + int(t.Month()) - int(first.Month())
		if i >= 0 && i < months {
			sums[i].add(cn)
		}
	}
	for i := range out {
		from := first.AddDate(0, i, 0)
		to := from.AddDate(0, 1, 0)
		if to.After(end) {
			to = end
		}
		out[i] = rates(u, flow, from, to, sums[i], w)
	}
	return out
}
