package stats

import (
	"context"
	"fmt"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/store"
)

// trendSums are a unit's months as rows to sum (x): the whole months before
// the last from the monthly sums (case_figures_monthly, migration 0030, kept
// from the daily sums by triggers; its month is the day number of the
// month's first day), the last month's days from the daily sums, and the
// changes not yet folded (see Fold). Each row's day is a month's first day
// for the monthly sums, the day itself otherwise; Trend puts it in its
// month. A year is a few thousand rows of sums, not a year of daily sums
// (issue 19). Its arguments: the first month's day, the last month's, the
// end's, as trendSumsArgs gives them.
var trendSums = `(
	SELECT month AS day, path, ` + figureColumns + ` FROM case_figures_monthly WHERE month >= ? AND month < ? AND flow = ?
	UNION ALL
	SELECT day, path, ` + figureColumns + ` FROM case_figures_daily WHERE day >= ? AND day < ? AND flow = ?
	UNION ALL
	SELECT day, path, ` + figureColumns + ` FROM case_figures_changes WHERE day >= ? AND day < ? AND flow = ?
) x`

func trendSumsArgs(first, last, end int64, flow string) []any {
	return []any{first, last, flow, last, end, flow, first, end, flow}
}

// trendByMonthQuery sums trendSums by day.
var trendByMonthQuery = `SELECT x.day, ` + sumFigures + ` FROM ` + trendSums + ` WHERE %s GROUP BY x.day`

// trendLateFrom is openLateQuery's FROM and condition, driven from the open
// leads (CROSS JOIN keeps SQLite from starting at the
// cases: over a year their range is every case) with each case found by its
// key. Its arguments: now, the first and the end moment, the flow.
const trendLateFrom = `FROM assignments a CROSS JOIN case_figures x
WHERE x.id = a.case_id AND x.lead_assignment_id = a.id AND ` + openLateCond + `
	AND x.created_at >= ? AND x.created_at < ? AND x.flow = ?`

// openLateByDayQuery is openLateQuery per day of receipt (trendLateFrom).
var openLateByDayQuery = `SELECT x.day, COUNT(*), SUM(x.on_time) ` + trendLateFrom + ` AND %s GROUP BY x.day`

// MonthStart is the first day of t's month at midnight, China Standard Time.
func MonthStart(t time.Time) time.Time {
	c := t.In(cstZone)
	return time.Date(c.Year(), c.Month(), 1, 0, 0, 0, 0, cstZone)
}

var cstZone = time.FixedZone("CST", int(cstOffset.Seconds()))

// Trend computes the figures of the unit with the given code for each of
// the last months calendar months up to now (the current month up to the
// end of today), oldest first, from the same definitions as Rates: the
// monthly and daily sums plus the changes not yet folded, plus the cases open
// past their deadline at now. Two queries, whatever the number of months.
func Trend(ctx context.Context, db *store.DB, actor access.Actor, unitCode, flow string, months int, now time.Time, w Weights) ([]UnitRates, error) {
	if months < 1 || months > 36 {
		return nil, store.Invalid("趋势的月数应在 1 到 36 之间")
	}
	if err := checkPeriod(flow, now.Add(-time.Hour), now, w); err != nil {
		return nil, err
	}
	u, err := loadUnit(ctx, db, actor, unitCode)
	if err != nil {
		return nil, err
	}
	first, end := trendSpan(now, months)
	fromDay, _ := cstDay(first)
	lastDay, _ := cstDay(MonthStart(now))
	toDay, _ := cstDay(end)
	lo, hi := access.PathRange(u.Path)
	scope, sargs := actor.SubtreeFilter("x.path")
	where := "x.path >= ? AND x.path < ? AND " + scope
	byDay := map[int64]Counts{}
	rows, err := db.Reader(ctx).Query(ctx, fmt.Sprintf(trendByMonthQuery, where),
		append(trendSumsArgs(fromDay, lastDay, toDay, flow), append([]any{lo, hi}, sargs...)...)...)
	if err != nil {
		return nil, fmt.Errorf("trend %s: %w", u.Code, err)
	}
	for rows.Next() {
		var d int64
		var cn Counts
		dest := []any{&d}
		for _, f := range cn.fields() {
			dest = append(dest, f)
		}
		if err := rows.Scan(dest...); err != nil {
			rows.Close()
			return nil, fmt.Errorf("trend %s: %w", u.Code, err)
		}
		byDay[d] = cn
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("trend %s: %w", u.Code, err)
	}
	late, err := db.Reader(ctx).Query(ctx, fmt.Sprintf(openLateByDayQuery, where),
		append([]any{store.Millis(now), store.Millis(first), store.Millis(end), flow, lo, hi}, sargs...)...)
	if err != nil {
		return nil, fmt.Errorf("trend %s: open late: %w", u.Code, err)
	}
	for late.Next() {
		var d int64
		var n, onTime int
		if err := late.Scan(&d, &n, &onTime); err != nil {
			late.Close()
			return nil, fmt.Errorf("trend %s: open late: %w", u.Code, err)
		}
		cn := byDay[d]
		cn.Overdue += n
		cn.OnTime -= onTime
		byDay[d] = cn
	}
	late.Close()
	if err := late.Err(); err != nil {
		return nil, fmt.Errorf("trend %s: open late: %w", u.Code, err)
	}
	return trendOf(u, flow, first, end, months, byDay, w), nil
}
