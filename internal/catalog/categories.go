package catalog

// The category tree (categories table): the GB/T 47678.5 管理部件 and 管理事项
// with the county's own 民生诉求, the category → department table, and the
// county administrators' changes to them. The case engine reads the table
// directly at intake (is the code known and in use, its name).

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"unicode/utf8"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/org"
	"grassroots/internal/store"
)

// gbt476785 is GB/T 47678.5-2026 《城市运行管理服务平台 第5部分：管理部件和事项》:
// 管理部件 and 管理事项 with 5-digit codes (2-digit major class + 3-digit minor).
//
//go:embed data/gbt47678.5-2026-parts-and-matters.csv
var gbt476785 []byte

// Category kinds.
const (
	KindParts      = "管理部件"
	KindMatters    = "管理事项"
	KindLivelihood = "民生诉求"
)

// kindPrefix makes the standard's codes unique across its two trees (both
// number from 01001): B for 部件, S for 事项; local categories use L.
var kindPrefix = map[string]string{KindParts: "B", KindMatters: "S", KindLivelihood: "L"}

// defaultDepartments proposes the responsible county department of the
// standard's major classes (by their 2-digit code), when that department
// exists: 市政公用设施 and 施工管理 → 住建局 (D002); 交通设施 → 交通运输局
// (D005); 市容环卫、园林绿化、市容环境、宣传广告、街面秩序 and the rest → 城市管理和
// 综合执法局 (D003). Administrators change them with SetCategoryDepartment.
var defaultDepartments = map[string]string{
	"01": "D002", "02": "D005", "03": "D003", "04": "D003", "05": "D003",
	"06": "D003", "07": "D003", "08": "D002", "09": "D003", "10": "D003",
}

// Category is a node of the category tree.
type Category struct {
	ID         int64      `json:"-"`
	Code       string     `json:"code"`
	StdCode    string     `json:"std_code,omitempty"`
	Name       string     `json:"name"`
	Kind       string     `json:"kind"`
	Source     string     `json:"source,omitempty"`
	ParentID   int64      `json:"-"`
	ParentCode string     `json:"parent_code,omitempty"`
	DeptCode   string     `json:"dept_code,omitempty"`
	DeptName   string     `json:"dept_name,omitempty"`
	Active     bool       `json:"active"`
	Children   []Category `json:"children,omitempty"`
}

// SettingDepartmentsSeeded records that the default category → department
// proposals were applied once (so an administrator's clearing sticks).
const SettingDepartmentsSeeded = "casework.category_departments_seeded"

// SeedCategories loads the GB/T 47678.5-2026 categories into an empty categories
// table, as a tree kind (B 管理部件 / S 管理事项) → major (B01) → minor
// (B01001), with the root of people's-livelihood categories (L 民生诉求) for
// administrators to fill. Once the county departments exist it proposes, a
// single time, the responsible department of each major class
// (defaultDepartments). It is safe to call at every start.
func (s *Service) SeedCategories(ctx context.Context) error {
	var n int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM categories`).Scan(&n); err != nil {
		return fmt.Errorf("count categories: %w", err)
	}
	if n == 0 {
		if err := s.seedCategories(ctx); err != nil {
			return err
		}
	}
	return s.seedDepartments(ctx)
}

func (s *Service) seedCategories(ctx context.Context) error {
	r := csv.NewReader(bytes.NewReader(gbt476785))
	header, err := r.Read()
	if err != nil {
		return fmt.Errorf("read categories: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	for _, h := range []string{"standard", "kind", "major_code", "major_name", "code", "name"} {
		if _, ok := col[h]; !ok {
			return fmt.Errorf("categories file lacks column %s", h)
		}
	}
	now := store.Millis(s.now())
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		ids := map[string]int64{}
		insert := func(code, std, name, kind, source string, parent int64, sort int) error {
			var id int64
			err := tx.QueryRow(ctx, `INSERT INTO categories (code, std_code, name, parent_id, kind, source, sort, created_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, code, std, name, store.NullID(parent), kind, source, sort, now).Scan(&id)
			if err != nil {
				return fmt.Errorf("insert category %s: %w", code, err)
			}
			ids[code] = id
			return nil
		}
		for i, kind := range []string{KindParts, KindMatters, KindLivelihood} {
			if err := insert(kindPrefix[kind], "", kind, kind, "", 0, i); err != nil {
				return err
			}
		}
		sort := 0
		for {
			rec, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				return fmt.Errorf("read categories: %w", err)
			}
			kind, major := rec[col["kind"]], rec[col["major_code"]]
			p, ok := kindPrefix[kind]
			if !ok {
				return fmt.Errorf("categories file: unknown kind %q", kind)
			}
			sort++
			majorCode := p + major
			if _, ok := ids[majorCode]; !ok {
				if err := insert(majorCode, major, rec[col["major_name"]], kind, rec[col["standard"]], ids[p], sort); err != nil {
					return err
				}
			}
			code := rec[col["code"]]
			if err := insert(p+code, code, rec[col["name"]], kind, rec[col["standard"]], ids[majorCode], sort); err != nil {
				return err
			}
		}
		return nil
	})
}

// seedDepartments applies defaultDepartments once the county's departments
// exist, and never again.
func (s *Service) seedDepartments(ctx context.Context) error {
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		var done int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM settings WHERE key = ?`, SettingDepartmentsSeeded).Scan(&done); err != nil {
			return fmt.Errorf("read settings: %w", err)
		}
		if done > 0 {
			return nil
		}
		c, err := org.CountyRef(ctx, tx)
		county := c.Code
		if isNotFound(err) {
			return nil // no county yet: try again at the next start
		}
		if err != nil {
			return fmt.Errorf("county unit: %w", err)
		}
		cc := county
		if len(cc) >= 6 {
			cc = cc[:6] // the county's 6-digit prefix of its units' codes
		}
		applied := 0
		for major, suffix := range defaultDepartments {
			u, err := s.unitByCode(ctx, tx, cc+suffix)
			if isNotFound(err) {
				continue
			}
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE categories SET dept_unit_id = ? WHERE dept_unit_id IS NULL AND source <> '' AND substr(std_code, 1, 2) = ?`, u.ID, major); err != nil {
				return fmt.Errorf("propose departments: %w", err)
			}
			applied++
		}
		if applied == 0 {
			return nil
		}
		if _, err := tx.Exec(ctx, `INSERT INTO settings (key, value, updated_at, updated_by) VALUES (?, '1', ?, 'system')`, SettingDepartmentsSeeded, store.Millis(s.now())); err != nil {
			return fmt.Errorf("record departments seeded: %w", err)
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: access.System, Action: "category.departments.seed", Entity: "category", EntityID: "*",
			After: defaultDepartments})
	})
}

// Categories returns the category tree (active and inactive), roots first in
// their order.
func (s *Service) Categories(ctx context.Context) ([]Category, error) {
	rows, err := s.db.Query(ctx, `SELECT c.id, c.code, c.std_code, c.name, c.kind, c.source, COALESCE(c.parent_id, 0), COALESCE(p.code, ''),
		COALESCE(d.code, ''), COALESCE(d.name, ''), c.active
		FROM categories c LEFT JOIN categories p ON p.id = c.parent_id LEFT JOIN units d ON d.id = c.dept_unit_id
		ORDER BY c.sort, c.code`)
	if err != nil {
		return nil, fmt.Errorf("list categories: %w", err)
	}
	defer rows.Close()
	var all []Category
	for rows.Next() {
		var c Category
		var active int
		if err := rows.Scan(&c.ID, &c.Code, &c.StdCode, &c.Name, &c.Kind, &c.Source, &c.ParentID, &c.ParentCode, &c.DeptCode, &c.DeptName, &active); err != nil {
			return nil, fmt.Errorf("list categories: %w", err)
		}
		c.Active = active == 1
		all = append(all, c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	children := map[int64][]int{}
	var roots []int
	for i, c := range all {
		if c.ParentID == 0 {
			roots = append(roots, i)
		} else {
			children[c.ParentID] = append(children[c.ParentID], i)
		}
	}
	var build func(i int) Category
	build = func(i int) Category {
		c := all[i]
		for _, j := range children[c.ID] {
			c.Children = append(c.Children, build(j))
		}
		return c
	}
	out := make([]Category, 0, len(roots))
	for _, i := range roots {
		out = append(out, build(i))
	}
	return out, nil
}

// NewCategory is a category an administrator adds.
type NewCategory struct {
	Code       string `json:"code"`
	Name       string `json:"name"`
	ParentCode string `json:"parent_code"`
	DeptCode   string `json:"dept_code,omitempty"`
}

var categoryCode = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,32}$`)

// AddCategory adds a people's-livelihood category (民生诉求) under
// ParentCode (default: the 民生诉求 root, L). County-level administrators
// only, since categories are the county's; audited.
func (s *Service) AddCategory(ctx context.Context, actor access.Actor, in NewCategory) (Category, error) {
	if !mayEditCategories(actor) {
		return Category{}, store.Forbidden("只有县级系统管理员可以维护问题分类")
	}
	in.Code, in.Name = strings.TrimSpace(in.Code), strings.TrimSpace(in.Name)
	if in.ParentCode == "" {
		in.ParentCode = kindPrefix[KindLivelihood]
	}
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 60 {
		return Category{}, store.Invalid("分类名称必填，且不超过60字")
	}
	if !categoryCode.MatchString(in.Code) {
		return Category{}, store.Invalid("分类编码只能由字母、数字、点、横线和下划线组成（1至32位）")
	}
	var out Category
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := lockCategories(ctx, tx); err != nil {
			return err
		}
		var parentID int64
		var kind string
		var parentActive int
		if err := tx.QueryRow(ctx, `SELECT id, kind, active FROM categories WHERE code = ?`, in.ParentCode).Scan(&parentID, &kind, &parentActive); err != nil {
			if isNotFound(err) {
				return store.Invalidf("找不到上级分类 %s", in.ParentCode)
			}
			return err
		}
		if kind != KindLivelihood {
			return store.Invalid("国家标准分类不能增加下级，请在“民生诉求”下增加")
		}
		if parentActive != 1 {
			return store.Invalidf("上级分类 %s 已停用，请先启用它，或另选上级分类", in.ParentCode)
		}
		var dept int64
		if in.DeptCode != "" {
			var err error
			if dept, err = s.categoryDepartment(ctx, tx, in.DeptCode); err != nil {
				return err
			}
		}
		var id int64
		err := tx.QueryRow(ctx, `INSERT INTO categories (code, name, parent_id, kind, source, dept_unit_id, sort, created_at)
			VALUES (?, ?, ?, ?, '', ?, (SELECT COALESCE(MAX(sort), 0) + 1 FROM categories), ?) RETURNING id`,
			in.Code, in.Name, parentID, KindLivelihood, store.NullID(dept), store.Millis(s.now())).Scan(&id)
		if err != nil {
			if errors.Is(err, store.ErrConflict) {
				return store.Conflictf("分类编码 %s 已存在", in.Code)
			}
			return fmt.Errorf("add category: %w", err)
		}
		out = Category{ID: id, Code: in.Code, Name: in.Name, Kind: KindLivelihood, ParentID: parentID, ParentCode: in.ParentCode, DeptCode: in.DeptCode, Active: true}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "category.create", Entity: "category", EntityID: in.Code, After: in})
	})
	return out, err
}

// SetCategoryDepartment sets the county department a category proposes as
// responsible (the category → unit table, until the power lists route);
// deptCode "" clears it. County-level administrators only; audited.
func (s *Service) SetCategoryDepartment(ctx context.Context, actor access.Actor, code, deptCode string) error {
	if !mayEditCategories(actor) {
		return store.Forbidden("只有县级系统管理员可以设置分类的责任部门")
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		var id int64
		var before string
		err := tx.QueryRow(ctx, `SELECT c.id, COALESCE(u.code, '') FROM categories c LEFT JOIN units u ON u.id = c.dept_unit_id WHERE c.code = ?`, code).Scan(&id, &before)
		if err != nil {
			if isNotFound(err) {
				return store.NotFoundf("找不到分类 %s", code)
			}
			return err
		}
		var dept int64
		if deptCode != "" {
			var err error
			if dept, err = s.categoryDepartment(ctx, tx, deptCode); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE categories SET dept_unit_id = ? WHERE id = ?`, store.NullID(dept), id); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "category.department", Entity: "category", EntityID: code,
			Before: map[string]string{"dept_code": before}, After: map[string]string{"dept_code": deptCode}})
	})
}

// RenameCategory renames a people's-livelihood category (民生诉求); the
// GB/T 47678.5 categories keep the standard's names, and the 民生诉求 root
// its kind's. The cases filed under the category show the new name.
// County-level administrators only; audited.
func (s *Service) RenameCategory(ctx context.Context, actor access.Actor, code, name string) error {
	if !mayEditCategories(actor) {
		return store.Forbidden("只有县级系统管理员可以维护问题分类")
	}
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 60 {
		return store.Invalid("分类名称必填，且不超过60字")
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		c, err := categoryForChange(ctx, tx, code)
		if err != nil {
			return err
		}
		if c.Kind != KindLivelihood {
			return store.Invalidf("%s“%s”是国家标准 GB/T 47678.5 的分类，名称不能更改；只有民生诉求分类可以改名", code, c.Name)
		}
		if c.ParentID == 0 {
			return store.Invalidf("“%s”是分类的根，不能改名", c.Name)
		}
		if c.Name == name {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE categories SET name = ? WHERE id = ?`, name, c.ID); err != nil {
			return fmt.Errorf("rename category %s: %w", code, err)
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "category.rename", Entity: "category", EntityID: code,
			Before: map[string]string{"name": c.Name}, After: map[string]string{"name": name}})
	})
}

// subtreeOf is the category with the given id and every category under it,
// as the table sub(id), to prefix a query with.
const subtreeOf = `WITH RECURSIVE sub(id) AS (
		SELECT id FROM categories WHERE id = ?
		UNION ALL
		SELECT k.id FROM categories k JOIN sub ON k.parent_id = sub.id)`

// SetCategoryActive takes a category out of use (active false) or back into
// it. An inactive category is neither offered nor accepted for new cases;
// the cases already filed under it keep it and show it. Deactivating takes
// the whole subtree out of use with it, in one transaction; reactivating
// brings back the category alone, and only under an active parent, so that
// no active category hangs under an inactive one. Any category, standard or
// local. County-level administrators only; audited.
func (s *Service) SetCategoryActive(ctx context.Context, actor access.Actor, code string, active bool) error {
	if !mayEditCategories(actor) {
		return store.Forbidden("只有县级系统管理员可以停用或启用问题分类")
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := lockCategories(ctx, tx); err != nil {
			return err
		}
		c, err := categoryForChange(ctx, tx, code)
		if err != nil {
			return err
		}
		if active {
			if c.Active {
				return nil
			}
			if c.ParentID != 0 {
				var parentCode, parentName string
				var parentActive int
				if err := tx.QueryRow(ctx, `SELECT code, name, active FROM categories WHERE id = ?`, c.ParentID).Scan(&parentCode, &parentName, &parentActive); err != nil {
					return fmt.Errorf("parent of category %s: %w", code, err)
				}
				if parentActive != 1 {
					return store.Invalidf("上级分类 %s“%s”已停用，请先启用上级分类，再启用 %s", parentCode, parentName, code)
				}
			}
			if _, err := tx.Exec(ctx, `UPDATE categories SET active = 1 WHERE id = ?`, c.ID); err != nil {
				return fmt.Errorf("activate category %s: %w", code, err)
			}
			return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "category.active", Entity: "category", EntityID: code,
				Before: map[string]any{"active": false}, After: map[string]any{"active": true}})
		}
		// The categories this takes out of use, for the audit entry.
		rows, err := tx.Query(ctx, subtreeOf+` SELECT c.code FROM categories c JOIN sub ON sub.id = c.id WHERE c.active = 1 ORDER BY c.code`, c.ID)
		codes, err := store.Collect(rows, err, func(sc store.Scanner) (string, error) {
			var code string
			return code, sc.Scan(&code)
		})
		if err != nil {
			return fmt.Errorf("subtree of category %s: %w", code, err)
		}
		if len(codes) == 0 {
			return nil // already out of use, and so is everything under it
		}
		if _, err := tx.Exec(ctx, `UPDATE categories SET active = 0 WHERE active = 1 AND id IN (`+subtreeOf+` SELECT id FROM sub)`, c.ID); err != nil {
			return fmt.Errorf("deactivate category %s: %w", code, err)
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "category.active", Entity: "category", EntityID: code,
			Before: map[string]any{"active": c.Active}, After: map[string]any{"active": false, "deactivated": codes}})
	})
}

// categoryForChange reads the category a change names: its id, name, kind,
// parent and whether it is in use; NotFound when there is none.
func categoryForChange(ctx context.Context, tx *store.Tx, code string) (Category, error) {
	c := Category{Code: code}
	var active int
	err := tx.QueryRow(ctx, `SELECT id, name, kind, COALESCE(parent_id, 0), active FROM categories WHERE code = ?`, code).
		Scan(&c.ID, &c.Name, &c.Kind, &c.ParentID, &active)
	if err != nil {
		if isNotFound(err) {
			return Category{}, store.NotFoundf("找不到分类 %s", code)
		}
		return Category{}, fmt.Errorf("category %s: %w", code, err)
	}
	c.Active = active == 1
	return c, nil
}

// lockCategories serialises the changes to which categories are in use on
// PostgreSQL (SQLite's single writer already does): a category reactivated
// or added under a parent that another transaction is taking out of use
// would otherwise stay active under an inactive parent. The lock does not
// stop reads, nor intake's inserts that refer to a category.
func lockCategories(ctx context.Context, tx *store.Tx) error {
	if tx.Dialect != store.Postgres {
		return nil
	}
	if _, err := tx.Exec(ctx, `LOCK TABLE categories IN SHARE ROW EXCLUSIVE MODE`); err != nil {
		return fmt.Errorf("lock categories: %w", err)
	}
	return nil
}

// categoryDepartment is the id of the county department a user typed as a
// category's responsible unit, with a message to act on.
func (s *Service) categoryDepartment(ctx context.Context, tx *store.Tx, code string) (int64, error) {
	u, err := s.unitByCode(ctx, tx, code)
	if isNotFound(err) {
		return 0, store.Invalidf("找不到单位编码 %s", code)
	}
	if err != nil {
		return 0, err
	}
	if u.Kind != "department" {
		return 0, store.Invalidf("%s不是县直部门", u.Name)
	}
	return u.ID, nil
}

// mayEditCategories: the category tree and its category → department table
// are the county's, so only a county-level administrator changes them.
func mayEditCategories(actor access.Actor) bool {
	return actor.CountyAdmin()
}
