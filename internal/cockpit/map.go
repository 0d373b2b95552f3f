package cockpit

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

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
	// Categories are the switcher's: those of the month's cases in the
	// unit's grids, the most frequent first (at most maxCategories).
	Categories []Category `json:"categories"`
}

// maxPoints bounds the overdue points drawn; maxCategories the switcher.
const (
	maxPoints     = 500
	maxCategories = 30
)

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
// category (0: all) and state, the cases overdue now with a point, and the
// switcher's categories — in one query (docs/COCKPIT.md, "Cost"), its three
// parts told apart by their first column.
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
	args = append(args, cargs...)
	// The overdue points are driven from the open parts (assignments_open),
	// each case by its key.
	oc, oargs := under(actor, u, "a.unit_path")
	args = append(append(append(args, store.Millis(p.Now)), oargs...), maxPoints)
	kc, kargs := under(actor, u, "c.place_path")
	args = append(append(append(args, store.Millis(p.MonthFrom), store.Millis(p.To)), kargs...), maxCategories)
	const zero = "CAST(0 AS DOUBLE PRECISION)"
	rows, err := s.db.Reader(ctx).Query(ctx, `SELECT 1, gr.code, gr.name, gr.boundary, COALESCE(k.n, 0), 0, `+zero+`, `+zero+`
		FROM units gr LEFT JOIN (SELECT c.grid_unit_id AS gid, COUNT(*) AS n FROM cases c WHERE `+where+` GROUP BY c.grid_unit_id) k ON k.gid = gr.id
		WHERE gr.kind = 'grid' AND `+cond+`
	UNION ALL
	SELECT * FROM (SELECT 2, c.no, c.title, '', a.handle_due_at, c.id, c.lng, c.lat
		FROM assignments a JOIN cases c ON c.id = a.case_id AND c.lead_assignment_id = a.id
		WHERE a.closed_at IS NULL AND a.role = 'lead' AND a.handle_due_at < ? AND a.status NOT IN ('answered', 'returned', 'refused', 'done')
		AND c.lng IS NOT NULL AND c.lat IS NOT NULL AND `+oc+`
		ORDER BY a.handle_due_at, c.id LIMIT ?) points
	UNION ALL
	SELECT * FROM (SELECT 3, '', g.name, '', g.id, COUNT(*), `+zero+`, `+zero+` FROM cases c JOIN categories g ON g.id = c.category_id
		WHERE c.created_at >= ? AND c.created_at < ? AND c.grid_unit_id IS NOT NULL AND `+kc+`
		GROUP BY g.id, g.name ORDER BY COUNT(*) DESC, g.id LIMIT ?) cats`, args...)
	if err != nil {
		return m, fmt.Errorf("cockpit map: %w", err)
	}
	defer rows.Close()
	type point struct {
		OverduePoint
		due, id int64
	}
	var points []point
	type cat struct {
		Category
		n int64
	}
	var cats []cat
	for rows.Next() {
		var part int
		var s1, s2, s3 string
		var n, k int64
		var x, y float64
		if err := rows.Scan(&part, &s1, &s2, &s3, &n, &k, &x, &y); err != nil {
			return m, fmt.Errorf("cockpit map: %w", err)
		}
		switch part {
		case 1:
			m.Grids = append(m.Grids, GridCount{Code: s1, Name: s2, Boundary: s3, Cases: int(n)})
		case 2:
			points = append(points, point{OverduePoint{No: s1, Title: s2, At: [2]float64{x, y}}, n, k})
		case 3:
			cats = append(cats, cat{Category{ID: n, Name: s2}, k})
		}
	}
	if err := rows.Err(); err != nil {
		return m, fmt.Errorf("cockpit map: %w", err)
	}
	// A union's parts come in no promised order: each is put back in its own.
	sort.Slice(m.Grids, func(i, j int) bool { return m.Grids[i].Code < m.Grids[j].Code })
	sort.Slice(points, func(i, j int) bool {
		if points[i].due != points[j].due {
			return points[i].due < points[j].due
		}
		return points[i].id < points[j].id
	})
	for _, pt := range points {
		m.Overdue = append(m.Overdue, pt.OverduePoint)
	}
	sort.Slice(cats, func(i, j int) bool {
		if cats[i].n != cats[j].n {
			return cats[i].n > cats[j].n
		}
		return cats[i].ID < cats[j].ID
	})
	m.Categories = []Category{}
	for _, c := range cats {
		m.Categories = append(m.Categories, c.Category)
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

// MapSwitches reads the map's switches from a query: a category id (0 or
// empty for every category) and a state.
func MapSwitches(q url.Values) (category int64, state string, err error) {
	if v := strings.TrimSpace(q.Get("category")); v != "" && v != "0" {
		if category, err = strconv.ParseInt(v, 10, 64); err != nil {
			return 0, "", store.Invalid("分类编号不正确")
		}
	}
	return category, strings.TrimSpace(q.Get("state")), nil
}
