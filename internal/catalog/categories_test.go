package catalog

import (
	"context"
	"errors"
	"strings"
	"testing"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// categoryFixture is the catalogue's small county with the shipped
// categories loaded (the departments exist, so their proposals apply).
func categoryFixture(t *testing.T, db *store.DB) (*fixture, access.Actor) {
	t.Helper()
	f := newFixture(t, db)
	if err := f.s.SeedCategories(context.Background()); err != nil {
		t.Fatal(err)
	}
	return f, f.actor("350722000000", "county", access.RoleAdmin)
}

func (f *fixture) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	if err := f.db.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// TestCategoryTree: the standard's categories load once, as a tree of three
// roots; a county administrator adds 民生诉求 categories and sets a
// category's department; others, duplicates, categories under the
// standard and non-departments are refused; every change is audited.
func TestCategoryTree(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f, admin := categoryFixture(t, db)
		ctx := context.Background()
		if n := f.count(t, `SELECT COUNT(*) FROM categories WHERE std_code <> '' AND LENGTH(std_code) = 5`); n != 403 {
			t.Errorf("%d standard minor categories, want 403", n)
		}
		if err := f.s.SeedCategories(ctx); err != nil {
			t.Fatal(err)
		}
		if n := f.count(t, `SELECT COUNT(*) FROM categories WHERE LENGTH(std_code) = 5`); n != 403 {
			t.Errorf("seeding twice gives %d", n)
		}
		tree, err := f.s.Categories(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(tree) != 3 || tree[0].Code != "B" || len(tree[0].Children) != 5 || tree[0].Children[0].Children[0].Code != "B01001" {
			t.Fatalf("tree roots %d, first %+v", len(tree), tree[0].Code)
		}
		// The proposals of the seed: 市政公用设施 → 住建局.
		if c, ok := findCategory(tree, "B01001"); !ok || c.DeptCode != "350722D002" {
			t.Errorf("B01001 proposes %+v", c)
		}
		if _, err := f.s.AddCategory(ctx, f.actor("350722000000", "county"), NewCategory{Code: "L01", Name: "低保救助"}); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("non-admin adds a category: %v", err)
		}
		if _, err := f.s.AddCategory(ctx, f.actor("350722001000", "street", access.RoleAdmin), NewCategory{Code: "L01", Name: "低保救助"}); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("a street administrator adds a category: %v", err)
		}
		c, err := f.s.AddCategory(ctx, admin, NewCategory{Code: " L01 ", Name: " 低保救助 ", DeptCode: "350722D008"})
		if err != nil {
			t.Fatal(err)
		}
		if c.Code != "L01" || c.Name != "低保救助" || c.ParentCode != "L" || c.Kind != KindLivelihood || !c.Active {
			t.Errorf("added %+v", c)
		}
		for _, tc := range []struct {
			name string
			in   NewCategory
			kind error
			msg  string
		}{
			{"duplicate code", NewCategory{Code: "L01", Name: "重复"}, store.ErrConflict, "分类编码 L01 已存在"},
			{"under the standard", NewCategory{Code: "X1", Name: "标准下", ParentCode: "B01"}, store.ErrInvalid, "国家标准分类不能增加下级"},
			{"unknown parent", NewCategory{Code: "X2", Name: "无上级", ParentCode: "L99"}, store.ErrInvalid, "找不到上级分类 L99"},
			{"bad code", NewCategory{Code: "L 03", Name: "空格"}, store.ErrInvalid, "分类编码只能由"},
			{"no name", NewCategory{Code: "L03", Name: "  "}, store.ErrInvalid, "分类名称必填"},
			{"a street as department", NewCategory{Code: "L04", Name: "街道", DeptCode: "350722001000"}, store.ErrInvalid, "南浦街道不是县直部门"},
			{"unknown department", NewCategory{Code: "L05", Name: "无部门", DeptCode: "350722D999"}, store.ErrInvalid, "找不到单位编码 350722D999"},
		} {
			_, err := f.s.AddCategory(ctx, admin, tc.in)
			if !errors.Is(err, tc.kind) {
				t.Errorf("%s: %v, want %v", tc.name, err, tc.kind)
			}
			if msg, _ := store.UserMessage(err); !strings.Contains(msg, tc.msg) {
				t.Errorf("%s: message %q lacks %q", tc.name, msg, tc.msg)
			}
		}
		if err := f.s.SetCategoryDepartment(ctx, admin, "B01001", "350722D003"); err != nil {
			t.Fatal(err)
		}
		if err := f.s.SetCategoryDepartment(ctx, admin, "B01001", "350722001000"); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("a street as a category's department: %v", err)
		}
		if err := f.s.SetCategoryDepartment(ctx, admin, "NOSUCH", ""); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("department of an unknown category: %v", err)
		}
		tree, err = f.s.Categories(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if c, ok := findCategory(tree, "B01001"); !ok || c.DeptCode != "350722D003" || c.DeptName != "县城市管理和综合执法局" {
			t.Errorf("B01001 after the change: %+v", c)
		}
		if c, ok := findCategory(tree, "L01"); !ok || c.DeptCode != "350722D008" {
			t.Errorf("L01 in the tree: %+v", c)
		}
		if n := f.count(t, `SELECT COUNT(*) FROM audit_log WHERE entity = 'category'`); n != 3 {
			t.Errorf("%d category audit entries, want 3 (seed, add, department)", n)
		}
		if _, err := audit.Verify(ctx, db); err != nil {
			t.Errorf("audit chain: %v", err)
		}
	})
}

// TestCategoryChanges: renaming is for the county's own 民生诉求 categories
// below the root; deactivating takes a subtree out of use, reactivating
// brings back one category under an active parent, and no-ops write no
// audit entry.
func TestCategoryChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f, admin := categoryFixture(t, db)
		ctx := context.Background()
		for _, nc := range []NewCategory{
			{Code: "L01", Name: "社会救助"},
			{Code: "L0101", Name: "低保", ParentCode: "L01"},
			{Code: "L010101", Name: "低保金发放", ParentCode: "L0101"},
			{Code: "L0102", Name: "特困供养", ParentCode: "L01"},
		} {
			if _, err := f.s.AddCategory(ctx, admin, nc); err != nil {
				t.Fatal(err)
			}
		}
		for _, tc := range []struct {
			name, code, to string
			kind           error
			msg            string
		}{
			{"standard minor", "B01001", "井盖", store.ErrInvalid, "国家标准"},
			{"the 民生诉求 root", "L", "诉求", store.ErrInvalid, "分类的根"},
			{"61 characters", "L01", strings.Repeat("救", 61), store.ErrInvalid, "不超过60字"},
			{"unknown code", "L99", "新名称", store.ErrNotFound, "找不到分类 L99"},
		} {
			err := f.s.RenameCategory(ctx, admin, tc.code, tc.to)
			if !errors.Is(err, tc.kind) {
				t.Errorf("%s: %v, want %v", tc.name, err, tc.kind)
			}
			if msg, _ := store.UserMessage(err); !strings.Contains(msg, tc.msg) {
				t.Errorf("%s: message %q lacks %q", tc.name, msg, tc.msg)
			}
		}
		if err := f.s.RenameCategory(ctx, admin, "L01", " 社会救助与保障 "); err != nil {
			t.Fatal(err)
		}
		if err := f.s.RenameCategory(ctx, f.actor("350722D001", "department", access.RoleAdmin), "L01", "改名"); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("a department administrator renames: %v", err)
		}

		if err := f.s.SetCategoryActive(ctx, admin, "L0101", false); err != nil {
			t.Fatal(err)
		}
		active := func(want map[string]bool) {
			t.Helper()
			for code, a := range want {
				if got := f.count(t, `SELECT active FROM categories WHERE code = ?`, code) == 1; got != a {
					t.Errorf("%s active %v, want %v", code, got, a)
				}
			}
		}
		active(map[string]bool{"L01": true, "L0101": false, "L010101": false, "L0102": true})
		if err := f.s.SetCategoryActive(ctx, admin, "L010101", true); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("reactivating under an inactive parent: %v", err)
		}
		if _, err := f.s.AddCategory(ctx, admin, NewCategory{Code: "L010102", Name: "低保资格", ParentCode: "L0101"}); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("adding under an inactive parent: %v", err)
		}
		if err := f.s.SetCategoryActive(ctx, admin, "L0101", true); err != nil {
			t.Fatal(err)
		}
		active(map[string]bool{"L0101": true, "L010101": false})
		entries := f.count(t, `SELECT COUNT(*) FROM audit_log WHERE action = 'category.active'`)
		if err := f.s.SetCategoryActive(ctx, admin, "L0101", true); err != nil {
			t.Fatal(err)
		}
		if err := f.s.SetCategoryActive(ctx, admin, "L010101", false); err != nil {
			t.Fatal(err)
		}
		if n := f.count(t, `SELECT COUNT(*) FROM audit_log WHERE action = 'category.active'`); n != entries || entries != 2 {
			t.Errorf("%d activity entries, then %d after the no-ops; want 2", entries, n)
		}
		tree, err := f.s.Categories(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if c, ok := findCategory(tree, "L01"); !ok || c.Name != "社会救助与保障" || len(c.Children) != 2 {
			t.Errorf("L01 in the tree: %+v", c)
		}
		if _, err := audit.Verify(ctx, db); err != nil {
			t.Errorf("audit chain: %v", err)
		}
	})
}

func findCategory(tree []Category, code string) (Category, bool) {
	for _, c := range tree {
		if c.Code == code {
			return c, true
		}
		if found, ok := findCategory(c.Children, code); ok {
			return found, true
		}
	}
	return Category{}, false
}
