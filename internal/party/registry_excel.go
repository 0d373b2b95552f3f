package party

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/store"
	"grassroots/internal/xlsx"
)

// Excel in and out of the register. An import file has a sheet 党员 (the
// members) and optionally a sheet 党组织 (organisations, imported first, so
// that members may belong to them); the first row of each names the
// columns, in any order. Every row is checked as if typed in; a file with
// any bad row imports nothing and says, row by row, what to fix. The
// export of the register has the import's columns, so an exported file,
// corrected, imports again (phone and ID numbers are exported masked and
// are left empty then).

// The import's sheets and columns.
const (
	SheetMembers = "党员"
	SheetOrgs    = "党组织"
)

var memberColumns = []string{"姓名", "性别", "出生年份", "入党日期", "所在党组织代码", "工作单位代码", "居住社区代码", "网格代码", "专业特长", "服务意向", "联系电话", "身份证号"}

var orgColumns = []string{"党组织代码", "党组织名称", "类型", "上级党组织代码", "所属单位代码"}

// orgKinds are the kinds an import names, by their Chinese names.
var orgKinds = map[string]string{
	"党工委":   "working_committee",
	"乡镇党委":  "township_committee",
	"社区党委":  "community_committee",
	"村党支部":  "village_branch",
	"网格党支部": "grid_branch",
	"党小组":   "party_group",
	"单位党组织": "unit_branch",
}

// orgKindNames lists orgKinds' names in a stable order for messages.
const orgKindNames = "党工委、乡镇党委、社区党委、村党支部、网格党支部、党小组、单位党组织"

// RowError is what is wrong with one row of an import file.
type RowError struct {
	Sheet   string `json:"sheet"`
	Row     int    `json:"row"`
	Message string `json:"message"`
	// Err is the row's user error, for a handler to show Message in the
	// reader's language (i18n.UserMessage).
	Err error `json:"-"`
}

// ImportResult is what an import did: how many organisations and members
// it added, or, when any row was bad, the rows' errors and nothing added.
type ImportResult struct {
	Orgs    int        `json:"orgs"`
	Members int        `json:"members"`
	Errors  []RowError `json:"errors,omitempty"`
}

// MaxImportRows bounds the data rows of one import file.
const MaxImportRows = 20000

var errRows = errors.New("import has bad rows")

// sheetRows reads a sheet's data rows as header → value maps, with their
// row numbers; missing is the required headers absent.
func sheetRows(f *excelize.File, sheet string, cols []string, required ...string) ([]int, []map[string]string, error) {
	rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: false})
	if err != nil {
		return nil, nil, store.Invalidf("无法读取工作表“%s”", sheet)
	}
	if len(rows) == 0 {
		return nil, nil, nil
	}
	pos := map[string]int{}
	for i, c := range rows[0] {
		pos[strings.TrimSpace(c)] = i
	}
	var missing []string
	for _, c := range required {
		if _, ok := pos[c]; !ok {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return nil, nil, store.Invalidf("工作表“%s”第1行表头缺少列：%s", sheet, strings.Join(missing, "、"))
	}
	var nums []int
	var out []map[string]string
	for i, cells := range rows[1:] {
		v := map[string]string{}
		blank := true
		for _, c := range cols {
			if p, ok := pos[c]; ok && p < len(cells) {
				v[c] = strings.TrimSpace(cells[p])
				blank = blank && v[c] == ""
			}
		}
		if blank {
			continue
		}
		if len(out) == MaxImportRows {
			return nil, nil, store.Invalidf("工作表“%s”超过%d行：请分批导入", sheet, MaxImportRows)
		}
		nums, out = append(nums, i+2), append(out, v)
	}
	return nums, out, nil
}

// ImportRegister imports party organisations and members from an .xlsx
// file, all or nothing.
func (s *Service) ImportRegister(ctx context.Context, actor access.Actor, r io.Reader) (ImportResult, error) {
	if actor.Anonymous() {
		return ImportResult{}, store.Forbidden("请先登录")
	}
	f, err := xlsx.Open(r)
	if err != nil {
		return ImportResult{}, err
	}
	defer f.Close()
	has := map[string]bool{}
	for _, n := range f.GetSheetList() {
		has[n] = true
	}
	if !has[SheetMembers] && !has[SheetOrgs] {
		return ImportResult{}, store.Invalidf("文件中没有“%s”或“%s”工作表（请使用导出的名册作模板）", SheetMembers, SheetOrgs)
	}
	var orgNums, memberNums []int
	var orgRows, memberRows []map[string]string
	if has[SheetOrgs] {
		if orgNums, orgRows, err = sheetRows(f, SheetOrgs, orgColumns, orgColumns...); err != nil {
			return ImportResult{}, err
		}
	}
	if has[SheetMembers] {
		if memberNums, memberRows, err = sheetRows(f, SheetMembers, memberColumns, "姓名", "所在党组织代码"); err != nil {
			return ImportResult{}, err
		}
	}
	var res ImportResult
	rowErr := func(sheet string, row int, err error) error {
		msg, ok := store.UserMessage(err)
		if !ok {
			return err
		}
		res.Errors = append(res.Errors, RowError{Sheet: sheet, Row: row, Message: msg, Err: err})
		return nil
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		now := s.now()
		for i, v := range orgRows {
			if err := s.importOrg(ctx, tx, actor, v, now); err != nil {
				if err := rowErr(SheetOrgs, orgNums[i], err); err != nil {
					return err
				}
				continue
			}
			res.Orgs++
		}
		for i, v := range memberRows {
			year := 0
			if y := v["出生年份"]; y != "" {
				n, err := strconv.Atoi(strings.TrimSuffix(y, "年"))
				if err != nil {
					if err := rowErr(SheetMembers, memberNums[i], store.Invalid("出生年份应为四位数字，如1985")); err != nil {
						return err
					}
					continue
				}
				year = n
			}
			in := MemberInput{Name: v["姓名"], Gender: v["性别"], BirthYear: year, JoinedOn: excelDay(v["入党日期"]), OrgCode: v["所在党组织代码"],
				UnitCode: v["工作单位代码"], HomeCode: v["居住社区代码"], GridCode: v["网格代码"], Skills: v["专业特长"], Intentions: v["服务意向"],
				Phone: maskedEmpty(v["联系电话"]), IDNo: maskedEmpty(v["身份证号"])}
			m, err := s.checkMember(ctx, tx, actor, in, now)
			if err == nil {
				_, err = insertMember(ctx, tx, m, now)
			}
			if err != nil {
				if err := rowErr(SheetMembers, memberNums[i], err); err != nil {
					return err
				}
				continue
			}
			res.Members++
		}
		if len(res.Errors) > 0 {
			return errRows
		}
		if res.Orgs+res.Members == 0 {
			return store.Invalid("文件中没有可导入的行")
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "party.register.import", Entity: "party_register", EntityID: actor.UnitCode,
			After: map[string]int{"orgs": res.Orgs, "members": res.Members}})
	})
	if errors.Is(err, errRows) {
		return ImportResult{Errors: res.Errors}, nil
	}
	if err != nil {
		return ImportResult{}, fmt.Errorf("import party register: %w", err)
	}
	return res, nil
}

// maskedEmpty drops a masked value (an exported 138****0000): it cannot be
// imported back.
func maskedEmpty(v string) string {
	if strings.Contains(v, "*") {
		return ""
	}
	return v
}

// excelDay turns a day Excel shows as 2001/7/1 or 2001年7月1日 into
// 2001-07-01; anything else is left for the check to refuse.
func excelDay(v string) string {
	for _, layout := range []string{"2006/1/2", "2006年1月2日", "2006-1-2", "01-02-06", "1/2/06"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.Format("2006-01-02")
		}
	}
	return v
}

// importOrg checks and stores one organisation row.
func (s *Service) importOrg(ctx context.Context, tx *store.Tx, actor access.Actor, v map[string]string, now time.Time) error {
	code, name := v["党组织代码"], v["党组织名称"]
	if code == "" || name == "" {
		return store.Invalid("请填写党组织代码和名称")
	}
	if len(code) > 40 || strings.ContainsAny(code, " /%") {
		return store.Invalid("党组织代码最长40位，不能含空格、斜杠或百分号")
	}
	kind, ok := orgKinds[v["类型"]]
	if !ok {
		return store.Invalidf("党组织类型应为：%s", orgKindNames)
	}
	parent, err := partyOrgByCode(ctx, tx, v["上级党组织代码"])
	if err != nil {
		return err
	}
	u, err := unitByCode(ctx, tx, v["所属单位代码"])
	if err != nil {
		return err
	}
	if !strings.HasPrefix(u.Path, parent.UnitPath) {
		return store.Invalidf("%s不在上级党组织%s所在的%s之下", u.Name, parent.Name, parent.UnitName)
	}
	ok, err = s.mayKeep(ctx, actor, u.ID, u.Path)
	if err != nil {
		return err
	}
	if !ok {
		return store.Forbiddenf("无权在%s设立党组织", u.Name)
	}
	var id int64
	err = tx.QueryRow(ctx, `INSERT INTO party_orgs (code, name, kind, parent_id, path, depth, unit_id, demo, created_at)
		VALUES (?, ?, ?, ?, ?, (SELECT depth + 1 FROM party_orgs WHERE id = ?), ?, 0, ?) RETURNING id`,
		code, name, kind, parent.ID, "#"+code, parent.ID, u.ID, store.Millis(now)).Scan(&id)
	if err != nil {
		err = store.Normalize(err)
		if errors.Is(err, store.ErrConflict) {
			return store.Conflictf("党组织代码 %s 已存在", code)
		}
		return fmt.Errorf("party organisation %s: %w", code, err)
	}
	if _, err := tx.Exec(ctx, `UPDATE party_orgs SET path = ? WHERE id = ?`, parent.Path+strconv.FormatInt(id, 10)+"/", id); err != nil {
		return fmt.Errorf("party organisation %s: %w", code, err)
	}
	return nil
}

// ExportMembers writes the filtered register as .xlsx, in the import's
// columns (phone and ID numbers masked).
func (s *Service) ExportMembers(ctx context.Context, actor access.Actor, f MemberFilter, w io.Writer) error {
	f.Limit = MaxMembers
	list, err := s.Members(ctx, actor, f)
	if err != nil {
		return err
	}
	wb, err := xlsx.New()
	if err != nil {
		return err
	}
	defer wb.Close()
	cols := []xlsx.Column{{Title: "姓名"}, {Title: "性别"}, {Title: "出生年份", Kind: xlsx.Int}, {Title: "入党日期"}, {Title: "所在党组织代码"}, {Title: "所在党组织"},
		{Title: "工作单位代码"}, {Title: "工作单位"}, {Title: "居住社区代码"}, {Title: "居住社区"}, {Title: "网格代码"}, {Title: "专业特长"}, {Title: "服务意向"},
		{Title: "联系电话"}, {Title: "身份证号"}}
	sh, err := wb.AddSheet(SheetMembers, "", cols)
	if err != nil {
		return err
	}
	for _, m := range list {
		var year any
		if m.BirthYear != 0 {
			year = m.BirthYear
		}
		if err := sh.Add(m.Name, m.Gender, year, m.JoinedOn, m.OrgCode, m.OrgName, m.UnitCode, m.UnitName, m.HomeCode, m.HomeName, m.GridCode,
			m.Skills, m.Intentions, m.PhoneMasked, m.IDMasked); err != nil {
			return err
		}
	}
	_, err = wb.WriteTo(w)
	return err
}
