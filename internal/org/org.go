// Package org owns the organisation network: administrative units and party
// organisations as two linked trees, township modules and institutions, and
// the people who hold roles in them (grid workers, building and street
// leaders, party members, cadres), whose personal data it seals with pii.
//
// Both trees keep a materialised path of ids ("/1/5/78/"), so a subtree is one
// index range scan on either engine. Scope follows the tree: a user reads the
// units of their own subtree; county-level users (the county and its
// departments) read the whole network.
package org

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/pii"
	"grassroots/internal/store"
)

// Unit kinds.
const (
	KindProvince   = "province"
	KindCity       = "city"
	KindCounty     = "county"
	KindStreet     = "street"   // 街道
	KindTownship   = "township" // 镇, 乡
	KindCommunity  = "community"
	KindVillage    = "village"
	KindGrid       = "grid"
	KindBuilding   = "building" // a building or a lane (街巷); UnitType says which
	KindDepartment = "department"
)

// Township types: the power and responsibility lists differ by type.
const (
	TownshipUrbanStreet = "城区街道"
	TownshipCentral     = "中心镇"
	TownshipGeneral     = "一般乡镇"
)

// TownshipTypes lists the township types an administrator may choose.
func TownshipTypes() []string {
	return []string{TownshipUrbanStreet, TownshipCentral, TownshipGeneral}
}

// Service is the organisation network's domain API.
type Service struct {
	db     *store.DB
	sealer *pii.Sealer
	now    func() time.Time
}

// NewService returns the organisation service over db. sealer seals personal
// data; it may be nil for commands that never touch people (the import).
func NewService(db *store.DB, sealer *pii.Sealer) *Service {
	return &Service{db: db, sealer: sealer, now: time.Now}
}

// Sealer returns the personal-data sealer, for other areas (cases) that store
// phone numbers too.
func (s *Service) Sealer() *pii.Sealer { return s.sealer }

// Unit is an administrative unit, a county department, a grid or a building.
type Unit struct {
	ID         int64
	Code       string
	Name       string
	Kind       string
	ParentID   int64 // 0 for a root
	ParentCode string
	// Path is the materialised path of ids, "/1/2/3/".
	Path  string
	Depth int
	// UnitType is the NBS type (街道, 镇, 乡, 村委会, 居委会(社区) ...), or 楼栋 /
	// 街巷 for buildings, 县直部门 for departments.
	UnitType       string
	TownshipType   string // townships and streets only
	UrbanRuralCode string
	// Lng and Lat are the centre point in GCJ-02, as Chinese map services and
	// the NBS divisions file give it; nil when unknown.
	Lng, Lat *float64
	// Boundary is a GeoJSON geometry in WGS-84 (grids), or "".
	Boundary string
	Demo     bool
}

// IsTownshipLevel reports whether u is a township or a street.
func (u Unit) IsTownshipLevel() bool { return u.Kind == KindTownship || u.Kind == KindStreet }

// IsVillageLevel reports whether u is a village or a community.
func (u Unit) IsVillageLevel() bool { return u.Kind == KindVillage || u.Kind == KindCommunity }

// unitCols are the columns scanUnit reads, from units u joined to its parent p.
const unitCols = `u.id, u.code, u.name, u.kind, COALESCE(u.parent_id, 0), COALESCE(p.code, ''), u.path, u.depth,
	u.unit_type, u.township_type, u.urban_rural_code, u.lng, u.lat, u.boundary, u.demo`

const unitFrom = ` FROM units u LEFT JOIN units p ON p.id = u.parent_id`

func scanUnit(sc store.Scanner) (Unit, error) {
	var u Unit
	var lng, lat sql.NullFloat64
	var demo int
	err := sc.Scan(&u.ID, &u.Code, &u.Name, &u.Kind, &u.ParentID, &u.ParentCode, &u.Path, &u.Depth,
		&u.UnitType, &u.TownshipType, &u.UrbanRuralCode, &lng, &lat, &u.Boundary, &demo)
	if err != nil {
		return Unit{}, err
	}
	if lng.Valid && lat.Valid {
		u.Lng, u.Lat = &lng.Float64, &lat.Float64
	}
	u.Demo = demo != 0
	return u, nil
}

func scanUnits(rows *sql.Rows, err error) ([]Unit, error) {
	return store.Collect(rows, err, scanUnit)
}

// readsAll reports whether the actor reads the whole network: county-wide
// users, and county departments, which work with every township.
func readsAll(a access.Actor) bool {
	return a.CountyWide() || (!a.Anonymous() && a.UnitKind == KindDepartment && a.UnitPath != "")
}

// canRead reports whether the actor may read a unit with path p.
func canRead(a access.Actor, p string) bool { return readsAll(a) || a.SeesPath(p) }

// ReadsAll reports whether the actor reads the whole organisation network:
// county-wide users and the staff of county departments.
func ReadsAll(a access.Actor) bool { return readsAll(a) }

// CanRead reports whether the actor may read a unit.
func CanRead(a access.Actor, u Unit) bool { return canRead(a, u.Path) }

// CanEdit reports whether the actor may rename the unit and its modules and
// institutions (an administrator whose subtree holds it).
func CanEdit(a access.Actor, u Unit) bool { return a.Has(access.RoleAdmin) && a.SeesPath(u.Path) }

// scopeFilter is access.SubtreeFilter widened for departments (see readsAll).
func scopeFilter(a access.Actor, column string) (string, []any) {
	if readsAll(a) {
		return "1=1", nil
	}
	return a.SubtreeFilter(column)
}

func forbiddenUnit(a access.Actor, u Unit) error {
	if a.Anonymous() {
		return store.Forbidden("请先登录")
	}
	return store.Forbiddenf("无权查看%s（%s）：它不在您所在单位%s的管辖范围内", u.Name, u.Code, a.UnitName)
}

// UnitByCode returns the unit with code, if the actor may read it.
func (s *Service) UnitByCode(ctx context.Context, actor access.Actor, code string) (Unit, error) {
	code = strings.TrimSpace(code)
	u, err := scanUnit(s.db.QueryRow(ctx, `SELECT `+unitCols+unitFrom+` WHERE u.code = ?`, code))
	if errors.Is(err, store.ErrNotFound) {
		return Unit{}, store.NotFoundf("找不到代码为 %s 的单位", code)
	}
	if err != nil {
		return Unit{}, fmt.Errorf("unit %s: %w", code, err)
	}
	if !canRead(actor, u.Path) {
		return Unit{}, forbiddenUnit(actor, u)
	}
	return u, nil
}

// UnitByID returns the unit with id without checking scope, for internal use
// by other domain packages that have checked it themselves.
func (s *Service) UnitByID(ctx context.Context, id int64) (Unit, error) {
	return unitByID(ctx, s.db, id)
}

func unitByID(ctx context.Context, q interface {
	QueryRow(ctx context.Context, query string, args ...any) *store.Row
}, id int64) (Unit, error) {
	u, err := scanUnit(q.QueryRow(ctx, `SELECT `+unitCols+unitFrom+` WHERE u.id = ?`, id))
	if errors.Is(err, store.ErrNotFound) {
		return Unit{}, store.NotFoundf("找不到编号为 %d 的单位", id)
	}
	if err != nil {
		return Unit{}, fmt.Errorf("unit %d: %w", id, err)
	}
	return u, nil
}

// readableUnit loads a unit by id and checks the actor may read it.
func (s *Service) readableUnit(ctx context.Context, actor access.Actor, id int64) (Unit, error) {
	u, err := s.UnitByID(ctx, id)
	if err != nil {
		return Unit{}, err
	}
	if !canRead(actor, u.Path) {
		return Unit{}, forbiddenUnit(actor, u)
	}
	return u, nil
}

// Children returns the direct children of a unit, ordered by code.
func (s *Service) Children(ctx context.Context, actor access.Actor, unitID int64) ([]Unit, error) {
	if _, err := s.readableUnit(ctx, actor, unitID); err != nil {
		return nil, err
	}
	us, err := scanUnits(s.db.Query(ctx, `SELECT `+unitCols+unitFrom+` WHERE u.parent_id = ? ORDER BY u.sort, u.code`, unitID))
	if err != nil {
		return nil, fmt.Errorf("children of unit %d: %w", unitID, err)
	}
	return us, nil
}

// PathIDs returns the ids of a materialised path, root first.
func PathIDs(p string) []int64 {
	var ids []int64
	for _, part := range strings.Split(strings.Trim(p, "/"), "/") {
		if id, err := strconv.ParseInt(part, 10, 64); err == nil {
			ids = append(ids, id)
		}
	}
	return ids
}

// Ancestors returns the units above unitID, root first, without the unit
// itself. Scope is not checked: a breadcrumb may name units the actor cannot
// open (the caller decides what to link).
func (s *Service) Ancestors(ctx context.Context, unitID int64) ([]Unit, error) {
	u, err := s.UnitByID(ctx, unitID)
	if err != nil {
		return nil, err
	}
	ids := PathIDs(u.Path)
	if len(ids) <= 1 {
		return nil, nil
	}
	ids = ids[:len(ids)-1]
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	us, err := scanUnits(s.db.Query(ctx, `SELECT `+unitCols+unitFrom+` WHERE u.id IN (`+placeholders(len(ids))+`) ORDER BY u.depth`, args...))
	if err != nil {
		return nil, fmt.Errorf("ancestors of unit %d: %w", unitID, err)
	}
	return us, nil
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// escapeLike escapes the LIKE wildcards of s for `LIKE ? ESCAPE '\'`.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// Search finds units in the actor's scope whose name contains q or whose code
// starts with q, exact code first, then higher levels first. limit is capped
// at 200 (default 50).
func (s *Service) Search(ctx context.Context, actor access.Actor, q string, limit int) ([]Unit, error) {
	return s.SearchKind(ctx, actor, q, "", limit)
}

// SearchKind is Search restricted to one kind ("" for all); with an empty q it
// lists the kind.
func (s *Service) SearchKind(ctx context.Context, actor access.Actor, q, kind string, limit int) ([]Unit, error) {
	q = strings.TrimSpace(q)
	if limit <= 0 {
		limit = 50
	}
	if limit > 200 {
		limit = 200
	}
	if q == "" && kind == "" {
		return nil, nil
	}
	if actor.Anonymous() {
		return nil, store.Forbidden("请先登录")
	}
	filter, args := scopeFilter(actor, "u.path")
	where := []string{filter}
	if q != "" {
		where = append(where, `(u.name LIKE ? ESCAPE '\' OR u.code LIKE ? ESCAPE '\')`)
		args = append(args, "%"+escapeLike(q)+"%", escapeLike(q)+"%")
	}
	if kind != "" {
		where = append(where, `u.kind = ?`)
		args = append(args, kind)
	}
	args = append(args, q, limit)
	us, err := scanUnits(s.db.Query(ctx, `SELECT `+unitCols+unitFrom+` WHERE `+strings.Join(where, " AND ")+`
		ORDER BY CASE WHEN u.code = ? THEN 0 ELSE 1 END, u.depth, u.code LIMIT ?`, args...))
	if err != nil {
		return nil, fmt.Errorf("search units %q: %w", q, err)
	}
	return us, nil
}

// ByKind returns every unit of a kind, ordered by code (for pickers: all
// departments, all townships). Scope is not checked.
func (s *Service) ByKind(ctx context.Context, kind string) ([]Unit, error) {
	us, err := scanUnits(s.db.Query(ctx, `SELECT `+unitCols+unitFrom+` WHERE u.kind = ? ORDER BY u.sort, u.code`, kind))
	if err != nil {
		return nil, fmt.Errorf("units of kind %s: %w", kind, err)
	}
	return us, nil
}

// TownshipOf returns the township or street that unitID lies in (or is).
// It returns ErrNotFound for units above or beside townships (the county, a
// department).
func (s *Service) TownshipOf(ctx context.Context, unitID int64) (Unit, error) {
	u, err := s.UnitByID(ctx, unitID)
	if err != nil {
		return Unit{}, err
	}
	if u.IsTownshipLevel() {
		return u, nil
	}
	ancestors, err := s.Ancestors(ctx, unitID)
	if err != nil {
		return Unit{}, err
	}
	for _, a := range ancestors {
		if a.IsTownshipLevel() {
			return a, nil
		}
	}
	return Unit{}, store.NotFoundf("%s不属于任何乡镇（街道）", u.Name)
}

// County returns the county unit (the first one loaded, when several counties
// have been imported).
func (s *Service) County(ctx context.Context) (Unit, error) {
	u, err := scanUnit(s.db.QueryRow(ctx, `SELECT `+unitCols+unitFrom+` WHERE u.kind = ? ORDER BY u.id LIMIT 1`, KindCounty))
	if errors.Is(err, store.ErrNotFound) {
		return Unit{}, store.NotFound("尚未载入县级区划")
	}
	if err != nil {
		return Unit{}, fmt.Errorf("county: %w", err)
	}
	return u, nil
}

// Counts summarises a unit's subtree.
type Counts struct {
	// Children counts the direct children by kind.
	Children map[string]int
	// Subtree counts every unit below (not the unit itself) by kind.
	Subtree map[string]int
	// PartyOrgs counts party organisations tied to units of the subtree
	// (the unit included), by kind.
	PartyOrgs map[string]int
	// People counts people tied to units of the subtree (the unit included),
	// by role.
	People map[string]int
}

// Grids is the number of grids in the subtree (or 1 for a grid).
func (c Counts) Grids() int { return c.Subtree[KindGrid] }

// PartyGroups is the number of building/street party groups in the subtree.
func (c Counts) PartyGroups() int { return c.PartyOrgs[PartyGroup] }

// TotalPeople is the number of people in the subtree.
func (c Counts) TotalPeople() int {
	n := 0
	for _, v := range c.People {
		n += v
	}
	return n
}

// Counts returns the children by kind, the units of the subtree by kind, the
// party organisations and the people by role in the subtree of unitID.
// Scope is not checked (callers have loaded the unit through a checked call).
func (s *Service) Counts(ctx context.Context, unitID int64) (Counts, error) {
	u, err := s.UnitByID(ctx, unitID)
	if err != nil {
		return Counts{}, err
	}
	c := Counts{Children: map[string]int{}, Subtree: map[string]int{}, PartyOrgs: map[string]int{}, People: map[string]int{}}
	lo, hi := access.PathRange(u.Path)
	queries := []struct {
		sql  string
		args []any
		into map[string]int
	}{
		{`SELECT kind, COUNT(*) FROM units WHERE parent_id = ? GROUP BY kind`, []any{unitID}, c.Children},
		{`SELECT kind, COUNT(*) FROM units WHERE path > ? AND path < ? GROUP BY kind`, []any{lo, hi}, c.Subtree},
		{`SELECT o.kind, COUNT(*) FROM party_orgs o JOIN units u ON u.id = o.unit_id WHERE u.path >= ? AND u.path < ? GROUP BY o.kind`, []any{lo, hi}, c.PartyOrgs},
		{`SELECT p.role, COUNT(*) FROM people p JOIN units u ON u.id = p.unit_id WHERE u.path >= ? AND u.path < ? GROUP BY p.role`, []any{lo, hi}, c.People},
	}
	for _, q := range queries {
		if err := countInto(ctx, s.db, q.sql, q.args, q.into); err != nil {
			return Counts{}, fmt.Errorf("counts of unit %d: %w", unitID, err)
		}
	}
	if u.Kind == KindGrid {
		c.Subtree[KindGrid]++
	}
	return c, nil
}

func countInto(ctx context.Context, db *store.DB, query string, args []any, into map[string]int) error {
	rows, err := db.Query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return err
		}
		into[k] = n
	}
	return rows.Err()
}

// CountSubtree returns the number of units strictly below unitID: one index
// range scan over the materialised paths.
func (s *Service) CountSubtree(ctx context.Context, unitID int64) (int, error) {
	u, err := s.UnitByID(ctx, unitID)
	if err != nil {
		return 0, err
	}
	lo, hi := access.PathRange(u.Path)
	var n int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM units WHERE path > ? AND path < ?`, lo, hi).Scan(&n); err != nil {
		return 0, fmt.Errorf("count subtree of unit %d: %w", unitID, err)
	}
	return n, nil
}

func (s *Service) nowMillis() int64 { return store.Millis(s.now()) }
