package casework

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"grassroots/internal/access"
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
		var path string
		if err := s.db.QueryRow(ctx, `SELECT path FROM units WHERE code = ?`, strings.TrimSpace(f.Township)).Scan(&path); err != nil {
			if isNotFound(store.Normalize(err)) {
				return CoordPage{}, store.Invalid(fmt.Sprintf("找不到单位编码 %s", f.Township))
			}
			return CoordPage{}, err
		}
		lo, hi := access.PathRange(path)
		conds = append(conds, "(c.place_path >= ? AND c.place_path < ?)")
		args = append(args, lo, hi)
	}
	if f.Unit != "" {
		var id int64
		if err := s.db.QueryRow(ctx, `SELECT id FROM units WHERE code = ?`, strings.TrimSpace(f.Unit)).Scan(&id); err != nil {
			if isNotFound(store.Normalize(err)) {
				return CoordPage{}, store.Invalid(fmt.Sprintf("找不到单位编码 %s", f.Unit))
			}
			return CoordPage{}, err
		}
		conds = append(conds, "(c.opened_by_unit_id = ? OR EXISTS (SELECT 1 FROM assignments ua WHERE ua.case_id = c.id AND ua.unit_id = ?))")
		args = append(args, id, id)
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
	rows, err := s.db.Query(ctx, `SELECT c.id, c.no, c.flow, c.kind, c.title, c.status, c.priority, COALESCE(o.name, ''), COALESCE(t.name, ''),
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
		prows, err := s.db.Query(ctx, `SELECT a.case_id, u.name, COALESCE(pe.name, ''), a.role, a.status, COALESCE(a.rating, 0), a.reported_at, a.overdue, a.escalated
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

// DeptCard is one county department's report card (部门报到考评) over a
// period: how it answered whistles, township calls and enforcement
// transfers. Times are natural minutes (report-in) and working time is not
// applied, since a party is expected on site whatever the hour.
type DeptCard struct {
	UnitCode string `json:"unit_code"`
	UnitName string `json:"unit_name"`
	// Parts are the department's parts dispatched in the period, by flow.
	Whistles int `json:"whistles"`
	Calls    int `json:"township_calls"`
	Transfer int `json:"enforcement"`
	// Rated parts and their average rating (1..5; 0 when none).
	Rated     int     `json:"rated"`
	AvgRating float64 `json:"avg_rating"`
	// ReportIns are whistle parts reported in; the median and average
	// minutes from summons to report-in.
	ReportIns      int     `json:"report_ins"`
	ReportInMedian float64 `json:"report_in_median_minutes"`
	ReportInAvg    float64 `json:"report_in_avg_minutes"`
	// Refusals are whistle summons refused; Returns are calls and transfers
	// returned (or taken away by the supervision office).
	Refusals int `json:"refusals"`
	Returns  int `json:"returns"`
	// Overdue parts passed a deadline; Escalated ones went to the
	// supervision office.
	Overdue   int `json:"overdue"`
	Escalated int `json:"escalated"`
}

// Parts is the number of parts on the card.
func (c DeptCard) Parts() int { return c.Whistles + c.Calls + c.Transfer }

// seesCounty reports whether actor reads county-wide figures.
// MaySeeReportCard reports whether the actor may read the departments'
// report card: the county level and the supervision office (every card), a
// county department (its own).
func MaySeeReportCard(actor access.Actor) bool {
	return seesCounty(actor) || (actor.Has(access.RoleDepartment) && actor.UnitKind == "department")
}

func seesCounty(actor access.Actor) bool {
	return actor.CountyWide() || actor.Has(access.RoleSupervisor)
}

// ReportCard computes the report card of every county department for parts
// dispatched in [from, to). The county level and the supervision office see
// every department; a department sees its own card.
func (s *Service) ReportCard(ctx context.Context, actor access.Actor, from, to time.Time) ([]DeptCard, error) {
	cond, args := "", []any{store.Millis(from), store.Millis(to)}
	switch {
	case !MaySeeReportCard(actor):
		return nil, store.Forbidden("部门考评仅供县级领导、督查室和县直部门查看")
	case !seesCounty(actor):
		cond = " AND u.id = ?" // a department sees its own card
		args = append(args, actor.UnitID)
	}
	rows, err := s.db.Query(ctx, `SELECT u.code, u.name, c.flow, a.status, a.dispatched_at, a.reported_at, a.rating, a.overdue, a.escalated, a.returned_at
		FROM assignments a JOIN units u ON u.id = a.unit_id JOIN cases c ON c.id = a.case_id
		WHERE u.kind = 'department' AND c.flow IN ('whistle', 'township_call', 'enforcement')
		AND a.dispatched_at >= ? AND a.dispatched_at < ?`+cond+` ORDER BY u.code`, args...)
	if err != nil {
		return nil, fmt.Errorf("report card: %w", err)
	}
	defer rows.Close()
	cards := map[string]*DeptCard{}
	var order []string
	ratings := map[string][]int{}
	minutes := map[string][]float64{}
	for rows.Next() {
		var code, name, flow, status string
		var dispatched int64
		var reported, rating, returned sqlNullInt
		var overdue, escalated int
		if err := rows.Scan(&code, &name, &flow, &status, &dispatched, &reported, &rating, &overdue, &escalated, &returned); err != nil {
			return nil, err
		}
		c, ok := cards[code]
		if !ok {
			c = &DeptCard{UnitCode: code, UnitName: name}
			cards[code] = c
			order = append(order, code)
		}
		switch flow {
		case "whistle":
			c.Whistles++
			if reported.Valid {
				c.ReportIns++
				minutes[code] = append(minutes[code], float64(reported.Int64-dispatched)/60000)
			}
			if status == "refused" {
				c.Refusals++
			}
		case "township_call":
			c.Calls++
		case "enforcement":
			c.Transfer++
		}
		if flow != "whistle" && returned.Valid {
			c.Returns++
		}
		if rating.Valid && rating.Int64 > 0 {
			ratings[code] = append(ratings[code], int(rating.Int64))
		}
		c.Overdue += overdue
		c.Escalated += escalated
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]DeptCard, 0, len(order))
	for _, code := range order {
		c := cards[code]
		if rs := ratings[code]; len(rs) > 0 {
			sum := 0
			for _, r := range rs {
				sum += r
			}
			c.Rated, c.AvgRating = len(rs), round1(float64(sum)/float64(len(rs)))
		}
		if ms := minutes[code]; len(ms) > 0 {
			c.ReportInMedian, c.ReportInAvg = round1(median(ms)), round1(mean(ms))
		}
		out = append(out, *c)
	}
	return out, nil
}

func round1(v float64) float64 { return float64(int64(v*10+0.5)) / 10 }

func mean(v []float64) float64 {
	sum := 0.0
	for _, x := range v {
		sum += x
	}
	return sum / float64(len(v))
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// WhistleRateRow is one township's whistles by month.
type WhistleRateRow struct {
	UnitCode string  `json:"unit_code"`
	UnitName string  `json:"unit_name"`
	ByMonth  []int   `json:"by_month"`
	Total    int     `json:"total"`
	PerMonth float64 `json:"per_month"`
	// Flag is "high" (more than twice the county's average per township),
	// "low" (none, or under half the average) or "".
	Flag string `json:"flag,omitempty"`
}

// WhistleRates are the whistles blown per street/township per month. Both
// too many whistles (the township cannot settle its own matters, or leans on
// the county) and too few (matters are not raised) mean something.
type WhistleRates struct {
	Months []string         `json:"months"` // "2026-11"
	Rows   []WhistleRateRow `json:"rows"`
	// Average is the county's average whistles per township per month.
	Average float64 `json:"average"`
}

// WhistleRate counts whistles blown per township-level unit and month in
// [from, to), for every township (none blown is a figure too). A whistle
// counts for the township of its place, else of the unit that blew it.
func (s *Service) WhistleRate(ctx context.Context, actor access.Actor, from, to time.Time) (WhistleRates, error) {
	var out WhistleRates
	if !seesCounty(actor) {
		return out, store.Forbidden("吹哨率仅供县级领导和督查室查看")
	}
	for m := time.Date(from.In(shanghai).Year(), from.In(shanghai).Month(), 1, 0, 0, 0, 0, shanghai); m.Before(to); m = m.AddDate(0, 1, 0) {
		out.Months = append(out.Months, m.Format("2006-01"))
		if len(out.Months) > 36 {
			return out, store.Invalid("统计区间不能超过36个月")
		}
	}
	trows, err := s.db.Query(ctx, `SELECT id, code, name, path FROM units WHERE kind IN ('township', 'street') ORDER BY code`)
	if err != nil {
		return out, fmt.Errorf("whistle rate: %w", err)
	}
	type tw struct {
		row  WhistleRateRow
		path string
	}
	var towns []*tw
	byID := map[int64]*tw{}
	for trows.Next() {
		var id int64
		t := &tw{}
		if err := trows.Scan(&id, &t.row.UnitCode, &t.row.UnitName, &t.path); err != nil {
			trows.Close()
			return out, err
		}
		t.row.ByMonth = make([]int, len(out.Months))
		towns = append(towns, t)
		byID[id] = t
	}
	trows.Close()
	if err := trows.Err(); err != nil {
		return out, err
	}
	rows, err := s.db.Query(ctx, `SELECT COALESCE(c.township_unit_id, 0), COALESCE(o.path, ''), c.created_at FROM cases c
		LEFT JOIN units o ON o.id = c.opened_by_unit_id
		WHERE c.flow = 'whistle' AND c.created_at >= ? AND c.created_at < ?`, store.Millis(from), store.Millis(to))
	if err != nil {
		return out, fmt.Errorf("whistle rate: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var tid, at int64
		var openerPath string
		if err := rows.Scan(&tid, &openerPath, &at); err != nil {
			return out, err
		}
		t := byID[tid]
		if t == nil && openerPath != "" {
			for _, c := range towns {
				if strings.HasPrefix(openerPath, c.path) {
					t = c
				}
			}
		}
		if t == nil {
			continue
		}
		i := slices.Index(out.Months, time.UnixMilli(at).In(shanghai).Format("2006-01"))
		if i >= 0 {
			t.row.ByMonth[i]++
			t.row.Total++
		}
	}
	if err := rows.Err(); err != nil {
		return out, err
	}
	months := float64(max(len(out.Months), 1))
	total := 0
	for _, t := range towns {
		t.row.PerMonth = round1(float64(t.row.Total) / months)
		total += t.row.Total
	}
	if len(towns) > 0 {
		out.Average = float64(int64(float64(total)/float64(len(towns))/months*100+0.5)) / 100
	}
	for _, t := range towns {
		switch {
		case t.row.Total == 0 || (out.Average > 0 && t.row.PerMonth < out.Average/2):
			t.row.Flag = "low"
		case out.Average > 0 && t.row.PerMonth > 2*out.Average:
			t.row.Flag = "high"
		}
		out.Rows = append(out.Rows, t.row)
	}
	return out, nil
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
		rows, err := s.db.Query(ctx, `SELECT c.id, COALESCE(t.code, ''), COALESCE(t.name, ''), COALESCE(g.code, ''), COALESCE(g.name, '')
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

// xlsxSheet streams rows into one sheet of f.
func xlsxSheet(f *excelize.File, name string, head []any, rows [][]any) error {
	idx, err := f.GetSheetIndex(name)
	if err != nil {
		return err
	}
	if idx < 0 {
		if _, err := f.NewSheet(name); err != nil {
			return err
		}
	}
	sw, err := f.NewStreamWriter(name)
	if err != nil {
		return err
	}
	if err := sw.SetRow("A1", head); err != nil {
		return err
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, r); err != nil {
			return err
		}
	}
	return sw.Flush()
}

func cnTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.In(shanghai).Format("2006-01-02 15:04")
}

// WriteCoordXLSX writes a coordination list as an Excel workbook, exactly
// the rows given (what the list shows under its filters).
func WriteCoordXLSX(w io.Writer, rows []CoordRow) error {
	f := excelize.NewFile()
	defer f.Close()
	var data [][]any
	for _, r := range rows {
		created := r.CreatedAt
		data = append(data, []any{r.No, r.Title, r.Kind, codeLabel("case.status.", r.Status), r.Priority, r.OpenedBy, r.TownshipName, r.PlaceName, r.GridName,
			r.CategoryName, r.LeadUnit, r.PartyNames(), len(r.Parties), r.Reported, r.Done, r.Refused, yesNo(r.Overdue), yesNo(r.Escalated),
			r.Supervisions, cnTime(&created), cnTime(r.HandleDueAt), cnTime(r.ClosedAt)})
	}
	head := []any{"编号", "标题", "类型", "状态", "紧急程度", "发起单位", "乡镇（街道）", "地点", "网格", "分类", "主办单位", "参与方",
		"参与方数", "已报到", "已完成", "拒绝", "超期", "已升级", "督办次数", "发起时间", "办理期限", "办结时间"}
	if err := xlsxSheet(f, "Sheet1", head, data); err != nil {
		return err
	}
	return f.Write(w)
}

func yesNo(b bool) string {
	if b {
		return "是"
	}
	return "否"
}

// WriteReportCardXLSX writes the department report card and the whistle
// rate as two sheets of one workbook.
func WriteReportCardXLSX(w io.Writer, cards []DeptCard, rates *WhistleRates) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", "部门考评"); err != nil {
		return err
	}
	var data [][]any
	for _, c := range cards {
		data = append(data, []any{c.UnitCode, c.UnitName, c.Whistles, c.Calls, c.Transfer, c.Rated, c.AvgRating, c.ReportIns,
			c.ReportInMedian, c.ReportInAvg, c.Refusals, c.Returns, c.Overdue, c.Escalated})
	}
	head := []any{"单位编码", "部门", "吹哨报到", "乡呼县应", "执法移送", "已评价", "平均评分", "已报到", "报到用时中位数（分钟）",
		"报到平均用时（分钟）", "拒绝报到", "退回/改派", "超期", "升级督办"}
	if err := xlsxSheet(f, "部门考评", head, data); err != nil {
		return err
	}
	if rates != nil {
		head := []any{"单位编码", "乡镇（街道）"}
		for _, m := range rates.Months {
			head = append(head, m)
		}
		head = append(head, "合计", "月均", "提示")
		var data [][]any
		for _, r := range rates.Rows {
			row := []any{r.UnitCode, r.UnitName}
			for _, n := range r.ByMonth {
				row = append(row, n)
			}
			flag := map[string]string{"high": "偏多", "low": "偏少"}[r.Flag]
			data = append(data, append(row, r.Total, r.PerMonth, flag))
		}
		if err := xlsxSheet(f, "吹哨率", head, data); err != nil {
			return err
		}
	}
	return f.Write(w)
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
