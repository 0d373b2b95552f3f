package report

// The departments' report card (部门考评) and the whistle rate (吹哨率): how
// county departments answered the parts they were given, and how often each
// township blew the whistle.

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/casework"
	"grassroots/internal/store"
)

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

// MaySeeReportCard reports whether the actor may read the departments'
// report card: the county level and the supervision office (every card), a
// county department (its own).
func MaySeeReportCard(actor access.Actor) bool {
	return seesCounty(actor) || (actor.Has(access.RoleDepartment) && actor.UnitKind == "department")
}

// seesCounty reports whether actor reads county-wide figures.
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
	// Which figures a part counts towards is the flow's declaration
	// (Flow.Card); flows that declare none stay off the card.
	figures := map[string][]casework.CardFigure{}
	var flows []any
	for _, f := range s.cases.Flows() {
		if len(f.Card) > 0 {
			figures[f.Name] = f.Card
			flows = append(flows, f.Name)
		}
	}
	if len(flows) == 0 {
		return []DeptCard{}, nil
	}
	args = append(flows, args...)
	rows, err := s.db.Query(ctx, `SELECT u.code, u.name, c.flow, a.status, a.dispatched_at, a.reported_at, a.rating, a.overdue, a.escalated, a.returned_at
		FROM assignments a JOIN units u ON u.id = a.unit_id JOIN cases c ON c.id = a.case_id
		WHERE u.kind = 'department' AND c.flow IN (?`+strings.Repeat(", ?", len(flows)-1)+`)
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
		var reported, rating, returned sql.NullInt64
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
		for _, fig := range figures[flow] {
			switch fig {
			case casework.CardWhistles:
				c.Whistles++
			case casework.CardCalls:
				c.Calls++
			case casework.CardTransfers:
				c.Transfer++
			case casework.CardReportIn:
				if reported.Valid {
					c.ReportIns++
					minutes[code] = append(minutes[code], float64(reported.Int64-dispatched)/60000)
				}
			case casework.CardRefusals:
				if status == "refused" {
					c.Refusals++
				}
			case casework.CardReturns:
				if returned.Valid {
					c.Returns++
				}
			}
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
	for m := time.Date(from.In(cst).Year(), from.In(cst).Month(), 1, 0, 0, 0, 0, cst); m.Before(to); m = m.AddDate(0, 1, 0) {
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
	// The whistles are the cases of the flows whose parts count as
	// whistles on the report card.
	flows := []any{}
	for _, f := range s.cases.Flows() {
		if slices.Contains(f.Card, casework.CardWhistles) {
			flows = append(flows, f.Name)
		}
	}
	if len(flows) == 0 {
		flows = append(flows, "")
	}
	rows, err := s.db.Query(ctx, `SELECT COALESCE(c.township_unit_id, 0), COALESCE(o.path, ''), c.created_at FROM cases c
		LEFT JOIN units o ON o.id = c.opened_by_unit_id
		WHERE c.flow IN (?`+strings.Repeat(", ?", len(flows)-1)+`) AND c.created_at >= ? AND c.created_at < ?`,
		append(flows, store.Millis(from), store.Millis(to))...)
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
		i := slices.Index(out.Months, time.UnixMilli(at).In(cst).Format("2006-01"))
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
