// Package stats computes the figures by which the county judges its units:
// the three rates of the 12345 hotline (响应率, 解决率, 满意率) and their
// companions (签收及时率, 一次解决率, 按期办结率, 超期率, 延期率, 重办率,
// 即办件占比), per flow, unit and period. One function counts them, so the
// UI, the Excel export and the API show the same numbers. docs/RATES.md
// defines every figure.
package stats

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/settings"
	"grassroots/internal/store"
)

// Weights are the configurable parts of the figures.
type Weights struct {
	// Basic is how much a 基本满意 (basic) answer counts towards the
	// satisfaction rate, between 0 and 1; a 满意 (satisfied) counts 1.
	Basic float64
}

// DefaultWeights returns the weights used unless settings say otherwise:
// 基本满意 counts 0.8.
func DefaultWeights() Weights { return Weights{Basic: 0.8} }

// WeightBasicKey is the setting that holds Weights.Basic ("0.8").
const WeightBasicKey = "stats.weight.basic"

// LoadWeights reads the weights from the settings table, falling back to
// DefaultWeights for a missing or unusable value, so the UI, the export and
// the API all compute with the same configured weight.
func LoadWeights(ctx context.Context, db *store.DB) (Weights, error) {
	w := DefaultWeights()
	v, err := settings.String(ctx, db, WeightBasicKey, "")
	if err != nil {
		return w, fmt.Errorf("load weights: %w", err)
	}
	return weightsOf(v), nil
}

// Validate checks that the weights are usable.
func (w Weights) Validate() error {
	if math.IsNaN(w.Basic) || w.Basic < 0 || w.Basic > 1 {
		return store.Invalid("基本满意的权重应在 0 到 1 之间")
	}
	return nil
}

// Figure is one rate: Numerator / Denominator. Ratio is nil when the
// denominator is 0 (shown as "—"), so that "no cases" is never read as 0%.
type Figure struct {
	// Numerator is a count, or for the satisfaction rate a weighted count.
	Numerator   float64  `json:"numerator"`
	Denominator int      `json:"denominator"`
	Ratio       *float64 `json:"ratio"`
}

func figure(num float64, den int) Figure {
	// A weighted count is a sum of weights: 2 + 0.8 × 73 is 60.4, not
	// 60.400000000000006. Six decimals keep every weight a setting can hold.
	num = math.Round(num*1e6) / 1e6
	f := Figure{Numerator: num, Denominator: den}
	if den > 0 {
		r := num / float64(den)
		f.Ratio = &r
	}
	return f
}

// Percent formats the ratio as "93.5%" (one decimal), or "—" when there is
// none.
func (f Figure) Percent() string {
	if f.Ratio == nil {
		return "—"
	}
	return strconv.FormatFloat(*f.Ratio*100, 'f', 1, 64) + "%"
}

// Num formats the numerator as people write it: "60.4", "3".
func (f Figure) Num() string { return FormatCount(f.Numerator) }

// Fraction formats the figure as "60.4 / 82", or "—" when the denominator
// is 0.
func (f Figure) Fraction() string {
	if f.Denominator == 0 {
		return "—"
	}
	return f.Num() + " / " + strconv.Itoa(f.Denominator)
}

// FormatCount writes a (weighted) count with at most two decimals and no
// trailing zeros.
func FormatCount(v float64) string {
	return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
}

// Unit names the unit a row of figures is about.
type Unit struct {
	ID   int64  `json:"-"`
	Code string `json:"code"`
	Name string `json:"name"`
	Kind string `json:"kind"`
	Path string `json:"-"`
}

// Counts are the raw counts behind the figures (see docs/RATES.md).
type Counts struct {
	Cases         int `json:"cases"`          // cases received in the period and attributed to the unit
	Dispatched    int `json:"dispatched"`     // of those, with a current lead that has not returned it
	Responded     int `json:"responded"`      // the lead's first contact with the requester by its contact deadline
	Signed        int `json:"signed"`         // the lead signed by its sign deadline
	Overdue       int `json:"overdue"`        // an answer came after its deadline in force, or still open past it
	Extended      int `json:"extended"`       // case extended at least once
	Answered      int `json:"answered"`       // case answered
	OnTime        int `json:"on_time"`        // answered, every answer by its deadline in force
	Revisited     int `json:"revisited"`      // case revisited (its latest revisit counts)
	Resolved      int `json:"resolved"`       // found resolved at the latest revisit
	FirstResolved int `json:"first_resolved"` // found resolved at the first revisit
	Satisfied     int `json:"satisfied"`      // 满意 at revisit
	Basic         int `json:"basic"`          // 基本满意 at revisit
	Unsatisfied   int `json:"unsatisfied"`    // 不满意 at revisit
	Unreached     int `json:"unreached"`      // revisited, the requester not reached (未联系上)
	Reopened      int `json:"reopened"`       // reopened at least once
	OnSpot        int `json:"on_spot"`        // fixed on the spot (即办件)
}

func (c *Counts) add(o Counts) {
	for i, p := range c.fields() {
		*p += *o.fields()[i]
	}
}

// fields are the counts in figureNames order.
func (c *Counts) fields() []*int {
	return []*int{&c.Cases, &c.Dispatched, &c.Responded, &c.Signed, &c.Overdue, &c.Extended, &c.Answered, &c.OnTime,
		&c.Revisited, &c.Resolved, &c.FirstResolved, &c.Satisfied, &c.Basic, &c.Unsatisfied, &c.Unreached, &c.Reopened, &c.OnSpot}
}

// UnitRates are a unit's figures for the period [From, To), of the cases of
// one flow.
type UnitRates struct {
	Unit Unit   `json:"unit"`
	Flow string `json:"flow"`
	// Self marks, in RatesByChild, the row of cases attributed to the unit
	// itself rather than to one of its children.
	Self   bool      `json:"self,omitempty"`
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
	Counts Counts    `json:"counts"`
	// Weights are the weights the satisfaction rate was computed with.
	Weights Weights `json:"weights"`

	Response      Figure `json:"response"`       // 响应率
	Signing       Figure `json:"signing"`        // 签收及时率
	Resolution    Figure `json:"resolution"`     // 解决率
	FirstResolved Figure `json:"first_resolved"` // 一次解决率
	Satisfaction  Figure `json:"satisfaction"`   // 满意率
	OnTime        Figure `json:"on_time"`        // 按期办结率
	Overdue       Figure `json:"overdue"`        // 超期率
	Extension     Figure `json:"extension"`      // 延期率
	Reopen        Figure `json:"reopen"`         // 重办率
	OnSpot        Figure `json:"on_spot"`        // 即办件占比

	// Parts are the counts of the parts (assignments) of the flow's cases,
	// judged part by part: filled only when the figures asked for need
	// them (a whistle's report-in, a township call's rating).
	Parts    *PartCounts `json:"parts,omitempty"`
	ReportIn *Figure     `json:"report_in,omitempty"` // 报到及时率
	Accepted *Figure     `json:"accepted,omitempty"`  // 验收通过率
	Rated    *Figure     `json:"rated,omitempty"`     // 评价率
}

// rates turns counts into figures. It is the one place the ratios are made.
func rates(u Unit, flow string, from, to time.Time, c Counts, w Weights) UnitRates {
	return UnitRates{
		Unit: u, Flow: flow, From: from, To: to, Counts: c, Weights: w,
		Response:      figure(float64(c.Responded), c.Dispatched),
		Signing:       figure(float64(c.Signed), c.Dispatched),
		Resolution:    figure(float64(c.Resolved), c.Revisited),
		FirstResolved: figure(float64(c.FirstResolved), c.Revisited),
		// Only revisits in which the requester gave a satisfaction answer
		// count; those that did not reach the requester (or, a grid
		// worker's check, never ask) are Counts.Unreached, shown beside.
		Satisfaction: figure(float64(c.Satisfied)+w.Basic*float64(c.Basic), c.Satisfied+c.Basic+c.Unsatisfied),
		OnTime:       figure(float64(c.OnTime), c.Answered),
		Overdue:      figure(float64(c.Overdue), c.Dispatched),
		Extension:    figure(float64(c.Extended), c.Dispatched),
		Reopen:       figure(float64(c.Reopened), c.Revisited),
		OnSpot:       figure(float64(c.OnSpot), c.Cases),
	}
}

// figureNames are the counts of the case_figures view and of the
// case_figures_daily and case_figures_changes tables, in Counts order.
var figureNames = []string{"cases", "dispatched", "responded", "signed", "overdue", "extended", "answered", "on_time",
	"revisited", "resolved", "first_resolved", "satisfied", "basic", "unsatisfied", "unreached", "reopened", "on_spot"}

// figureList joins figureNames, each written by form (%s: the name).
func figureList(form string) string {
	parts := make([]string, len(figureNames))
	for i, n := range figureNames {
		parts[i] = strings.ReplaceAll(form, "%s", n)
	}
	return strings.Join(parts, ", ")
}

var (
	// figureColumns lists the counts' columns.
	figureColumns = figureList("%s")
	// sumFigures sums them (the SELECT list after the path).
	sumFigures = figureList("SUM(%s)")
)

// rawCountsQuery counts, per attribution path, the cases received in
// [from, to) straight from the case_figures view (migration 0014), which
// defines what each case counts towards: a case is attributed to the unit
// of its current lead assignment, or, never dispatched (fixed on the spot,
// answered at intake), to the place where it happened. It serves periods
// that do not start and end at midnight; whole days are read from the
// daily sums (dailyCountsQuery). The grouping by path lets one query serve
// a unit's total and its per-child breakdown.
var rawCountsQuery = `SELECT x.path, ` + sumFigures + `
FROM case_figures x
WHERE x.created_at >= ? AND x.created_at < ? AND x.flow = ? AND %s
GROUP BY x.path`

// dailyCountsQuery counts the same from the sums per day and unit, plus
// the changes not yet folded into them (see Fold): a county month is a few
// thousand rows instead of 84,000 cases at a million a year.
var dailyCountsQuery = `SELECT x.path, ` + sumFigures + `
FROM (
	SELECT day, path, ` + figureColumns + ` FROM case_figures_daily WHERE day >= ? AND day < ? AND flow = ?
	UNION ALL
	SELECT day, path, ` + figureColumns + ` FROM case_figures_changes WHERE day >= ? AND day < ? AND flow = ?
) x
WHERE %s
GROUP BY x.path`

// cstOffset is China Standard Time's offset from UTC (no daylight saving):
// the figures' days are the county's calendar days.
const cstOffset = 8 * time.Hour

// cstDay returns the day number (days since 1970-01-01 in UTC+8) of t and
// whether t is that day's midnight.
func cstDay(t time.Time) (day int64, midnight bool) {
	ms := store.Millis(t) + cstOffset.Milliseconds()
	const dayMS = 24 * 60 * 60 * 1000
	return ms / dayMS, ms%dayMS == 0
}

// openLateQuery finds, per path, the cases of the period whose lead is still
// open (not answered, not returned, not done) past its handling deadline at
// now, with no late answer stored yet: they are overdue now whether or not
// the sweeper has marked them, and not on time even when an earlier answer
// (before a reopen) was. It is the part of 超期 that depends on the moment,
// so it is never stored in the daily sums; both ways of counting add it.
var openLateQuery = `SELECT x.path, COUNT(*), SUM(x.on_time)
FROM assignments a JOIN case_figures x ON x.lead_assignment_id = a.id
WHERE a.closed_at IS NULL AND a.role = 'lead' AND a.handle_due_at < ? AND a.status NOT IN ('answered', 'returned', 'refused', 'done')
	AND x.late_answers = 0 AND x.created_at >= ? AND x.created_at < ? AND x.flow = ? AND %s
GROUP BY x.path`

// countByPath counts the cases of the period for the subtree of unit u,
// within the actor's scope, with "still open past the deadline" judged at
// now; daily false always counts the cases themselves (tests compare the
// two ways).
func countByPath(ctx context.Context, db *store.DB, actor access.Actor, u Unit, flow string, from, to, now time.Time, daily bool) (map[string]Counts, error) {
	lo, hi := access.PathRange(u.Path)
	scope, sargs := actor.SubtreeFilter("x.path")
	where := "x.path >= ? AND x.path < ? AND " + scope
	fromDay, fromMidnight := cstDay(from)
	toDay, toMidnight := cstDay(to)
	var query string
	var args []any
	if daily && fromMidnight && toMidnight {
		query = fmt.Sprintf(dailyCountsQuery, where)
		args = append([]any{fromDay, toDay, flow, fromDay, toDay, flow, lo, hi}, sargs...)
	} else {
		query = fmt.Sprintf(rawCountsQuery, where)
		args = append([]any{store.Millis(from), store.Millis(to), flow, lo, hi}, sargs...)
	}
	rows, err := db.Reader(ctx).Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("rates %s: %w", u.Code, err)
	}
	defer rows.Close()
	out := map[string]Counts{}
	for rows.Next() {
		var p string
		var c Counts
		dest := []any{&p}
		for _, f := range c.fields() {
			dest = append(dest, f)
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("rates %s: %w", u.Code, err)
		}
		if c == (Counts{}) {
			continue // a unit whose cases all moved elsewhere
		}
		out[p] = c
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("rates %s: %w", u.Code, err)
	}
	rows.Close()
	late, err := db.Reader(ctx).Query(ctx, fmt.Sprintf(openLateQuery, where),
		append([]any{store.Millis(now), store.Millis(from), store.Millis(to), flow, lo, hi}, sargs...)...)
	if err != nil {
		return nil, fmt.Errorf("rates %s: open late: %w", u.Code, err)
	}
	defer late.Close()
	for late.Next() {
		var p string
		var n, onTime int
		if err := late.Scan(&p, &n, &onTime); err != nil {
			return nil, fmt.Errorf("rates %s: open late: %w", u.Code, err)
		}
		c := out[p]
		c.Overdue += n
		c.OnTime -= onTime
		out[p] = c
	}
	if err := late.Err(); err != nil {
		return nil, fmt.Errorf("rates %s: open late: %w", u.Code, err)
	}
	return out, nil
}

// loadUnit finds the unit with the given code and checks the actor sees it.
func loadUnit(ctx context.Context, db *store.DB, actor access.Actor, code string) (Unit, error) {
	if actor.Anonymous() {
		return Unit{}, store.Forbidden("请先登录")
	}
	var u Unit
	err := db.QueryRow(ctx, `SELECT id, code, name, kind, path FROM units WHERE code = ?`, code).
		Scan(&u.ID, &u.Code, &u.Name, &u.Kind, &u.Path)
	if errors.Is(store.Normalize(err), store.ErrNotFound) {
		return u, store.NotFound(fmt.Sprintf("找不到单位「%s」", code))
	}
	if err != nil {
		return u, fmt.Errorf("rates: unit %s: %w", code, err)
	}
	if !actor.SeesPath(u.Path) {
		return u, store.Forbidden(fmt.Sprintf("您无权查看「%s」的统计", u.Name))
	}
	return u, nil
}

func checkPeriod(flow string, from, to time.Time, w Weights) error {
	if flow == "" {
		return store.Invalid("请选择统计的业务类型")
	}
	if from.IsZero() || to.IsZero() || !from.Before(to) {
		return store.Invalid("统计时段无效：开始时间应早于结束时间")
	}
	return w.Validate()
}

// DefaultFlow is the flow whose figures are shown unless another is asked
// for: the 12345 rates count 12345 cases.
const DefaultFlow = "hotline"

// flowTitles name the flows in the export's title line.
var flowTitles = map[string]string{"hotline": "12345热线", "grid_event": "网格事件", "whistle": "吹哨报到",
	"township_call": "乡呼县应", "enforcement": "执法移送", "service": "便民服务"}

func flowTitle(flow string) string {
	if t, ok := flowTitles[flow]; ok {
		return t
	}
	return flow
}
