package casework

import (
	"context"
	"errors"
	"strings"
	"testing"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/catalog"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// TestRenameCategory: a county administrator renames the county's own
// 民生诉求 categories (audited, the cases filed under them show the new
// name); the standard's categories and the root keep their names, bad names
// and other users are refused.
func TestRenameCategory(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newEngine(t, db)
		ctx := context.Background()
		admin := fx.actor(9, "350722000000", access.RoleAdmin)
		if _, err := fx.cat.AddCategory(ctx, admin, catalog.NewCategory{Code: "L01", Name: "低保救助"}); err != nil {
			t.Fatal(err)
		}
		in := hotline("低保没有到账")
		in.Category = "L01"
		c := fx.create(admin, in)

		if err := fx.cat.RenameCategory(ctx, admin, "L01", "  社会救助  "); err != nil {
			t.Fatal(err)
		}
		if got := categoryName(t, fx, "L01"); got != "社会救助" {
			t.Errorf("L01 is named %q after the rename", got)
		}
		var before, after string
		if err := db.QueryRow(ctx, `SELECT before_json, after_json FROM audit_log WHERE action = 'category.rename' AND entity_id = 'L01'`).Scan(&before, &after); err != nil {
			t.Fatalf("rename audit entry: %v", err)
		}
		if !strings.Contains(before, "低保救助") || !strings.Contains(after, "社会救助") {
			t.Errorf("rename audited as %s → %s", before, after)
		}
		d, err := fx.s.Get(ctx, admin, c.No)
		if err != nil {
			t.Fatal(err)
		}
		if d.Case.CategoryName != "社会救助" {
			t.Errorf("the case shows category %q", d.Case.CategoryName)
		}
		// The same name again changes nothing and writes no entry.
		if err := fx.cat.RenameCategory(ctx, admin, "L01", "社会救助"); err != nil {
			t.Fatal(err)
		}
		if n := fx.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'category.rename'`); n != 1 {
			t.Errorf("%d rename entries, want 1", n)
		}

		for _, tc := range []struct {
			name      string
			actor     access.Actor
			code, to  string
			kind      error
			msg       string
			unchanged string
		}{
			{"standard minor", admin, "B01001", "井盖", store.ErrInvalid, "国家标准", "B01001"},
			{"standard major", admin, "S03", "环境", store.ErrInvalid, "名称不能更改", "S03"},
			{"the 民生诉求 root", admin, "L", "诉求", store.ErrInvalid, "分类的根", "L"},
			{"empty name", admin, "L01", "   ", store.ErrInvalid, "分类名称必填", "L01"},
			{"61 characters", admin, "L01", strings.Repeat("救", 61), store.ErrInvalid, "不超过60字", "L01"},
			{"unknown code", admin, "L99", "新名称", store.ErrNotFound, "找不到分类 L99", ""},
			{"township administrator", fx.actor(10, "350722001000", access.RoleAdmin), "L01", "改名", store.ErrForbidden, "县级系统管理员", "L01"},
			{"county clerk", fx.actor(11, "350722000000", access.RoleSupervisor), "L01", "改名", store.ErrForbidden, "县级系统管理员", "L01"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var was string
				if tc.unchanged != "" {
					was = categoryName(t, fx, tc.unchanged)
				}
				err := fx.cat.RenameCategory(ctx, tc.actor, tc.code, tc.to)
				if !errors.Is(err, tc.kind) {
					t.Fatalf("got %v, want %v", err, tc.kind)
				}
				if msg, _ := store.UserMessage(err); !strings.Contains(msg, tc.msg) {
					t.Errorf("message %q lacks %q", msg, tc.msg)
				}
				if tc.unchanged != "" {
					if now := categoryName(t, fx, tc.unchanged); now != was {
						t.Errorf("%s renamed %q → %q by a refused rename", tc.unchanged, was, now)
					}
				}
			})
		}
		if n := fx.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'category.rename'`); n != 1 {
			t.Errorf("%d rename entries after the refusals, want 1", n)
		}
		if _, err := audit.Verify(ctx, db); err != nil {
			t.Errorf("audit chain: %v", err)
		}
	})
}

// TestSetCategoryActive: a deactivated category is refused at intake while
// the cases already filed keep it; deactivating takes its subtree with it;
// reactivating brings back the category alone and not under an inactive
// parent; only county administrators do it, and every change is audited.
func TestSetCategoryActive(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newEngine(t, db)
		ctx := context.Background()
		admin := fx.actor(9, "350722000000", access.RoleAdmin)
		taker := fx.actor(1, "350722000000")
		// L01 社会救助 ── L0101 低保 ── L010101 低保金发放
		//          └── L0102 特困供养
		for _, nc := range []catalog.NewCategory{
			{Code: "L01", Name: "社会救助"},
			{Code: "L0101", Name: "低保", ParentCode: "L01"},
			{Code: "L010101", Name: "低保金发放", ParentCode: "L0101"},
			{Code: "L0102", Name: "特困供养", ParentCode: "L01"},
		} {
			if _, err := fx.cat.AddCategory(ctx, admin, nc); err != nil {
				t.Fatal(err)
			}
		}
		in := hotline("低保金没有到账")
		in.Category = "L010101"
		filed := fx.create(taker, in)

		// Others are refused and nothing changes.
		for _, who := range []access.Actor{fx.actor(10, "350722001000", access.RoleAdmin), fx.actor(11, "350722000000", access.RoleSupervisor), taker} {
			if err := fx.cat.SetCategoryActive(ctx, who, "L01", false); !errors.Is(err, store.ErrForbidden) {
				t.Errorf("%s (%v) deactivates: %v", who.UnitCode, who.Roles, err)
			}
		}
		if err := fx.cat.SetCategoryActive(ctx, admin, "NOSUCH", false); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown category: %v", err)
		}

		// Deactivating L0101 takes L010101 with it, and nothing else.
		if err := fx.cat.SetCategoryActive(ctx, admin, "L0101", false); err != nil {
			t.Fatal(err)
		}
		wantActive(t, fx, map[string]bool{"L01": true, "L0101": false, "L010101": false, "L0102": true})
		var after string
		if err := db.QueryRow(ctx, `SELECT after_json FROM audit_log WHERE action = 'category.active' AND entity_id = 'L0101'`).Scan(&after); err != nil {
			t.Fatalf("deactivation audit entry: %v", err)
		}
		if !strings.Contains(after, `"active":false`) || !strings.Contains(after, "L010101") {
			t.Errorf("deactivation audited as %s", after)
		}

		// Intake refuses the inactive categories; the case filed keeps its own.
		for _, code := range []string{"L0101", "L010101"} {
			in := hotline("又一件低保诉求")
			in.Category = code
			_, _, err := fx.s.Create(ctx, taker, in)
			if !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("a case under inactive %s: %v", code, err)
			}
			if msg, _ := store.UserMessage(err); !strings.Contains(msg, "已停用") {
				t.Errorf("refusal of %s says %q", code, msg)
			}
		}
		in = hotline("特困供养咨询")
		in.Category = "L0102"
		fx.create(taker, in)
		d, err := fx.s.Get(ctx, admin, filed.No)
		if err != nil {
			t.Fatal(err)
		}
		if d.Case.CategoryCode != "L010101" || d.Case.CategoryName != "低保金发放" {
			t.Errorf("the filed case shows category %s %s", d.Case.CategoryCode, d.Case.CategoryName)
		}
		tree, err := fx.cat.Categories(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if c, ok := findCategory(tree, "L010101"); !ok || c.Active {
			t.Errorf("the tree shows L010101 as %+v (found %v)", c, ok)
		}

		// Reactivating under an inactive parent is refused; the parent first,
		// and it comes back alone.
		err = fx.cat.SetCategoryActive(ctx, admin, "L010101", true)
		if !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("reactivating under an inactive parent: %v", err)
		}
		if msg, _ := store.UserMessage(err); !strings.Contains(msg, "上级分类 L0101") || !strings.Contains(msg, "请先启用上级分类") {
			t.Errorf("refusal says %q", msg)
		}
		if _, err := fx.cat.AddCategory(ctx, admin, catalog.NewCategory{Code: "L010102", Name: "低保资格", ParentCode: "L0101"}); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("adding under an inactive parent: %v", err)
		}
		if err := fx.cat.SetCategoryActive(ctx, admin, "L0101", true); err != nil {
			t.Fatal(err)
		}
		wantActive(t, fx, map[string]bool{"L01": true, "L0101": true, "L010101": false, "L0102": true})
		if err := fx.cat.SetCategoryActive(ctx, admin, "L010101", true); err != nil {
			t.Fatal(err)
		}
		wantActive(t, fx, map[string]bool{"L0101": true, "L010101": true})
		in = hotline("低保金发放咨询")
		in.Category = "L010101"
		fx.create(taker, in)

		// A standard branch goes out of use as a whole: B01 and its minors.
		minors := fx.count(`SELECT COUNT(*) FROM categories WHERE code LIKE 'B01%' AND code <> 'B01'`)
		if err := fx.cat.SetCategoryActive(ctx, admin, "B01", false); err != nil {
			t.Fatal(err)
		}
		if n := fx.count(`SELECT COUNT(*) FROM categories WHERE code LIKE 'B01%' AND active = 0`); n != minors+1 || minors == 0 {
			t.Errorf("%d of B01 and its %d minors inactive", n, minors)
		}
		if n := fx.count(`SELECT COUNT(*) FROM categories WHERE code LIKE 'B02%' AND active = 0`); n != 0 {
			t.Errorf("%d of B02 inactive", n)
		}
		// Doing it again, or reactivating what is active, changes nothing and
		// writes no entry.
		entries := fx.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'category.active'`)
		if err := fx.cat.SetCategoryActive(ctx, admin, "B01", false); err != nil {
			t.Fatal(err)
		}
		if err := fx.cat.SetCategoryActive(ctx, admin, "L01", true); err != nil {
			t.Fatal(err)
		}
		if n := fx.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'category.active'`); n != entries || entries != 4 {
			t.Errorf("%d activity entries, then %d after the no-ops; want 4", entries, n)
		}
		if _, err := audit.Verify(ctx, db); err != nil {
			t.Errorf("audit chain: %v", err)
		}
	})
}

func categoryName(t *testing.T, fx *engFixture, code string) string {
	t.Helper()
	var name string
	if err := fx.db.QueryRow(context.Background(), `SELECT name FROM categories WHERE code = ?`, code).Scan(&name); err != nil {
		t.Fatalf("category %s: %v", code, err)
	}
	return name
}

// wantActive checks which of the categories are in use.
func wantActive(t *testing.T, fx *engFixture, want map[string]bool) {
	t.Helper()
	for code, active := range want {
		if got := fx.count(`SELECT active FROM categories WHERE code = ?`, code) == 1; got != active {
			t.Errorf("%s active %v, want %v", code, got, active)
		}
	}
}

func findCategory(tree []catalog.Category, code string) (catalog.Category, bool) {
	for _, c := range tree {
		if c.Code == code {
			return c, true
		}
		if found, ok := findCategory(c.Children, code); ok {
			return found, true
		}
	}
	return catalog.Category{}, false
}
