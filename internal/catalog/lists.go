package catalog

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/org"
	"grassroots/internal/store"
)

// Item is one entry of a list, as of some version. Which fields matter
// depends on the list:
//
//   - power: TownshipType, Subject (实施主体), Duties (责任事项), Accountability (追责情形)
//   - territorial: Unit (the county department with primary responsibility),
//     Duties (its duties), SupportUnits (other departments that support),
//     SupportDuties (the township's supporting responsibility)
//   - access: Unit (the county department that may hand the work down), Duties
//     (the work it may hand to a township)
//   - empowerment: TownshipType, Batch (the batch that granted it)
type Item struct {
	ID             int64    `json:"id"`
	List           ListKind `json:"list"`
	Key            string   `json:"key"`
	TownshipType   string   `json:"township_type,omitempty"`
	UnitCode       string   `json:"unit_code,omitempty"`
	UnitName       string   `json:"unit_name,omitempty"`
	Matter         Matter   `json:"matter"`
	Batch          *Batch   `json:"batch,omitempty"`
	Subject        string   `json:"subject,omitempty"`
	Duties         string   `json:"duties,omitempty"`
	Accountability string   `json:"accountability,omitempty"`
	SupportUnits   []string `json:"support_units,omitempty"`
	SupportDuties  string   `json:"support_duties,omitempty"`
	Note           string   `json:"note,omitempty"`
	Demo           bool     `json:"demo"`
	// VersionFrom and VersionTo bound the versions the row belongs to
	// (VersionTo 0: still current).
	VersionFrom int `json:"version_from"`
	VersionTo   int `json:"version_to,omitempty"`

	unitID  int64
	batchID int64
}

// ItemInput is a list item as a clerk or a file gives it. Matter, when set,
// creates or updates the matter with that code at the same time (imports).
type ItemInput struct {
	TownshipType   string       `json:"township_type,omitempty"`
	UnitCode       string       `json:"unit_code,omitempty"`
	MatterCode     string       `json:"matter_code"`
	BatchNo        string       `json:"batch_no,omitempty"`
	Subject        string       `json:"subject,omitempty"`
	Duties         string       `json:"duties,omitempty"`
	Accountability string       `json:"accountability,omitempty"`
	SupportUnits   []string     `json:"support_units,omitempty"`
	SupportDuties  string       `json:"support_duties,omitempty"`
	Note           string       `json:"note,omitempty"`
	Matter         *MatterInput `json:"matter,omitempty"`
	// Batch, when set on an empowerment item, creates the batch if it does
	// not exist yet (imports); an existing batch must match it.
	Batch *BatchInput `json:"-"`
}

// itemKey identifies an item across versions.
func itemKey(list ListKind, townshipType string, unitID, matterID int64) string {
	switch list {
	case EmpowermentList:
		// 差别化赋权: a grant to one township only is keyed by it too.
		if unitID != 0 {
			return townshipType + "/" + strconv.FormatInt(matterID, 10) + "@" + strconv.FormatInt(unitID, 10)
		}
		return townshipType + "/" + strconv.FormatInt(matterID, 10)
	case PowerList:
		return townshipType + "/" + strconv.FormatInt(matterID, 10)
	case AccessList:
		return strconv.FormatInt(unitID, 10) + "/" + strconv.FormatInt(matterID, 10)
	}
	return strconv.FormatInt(matterID, 10)
}

// sameContent reports whether two items say the same thing.
func sameContent(a, b Item) bool {
	return a.TownshipType == b.TownshipType && a.unitID == b.unitID && a.Matter.ID == b.Matter.ID &&
		a.batchID == b.batchID && a.Subject == b.Subject && a.Duties == b.Duties &&
		a.Accountability == b.Accountability && slices.Equal(a.SupportUnits, b.SupportUnits) &&
		a.SupportDuties == b.SupportDuties && a.Note == b.Note
}

// Filter narrows a list.
type Filter struct {
	TownshipType string // power, empowerment
	UnitCode     string // territorial, access: the department
	Q            string // part of the matter's name or code
}

const itemSelect = `SELECT li.id, li.list, li.item_key, li.township_type, COALESCE(li.unit_id, 0), COALESCE(u.code, ''), COALESCE(u.name, ''),
	m.id, m.code, m.type, m.name, m.basis_law, m.basis_article, m.demo, m.updated_at,
	COALESCE(li.batch_id, 0), COALESCE(b.batch_no, ''), COALESCE(b.doc_no, ''), COALESCE(b.effective_at, 0),
	li.subject, li.duties, li.accountability, li.support_units, li.support_duties, li.note, li.demo, li.v_from, COALESCE(li.v_to, 0)
	FROM list_items li
	JOIN matters m ON m.id = li.matter_id
	LEFT JOIN units u ON u.id = li.unit_id
	LEFT JOIN empowerment_batches b ON b.id = li.batch_id`

func scanItem(sc interface{ Scan(...any) error }) (Item, error) {
	var it Item
	var mdemo, demo int
	var mupd, eff int64
	var batchNo, docNo, support string
	err := sc.Scan(&it.ID, &it.List, &it.Key, &it.TownshipType, &it.unitID, &it.UnitCode, &it.UnitName,
		&it.Matter.ID, &it.Matter.Code, &it.Matter.Type, &it.Matter.Name, &it.Matter.BasisLaw, &it.Matter.BasisArticle, &mdemo, &mupd,
		&it.batchID, &batchNo, &docNo, &eff,
		&it.Subject, &it.Duties, &it.Accountability, &support, &it.SupportDuties, &it.Note, &demo, &it.VersionFrom, &it.VersionTo)
	if err != nil {
		return it, err
	}
	it.Matter.TypeName, it.Matter.Demo, it.Matter.UpdatedAt = TypeName(it.Matter.Type), mdemo == 1, store.Time(mupd)
	it.Demo = demo == 1
	if it.batchID != 0 {
		it.Batch = &Batch{ID: it.batchID, BatchNo: batchNo, DocNo: docNo, EffectiveAt: store.Time(eff)}
	}
	it.SupportUnits = splitCodes(support)
	return it, nil
}

func splitCodes(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// items reads a list at version (0: the current list; negative: before the
// first version, which is empty).
func (s *Service) items(ctx context.Context, q querier, list ListKind, version int, f Filter) ([]Item, error) {
	sqlq := itemSelect + ` WHERE li.list = ?`
	args := []any{string(list)}
	if version == 0 {
		sqlq += ` AND li.v_to IS NULL`
	} else {
		sqlq += ` AND li.v_from <= ? AND (li.v_to IS NULL OR li.v_to > ?)`
		args = append(args, version, version)
	}
	if f.TownshipType != "" {
		sqlq += ` AND li.township_type = ?`
		args = append(args, f.TownshipType)
	}
	if f.UnitCode != "" {
		sqlq += ` AND u.code = ?`
		args = append(args, f.UnitCode)
	}
	if f.Q != "" {
		sqlq += ` AND (m.name LIKE ? OR m.code LIKE ?)`
		args = append(args, "%"+f.Q+"%", strings.ToUpper(f.Q)+"%")
	}
	sqlq += ` ORDER BY li.township_type, u.code, m.code`
	rows, err := q.Query(ctx, sqlq, args...)
	out, err := store.Collect(rows, err, scanItem)
	if err != nil {
		return nil, fmt.Errorf("read %s list: %w", list, err)
	}
	return out, nil
}

// Items returns the current list, filtered.
func (s *Service) Items(ctx context.Context, actor access.Actor, list ListKind, f Filter) ([]Item, error) {
	if err := mustRead(actor); err != nil {
		return nil, err
	}
	return s.items(ctx, s.db, list, 0, f)
}

// ItemsAt returns the list as it was at version (0: current; a negative
// version is the empty list before the first).
func (s *Service) ItemsAt(ctx context.Context, actor access.Actor, list ListKind, version int, f Filter) ([]Item, error) {
	if err := mustRead(actor); err != nil {
		return nil, err
	}
	return s.items(ctx, s.db, list, version, f)
}

// Version is one recorded change of a list.
type Version struct {
	List      ListKind  `json:"list"`
	No        int       `json:"no"`
	At        time.Time `json:"at"`
	ActorName string    `json:"actor_name"`
	Reason    string    `json:"reason"`
	Added     int       `json:"added"`
	Removed   int       `json:"removed"`
	Changed   int       `json:"changed"`
	Demo      bool      `json:"demo"`
}

// Versions lists a list's versions, newest first.
func (s *Service) Versions(ctx context.Context, actor access.Actor, list ListKind) ([]Version, error) {
	if err := mustRead(actor); err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT list, no, at, actor_name, reason, added, removed, changed, demo
		FROM list_versions WHERE list = ? ORDER BY no DESC`, string(list))
	out, err := store.Collect(rows, err, scanVersion)
	if err != nil {
		return nil, fmt.Errorf("list versions: %w", err)
	}
	return out, nil
}

func scanVersion(sc store.Scanner) (Version, error) {
	var v Version
	var at int64
	var demo int
	if err := sc.Scan(&v.List, &v.No, &at, &v.ActorName, &v.Reason, &v.Added, &v.Removed, &v.Changed, &demo); err != nil {
		return v, err
	}
	v.At, v.Demo = store.Time(at), demo == 1
	return v, nil
}

// CurrentVersion returns the list's current version number (0: never changed).
func (s *Service) CurrentVersion(ctx context.Context, list ListKind) (int, error) {
	return s.currentVersion(ctx, s.db, list)
}

func (s *Service) currentVersion(ctx context.Context, q querier, list ListKind) (int, error) {
	var v int
	if err := q.QueryRow(ctx, `SELECT version FROM list_heads WHERE list = ?`, string(list)).Scan(&v); err != nil {
		return 0, fmt.Errorf("read %s version: %w", list, err)
	}
	return v, nil
}

// VersionAt returns the number of the version in force at t (0 when the list
// had not been written yet).
func (s *Service) VersionAt(ctx context.Context, list ListKind, t time.Time) (int, error) {
	var v int
	err := s.db.QueryRow(ctx, `SELECT COALESCE(MAX(no), 0) FROM list_versions WHERE list = ? AND at <= ?`, string(list), store.Millis(t)).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("find %s version at %s: %w", list, t, err)
	}
	return v, nil
}

// FieldChange is one field that differs between two versions of an item.
type FieldChange struct {
	Field  string `json:"field"`
	Before string `json:"before"`
	After  string `json:"after"`
}

// Diff is one item's difference between two versions.
type Diff struct {
	Key    string        `json:"key"`
	Kind   string        `json:"kind"` // added, removed, changed
	Before *Item         `json:"before,omitempty"`
	After  *Item         `json:"after,omitempty"`
	Fields []FieldChange `json:"fields,omitempty"`
}

// Compare lists, item by item, what changed from version a to version b.
func (s *Service) Compare(ctx context.Context, actor access.Actor, list ListKind, a, b int) ([]Diff, error) {
	if err := mustRead(actor); err != nil {
		return nil, err
	}
	cur, err := s.currentVersion(ctx, s.db, list)
	if err != nil {
		return nil, err
	}
	for _, v := range []int{a, b} {
		if v < 1 || v > cur {
			return nil, store.Invalidf("%s没有第%d版（现为第%d版）", list.Title(), v, cur)
		}
	}
	before, err := s.items(ctx, s.db, list, a, Filter{})
	if err != nil {
		return nil, err
	}
	after, err := s.items(ctx, s.db, list, b, Filter{})
	if err != nil {
		return nil, err
	}
	return diffItems(before, after), nil
}

func diffItems(before, after []Item) []Diff {
	old := map[string]Item{}
	for _, it := range before {
		old[it.Key] = it
	}
	var out []Diff
	seen := map[string]bool{}
	for _, it := range after {
		seen[it.Key] = true
		o, ok := old[it.Key]
		if !ok {
			it := it
			out = append(out, Diff{Key: it.Key, Kind: "added", After: &it})
			continue
		}
		if o.ID == it.ID || sameContent(o, it) {
			continue
		}
		o, it := o, it
		out = append(out, Diff{Key: it.Key, Kind: "changed", Before: &o, After: &it, Fields: fieldChanges(o, it)})
	}
	for _, it := range before {
		if !seen[it.Key] {
			it := it
			out = append(out, Diff{Key: it.Key, Kind: "removed", Before: &it})
		}
	}
	return out
}

func batchLabel(b *Batch) string {
	if b == nil {
		return ""
	}
	return b.BatchNo
}

func fieldChanges(a, b Item) []FieldChange {
	var out []FieldChange
	add := func(field, x, y string) {
		if x != y {
			out = append(out, FieldChange{Field: field, Before: x, After: y})
		}
	}
	add("unit", a.UnitName, b.UnitName)
	add("batch", batchLabel(a.Batch), batchLabel(b.Batch))
	add("subject", a.Subject, b.Subject)
	add("duties", a.Duties, b.Duties)
	add("accountability", a.Accountability, b.Accountability)
	add("support_units", strings.Join(a.SupportUnits, ","), strings.Join(b.SupportUnits, ","))
	add("support_duties", a.SupportDuties, b.SupportDuties)
	add("note", a.Note, b.Note)
	return out
}

// resolver turns inputs into items, caching the look-ups of one change.
type resolver struct {
	s       *Service
	q       querier
	list    ListKind
	units   map[string]unitRef // by code and by name
	matters map[string]Matter
	batches map[string]Batch
	towns   map[string]unitRef // township-level units, read when first asked
	// institutions are the names of the township institutions (实施主体),
	// read when first asked.
	institutions map[string]bool
}

func (s *Service) newResolver(ctx context.Context, q querier, list ListKind) (*resolver, error) {
	r := &resolver{s: s, q: q, list: list, units: map[string]unitRef{}, matters: map[string]Matter{}, batches: map[string]Batch{}}
	depts, err := org.RefsOfKind(ctx, q, org.KindDepartment)
	if err != nil {
		return nil, fmt.Errorf("read departments: %w", err)
	}
	for _, u := range depts {
		r.units[u.Code] = u
		r.units[u.Name] = u
	}
	mrows, err := q.Query(ctx, `SELECT `+matterCols+` FROM matters`)
	if err != nil {
		return nil, fmt.Errorf("read matters: %w", err)
	}
	defer mrows.Close()
	for mrows.Next() {
		m, err := scanMatter(mrows)
		if err != nil {
			return nil, err
		}
		r.matters[m.Code] = m
	}
	if err := mrows.Err(); err != nil {
		return nil, err
	}
	brows, err := q.Query(ctx, `SELECT `+batchCols+` FROM empowerment_batches`)
	if err != nil {
		return nil, fmt.Errorf("read batches: %w", err)
	}
	defer brows.Close()
	for brows.Next() {
		b, err := scanBatch(brows)
		if err != nil {
			return nil, err
		}
		r.batches[b.BatchNo] = b
	}
	return r, brows.Err()
}

// township resolves a township-level unit by code or exact name.
func (r *resolver) township(s string) (unitRef, error) {
	if u, ok := r.towns[s]; ok {
		return u, nil
	}
	if r.towns == nil {
		r.towns = map[string]unitRef{}
		for _, kind := range []string{org.KindTownship, org.KindStreet} {
			us, err := org.RefsOfKind(context.Background(), r.q, kind)
			if err != nil {
				return unitRef{}, fmt.Errorf("read townships: %w", err)
			}
			for _, u := range us {
				r.towns[u.Code], r.towns[u.Name] = u, u
			}
		}
		if u, ok := r.towns[s]; ok {
			return u, nil
		}
	}
	return unitRef{}, store.Invalidf("“%s”不是乡镇（街道）（请填写乡镇全称或单位编码）", s)
}

// townshipGovernments are the names of a township's own government as an
// implementing body.
var townshipGovernments = []string{"乡镇人民政府", "乡（镇）人民政府", "镇人民政府", "乡人民政府", "街道办事处", "乡镇（街道）"}

// institution reports whether some township-level unit has an institution
// (办、队、中心) of this name: the implementing body (实施主体) of a power.
func (r *resolver) institution(name string) (bool, error) {
	if slices.Contains(townshipGovernments, name) {
		return true, nil
	}
	if r.institutions == nil {
		rows, err := r.q.Query(context.Background(), `SELECT DISTINCT i.name FROM institutions i JOIN units u ON u.id = i.unit_id WHERE u.kind IN ('township', 'street')`)
		if err != nil {
			return false, fmt.Errorf("read institutions: %w", err)
		}
		defer rows.Close()
		r.institutions = map[string]bool{}
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				return false, err
			}
			r.institutions[n] = true
		}
		if err := rows.Err(); err != nil {
			return false, err
		}
	}
	return r.institutions[name], nil
}

// department resolves a county department by code or exact name.
func (r *resolver) department(field, s string) (unitRef, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return unitRef{}, store.Invalidf("%s不能为空", field)
	}
	u, ok := r.units[s]
	if !ok {
		return unitRef{}, store.Invalidf("%s“%s”不是县直部门（请填写部门全称或单位编码）", field, s)
	}
	return u, nil
}

// check validates an input's own fields (matter, township type, units,
// batch) without touching the database, and returns the item it names. A
// matter or batch given in the input but not yet stored gets ID 0.
func (r *resolver) check(in *ItemInput) (Item, error) {
	it := Item{List: r.list}
	in.MatterCode = strings.ToUpper(strings.TrimSpace(in.MatterCode))
	if in.Matter != nil {
		in.Matter.Code = in.MatterCode
		if err := in.Matter.normalise(); err != nil {
			return it, err
		}
		it.Matter = Matter{ID: r.matters[in.MatterCode].ID, Code: in.MatterCode, Type: in.MatterCode[:2], TypeName: TypeName(in.MatterCode[:2]),
			Name: in.Matter.Name, BasisLaw: in.Matter.BasisLaw, BasisArticle: in.Matter.BasisArticle}
	} else {
		if err := ValidateCode(in.MatterCode); err != nil {
			return it, err
		}
		m, ok := r.matters[in.MatterCode]
		if !ok {
			return it, store.Invalidf("事项编码“%s”不在事项目录中，请先登记该事项", in.MatterCode)
		}
		it.Matter = m
	}
	trim := func(p *string) { *p = strings.TrimSpace(*p) }
	for _, p := range []*string{&in.TownshipType, &in.Subject, &in.Duties, &in.Accountability, &in.SupportDuties, &in.Note, &in.BatchNo} {
		trim(p)
	}
	it.Subject, it.Duties, it.Accountability, it.SupportDuties, it.Note = in.Subject, in.Duties, in.Accountability, in.SupportDuties, in.Note
	switch r.list {
	case PowerList, EmpowermentList:
		if !validTownshipType(in.TownshipType) {
			return it, store.Invalidf("乡镇类型“%s”不正确：应为 %s 之一", in.TownshipType, strings.Join(TownshipTypes, "、"))
		}
		it.TownshipType = in.TownshipType
	}
	switch r.list {
	case PowerList:
		if in.Subject == "" {
			return it, store.Invalid("实施主体不能为空")
		}
		ok, err := r.institution(in.Subject)
		if err != nil {
			return it, err
		}
		if !ok {
			return it, store.Invalidf("实施主体“%s”不存在：应为乡镇（街道）已设立的机构（如 综合执法队、综合便民服务中心），请先在组织网络中设立", in.Subject)
		}
		if in.Duties == "" {
			return it, store.Invalid("责任事项不能为空")
		}
	case TerritorialList:
		u, err := r.department("主体责任部门", in.UnitCode)
		if err != nil {
			return it, err
		}
		it.unitID, it.UnitCode, it.UnitName = u.ID, u.Code, u.Name
		if in.Duties == "" {
			return it, store.Invalid("主体责任事项不能为空")
		}
		if in.SupportDuties == "" {
			return it, store.Invalid("乡镇（街道）配合责任不能为空")
		}
		var codes []string
		for _, s := range in.SupportUnits {
			if strings.TrimSpace(s) == "" {
				continue
			}
			su, err := r.department("配合部门", s)
			if err != nil {
				return it, err
			}
			if su.ID == u.ID {
				return it, store.Invalidf("配合部门“%s”与主体责任部门相同", su.Name)
			}
			if !slices.Contains(codes, su.Code) {
				codes = append(codes, su.Code)
			}
		}
		slices.Sort(codes)
		it.SupportUnits = codes
	case AccessList:
		u, err := r.department("县直部门", in.UnitCode)
		if err != nil {
			return it, err
		}
		it.unitID, it.UnitCode, it.UnitName = u.ID, u.Code, u.Name
		if in.Duties == "" {
			return it, store.Invalid("准入工作内容不能为空")
		}
	case EmpowermentList:
		if in.BatchNo == "" {
			return it, store.Invalid("批次号不能为空")
		}
		b, ok := r.batches[in.BatchNo]
		if in.Batch != nil {
			in.Batch.BatchNo = in.BatchNo
			if err := in.Batch.normalise(); err != nil {
				return it, err
			}
			if ok && (b.DocNo != in.Batch.DocNo || !sameDay(b.EffectiveAt, in.Batch.EffectiveAt)) {
				return it, store.Invalidf("批次“%s”已登记为 %s、%s 生效，与本行的文号或生效日期不一致",
					b.BatchNo, b.DocNo, b.EffectiveAt.In(shanghai).Format("2006-01-02"))

			}
			if !ok {
				b = Batch{BatchNo: in.BatchNo, DocNo: in.Batch.DocNo, EffectiveAt: in.Batch.EffectiveAt, Note: in.Batch.Note}
			}
		} else if !ok {
			return it, store.Invalidf("赋权批次“%s”不存在，请先登记批次", in.BatchNo)
		}
		it.batchID = b.ID
		bb := b
		it.Batch = &bb
		if in.UnitCode = strings.TrimSpace(in.UnitCode); in.UnitCode != "" {
			// 差别化赋权: the power goes to this township alone.
			t, err := r.township(in.UnitCode)
			if err != nil {
				return it, err
			}
			if t.TownshipType != it.TownshipType {
				return it, store.Invalidf("%s的乡镇类型是“%s”，不是“%s”", t.Name, t.TownshipType, it.TownshipType)
			}
			it.unitID, it.UnitCode, it.UnitName = t.ID, t.Code, t.Name
		}
	}
	if r.list != TerritorialList {
		it.SupportUnits, it.SupportDuties = nil, ""
	}
	if r.list != PowerList {
		it.Subject, it.Accountability = "", ""
	}
	if r.list == PowerList {
		it.unitID, it.UnitCode, it.UnitName = 0, "", ""
	}
	if r.list == EmpowermentList {
		it.Duties = ""
	}
	return it, nil
}

func sameDay(a, b time.Time) bool {
	return a.In(shanghai).Format("20060102") == b.In(shanghai).Format("20060102")
}

// change is one list change to write: items to put (added or changed) and
// keys to remove.
type change struct {
	list    ListKind
	put     []Item
	remove  []string
	replace bool // remove every current item not put
	reason  string
	demo    bool
	// progress is called with the rows written so far and the total.
	progress func(done, total int)
}

// Summary counts what a change did.
type Summary struct {
	Version int `json:"version"`
	Added   int `json:"added"`
	Changed int `json:"changed"`
	Removed int `json:"removed"`
}

// apply writes a change inside tx as one new version (none when nothing
// differs from the current list), with its audit entry.
func (s *Service) apply(ctx context.Context, tx *store.Tx, actor access.Actor, c change) (Summary, error) {
	if tx.Dialect == store.Postgres {
		// Lock the list's head before reading it, so that two concurrent
		// changes are computed one after the other (SQLite's single writer
		// already serialises them).
		if _, err := tx.Exec(ctx, `SELECT version FROM list_heads WHERE list = ? FOR UPDATE`, string(c.list)); err != nil {
			return Summary{}, fmt.Errorf("lock %s list: %w", c.list, err)
		}
	}
	current, err := s.items(ctx, tx, c.list, 0, Filter{})
	if err != nil {
		return Summary{}, err
	}
	byKey := make(map[string]Item, len(current))
	for _, it := range current {
		byKey[it.Key] = it
	}
	var sum Summary
	var closeIDs []int64
	var inserts []Item
	kept := map[string]bool{}
	for _, it := range c.put {
		it.Key = itemKey(c.list, it.TownshipType, it.unitID, it.Matter.ID)
		if kept[it.Key] {
			return Summary{}, store.Invalidf("事项“%s”在本次修改中出现了两次", it.Matter.Name)
		}
		kept[it.Key] = true
		old, ok := byKey[it.Key]
		switch {
		case !ok:
			sum.Added++
		case sameContent(old, it):
			continue
		default:
			sum.Changed++
			closeIDs = append(closeIDs, old.ID)
		}
		it.Demo = c.demo
		inserts = append(inserts, it)
	}
	for _, k := range c.remove {
		old, ok := byKey[k]
		if !ok {
			return Summary{}, store.NotFound("清单中没有这一项（可能已被他人删除）")
		}
		if kept[k] {
			continue
		}
		kept[k] = true
		sum.Removed++
		closeIDs = append(closeIDs, old.ID)
	}
	if c.replace {
		for _, it := range current {
			if !kept[it.Key] {
				sum.Removed++
				closeIDs = append(closeIDs, it.ID)
			}
		}
	}
	if sum.Added+sum.Changed+sum.Removed == 0 {
		sum.Version, err = s.currentVersion(ctx, tx, c.list)
		return sum, err
	}
	if err := tx.QueryRow(ctx, `UPDATE list_heads SET version = version + 1 WHERE list = ? RETURNING version`, string(c.list)).Scan(&sum.Version); err != nil {
		return Summary{}, fmt.Errorf("number %s version: %w", c.list, err)
	}
	total := len(closeIDs) + len(inserts)
	done := 0
	report := func(n int) {
		done += n
		if c.progress != nil {
			c.progress(done, total)
		}
	}
	const chunk = 400
	for i := 0; i < len(closeIDs); i += chunk {
		ids := closeIDs[i:min(i+chunk, len(closeIDs))]
		args := []any{sum.Version}
		for _, id := range ids {
			args = append(args, id)
		}
		if _, err := tx.Exec(ctx, `UPDATE list_items SET v_to = ? WHERE id IN (`+placeholders(len(ids))+`)`, args...); err != nil {
			return Summary{}, fmt.Errorf("close %s items: %w", c.list, err)
		}
		report(len(ids))
	}
	const cols = 14
	const rowsPer = 200
	for i := 0; i < len(inserts); i += rowsPer {
		batch := inserts[i:min(i+rowsPer, len(inserts))]
		var b strings.Builder
		b.WriteString(`INSERT INTO list_items (list, item_key, township_type, unit_id, matter_id, batch_id, subject, duties, accountability, support_units, support_duties, note, demo, v_from) VALUES `)
		args := make([]any, 0, len(batch)*cols)
		for j, it := range batch {
			if j > 0 {
				b.WriteString(",")
			}
			b.WriteString("(" + placeholders(cols) + ")")
			args = append(args, string(c.list), it.Key, it.TownshipType, store.NullID(it.unitID), it.Matter.ID, store.NullID(it.batchID),
				it.Subject, it.Duties, it.Accountability, strings.Join(it.SupportUnits, ","), it.SupportDuties, it.Note, store.BoolInt(it.Demo), sum.Version)
		}
		if _, err := tx.Exec(ctx, b.String(), args...); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return Summary{}, store.Conflict("清单已被他人同时修改，请刷新后重试")
			}
			return Summary{}, fmt.Errorf("write %s items: %w", c.list, err)
		}
		report(len(batch))
	}
	name := actor.Username
	if name == "" {
		name = actor.Name
	}
	if _, err := tx.Exec(ctx, `INSERT INTO list_versions (list, no, at, user_id, actor_name, reason, added, removed, changed, demo)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, string(c.list), sum.Version, store.Millis(s.now()), store.NullID(actor.UserID), name,
		c.reason, sum.Added, sum.Removed, sum.Changed, store.BoolInt(c.demo)); err != nil {
		return Summary{}, fmt.Errorf("record %s version: %w", c.list, err)
	}
	if err := audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "list.change", Entity: "list", EntityID: string(c.list), After: sum, Reason: c.reason}); err != nil {
		return Summary{}, err
	}
	return sum, nil
}

func placeholders(n int) string { return strings.TrimSuffix(strings.Repeat("?,", n), ",") }

// needReason refuses a change without a reason: every version says why.
func needReason(reason string) error {
	if strings.TrimSpace(reason) == "" {
		return store.Invalid("请填写修改原因（每次修改清单都要记录原因）")
	}
	return nil
}

// SaveItem adds an item to a list, or changes the item with the same key,
// as a new version of the list.
func (s *Service) SaveItem(ctx context.Context, actor access.Actor, list ListKind, in ItemInput, reason string) (Item, Summary, error) {
	if err := mustEdit(actor); err != nil {
		return Item{}, Summary{}, err
	}
	if err := needReason(reason); err != nil {
		return Item{}, Summary{}, err
	}
	in.Matter, in.Batch = nil, nil
	var out Item
	var sum Summary
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		r, err := s.newResolver(ctx, tx, list)
		if err != nil {
			return err
		}
		it, err := r.check(&in)
		if err != nil {
			return err
		}
		sum, err = s.apply(ctx, tx, actor, change{list: list, put: []Item{it}, reason: strings.TrimSpace(reason)})
		if err != nil {
			return err
		}
		out, err = s.itemByKey(ctx, tx, list, itemKey(list, it.TownshipType, it.unitID, it.Matter.ID))
		return err
	})
	return out, sum, err
}

// RemoveItem takes an item off a list, as a new version of the list.
func (s *Service) RemoveItem(ctx context.Context, actor access.Actor, list ListKind, key, reason string) (Summary, error) {
	if err := mustEdit(actor); err != nil {
		return Summary{}, err
	}
	if err := needReason(reason); err != nil {
		return Summary{}, err
	}
	var sum Summary
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		sum, err = s.apply(ctx, tx, actor, change{list: list, remove: []string{key}, reason: strings.TrimSpace(reason)})
		return err
	})
	return sum, err
}

// Item returns the current item with key.
func (s *Service) Item(ctx context.Context, actor access.Actor, list ListKind, key string) (Item, error) {
	if err := mustRead(actor); err != nil {
		return Item{}, err
	}
	return s.itemByKey(ctx, s.db, list, key)
}

func (s *Service) itemByKey(ctx context.Context, q querier, list ListKind, key string) (Item, error) {
	it, err := scanItem(q.QueryRow(ctx, itemSelect+` WHERE li.list = ? AND li.item_key = ? AND li.v_to IS NULL`, string(list), key))
	if err != nil {
		if isNotFound(err) {
			return it, store.NotFoundf("%s中没有这一项", list.Title())
		}
		return it, fmt.Errorf("read %s item: %w", list, err)
	}
	return it, nil
}

// InputOf turns an item back into the input that would produce it (edit
// forms, exports).
func InputOf(it Item) ItemInput {
	in := ItemInput{TownshipType: it.TownshipType, UnitCode: it.UnitCode, MatterCode: it.Matter.Code,
		Subject: it.Subject, Duties: it.Duties, Accountability: it.Accountability,
		SupportUnits: it.SupportUnits, SupportDuties: it.SupportDuties, Note: it.Note}
	if it.Batch != nil {
		in.BatchNo = it.Batch.BatchNo
	}
	return in
}

// ItemsAsOf returns the list as it stood at t, and that version's number;
// before the list's first version it is empty (version 0).
func (s *Service) ItemsAsOf(ctx context.Context, actor access.Actor, list ListKind, t time.Time, f Filter) (int, []Item, error) {
	if err := mustRead(actor); err != nil {
		return 0, nil, err
	}
	v, err := s.VersionAt(ctx, list, t)
	if err != nil || v == 0 {
		return 0, nil, err
	}
	items, err := s.items(ctx, s.db, list, v, f)
	return v, items, err
}
