package cockpit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/store"
	"grassroots/internal/timers"
	"grassroots/internal/xlsx"
)

// Panels are every panel of a unit's cockpit but the map.
type Panels struct {
	Unit    Unit          `json:"unit"`
	Hotline Hotline       `json:"hotline"`
	Overdue Overdue       `json:"overdue"`
	Pillars []PillarPanel `json:"pillars"`
}

// Panels computes the panels of unit u for p.
func (s *Service) Panels(ctx context.Context, actor access.Actor, u Unit, p Period) (Panels, error) {
	out := Panels{Unit: u}
	var err error
	if out.Hotline, err = s.Hotline(ctx, actor, u, p); err != nil {
		return out, err
	}
	if out.Overdue, err = s.Overdue(ctx, actor, u, p); err != nil {
		return out, err
	}
	if out.Pillars, err = s.Pillars(ctx, actor, u, p); err != nil {
		return out, err
	}
	return out, nil
}

// Report is a monthly report (月报): a unit's panels for a whole month as
// they stood when it was written.
type Report struct {
	ID        int64     `json:"id"`
	Month     string    `json:"month"`
	CreatedAt time.Time `json:"created_at"`
	Panels
}

// ReportInfo names a stored report.
type ReportInfo struct {
	ID        int64     `json:"id"`
	Month     string    `json:"month"`
	UnitCode  string    `json:"unit_code"`
	UnitName  string    `json:"unit_name"`
	CreatedAt time.Time `json:"created_at"`
}

// ReportJob is the job name under which the monthly reports are recorded
// as written (timers.RunOnce), its period the month.
const ReportJob = "cockpit_monthly"

// PreviousMonth is the month before now's ("2026-11" on 3 December).
func PreviousMonth(now time.Time) string {
	return MonthStartOf(now).AddDate(0, -1, 0).Format("2006-01")
}

// MonthStartOf is the first of now's month in CST.
func MonthStartOf(now time.Time) time.Time {
	c := now.In(zone)
	return time.Date(c.Year(), c.Month(), 1, 0, 0, 0, 0, zone)
}

// BuildMonthly computes the monthly reports of month for the county and
// each township (street), as the system sees them. It writes nothing.
func (s *Service) BuildMonthly(ctx context.Context, month string) ([]Report, error) {
	p, err := MonthPeriod(month, s.now())
	if err != nil {
		return nil, err
	}
	if p.To.After(s.now()) {
		return nil, store.Invalidf("%s 尚未结束，不能生成月报", month)
	}
	rows, err := s.db.Query(ctx, `SELECT id, code, name, kind, path FROM units WHERE kind IN ('county', 'township', 'street') ORDER BY depth, sort, code`)
	units, err := store.Collect(rows, err, func(sc store.Scanner) (Unit, error) {
		var u Unit
		return u, sc.Scan(&u.ID, &u.Code, &u.Name, &u.Kind, &u.Path)
	})
	if err != nil {
		return nil, fmt.Errorf("monthly reports: units: %w", err)
	}
	var out []Report
	for _, u := range units {
		ps, err := s.Panels(ctx, access.System, u, p)
		if err != nil {
			return nil, fmt.Errorf("monthly report %s %s: %w", u.Code, month, err)
		}
		out = append(out, Report{Month: month, CreatedAt: s.now(), Panels: ps})
	}
	return out, nil
}

// Store writes the reports in tx, keeping a report already written for a
// unit and month (the first one sent out stands). It returns how many it
// wrote.
func Store(ctx context.Context, tx *store.Tx, reports []Report) (int, error) {
	n := 0
	for _, r := range reports {
		data, err := json.Marshal(r)
		if err != nil {
			return n, fmt.Errorf("store report: %w", err)
		}
		res, err := tx.Exec(ctx, `INSERT INTO cockpit_reports (unit_id, unit_path, month, created_at, data)
			SELECT id, path, ?, ?, ? FROM units WHERE code = ? ON CONFLICT (unit_id, month) DO NOTHING`,
			r.Month, store.Millis(r.CreatedAt), string(data), r.Unit.Code)
		if err != nil {
			return n, fmt.Errorf("store report %s %s: %w", r.Unit.Code, r.Month, err)
		}
		k, _ := res.RowsAffected()
		n += int(k)
	}
	return n, nil
}

// MonthlyWritten reports whether month's reports are recorded as written.
func (s *Service) MonthlyWritten(ctx context.Context, month string) (bool, error) {
	var n int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM jobs_runs WHERE job = ? AND period = ?`, ReportJob, month).Scan(&n); err != nil {
		return false, fmt.Errorf("monthly reports: %w", err)
	}
	return n > 0, nil
}

// Reports lists the stored reports of the units the actor sees (unitCode
// "": all of them), newest month first.
func (s *Service) Reports(ctx context.Context, actor access.Actor, unitCode string) ([]ReportInfo, error) {
	if actor.Anonymous() {
		return nil, store.Forbidden("请先登录")
	}
	scope, args := actor.SubtreeFilter("r.unit_path")
	q := `SELECT r.id, r.month, u.code, u.name, r.created_at FROM cockpit_reports r JOIN units u ON u.id = r.unit_id WHERE ` + scope
	if unitCode != "" {
		q += ` AND u.code = ?`
		args = append(args, unitCode)
	}
	rows, err := s.db.Reader(ctx).Query(ctx, q+` ORDER BY r.month DESC, u.depth, u.sort, u.code LIMIT 500`, args...)
	out, err := store.Collect(rows, err, func(sc store.Scanner) (ReportInfo, error) {
		var ri ReportInfo
		var at int64
		err := sc.Scan(&ri.ID, &ri.Month, &ri.UnitCode, &ri.UnitName, &at)
		ri.CreatedAt = time.UnixMilli(at)
		return ri, err
	})
	if err != nil {
		return nil, fmt.Errorf("monthly reports: %w", err)
	}
	return out, nil
}

// Report loads a stored report the actor may see.
func (s *Service) Report(ctx context.Context, actor access.Actor, id int64) (Report, error) {
	if actor.Anonymous() {
		return Report{}, store.Forbidden("请先登录")
	}
	var path, data string
	err := s.db.QueryRow(ctx, `SELECT unit_path, data FROM cockpit_reports WHERE id = ?`, id).Scan(&path, &data)
	if errors.Is(store.Normalize(err), store.ErrNotFound) || (err == nil && !actor.SeesPath(path)) {
		return Report{}, store.NotFound("找不到这份月报")
	}
	if err != nil {
		return Report{}, fmt.Errorf("monthly report %d: %w", id, err)
	}
	var r Report
	if err := json.Unmarshal([]byte(data), &r); err != nil {
		return Report{}, fmt.Errorf("monthly report %d: %w", id, err)
	}
	r.ID = id
	return r, nil
}

// Translator gives a message's text (the cockpit's keys) for the workbook.
type Translator func(key string) string

// WriteXLSX writes the report as a workbook: the figures, the trend, the
// rankings, intake and overdue, and the pillars, one sheet each.
func WriteXLSX(w io.Writer, r Report, t Translator) error {
	wb, err := xlsx.New()
	if err != nil {
		return fmt.Errorf("report xlsx: %w", err)
	}
	defer wb.Close()
	title := fmt.Sprintf("%s 12345热线月报 %s", r.Unit.Name, r.Month)
	name := func(n Number) string {
		if n.Key != "" {
			return t(n.Key)
		}
		return n.Label
	}
	ratio := func(x Number) any {
		if x.Value == "—" {
			return xlsx.Missing
		}
		return x.N
	}
	sh, err := wb.AddSheet("指标", title, []xlsx.Column{{Title: "指标"}, {Title: "比率", Kind: xlsx.Percent}, {Title: "分子 / 分母"}, {Title: "定义"}})
	if err != nil {
		return fmt.Errorf("report xlsx: %w", err)
	}
	for _, x := range r.Hotline.Rates {
		if err := sh.Add(t(x.Key), ratio(x.Number), x.Of, t(x.Def)); err != nil {
			return fmt.Errorf("report xlsx: %w", err)
		}
	}
	sh, err = wb.AddSheet("趋势", title+" 月度趋势", []xlsx.Column{{Title: "月份"}, {Title: "受理量", Kind: xlsx.Int},
		{Title: "响应率", Kind: xlsx.Percent}, {Title: "解决率", Kind: xlsx.Percent}, {Title: "满意率", Kind: xlsx.Percent}})
	if err != nil {
		return fmt.Errorf("report xlsx: %w", err)
	}
	for _, tp := range r.Hotline.Trend {
		row := []any{tp.Month, tp.Cases}
		for _, v := range tp.Rates {
			if v == nil {
				row = append(row, xlsx.Missing)
			} else {
				row = append(row, *v)
			}
		}
		if err := sh.Add(row...); err != nil {
			return fmt.Errorf("report xlsx: %w", err)
		}
	}
	sh, err = wb.AddSheet("排名", title+" 排名", []xlsx.Column{{Title: "类别"}, {Title: "单位"}, {Title: "受理量", Kind: xlsx.Int},
		{Title: "响应率", Kind: xlsx.Percent}, {Title: "响应率排名", Kind: xlsx.Int}, {Title: "解决率", Kind: xlsx.Percent}, {Title: "解决率排名", Kind: xlsx.Int},
		{Title: "满意率", Kind: xlsx.Percent}, {Title: "满意率排名", Kind: xlsx.Int}})
	if err != nil {
		return fmt.Errorf("report xlsx: %w", err)
	}
	for _, g := range []struct {
		kind string
		rows []RankRow
	}{{"乡镇（街道）/下级单位", r.Hotline.Townships}, {"县直部门", r.Hotline.Departments}} {
		for _, rr := range g.rows {
			row := []any{g.kind, rr.Unit.Name, rr.Cases}
			for i := range 3 {
				var rk any = xlsx.Missing
				if rr.Ranks[i] > 0 {
					rk = rr.Ranks[i]
				}
				row = append(row, ratio(rr.Rates[i].Number), rk)
			}
			if err := sh.Add(row...); err != nil {
				return fmt.Errorf("report xlsx: %w", err)
			}
		}
	}
	sh, err = wb.AddSheet("受理与超期", title+" 受理、超期与督办", []xlsx.Column{{Title: "分组"}, {Title: "项目"}, {Title: "数量", Kind: xlsx.Float}, {Title: "基数"}})
	if err != nil {
		return fmt.Errorf("report xlsx: %w", err)
	}
	groups := []struct {
		key  string
		nums []Number
	}{{"cockpit.intake.channel", r.Hotline.Channels}, {"cockpit.intake.request_type", r.Hotline.RequestTypes},
		{"cockpit.intake.category", r.Hotline.Categories}, {"cockpit.week.categories", r.Hotline.WeekCategories}, {"cockpit.week.hot_spots", r.Hotline.HotSpots},
		{"cockpit.overdue.title", append([]Number{r.Overdue.Total, r.Overdue.Supervised, r.Overdue.Calls, r.Overdue.ReportIn}, r.Overdue.ByUnit...)}}
	for _, g := range groups {
		for _, x := range g.nums {
			if err := sh.Add(t(g.key), name(x), x.N, x.Of); err != nil {
				return fmt.Errorf("report xlsx: %w", err)
			}
		}
	}
	sh, err = wb.AddSheet("四大支柱", title+" 支柱", []xlsx.Column{{Title: "支柱"}, {Title: "项目"}, {Title: "数值"}, {Title: "分子 / 分母"}})
	if err != nil {
		return fmt.Errorf("report xlsx: %w", err)
	}
	for _, pp := range r.Pillars {
		if !pp.Available {
			if err := sh.Add(t(pp.Key), t(pp.Note), "", ""); err != nil {
				return fmt.Errorf("report xlsx: %w", err)
			}
			continue
		}
		for _, x := range pp.Numbers {
			if err := sh.Add(t(pp.Key), name(x), x.Value, x.Of); err != nil {
				return fmt.Errorf("report xlsx: %w", err)
			}
		}
	}
	if _, err := wb.WriteTo(w); err != nil {
		return fmt.Errorf("report xlsx: %w", err)
	}
	return nil
}

// RunMonthly writes last month's reports (PreviousMonth of the service's
// clock) unless they are recorded as written: it builds them, then stores
// them and records the run in one transaction (timers.RunOnce), so that
// of several instances one writes them and a failed run is tried again.
// It returns the month and how many reports it wrote (0: already written).
func (s *Service) RunMonthly(ctx context.Context) (month string, wrote int, err error) {
	month = PreviousMonth(s.now())
	done, err := s.MonthlyWritten(ctx, month)
	if err != nil || done {
		return month, 0, err
	}
	reports, err := s.BuildMonthly(ctx, month)
	if err != nil {
		return month, 0, err
	}
	_, err = timers.RunOnce(ctx, s.db, ReportJob, month, func(ctx context.Context, tx *store.Tx) error {
		n, err := Store(ctx, tx, reports)
		wrote = n
		return err
	})
	return month, wrote, err
}
