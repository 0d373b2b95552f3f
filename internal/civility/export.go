package civility

import (
	"io"

	"grassroots/internal/xlsx"
)

// WriteEntriesXLSX writes the entries (a filtered list) as a workbook: one
// row per entry, the person by name only (the sealed numbers never leave).
func WriteEntriesXLSX(w io.Writer, entries []Entry) error {
	wb, err := xlsx.New()
	if err != nil {
		return err
	}
	defer wb.Close()
	sh, err := wb.AddSheet("文明行为记录", "文明行为记录", []xlsx.Column{
		{Title: "编号", Kind: xlsx.Int}, {Title: "当事人"}, {Title: "所在单位"}, {Title: "条目编码"}, {Title: "条目"}, {Title: "类别"},
		{Title: "分值", Kind: xlsx.Int}, {Title: "依据"}, {Title: "发生时间", Kind: xlsx.DateTime}, {Title: "地点"}, {Title: "来源"},
		{Title: "状态"}, {Title: "告知书编号"}, {Title: "申诉期至", Kind: xlsx.DateTime}, {Title: "申诉工单"}, {Title: "登记人"},
	})
	if err != nil {
		return err
	}
	for _, e := range entries {
		kind := "正面"
		if e.Item.Kind == Negative {
			kind = "负面"
		}
		var ends any
		if !e.WindowEndsAt.IsZero() {
			ends = e.WindowEndsAt
		}
		if err := sh.Add(e.ID, e.PersonName, e.UnitName, e.Item.Code, e.Item.Name, kind, e.Points, e.Item.BasisText(), e.OccurredAt, e.Place,
			SourceText(e.Source), StatusText(e.Status), e.NoticeNo, ends, e.AppealCaseNo, e.Recorder); err != nil {
			return err
		}
	}
	_, err = wb.WriteTo(w)
	return err
}

// SourceText names a source in Chinese.
func SourceText(source string) string {
	switch source {
	case SourceVolunteerHours:
		return "志愿服务时长（已核验）"
	case SourceGoodDeed:
		return "好人好事"
	case SourceCase:
		return "案件办理中发现"
	case SourcePatrol:
		return "网格巡查"
	case SourceNomination:
		return "社区推荐"
	}
	return source
}
