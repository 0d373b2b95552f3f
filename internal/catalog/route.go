package catalog

import (
	"context"
	"fmt"
	"strings"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/org"
	"grassroots/internal/store"
)

// UnitRef names a unit in a routing answer.
type UnitRef struct {
	ID   int64  `json:"id"`
	Code string `json:"code"`
	Name string `json:"name"`
}

// Routing is what the lists say about a case category: its matter, the
// county department with primary responsibility and the supporting units.
type Routing struct {
	Matter        Matter    `json:"matter"`
	Lead          UnitRef   `json:"lead"`
	LeadDuties    string    `json:"lead_duties"`
	Supporting    []UnitRef `json:"supporting"`
	SupportDuties string    `json:"support_duties"` // what the township where it happens must do
	ListVersion   int       `json:"list_version"`
}

// Route reads the lists for a case category: the category → matter mapping
// names the matter, and the territorial list names the lead department and
// the supporting departments (the township where the case happens supports
// too, with SupportDuties). ErrNotFound (with a message) when the category
// has no matter or the matter no territorial entry.
func (s *Service) Route(ctx context.Context, categoryCode string) (Routing, error) {
	var r Routing
	m, err := s.categoryMatter(ctx, s.db, categoryCode)
	if err != nil {
		return r, err
	}
	r.Matter = m
	it, err := s.itemByKey(ctx, s.db, TerritorialList, itemKey(TerritorialList, "", 0, m.ID))
	if err != nil {
		return r, store.NotFoundf("事项“%s”不在属地管理事项清单中", m.Name)
	}
	r.Lead = UnitRef{ID: it.unitID, Code: it.UnitCode, Name: it.UnitName}
	r.LeadDuties, r.SupportDuties = it.Duties, it.SupportDuties
	for _, code := range it.SupportUnits {
		u, err := s.unitByCode(ctx, s.db, code)
		if err != nil {
			return r, err
		}
		r.Supporting = append(r.Supporting, UnitRef{ID: u.ID, Code: u.Code, Name: u.Name})
	}
	r.ListVersion, err = s.currentVersion(ctx, s.db, TerritorialList)
	return r, err
}

func (s *Service) categoryMatter(ctx context.Context, q querier, categoryCode string) (Matter, error) {
	m, err := scanMatter(q.QueryRow(ctx, `SELECT m.id, m.code, m.type, m.name, m.basis_law, m.basis_article, m.demo, m.updated_at
		FROM category_matters c JOIN matters m ON m.id = c.matter_id WHERE c.category_code = ?`, strings.TrimSpace(categoryCode)))
	if err != nil {
		if isNotFound(err) {
			return m, store.NotFoundf("类别“%s”未对应清单事项", categoryCode)
		}
		return m, fmt.Errorf("read category %s matter: %w", categoryCode, err)
	}
	return m, nil
}

// CategoryMatter is one category → matter mapping.
type CategoryMatter struct {
	CategoryCode string `json:"category_code"`
	CategoryName string `json:"category_name"`
	Matter       Matter `json:"matter"`
}

// CategoryMatters lists the category → matter mappings.
func (s *Service) CategoryMatters(ctx context.Context, actor access.Actor) ([]CategoryMatter, error) {
	if err := mustRead(actor); err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT c.category_code, COALESCE(k.name, ''), m.id, m.code, m.type, m.name, m.basis_law, m.basis_article, m.demo, m.updated_at
		FROM category_matters c JOIN matters m ON m.id = c.matter_id LEFT JOIN categories k ON k.code = c.category_code ORDER BY c.category_code`)
	if err != nil {
		return nil, fmt.Errorf("list category matters: %w", err)
	}
	defer rows.Close()
	var out []CategoryMatter
	for rows.Next() {
		var cm CategoryMatter
		var mdemo int
		var mupd int64
		if err := rows.Scan(&cm.CategoryCode, &cm.CategoryName, &cm.Matter.ID, &cm.Matter.Code, &cm.Matter.Type, &cm.Matter.Name,
			&cm.Matter.BasisLaw, &cm.Matter.BasisArticle, &mdemo, &mupd); err != nil {
			return nil, err
		}
		cm.Matter.TypeName, cm.Matter.Demo, cm.Matter.UpdatedAt = TypeName(cm.Matter.Type), mdemo == 1, store.Time(mupd)
		out = append(out, cm)
	}
	return out, rows.Err()
}

// SetCategoryMatter maps a case category to a matter (matterCode "" removes
// the mapping). The category must exist.
func (s *Service) SetCategoryMatter(ctx context.Context, actor access.Actor, categoryCode, matterCode string) error {
	if err := mustEdit(actor); err != nil {
		return err
	}
	categoryCode = strings.TrimSpace(categoryCode)
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM categories WHERE code = ?`, categoryCode).Scan(&n); err != nil {
			return fmt.Errorf("read category: %w", err)
		}
		if n == 0 {
			return store.Invalidf("工单类别“%s”不存在", categoryCode)
		}
		return s.setCategoryMatterTx(ctx, tx, actor, categoryCode, matterCode, false)
	})
}

func (s *Service) setCategoryMatterTx(ctx context.Context, tx *store.Tx, actor access.Actor, categoryCode, matterCode string, demo bool) error {
	if matterCode == "" {
		if _, err := tx.Exec(ctx, `DELETE FROM category_matters WHERE category_code = ?`, categoryCode); err != nil {
			return fmt.Errorf("unmap category: %w", err)
		}
	} else {
		m, err := s.matterByCode(ctx, tx, matterCode)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM category_matters WHERE category_code = ?`, categoryCode); err != nil {
			return fmt.Errorf("map category: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO category_matters (category_code, matter_id, demo, updated_at) VALUES (?, ?, ?, ?)`,
			categoryCode, m.ID, store.BoolInt(demo), store.Millis(s.now())); err != nil {
			return fmt.Errorf("map category: %w", err)
		}
	}
	return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "category.matter", Entity: "category", EntityID: categoryCode,
		After: map[string]string{"matter_code": matterCode}})
}

// Departments lists the county departments (for pickers), by code.
func (s *Service) Departments(ctx context.Context) ([]UnitRef, error) {
	return s.unitsOfKind(ctx, org.KindDepartment)
}

// Townships lists the township-level units (for pickers), by code.
func (s *Service) Townships(ctx context.Context) ([]UnitRef, error) {
	return s.unitsOfKind(ctx, org.KindTownship, org.KindStreet)
}

func (s *Service) unitsOfKind(ctx context.Context, kinds ...string) ([]UnitRef, error) {
	refs, err := org.RefsOfKinds(ctx, s.db, kinds, 0)
	if err != nil {
		return nil, fmt.Errorf("list units: %w", err)
	}
	var out []UnitRef
	for _, r := range refs {
		out = append(out, UnitRef{ID: r.ID, Code: r.Code, Name: r.Name})
	}
	return out, nil
}

// ListSummary is a list's state for the overview.
type ListSummary struct {
	List    ListKind  `json:"list"`
	Title   string    `json:"title"`
	Version int       `json:"version"`
	Items   int       `json:"items"`
	Changed time.Time `json:"changed_at,omitzero"`
}

// Overview sums up every list.
func (s *Service) Overview(ctx context.Context, actor access.Actor) ([]ListSummary, error) {
	if err := mustRead(actor); err != nil {
		return nil, err
	}
	var out []ListSummary
	for _, l := range Lists {
		ls := ListSummary{List: l, Title: l.Title()}
		var at int64
		err := s.db.QueryRow(ctx, `SELECT h.version, (SELECT COUNT(*) FROM list_items WHERE list = h.list AND v_to IS NULL),
			COALESCE((SELECT MAX(at) FROM list_versions WHERE list = h.list), 0) FROM list_heads h WHERE h.list = ?`, string(l)).Scan(&ls.Version, &ls.Items, &at)
		if err != nil {
			return nil, fmt.Errorf("overview %s: %w", l, err)
		}
		ls.Changed = store.Time(at)
		out = append(out, ls)
	}
	return out, nil
}
