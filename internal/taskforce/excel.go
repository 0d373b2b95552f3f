package taskforce

import (
	"context"
	"io"
	"strings"

	"grassroots/internal/access"
	"grassroots/internal/xlsx"
)

// Export writes the task forces the actor may read as .xlsx: each task
// force with its figures and warnings, and its members.
func (s *Service) Export(ctx context.Context, actor access.Actor, w io.Writer) error {
	list, err := s.List(ctx, actor)
	if err != nil {
		return err
	}
	wb, err := xlsx.New()
	if err != nil {
		return err
	}
	defer wb.Close()
	sh, err := wb.AddSheet(SheetTaskForces, "", []xlsx.Column{{Title: "设立单位代码"}, {Title: "设立单位"}, {Title: "层级"}, {Title: "专班名称"}, {Title: "任务"}, {Title: "组长"},
		{Title: "组长单位代码"}, {Title: "副组长"}, {Title: "副组长单位代码"}, {Title: "开始日期"}, {Title: "目标日期"}, {Title: "结束日期"}, {Title: "撤销日期"}, {Title: "成员(名)", Kind: xlsx.Int},
		{Title: "工单(件)", Kind: xlsx.Int}, {Title: "办理中(件)", Kind: xlsx.Int}, {Title: "超期(件)", Kind: xlsx.Int}, {Title: "提醒"}})
	if err != nil {
		return err
	}
	ms, err := wb.AddSheet(SheetMembers, "", []xlsx.Column{{Title: "设立单位代码"}, {Title: "专班名称"}, {Title: "姓名"}, {Title: "专职/兼职"}, {Title: "所在单位代码"}, {Title: "所在单位"}, {Title: "所在模块"},
		{Title: "所在机构"}, {Title: "投入比例", Kind: xlsx.Percent}, {Title: "本职岗位", Kind: xlsx.Percent}, {Title: "投入合计(含本职)", Kind: xlsx.Percent}})
	if err != nil {
		return err
	}
	for _, t := range list {
		level := "乡镇"
		if t.Level == County {
			level = "县级"
		}
		if err := sh.Add(t.UnitCode, t.UnitName, level, t.Name, t.Task, t.Lead, t.LeadUnit, t.Deputy, t.DeputyUnit, t.StartDay, t.TargetDay, t.EndDay, t.ClosedOn, t.Members, t.Items,
			t.OpenItems, t.OverdueItems, strings.Join(t.Warnings, "；")); err != nil {
			return err
		}
		members, err := s.members(ctx, t.ID)
		if err != nil {
			return err
		}
		for _, m := range members {
			kind := "兼职"
			if m.FullTime {
				kind = "专职"
			}
			if err := ms.Add(t.UnitCode, t.Name, m.Name, kind, m.HomeCode, m.HomeUnit, m.Module, m.Institution, float64(m.Share)/100, float64(m.OwnPost)/100, float64(m.TotalShare)/100); err != nil {
				return err
			}
		}
	}
	_, err = wb.WriteTo(w)
	return err
}
