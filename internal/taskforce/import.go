package taskforce

import (
	"context"
	"errors"
	"io"
	"math"
	"strconv"
	"strings"

	"grassroots/internal/access"
	"grassroots/internal/org"
	"grassroots/internal/store"
	"grassroots/internal/xlsx"
)

// The sheets of an import (and of the export, whose columns they share).
const (
	SheetTaskForces = "工作专班"
	SheetMembers    = "专班成员"
)

// RowError is a refused row of an import.
type RowError = xlsx.RowError

// ImportError is an import refused for its rows; nothing was recorded.
type ImportError = xlsx.ImportError

// Imported counts what an import recorded.
type Imported struct {
	TaskForces int `json:"taskforces"`
	Members    int `json:"members"`
}

// MayImport reports whether actor may import task forces at all: whoever
// may keep one somewhere (a township's staff and administrators, a
// department's staff, county administrators). Each row is checked again
// against the unit it names.
func MayImport(a access.Actor) bool {
	return a.System || a.CountyAdmin() || a.HasAny(access.RoleTownship, access.RoleDepartment, access.RoleAdmin)
}

// personByName finds the one person called name in the unit with code.
func personByName(ctx context.Context, q store.Querier, name, code string) (int64, error) {
	if name == "" {
		return 0, store.Invalid("请填写姓名")
	}
	return org.PersonIDByName(ctx, q, name, code)
}

// parseShare reads a share as 30, 30% or 0.3.
func parseShare(s string) (int, bool) {
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "%"))
	if s == "" {
		return 0, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, false
	}
	if f > 0 && f <= 1 && strings.Contains(s, ".") {
		f *= 100
	}
	return int(math.Round(f)), true
}

// Import sets up the task forces of the 工作专班 sheet of an .xlsx file and
// adds the members of its 专班成员 sheet (to a task force of the file or
// one already kept), all in one transaction: a file with a bad row records
// nothing and names the rows. People are named with their unit's code; an
// institution by its name in the member's or the keeping unit.
func (s *Service) Import(ctx context.Context, actor access.Actor, r io.Reader) (Imported, error) {
	var n Imported
	if actor.Anonymous() {
		return n, store.Forbidden("请先登录")
	}
	if !MayImport(actor) {
		return n, store.Forbidden("只有乡镇街道或县级单位可以导入工作专班")
	}
	f, err := xlsx.Open(r)
	if err != nil {
		return n, err
	}
	defer f.Close()
	tfs, err := xlsx.ReadTable(f, SheetTaskForces, 2000, "设立单位代码", "专班名称", "任务", "组长", "目标日期", "结束日期")
	if err != nil {
		return n, err
	}
	var members xlsx.Table
	if idx, _ := f.GetSheetIndex(SheetMembers); idx >= 0 {
		if members, err = xlsx.ReadTable(f, SheetMembers, 2000, "专班名称", "姓名", "所在单位代码", "投入比例"); err != nil {
			return n, err
		}
	}
	blank := func(row []string) bool { return strings.TrimSpace(strings.Join(row, "")) == "" }
	var refused xlsx.Refusals
	refuse := refused.Refuse
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		made := map[string]int64{} // name → id of a task force this file set up
		for i, row := range tfs.Rows {
			if blank(row) {
				continue
			}
			unit := tfs.Cell(row, "设立单位代码")
			in := Input{UnitCode: unit, Name: tfs.Cell(row, "专班名称"), Task: tfs.Cell(row, "任务"),
				StartDay: tfs.Cell(row, "开始日期"), TargetDay: tfs.Cell(row, "目标日期"), EndDay: tfs.Cell(row, "结束日期")}
			id, err := func() (int64, error) {
				leadUnit := or(tfs.Cell(row, "组长单位代码"), unit)
				var err error
				if in.LeadID, err = personByName(ctx, tx, tfs.Cell(row, "组长"), leadUnit); err != nil {
					return 0, err
				}
				if d := tfs.Cell(row, "副组长"); d != "" {
					if in.DeputyID, err = personByName(ctx, tx, d, or(tfs.Cell(row, "副组长单位代码"), unit)); err != nil {
						return 0, err
					}
				}
				if _, dup := made[in.Name]; dup && in.Name != "" {
					return 0, store.Conflictf("文件中有两个名为“%s”的专班", in.Name)
				}
				return s.create(ctx, tx, actor, in)
			}()
			if err != nil {
				if err := refuse(SheetTaskForces, i+2, err); err != nil {
					return err
				}
				continue
			}
			made[strings.TrimSpace(in.Name)] = id
			n.TaskForces++
		}
		for i, row := range members.Rows { // none without the sheet
			if blank(row) {
				continue
			}
			err := func() error {
				name := members.Cell(row, "专班名称")
				id, err := s.byName(ctx, tx, made, members.Cell(row, "设立单位代码"), name)
				if err != nil {
					return err
				}
				home := members.Cell(row, "所在单位代码")
				in := MemberInput{FullTime: members.Cell(row, "专职/兼职") == "专职"}
				if in.PersonID, err = personByName(ctx, tx, members.Cell(row, "姓名"), home); err != nil {
					return err
				}
				share, ok := parseShare(members.Cell(row, "投入比例"))
				if !ok {
					return store.Invalid("投入时间比例应在1%到100%之间")
				}
				in.Share = share
				if inst := members.Cell(row, "所在机构"); inst != "" {
					if in.InstitutionID, err = institutionByName(ctx, tx, inst, home, id); err != nil {
						return err
					}
				}
				return s.addMember(ctx, tx, actor, id, in)
			}()
			if err != nil {
				if err := refuse(SheetMembers, i+2, err); err != nil {
					return err
				}
				continue
			}
			n.Members++
		}
		return refused.Err()
	})
	if err != nil {
		return Imported{}, err
	}
	return n, nil
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// byName finds a task force named name: one this file set up, or one kept
// by the unit with code.
func (s *Service) byName(ctx context.Context, q store.RowQueryer, made map[string]int64, code, name string) (int64, error) {
	if name == "" {
		return 0, store.Invalid("请填写专班名称")
	}
	if code == "" {
		if id, ok := made[name]; ok {
			return id, nil
		}
		return 0, store.Invalidf("本文件没有名为“%s”的专班：已有的专班请填写设立单位代码", name)
	}
	u, err := unitByCode(ctx, q, code)
	if err != nil {
		return 0, err
	}
	var id int64
	err = q.QueryRow(ctx, `SELECT id FROM taskforces WHERE unit_id = ? AND name = ?`, u.id, name).Scan(&id)
	if errors.Is(err, store.ErrNotFound) {
		return 0, store.Invalidf("%s没有名为“%s”的专班", u.name, name)
	}
	return id, err
}

// institutionByName finds an office, team or centre by name in the
// member's unit or the task force's keeping unit.
func institutionByName(ctx context.Context, q store.RowQueryer, name, home string, taskforceID int64) (int64, error) {
	var id int64
	err := q.QueryRow(ctx, `SELECT i.id FROM institutions i JOIN units u ON u.id = i.unit_id
		WHERE i.name = ? AND (u.code = ? OR i.unit_id = (SELECT unit_id FROM taskforces WHERE id = ?))
		ORDER BY CASE WHEN u.code = ? THEN 0 ELSE 1 END, i.id LIMIT 1`, name, home, taskforceID, home).Scan(&id)
	if errors.Is(err, store.ErrNotFound) {
		return 0, store.Invalidf("找不到机构“%s”", name)
	}
	return id, err
}

// Template writes an empty import file: the 工作专班 and 专班成员 sheets
// with their headers only.
func Template(w io.Writer) error {
	wb, err := xlsx.New()
	if err != nil {
		return err
	}
	defer wb.Close()
	cols := func(titles ...string) []xlsx.Column {
		out := make([]xlsx.Column, len(titles))
		for i, t := range titles {
			out[i] = xlsx.Column{Title: t}
		}
		return out
	}
	if _, err := wb.AddSheet(SheetTaskForces, "", cols("设立单位代码", "专班名称", "任务", "组长", "组长单位代码", "副组长", "副组长单位代码",
		"开始日期", "目标日期", "结束日期")); err != nil {
		return err
	}
	if _, err := wb.AddSheet(SheetMembers, "", cols("设立单位代码", "专班名称", "姓名", "所在单位代码", "专职/兼职", "所在机构", "投入比例")); err != nil {
		return err
	}
	_, err = wb.WriteTo(w)
	return err
}
