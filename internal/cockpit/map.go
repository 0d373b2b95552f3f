package cockpit

import (
	"context"
	"fmt"
	"strconv"

	"grassroots/internal/access"
	"grassroots/internal/store"
)

// The states the map can show its cases in.
const (
	StateAll     = ""
	StateOpen    = "open"
	StateOverdue = "overdue"
	StateClosed  = "closed"
)

// MapStates lists the map's states, in the switcher's order.
func MapStates() []string { return []string{StateAll, StateOpen, StateOverdue, StateClosed} }

// GridCount is a grid's outline and how many of the month's cases happened
// in it (all flows), graded 0–4 against the busiest grid.
type GridCount struct {
	Code     string `json:"code"`
	Name     string `json:"name"`
	Boundary string `json:"-"`
	Cases    int    `json:"cases"`
	Grade    int    `json:"grade"`
	Href     string `json:"href"` // the list of its cases
}

// OverduePoint is a case overdue now, where it happened.
type OverduePoint struct {
	No    string     `json:"no"`
	Title string     `json:"title"`
	At    [2]float64 `json:"at"` // WGS-84 lng, lat
}

// Map is the map panel: grids graded by their cases, overdue cases as
// points.
type Map struct {
	Category int64          `json:"category"`
	State    string         `json:"state"`
	Grids    []GridCount    `json:"grids"`
	Overdue  []OverduePoint `json:"overdue"`
	// Total is the cases counted over all grids (the grades' base).
	Total int `json:"total"`
}

// maxPoints bounds the overdue points drawn.
const maxPoints = 500

// stateCond is the SQL condition of a case state on cases c at now.
func stateCond(state string, now int64) (string, []any, error) {
	switch state {
	case StateAll:
		return "1=1", nil, nil
	case StateOpen:
		return "c.closed_at IS NULL", nil, nil
	case StateClosed:
		return "c.closed_at IS NOT NULL", nil, nil
	case StateOverdue:
		return overdueNow, []any{now}, nil
	}
	return "", nil, store.Invalidf("没有工单状态「%s」", state)
}

// overdueNow is a case whose current lead is still open past its handling
// deadline (the time-dependent part of 超期, as stats counts it).
const overdueNow = `EXISTS (SELECT 1 FROM assignments a WHERE a.id = c.lead_assignment_id AND a.closed_at IS NULL AND a.role = 'lead'
	AND a.handle_due_at < ? AND a.status NOT IN ('answered', 'returned', 'refused', 'done'))`

// Map computes the map panel of unit u: the month's cases by grid, of one
// category (0: all) and state, and the cases overdue now with a point.
func (s *Service) Map(ctx context.Context, actor access.Actor, u Unit, p Period, category int64, state string) (Map, error) {
	m := Map{Category: category, State: state}
	sc, sargs, err := stateCond(state, store.Millis(p.Now))
	if err != nil {
		return m, err
	}
	// The month's cases are counted by grid in one pass over the month
	// (cases_created), then joined to the grids: not one look-up per grid.
	where := "c.grid_unit_id IS NOT NULL AND c.created_at >= ? AND c.created_at < ? AND " + sc
	args := append([]any{store.Millis(p.MonthFrom), store.Millis(p.To)}, sargs...)
	if category != 0 {
		where += " AND c.category_id = ?"
		args = append(args, category)
	}
	cond, cargs := under(actor, u, "gr.path")
	rows, err := s.db.Query(ctx, `SELECT gr.code, gr.name, gr.boundary, COALESCE(k.n, 0)
		FROM units gr LEFT JOIN (SELECT c.grid_unit_id AS gid, COUNT(*) AS n FROM cases c WHERE `+where+` GROUP BY c.grid_unit_id) k ON k.gid = gr.id
		WHERE gr.kind = 'grid' AND `+cond+`
		ORDER BY gr.code`, append(args, cargs...)...)
	m.Grids, err = store.Collect(rows, err, func(sc store.Scanner) (GridCount, error) {
		var g GridCount
		return g, sc.Scan(&g.Code, &g.Name, &g.Boundary, &g.Cases)
	})
	if err != nil {
		return m, fmt.Errorf("cockpit map: %w", err)
	}
	most := 0
	for _, g := range m.Grids {
		m.Total += g.Cases
		most = max(most, g.Cases)
	}
	for i := range m.Grids {
		g := &m.Grids[i]
		if g.Cases > 0 && most > 0 {
			g.Grade = 1 + (3*g.Cases+most-1)/most // 2..4 by share of the busiest; 1 never with cases
			g.Grade = min(g.Grade, 4)
		}
		g.Href = casesHref(u.Code, "grid", g.Code, p) + mapFilter(category, state)
	}
	oc, oargs := under(actor, u, "a.unit_path")
	// Driven from the open parts (assignments_open), each case by its key.
	rows, err = s.db.Query(ctx, `SELECT c.no, c.title, c.lng, c.lat FROM assignments a JOIN cases c ON c.id = a.case_id AND c.lead_assignment_id = a.id
		WHERE a.closed_at IS NULL AND a.role = 'lead' AND a.handle_due_at < ? AND a.status NOT IN ('answered', 'returned', 'refused', 'done')
		AND c.lng IS NOT NULL AND c.lat IS NOT NULL AND `+oc+`
		ORDER BY a.handle_due_at, c.id LIMIT ?`, append(append([]any{store.Millis(p.Now)}, oargs...), maxPoints)...)
	m.Overdue, err = store.Collect(rows, err, func(sc store.Scanner) (OverduePoint, error) {
		var o OverduePoint
		return o, sc.Scan(&o.No, &o.Title, &o.At[0], &o.At[1])
	})
	if err != nil {
		return m, fmt.Errorf("cockpit map: overdue: %w", err)
	}
	return m, nil
}

// mapFilter is the map's category and state as a query suffix.
func mapFilter(category int64, state string) string {
	out := ""
	if category != 0 {
		out += "&category=" + strconv.FormatInt(category, 10)
	}
	if state != "" {
		out += "&state=" + state
	}
	return out
}
