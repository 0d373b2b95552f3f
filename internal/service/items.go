package service

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/org"
	"grassroots/internal/store"
)

// Item is a service item: a matter of the catalogue with what an applicant
// needs and how it is handled.
type Item struct {
	ID           int64  `json:"-"`
	Code         string `json:"code"`
	MatterType   string `json:"matter_type"`
	Name         string `json:"name"`
	Kind         string `json:"kind"`  // immediate, promised
	Level        string `json:"level"` // county, township, village
	DeptCode     string `json:"dept_code,omitempty"`
	DeptName     string `json:"dept_name,omitempty"`
	Office       string `json:"office,omitempty"`
	LegalDays    int    `json:"legal_days"`
	PromisedDays int    `json:"promised_days"`
	FeeCents     int64  `json:"fee_cents"`
	FeeNote      string `json:"fee_note,omitempty"`
	Conditions   string `json:"conditions,omitempty"`
	Online       bool   `json:"online"`       // 全程网办
	OneVisit     bool   `json:"one_visit"`    // 最多跑一次
	Proxy        bool   `json:"proxy"`        // 代办
	Nearby       bool   `json:"nearby"`       // 就近办
	Citywide     bool   `json:"citywide"`     // 同城通办
	CrossRegion  bool   `json:"cross_region"` // 异地可办
	Devolved     bool   `json:"devolved"`     // 下沉事项
	// Transfer says how an item moved down went: TransferWhole (全链条划转:
	// acceptance, handling and decision all at the township) or
	// TransferPartial, with CountySteps the steps kept by the county.
	Transfer    string     `json:"transfer,omitempty"`
	CountySteps []string   `json:"county_steps,omitempty"`
	Materials   []Material `json:"materials"`
	UpdatedAt   time.Time  `json:"updated_at"`
}

// Material is one document an item asks for.
type Material struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Form     string `json:"form"` // original, copy, original_copy, electronic
	Copies   int    `json:"copies"`
	Required bool   `json:"required"`
	Sample   string `json:"sample,omitempty"`
}

// Immediate reports whether the item is finished at the window.
func (it Item) Immediate() bool { return it.Kind == KindImmediate }

// Fee shows the fee.
func (it Item) Fee() string { return Money(it.FeeCents) }

// LimitDays is the working-day limit the back office has: the promised
// limit, or the legal one when none is promised.
func (it Item) LimitDays() int {
	if it.PromisedDays > 0 {
		return it.PromisedDays
	}
	return it.LegalDays
}

// Required returns the required materials.
func (it Item) Required() []Material {
	var out []Material
	for _, m := range it.Materials {
		if m.Required {
			out = append(out, m)
		}
	}
	return out
}

// ItemInput is a service item as an administrator (or the demo) enters it.
type ItemInput struct {
	Code         string          `json:"code"` // an existing matter's code
	Name         string          `json:"name"` // "" takes the matter's name
	Kind         string          `json:"kind"`
	Level        string          `json:"level"`
	DeptCode     string          `json:"dept_code"`
	Office       string          `json:"office"`
	LegalDays    int             `json:"legal_days"`
	PromisedDays int             `json:"promised_days"`
	FeeCents     int64           `json:"fee_cents"`
	FeeNote      string          `json:"fee_note"`
	Conditions   string          `json:"conditions"`
	Online       bool            `json:"online"`
	OneVisit     bool            `json:"one_visit"`
	Proxy        bool            `json:"proxy"`
	Nearby       bool            `json:"nearby"`
	Citywide     bool            `json:"citywide"`
	CrossRegion  bool            `json:"cross_region"`
	Devolved     bool            `json:"devolved"`
	Transfer     string          `json:"transfer"`
	CountySteps  []string        `json:"county_steps"`
	Materials    []MaterialInput `json:"materials"`
}

// MaterialInput is a material as entered.
type MaterialInput struct {
	Name     string `json:"name"`
	Form     string `json:"form"`
	Copies   int    `json:"copies"`
	Required bool   `json:"required"`
	Sample   string `json:"sample"`
}

func (in *ItemInput) normalise() error {
	in.Code = strings.ToUpper(strings.TrimSpace(in.Code))
	in.Name = strings.TrimSpace(in.Name)
	in.Office = strings.TrimSpace(in.Office)
	switch {
	case in.Code == "":
		return store.Invalid("请填写事项编码")
	case !slices.Contains([]string{KindImmediate, KindPromised}, in.Kind):
		return store.Invalid("办件类型应为即办件(immediate)或承诺件(promised)")
	case !slices.Contains([]string{LevelCounty, LevelTownship, LevelVillage}, in.Level):
		return store.Invalid("办理层级应为县级(county)、乡镇级(township)或村级(village)")
	case in.Level == LevelCounty && strings.TrimSpace(in.DeptCode) == "":
		return store.Invalid("县级事项请填写责任部门")
	case in.LegalDays < 0 || in.PromisedDays < 0 || in.LegalDays > 365 || in.PromisedDays > 365:
		return store.Invalid("办理时限应为0至365个工作日")
	case in.LegalDays > 0 && in.PromisedDays > in.LegalDays:
		return store.Invalid("承诺时限不能超过法定时限")
	case in.Kind == KindPromised && in.PromisedDays == 0 && in.LegalDays == 0:
		return store.Invalid("承诺件请填写承诺时限或法定时限")
	case in.FeeCents < 0:
		return store.Invalid("收费金额不能为负数")
	case utf8.RuneCountInString(in.Name) > 200:
		return store.Invalid("事项名称不能超过200字")
	case len(in.Materials) > 50:
		return store.Invalid("申请材料不能超过50项")
	}
	if err := in.normaliseTransfer(); err != nil {
		return err
	}
	seen := map[string]bool{}
	for i := range in.Materials {
		m := &in.Materials[i]
		m.Name = strings.TrimSpace(m.Name)
		if m.Name == "" {
			return store.Invalidf("第%d项材料没有名称", i+1)
		}
		if seen[m.Name] {
			return store.Invalidf("材料“%s”重复", m.Name)
		}
		seen[m.Name] = true
		if m.Form == "" {
			m.Form = FormOriginal
		}
		if !slices.Contains([]string{FormOriginal, FormCopy, FormOriginalCopy, FormElectronic}, m.Form) {
			return store.Invalidf("材料“%s”的形式应为原件、复印件、原件及复印件或电子材料", m.Name)
		}
		if m.Copies <= 0 {
			m.Copies = 1
		}
	}
	return nil
}

// SaveItem creates or replaces the service item of a matter, with its
// materials. County-level administrators and the approval office only (see
// CanMaintainItems).
func (s *Service) SaveItem(ctx context.Context, actor access.Actor, in ItemInput) (Item, error) {
	if !CanMaintainItems(actor) {
		return Item{}, store.Forbidden("只有县级管理员或县委编办可以维护服务事项")
	}
	if err := in.normalise(); err != nil {
		return Item{}, err
	}
	err := s.db.InTx(ctx, func(tx *store.Tx) error { return s.saveItemTx(ctx, tx, actor, in, false) })
	if err != nil {
		return Item{}, err
	}
	return s.Item(ctx, in.Code)
}

func (s *Service) saveItemTx(ctx context.Context, tx *store.Tx, actor access.Actor, in ItemInput, demo bool) error {
	var matterID int64
	var matterName string
	if err := tx.QueryRow(ctx, `SELECT id, name FROM matters WHERE code = ?`, in.Code).Scan(&matterID, &matterName); err != nil {
		if isNotFound(err) {
			return store.Invalidf("事项目录中没有编码为 %s 的事项，请先在清单管理中登记", in.Code)
		}
		return fmt.Errorf("matter %s: %w", in.Code, err)
	}
	if in.Name == "" {
		in.Name = matterName
	}
	var deptID int64
	if in.DeptCode != "" {
		dept, err := org.RefByCode(ctx, tx, in.DeptCode)
		if err != nil {
			if isNotFound(err) {
				return store.Invalidf("找不到责任部门 %s", in.DeptCode)
			}
			return err
		}
		deptID = dept.ID
	}
	now := store.Millis(s.now())
	var id int64
	err := tx.QueryRow(ctx, `SELECT id FROM service_items WHERE code = ?`, in.Code).Scan(&id)
	switch {
	case err == nil:
		if _, err := tx.Exec(ctx, `UPDATE service_items SET name = ?, kind = ?, level = ?, dept_unit_id = ?, office = ?, legal_days = ?, promised_days = ?,
			fee_cents = ?, fee_note = ?, conditions = ?, online = ?, one_visit = ?, proxy = ?, nearby = ?, citywide = ?, cross_region = ?, devolved = ?,
			transfer = ?, county_steps = ?, active = 1, updated_at = ? WHERE id = ?`,
			in.Name, in.Kind, in.Level, store.NullID(deptID), in.Office, in.LegalDays, in.PromisedDays, in.FeeCents, in.FeeNote, in.Conditions,
			store.BoolInt(in.Online), store.BoolInt(in.OneVisit), store.BoolInt(in.Proxy), store.BoolInt(in.Nearby), store.BoolInt(in.Citywide), store.BoolInt(in.CrossRegion), store.BoolInt(in.Devolved),
			in.Transfer, strings.Join(in.CountySteps, ","), now, id); err != nil {
			return fmt.Errorf("update service item: %w", err)
		}
	case isNotFound(err):
		if err := tx.QueryRow(ctx, `INSERT INTO service_items (code, matter_id, name, kind, level, dept_unit_id, office, legal_days, promised_days,
			fee_cents, fee_note, conditions, online, one_visit, proxy, nearby, citywide, cross_region, devolved, transfer, county_steps, demo, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			in.Code, matterID, in.Name, in.Kind, in.Level, store.NullID(deptID), in.Office, in.LegalDays, in.PromisedDays, in.FeeCents, in.FeeNote, in.Conditions,
			store.BoolInt(in.Online), store.BoolInt(in.OneVisit), store.BoolInt(in.Proxy), store.BoolInt(in.Nearby), store.BoolInt(in.Citywide), store.BoolInt(in.CrossRegion), store.BoolInt(in.Devolved),
			in.Transfer, strings.Join(in.CountySteps, ","), store.BoolInt(demo), now, now).Scan(&id); err != nil {
			return fmt.Errorf("insert service item: %w", err)
		}
	default:
		return fmt.Errorf("service item %s: %w", in.Code, err)
	}
	// Materials keep their ids when their names stay, so notices that named
	// them still read right.
	existing := map[string]int64{}
	rows, err := tx.Query(ctx, `SELECT id, name FROM service_materials WHERE item_id = ?`, id)
	if err != nil {
		return err
	}
	for rows.Next() {
		var mid int64
		var name string
		if err := rows.Scan(&mid, &name); err != nil {
			rows.Close()
			return err
		}
		existing[name] = mid
	}
	rows.Close()
	keep := map[int64]bool{}
	for i, m := range in.Materials {
		if mid, ok := existing[m.Name]; ok {
			keep[mid] = true
			if _, err := tx.Exec(ctx, `UPDATE service_materials SET sort = ?, form = ?, copies = ?, required = ?, sample = ? WHERE id = ?`,
				i+1, m.Form, m.Copies, store.BoolInt(m.Required), m.Sample, mid); err != nil {
				return err
			}
			continue
		}
		if _, err := tx.Exec(ctx, `INSERT INTO service_materials (item_id, sort, name, form, copies, required, sample) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			id, i+1, m.Name, m.Form, m.Copies, store.BoolInt(m.Required), m.Sample); err != nil {
			return fmt.Errorf("insert material: %w", err)
		}
	}
	for name, mid := range existing {
		if !keep[mid] {
			// A material no longer asked for is dropped from the list; the
			// notices keep its name in their own record.
			if _, err := tx.Exec(ctx, `DELETE FROM service_materials WHERE id = ?`, mid); err != nil {
				return fmt.Errorf("drop material %s: %w", name, err)
			}
		}
	}
	return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "service.item.save", Entity: "service_item", EntityID: in.Code, After: in})
}

// ItemFilter narrows the list of items.
type ItemFilter struct {
	Q        string // part of the name or the code
	Online   bool   // only items that can be done fully online
	Devolved bool   // only items moved down to townships
	Level    string
	Transfer string // only items moved down with their whole chain (whole) or in part (partial)
}

const itemCols = `i.id, i.code, m.type, i.name, i.kind, i.level, COALESCE(d.code, ''), COALESCE(d.name, ''), i.office, i.legal_days, i.promised_days,
	i.fee_cents, i.fee_note, i.conditions, i.online, i.one_visit, i.proxy, i.nearby, i.citywide, i.cross_region, i.devolved, i.updated_at,
	i.transfer, i.county_steps`

const itemFrom = ` FROM service_items i JOIN matters m ON m.id = i.matter_id LEFT JOIN units d ON d.id = i.dept_unit_id`

func scanItem(sc interface{ Scan(...any) error }) (Item, error) {
	var it Item
	var online, oneVisit, proxy, nearby, citywide, cross, devolved int
	var updated int64
	var steps string
	err := sc.Scan(&it.ID, &it.Code, &it.MatterType, &it.Name, &it.Kind, &it.Level, &it.DeptCode, &it.DeptName, &it.Office, &it.LegalDays, &it.PromisedDays,
		&it.FeeCents, &it.FeeNote, &it.Conditions, &online, &oneVisit, &proxy, &nearby, &citywide, &cross, &devolved, &updated, &it.Transfer, &steps)
	if steps != "" {
		it.CountySteps = strings.Split(steps, ",")
	}
	it.Online, it.OneVisit, it.Proxy, it.Nearby, it.Citywide, it.CrossRegion, it.Devolved = online == 1, oneVisit == 1, proxy == 1, nearby == 1, citywide == 1, cross == 1, devolved == 1
	it.UpdatedAt = store.Time(updated)
	return it, err
}

// Items lists the active service items with their materials. The list of
// services is public: residents read it on the portal.
func (s *Service) Items(ctx context.Context, f ItemFilter) ([]Item, error) {
	q := `SELECT ` + itemCols + itemFrom + ` WHERE i.active = 1`
	var args []any
	if t := strings.TrimSpace(f.Q); t != "" {
		q += ` AND (i.name LIKE ? OR i.code LIKE ?)`
		like := "%" + strings.NewReplacer("%", "", "_", "").Replace(t) + "%"
		args = append(args, like, strings.ToUpper(like))
	}
	if f.Online {
		q += ` AND i.online = 1`
	}
	if f.Devolved {
		q += ` AND i.devolved = 1`
	}
	if f.Level != "" {
		q += ` AND i.level = ?`
		args = append(args, f.Level)
	}
	if f.Transfer != "" {
		q += ` AND i.transfer = ?`
		args = append(args, f.Transfer)
	}
	rows, err := s.db.Query(ctx, q+` ORDER BY i.code`, args...)
	out, err := store.Collect(rows, err, scanItem)
	if err != nil {
		return nil, fmt.Errorf("service items: %w", err)
	}
	mats, err := s.materials(ctx, s.db, 0)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Materials = mats[out[i].ID]
	}
	return out, nil
}

// Item returns the active item with the given code.
func (s *Service) Item(ctx context.Context, code string) (Item, error) {
	return s.itemBy(ctx, s.db, code)
}

func (s *Service) itemBy(ctx context.Context, q store.Querier, code string) (Item, error) {
	code = strings.ToUpper(strings.TrimSpace(code))
	it, err := scanItem(q.QueryRow(ctx, `SELECT `+itemCols+itemFrom+` WHERE i.code = ? AND i.active = 1`, code))
	if err != nil {
		if isNotFound(err) {
			return Item{}, store.NotFoundf("找不到服务事项 %s", code)
		}
		return Item{}, fmt.Errorf("service item %s: %w", code, err)
	}
	mats, err := s.materials(ctx, q, it.ID)
	if err != nil {
		return Item{}, err
	}
	it.Materials = mats[it.ID]
	return it, nil
}

// materials returns the materials of one item (or of all when itemID is 0),
// by item.
func (s *Service) materials(ctx context.Context, q store.Querier, itemID int64) (map[int64][]Material, error) {
	query := `SELECT item_id, id, name, form, copies, required, sample FROM service_materials`
	var args []any
	if itemID != 0 {
		query += ` WHERE item_id = ?`
		args = append(args, itemID)
	}
	rows, err := q.Query(ctx, query+` ORDER BY item_id, sort, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("materials: %w", err)
	}
	defer rows.Close()
	out := map[int64][]Material{}
	for rows.Next() {
		var iid int64
		var m Material
		var req int
		if err := rows.Scan(&iid, &m.ID, &m.Name, &m.Form, &m.Copies, &req, &m.Sample); err != nil {
			return nil, err
		}
		m.Required = req == 1
		out[iid] = append(out[iid], m)
	}
	return out, rows.Err()
}
