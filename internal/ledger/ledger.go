// Package ledger is a grid's work ledger (工作台账): a view over work already
// recorded, never a form filled in again. For a grid and a day, a week or a
// month it lists what was collected (cases reported in or placed in the
// grid, fixes on the spot among them), what each requester was told, the
// on-site checks made and the whistles answered, in time order, printable on
// A4 and exportable to Excel.
package ledger

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/casework"
	"grassroots/internal/org"
	"grassroots/internal/store"
	"grassroots/internal/xlsx"
)

// Entry kinds.
const (
	KindCollected = "collected" // 收集：a case reported in or placed in the grid
	KindOnSpot    = "onspot"    // 即办：fixed on the spot
	KindTold      = "told"      // 反馈：what a requester was told
	KindCheck     = "check"     // 核查：an on-site check
	KindWhistle   = "whistle"   // 报到：a whistle answered
	KindPatrol    = "patrol"    // 巡查：a patrol (internal/patrol)
	KindPeople    = "people"    // 民情：what a patrol noted
)

// cst is the county's clock (China Standard Time) for the patrol lines.
var cst = time.FixedZone("CST", 8*3600)

// Kinds lists the entry kinds in display order.
func Kinds() []string {
	return []string{KindCollected, KindOnSpot, KindTold, KindCheck, KindWhistle, KindPatrol, KindPeople}
}

// Periods a ledger covers.
const (
	Day   = "day"
	Week  = "week"
	Month = "month"
)

// Period is the span a ledger covers, [From, To) in Asia/Shanghai.
type Period struct {
	Kind     string
	Day      string // the day asked for, "2006-01-02"
	From, To time.Time
}

// Label is the period in Chinese: 2026年12月3日, 2026年11月30日至12月6日, 2026年12月.
func (p Period) Label() string {
	last := p.To.AddDate(0, 0, -1)
	switch p.Kind {
	case Week:
		return p.From.Format("2006年1月2日") + "至" + last.Format("1月2日")
	case Month:
		return p.From.Format("2006年1月")
	}
	return p.From.Format("2006年1月2日")
}

// ParsePeriod reads a period kind ("" for a day) and a day in it ("" for
// today at now).
func ParsePeriod(kind, day string, now time.Time) (Period, error) {
	if strings.TrimSpace(day) == "" {
		day = casework.Today(now)
	}
	from, to, err := casework.DayBounds(day)
	if err != nil {
		return Period{}, err
	}
	p := Period{Kind: kind, Day: from.Format("2006-01-02")}
	switch kind {
	case "", Day:
		p.Kind, p.From, p.To = Day, from, to
	case Week: // Monday to Sunday
		back := (int(from.Weekday()) + 6) % 7
		p.From = from.AddDate(0, 0, -back)
		p.To = p.From.AddDate(0, 0, 7)
	case Month:
		p.From = time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, from.Location())
		p.To = p.From.AddDate(0, 1, 0)
	default:
		return Period{}, store.Invalid("台账周期应为日、周或月")
	}
	return p, nil
}

// Entry is one line of the ledger.
type Entry struct {
	At    time.Time
	Kind  string
	No    string
	Title string
	// Note is what was done or said: the public text told, the check's
	// note, the whistle step.
	Note  string
	Actor string
}

// Ledger is a grid's work over a period.
type Ledger struct {
	Grid    org.Unit
	Period  Period
	Entries []Entry
	Counts  map[string]int
}

// Service reads ledgers.
type Service struct {
	db  *store.DB
	org *org.Service
}

// New returns the ledger over db.
func New(db *store.DB, o *org.Service) *Service { return &Service{db: db, org: o} }

// Grid returns the ledger of the grid with code over p; the actor must read
// the grid.
func (s *Service) Grid(ctx context.Context, actor access.Actor, code string, p Period) (Ledger, error) {
	g, err := s.org.UnitByCode(ctx, actor, code)
	if err != nil {
		return Ledger{}, err
	}
	if g.Kind != org.KindGrid {
		return Ledger{}, store.NotFoundf("%s不是网格", g.Name)
	}
	l := Ledger{Grid: g, Period: p, Counts: map[string]int{}}
	lo, hi := access.PathRange(g.Path)
	from, to := store.Millis(p.From), store.Millis(p.To)
	scope := `((g.path >= ? AND g.path < ?) OR (c.place_path >= ? AND c.place_path < ?))`
	queries := []struct {
		sql  string
		args []any
		kind func(flag int) string
	}{
		// Collected: cases created in the period in the grid.
		{`SELECT c.created_at, c.no, c.title, CASE WHEN c.on_spot = 1 THEN c.body ELSE c.address END, COALESCE(u.name, ''), c.on_spot
			FROM cases c LEFT JOIN units g ON g.id = c.grid_unit_id LEFT JOIN users u ON u.id = c.created_by
			WHERE c.created_at >= ? AND c.created_at < ? AND ` + scope,
			[]any{from, to, lo, hi, lo, hi}, func(f int) string {
				if f == 1 {
					return KindOnSpot
				}
				return KindCollected
			}},
		// Told: public events other than the intake; checks: the check.
		{`SELECT e.at, c.no, c.title, CASE WHEN e.action = 'check' THEN e.note WHEN e.public_text <> '' THEN e.public_text ELSE e.note END,
				e.actor_name, CASE WHEN e.action = 'check' THEN 1 ELSE 0 END
			FROM case_events e JOIN cases c ON c.id = e.case_id LEFT JOIN units g ON g.id = c.grid_unit_id
			WHERE e.at >= ? AND e.at < ? AND ((e.public = 1 AND e.action <> 'receive') OR e.action = 'check') AND ` + scope,
			[]any{from, to, lo, hi, lo, hi}, func(f int) string {
				if f == 1 {
					return KindCheck
				}
				return KindTold
			}},
		// Whistles answered: the grid's own summoned parts' steps.
		{`SELECT e.at, c.no, c.title, e.action, e.actor_name, 0
			FROM case_events e JOIN assignments a ON a.id = e.assignment_id JOIN cases c ON c.id = e.case_id
			WHERE e.at >= ? AND e.at < ? AND a.role = 'summoned' AND a.unit_path >= ? AND a.unit_path < ?
				AND e.action IN ('accept_summons', 'report_in', 'report_result')`,
			[]any{from, to, lo, hi}, func(int) string { return KindWhistle }},
		// Patrols of the grid's workers, and what they noted on the way.
		{`SELECT p.started_at, '', '', p.summary, p.actor_name, COALESCE(p.ended_at, 0)
			FROM patrols p WHERE p.grid_unit_id = ? AND p.started_at >= ? AND p.started_at < ?`,
			[]any{g.ID, from, to}, func(int) string { return KindPatrol }},
		{`SELECT n.at, '', '', n.note, p.actor_name, 0
			FROM patrol_notes n JOIN patrols p ON p.id = n.patrol_id
			WHERE p.grid_unit_id = ? AND n.kind = 'note' AND n.at >= ? AND n.at < ?`,
			[]any{g.ID, from, to}, func(int) string { return KindPeople }},
	}
	for _, q := range queries {
		rows, err := s.db.Query(ctx, q.sql, q.args...)
		if err != nil {
			return Ledger{}, fmt.Errorf("ledger of %s: %w", code, err)
		}
		for rows.Next() {
			var e Entry
			var at int64
			var flag int64
			if err := rows.Scan(&at, &e.No, &e.Title, &e.Note, &e.Actor, &flag); err != nil {
				rows.Close()
				return Ledger{}, fmt.Errorf("ledger of %s: %w", code, err)
			}
			e.At, e.Kind = store.Time(at), q.kind(int(min(flag, 1)))
			switch e.Kind {
			case KindPatrol: // the flag is when it ended
				e.Title = "巡查 " + e.At.In(cst).Format("15:04") + "–"
				if flag > 0 {
					e.Title += store.Time(flag).In(cst).Format("15:04")
				} else {
					e.Title += "进行中"
				}
			case KindPeople:
				e.Title = "民情记录"
			}
			l.Entries = append(l.Entries, e)
			l.Counts[e.Kind]++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return Ledger{}, fmt.Errorf("ledger of %s: %w", code, err)
		}
	}
	sort.SliceStable(l.Entries, func(i, j int) bool { return l.Entries[i].At.Before(l.Entries[j].At) })
	return l, nil
}

// KindLabel is an entry kind in Chinese (the Excel file is the county's).
func KindLabel(kind string) string {
	switch kind {
	case KindCollected:
		return "收集"
	case KindOnSpot:
		return "即办"
	case KindTold:
		return "反馈"
	case KindCheck:
		return "核查"
	case KindWhistle:
		return "吹哨报到"
	case KindPatrol:
		return "巡查"
	case KindPeople:
		return "民情"
	}
	return kind
}

// WriteXLSX writes the ledger as an Excel workbook.
func (l Ledger) WriteXLSX(w io.Writer) error {
	wb, err := xlsx.New()
	if err != nil {
		return err
	}
	defer wb.Close()
	sh, err := wb.AddSheet("工作台账", l.Grid.Name+" 工作台账 "+l.Period.Label(), []xlsx.Column{
		{Title: "时间", Kind: xlsx.DateTime}, {Title: "类别"}, {Title: "工单号"}, {Title: "事项"}, {Title: "情况", Width: 50}, {Title: "经办人"},
	})
	if err != nil {
		return err
	}
	for _, e := range l.Entries {
		if err := sh.Add(e.At, KindLabel(e.Kind), e.No, e.Title, e.Note, e.Actor); err != nil {
			return err
		}
	}
	_, err = wb.WriteTo(w)
	return err
}
