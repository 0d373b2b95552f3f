package org

// Residents of a household (issue 18): the people living in each household
// of a building, imported with the households from a second sheet 居民 of
// the same workbook, which names the household by building code and room as
// the 住户 sheet does. A household named on the 居民 sheet has its resident
// records replaced by the rows given; one not named keeps its own. The
// phone and ID number are sealed and hashed, and only ever shown or
// exported masked; no sensitive category is kept.
//
// The count rule: a household's residents (居住人数) is the number of its
// resident records when it has any, else the count recorded on the 住户
// sheet. The list, the grid's view and the export all count so.

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"grassroots/internal/pii"
	"grassroots/internal/store"
	"grassroots/internal/worktime"
	"grassroots/internal/xlsx"
)

// SheetResidents is the workbook's sheet of residents.
const SheetResidents = "居民"

// residentColumns are the 居民 sheet's columns, in order.
var residentColumns = []string{"楼栋编码", "门牌号", "姓名", "与户主关系", "性别", "出生年份", "联系电话", "身份证号", "备注"}

// Relations are the relations to the head of household a resident may have.
var Relations = []string{"户主", "配偶", "子女", "父母", "其他"}

// MaxResidentRows caps the 居民 rows of an import.
const MaxResidentRows = 20000

// Resident is one resident of a household, as recorded; the phone and ID
// number are only ever masked.
type Resident struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Relation    string `json:"relation"`
	Gender      string `json:"gender,omitempty"`
	BirthYear   int    `json:"birth_year,omitempty"`
	PhoneMasked string `json:"phone_masked,omitempty"`
	IDMasked    string `json:"id_masked,omitempty"`
	Note        string `json:"note,omitempty"`
}

// ResidentRow is one row of the 居民 sheet: the household by building code
// and room, the resident's name and relation to the head, and optionally
// gender (男/女), birth year, phone, ID number and a note (100 characters).
type ResidentRow struct {
	Unit      string `json:"unit"`
	Room      string `json:"room"`
	Name      string `json:"name"`
	Relation  string `json:"relation"`
	Gender    string `json:"gender,omitempty"`
	BirthYear int    `json:"birth_year,omitempty"`
	Phone     string `json:"phone,omitempty"`
	IDNo      string `json:"id_no,omitempty"`
	Note      string `json:"note,omitempty"`
	Line      int    `json:"-"` // the sheet's row, when read from a file
}

// HouseholdBook is a households workbook: the 住户 rows and the 居民 rows.
type HouseholdBook struct {
	Households []HouseholdRow
	Residents  []ResidentRow
}

// checkResidents checks the 居民 rows (trimming them in place) against the
// grid's buildings and the households known (recorded or in this import),
// and returns a row error, sheet named, for each bad row.
func checkResidents(rows []ResidentRow, buildings map[string]Unit, known map[string]bool, gridName string, now time.Time) []xlsx.RowError {
	var bad []xlsx.RowError
	ids := map[string]int{}
	for i := range rows {
		r := &rows[i]
		line := i + 2
		if r.Line > 0 {
			line = r.Line
		}
		r.Unit, r.Room, r.Name = strings.TrimSpace(r.Unit), strings.TrimSpace(r.Room), strings.TrimSpace(r.Name)
		r.Relation, r.Gender, r.Note = strings.TrimSpace(r.Relation), strings.TrimSpace(r.Gender), strings.TrimSpace(r.Note)
		r.Phone, r.IDNo = pii.NormalizePhone(r.Phone), pii.NormalizeID(r.IDNo)
		fail := func(reason string) {
			bad = append(bad, xlsx.RowError{Sheet: SheetResidents, Row: line, Reason: reason})
		}
		if _, ok := buildings[r.Unit]; !ok {
			fail(fmt.Sprintf("楼栋编码“%s”不是%s的楼栋或街巷", r.Unit, gridName))
			continue
		}
		switch {
		case r.Room == "":
			fail("请填写门牌号")
		case !known[r.Unit+"\x00"+r.Room]:
			fail(fmt.Sprintf("门牌号“%s”不是该楼栋已登记或本次导入的住户", r.Room))
		case r.Name == "":
			fail("请填写姓名")
		case utf8.RuneCountInString(r.Name) > 40:
			fail("姓名最多40字")
		case !validRelation(r.Relation):
			fail("与户主关系应为户主、配偶、子女、父母或其他")
		case r.Gender != "" && r.Gender != "男" && r.Gender != "女":
			fail("性别应为男或女")
		case r.BirthYear != 0 && (r.BirthYear < 1900 || r.BirthYear > now.Year()):
			fail(fmt.Sprintf("出生年份应为1900到%d之间的年份", now.Year()))
		case r.Phone != "" && !pii.ValidPhone(r.Phone):
			fail("联系电话格式不正确")
		case r.IDNo != "" && !pii.ValidID(r.IDNo):
			fail("身份证号格式不正确")
		case utf8.RuneCountInString(r.Note) > 100:
			fail("备注最多100字")
		default:
			if r.IDNo != "" {
				if first, dup := ids[r.IDNo]; dup {
					fail(fmt.Sprintf("身份证号与第%d行相同", first))
					continue
				}
				ids[r.IDNo] = line
			}
		}
	}
	return bad
}

func validRelation(rel string) bool {
	for _, r := range Relations {
		if r == rel {
			return true
		}
	}
	return false
}

// sheetRows names the 住户 sheet's bad rows as rows of that sheet, the room
// kept in the reason.
func sheetRows(rows []RowError) []xlsx.RowError {
	out := make([]xlsx.RowError, 0, len(rows))
	for _, r := range rows {
		reason := r.Reason
		if r.Code != "" {
			reason = "门牌号" + r.Code + "：" + reason
		}
		out = append(out, xlsx.RowError{Sheet: SheetHouseholds, Row: r.Line, Reason: reason})
	}
	return out
}

// sealPair seals and hashes a phone and an ID number ("" stays "").
func (s *Service) sealPair(phone, idNo string) (phoneEnc, phoneHash, idEnc, idHash string, err error) {
	if phone != "" {
		if phoneEnc, err = s.sealer.Seal(phone); err != nil {
			return
		}
		phoneHash = s.sealer.Hash(phone)
	}
	if idNo != "" {
		if idEnc, err = s.sealer.Seal(idNo); err != nil {
			return
		}
		idHash = s.sealer.Hash(idNo)
	}
	return
}

// replaceResidents records the 居民 rows in tx: each household named has
// its resident records replaced by its rows. It returns how many it added.
func (s *Service) replaceResidents(ctx context.Context, tx *store.Tx, rows []ResidentRow, buildings map[string]Unit, now int64) (int, error) {
	households := map[string]int64{}
	var order []string
	for _, r := range rows {
		key := r.Unit + "\x00" + r.Room
		if _, ok := households[key]; ok {
			continue
		}
		var id int64
		if err := tx.QueryRow(ctx, `SELECT id FROM households WHERE unit_id = ? AND room = ?`, buildings[r.Unit].ID, r.Room).Scan(&id); err != nil {
			return 0, fmt.Errorf("household of resident: %w", err)
		}
		households[key] = id
		order = append(order, key)
	}
	for _, key := range order {
		if _, err := tx.Exec(ctx, `DELETE FROM residents WHERE household_id = ?`, households[key]); err != nil {
			return 0, fmt.Errorf("replace residents: %w", err)
		}
	}
	for _, r := range rows {
		phoneEnc, phoneHash, idEnc, idHash, err := s.sealPair(r.Phone, r.IDNo)
		if err != nil {
			return 0, err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO residents (household_id, name, relation, gender, birth_year, phone_enc, phone_hash, id_enc, id_hash, note, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, households[r.Unit+"\x00"+r.Room], r.Name, r.Relation, r.Gender, r.BirthYear,
			phoneEnc, phoneHash, idEnc, idHash, r.Note, now, now); err != nil {
			return 0, fmt.Errorf("insert resident: %w", store.Normalize(err))
		}
	}
	return len(rows), nil
}

// gridResidents returns the resident records of the grid's households, by
// household id, each masked.
func (s *Service) gridResidents(ctx context.Context, gridID int64) (map[int64][]Resident, error) {
	rows, err := s.db.Query(ctx, `SELECT r.household_id, r.id, r.name, r.relation, r.gender, r.birth_year, r.phone_enc, r.id_enc, r.note
		FROM residents r JOIN households h ON h.id = r.household_id JOIN units u ON u.id = h.unit_id
		WHERE u.parent_id = ? ORDER BY r.household_id, r.id`, gridID)
	if err != nil {
		return nil, fmt.Errorf("residents: %w", err)
	}
	defer rows.Close()
	out := map[int64][]Resident{}
	for rows.Next() {
		var hid int64
		var r Resident
		var phoneEnc, idEnc string
		if err := rows.Scan(&hid, &r.ID, &r.Name, &r.Relation, &r.Gender, &r.BirthYear, &phoneEnc, &idEnc, &r.Note); err != nil {
			return nil, fmt.Errorf("residents: %w", err)
		}
		r.PhoneMasked, r.IDMasked = s.masked(phoneEnc, idEnc)
		out[hid] = append(out[hid], r)
	}
	return out, rows.Err()
}

// residentsCount is the SQL of a household h's residents by the count rule.
const residentsCount = `CASE WHEN EXISTS (SELECT 1 FROM residents r WHERE r.household_id = h.id)
	THEN (SELECT COUNT(*) FROM residents r WHERE r.household_id = h.id) ELSE h.residents END`

// parseResidents reads the 居民 sheet of f, if it has one (nil if not). A
// birth year that is not a number reads as -1, which ImportHouseholdBook
// names with the other bad rows.
func parseResidents(f *excelize.File) ([]ResidentRow, error) {
	if idx, err := f.GetSheetIndex(SheetResidents); err != nil || idx < 0 {
		return nil, nil
	}
	t, err := xlsx.ReadTable(f, SheetResidents, MaxResidentRows, "楼栋编码", "门牌号", "姓名", "与户主关系")
	if err != nil {
		return nil, err
	}
	var out []ResidentRow
	for i, row := range t.Rows {
		if strings.TrimSpace(strings.Join(row, "")) == "" {
			continue
		}
		r := ResidentRow{Line: i + 2, Unit: t.Cell(row, "楼栋编码"), Room: t.Cell(row, "门牌号"), Name: t.Cell(row, "姓名"),
			Relation: t.Cell(row, "与户主关系"), Gender: t.Cell(row, "性别"), Phone: t.Cell(row, "联系电话"),
			IDNo: t.Cell(row, "身份证号"), Note: t.Cell(row, "备注")}
		if y := t.Cell(row, "出生年份"); y != "" {
			v, err := strconv.Atoi(y)
			if err != nil {
				v = -1
			}
			r.BirthYear = v
		}
		out = append(out, r)
	}
	return out, nil
}

// ParseHouseholdBookXLSX reads a households workbook: the 住户 sheet as
// ParseHouseholdsXLSX does (else the first sheet, unless that is 居民), and
// the 居民 sheet when there is one, whose header names 楼栋编码, 门牌号,
// 姓名, 与户主关系 and, optionally, 性别, 出生年份, 联系电话, 身份证号,
// 备注. Counts and years that are not numbers are left for
// ImportHouseholdBook to name with every other bad row. Blank 居民 rows
// are skipped; the others keep their sheet's row number.
func ParseHouseholdBookXLSX(r io.Reader) (HouseholdBook, error) {
	f, err := xlsx.Open(r)
	if err != nil {
		return HouseholdBook{}, err
	}
	defer f.Close()
	var book HouseholdBook
	// A workbook of only a 居民 sheet updates residents alone.
	if idx, err := f.GetSheetIndex(SheetHouseholds); err == nil && idx >= 0 || f.GetSheetName(0) != SheetResidents {
		if book.Households, err = parseHouseholdSheet(f, true); err != nil {
			return HouseholdBook{}, err
		}
	}
	if book.Residents, err = parseResidents(f); err != nil {
		return HouseholdBook{}, err
	}
	return book, nil
}

// writeResidentsSheet adds the 居民 sheet of the households' resident
// records, the phone and ID number masked.
func writeResidentsSheet(wb *xlsx.Workbook, hs []Household) error {
	cols := make([]xlsx.Column, len(residentColumns))
	for i, c := range residentColumns {
		cols[i] = xlsx.Column{Title: c}
		if c == "出生年份" {
			cols[i].Kind = xlsx.Int
		}
	}
	sh, err := wb.AddSheet(SheetResidents, "", cols)
	if err != nil {
		return err
	}
	for _, h := range hs {
		for _, r := range h.Records {
			var year any
			if r.BirthYear != 0 {
				year = r.BirthYear
			}
			if err := sh.Add(h.UnitCode, h.Room, r.Name, r.Relation, r.Gender, year, r.PhoneMasked, r.IDMasked, r.Note); err != nil {
				return err
			}
		}
	}
	return nil
}

// countyNow is the time now in the county's zone.
func countyNow(now int64) time.Time { return store.Time(now).In(worktime.Location()) }
