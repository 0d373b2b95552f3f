package report

// The workbooks of the inbox, the coordination lists, the daily lists and
// the report card, all written by internal/xlsx: typed columns, names not
// codes.

import (
	"context"
	"fmt"
	"io"
	"strings"

	"grassroots/internal/access"
	"grassroots/internal/casework"
	"grassroots/internal/xlsx"
)

// write finishes wb into w.
func write(wb *xlsx.Workbook, w io.Writer) error {
	_, err := wb.WriteTo(w)
	return err
}

func yesNo(b bool) string {
	if b {
		return "是"
	}
	return "否"
}

// inboxColumns are the inbox export's columns.
var inboxColumns = []xlsx.Column{
	{Title: "工单编号"}, {Title: "标题"}, {Title: "流程"}, {Title: "诉求类型"}, {Title: "状态"}, {Title: "紧急程度"},
	{Title: "分类"}, {Title: "发生地"}, {Title: "网格"}, {Title: "主办单位"}, {Title: "受理时间", Kind: xlsx.DateTime},
	{Title: "承办单位"}, {Title: "承办状态"}, {Title: "签收时限", Kind: xlsx.DateTime}, {Title: "签收时间", Kind: xlsx.DateTime},
	{Title: "办理时限", Kind: xlsx.DateTime}, {Title: "答复时间", Kind: xlsx.DateTime}, {Title: "是否超期"},
}

// InboxXLSX writes inbox rows into a workbook as they come, so that an
// export of 50,000 rows stays small in memory. Add rows, then Close.
type InboxXLSX struct {
	w     io.Writer
	wb    *xlsx.Workbook
	sh    *xlsx.Sheet
	names names
}

// NewInboxXLSX starts a workbook with one sheet, 工单.
func (s *Service) NewInboxXLSX(w io.Writer) (*InboxXLSX, error) {
	wb, err := xlsx.New()
	if err != nil {
		return nil, err
	}
	sh, err := wb.AddSheet("工单", "", inboxColumns)
	if err != nil {
		wb.Close()
		return nil, fmt.Errorf("inbox xlsx: %w", err)
	}
	return &InboxXLSX{w: w, wb: wb, sh: sh, names: s.names}, nil
}

// Add writes one row.
func (x *InboxXLSX) Add(r casework.InboxRow) error {
	n := x.names
	return x.sh.Add(r.No, r.Title, n.flow(r.Flow), n.code("case.request_type.", r.RequestType),
		n.status(r.Flow, r.Status), n.code("case.priority.", r.Priority), r.CategoryName,
		r.PlaceName, r.GridName, r.LeadUnitName, r.CreatedAt, r.AssignmentUnit, n.code("case.part_status.", r.AssignmentStatus),
		r.SignDueAt, r.SignedAt, r.HandleDueAt, r.AnsweredAt, yesNo(r.Overdue || r.CaseOverdue))
}

// Close finishes the workbook and writes it to the writer given to
// NewInboxXLSX.
func (x *InboxXLSX) Close() error {
	defer x.wb.Close()
	if err := write(x.wb, x.w); err != nil {
		return fmt.Errorf("inbox xlsx: %w", err)
	}
	return nil
}

// WriteInboxXLSX writes rows as a workbook to w.
func (s *Service) WriteInboxXLSX(w io.Writer, rows []casework.InboxRow) error {
	x, err := s.NewInboxXLSX(w)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if err := x.Add(r); err != nil {
			x.wb.Close()
			return fmt.Errorf("inbox xlsx: %w", err)
		}
	}
	return x.Close()
}

// ExportInbox writes every row matching f, as the actor sees it, as a
// workbook to w: exactly what the inbox shows under its filters.
func (s *Service) ExportInbox(ctx context.Context, actor access.Actor, f casework.InboxFilter, w io.Writer) error {
	x, err := s.NewInboxXLSX(w)
	if err != nil {
		return err
	}
	if err := s.cases.InboxAll(ctx, actor, f, x.Add); err != nil {
		x.wb.Close()
		return err
	}
	return x.Close()
}

// coordColumns are the coordination lists' export columns.
var coordColumns = []xlsx.Column{
	{Title: "编号"}, {Title: "标题"}, {Title: "类型"}, {Title: "状态"}, {Title: "紧急程度"}, {Title: "发起单位"},
	{Title: "乡镇（街道）"}, {Title: "地点"}, {Title: "网格"}, {Title: "分类"}, {Title: "主办单位"}, {Title: "参与方"},
	{Title: "参与方数", Kind: xlsx.Int}, {Title: "已报到", Kind: xlsx.Int}, {Title: "已完成", Kind: xlsx.Int}, {Title: "拒绝", Kind: xlsx.Int},
	{Title: "超期"}, {Title: "已升级"}, {Title: "督办次数", Kind: xlsx.Int},
	{Title: "发起时间", Kind: xlsx.DateTime}, {Title: "办理期限", Kind: xlsx.DateTime}, {Title: "办结时间", Kind: xlsx.DateTime},
}

// WriteCoordXLSX writes a coordination list as a workbook, exactly the rows
// given (what the list shows under its filters), in a sheet named sheet
// (the flow's name when "").
func (s *Service) WriteCoordXLSX(w io.Writer, sheet string, rows []casework.CoordRow) error {
	done := false
	return s.WriteCoordPagesXLSX(w, sheet, func() ([]casework.CoordRow, error) {
		if done {
			return nil, nil
		}
		done = true
		return rows, nil
	})
}

// WriteCoordPagesXLSX writes a coordination list read page by page: next
// returns the following page, none when the list is done. The rows stream
// into the workbook, so a list of any length is exported whole.
func (s *Service) WriteCoordPagesXLSX(w io.Writer, sheet string, next func() ([]casework.CoordRow, error)) error {
	wb, err := xlsx.New()
	if err != nil {
		return err
	}
	defer wb.Close()
	rows, err := next()
	if err != nil {
		return fmt.Errorf("coordination xlsx: %w", err)
	}
	if sheet == "" && len(rows) > 0 {
		sheet = s.names.flow(rows[0].Flow)
	}
	if sheet == "" {
		sheet = "列表"
	}
	sh, err := wb.AddSheet(sheet, "", coordColumns)
	if err != nil {
		return fmt.Errorf("coordination xlsx: %w", err)
	}
	n := s.names
	for len(rows) > 0 {
		for _, r := range rows {
			if err := sh.Add(r.No, r.Title, n.kind(r.Flow, r.Kind), n.status(r.Flow, r.Status), n.code("case.priority.", r.Priority),
				r.OpenedBy, r.TownshipName, r.PlaceName, r.GridName, r.CategoryName, r.LeadUnit, r.PartyNames(),
				len(r.Parties), r.Reported, r.Done, r.Refused, yesNo(r.Overdue), yesNo(r.Escalated), r.Supervisions,
				r.CreatedAt, r.HandleDueAt, r.ClosedAt); err != nil {
				return fmt.Errorf("coordination xlsx: %w", err)
			}
		}
		if rows, err = next(); err != nil {
			return fmt.Errorf("coordination xlsx: %w", err)
		}
	}
	return write(wb, w)
}

// WriteReportCardXLSX writes the department report card and, when given,
// the whistle rate as two sheets of one workbook.
func WriteReportCardXLSX(w io.Writer, cards []DeptCard, rates *WhistleRates) error {
	wb, err := xlsx.New()
	if err != nil {
		return err
	}
	defer wb.Close()
	sh, err := wb.AddSheet("部门考评", "", []xlsx.Column{
		{Title: "单位编码"}, {Title: "部门"}, {Title: "吹哨报到", Kind: xlsx.Int}, {Title: "乡呼县应", Kind: xlsx.Int},
		{Title: "执法移送", Kind: xlsx.Int}, {Title: "已评价", Kind: xlsx.Int}, {Title: "平均评分", Kind: xlsx.Float},
		{Title: "已报到", Kind: xlsx.Int}, {Title: "报到用时中位数（分钟）", Kind: xlsx.Float}, {Title: "报到平均用时（分钟）", Kind: xlsx.Float},
		{Title: "拒绝报到", Kind: xlsx.Int}, {Title: "退回/改派", Kind: xlsx.Int}, {Title: "超期", Kind: xlsx.Int}, {Title: "升级督办", Kind: xlsx.Int},
	})
	if err != nil {
		return fmt.Errorf("report card xlsx: %w", err)
	}
	for _, c := range cards {
		// An average of nothing is "—", as on the page, not 0.
		var avg, med, mean any = c.AvgRating, c.ReportInMedian, c.ReportInAvg
		if c.Rated == 0 {
			avg = xlsx.Missing
		}
		if c.ReportIns == 0 {
			med, mean = xlsx.Missing, xlsx.Missing
		}
		if err := sh.Add(c.UnitCode, c.UnitName, c.Whistles, c.Calls, c.Transfer, c.Rated, avg, c.ReportIns,
			med, mean, c.Refusals, c.Returns, c.Overdue, c.Escalated); err != nil {
			return fmt.Errorf("report card xlsx: %w", err)
		}
	}
	if rates != nil {
		cols := []xlsx.Column{{Title: "单位编码"}, {Title: "乡镇（街道）"}}
		for _, m := range rates.Months {
			cols = append(cols, xlsx.Column{Title: monthName(m), Kind: xlsx.Int})
		}
		cols = append(cols, xlsx.Column{Title: "合计", Kind: xlsx.Int}, xlsx.Column{Title: "月均", Kind: xlsx.Float}, xlsx.Column{Title: "提示"})
		sh, err := wb.AddSheet("吹哨率", "", cols)
		if err != nil {
			return fmt.Errorf("report card xlsx: %w", err)
		}
		for _, r := range rates.Rows {
			row := []any{r.UnitCode, r.UnitName}
			for _, n := range r.ByMonth {
				row = append(row, n)
			}
			flag := map[string]string{"high": "偏多", "low": "偏少"}[r.Flag]
			if err := sh.Add(append(row, r.Total, r.PerMonth, flag)...); err != nil {
				return fmt.Errorf("report card xlsx: %w", err)
			}
		}
	}
	return write(wb, w)
}

// monthName is "2026年10月" for "2026-10".
func monthName(m string) string {
	y, mm, ok := strings.Cut(m, "-")
	if !ok {
		return m
	}
	return y + "年" + strings.TrimPrefix(mm, "0") + "月"
}

// WriteDailyXLSX writes a daily report as a workbook to w: a sheet 汇总 with
// the breakdown, 收集明细 with every case collected, 当日反馈 with what
// requesters were told.
func (s *Service) WriteDailyXLSX(w io.Writer, r DailyReport) error {
	wb, err := xlsx.New()
	if err != nil {
		return err
	}
	defer wb.Close()
	title := fmt.Sprintf("%s %s 每日一收集、每日一反馈", r.Unit.Name, r.Day)
	told := func(b bool) string {
		if b {
			return "已反馈"
		}
		return "未反馈"
	}
	sum, err := wb.AddSheet("汇总", title, []xlsx.Column{{Title: "单位"}, {Title: "收集", Kind: xlsx.Int},
		{Title: "当日已反馈", Kind: xlsx.Int}, {Title: "未反馈", Kind: xlsx.Int}})
	if err != nil {
		return fmt.Errorf("daily xlsx: %w", err)
	}
	for _, c := range r.Children {
		name := c.Unit.Name
		if c.Self {
			name += "（本级）"
		}
		if err := sum.Add(name, c.Collected, c.FedBack, c.NotFedBack); err != nil {
			return fmt.Errorf("daily xlsx: %w", err)
		}
	}
	if err := sum.Add("合计", r.Collected, r.FedBack, r.NotFedBack); err != nil {
		return fmt.Errorf("daily xlsx: %w", err)
	}
	cases, err := wb.AddSheet("收集明细", title, []xlsx.Column{{Title: "工单编号"}, {Title: "标题"}, {Title: "流程"}, {Title: "状态"},
		{Title: "发生地"}, {Title: "网格"}, {Title: "受理时间", Kind: xlsx.DateTime}, {Title: "当日反馈"}, {Title: "最近反馈"},
		{Title: "反馈时间", Kind: xlsx.DateTime}})
	if err != nil {
		return fmt.Errorf("daily xlsx: %w", err)
	}
	n := s.names
	for _, c := range r.Cases {
		if err := cases.Add(c.No, c.Title, n.flow(c.Flow), n.status(c.Flow, c.Status), c.PlaceName, c.GridName,
			c.CreatedAt, told(c.FedBack), c.LastFeedback, c.LastFeedbackAt); err != nil {
			return fmt.Errorf("daily xlsx: %w", err)
		}
	}
	fb, err := wb.AddSheet("当日反馈", title, []xlsx.Column{{Title: "工单编号"}, {Title: "标题"}, {Title: "时间", Kind: xlsx.DateTime},
		{Title: "环节"}, {Title: "告知内容"}})
	if err != nil {
		return fmt.Errorf("daily xlsx: %w", err)
	}
	for _, f := range r.Feedback {
		if err := fb.Add(f.No, f.Title, f.At, n.action(f.Flow, f.Action), f.Note); err != nil {
			return fmt.Errorf("daily xlsx: %w", err)
		}
	}
	return write(wb, w)
}
