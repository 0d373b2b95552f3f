package org

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/store"
)

// puchengCountyCode is the code of the shipped county.
const puchengCountyCode = "350722000000"

// Department is a county department (县直部门), a unit of kind department
// under the county. Other areas rely on these codes (routing, supervision).
type Department struct {
	Code, Name string
}

// Codes of departments other areas address by role.
const (
	DeptSupervision  = "350722D000" // 县委督查室(县效能办): supervises overdue work
	DeptApproval     = "350722D001" // 县委编办: approves the power and access lists, keeps the staffing ledger
	DeptOrganisation = "350722D019" // 县委组织部: keeps the pairings (结对共建)
)

// puchengDepartments are the county departments loaded with the divisions.
func puchengDepartments() []Department {
	return []Department{
		{"350722D000", "县委督查室(县效能办)"},
		{"350722D001", "县委编办"},
		{"350722D002", "县住房和城乡建设局"},
		{"350722D003", "县城市管理和综合执法局"},
		{"350722D004", "南平市浦城生态环境局"},
		{"350722D005", "县交通运输局"},
		{"350722D006", "县教育局"},
		{"350722D007", "县人力资源和社会保障局"},
		{"350722D008", "县民政局"},
		{"350722D009", "县卫生健康局"},
		{"350722D010", "县市场监督管理局"},
		{"350722D011", "县自然资源局"},
		{"350722D012", "县公安局"},
		{"350722D013", "县农业农村局"},
		{"350722D014", "县水利局"},
		{"350722D015", "县文体和旅游局"},
		{"350722D016", "县应急管理局"},
		{"350722D017", "国网浦城县供电公司"},
		{"350722D018", "浦城县自来水公司"},
		{"350722D019", "县委组织部"},
	}
}

// puchengTownshipTypes gives the starting township type of Pucheng's larger
// towns. It is a starting point an administrator edits, not an official
// designation: the two streets are 城区街道, these towns 中心镇, the rest 一般乡镇.
func puchengTownshipTypes() map[string]string {
	return map[string]string{
		"350722101000": TownshipCentral, // 富岭镇
		"350722102000": TownshipCentral, // 石陂镇
		"350722104000": TownshipCentral, // 仙阳镇
		"350722105000": TownshipCentral, // 水北街镇
	}
}

// ensureDepartments inserts the departments missing under the county and
// renames those whose name differs.
func (s *Service) ensureDepartments(ctx context.Context, tx *store.Tx, countyCode string, depts []Department) error {
	existing, err := loadExisting(ctx, tx)
	if err != nil {
		return err
	}
	county, ok := existing[countyCode]
	if !ok {
		return fmt.Errorf("departments: county %s is not loaded", countyCode)
	}
	now := s.nowMillis()
	for _, d := range depts {
		if e, ok := existing[d.Code]; ok {
			if e.name != d.Name {
				if _, err := tx.Exec(ctx, `UPDATE units SET name = ?, updated_at = ? WHERE id = ?`, d.Name, now, e.id); err != nil {
					return fmt.Errorf("department %s: %w", d.Code, err)
				}
			}
			continue
		}
		_, err := insertUnit(ctx, tx, county, newUnit{Code: d.Code, Name: d.Name, Kind: KindDepartment, UnitType: "县直部门"}, now)
		if err != nil {
			return fmt.Errorf("department %s: %w", d.Code, err)
		}
		err = audit.Write(ctx, tx, audit.Entry{Actor: access.System, Action: "unit.create", Entity: "unit", EntityID: d.Code,
			After: map[string]string{"code": d.Code, "name": d.Name, "kind": KindDepartment}})
		if err != nil {
			return err
		}
	}
	return nil
}

// The functional modules of a township or street, in order.
const (
	ModuleParty        = "大党建"
	ModuleCoordination = "大协调"
	ModuleGovernance   = "大治理"
	ModuleEnforcement  = "大执法"
	ModuleEconomy      = "大经济(生态)"
	ModuleService      = "大服务"
)

// Institution kinds.
const (
	InstitutionOffice = "office"
	InstitutionTeam   = "team"
	InstitutionCentre = "centre"
)

type institutionTemplate struct {
	module, kind, name string
}

// moduleNames are the six modules, in order.
func moduleNames() []string {
	return []string{ModuleParty, ModuleCoordination, ModuleGovernance, ModuleEnforcement, ModuleEconomy, ModuleService}
}

// institutionTemplates lays out a township's "6 offices, 1 team, 2 centres" or
// a street's "5 offices, 1 team, 2 centres". The reform sets up a 党群工作办公室
// in each of the 17 townships and a 综合便民服务中心 in all 19 units; a street
// has no economic-development office but a city-management and ecology one.
func institutionTemplates(kind string) []institutionTemplate {
	if kind == KindStreet {
		return []institutionTemplate{
			{ModuleCoordination, InstitutionOffice, "党政综合办公室"},
			{ModuleParty, InstitutionOffice, "党建工作办公室"},
			{ModuleService, InstitutionOffice, "社会事务办公室"},
			{ModuleGovernance, InstitutionOffice, "平安建设办公室"},
			{ModuleEconomy, InstitutionOffice, "城市管理和生态环境办公室"},
			{ModuleEnforcement, InstitutionTeam, "综合执法队"},
			{ModuleParty, InstitutionCentre, "党群服务中心"},
			{ModuleService, InstitutionCentre, "综合便民服务中心"},
		}
	}
	return []institutionTemplate{
		{ModuleCoordination, InstitutionOffice, "党政综合办公室"},
		{ModuleParty, InstitutionOffice, "党群工作办公室"},
		{ModuleEconomy, InstitutionOffice, "经济发展办公室"},
		{ModuleService, InstitutionOffice, "社会事务办公室"},
		{ModuleGovernance, InstitutionOffice, "平安建设办公室"},
		{ModuleEconomy, InstitutionOffice, "自然资源和生态环境办公室"},
		{ModuleEnforcement, InstitutionTeam, "综合执法队"},
		{ModuleParty, InstitutionCentre, "党群服务中心"},
		{ModuleService, InstitutionCentre, "综合便民服务中心"},
	}
}

// applyTemplate creates the modules and institutions of a new township or
// street.
func applyTemplate(ctx context.Context, tx *store.Tx, unitID int64, kind string) error {
	moduleIDs := map[string]int64{}
	for i, m := range moduleNames() {
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO unit_modules (unit_id, name, sort) VALUES (?, ?, ?) RETURNING id`, unitID, m, i+1).Scan(&id); err != nil {
			return err
		}
		moduleIDs[m] = id
	}
	for i, inst := range institutionTemplates(kind) {
		if _, err := tx.Exec(ctx, `INSERT INTO institutions (unit_id, module_id, kind, name, sort) VALUES (?, ?, ?, ?, ?)`,
			unitID, moduleIDs[inst.module], inst.kind, inst.name, i+1); err != nil {
			return err
		}
	}
	return nil
}

// Module is one of a township's functional modules, with its institutions.
type Module struct {
	ID           int64
	UnitID       int64
	Name         string
	Institutions []Institution
}

// Institution is an office, team or centre of a township, in one module.
type Institution struct {
	ID       int64
	UnitID   int64
	ModuleID int64
	Kind     string // office, team, centre
	Name     string
}

// Modules returns a township's modules in order, each with its institutions.
// Units without modules return none.
func (s *Service) Modules(ctx context.Context, actor access.Actor, unitID int64) ([]Module, error) {
	if _, err := s.readableUnit(ctx, actor, unitID); err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT id, unit_id, name FROM unit_modules WHERE unit_id = ? ORDER BY sort, id`, unitID)
	if err != nil {
		return nil, fmt.Errorf("modules of unit %d: %w", unitID, err)
	}
	var mods []Module
	index := map[int64]int{}
	for rows.Next() {
		var m Module
		if err := rows.Scan(&m.ID, &m.UnitID, &m.Name); err != nil {
			rows.Close()
			return nil, err
		}
		index[m.ID] = len(mods)
		mods = append(mods, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	insts, err := s.Institutions(ctx, actor, unitID)
	if err != nil {
		return nil, err
	}
	for _, in := range insts {
		if i, ok := index[in.ModuleID]; ok {
			mods[i].Institutions = append(mods[i].Institutions, in)
		}
	}
	return mods, nil
}

// Institutions returns a township's institutions: offices, then the team,
// then the centres, in template order.
func (s *Service) Institutions(ctx context.Context, actor access.Actor, unitID int64) ([]Institution, error) {
	if _, err := s.readableUnit(ctx, actor, unitID); err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT id, unit_id, COALESCE(module_id, 0), kind, name FROM institutions WHERE unit_id = ? ORDER BY sort, id`, unitID)
	out, err := store.Collect(rows, err, scanInstitution)
	if err != nil {
		return nil, fmt.Errorf("institutions of unit %d: %w", unitID, err)
	}
	return out, nil
}

func scanInstitution(sc store.Scanner) (Institution, error) {
	var in Institution
	err := sc.Scan(&in.ID, &in.UnitID, &in.ModuleID, &in.Kind, &in.Name)
	return in, err
}

// checkName validates a new name for a unit, module or institution.
func checkName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", store.Invalid("名称不能为空")
	}
	if utf8.RuneCountInString(name) > 60 {
		return "", store.Invalid("名称过长（最多60字）")
	}
	return name, nil
}

// editableUnit loads a unit an administrator may change: one in their own
// subtree (county-wide administrators: any).
func (s *Service) editableUnit(ctx context.Context, actor access.Actor, unitID int64) (Unit, error) {
	u, err := s.UnitByID(ctx, unitID)
	if err != nil {
		return Unit{}, err
	}
	if !CanEdit(actor, u) {
		return Unit{}, store.Forbiddenf("只有%s所属范围内的系统管理员可以修改它", u.Name)
	}
	return u, nil
}

// RenameUnit changes a unit's name (administrators of its subtree).
func (s *Service) RenameUnit(ctx context.Context, actor access.Actor, unitID int64, name string) error {
	name, err := checkName(name)
	if err != nil {
		return err
	}
	u, err := s.editableUnit(ctx, actor, unitID)
	if err != nil {
		return err
	}
	if u.Name == name {
		return nil
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE units SET name = ?, updated_at = ? WHERE id = ?`, name, s.nowMillis(), unitID); err != nil {
			return fmt.Errorf("rename unit %s: %w", u.Code, err)
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "unit.rename", Entity: "unit", EntityID: u.Code,
			Before: map[string]string{"name": u.Name}, After: map[string]string{"name": name}})
	})
}

// SetTownshipType sets the type of a township or street (county-wide
// administrators only: the type decides which power lists apply).
func (s *Service) SetTownshipType(ctx context.Context, actor access.Actor, unitID int64, townshipType string) error {
	townshipType = strings.TrimSpace(townshipType)
	valid := false
	for _, t := range TownshipTypes() {
		valid = valid || t == townshipType
	}
	if !valid {
		return store.Invalidf("乡镇类型应为：%s", strings.Join(TownshipTypes(), "、"))
	}
	u, err := s.UnitByID(ctx, unitID)
	if err != nil {
		return err
	}
	if !actor.Has(access.RoleAdmin) || !actor.CountyWide() {
		return store.Forbidden("只有县级系统管理员可以修改乡镇类型")
	}
	if !u.IsTownshipLevel() {
		return store.Invalidf("%s不是乡镇或街道，没有乡镇类型", u.Name)
	}
	if u.TownshipType == townshipType {
		return nil
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE units SET township_type = ?, updated_at = ? WHERE id = ?`, townshipType, s.nowMillis(), unitID); err != nil {
			return fmt.Errorf("set township type of %s: %w", u.Code, err)
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "unit.township_type", Entity: "unit", EntityID: u.Code,
			Before: map[string]string{"township_type": u.TownshipType}, After: map[string]string{"township_type": townshipType}})
	})
}

// RenameInstitution changes an institution's name (administrators of its
// township's subtree). Names are unique within a township.
func (s *Service) RenameInstitution(ctx context.Context, actor access.Actor, institutionID int64, name string) error {
	return s.renameChild(ctx, actor, "institutions", "institution", institutionID, name)
}

// RenameModule changes a module's name (administrators of its township's
// subtree). Names are unique within a township.
func (s *Service) RenameModule(ctx context.Context, actor access.Actor, moduleID int64, name string) error {
	return s.renameChild(ctx, actor, "unit_modules", "module", moduleID, name)
}

func (s *Service) renameChild(ctx context.Context, actor access.Actor, table, entity string, id int64, name string) error {
	name, err := checkName(name)
	if err != nil {
		return err
	}
	var unitID int64
	var old string
	err = s.db.QueryRow(ctx, `SELECT unit_id, name FROM `+table+` WHERE id = ?`, id).Scan(&unitID, &old)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return store.NotFound("找不到该机构或模块")
		}
		return fmt.Errorf("rename %s %d: %w", entity, id, err)
	}
	u, err := s.editableUnit(ctx, actor, unitID)
	if err != nil {
		return err
	}
	if old == name {
		return nil
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE `+table+` SET name = ? WHERE id = ?`, name, id); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return store.Conflictf("%s已有名为“%s”的机构或模块", u.Name, name)
			}
			return fmt.Errorf("rename %s %d: %w", entity, id, err)
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: entity + ".rename", Entity: entity, EntityID: fmt.Sprint(id),
			Before: map[string]string{"unit": u.Code, "name": old}, After: map[string]string{"unit": u.Code, "name": name}})
	})
}

// EnsureDepartments inserts the departments missing under the county
// countyCode and renames those whose name differs (the demo's county
// organisation department, internal/demo).
func (s *Service) EnsureDepartments(ctx context.Context, countyCode string, depts []Department) error {
	return s.db.InTx(ctx, func(tx *store.Tx) error { return s.ensureDepartments(ctx, tx, countyCode, depts) })
}
