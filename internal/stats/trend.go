package stats

import (
	"context"
	"fmt"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/store"
)

// dailyByDayQuery is dailyCountsQuery summed per day instead of per path:
// a unit's months from one read of the daily sums (the cockpit's trend).
var dailyByDayQuery = `SELECT x.day, ` + sumFigures + `
FROM (
	SELECT day, path, ` + figureColumns + ` FROM case_figures_daily WHERE day >= ? AND day < ? AND flow = ?
	UNION ALL
	SELECT day, path, ` + figureColumns + ` FROM case_figures_changes WHERE day >= ? AND day < ? AND flow = ?
) x
WHERE %s
GROUP BY x.day`

// openLateByDayQuery is openLateQuery per day of receipt, driven from the
// open leads (CROSS JOIN keeps SQLite from starting at the cases: over a
// year their range is every case) with each case found by its key.
var openLateByDayQuery = `SELECT x.day, COUNT(*), SUM(x.on_time)
FROM assignments a CROSS JOIN case_figures x
WHERE x.id = a.case_id AND x.lead_assignment_id = a.id AND a.closed_at IS NULL AND a.role = 'lead' AND a.handle_due_at < ? AND a.status NOT IN ('answered', 'returned', 'refused', 'done')
	AND x.late_answers = 0 AND x.created_at >= ? AND x.created_at < ? AND x.flow = ? AND %s
GROUP BY x.day`

// MonthStart is the first day of t's month at midnight, China Standard Time.
func MonthStart(t time.Time) time.Time {
	c := t.In(cstZone)
	return time.Date(c.Year(), c.Month(), 1, 0, 0, 0, 0, cstZone)
}

var cstZone = time.FixedZone("CST", int(cstOffset.Seconds()))

// Trend computes the figures of the unit with the given code for each of
// the last months calendar months up to now (the current month up to the
// end of today), oldest first, from the same definitions as Rates: the daily
// sums plus the changes not yet folded, plus the cases open past their
// deadline at now. Two queries, whatever the number of months.
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
	first := MonthStart(now).AddDate(0, -(months - 1), 0)
	c := now.In(cstZone)
	end := time.Date(c.Year(), c.Month(), c.Day()+1, 0, 0, 0, 0, cstZone)
	fromDay, _ := cstDay(first)
	toDay, _ := cstDay(end)
	lo, hi := access.PathRange(u.Path)
	scope, sargs := actor.SubtreeFilter("x.path")
	where := "x.path >= ? AND x.path < ? AND " + scope
	byDay := map[int64]Counts{}
	rows, err := db.Query(ctx, fmt.Sprintf(dailyByDayQuery, where), append([]any{fromDay, toDay, flow, fromDay, toDay, flow, lo, hi}, sargs...)...)
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
	late, err := db.Query(ctx, fmt.Sprintf(openLateByDayQuery, where),
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
	return out, nil
}
