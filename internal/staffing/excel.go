package staffing

import (
	"context"
	"io"
	"strconv"
	"strings"

	"grassroots/internal/access"
	"grassroots/internal/store"
	"grassroots/internal/xlsx"
)

// SheetMoves is the sheet the import reads: one event a row.
const SheetMoves = "编制调整"

// moveColumns are the import's columns, in order (the export's 调整记录
// sheet has them too, so an export can be read back).
var moveColumns = []string{"事项", "划出单位代码", "划出机构", "划入单位代码", "划入机构", "编制类型", "数量", "批准文号", "批准日期", "归还日期", "备注"}

// kindName is the Chinese name of an event kind.
func kindName(k string) string {
	switch k {
	case KindApprove:
		return "核定"
	case KindTransfer:
		return "划转"
	case KindLoan:
		return "周转"
	case KindReturn:
		return "归还"
	}
	return k
}

func parseKind(s string) string {
	s = strings.TrimSpace(s)
	for _, k := range []string{KindApprove, KindTransfer, KindLoan} {
		if s == k || s == kindName(k) {
			return k
		}
	}
	return s
}

// Export writes the ledger as .xlsx: 核定/实有/空编 per body, per unit and
// for the county, the events and the named posts.
func (s *Service) Export(ctx context.Context, actor access.Actor, w io.Writer) error {
	l, err := s.Ledger(ctx, actor)
	if err != nil {
		return err
	}
	wb, err := xlsx.New()
	if err != nil {
		return err
	}
	defer wb.Close()
	cols := []xlsx.Column{{Title: "单位代码"}, {Title: "单位"}, {Title: "机构"}, {Title: "模块"}}
	for _, t := range PostTypes {
		n := TypeName(t)
		cols = append(cols, xlsx.Column{Title: n + "核定", Kind: xlsx.Int}, xlsx.Column{Title: n + "实有", Kind: xlsx.Int}, xlsx.Column{Title: n + "空编", Kind: xlsx.Int})
	}
	cols = append(cols, xlsx.Column{Title: "合计核定", Kind: xlsx.Int}, xlsx.Column{Title: "合计实有", Kind: xlsx.Int}, xlsx.Column{Title: "合计空编", Kind: xlsx.Int})
	write := func(name string, lines []Line) error {
		sh, err := wb.AddSheet(name, "", cols)
		if err != nil {
			return err
		}
		for _, x := range lines {
			row := []any{x.UnitCode, x.UnitName, x.InstitutionName, x.Module}
			for _, t := range PostTypes {
				c := x.Of(t)
				row = append(row, c.Approved, c.Filled, c.Vacant)
			}
			row = append(row, x.Total.Approved, x.Total.Filled, x.Total.Vacant)
			if err := sh.Add(row...); err != nil {
				return err
			}
		}
		return nil
	}
	if err := write("机构", l.Bodies); err != nil {
		return err
	}
	if err := write("单位汇总", append(l.Units, l.County)); err != nil {
		return err
	}
	hist, err := s.History(ctx, actor, "", 5000)
	if err != nil {
		return err
	}
	hcols := make([]xlsx.Column, len(moveColumns))
	for i, c := range moveColumns {
		hcols[i] = xlsx.Column{Title: c}
		if c == "数量" {
			hcols[i].Kind = xlsx.Int
		}
	}
	sh, err := wb.AddSheet(SheetMoves, "", hcols)
	if err != nil {
		return err
	}
	for _, e := range hist {
		var fc, fi string
		if e.From != nil {
			fc, fi = e.From.UnitCode, e.From.InstitutionName
		}
		if err := sh.Add(kindName(e.Kind), fc, fi, e.To.UnitCode, e.To.InstitutionName, TypeName(e.Type), e.Count, e.DocNo, e.DocDay, e.ReturnDay, e.Note); err != nil {
			return err
		}
	}
	psh, err := wb.AddSheet("实名", "", []xlsx.Column{{Title: "单位代码"}, {Title: "单位"}, {Title: "机构"}, {Title: "模块"}, {Title: "编制类型"}, {Title: "领导职务"},
		{Title: "职务"}, {Title: "姓名"}, {Title: "到岗日期"}})
	if err != nil {
		return err
	}
	for _, b := range l.Units {
		posts, err := s.Posts(ctx, actor, b.UnitCode, 0)
		if err != nil {
			return err
		}
		for _, p := range posts {
			if p.EndedOn != "" {
				continue
			}
			leader := ""
			if p.Leader {
				leader = "是"
			}
			if err := psh.Add(p.Body.UnitCode, p.Body.UnitName, p.Body.InstitutionName, p.Body.Module, p.TypeName, leader, p.Title, p.PersonName, p.Since); err != nil {
				return err
			}
		}
	}
	_, err = wb.WriteTo(w)
	return err
}

// RowError is a refused row of an import.
type RowError = xlsx.RowError

// ImportError is an import refused for its rows; nothing was recorded.
type ImportError = xlsx.ImportError

// Import records the events of the 编制调整 sheet of an .xlsx file, all in
// one transaction: a file with a bad row records nothing and names the
// rows.
func (s *Service) Import(ctx context.Context, actor access.Actor, r io.Reader) (int, error) {
	if err := writeGuard(actor); err != nil {
		return 0, err
	}
	f, err := xlsx.Open(r)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sheet, err := xlsx.ReadTable(f, SheetMoves, 0, "事项", "划入单位代码", "编制类型", "数量", "批准文号", "批准日期")
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
			count, cerr := strconv.Atoi(cell(row, "数量"))
			if cerr != nil {
				refused.Add("", i+2, "数量应为正整数")
				continue
			}
			m := Move{Kind: parseKind(cell(row, "事项")), FromCode: cell(row, "划出单位代码"), FromInstitution: cell(row, "划出机构"),
				ToCode: cell(row, "划入单位代码"), ToInstitution: cell(row, "划入机构"), Type: cell(row, "编制类型"), Count: count,
				DocNo: cell(row, "批准文号"), DocDay: cell(row, "批准日期"), ReturnDay: cell(row, "归还日期"), Note: cell(row, "备注")}
			if _, err := s.record(ctx, tx, actor, m); err != nil {
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
