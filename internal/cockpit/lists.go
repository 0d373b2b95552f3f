package cockpit

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/store"
)

// CaseRow is one case behind a number.
type CaseRow struct {
	No        string    `json:"no"`
	Title     string    `json:"title"`
	Flow      string    `json:"flow"`
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"created_at"`
}

// CaseList is the list of cases behind one number of the cockpit, with the
// number's definition: exactly the cases the number counts.
type CaseList struct {
	Unit  Unit   `json:"unit"`
	List  string `json:"list"`
	Value string `json:"value,omitempty"`
	// Def is the message key of the number's definition.
	Def       string    `json:"def"`
	Count     int       `json:"count"`
	Truncated bool      `json:"truncated"`
	Cases     []CaseRow `json:"cases"`
	From      time.Time `json:"from"`
	To        time.Time `json:"to"`
}

// maxList bounds a list (the newest cases first).
const maxList = 2000

// Lists names the lists a number can open, with their definitions.
var Lists = map[string]string{
	"channel": "cockpit.def.channel", "request_type": "cockpit.def.request_type", "category": "cockpit.def.category",
	"week_category": "cockpit.def.week_category", "week_grid": "cockpit.def.hot_spot", "grid": "cockpit.def.grid",
	"overdue": "cockpit.def.overdue", "supervised": "cockpit.def.supervised", "calls": "cockpit.def.calls", "report_in": "cockpit.def.report_in",
}

// Cases lists the cases behind the number (list, value) of unit u's
// cockpit for period p; category and state narrow the map's grid list as
// the map was switched.
func (s *Service) Cases(ctx context.Context, actor access.Actor, u Unit, p Period, list, value string, category int64, state string) (CaseList, error) {
	def, ok := Lists[list]
	if !ok {
		return CaseList{}, store.Invalidf("没有这个清单「%s」", list)
	}
	out := CaseList{Unit: u, List: list, Value: value, Def: def}
	month := []any{store.Millis(p.MonthFrom), store.Millis(p.To)}
	week := []any{store.Millis(p.WeekFrom), store.Millis(p.To)}
	now := store.Millis(p.Now)
	var where string
	var args []any
	add := func(sql string, a ...any) { where += " AND " + sql; args = append(args, a...) }
	scope := func(column string) {
		c, a := under(actor, u, column)
		add(c, a...)
	}
	num := func() (int64, error) {
		n, err := strconv.ParseInt(value, 10, 64)
		if err != nil {
			return 0, store.Invalidf("「%s」不是有效的编号", value)
		}
		return n, nil
	}
	where = "1=1"
	switch list {
	case "channel", "request_type", "category":
		out.From, out.To = p.MonthFrom, p.To
		add("c.created_at >= ? AND c.created_at < ? AND c.flow = ?", append(month, Flow)...)
		scope(attribution)
		switch list {
		case "channel":
			add("c.channel = ?", value)
		case "request_type":
			add("c.request_type = ?", value)
		default:
			n, err := num()
			if err != nil {
				return out, err
			}
			add("COALESCE(c.category_id, 0) = ?", n)
		}
	case "week_category", "week_grid":
		out.From, out.To = p.WeekFrom, p.To
		add("c.created_at >= ? AND c.created_at < ? AND c.flow = ?", append(week, Flow)...)
		scope("c.place_path")
		if list == "week_grid" {
			add("c.grid_unit_id = (SELECT id FROM units WHERE code = ?)", value)
		} else {
			n, err := num()
			if err != nil {
				return out, err
			}
			add("COALESCE(c.category_id, 0) = ?", n)
		}
	case "grid":
		out.From, out.To = p.MonthFrom, p.To
		add("c.created_at >= ? AND c.created_at < ?", month...)
		add("c.grid_unit_id = (SELECT id FROM units gr WHERE gr.code = ? AND gr.kind = 'grid')", value)
		g, gargs := under(actor, u, "(SELECT path FROM units gr WHERE gr.id = c.grid_unit_id)")
		add(g, gargs...)
		sc, sargs, err := stateCond(state, now)
		if err != nil {
			return out, err
		}
		add(sc, sargs...)
		if category != 0 {
			add("c.category_id = ?", category)
		}
	case "overdue":
		out.To = p.Now
		add(`EXISTS (SELECT 1 FROM assignments a WHERE a.id = c.lead_assignment_id AND a.closed_at IS NULL AND a.role = 'lead'
			AND a.handle_due_at < ? AND a.status NOT IN ('answered', 'returned', 'refused', 'done')` + subtree(actor, u, "a.unit_path", &args, now) +
			unitIs(value, &args) + `)`)
	case "supervised":
		out.To = p.Now
		add("c.supervisions > 0 AND c.closed_at IS NULL")
		scope(attribution)
	case "calls":
		out.To = p.Now
		add("c.flow = ? AND c.status IN ('raised', 'dispatched', 'in_hand', 'returned')", townshipCallFlow)
		scope("c.place_path")
	case "report_in":
		out.To = p.Now
		add(`c.id IN (SELECT a.case_id FROM assignments a WHERE a.report_due_at IS NOT NULL AND a.reported_at IS NULL
			AND a.closed_at IS NULL AND a.status NOT IN ('returned', 'refused', 'done'))`)
		scope("c.place_path")
	}
	rows, err := s.db.Reader(ctx).Query(ctx, `SELECT c.no, c.title, c.flow, c.status, c.created_at FROM cases c WHERE `+where+`
		ORDER BY c.created_at DESC, c.id DESC LIMIT ?`, append(args, maxList+1)...)
	out.Cases, err = store.Collect(rows, err, func(sc store.Scanner) (CaseRow, error) {
		var r CaseRow
		var at int64
		err := sc.Scan(&r.No, &r.Title, &r.Flow, &r.Status, &at)
		r.CreatedAt = time.UnixMilli(at)
		return r, err
	})
	if err != nil {
		return out, fmt.Errorf("cockpit list %s: %w", list, err)
	}
	out.Count = len(out.Cases)
	if len(out.Cases) > maxList {
		out.Cases, out.Truncated = out.Cases[:maxList], true
		if err := s.db.Reader(ctx).QueryRow(ctx, `SELECT COUNT(*) FROM cases c WHERE `+where, args...).Scan(&out.Count); err != nil {
			return out, fmt.Errorf("cockpit list %s: %w", list, err)
		}
	}
	return out, nil
}

// subtree is " AND column in u's subtree and the actor's", its arguments
// appended after now.
func subtree(actor access.Actor, u Unit, column string, args *[]any, now int64) string {
	c, a := under(actor, u, column)
	*args = append(append(*args, now), a...)
	return " AND " + c
}

// unitIs narrows the overdue list to the lead's unit code (none: all).
func unitIs(code string, args *[]any) string {
	if code == "" {
		return ""
	}
	*args = append(*args, code)
	return " AND a.unit_id = (SELECT id FROM units WHERE code = ?)"
}
