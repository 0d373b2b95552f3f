package pairing

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"grassroots/internal/access"
	"grassroots/internal/org"
	"grassroots/internal/store"
	"grassroots/internal/worktime"
	"grassroots/internal/xlsx"
)

// The sheets of the pairing work: what the export writes after the
// pairings and ImportWork reads back.
const (
	SheetVisits   = "蹲点调研"
	SheetProjects = "产业项目"
	SheetFunds    = "资金"
)

// The columns naming a row's pairing, on each work sheet.
var pairingKeyCols = []xlsx.Column{{Title: "结对单位代码"}, {Title: "结对单位"}, {Title: "村(社区)代码"}, {Title: "村(社区)"}, {Title: "结对开始日期"}}

var (
	visitCols   = append(append([]xlsx.Column(nil), pairingKeyCols...), xlsx.Column{Title: "调研日期"}, xlsx.Column{Title: "调研人员"}, xlsx.Column{Title: "调研发现"}, xlsx.Column{Title: "照片"}, xlsx.Column{Title: "转为工单"})
	projectCols = append(append([]xlsx.Column(nil), pairingKeyCols...), xlsx.Column{Title: "项目名称"}, xlsx.Column{Title: "项目类型"}, xlsx.Column{Title: "合作主体类型"}, xlsx.Column{Title: "合作主体"}, xlsx.Column{Title: "责任干部"}, xlsx.Column{Title: "项目阶段"}, xlsx.Column{Title: "阶段日期"}, xlsx.Column{Title: "来源调研日期"})
	fundCols    = append(append([]xlsx.Column(nil), pairingKeyCols...), xlsx.Column{Title: "项目名称"}, xlsx.Column{Title: "资金来源"}, xlsx.Column{Title: "金额(元)", Kind: xlsx.Int}, xlsx.Column{Title: "状态"}, xlsx.Column{Title: "争取日期"}, xlsx.Column{Title: "到位日期"}, xlsx.Column{Title: "使用日期"})
)

var stageNames = map[string]string{StagePlanned: "谋划", StageStarted: "实施", StageProducing: "见效", StageStopped: "终止"}
var fundNames = map[string]string{FundSought: "争取", FundInPlace: "到位", FundUsed: "使用"}
var partnerNames = map[string]string{"cooperative": "合作社", "enterprise": "企业"}

func codeOf(names map[string]string, name string) (string, bool) {
	for k, v := range names {
		if v == name || k == name {
			return k, true
		}
	}
	return "", false
}

// exportWork writes the visits, projects and fund lines of the pairings
// rows as the sheets ImportWork reads.
func (s *Service) exportWork(ctx context.Context, wb *xlsx.Workbook, rows []Row) error {
	by := make(map[int64]*Row, len(rows))
	for i := range rows {
		by[rows[i].ID] = &rows[i]
	}
	key := func(r *Row) []any { return []any{r.OrgCode, r.OrgName, r.VillageCode, r.VillageName, r.StartDay} }
	vs, err := wb.AddSheet(SheetVisits, "", visitCols)
	if err != nil {
		return err
	}
	q, err := s.db.Query(ctx, `SELECT pairing_id, day, visitors, finding, photo, case_no FROM pairing_visits ORDER BY pairing_id, day, id`)
	type visit struct {
		pairing                               int64
		day, visitors, finding, photo, caseNo string
	}
	visits, err := store.Collect(q, err, func(sc store.Scanner) (visit, error) {
		var v visit
		return v, sc.Scan(&v.pairing, &v.day, &v.visitors, &v.finding, &v.photo, &v.caseNo)
	})
	if err != nil {
		return fmt.Errorf("visits: %w", err)
	}
	for _, v := range visits {
		if r := by[v.pairing]; r != nil {
			if err := vs.Add(append(key(r), v.day, v.visitors, v.finding, v.photo, v.caseNo)...); err != nil {
				return err
			}
		}
	}
	ps, err := wb.AddSheet(SheetProjects, "", projectCols)
	if err != nil {
		return err
	}
	q, err = s.db.Query(ctx, `SELECT pr.pairing_id, pr.name, pr.kind, COALESCE(vp.kind, ''), COALESCE(vp.name, ''), pe.name, pr.stage,
		COALESCE((SELECT st.day FROM pairing_project_stages st WHERE st.project_id = pr.id ORDER BY st.id DESC LIMIT 1), ''), COALESCE(vi.day, '')
		FROM pairing_projects pr JOIN people pe ON pe.id = pr.cadre_person_id LEFT JOIN village_partners vp ON vp.id = pr.partner_id
		LEFT JOIN pairing_visits vi ON vi.id = pr.visit_id
		ORDER BY pr.pairing_id, pr.id`)
	type project struct {
		pairing                                                            int64
		name, kind, partnerKind, partner, cadre, stage, stageDay, visitDay string
	}
	projects, err := store.Collect(q, err, func(sc store.Scanner) (project, error) {
		var p project
		return p, sc.Scan(&p.pairing, &p.name, &p.kind, &p.partnerKind, &p.partner, &p.cadre, &p.stage, &p.stageDay, &p.visitDay)
	})
	if err != nil {
		return fmt.Errorf("projects: %w", err)
	}
	for _, p := range projects {
		if r := by[p.pairing]; r != nil {
			if err := ps.Add(append(key(r), p.name, p.kind, partnerNames[p.partnerKind], p.partner, p.cadre, stageNames[p.stage], p.stageDay, p.visitDay)...); err != nil {
				return err
			}
		}
	}
	fs, err := wb.AddSheet(SheetFunds, "", fundCols)
	if err != nil {
		return err
	}
	q, err = s.db.Query(ctx, `SELECT pr.pairing_id, pr.name, f.source, f.amount, f.status, f.sought_on, f.in_place_on, f.used_on
		FROM pairing_funds f JOIN pairing_projects pr ON pr.id = f.project_id ORDER BY pr.pairing_id, pr.id, f.id`)
	type fund struct {
		pairing int64
		project string
		f       Fund
	}
	funds, err := store.Collect(q, err, func(sc store.Scanner) (fund, error) {
		var x fund
		return x, sc.Scan(&x.pairing, &x.project, &x.f.Source, &x.f.Amount, &x.f.Status, &x.f.SoughtOn, &x.f.InPlaceOn, &x.f.UsedOn)
	})
	if err != nil {
		return fmt.Errorf("funds: %w", err)
	}
	for _, x := range funds {
		if r := by[x.pairing]; r != nil {
			if err := fs.Add(append(key(r), x.project, x.f.Source, x.f.Amount, fundNames[x.f.Status], x.f.SoughtOn, x.f.InPlaceOn, x.f.UsedOn)...); err != nil {
				return err
			}
		}
	}
	return nil
}

// MayImportWork reports whether actor may import visits, projects and
// funds: whoever may write some pairing (a county department's staff, the
// organisation department, county administrators); each row is checked
// for its pairing.
func MayImportWork(a access.Actor) bool {
	return !a.Anonymous() && (CanPair(a) || (a.UnitKind == org.KindDepartment && a.HasAny(access.RoleDepartment, access.RoleAdmin)))
}

// WorkCount is what ImportWork recorded.
type WorkCount struct {
	Visits   int `json:"visits"`
	Projects int `json:"projects"`
	Funds    int `json:"funds"`
}

// ImportWork records the field visits (蹲点调研), industry projects (产业项目)
// and fund lines (资金, naming their project) of an .xlsx file with the
// sheets and columns the export writes, all in one transaction and by the
// same rules as one by one: a file with a bad row records nothing and
// names each refused row with its sheet. A sheet may be left out, not all
// three; a fund line's project may be on the file's 产业项目 sheet, and a
// project's 来源调研日期 names the visit it came from (on the file or
// recorded before). The export's 转为工单 column is not read: a finding
// becomes a case on the chain page, once.
func (s *Service) ImportWork(ctx context.Context, actor access.Actor, r io.Reader) (WorkCount, error) {
	var n WorkCount
	if actor.Anonymous() {
		return n, store.Forbidden("请先登录")
	}
	if !MayImportWork(actor) {
		return n, store.Forbidden("只有结对单位、县委组织部可以记录结对共建")
	}
	f, err := xlsx.Open(r)
	if err != nil {
		return n, err
	}
	defer f.Close()
	has := map[string]bool{}
	for _, name := range f.GetSheetList() {
		has[name] = true
	}
	if !has[SheetVisits] && !has[SheetProjects] && !has[SheetFunds] {
		return n, store.Invalid("文件中没有“蹲点调研”“产业项目”或“资金”工作表")
	}
	read := func(name string, need ...string) (xlsx.Table, error) {
		if !has[name] {
			return xlsx.Table{}, nil
		}
		return xlsx.ReadTable(f, name, 0, need...)
	}
	visits, err := read(SheetVisits, "结对单位代码", "村(社区)代码", "调研日期", "调研人员", "调研发现")
	if err != nil {
		return n, err
	}
	projects, err := read(SheetProjects, "结对单位代码", "村(社区)代码", "项目名称", "项目类型")
	if err != nil {
		return n, err
	}
	funds, err := read(SheetFunds, "结对单位代码", "村(社区)代码", "项目名称", "资金来源", "金额(元)")
	if err != nil {
		return n, err
	}
	var refused xlsx.Refusals
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		each := func(t xlsx.Table, record func(cell func(string) string) error, count *int) error {
			for i, row := range t.Rows {
				if strings.TrimSpace(strings.Join(row, "")) == "" {
					continue
				}
				cell := func(col string) string { return strings.TrimSpace(t.Cell(row, col)) }
				if err := record(cell); err != nil {
					if err := refused.Refuse(t.Name, i+2, err); err != nil {
						return err
					}
					continue
				}
				*count++
			}
			return nil
		}
		pairingOf := func(cell func(string) string) (Pairing, error) {
			return s.pairingByKey(ctx, tx, actor, cell("结对单位代码"), cell("村(社区)代码"), cell("结对开始日期"))
		}
		if err := each(visits, func(cell func(string) string) error {
			p, err := pairingOf(cell)
			if err != nil {
				return err
			}
			_, err = s.visit(ctx, tx, actor, p.ID, VisitInput{Day: cell("调研日期"), Visitors: cell("调研人员"), Finding: cell("调研发现"), Photo: cell("照片")})
			return err
		}, &n.Visits); err != nil {
			return err
		}
		if err := each(projects, func(cell func(string) string) error {
			p, err := pairingOf(cell)
			if err != nil {
				return err
			}
			in := ProjectInput{Name: cell("项目名称"), Kind: cell("项目类型"), PartnerName: cell("合作主体"), Day: cell("阶段日期")}
			if k := cell("合作主体类型"); k != "" {
				var ok bool
				if in.PartnerKind, ok = codeOf(partnerNames, k); !ok {
					return store.Invalid("请选择合作社或企业")
				}
			}
			if st := cell("项目阶段"); st != "" {
				var ok bool
				if in.Stage, ok = codeOf(stageNames, st); !ok {
					return store.Invalid("项目阶段应为谋划、实施、见效或终止")
				}
			}
			if c := cell("责任干部"); c != "" && c != p.Cadre {
				if in.CadreID, err = cadreByName(ctx, tx, c, p.OrgCode); err != nil {
					return err
				}
			}
			if day := cell("来源调研日期"); day != "" {
				if in.VisitID, err = visitOn(ctx, tx, p.ID, day); err != nil {
					return err
				}
			}
			_, err = s.addProject(ctx, tx, actor, p.ID, in)
			return err
		}, &n.Projects); err != nil {
			return err
		}
		if err := each(funds, func(cell func(string) string) error {
			p, err := pairingOf(cell)
			if err != nil {
				return err
			}
			project, err := projectByName(ctx, tx, p.ID, cell("项目名称"))
			if err != nil {
				return err
			}
			amount, err := strconv.ParseInt(strings.ReplaceAll(cell("金额(元)"), ",", ""), 10, 64)
			if err != nil {
				return store.Invalid("资金金额应为正整数（元）")
			}
			status := FundSought
			if st := cell("状态"); st != "" {
				var ok bool
				if status, ok = codeOf(fundNames, st); !ok {
					return store.Invalid("资金状态应为争取、到位或使用")
				}
			}
			steps := map[string][]string{FundSought: nil, FundInPlace: {cell("到位日期")}, FundUsed: {cell("到位日期"), cell("使用日期")}}[status]
			for _, day := range steps {
				if !worktime.ValidDay(day) {
					return store.Invalid("到位、使用的资金请填写到位日期和使用日期（年-月-日）")
				}
			}
			id, err := s.addFund(ctx, tx, actor, project, FundInput{Source: cell("资金来源"), Amount: amount, Day: cell("争取日期")})
			if err != nil {
				return err
			}
			for _, day := range steps {
				if _, err := s.advanceFund(ctx, tx, actor, id, day); err != nil {
					return err
				}
			}
			return nil
		}, &n.Funds); err != nil {
			return err
		}
		return refused.Err()
	})
	if err != nil {
		return WorkCount{}, err
	}
	return n, nil
}

// pairingByKey finds the pairing of the unit with orgCode and the village
// with villageCode starting on start, or its only one when start is empty,
// checked for writing.
func (s *Service) pairingByKey(ctx context.Context, tx *store.Tx, actor access.Actor, orgCode, villageCode, start string) (Pairing, error) {
	if orgCode == "" || villageCode == "" {
		return Pairing{}, store.Invalid("请填写结对单位代码和村(社区)代码")
	}
	where, args := ``, []any{orgCode, villageCode}
	if start != "" {
		where, args = ` AND p.start_day = ?`, append(args, start)
	}
	rows, err := tx.Query(ctx, `SELECT p.id FROM pairings p JOIN units o ON o.id = p.org_unit_id JOIN units v ON v.id = p.village_id
		WHERE o.code = ? AND v.code = ?`+where+` ORDER BY p.id LIMIT 2`, args...)
	ids, err := store.Collect(rows, err, func(sc store.Scanner) (int64, error) {
		var id int64
		return id, sc.Scan(&id)
	})
	switch {
	case err != nil:
		return Pairing{}, err
	case len(ids) == 0:
		return Pairing{}, store.Invalidf("找不到 %s 与 %s 的结对", orgCode, villageCode)
	case len(ids) > 1:
		return Pairing{}, store.Invalidf("%s 与 %s 有多个结对，请填写结对开始日期", orgCode, villageCode)
	}
	return s.writable(ctx, tx, actor, ids[0])
}

// projectByName finds the one project of a pairing called name.
func projectByName(ctx context.Context, q store.Querier, pairingID int64, name string) (int64, error) {
	if name == "" {
		return 0, store.Invalid("请填写项目名称")
	}
	rows, err := q.Query(ctx, `SELECT id FROM pairing_projects WHERE pairing_id = ? AND name = ? ORDER BY id LIMIT 2`, pairingID, name)
	ids, err := store.Collect(rows, err, func(sc store.Scanner) (int64, error) {
		var id int64
		return id, sc.Scan(&id)
	})
	switch {
	case err != nil:
		return 0, err
	case len(ids) == 0:
		return 0, store.Invalidf("该结对没有项目“%s”", name)
	case len(ids) > 1:
		return 0, store.Invalidf("该结对有多个项目“%s”，请在页面上逐一添加资金", name)
	}
	return ids[0], nil
}

// visitOn finds the visit of a pairing on day a project came from (the
// first of that day, on this file or recorded before).
func visitOn(ctx context.Context, q store.Querier, pairingID int64, day string) (int64, error) {
	rows, err := q.Query(ctx, `SELECT id FROM pairing_visits WHERE pairing_id = ? AND day = ? ORDER BY id LIMIT 1`, pairingID, day)
	ids, err := store.Collect(rows, err, func(sc store.Scanner) (int64, error) {
		var id int64
		return id, sc.Scan(&id)
	})
	if err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return 0, store.Invalidf("该结对 %s 没有蹲点调研", day)
	}
	return ids[0], nil
}
