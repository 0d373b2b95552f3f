package org

import (
	"bytes"
	"context"
	"embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/store"
)

// The shipped data: Pucheng's 2023 NBS statistical divisions (12-digit
// codes), with centre points in GCJ-02 where the source knows them.
//
//go:embed data/pucheng-divisions.csv data/pucheng-county-boundary.geojson
var dataFS embed.FS

// PuchengDivisions returns the shipped divisions file.
func PuchengDivisions() []byte {
	b, _ := dataFS.ReadFile("data/pucheng-divisions.csv")
	return b
}

// Division levels as the NBS file names them, with their rank in the tree and
// the number of significant digits of their 12-digit code.
var levels = map[string]struct{ rank, digits int }{
	"province": {1, 2},
	"city":     {2, 4},
	"county":   {3, 6},
	"township": {4, 9},
	"village":  {5, 12},
}

// kindRank is the rank of a stored unit kind in the division tree (0 when the
// kind is no division: departments, grids, buildings).
func kindRank(kind string) int {
	switch kind {
	case KindProvince:
		return 1
	case KindCity:
		return 2
	case KindCounty:
		return 3
	case KindTownship, KindStreet:
		return 4
	case KindVillage, KindCommunity:
		return 5
	}
	return 0
}

// rankName names a rank for messages.
func rankName(rank int) string {
	switch rank {
	case 1:
		return "省级"
	case 2:
		return "地级"
	case 3:
		return "县级"
	case 4:
		return "乡级"
	case 5:
		return "村级"
	}
	return "非区划"
}

// DivisionRow is one line of a divisions file (the columns of
// pucheng-divisions.csv: code, name, level, parent_code, urban_rural_code,
// unit_type, lng_gcj02, lat_gcj02; other columns are ignored).
type DivisionRow struct {
	Line           int
	Code           string
	Name           string
	Level          string
	ParentCode     string
	UrbanRuralCode string
	UnitType       string
	Lng, Lat       *float64 // GCJ-02
}

// Kind is the unit kind the row becomes: 街道 → street, other township-level
// units → township, 居委会 (and 类似居委会) → community, other village-level
// units → village.
func (r DivisionRow) Kind() string {
	switch r.Level {
	case "township":
		if strings.Contains(r.UnitType, "街道") {
			return KindStreet
		}
		return KindTownship
	case "village":
		if strings.Contains(r.UnitType, "居委会") || strings.Contains(r.UnitType, "社区") {
			return KindCommunity
		}
		return KindVillage
	}
	return r.Level
}

// RowError is one bad row of an import, with its line number.
type RowError struct {
	Line   int    `json:"line"`
	Code   string `json:"code,omitempty"`
	Reason string `json:"reason"`
}

func (e RowError) String() string {
	if e.Code != "" {
		return fmt.Sprintf("第%d行（代码 %s）：%s", e.Line, e.Code, e.Reason)
	}
	return fmt.Sprintf("第%d行：%s", e.Line, e.Reason)
}

// ImportError lists every bad row of a file; nothing was imported. It is an
// ErrInvalid.
type ImportError struct {
	Rows []RowError
}

func (e *ImportError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "导入文件有%d处错误，未导入任何记录", len(e.Rows))
	for i, r := range e.Rows {
		if i == 20 {
			fmt.Fprintf(&b, "；……另有%d处", len(e.Rows)-20)
			break
		}
		b.WriteString("；")
		b.WriteString(r.String())
	}
	return b.String()
}

// Unwrap makes errors.Is(err, store.ErrInvalid) hold.
func (e *ImportError) Unwrap() error { return store.ErrInvalid }

// ParseDivisions reads a divisions CSV (UTF-8, with a header line naming at
// least code, name, level and parent_code). It returns the good rows and a
// RowError for every line it cannot read; it checks each row on its own
// (codes, levels, names, coordinates), not against other rows.
func ParseDivisions(r io.Reader) ([]DivisionRow, []RowError) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, []RowError{{Line: 1, Reason: "无法读取表头：" + csvReason(err)}}
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		col[h] = i
	}
	for _, need := range []string{"code", "name", "level", "parent_code"} {
		if _, ok := col[need]; !ok {
			return nil, []RowError{{Line: 1, Reason: fmt.Sprintf("表头缺少列 %s（需要 code,name,level,parent_code，可选 urban_rural_code,unit_type,lng_gcj02,lat_gcj02）", need)}}
		}
	}
	lngCol, latCol := "lng_gcj02", "lat_gcj02"
	if _, ok := col[lngCol]; !ok {
		lngCol, latCol = "lng", "lat"
	}
	var rows []DivisionRow
	var bad []RowError
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.Line
			}
			bad = append(bad, RowError{Line: line, Reason: "无法解析：" + csvReason(err)})
			if pe == nil {
				break
			}
			continue
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // blank line
		}
		if len(rec) != len(header) {
			bad = append(bad, RowError{Line: line, Reason: fmt.Sprintf("列数为%d，表头为%d列", len(rec), len(header))})
			continue
		}
		get := func(name string) string {
			if i, ok := col[name]; ok {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		row := DivisionRow{Line: line, Code: get("code"), Name: get("name"), Level: strings.ToLower(get("level")),
			ParentCode: get("parent_code"), UrbanRuralCode: get("urban_rural_code"), UnitType: get("unit_type")}
		if reason := checkRow(&row, get(lngCol), get(latCol)); reason != "" {
			bad = append(bad, RowError{Line: line, Code: row.Code, Reason: reason})
			continue
		}
		rows = append(rows, row)
	}
	return rows, bad
}

func csvReason(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// checkRow validates a row on its own and fills its coordinates.
func checkRow(r *DivisionRow, lng, lat string) string {
	if !utf8.ValidString(r.Name) || !utf8.ValidString(r.UnitType) {
		return "文件不是UTF-8编码"
	}
	if len(r.Code) != 12 || !allDigits(r.Code) {
		return fmt.Sprintf("代码 %q 不是12位数字", r.Code)
	}
	if r.Name == "" {
		return "缺少名称"
	}
	if utf8.RuneCountInString(r.Name) > 60 {
		return "名称过长（最多60字）"
	}
	lv, ok := levels[r.Level]
	if !ok {
		return fmt.Sprintf("未知的层级 %q（应为 province、city、county、township 或 village）", r.Level)
	}
	if strings.Trim(r.Code[lv.digits:], "0") != "" {
		return fmt.Sprintf("%s层级的代码只有前%d位有效，其余应为0", r.Level, lv.digits)
	}
	if lv.rank > 1 {
		prev := 0
		for _, l := range levels {
			if l.rank == lv.rank-1 {
				prev = l.digits
			}
		}
		if strings.Trim(r.Code[prev:lv.digits], "0") == "" {
			return fmt.Sprintf("代码第%d至%d位不能全为0", prev+1, lv.digits)
		}
		if r.ParentCode == "" {
			return "缺少上级代码"
		}
		if len(r.ParentCode) != 12 || !allDigits(r.ParentCode) {
			return fmt.Sprintf("上级代码 %q 不是12位数字", r.ParentCode)
		}
		if r.ParentCode[:prev] != r.Code[:prev] || strings.Trim(r.ParentCode[prev:], "0") != "" {
			return fmt.Sprintf("代码与上级代码 %s 不对应（前%d位应相同）", r.ParentCode, prev)
		}
	} else if r.ParentCode != "" {
		return "省级单位不应有上级代码"
	}
	if (lng == "") != (lat == "") {
		return "经度和纬度须同时填写或同时留空"
	}
	if lng != "" {
		x, err1 := strconv.ParseFloat(lng, 64)
		y, err2 := strconv.ParseFloat(lat, 64)
		if err1 != nil || err2 != nil || math.IsNaN(x) || math.IsNaN(y) || x < 73 || x > 136 || y < 3 || y > 54 {
			return fmt.Sprintf("坐标 %s,%s 不在中国范围内（经度73–136，纬度3–54）", lng, lat)
		}
		r.Lng, r.Lat = &x, &y
	}
	return ""
}

// ImportResult says what an import changed.
type ImportResult struct {
	Inserted  int
	Updated   int
	Unchanged int
	// InsertedByKind counts the new units by kind.
	InsertedByKind map[string]int
}

// importOptions carry the extras of the shipped load.
type importOptions struct {
	source        string
	townshipTypes map[string]string // code → township type for new townships
}

// Import loads a divisions file. The whole file is checked first, against
// itself and the database: every bad row is reported with its line number in
// an *ImportError and nothing is imported. Otherwise, in one transaction,
// units already present (same code) are updated and new ones inserted, with
// their paths, the township template (modules and institutions) for new
// townships and streets, and the standing party organisation of each new
// county, township and village-level unit. Only the system or a county-wide
// administrator may import.
func (s *Service) Import(ctx context.Context, actor access.Actor, src io.Reader, source string) (ImportResult, error) {
	if !actor.System && !(actor.Has(access.RoleAdmin) && actor.CountyWide()) {
		return ImportResult{}, store.Forbidden("只有县级系统管理员可以导入区划")
	}
	rows, bad := ParseDivisions(src)
	var res ImportResult
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		res, err = s.importRows(ctx, tx, actor, rows, bad, importOptions{source: source})
		return err
	})
	return res, err
}

// existingUnit is what validation needs of a stored unit.
type existingUnit struct {
	id                           int64
	kind, parentCode, path, name string
	unitType, urbanRural         string
	lng, lat                     *float64
	depth                        int
	townshipType                 string
}

func loadExisting(ctx context.Context, tx *store.Tx) (map[string]*existingUnit, error) {
	rows, err := tx.Query(ctx, `SELECT u.id, u.code, u.kind, COALESCE(p.code, ''), u.path, u.depth, u.name, u.unit_type,
		u.urban_rural_code, u.lng, u.lat, u.township_type FROM units u LEFT JOIN units p ON p.id = u.parent_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]*existingUnit{}
	for rows.Next() {
		var e existingUnit
		var code string
		var lng, lat *float64
		if err := rows.Scan(&e.id, &code, &e.kind, &e.parentCode, &e.path, &e.depth, &e.name, &e.unitType, &e.urbanRural, &lng, &lat, &e.townshipType); err != nil {
			return nil, err
		}
		e.lng, e.lat = lng, lat
		out[code] = &e
	}
	return out, rows.Err()
}

func sameFloat(a, b *float64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return math.Abs(*a-*b) < 1e-9
}

// unitSnapshot is what the audit trail records of an imported unit.
type unitSnapshot struct {
	Code           string   `json:"code"`
	Name           string   `json:"name"`
	Kind           string   `json:"kind"`
	UnitType       string   `json:"unit_type,omitempty"`
	UrbanRuralCode string   `json:"urban_rural_code,omitempty"`
	Lng            *float64 `json:"lng,omitempty"`
	Lat            *float64 `json:"lat,omitempty"`
}

func (s *Service) importRows(ctx context.Context, tx *store.Tx, actor access.Actor, rows []DivisionRow, bad []RowError, opt importOptions) (ImportResult, error) {
	existing, err := loadExisting(ctx, tx)
	if err != nil {
		return ImportResult{}, fmt.Errorf("import: read units: %w", err)
	}
	// Check every row against the file and the database.
	seen := map[string]int{}
	inFile := map[string]DivisionRow{}
	for _, r := range rows {
		if line, dup := seen[r.Code]; dup {
			bad = append(bad, RowError{Line: r.Line, Code: r.Code, Reason: fmt.Sprintf("代码重复（与第%d行相同）", line)})
			continue
		}
		seen[r.Code] = r.Line
		inFile[r.Code] = r
	}
	var good []DivisionRow
	for _, r := range rows {
		if seen[r.Code] != r.Line {
			continue
		}
		rank := levels[r.Level].rank
		if rank > 1 {
			parentRank := 0
			if p, ok := inFile[r.ParentCode]; ok {
				parentRank = levels[p.Level].rank
			} else if e, ok := existing[r.ParentCode]; ok {
				parentRank = kindRank(e.kind)
			} else {
				bad = append(bad, RowError{Line: r.Line, Code: r.Code, Reason: fmt.Sprintf("上级代码 %s 既不在文件中也不在系统中", r.ParentCode)})
				continue
			}
			if parentRank != rank-1 {
				bad = append(bad, RowError{Line: r.Line, Code: r.Code, Reason: fmt.Sprintf("上级 %s 不是%s单位", r.ParentCode, rankName(rank-1))})
				continue
			}
		}
		if e, ok := existing[r.Code]; ok {
			if e.parentCode != r.ParentCode {
				bad = append(bad, RowError{Line: r.Line, Code: r.Code, Reason: fmt.Sprintf("系统中该单位的上级为 %s，导入不能移动单位", e.parentCode)})
				continue
			}
			if kindRank(e.kind) != rank {
				bad = append(bad, RowError{Line: r.Line, Code: r.Code, Reason: fmt.Sprintf("系统中该单位为%s单位，不能改为%s", rankName(kindRank(e.kind)), rankName(rank))})
				continue
			}
		}
		good = append(good, r)
	}
	if len(bad) > 0 {
		sort.SliceStable(bad, func(i, j int) bool { return bad[i].Line < bad[j].Line })
		return ImportResult{}, &ImportError{Rows: bad}
	}
	if len(good) == 0 {
		return ImportResult{}, &ImportError{Rows: []RowError{{Line: 1, Reason: "文件中没有数据行"}}}
	}
	// Parents before children.
	sort.SliceStable(good, func(i, j int) bool { return levels[good[i].Level].rank < levels[good[j].Level].rank })
	res := ImportResult{InsertedByKind: map[string]int{}}
	var inserted []string
	type change struct {
		Before unitSnapshot `json:"before"`
		After  unitSnapshot `json:"after"`
	}
	var changes []change
	now := s.nowMillis()
	for _, r := range good {
		kind := r.Kind()
		if e, ok := existing[r.Code]; ok {
			if e.name == r.Name && e.kind == kind && e.unitType == r.UnitType && e.urbanRural == r.UrbanRuralCode && sameFloat(e.lng, r.Lng) && sameFloat(e.lat, r.Lat) {
				res.Unchanged++
				continue
			}
			_, err := tx.Exec(ctx, `UPDATE units SET name = ?, kind = ?, unit_type = ?, urban_rural_code = ?, lng = ?, lat = ?, updated_at = ? WHERE id = ?`,
				r.Name, kind, r.UnitType, r.UrbanRuralCode, r.Lng, r.Lat, now, e.id)
			if err != nil {
				return ImportResult{}, fmt.Errorf("import line %d: update %s: %w", r.Line, r.Code, err)
			}
			changes = append(changes, change{
				Before: unitSnapshot{r.Code, e.name, e.kind, e.unitType, e.urbanRural, e.lng, e.lat},
				After:  unitSnapshot{r.Code, r.Name, kind, r.UnitType, r.UrbanRuralCode, r.Lng, r.Lat},
			})
			res.Updated++
			continue
		}
		var parent *existingUnit
		if r.ParentCode != "" {
			parent = existing[r.ParentCode]
		}
		tt := ""
		switch kind {
		case KindStreet:
			tt = TownshipUrbanStreet
		case KindTownship:
			tt = TownshipGeneral
			if t, ok := opt.townshipTypes[r.Code]; ok {
				tt = t
			}
		}
		nu := newUnit{Code: r.Code, Name: r.Name, Kind: kind, UnitType: r.UnitType, TownshipType: tt,
			UrbanRuralCode: r.UrbanRuralCode, Lng: r.Lng, Lat: r.Lat}
		e, err := insertUnit(ctx, tx, parent, nu, now)
		if err != nil {
			return ImportResult{}, fmt.Errorf("import line %d: insert %s: %w", r.Line, r.Code, err)
		}
		existing[r.Code] = e
		if err := s.afterInsert(ctx, tx, r.Code, e, parent, now); err != nil {
			return ImportResult{}, fmt.Errorf("import line %d: %w", r.Line, err)
		}
		inserted = append(inserted, r.Code)
		res.Inserted++
		res.InsertedByKind[kind]++
	}
	err = audit.Write(ctx, tx, audit.Entry{
		Actor: actor, Action: "unit.import", Entity: "unit", EntityID: opt.source,
		After: map[string]any{"source": opt.source, "inserted": inserted, "updated": changes, "unchanged": res.Unchanged},
	})
	if err != nil {
		return ImportResult{}, err
	}
	return res, nil
}

// newUnit is a unit to insert.
type newUnit struct {
	Code, Name, Kind, UnitType, TownshipType, UrbanRuralCode string
	Lng, Lat                                                 *float64
	Boundary                                                 string
	BBox                                                     *BBox
	Demo                                                     bool
}

// insertUnit inserts a unit under parent (nil for a root) and sets its path.
func insertUnit(ctx context.Context, tx *store.Tx, parent *existingUnit, u newUnit, now int64) (*existingUnit, error) {
	var parentID any
	prefix, depth := "/", 0
	if parent != nil {
		parentID, prefix, depth = parent.id, parent.path, parent.depth+1
	}
	var minLng, minLat, maxLng, maxLat any
	if u.BBox != nil {
		minLng, minLat, maxLng, maxLat = u.BBox.MinLng, u.BBox.MinLat, u.BBox.MaxLng, u.BBox.MaxLat
	}
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO units (code, name, kind, parent_id, path, depth, unit_type, township_type, urban_rural_code,
		lng, lat, boundary, min_lng, min_lat, max_lng, max_lat, demo, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		u.Code, u.Name, u.Kind, parentID, "#"+u.Code, depth, u.UnitType, u.TownshipType, u.UrbanRuralCode,
		u.Lng, u.Lat, u.Boundary, minLng, minLat, maxLng, maxLat, store.BoolInt(u.Demo), now, now).Scan(&id)
	if err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, store.Conflictf("代码 %s 已被使用", u.Code)
		}
		return nil, err
	}
	p := prefix + strconv.FormatInt(id, 10) + "/"
	if _, err := tx.Exec(ctx, `UPDATE units SET path = ? WHERE id = ?`, p, id); err != nil {
		return nil, err
	}
	return &existingUnit{id: id, kind: u.Kind, path: p, depth: depth, name: u.Name, unitType: u.UnitType,
		urbanRural: u.UrbanRuralCode, lng: u.Lng, lat: u.Lat, townshipType: u.TownshipType}, nil
}

// afterInsert lays out a new unit: the township template, and its standing
// party organisation under the parent unit's.
func (s *Service) afterInsert(ctx context.Context, tx *store.Tx, code string, e *existingUnit, parent *existingUnit, now int64) error {
	if e.kind == KindTownship || e.kind == KindStreet {
		if err := applyTemplate(ctx, tx, e.id, e.kind); err != nil {
			return fmt.Errorf("template for %s: %w", code, err)
		}
	}
	kind, name := standingPartyOrg(e.kind, e.name)
	if kind == "" {
		return nil
	}
	var parentOrg *partyRef
	if parent != nil {
		ref, err := partyOrgOfUnit(ctx, tx, parent.id)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		parentOrg = ref
	}
	_, err := insertPartyOrg(ctx, tx, parentOrg, newPartyOrg{Code: code + "P", Name: name, Kind: kind, UnitID: e.id}, now)
	return err
}

// LoadSummary counts what the shipped divisions hold after LoadDivisions.
type LoadSummary struct {
	Counties, Townships, Villages, Departments int
	Result                                     ImportResult
}

// String is the line seedOrg prints.
func (l LoadSummary) String() string {
	return fmt.Sprintf("loaded %d county, %d township-level units, %d villages and communities, %d departments",
		l.Counties, l.Townships, l.Villages, l.Departments)
}

// LoadDivisions loads the shipped Pucheng divisions, the county departments
// and the township templates in one transaction. It is idempotent: units
// already present are updated, not duplicated.
func (s *Service) LoadDivisions(ctx context.Context) (LoadSummary, error) {
	rows, bad := ParseDivisions(bytes.NewReader(PuchengDivisions()))
	var sum LoadSummary
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		res, err := s.importRows(ctx, tx, access.System, rows, bad, importOptions{
			source: "pucheng-divisions.csv (NBS 2023)", townshipTypes: puchengTownshipTypes(),
		})
		if err != nil {
			return err
		}
		sum.Result = res
		if err := setCountyBoundary(ctx, tx, puchengCountyCode, puchengCountyBoundary()); err != nil {
			return err
		}
		return s.ensureDepartments(ctx, tx, puchengCountyCode, puchengDepartments())
	})
	if err != nil {
		return LoadSummary{}, fmt.Errorf("load divisions: %w", err)
	}
	counts := map[string]int{}
	if err := countInto(ctx, s.db, `SELECT kind, COUNT(*) FROM units GROUP BY kind`, nil, counts); err != nil {
		return LoadSummary{}, fmt.Errorf("load divisions: count: %w", err)
	}
	sum.Counties = counts[KindCounty]
	sum.Townships = counts[KindTownship] + counts[KindStreet]
	sum.Villages = counts[KindVillage] + counts[KindCommunity]
	sum.Departments = counts[KindDepartment]
	return sum, nil
}

// Empty reports whether no unit has been loaded yet.
func (s *Service) Empty(ctx context.Context) (bool, error) {
	var n int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM units`).Scan(&n); err != nil {
		return false, fmt.Errorf("count units: %w", err)
	}
	return n == 0, nil
}
