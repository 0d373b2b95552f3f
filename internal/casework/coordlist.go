package casework

// The coordination lists (whistles, township calls, enforcement): one row
// per case with its parties, and the enforcement zones by grid.

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/org"
	"grassroots/internal/store"
)

// CoordFlows are the coordination flows: cases that summon several units.
var CoordFlows = []string{"whistle", "township_call", "enforcement"}

// CoordFilter selects coordination cases for a list.
type CoordFilter struct {
	Flow string // whistle, township_call or enforcement (required)
	Kind string // the flow's kind ("" any; "-" for enforcement cases proper)
	// Status is a case status, or "open", "closed", "overdue".
	Status string
	// Township is a township-level unit's code: cases in its area.
	Township string
	// Unit is a unit's code: cases it opened or has a part in.
	Unit string
	// From and To bound created_at as [From, To); zero means open.
	From, To time.Time
	// Q matches a case number exactly, else a word of the title.
	Q string
	// Limit is the page size (default 100, at most 5000).
	Limit int
	// Before is the id cursor of the next page ("" for the first).
	Before string
}

// CoordParty is one party of a coordination case, for lists.
type CoordParty struct {
	Name   string `json:"name"`
	Role   string `json:"role"`
	Status string `json:"status"`
	Rating int    `json:"rating,omitempty"`
}

// CoordRow is one line of a coordination list.
type CoordRow struct {
	ID           int64        `json:"-"`
	No           string       `json:"no"`
	Flow         string       `json:"flow"`
	Kind         string       `json:"kind,omitempty"`
	Title        string       `json:"title"`
	Status       string       `json:"status"`
	Priority     string       `json:"priority"`
	OpenedBy     string       `json:"opened_by,omitempty"`
	TownshipName string       `json:"township_name,omitempty"`
	PlaceName    string       `json:"place_name,omitempty"`
	GridName     string       `json:"grid_name,omitempty"`
	CategoryName string       `json:"category_name,omitempty"`
	LeadUnit     string       `json:"lead_unit,omitempty"`
	Parties      []CoordParty `json:"parties"`
	Reported     int          `json:"reported"`
	Done         int          `json:"done"`
	Refused      int          `json:"refused"`
	Overdue      bool         `json:"overdue"`
	Escalated    bool         `json:"escalated"`
	Supervisions int          `json:"supervisions"`
	HandleDueAt  *time.Time   `json:"handle_due_at,omitempty"`
	CreatedAt    time.Time    `json:"created_at"`
	ClosedAt     *time.Time   `json:"closed_at,omitempty"`
}

// CoordPage is a page of a coordination list.
type CoordPage struct {
	Rows []CoordRow `json:"rows"`
	// Next is the cursor of the next page, "" on the last.
	Next string `json:"next,omitempty"`
}

// caseScope is the SQL condition that keeps the cases actor may see: all
// for county-wide users and supervisors; else those whose place lies in the
// actor's subtree, that the actor or their unit opened, or that have a part
// in the actor's subtree (as CanSee).
func caseScope(actor access.Actor) (string, []any) {
	if actor.CountyWide() || actor.Has(access.RoleSupervisor) {
		return "1=1", nil
	}
	if actor.Anonymous() || actor.UnitPath == "" {
		return "1=0", nil
	}
	lo, hi := access.PathRange(actor.UnitPath)
	return `(c.place_path >= ? AND c.place_path < ? OR c.opened_by_unit_id = ? OR c.created_by = ?
		OR EXISTS (SELECT 1 FROM assignments sa WHERE sa.case_id = c.id AND sa.unit_path >= ? AND sa.unit_path < ?))`,
		[]any{lo, hi, actor.UnitID, actor.UserID, lo, hi}
}

// CoordList lists the coordination cases of one flow that actor may see,
// newest first, filtered; each row carries its parties. A township sees the
// calls it raised and those in its area, a department those it has a part
// in, the county all.
func (s *Service) CoordList(ctx context.Context, actor access.Actor, f CoordFilter) (CoordPage, error) {
	if actor.Anonymous() {
		return CoordPage{}, store.Forbidden("请先登录")
	}
	if !slices.Contains(CoordFlows, f.Flow) {
		return CoordPage{}, store.Invalid("请选择列表：吹哨报到、乡呼县应或综合执法")
	}
	where, args := caseScope(actor)
	conds := []string{"c.flow = ?", where}
	args = append([]any{f.Flow}, args...)
	switch f.Kind {
	case "":
	case "-":
		conds = append(conds, "c.kind = ''")
	default:
		conds = append(conds, "c.kind = ?")
		args = append(args, f.Kind)
	}
	switch f.Status {
	case "":
	case "open":
		conds = append(conds, "c.closed_at IS NULL")
	case "closed":
		conds = append(conds, "c.closed_at IS NOT NULL")
	case "overdue":
		conds = append(conds, "(c.overdue = 1 OR EXISTS (SELECT 1 FROM assignments oa WHERE oa.case_id = c.id AND oa.overdue = 1))")
	default:
		conds = append(conds, "c.status = ?")
		args = append(args, f.Status)
	}
	if f.Township != "" {
		t, err := org.RefByCode(ctx, s.db, f.Township)
		if err != nil {
			if isNotFound(err) {
				return CoordPage{}, store.Invalidf("找不到单位编码 %s", f.Township)
			}
			return CoordPage{}, err
		}
		lo, hi := access.PathRange(t.Path)
		conds = append(conds, "(c.place_path >= ? AND c.place_path < ?)")
		args = append(args, lo, hi)
	}
	if f.Unit != "" {
		u, err := org.RefByCode(ctx, s.db, f.Unit)
		if err != nil {
			if isNotFound(err) {
				return CoordPage{}, store.Invalidf("找不到单位编码 %s", f.Unit)
			}
			return CoordPage{}, err
		}
		conds = append(conds, "(c.opened_by_unit_id = ? OR EXISTS (SELECT 1 FROM assignments ua WHERE ua.case_id = c.id AND ua.unit_id = ?))")
		args = append(args, u.ID, u.ID)
	}
	if !f.From.IsZero() {
		conds = append(conds, "c.created_at >= ?")
		args = append(args, store.Millis(f.From))
	}
	if !f.To.IsZero() {
		conds = append(conds, "c.created_at < ?")
		args = append(args, store.Millis(f.To))
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		conds = append(conds, "(c.no = ? OR c.title LIKE ?)")
		args = append(args, q, "%"+strings.NewReplacer("%", "", "_", "").Replace(q)+"%")
	}
	if f.Before != "" {
		id, err := strconv.ParseInt(f.Before, 10, 64)
		if err != nil {
			return CoordPage{}, store.Invalid("分页参数有误")
		}
		conds = append(conds, "c.id < ?")
		args = append(args, id)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 5000)
	rows, err := s.db.Reader(ctx).Query(ctx, `SELECT c.id, c.no, c.flow, c.kind, c.title, c.status, c.priority, COALESCE(o.name, ''), COALESCE(t.name, ''),
		COALESCE(p.name, ''), COALESCE(g.name, ''), COALESCE(cat.name, ''), COALESCE(l.name, ''), c.overdue, c.supervisions, c.handle_due_at, c.created_at, c.closed_at
		FROM cases c
		LEFT JOIN units o ON o.id = c.opened_by_unit_id
		LEFT JOIN units t ON t.id = c.township_unit_id
		LEFT JOIN units p ON p.id = c.place_unit_id
		LEFT JOIN units g ON g.id = c.grid_unit_id
		LEFT JOIN units l ON l.id = c.lead_unit_id
		LEFT JOIN categories cat ON cat.id = c.category_id
		WHERE `+strings.Join(conds, " AND ")+` ORDER BY c.id DESC LIMIT ?`, append(args, limit+1)...)
	if err != nil {
		return CoordPage{}, fmt.Errorf("coordination list: %w", err)
	}
	var page CoordPage
	byID := map[int64]int{}
	for rows.Next() {
		var r CoordRow
		var overdue int
		var due, closed sqlNullInt
		var created int64
		if err := rows.Scan(&r.ID, &r.No, &r.Flow, &r.Kind, &r.Title, &r.Status, &r.Priority, &r.OpenedBy, &r.TownshipName,
			&r.PlaceName, &r.GridName, &r.CategoryName, &r.LeadUnit, &overdue, &r.Supervisions, &due, &created, &closed); err != nil {
			rows.Close()
			return CoordPage{}, err
		}
		r.Overdue = overdue == 1
		r.HandleDueAt, r.ClosedAt = ptime(due), ptime(closed)
		r.CreatedAt = time.UnixMilli(created).In(shanghai)
		r.Parties = []CoordParty{}
		page.Rows = append(page.Rows, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return CoordPage{}, err
	}
	if len(page.Rows) > limit {
		page.Rows = page.Rows[:limit]
		page.Next = strconv.FormatInt(page.Rows[limit-1].ID, 10)
	}
	if len(page.Rows) == 0 {
		page.Rows = []CoordRow{}
		return page, nil
	}
	ids := make([]any, 0, len(page.Rows))
	for i, r := range page.Rows {
		byID[r.ID] = i
		ids = append(ids, r.ID)
	}
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		prows, err := s.db.Reader(ctx).Query(ctx, `SELECT a.case_id, u.name, COALESCE(pe.name, ''), a.role, a.status, COALESCE(a.rating, 0), a.reported_at, a.overdue, a.escalated
			FROM assignments a JOIN units u ON u.id = a.unit_id LEFT JOIN people pe ON pe.id = a.person_id
			WHERE a.case_id IN (?`+strings.Repeat(", ?", len(chunk)-1)+`) ORDER BY a.id`, chunk...)
		if err != nil {
			return CoordPage{}, fmt.Errorf("coordination parties: %w", err)
		}
		for prows.Next() {
			var cid int64
			var unit, person string
			var p CoordParty
			var reported sqlNullInt
			var overdue, escalated int
			if err := prows.Scan(&cid, &unit, &person, &p.Role, &p.Status, &p.Rating, &reported, &overdue, &escalated); err != nil {
				prows.Close()
				return CoordPage{}, err
			}
			p.Name = unit
			if person != "" {
				p.Name = person
			}
			r := &page.Rows[byID[cid]]
			r.Parties = append(r.Parties, p)
			if reported.Valid {
				r.Reported++
			}
			switch p.Status {
			case "done":
				r.Done++
			case "refused":
				r.Refused++
			}
			r.Overdue = r.Overdue || overdue == 1
			r.Escalated = r.Escalated || escalated == 1
		}
		prows.Close()
		if err := prows.Err(); err != nil {
			return CoordPage{}, err
		}
	}
	return page, nil
}

// PartyNames joins the parties' names for a list cell.
func (r CoordRow) PartyNames() string {
	names := make([]string, 0, len(r.Parties))
	for _, p := range r.Parties {
		names = append(names, p.Name)
	}
	return strings.Join(names, "、")
}

// ZoneGrid is one grid's open enforcement cases in a zone.
type ZoneGrid struct {
	GridCode string     `json:"grid_code,omitempty"` // "" for cases placed in no grid
	GridName string     `json:"grid_name,omitempty"`
	Cases    []CoordRow `json:"cases"`
}

// Zone is one township's open enforcement cases by grid ("网格+片区").
type Zone struct {
	UnitCode string     `json:"unit_code"`
	UnitName string     `json:"unit_name"`
	Open     int        `json:"open"`
	Grids    []ZoneGrid `json:"grids"`
}

// EnforcementZones shows each zone's (township's) open enforcement cases by
// grid, as far as actor may see them.
func (s *Service) EnforcementZones(ctx context.Context, actor access.Actor) ([]Zone, error) {
	page, err := s.CoordList(ctx, actor, CoordFilter{Flow: "enforcement", Status: "open", Limit: 5000})
	if err != nil {
		return nil, err
	}
	if len(page.Rows) == 0 {
		return []Zone{}, nil
	}
	ids := make([]any, 0, len(page.Rows))
	for _, r := range page.Rows {
		ids = append(ids, r.ID)
	}
	type place struct{ tcode, tname, gcode, gname string }
	where := map[int64]place{}
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		rows, err := s.db.Reader(ctx).Query(ctx, `SELECT c.id, COALESCE(t.code, ''), COALESCE(t.name, ''), COALESCE(g.code, ''), COALESCE(g.name, '')
			FROM cases c LEFT JOIN units t ON t.id = c.township_unit_id LEFT JOIN units g ON g.id = c.grid_unit_id
			WHERE c.id IN (?`+strings.Repeat(", ?", len(chunk)-1)+`)`, chunk...)
		if err != nil {
			return nil, fmt.Errorf("enforcement zones: %w", err)
		}
		for rows.Next() {
			var id int64
			var p place
			if err := rows.Scan(&id, &p.tcode, &p.tname, &p.gcode, &p.gname); err != nil {
				rows.Close()
				return nil, err
			}
			where[id] = p
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	var zones []Zone
	zi := map[string]int{}
	for _, r := range page.Rows {
		p := where[r.ID]
		i, ok := zi[p.tcode]
		if !ok {
			name := p.tname
			if name == "" {
				name = "县级（未落乡镇）"
			}
			zones = append(zones, Zone{UnitCode: p.tcode, UnitName: name})
			i = len(zones) - 1
			zi[p.tcode] = i
		}
		z := &zones[i]
		z.Open++
		gi := slices.IndexFunc(z.Grids, func(g ZoneGrid) bool { return g.GridCode == p.gcode })
		if gi < 0 {
			z.Grids = append(z.Grids, ZoneGrid{GridCode: p.gcode, GridName: p.gname})
			gi = len(z.Grids) - 1
		}
		z.Grids[gi].Cases = append(z.Grids[gi].Cases, r)
	}
	sort.Slice(zones, func(a, b int) bool { return zones[a].UnitCode < zones[b].UnitCode })
	for i := range zones {
		sort.Slice(zones[i].Grids, func(a, b int) bool { return zones[i].Grids[a].GridCode < zones[i].Grids[b].GridCode })
	}
	return zones, nil
}

// sqlNullInt is a nullable BIGINT column.
type sqlNullInt = sql.NullInt64

// DueAt is the handling deadline, or the zero time (for templates).
func (r CoordRow) DueAt() time.Time {
	if r.HandleDueAt == nil {
		return time.Time{}
	}
	return *r.HandleDueAt
}

// ClosedTime is when the case closed, or the zero time (for templates).
func (r CoordRow) ClosedTime() time.Time {
	if r.ClosedAt == nil {
		return time.Time{}
	}
	return *r.ClosedAt
}
