package service

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"sort"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/store"
	"grassroots/internal/xlsx"
)

// FigureRow is the figures of one centre, office or item (or of all).
type FigureRow struct {
	Key  string `json:"key"`
	Name string `json:"name"`
	// Applications by channel.
	Total  int `json:"total"`
	Window int `json:"window"`
	Online int `json:"online"`
	Proxy  int `json:"proxy"`
	// By reach: nearby (就近办), elsewhere in the county (同城通办), across
	// counties (异地可办).
	Nearby    int `json:"nearby"`
	Elsewhere int `json:"elsewhere"`
	Cross     int `json:"cross"`
	// Immediate (即办件) and promised (承诺件) items.
	Immediate int `json:"immediate"`
	Promised  int `json:"promised"`
	// Decided applications and those decided within their limit.
	Decided int `json:"decided"`
	OnTime  int `json:"on_time"`
	// HandlingHours sums the decided applications' handling time (accepted
	// to decided, less the time paused for supplements).
	HandlingHours float64 `json:"handling_hours"`
	Visits        int     `json:"visits"`
	// TownshipLevel counts applications handled by a township or village.
	TownshipLevel int `json:"township_level"`
	Delivered     int `json:"delivered"`
	Reviews       int `json:"reviews"`
	Good          int `json:"good"`
	Bad           int `json:"bad"`
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// OnTimeRate is on-time decisions over decisions.
func (r FigureRow) OnTimeRate() float64 { return ratio(r.OnTime, r.Decided) }

// AvgHours is the average handling time of decided applications, in hours.
func (r FigureRow) AvgHours() float64 {
	if r.Decided == 0 {
		return 0
	}
	return r.HandlingHours / float64(r.Decided)
}

// VisitsPer is the visits per application (跑动次数).
func (r FigureRow) VisitsPer() float64 { return ratio(r.Visits, r.Total) }

// TownshipShare is the share handled at township (or village) level.
func (r FigureRow) TownshipShare() float64 { return ratio(r.TownshipLevel, r.Total) }

// GoodRate is good reviews over reviews.
func (r FigureRow) GoodRate() float64 { return ratio(r.Good, r.Reviews) }

// Figures are the service window's figures over a period.
type Figures struct {
	From     time.Time   `json:"from"`
	To       time.Time   `json:"to"`
	All      FigureRow   `json:"all"`
	ByCentre []FigureRow `json:"by_centre"`
	ByOffice []FigureRow `json:"by_office"`
	ByItem   []FigureRow `json:"by_item"`
	// Items and DevolvedItems count the active items and those moved down
	// to townships (下沉事项).
	Items         int `json:"items"`
	DevolvedItems int `json:"devolved_items"`
	// WholeChainItems and PartialItems split the items moved down: with
	// their whole chain (全链条划转) or in part.
	WholeChainItems int `json:"whole_chain_items"`
	PartialItems    int `json:"partial_items"`
}

// FigureFilter is the period (accepted in [From, To); zero: unbounded).
type FigureFilter struct {
	From, To time.Time
}

// Figures computes the figures of the applications the actor may see: all
// for the county, those accepted in or handled by the actor's subtree
// otherwise.
func (s *Service) Figures(ctx context.Context, actor access.Actor, f FigureFilter) (Figures, error) {
	if err := mustStaff(actor); err != nil {
		return Figures{}, err
	}
	out := Figures{From: f.From, To: f.To, All: FigureRow{Key: "all", Name: "合计"}}
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(devolved), 0),
		COALESCE(SUM(CASE WHEN transfer = 'whole' THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN transfer = 'partial' THEN 1 ELSE 0 END), 0)
		FROM service_items WHERE active = 1`).Scan(&out.Items, &out.DevolvedItems, &out.WholeChainItems, &out.PartialItems); err != nil {
		return out, fmt.Errorf("figures: %w", err)
	}
	c1, a1 := actor.SubtreeFilter("hu.path")
	c2, a2 := actor.SubtreeFilter("c.place_path")
	where := `((` + c1 + `) OR (` + c2 + `))`
	args := append(a1, a2...)
	if !f.From.IsZero() {
		where += ` AND a.accepted_at >= ?`
		args = append(args, store.Millis(f.From))
	}
	if !f.To.IsZero() {
		where += ` AND a.accepted_at < ?`
		args = append(args, store.Millis(f.To))
	}
	rows, err := s.db.Query(ctx, `SELECT COALESCE(ce.id, 0), COALESCE(ce.name, ''), hu.code, hu.name, a.office, i.code, i.name,
		a.channel, a.kind, a.accepted_at, a.decided_at, a.on_time, a.delivered_at, a.visits, a.township_level, r.rating, COALESCE(p.paused, 0), a.reach
		FROM service_applications a JOIN cases c ON c.id = a.case_id JOIN service_items i ON i.id = a.item_id
		JOIN units hu ON hu.id = a.handling_unit_id LEFT JOIN service_sites ce ON ce.id = a.centre_id
		LEFT JOIN service_reviews r ON r.application_id = a.id
		LEFT JOIN (SELECT case_id, SUM(COALESCE(resumed_at, paused_at) - paused_at) AS paused FROM case_pauses GROUP BY case_id) p ON p.case_id = a.case_id
		WHERE `+where, args...)
	if err != nil {
		return out, fmt.Errorf("figures: %w", err)
	}
	defer rows.Close()
	centres, offices, items := map[string]*FigureRow{}, map[string]*FigureRow{}, map[string]*FigureRow{}
	pick := func(m map[string]*FigureRow, key, name string) *FigureRow {
		r, ok := m[key]
		if !ok {
			r = &FigureRow{Key: key, Name: name}
			m[key] = r
		}
		return r
	}
	for rows.Next() {
		var centreID, accepted, visits int64
		var centreName, unitCode, unitName, office, itemCode, itemName, channel, kind string
		var decided, onTime, delivered, rating sql.NullInt64
		var township int
		var paused int64
		var reach string
		if err := rows.Scan(&centreID, &centreName, &unitCode, &unitName, &office, &itemCode, &itemName, &channel, &kind, &accepted,
			&decided, &onTime, &delivered, &visits, &township, &rating, &paused, &reach); err != nil {
			return out, fmt.Errorf("figures: %w", err)
		}
		targets := []*FigureRow{&out.All, pick(offices, unitCode+"/"+office, unitName+" "+office), pick(items, itemCode, itemName)}
		if centreID != 0 {
			targets = append(targets, pick(centres, fmt.Sprint(centreID), centreName))
		} else {
			targets = append(targets, pick(centres, "0", "网上申请（未指定乡镇）"))
		}
		for _, r := range targets {
			r.Total++
			switch channel {
			case ChannelWindow:
				r.Window++
			case ChannelOnline:
				r.Online++
			case ChannelProxy:
				r.Proxy++
			}
			switch reach {
			case ReachCounty:
				r.Elsewhere++
			case ReachCross:
				r.Cross++
			default:
				r.Nearby++
			}
			if kind == KindImmediate {
				r.Immediate++
			} else {
				r.Promised++
			}
			if decided.Valid {
				r.Decided++
				if onTime.Valid && onTime.Int64 == 1 {
					r.OnTime++
				}
				r.HandlingHours += float64(max(decided.Int64-accepted-paused, 0)) / float64(time.Hour/time.Millisecond)
			}
			r.Visits += int(visits)
			r.TownshipLevel += township
			if delivered.Valid {
				r.Delivered++
			}
			if rating.Valid {
				r.Reviews++
				if rating.Int64 >= 4 {
					r.Good++
				} else if rating.Int64 <= 2 {
					r.Bad++
				}
			}
		}
	}
	if err := rows.Err(); err != nil {
		return out, err
	}
	out.ByCentre, out.ByOffice, out.ByItem = sorted(centres), sorted(offices), sorted(items)
	return out, nil
}

func sorted(m map[string]*FigureRow) []FigureRow {
	out := make([]FigureRow, 0, len(m))
	for _, r := range m {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Total != out[j].Total {
			return out[i].Total > out[j].Total
		}
		return out[i].Key < out[j].Key
	})
	return out
}

// WriteFiguresXLSX writes the figures as a workbook: one sheet per
// dimension (centre, office, item), with the totals on top. Rates are
// percentages, times hours, counts whole numbers.
func WriteFiguresXLSX(w io.Writer, f Figures) error {
	wb, err := xlsx.New()
	if err != nil {
		return err
	}
	defer wb.Close()
	cols := []xlsx.Column{{Title: "名称"}, {Title: "申请总数", Kind: xlsx.Int}, {Title: "窗口受理", Kind: xlsx.Int},
		{Title: "网上申请", Kind: xlsx.Int}, {Title: "代办", Kind: xlsx.Int}, {Title: "就近办", Kind: xlsx.Int}, {Title: "同城通办", Kind: xlsx.Int},
		{Title: "异地可办", Kind: xlsx.Int}, {Title: "即办件", Kind: xlsx.Int}, {Title: "承诺件", Kind: xlsx.Int},
		{Title: "已办结", Kind: xlsx.Int}, {Title: "按时办结", Kind: xlsx.Int}, {Title: "按时办结率", Kind: xlsx.Percent},
		{Title: "平均办理时长(小时)", Kind: xlsx.Float}, {Title: "跑动次数", Kind: xlsx.Int}, {Title: "次均跑动", Kind: xlsx.Float},
		{Title: "乡镇(村)办理", Kind: xlsx.Int}, {Title: "乡镇办理占比", Kind: xlsx.Percent}, {Title: "已出件", Kind: xlsx.Int},
		{Title: "评价数", Kind: xlsx.Int}, {Title: "好评", Kind: xlsx.Int}, {Title: "差评", Kind: xlsx.Int}, {Title: "好评率", Kind: xlsx.Percent}}
	sheets := []struct {
		name string
		rows []FigureRow
	}{{"按服务中心", f.ByCentre}, {"按承办科室", f.ByOffice}, {"按事项", f.ByItem}}
	for _, s := range sheets {
		sh, err := wb.AddSheet(s.name, "", cols)
		if err != nil {
			return err
		}
		for _, r := range append([]FigureRow{f.All}, s.rows...) {
			if err := sh.Add(r.Name, r.Total, r.Window, r.Online, r.Proxy, r.Nearby, r.Elsewhere, r.Cross, r.Immediate, r.Promised, r.Decided, r.OnTime,
				round(r.OnTimeRate()), round(r.AvgHours()), r.Visits, round(r.VisitsPer()), r.TownshipLevel, round(r.TownshipShare()),
				r.Delivered, r.Reviews, r.Good, r.Bad, round(r.GoodRate())); err != nil {
				return err
			}
		}
	}
	_, err = wb.WriteTo(w)
	return err
}

func round(v float64) float64 { return float64(int64(v*1000+0.5)) / 1000 }
