// Package stats computes the figures by which the county judges its units:
// the three rates of the 12345 hotline (响应率, 解决率, 满意率) and their
// companions (按期办结率, 超期率, 延期率, 重办率), per unit and period. One
// function counts them, so the UI, the Excel export and the API show the same
// numbers. docs/RATES.md defines every figure.
package stats

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/settings"
	"grassroots/internal/store"
	"grassroots/internal/xlsx"
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
	if v == "" {
		return w, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || (Weights{Basic: f}).Validate() != nil {
		return w, nil
	}
	return Weights{Basic: f}, nil
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
	f := Figure{Numerator: num, Denominator: den}
	if den > 0 {
		r := num / float64(den)
		f.Ratio = &r
	}
	return f
}

// Percent formats the ratio as "93.5%", or "—" when there is none.
func (f Figure) Percent() string {
	if f.Ratio == nil {
		return "—"
	}
	return strconv.FormatFloat(*f.Ratio*100, 'f', 1, 64) + "%"
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
	Cases       int `json:"cases"`       // cases received in the period and attributed to the unit
	Dispatched  int `json:"dispatched"`  // of those, with a lead assignment
	Responded   int `json:"responded"`   // lead assignment signed by its sign deadline
	Overdue     int `json:"overdue"`     // lead assignment marked overdue
	Extended    int `json:"extended"`    // case extended at least once
	Answered    int `json:"answered"`    // case answered
	OnTime      int `json:"on_time"`     // answered by the handling deadline
	Revisited   int `json:"revisited"`   // case revisited
	Resolved    int `json:"resolved"`    // found resolved at revisit
	Satisfied   int `json:"satisfied"`   // 满意 at revisit
	Basic       int `json:"basic"`       // 基本满意 at revisit
	Unsatisfied int `json:"unsatisfied"` // 不满意 at revisit
	Reopened    int `json:"reopened"`    // reopened at least once
}

func (c *Counts) add(o Counts) {
	c.Cases += o.Cases
	c.Dispatched += o.Dispatched
	c.Responded += o.Responded
	c.Overdue += o.Overdue
	c.Extended += o.Extended
	c.Answered += o.Answered
	c.OnTime += o.OnTime
	c.Revisited += o.Revisited
	c.Resolved += o.Resolved
	c.Satisfied += o.Satisfied
	c.Basic += o.Basic
	c.Unsatisfied += o.Unsatisfied
	c.Reopened += o.Reopened
}

// UnitRates are a unit's figures for the period [From, To).
type UnitRates struct {
	Unit Unit `json:"unit"`
	// Self marks, in RatesByChild, the row of cases attributed to the unit
	// itself rather than to one of its children.
	Self   bool      `json:"self,omitempty"`
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
	Counts Counts    `json:"counts"`
	// Weights are the weights the satisfaction rate was computed with.
	Weights Weights `json:"weights"`

	Response     Figure `json:"response"`     // 响应率
	Resolution   Figure `json:"resolution"`   // 解决率
	Satisfaction Figure `json:"satisfaction"` // 满意率
	OnTime       Figure `json:"on_time"`      // 按期办结率
	Overdue      Figure `json:"overdue"`      // 超期率
	Extension    Figure `json:"extension"`    // 延期率
	Reopen       Figure `json:"reopen"`       // 重办率
}

// FigureNames lists the figures in display order with their message keys
// (stats.json) and Chinese names; the UI and the export use this order.
func FigureNames() []struct{ Key, Name string } {
	return []struct{ Key, Name string }{
		{"stats.rate.response", "响应率"},
		{"stats.rate.resolution", "解决率"},
		{"stats.rate.satisfaction", "满意率"},
		{"stats.rate.on_time", "按期办结率"},
		{"stats.rate.overdue", "超期率"},
		{"stats.rate.extension", "延期率"},
		{"stats.rate.reopen", "重办率"},
	}
}

// Figures returns the seven figures in FigureNames order.
func (r UnitRates) Figures() []Figure {
	return []Figure{r.Response, r.Resolution, r.Satisfaction, r.OnTime, r.Overdue, r.Extension, r.Reopen}
}

// rates turns counts into figures. It is the one place the ratios are made.
func rates(u Unit, from, to time.Time, c Counts, w Weights) UnitRates {
	return UnitRates{
		Unit: u, From: from, To: to, Counts: c, Weights: w,
		Response:   figure(float64(c.Responded), c.Dispatched),
		Resolution: figure(float64(c.Resolved), c.Revisited),
		// Only revisits that asked the requester count: a grid worker's
		// on-site check or a township's rating of a call records no
		// satisfaction and must not dilute the rate.
		Satisfaction: figure(float64(c.Satisfied)+w.Basic*float64(c.Basic), c.Satisfied+c.Basic+c.Unsatisfied),
		OnTime:       figure(float64(c.OnTime), c.Answered),
		Overdue:      figure(float64(c.Overdue), c.Dispatched),
		Extension:    figure(float64(c.Extended), c.Dispatched),
		Reopen:       figure(float64(c.Reopened), c.Revisited),
	}
}

// figureNames are the counts of the case_figures view and of the
// case_figures_daily and case_figures_changes tables, in Counts order.
var figureNames = []string{"cases", "dispatched", "responded", "overdue", "extended", "answered", "on_time",
	"revisited", "resolved", "satisfied", "basic", "unsatisfied", "reopened"}

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
WHERE x.created_at >= ? AND x.created_at < ? AND %s
GROUP BY x.path`

// dailyCountsQuery counts the same from the sums per day and unit, plus
// the changes not yet folded into them (see Fold): a county month is a few
// thousand rows instead of 84,000 cases at a million a year.
var dailyCountsQuery = `SELECT x.path, ` + sumFigures + `
FROM (
	SELECT day, path, ` + figureColumns + ` FROM case_figures_daily WHERE day >= ? AND day < ?
	UNION ALL
	SELECT day, path, ` + figureColumns + ` FROM case_figures_changes WHERE day >= ? AND day < ?
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

// countByPath counts the cases of the period for the subtree of unit u,
// within the actor's scope.
func countByPath(ctx context.Context, db *store.DB, actor access.Actor, u Unit, from, to time.Time) (map[string]Counts, error) {
	return countByPathFrom(ctx, db, actor, u, from, to, true)
}

// countByPathFrom is countByPath; daily false always counts the cases
// themselves (tests compare the two).
func countByPathFrom(ctx context.Context, db *store.DB, actor access.Actor, u Unit, from, to time.Time, daily bool) (map[string]Counts, error) {
	lo, hi := access.PathRange(u.Path)
	scope, sargs := actor.SubtreeFilter("x.path")
	where := "x.path >= ? AND x.path < ? AND " + scope
	fromDay, fromMidnight := cstDay(from)
	toDay, toMidnight := cstDay(to)
	var query string
	var args []any
	if daily && fromMidnight && toMidnight {
		query = fmt.Sprintf(dailyCountsQuery, where)
		args = append([]any{fromDay, toDay, fromDay, toDay, lo, hi}, sargs...)
	} else {
		query = fmt.Sprintf(rawCountsQuery, where)
		args = append([]any{store.Millis(from), store.Millis(to), lo, hi}, sargs...)
	}
	rows, err := db.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("rates %s: %w", u.Code, err)
	}
	defer rows.Close()
	out := map[string]Counts{}
	for rows.Next() {
		var p string
		var c Counts
		if err := rows.Scan(&p, &c.Cases, &c.Dispatched, &c.Responded, &c.Overdue, &c.Extended, &c.Answered, &c.OnTime,
			&c.Revisited, &c.Resolved, &c.Satisfied, &c.Basic, &c.Unsatisfied, &c.Reopened); err != nil {
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

func checkPeriod(from, to time.Time, w Weights) error {
	if from.IsZero() || to.IsZero() || !from.Before(to) {
		return store.Invalid("统计时段无效：开始时间应早于结束时间")
	}
	return w.Validate()
}

// Rates computes the figures of the unit with the given code (its whole
// subtree) for the cases received in [from, to). The actor must see the
// unit.
func Rates(ctx context.Context, db *store.DB, actor access.Actor, unitCode string, from, to time.Time, w Weights) (UnitRates, error) {
	if err := checkPeriod(from, to, w); err != nil {
		return UnitRates{}, err
	}
	u, err := loadUnit(ctx, db, actor, unitCode)
	if err != nil {
		return UnitRates{}, err
	}
	byPath, err := countByPath(ctx, db, actor, u, from, to)
	if err != nil {
		return UnitRates{}, err
	}
	var total Counts
	for _, c := range byPath {
		total.add(c)
	}
	return rates(u, from, to, total, w), nil
}

// Breakdown is a unit's figures with one row per child unit.
type Breakdown struct {
	// Total is the unit's own figures, as Rates returns them.
	Total UnitRates `json:"total"`
	// Rows has, first, the cases attributed to the unit itself (Self, only
	// when there are any), then one row per child unit in tree order,
	// including children with no cases. The rows' counts add up to Total.
	Rows []UnitRates `json:"rows"`
}

// RatesByChild computes the figures of the unit with the given code and of
// each of its children, for the table and the Excel export.
func RatesByChild(ctx context.Context, db *store.DB, actor access.Actor, unitCode string, from, to time.Time, w Weights) (Breakdown, error) {
	if err := checkPeriod(from, to, w); err != nil {
		return Breakdown{}, err
	}
	u, err := loadUnit(ctx, db, actor, unitCode)
	if err != nil {
		return Breakdown{}, err
	}
	byPath, err := countByPath(ctx, db, actor, u, from, to)
	if err != nil {
		return Breakdown{}, err
	}
	rows, err := db.Query(ctx, `SELECT id, code, name, kind, path FROM units WHERE parent_id = ? ORDER BY sort, code`, u.ID)
	if err != nil {
		return Breakdown{}, fmt.Errorf("rates %s: children: %w", u.Code, err)
	}
	var children []Unit
	for rows.Next() {
		var ch Unit
		if err := rows.Scan(&ch.ID, &ch.Code, &ch.Name, &ch.Kind, &ch.Path); err != nil {
			rows.Close()
			return Breakdown{}, fmt.Errorf("rates %s: children: %w", u.Code, err)
		}
		children = append(children, ch)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Breakdown{}, fmt.Errorf("rates %s: children: %w", u.Code, err)
	}
	counts := make([]Counts, len(children))
	var self, total Counts
	// Paths sorted, so the result does not depend on map order.
	paths := make([]string, 0, len(byPath))
	for p := range byPath {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		c := byPath[p]
		total.add(c)
		placed := false
		for i, ch := range children {
			if strings.HasPrefix(p, ch.Path) {
				counts[i].add(c)
				placed = true
				break
			}
		}
		if !placed {
			self.add(c)
		}
	}
	b := Breakdown{Total: rates(u, from, to, total, w)}
	if self.Cases > 0 {
		r := rates(u, from, to, self, w)
		r.Self = true
		b.Rows = append(b.Rows, r)
	}
	for i, ch := range children {
		b.Rows = append(b.Rows, rates(ch, from, to, counts[i], w))
	}
	return b, nil
}

// WriteRatesXLSX writes a breakdown as an .xlsx workbook to w: one sheet,
// 统计, with the period in a title line, one line per row and a total line;
// each figure as numerator, denominator and percentage (an empty cell when
// there is none, never 0%).
func WriteRatesXLSX(w io.Writer, b Breakdown) error {
	wb, err := xlsx.New()
	if err != nil {
		return fmt.Errorf("rates xlsx: %w", err)
	}
	defer wb.Close()
	zone := time.FixedZone("CST", 8*3600)
	title := fmt.Sprintf("%s 统计（%s 至 %s，基本满意权重 %s）", b.Total.Unit.Name,
		b.Total.From.In(zone).Format("2006-01-02 15:04"), b.Total.To.In(zone).Format("2006-01-02 15:04"),
		strconv.FormatFloat(b.Total.Weights.Basic, 'f', -1, 64))
	cols := []xlsx.Column{{Title: "单位"}, {Title: "受理量", Kind: xlsx.Int}, {Title: "派单量", Kind: xlsx.Int}}
	for _, n := range FigureNames() {
		cols = append(cols, xlsx.Column{Title: n.Name + "分子", Kind: xlsx.Float}, xlsx.Column{Title: n.Name + "分母", Kind: xlsx.Int},
			xlsx.Column{Title: n.Name, Kind: xlsx.Percent})
	}
	sh, err := wb.AddSheet("统计", title, cols)
	if err != nil {
		return fmt.Errorf("rates xlsx: %w", err)
	}
	line := func(name string, r UnitRates) error {
		row := []any{name, r.Counts.Cases, r.Counts.Dispatched}
		for _, fg := range r.Figures() {
			row = append(row, fg.Numerator, fg.Denominator, fg.Ratio)
		}
		return sh.Add(row...)
	}
	for _, r := range b.Rows {
		name := r.Unit.Name
		if r.Self {
			name += "（本级）"
		}
		if err := line(name, r); err != nil {
			return fmt.Errorf("rates xlsx: %w", err)
		}
	}
	if err := line("合计", b.Total); err != nil {
		return fmt.Errorf("rates xlsx: %w", err)
	}
	if _, err := wb.WriteTo(w); err != nil {
		return fmt.Errorf("rates xlsx: %w", err)
	}
	return nil
}
