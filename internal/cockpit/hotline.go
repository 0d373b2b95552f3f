package cockpit

import (
	"context"
	"sort"
	"strconv"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/stats"
	"grassroots/internal/store"
)

// Flow is the flow of the 12345 panel.
const Flow = stats.DefaultFlow

// Rate is one of the three rates (or a companion) of a unit, as a Number
// whose value is the percentage and whose numerator and denominator link
// to their cases.
type Rate struct {
	Number
	Num, Den       string // the counts, formatted
	NumHref        string `json:"num_href"`
	DenHref        string `json:"den_href"`
	NumKey, DenKey string `json:"-"`
}

// RankRow is a unit's three rates and its rank on each.
type RankRow struct {
	Unit  Unit    `json:"unit"`
	Cases int     `json:"cases"`
	Rates [3]Rate `json:"rates"`
	Ranks [3]int  `json:"ranks"` // 0: no figure
	Href  string  `json:"href"`  // the unit's own cockpit
}

// TrendPoint is a month's three rates.
type TrendPoint struct {
	Month string      `json:"month"`
	Cases int         `json:"cases"`
	Rates [3]*float64 `json:"rates"`
}

// Hotline is the 12345 panel.
type Hotline struct {
	Unit   Unit   `json:"unit"`
	Period Period `json:"period"`
	// Rates are the month's figures in stats.FigureNames order; the first
	// three shown large are 响应率, 解决率, 满意率 (Three).
	Rates []Rate          `json:"rates"`
	Three [3]Rate         `json:"three"`
	Total stats.UnitRates `json:"total"`
	Trend []TrendPoint    `json:"trend"`
	// Townships and Departments rank the children of the unit (for the
	// county: townships and county departments; below: communities, grids).
	Townships   []RankRow `json:"townships"`
	Departments []RankRow `json:"departments"`
	// Intake this month by channel, request type and category.
	Channels     []Number `json:"channels"`
	RequestTypes []Number `json:"request_types"`
	Categories   []Number `json:"categories"`
	// This week's top categories and hot spots (grids).
	WeekCategories []Number `json:"week_categories"`
	HotSpots       []Number `json:"hot_spots"`
}

// threeIdx are the positions of 响应率, 解决率, 满意率 in FigureNames.
var threeIdx = [3]int{0, 2, 4}

func rateOf(u Unit, p Period, name stats.FigureName, f stats.Figure) Rate {
	r := Rate{Number: Number{Key: name.Key, Value: f.Percent(), Def: name.Key + ".hint"}, Num: f.Num(), Den: strconv.Itoa(f.Denominator),
		NumKey: name.Num, DenKey: name.Den}
	if f.Ratio != nil {
		r.N = *f.Ratio
	}
	r.Of = r.Num + " / " + r.Den
	r.NumHref = statsHref(u.Code, Flow, p.MonthFromD, p.TodayD, name.Num)
	r.DenHref = statsHref(u.Code, Flow, p.MonthFromD, p.TodayD, name.Den)
	r.Href = r.NumHref
	return r
}

// Hotline computes the 12345 panel of unit u for period p.
func (s *Service) Hotline(ctx context.Context, actor access.Actor, u Unit, p Period) (Hotline, error) {
	h := Hotline{Unit: u, Period: p}
	// One statement (docs/COCKPIT.md, "Cost"): the figures by child and the
	// trend as stats reads them, with intake and the week as its parts.
	f, err := stats.Panel(ctx, s.db, actor, stats.Unit{ID: u.ID, Code: u.Code, Name: u.Name, Kind: u.Kind, Path: u.Path}, Flow,
		p.MonthFrom, p.To, p.TrendMonths, lastMoment(p), intakePart(actor, u, p), weekPart(actor, u, p))
	if err != nil {
		return h, err
	}
	b := f.Breakdown
	h.Total = b.Total
	names := stats.FigureNames()
	for i, f := range b.Total.Figures() {
		h.Rates = append(h.Rates, rateOf(u, p, names[i], f))
	}
	for i, k := range threeIdx {
		h.Three[i] = h.Rates[k]
	}
	for _, row := range b.Rows {
		if row.Self {
			continue
		}
		ru := Unit{Code: row.Unit.Code, Name: row.Unit.Name, Kind: row.Unit.Kind}
		rr := RankRow{Unit: ru, Cases: row.Counts.Cases, Href: "/cockpit?unit=" + ru.Code}
		figs := row.Figures()
		for i, k := range threeIdx {
			rr.Rates[i] = rateOf(ru, p, names[k], figs[k])
		}
		if ru.Kind == "department" {
			h.Departments = append(h.Departments, rr)
		} else {
			h.Townships = append(h.Townships, rr)
		}
	}
	rank(h.Townships)
	rank(h.Departments)
	for _, t := range f.Trend {
		tp := TrendPoint{Month: t.From.In(zone).Format("2006-01"), Cases: t.Counts.Cases}
		figs := t.Figures()
		for i, k := range threeIdx {
			tp.Rates[i] = figs[k].Ratio
		}
		h.Trend = append(h.Trend, tp)
	}
	intake(u, p, f.Extra, &h)
	week(u, p, f.Extra, &h)
	return h, nil
}

// lastMoment is the moment the trend runs to: now, or for a past month's
// report the last millisecond of that month.
func lastMoment(p Period) time.Time {
	if p.Now.Before(p.To) {
		return p.Now
	}
	return p.To.Add(-1)
}

// rank gives each row its rank on each of the three rates (equal rates
// share a rank; no figure, no rank) and sorts the rows by 满意率's rank,
// then 解决率's, then by name.
func rank(rows []RankRow) {
	for i := range 3 {
		idx := make([]int, 0, len(rows))
		for j := range rows {
			if rows[j].Rates[i].Value != "—" {
				idx = append(idx, j)
			}
		}
		sort.SliceStable(idx, func(a, b int) bool { return rows[idx[a]].Rates[i].N > rows[idx[b]].Rates[i].N })
		for pos, j := range idx {
			if pos > 0 && rows[idx[pos-1]].Rates[i].N == rows[j].Rates[i].N {
				rows[j].Ranks[i] = rows[idx[pos-1]].Ranks[i]
			} else {
				rows[j].Ranks[i] = pos + 1
			}
		}
	}
	key := func(r RankRow, i int) int {
		if r.Ranks[i] == 0 {
			return 1 << 30
		}
		return r.Ranks[i]
	}
	sort.SliceStable(rows, func(a, b int) bool {
		for _, i := range []int{2, 1, 0} {
			if ka, kb := key(rows[a], i), key(rows[b], i); ka != kb {
				return ka < kb
			}
		}
		return rows[a].Unit.Name < rows[b].Unit.Name
	})
}

// intakePart counts the month's 12345 cases of the unit by channel,
// request type and category: from the index (cases_intake, migration 0030),
// then named (the categories joined to the groups, not to every case).
func intakePart(actor access.Actor, u Unit, p Period) stats.Part {
	cond, args := under(actor, u, attribution)
	return stats.Part{SQL: `SELECT 'i', k.channel, k.request_type, COALESCE(g.name, ''), '', k.cat, k.n` + stats.PadCounts(1) + `
		FROM (SELECT c.channel, c.request_type, COALESCE(c.category_id, 0) AS cat, COUNT(*) AS n FROM cases c
			WHERE c.flow = ? AND c.created_at >= ? AND c.created_at < ? AND ` + cond + `
			GROUP BY c.channel, c.request_type, COALESCE(c.category_id, 0)) k
		LEFT JOIN categories g ON g.id = k.cat`, Args: append([]any{Flow, store.Millis(p.MonthFrom), store.Millis(p.To)}, args...)}
}

// intake fills the intake numbers from intakePart's rows.
func intake(u Unit, p Period, rows []stats.PartRow, h *Hotline) {
	ch, rt, cat := map[string]int{}, map[string]int{}, map[int64]int{}
	catName := map[int64]string{}
	for _, r := range rows {
		if r.Tag != "i" {
			continue
		}
		n := int(r.N[0])
		ch[r.Text[0]] += n
		rt[r.Text[1]] += n
		cat[r.Key] += n
		catName[r.Key] = r.Text[2]
	}
	for k, n := range ch {
		h.Channels = append(h.Channels, count("caseui.channel."+k, k, n, "cockpit.def.channel", casesHref(u.Code, "channel", k, p)))
	}
	for k, n := range rt {
		key := "case.request_type." + k
		if k == "" {
			key = "cockpit.request_type.none"
		}
		h.RequestTypes = append(h.RequestTypes, count(key, k, n, "cockpit.def.request_type", casesHref(u.Code, "request_type", k, p)))
	}
	for id, n := range cat {
		label, key := catName[id], ""
		if id == 0 {
			key = "cockpit.category.none"
		}
		h.Categories = append(h.Categories, count(key, label, n, "cockpit.def.category", casesHref(u.Code, "category", strconv.FormatInt(id, 10), p)))
	}
	total := h.Total.Counts.Cases
	for _, list := range [][]Number{h.Channels, h.RequestTypes, h.Categories} {
		for i := range list {
			list[i].Of = "/ " + strconv.Itoa(total)
		}
	}
	h.Channels, h.RequestTypes, h.Categories = ranked(h.Channels, 20), ranked(h.RequestTypes, 20), ranked(h.Categories, 10)
}

// weekPart finds this week's top categories and hot spots (grids by where
// the case happened) among the unit's 12345 cases.
func weekPart(actor access.Actor, u Unit, p Period) stats.Part {
	cond, args := under(actor, u, "c.place_path")
	return stats.Part{SQL: `SELECT 'k', COALESCE(g.name, ''), COALESCE(gr.code, ''), COALESCE(gr.name, ''), '', k.cat, k.n` + stats.PadCounts(1) + `
		FROM (SELECT COALESCE(c.category_id, 0) AS cat, c.grid_unit_id AS gid, COUNT(*) AS n FROM cases c
			WHERE c.flow = ? AND c.created_at >= ? AND c.created_at < ? AND ` + cond + `
			GROUP BY COALESCE(c.category_id, 0), c.grid_unit_id) k
		LEFT JOIN categories g ON g.id = k.cat LEFT JOIN units gr ON gr.id = k.gid`, Args: append([]any{Flow, store.Millis(p.WeekFrom), store.Millis(p.To)}, args...)}
}

// week fills the week's numbers from weekPart's rows.
func week(u Unit, p Period, rows []stats.PartRow, h *Hotline) {
	cat, grid := map[int64]int{}, map[string]int{}
	catName, gridName := map[int64]string{}, map[string]string{}
	total := 0
	for _, r := range rows {
		if r.Tag != "k" {
			continue
		}
		n := int(r.N[0])
		total += n
		cat[r.Key] += n
		catName[r.Key] = r.Text[0]
		if code := r.Text[1]; code != "" {
			grid[code] += n
			gridName[code] = r.Text[2]
		}
	}
	of := "/ " + strconv.Itoa(total)
	for id, n := range cat {
		key := ""
		if id == 0 {
			key = "cockpit.category.none"
		}
		x := count(key, catName[id], n, "cockpit.def.week_category", casesHref(u.Code, "week_category", strconv.FormatInt(id, 10), p))
		x.Of = of
		h.WeekCategories = append(h.WeekCategories, x)
	}
	for code, n := range grid {
		x := count("", gridName[code], n, "cockpit.def.hot_spot", casesHref(u.Code, "week_grid", code, p))
		x.Of = of
		h.HotSpots = append(h.HotSpots, x)
	}
	h.WeekCategories, h.HotSpots = ranked(h.WeekCategories, 5), ranked(h.HotSpots, 5)
}
