package org

// Households and residents of a grid's buildings and lanes (the basis of
// "grids of 300–500 households"): imported from Excel or by the API as the
// register of each building, all rows checked first and nothing recorded
// when any row is bad (every bad row named); listed and exported with the
// head of household's phone and ID number masked, as every person's are.
// The numbers are sealed (pii) and hashed like people's.

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/pii"
	"grassroots/internal/store"
	"grassroots/internal/xlsx"
)

// SheetHouseholds is the sheet an import reads (else the first sheet) and
// an export writes.
const SheetHouseholds = "住户"

// householdColumns are the sheet's columns, in order.
var householdColumns = []string{"楼栋编码", "楼栋", "门牌号", "户主姓名", "联系电话", "身份证号", "居住人数"}

// MaxHouseholdRows caps an import.
const MaxHouseholdRows = 5000

// Household is one household of a building or lane, as recorded; the
// head's phone and ID number are only ever masked.
type Household struct {
	ID          int64  `json:"id"`
	UnitCode    string `json:"unit_code"`
	UnitName    string `json:"unit_name"`
	Room        string `json:"room"`
	HeadName    string `json:"head_name"`
	PhoneMasked string `json:"head_phone_masked,omitempty"`
	IDMasked    string `json:"head_id_masked,omitempty"`
	Residents   int    `json:"residents"`
	// Records are the household's resident records (masked); when there
	// are any, Residents is their number.
	Records   []Resident `json:"resident_records,omitempty"`
	UpdatedAt time.Time  `json:"updated_at"`
	Demo      bool       `json:"demo,omitempty"`
}

// HouseholdRow is one row of an import: the building or lane by code, the
// room (门牌号), the head's name, phone and ID number, and how many live
// there (at least 1).
type HouseholdRow struct {
	Unit      string `json:"unit"`
	Room      string `json:"room"`
	HeadName  string `json:"head_name"`
	Phone     string `json:"head_phone,omitempty"`
	IDNo      string `json:"head_id_no,omitempty"`
	Residents int    `json:"residents"`
	Demo      bool   `json:"-"`
}

// HouseholdImport is what an import recorded.
type HouseholdImport struct {
	Inserted  int `json:"inserted"`
	Updated   int `json:"updated"`
	Residents int `json:"residents,omitempty"` // resident records recorded
}

// GridHouseholds returns the grid and the households of its buildings and
// lanes, by building and room; anyone who reads the grid reads them.
func (s *Service) GridHouseholds(ctx context.Context, actor access.Actor, gridCode string) (Unit, []Household, error) {
	g, err := s.UnitByCode(ctx, actor, gridCode)
	if err != nil {
		return Unit{}, nil, err
	}
	if g.Kind != KindGrid {
		return Unit{}, nil, store.NotFoundf("%s不是网格", g.Name)
	}
	records, err := s.gridResidents(ctx, g.ID)
	if err != nil {
		return Unit{}, nil, fmt.Errorf("households of %s: %w", gridCode, err)
	}
	rows, err := s.db.Query(ctx, `SELECT h.id, u.code, u.name, h.room, h.head_name, h.head_phone_enc, h.head_id_enc, h.residents, h.updated_at, h.demo
		FROM households h JOIN units u ON u.id = h.unit_id WHERE u.parent_id = ? ORDER BY u.code, h.room, h.id`, g.ID)
	if err != nil {
		return Unit{}, nil, fmt.Errorf("households of %s: %w", gridCode, err)
	}
	defer rows.Close()
	var out []Household
	for rows.Next() {
		var h Household
		var phoneEnc, idEnc string
		var updated int64
		var demo int
		if err := rows.Scan(&h.ID, &h.UnitCode, &h.UnitName, &h.Room, &h.HeadName, &phoneEnc, &idEnc, &h.Residents, &updated, &demo); err != nil {
			return Unit{}, nil, fmt.Errorf("households of %s: %w", gridCode, err)
		}
		h.PhoneMasked, h.IDMasked = s.masked(phoneEnc, idEnc)
		h.UpdatedAt, h.Demo = store.Time(updated), demo != 0
		if rs := records[h.ID]; len(rs) > 0 {
			h.Records, h.Residents = rs, len(rs) // the count rule
		}
		out = append(out, h)
	}
	return g, out, rows.Err()
}

// ImportHouseholds records rows into the grid's buildings and lanes, in one
// transaction: a room already recorded in its building is updated, a new
// one added. Every row is checked first (a building of this grid, a room
// and a name, a valid phone and ID number if given, 1 to 99 residents, no
// room twice); with any bad row nothing is recorded and the
// xlsx.ImportError names each as a row of the 住户 sheet (the header is
// row 1). The grid's own
// workers and the staff above it may import (CanEditFrontLine).
func (s *Service) ImportHouseholds(ctx context.Context, actor access.Actor, gridCode string, rows []HouseholdRow) (HouseholdImport, error) {
	return s.ImportHouseholdBook(ctx, actor, gridCode, HouseholdBook{Households: rows})
}

// ImportHouseholdBook records a households workbook: the 住户 rows as
// ImportHouseholds does and the 居民 rows (residents.go), in one
// transaction, all or nothing: the bad rows of both sheets come back as
// one xlsx.ImportError naming each row's sheet. Who may import is the same.
func (s *Service) ImportHouseholdBook(ctx context.Context, actor access.Actor, gridCode string, book HouseholdBook) (HouseholdImport, error) {
	rows := book.Households
	g, err := s.UnitByCode(ctx, actor, gridCode)
	if err != nil {
		return HouseholdImport{}, err
	}
	if g.Kind != KindGrid {
		return HouseholdImport{}, store.NotFoundf("%s不是网格", g.Name)
	}
	if !CanEditFrontLine(actor, g) {
		return HouseholdImport{}, store.Forbiddenf("无权导入%s的住户", g.Name)
	}
	if len(rows) == 0 && len(book.Residents) == 0 {
		return HouseholdImport{}, store.Invalid("没有要导入的住户")
	}
	if len(rows) > MaxHouseholdRows {
		return HouseholdImport{}, store.Invalidf("一次最多导入%d户", MaxHouseholdRows)
	}
	if len(book.Residents) > MaxResidentRows {
		return HouseholdImport{}, store.Invalidf("一次最多导入%d位居民", MaxResidentRows)
	}
	if (hasPII(rows) || residentsPII(book.Residents)) && s.sealer == nil {
		return HouseholdImport{}, fmt.Errorf("import households: no personal-data sealer")
	}
	children, err := s.Children(ctx, actor, g.ID)
	if err != nil {
		return HouseholdImport{}, err
	}
	buildings := map[string]Unit{}
	for _, u := range children {
		if u.Kind == KindBuilding {
			buildings[u.Code] = u
		}
	}
	var bad []RowError
	seen := map[string]int{}
	for i := range rows {
		r := &rows[i]
		line := i + 2
		r.Unit, r.Room, r.HeadName = strings.TrimSpace(r.Unit), strings.TrimSpace(r.Room), strings.TrimSpace(r.HeadName)
		r.Phone, r.IDNo = pii.NormalizePhone(r.Phone), pii.NormalizeID(r.IDNo)
		fail := func(reason string) { bad = append(bad, RowError{Line: line, Code: r.Room, Reason: reason}) }
		if _, ok := buildings[r.Unit]; !ok {
			fail(fmt.Sprintf("楼栋编码“%s”不是%s的楼栋或街巷", r.Unit, g.Name))
			continue
		}
		switch {
		case r.Room == "":
			fail("请填写门牌号")
		case utf8.RuneCountInString(r.Room) > 40:
			fail("门牌号最多40字")
		case r.HeadName == "":
			fail("请填写户主姓名")
		case utf8.RuneCountInString(r.HeadName) > 40:
			fail("户主姓名最多40字")
		case r.Phone != "" && !pii.ValidPhone(r.Phone):
			fail("联系电话格式不正确")
		case r.IDNo != "" && !pii.ValidID(r.IDNo):
			fail("身份证号格式不正确")
		case r.Residents < 1 || r.Residents > 99:
			fail("居住人数应为1到99之间的整数")
		default:
			key := r.Unit + "\x00" + r.Room
			if first, dup := seen[key]; dup {
				fail(fmt.Sprintf("与第%d行是同一户", first))
				continue
			}
			seen[key] = line
		}
	}
	now := s.nowMillis()
	var resBad []xlsx.RowError
	if len(book.Residents) > 0 {
		known, err := s.knownHouseholds(ctx, g.ID)
		if err != nil {
			return HouseholdImport{}, err
		}
		for _, r := range rows {
			known[r.Unit+"\x00"+r.Room] = true
		}
		resBad = checkResidents(book.Residents, buildings, known, g.Name, countyNow(now))
	}
	if len(bad) > 0 || len(resBad) > 0 {
		return HouseholdImport{}, &xlsx.ImportError{Rows: append(sheetRows(bad), resBad...)}
	}
	var res HouseholdImport
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		for _, r := range rows {
			u := buildings[r.Unit]
			phoneEnc, idEnc, phoneHash, idHash := "", "", "", ""
			if r.Phone != "" {
				if phoneEnc, err = s.sealer.Seal(r.Phone); err != nil {
					return err
				}
				phoneHash = s.sealer.Hash(r.Phone)
			}
			if r.IDNo != "" {
				if idEnc, err = s.sealer.Seal(r.IDNo); err != nil {
					return err
				}
				idHash = s.sealer.Hash(r.IDNo)
			}
			n, err := tx.Exec(ctx, `UPDATE households SET head_name = ?, head_phone_enc = ?, head_phone_hash = ?, head_id_enc = ?, head_id_hash = ?,
				residents = ?, updated_at = ? WHERE unit_id = ? AND room = ?`, r.HeadName, phoneEnc, phoneHash, idEnc, idHash, r.Residents, now, u.ID, r.Room)
			if err != nil {
				return fmt.Errorf("update household: %w", err)
			}
			if k, _ := n.RowsAffected(); k > 0 {
				res.Updated++
				continue
			}
			if _, err := tx.Exec(ctx, `INSERT INTO households (unit_id, room, head_name, head_phone_enc, head_phone_hash, head_id_enc, head_id_hash, residents, demo, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, u.ID, r.Room, r.HeadName, phoneEnc, phoneHash, idEnc, idHash, r.Residents, store.BoolInt(r.Demo), now, now); err != nil {
				return fmt.Errorf("insert household: %w", store.Normalize(err))
			}
			res.Inserted++
		}
		if res.Residents, err = s.replaceResidents(ctx, tx, book.Residents, buildings, now); err != nil {
			return err
		}
		// The audit trail keeps the counts, never the numbers.
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "household.import", Entity: "unit", EntityID: g.Code,
			After: map[string]any{"inserted": res.Inserted, "updated": res.Updated, "residents": res.Residents}})
	})
	if err != nil {
		return HouseholdImport{}, fmt.Errorf("import households of %s: %w", gridCode, err)
	}
	return res, nil
}

func hasPII(rows []HouseholdRow) bool {
	for _, r := range rows {
		if strings.TrimSpace(r.Phone) != "" || strings.TrimSpace(r.IDNo) != "" {
			return true
		}
	}
	return false
}

// ParseHouseholdsXLSX reads the rows of an .xlsx file's 住户 sheet (else its
// first sheet), whose header names the columns 楼栋编码, 门牌号, 户主姓名
// and, optionally, 联系电话, 身份证号, 居住人数 (1 when empty). A count that
// is not a number is a row error, returned with the others by
// ImportHouseholds' rules only when the file reads at all.
func ParseHouseholdsXLSX(r io.Reader) ([]HouseholdRow, error) {
	f, err := xlsx.Open(r)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseHouseholdSheet(f, false)
}

// parseHouseholdSheet reads the 住户 sheet; lenient, a count that is not a
// number reads as 0, for ImportHouseholdBook to name with the other rows.
func parseHouseholdSheet(f *excelize.File, lenient bool) ([]HouseholdRow, error) {
	sheet := SheetHouseholds
	if idx, err := f.GetSheetIndex(sheet); err != nil || idx < 0 {
		sheet = f.GetSheetName(0)
	}
	rows, err := f.GetRows(sheet)
	if err != nil || len(rows) == 0 {
		return nil, store.Invalid("文件中没有住户表")
	}
	idx := map[string]int{}
	for i, h := range rows[0] {
		idx[strings.TrimSpace(h)] = i
	}
	for _, c := range []string{"楼栋编码", "门牌号", "户主姓名"} {
		if _, ok := idx[c]; !ok {
			return nil, store.Invalidf("住户表缺少“%s”列", c)
		}
	}
	cell := func(row []string, col string) string {
		i, ok := idx[col]
		if !ok || i >= len(row) {
			return ""
		}
		return strings.TrimSpace(row[i])
	}
	var out []HouseholdRow
	var bad []RowError
	for i, row := range rows[1:] {
		if strings.TrimSpace(strings.Join(row, "")) == "" {
			continue
		}
		h := HouseholdRow{Unit: cell(row, "楼栋编码"), Room: cell(row, "门牌号"), HeadName: cell(row, "户主姓名"),
			Phone: cell(row, "联系电话"), IDNo: cell(row, "身份证号"), Residents: 1}
		if n := cell(row, "居住人数"); n != "" {
			v, err := strconv.Atoi(n)
			if err != nil && lenient {
				v = 0
			} else if err != nil {
				bad = append(bad, RowError{Line: i + 2, Code: h.Room, Reason: "居住人数应为1到99之间的整数"})
				continue
			}
			h.Residents = v
		}
		out = append(out, h)
	}
	if len(bad) > 0 {
		return nil, &xlsx.ImportError{Rows: sheetRows(bad)}
	}
	return out, nil
}

// WriteHouseholdsXLSX writes the households as the import's sheets (住户,
// and 居民 of their resident records), the phones and ID numbers masked
// (an export is not a way to read them).
func WriteHouseholdsXLSX(w io.Writer, hs []Household) error {
	wb, err := xlsx.New()
	if err != nil {
		return err
	}
	defer wb.Close()
	cols := make([]xlsx.Column, len(householdColumns))
	for i, c := range householdColumns {
		cols[i] = xlsx.Column{Title: c}
		if c == "居住人数" {
			cols[i].Kind = xlsx.Int
		}
	}
	sh, err := wb.AddSheet(SheetHouseholds, "", cols)
	if err != nil {
		return err
	}
	for _, h := range hs {
		if err := sh.Add(h.UnitCode, h.UnitName, h.Room, h.HeadName, h.PhoneMasked, h.IDMasked, h.Residents); err != nil {
			return err
		}
	}
	if err := writeResidentsSheet(wb, hs); err != nil {
		return err
	}
	_, err = wb.WriteTo(w)
	return err
}

func residentsPII(rows []ResidentRow) bool {
	for _, r := range rows {
		if strings.TrimSpace(r.Phone) != "" || strings.TrimSpace(r.IDNo) != "" {
			return true
		}
	}
	return false
}

// knownHouseholds are the grid's recorded households, by building code and
// room.
func (s *Service) knownHouseholds(ctx context.Context, gridID int64) (map[string]bool, error) {
	rows, err := s.db.Query(ctx, `SELECT u.code, h.room FROM households h JOIN units u ON u.id = h.unit_id WHERE u.parent_id = ?`, gridID)
	if err != nil {
		return nil, fmt.Errorf("households: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var code, room string
		if err := rows.Scan(&code, &room); err != nil {
			return nil, fmt.Errorf("households: %w", err)
		}
		out[code+"\x00"+room] = true
	}
	return out, rows.Err()
}
