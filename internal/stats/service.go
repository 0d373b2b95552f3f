package stats

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/store"
	"grassroots/internal/xlsx"
)

// Service computes the figures over a database at a clock: the moment by
// which a case is "still open past its deadline" (docs/RATES.md). The clock
// is the service's own, so tests and the cockpit judge at their moment
// without touching anything shared.
type Service struct {
	db  *store.DB
	now func() time.Time
}

// New returns the figures of db at the machine's clock.
func New(db *store.DB) *Service { return &Service{db: db, now: time.Now} }

// WithClock returns a copy of s that judges "still open past the deadline"
// at now().
func (s *Service) WithClock(now func() time.Time) *Service {
	c := *s
	c.now = now
	return &c
}

// Now is the service's clock.
func (s *Service) Now() time.Time { return s.now() }

// Query asks for the figures of a unit (its whole subtree) for the cases of
// one flow received in [From, To).
type Query struct {
	Unit, Flow string
	From, To   time.Time
	Weights    Weights
	// Figures are the figures shown, as FiguresOf gives them for the flow;
	// nil means FigureNames. Figures judged part by part are only counted
	// when asked for.
	Figures []FigureName
}

func (q Query) names() []FigureName {
	if len(q.Figures) == 0 {
		return FigureNames()
	}
	return q.Figures
}

// Rates computes the figures of the unit with the given code (its whole
// subtree) for the cases of flow received in [from, to), at the machine's
// clock. The actor must see the unit.
func Rates(ctx context.Context, db *store.DB, actor access.Actor, unitCode, flow string, from, to time.Time, w Weights) (UnitRates, error) {
	return New(db).Rates(ctx, actor, Query{Unit: unitCode, Flow: flow, From: from, To: to, Weights: w})
}

// RatesByChild computes the figures of the unit with the given code and of
// each of its children, for the table and the Excel export, at the
// machine's clock.
func RatesByChild(ctx context.Context, db *store.DB, actor access.Actor, unitCode, flow string, from, to time.Time, w Weights) (Breakdown, error) {
	return New(db).Breakdown(ctx, actor, Query{Unit: unitCode, Flow: flow, From: from, To: to, Weights: w})
}

// Rates computes the figures of q.Unit's subtree. The actor must see the
// unit.
func (s *Service) Rates(ctx context.Context, actor access.Actor, q Query) (UnitRates, error) {
	b, err := s.breakdown(ctx, actor, q, false)
	return b.Total, err
}

// Breakdown is a unit's figures with one row per child unit.
type Breakdown struct {
	// Total is the unit's own figures, as Rates returns them.
	Total UnitRates `json:"total"`
	// Rows has, first, the cases attributed to the unit itself (Self, only
	// when there are any), then one row per child unit in tree order,
	// including children with no cases. The rows' counts add up to Total.
	Rows []UnitRates `json:"rows"`
	// Names are the figures shown (Query.Figures), in order.
	Names []FigureName `json:"-"`
}

// Breakdown computes the figures of q.Unit and of each of its children.
func (s *Service) Breakdown(ctx context.Context, actor access.Actor, q Query) (Breakdown, error) {
	return s.breakdown(ctx, actor, q, true)
}

func (s *Service) breakdown(ctx context.Context, actor access.Actor, q Query, byChild bool) (Breakdown, error) {
	if err := checkPeriod(q.Flow, q.From, q.To, q.Weights); err != nil {
		return Breakdown{}, err
	}
	u, err := loadUnit(ctx, s.db, actor, q.Unit)
	if err != nil {
		return Breakdown{}, err
	}
	now := s.now()
	byPath, err := countByPath(ctx, s.db, actor, u, q.Flow, q.From, q.To, now, true)
	if err != nil {
		return Breakdown{}, err
	}
	names := q.names()
	var parts map[string]PartCounts
	if needsParts(names) {
		if parts, err = countParts(ctx, s.db, actor, u, q.Flow, q.From, q.To); err != nil {
			return Breakdown{}, err
		}
	}
	var children []Unit
	if byChild {
		rows, err := s.db.Query(ctx, `SELECT id, code, name, kind, path FROM units WHERE parent_id = ? ORDER BY sort, code`, u.ID)
		children, err = store.Collect(rows, err, func(sc store.Scanner) (Unit, error) {
			var ch Unit
			return ch, sc.Scan(&ch.ID, &ch.Code, &ch.Name, &ch.Kind, &ch.Path)
		})
		if err != nil {
			return Breakdown{}, fmt.Errorf("rates %s: children: %w", u.Code, err)
		}
	}
	return splitByChild(u, q, byPath, parts, children, names), nil
}

// splitByChild sorts the counts by path (and the parts, when counted) into
// the unit's children, in the given order, and the unit itself.
func splitByChild(u Unit, q Query, byPath map[string]Counts, parts map[string]PartCounts, children []Unit, names []FigureName) Breakdown {
	// Each path's counts go to the child whose subtree holds it, else to
	// the unit itself. Paths sorted, so the result does not depend on map
	// order.
	place := func(p string) int {
		for i, ch := range children {
			if strings.HasPrefix(p, ch.Path) {
				return i
			}
		}
		return -1
	}
	counts := make([]Counts, len(children))
	partsOf := make([]PartCounts, len(children))
	var self, total Counts
	var selfParts, totalParts PartCounts
	for _, p := range sortedKeys(byPath) {
		c := byPath[p]
		total.add(c)
		if i := place(p); i >= 0 {
			counts[i].add(c)
		} else {
			self.add(c)
		}
	}
	for _, p := range sortedKeys(parts) {
		c := parts[p]
		totalParts.add(c)
		if i := place(p); i >= 0 {
			partsOf[i].add(c)
		} else {
			selfParts.add(c)
		}
	}
	row := func(u Unit, c Counts, pc PartCounts) UnitRates {
		r := rates(u, q.Flow, q.From, q.To, c, q.Weights)
		if parts != nil {
			r.withParts(pc)
		}
		return r
	}
	b := Breakdown{Total: row(u, total, totalParts), Names: names}
	if self.Cases > 0 || selfParts != (PartCounts{}) {
		r := row(u, self, selfParts)
		r.Self = true
		b.Rows = append(b.Rows, r)
	}
	for i, ch := range children {
		b.Rows = append(b.Rows, row(ch, counts[i], partsOf[i]))
	}
	return b
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// PartCounts count the parts (assignments) of the flow's cases received in
// the period, each part for the unit it was given to (docs/RATES.md).
type PartCounts struct {
	Summoned   int `json:"parts_summoned"`    // summoned parties' parts (吹哨报到)
	ReportedIn int `json:"parts_reported_in"` // of those, reported in by the report-in deadline
	Results    int `json:"parts_results"`     // of those, that reported a result
	Accepted   int `json:"parts_accepted"`    // of those, whose result the whistler accepted
	Answered   int `json:"parts_answered"`    // lead parts answered (a township call's department)
	Rated      int `json:"parts_rated"`       // of those, rated by the caller
}

// partNames are PartCounts' counts, in field order.
var partNames = []string{"parts_summoned", "parts_reported_in", "parts_results", "parts_accepted", "parts_answered", "parts_rated"}

func (c *PartCounts) fields() []*int {
	return []*int{&c.Summoned, &c.ReportedIn, &c.Results, &c.Accepted, &c.Answered, &c.Rated}
}

func (c *PartCounts) add(o PartCounts) {
	for i, p := range c.fields() {
		*p += *o.fields()[i]
	}
}

// partConds are the rules of the part counts, on assignments a: the one
// definition the sums and the lists share.
var partConds = map[string]string{
	"parts_summoned":    `a.role = 'summoned'`,
	"parts_reported_in": `a.role = 'summoned' AND a.reported_at IS NOT NULL AND (a.report_due_at IS NULL OR a.reported_at <= a.report_due_at)`,
	"parts_results":     `a.role = 'summoned' AND a.answered_at IS NOT NULL`,
	"parts_accepted":    `a.role = 'summoned' AND a.answered_at IS NOT NULL AND a.status = 'done' AND a.rating IS NOT NULL`,
	"parts_answered":    `a.role = 'lead' AND a.answered_at IS NOT NULL`,
	"parts_rated":       `a.role = 'lead' AND a.answered_at IS NOT NULL AND a.rating IS NOT NULL`,
}

func (r *UnitRates) withParts(c PartCounts) {
	r.Parts = &c
	reportIn := figure(float64(c.ReportedIn), c.Summoned)
	accepted := figure(float64(c.Accepted), c.Results)
	rated := figure(float64(c.Rated), c.Answered)
	r.ReportIn, r.Accepted, r.Rated = &reportIn, &accepted, &rated
}

// countParts counts the parts of the flow's cases received in [from, to),
// per part's unit path, within u's subtree and the actor's scope.
func countParts(ctx context.Context, db *store.DB, actor access.Actor, u Unit, flow string, from, to time.Time) (map[string]PartCounts, error) {
	lo, hi := access.PathRange(u.Path)
	scope, sargs := actor.SubtreeFilter("a.unit_path")
	sums := make([]string, len(partNames))
	for i, n := range partNames {
		sums[i] = "SUM(CASE WHEN " + partConds[n] + " THEN 1 ELSE 0 END)"
	}
	rows, err := db.Reader(ctx).Query(ctx, `SELECT a.unit_path, `+strings.Join(sums, ", ")+`
		FROM cases c JOIN assignments a ON a.case_id = c.id
		WHERE c.created_at >= ? AND c.created_at < ? AND c.flow = ? AND a.role IN ('summoned', 'lead')
			AND a.unit_path >= ? AND a.unit_path < ? AND `+scope+`
		GROUP BY a.unit_path`, append([]any{store.Millis(from), store.Millis(to), flow, lo, hi}, sargs...)...)
	if err != nil {
		return nil, fmt.Errorf("rates %s: parts: %w", u.Code, err)
	}
	defer rows.Close()
	out := map[string]PartCounts{}
	for rows.Next() {
		var p string
		var c PartCounts
		dest := []any{&p}
		for _, f := range c.fields() {
			dest = append(dest, f)
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("rates %s: parts: %w", u.Code, err)
		}
		out[p] = c
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("rates %s: parts: %w", u.Code, err)
	}
	return out, nil
}

// WriteRatesXLSX writes a breakdown as an .xlsx workbook to w: one sheet,
// 统计, with the period in a title line, one line per row and a total line;
// each figure shown (Breakdown.Names) as numerator, denominator and
// percentage ("—" when there is none, never 0%), then the revisits that
// did not reach the requester (未联系上), beside 满意率, not inside it.
func WriteRatesXLSX(w io.Writer, b Breakdown) error {
	wb, err := xlsx.New()
	if err != nil {
		return fmt.Errorf("rates xlsx: %w", err)
	}
	defer wb.Close()
	names := b.Names
	if len(names) == 0 {
		names = FigureNames()
	}
	title := fmt.Sprintf("%s %s统计（%s 至 %s，基本满意权重 %s）", b.Total.Unit.Name, flowTitle(b.Total.Flow),
		b.Total.From.In(cstZone).Format("2006-01-02 15:04"), b.Total.To.In(cstZone).Format("2006-01-02 15:04"),
		strconv.FormatFloat(b.Total.Weights.Basic, 'f', -1, 64))
	cols := []xlsx.Column{{Title: "单位"}, {Title: "受理量", Kind: xlsx.Int}, {Title: "派单量", Kind: xlsx.Int}}
	for _, n := range names {
		cols = append(cols, xlsx.Column{Title: n.Name + "分子", Kind: xlsx.Float}, xlsx.Column{Title: n.Name + "分母", Kind: xlsx.Int},
			xlsx.Column{Title: n.Name, Kind: xlsx.Percent})
	}
	unreached := slices.ContainsFunc(names, func(n FigureName) bool { return n.ID == "satisfaction" })
	if unreached {
		cols = append(cols, xlsx.Column{Title: "回访未联系上", Kind: xlsx.Int})
	}
	sh, err := wb.AddSheet("统计", title, cols)
	if err != nil {
		return fmt.Errorf("rates xlsx: %w", err)
	}
	line := func(name string, r UnitRates) error {
		row := []any{name, r.Counts.Cases, r.Counts.Dispatched}
		for _, fg := range r.FiguresFor(names) {
			var ratio any = xlsx.Missing // no denominator: "—", as on the page
			if fg.Ratio != nil {
				ratio = *fg.Ratio
			}
			row = append(row, fg.Numerator, fg.Denominator, ratio)
		}
		if unreached {
			row = append(row, r.Counts.Unreached)
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
