package pairing

import (
	"context"
	"io"

	"grassroots/internal/access"
	"grassroots/internal/xlsx"
)

// Export writes the pairings the actor may read as .xlsx: each pairing with
// its figures, the figures per township and for the county.
func (s *Service) Export(ctx context.Context, actor access.Actor, w io.Writer) error {
	rows, err := s.List(ctx, actor)
	if err != nil {
		return err
	}
	wb, err := xlsx.New()
	if err != nil {
		return err
	}
	defer wb.Close()
	sh, err := wb.AddSheet("结对共建", "", []xlsx.Column{{Title: "结对单位代码"}, {Title: "结对单位"}, {Title: "党组织"}, {Title: "责任干部"},
		{Title: "乡镇街道"}, {Title: "村(社区)代码"}, {Title: "村(社区)"}, {Title: "开始日期"}, {Title: "结束日期"},
		{Title: "蹲点调研(次)", Kind: xlsx.Int}, {Title: "产业项目(个)", Kind: xlsx.Int}, {Title: "争取资金(元)", Kind: xlsx.Int},
		{Title: "到位资金(元)", Kind: xlsx.Int}, {Title: "已使用(元)", Kind: xlsx.Int}, {Title: "最新收入年份", Kind: xlsx.Int},
		{Title: "村集体经营性收入(元)", Kind: xlsx.Int}, {Title: "同比增减(元)", Kind: xlsx.Int}, {Title: "收入增长"}})
	if err != nil {
		return err
	}
	for _, r := range rows {
		var year, amount, change any = xlsx.Missing, xlsx.Missing, xlsx.Missing
		rising := ""
		if r.Latest != nil {
			year, amount = r.Latest.Year, r.Latest.Amount
			if r.Latest.HasPrevious {
				change = r.Latest.Change
			}
			if r.Rising {
				rising = "是"
			}
		}
		if err := sh.Add(r.OrgCode, r.OrgName, r.PartyOrg, r.Cadre, r.Township, r.VillageCode, r.VillageName, r.StartDay, r.EndDay,
			r.Visits, r.Projects, r.Sought, r.InPlace, r.Used, year, amount, change, rising); err != nil {
			return err
		}
	}
	a := FiguresOf(rows)
	fs, err := wb.AddSheet("汇总", "", []xlsx.Column{{Title: "乡镇街道"}, {Title: "结对(个)", Kind: xlsx.Int}, {Title: "结对干部(名)", Kind: xlsx.Int},
		{Title: "结对村(社区)", Kind: xlsx.Int}, {Title: "蹲点调研(次)", Kind: xlsx.Int}, {Title: "产业项目(个)", Kind: xlsx.Int},
		{Title: "争取资金(元)", Kind: xlsx.Int}, {Title: "到位资金(元)", Kind: xlsx.Int}, {Title: "收入增长的村", Kind: xlsx.Int}})
	if err != nil {
		return err
	}
	for _, f := range append(a.Townships, a.County) {
		if err := fs.Add(f.Name, f.Pairings, f.Cadres, f.Villages, f.Visits, f.Projects, f.Sought, f.InPlace, f.Rising); err != nil {
			return err
		}
	}
	_, err = wb.WriteTo(w)
	return err
}
