package pairing

import (
	"context"
	"io"
	"strconv"
	"strings"

	"grassroots/internal/access"
	"grassroots/internal/org"
	"grassroots/internal/store"
	"grassroots/internal/xlsx"
)

// Export writes the pairings the actor may read as .xlsx: each pairing with
// its figures, the figures per township and for the county, then their
// visits, projects and fund lines as ImportWork reads them back.
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
	if err := s.exportWork(ctx, wb, rows); err != nil {
		return err
	}
	_, err = wb.WriteTo(w)
	return err
}

// SheetIncomes is the sheet ImportIncomes reads.
const SheetIncomes = "村集体经营性收入"

// RowError is a refused row of an import.
type RowError = xlsx.RowError

// ImportError is an import refused for its rows; nothing was recorded.
type ImportError = xlsx.ImportError

// ImportIncomes enters the villages' collective incomes of the
// 村集体经营性收入 sheet of an .xlsx file (columns 村(社区)代码, 年份,
// 收入(元)), all in one transaction: a township enters its villages' year
// at once; a file with a bad row enters nothing and names the rows.
func (s *Service) ImportIncomes(ctx context.Context, actor access.Actor, r io.Reader) (int, error) {
	if actor.Anonymous() {
		return 0, store.Forbidden("请先登录")
	}
	f, err := xlsx.Open(r)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sheet, err := xlsx.ReadTable(f, SheetIncomes, 0, "村(社区)代码", "年份", "收入(元)")
	if err != nil {
		return 0, err
	}
	cell := sheet.Cell
	var refused xlsx.Refusals
	n := 0
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		for i, row := range sheet.Rows {
			if strings.TrimSpace(strings.Join(row, "")) == "" {
				continue
			}
			year, yerr := strconv.Atoi(cell(row, "年份"))
			amount, aerr := strconv.ParseInt(strings.ReplaceAll(cell(row, "收入(元)"), ",", ""), 10, 64)
			if yerr != nil || aerr != nil {
				refused.Add("", i+2, "年份和收入应为整数")
				continue
			}
			if err := s.recordIncome(ctx, tx, actor, cell(row, "村(社区)代码"), year, amount); err != nil {
				if err := refused.Refuse("", i+2, err); err != nil {
					return err
				}
				continue
			}
			n++
		}
		return refused.Err()
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// SheetPairings is the sheet of an import of pairings (the export's first
// sheet, whose columns it reads).
const SheetPairings = "结对共建"

// ImportPairings sets up the pairings of the 结对共建 sheet of an .xlsx file
// (columns 结对单位代码, 责任干部 — a person of that unit, by name —,
// 村(社区)代码, 开始日期, 结束日期, and 党组织 when named otherwise), all in
// one transaction: the organisation department sets a round of pairings up
// at once; a file with a bad row sets nothing up and names the rows.
func (s *Service) ImportPairings(ctx context.Context, actor access.Actor, r io.Reader) (int, error) {
	if actor.Anonymous() {
		return 0, store.Forbidden("请先登录")
	}
	if !CanPair(actor) {
		return 0, store.Forbidden("结对共建由县委组织部安排")
	}
	f, err := xlsx.Open(r)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sheet, err := xlsx.ReadTable(f, SheetPairings, 0, "结对单位代码", "责任干部", "村(社区)代码", "开始日期", "结束日期")
	if err != nil {
		return 0, err
	}
	cell := sheet.Cell
	var refused xlsx.Refusals
	n := 0
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		for i, row := range sheet.Rows {
			if strings.TrimSpace(strings.Join(row, "")) == "" {
				continue
			}
			err := func() error {
				in := Input{OrgCode: cell(row, "结对单位代码"), PartyOrg: cell(row, "党组织"), VillageCode: cell(row, "村(社区)代码"),
					StartDay: cell(row, "开始日期"), EndDay: cell(row, "结束日期")}
				var err error
				if in.CadreID, err = cadreByName(ctx, tx, cell(row, "责任干部"), in.OrgCode); err != nil {
					return err
				}
				_, err = s.pair(ctx, tx, actor, in)
				return err
			}()
			if err != nil {
				if err := refused.Refuse("", i+2, err); err != nil {
					return err
				}
				continue
			}
			n++
		}
		return refused.Err()
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// cadreByName finds the one person called name in the unit with code.
func cadreByName(ctx context.Context, q store.Querier, name, code string) (int64, error) {
	if name == "" {
		return 0, store.Invalid("请填写责任干部")
	}
	return org.PersonIDByName(ctx, q, name, code)
}
