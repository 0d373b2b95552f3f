package civility

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/store"
)

// Kinds of items.
const (
	Positive = "positive"
	Negative = "negative"
)

// Kinds of legal basis.
const (
	BasisRegulation  = "regulation"   // 《南平市文明行为促进条例》
	BasisMeasures    = "measures"     // the county's measures (浦城县市民不文明行为管理办法)
	BasisVillageRule = "village_rule" // a village rule (村规民约), with the assembly's date
	BasisLaw         = "law"          // a law or administrative regulation (a legal violation)
)

// BasisKinds lists the kinds of basis in display order.
var BasisKinds = []string{BasisRegulation, BasisMeasures, BasisVillageRule, BasisLaw}

// Item is one version of a catalogue item (行为目录条目).
type Item struct {
	ID           int64  `json:"id"`
	Code         string `json:"code"`
	Version      int    `json:"version"`
	Name         string `json:"name"`
	Kind         string `json:"kind"`
	Points       int    `json:"points"`
	ValidityDays int    `json:"validity_days"`
	Evidence     string `json:"evidence"`
	BasisKind    string `json:"basis_kind"`
	Basis        string `json:"basis"`
	AssemblyDate string `json:"assembly_date,omitempty"`
	// LegalViolation marks a record of a legal violation: kept, never
	// scored.
	LegalViolation bool      `json:"legal_violation"`
	Demo           bool      `json:"demo"`
	CreatedBy      string    `json:"created_by"`
	CreatedAt      time.Time `json:"created_at"`
}

var codeRE = regexp.MustCompile(`^[A-Z][A-Z0-9-]{1,19}$`)

// checkItem validates an item; the rule that binds the whole design is
// here: a negative item without a legal basis cannot be saved.
func checkItem(it *Item) error {
	it.Code, it.Name, it.Basis, it.Evidence = clean(it.Code), clean(it.Name), clean(it.Basis), clean(it.Evidence)
	it.AssemblyDate = clean(it.AssemblyDate)
	switch {
	case !codeRE.MatchString(it.Code):
		return store.Invalid("条目编码应为2至20位大写字母、数字或连字符，以字母开头")
	case it.Name == "" || utf8.RuneCountInString(it.Name) > 100:
		return store.Invalid("请填写条目名称（最多100字）")
	case it.Kind != Positive && it.Kind != Negative:
		return store.Invalid("条目类别应为正面(positive)或负面(negative)")
	case it.Points < 0 || it.Points > 1000:
		return store.Invalid("分值应在0至1000之间")
	case it.ValidityDays <= 0 || it.ValidityDays > 3650:
		return store.Invalid("有效期应在1至3650天之间")
	case it.BasisKind != "" && !slices.Contains(BasisKinds, it.BasisKind):
		return store.Invalid("依据类别应为条例、办法、村规民约或法律法规")
	case utf8.RuneCountInString(it.Basis) > 500:
		return store.Invalid("依据不能超过500字")
	}
	if it.Kind == Negative && (it.Basis == "" || it.BasisKind == "") {
		return store.Invalid("负面条目必须写明法律、法规或村规民约依据，没有依据的不能纳入目录")
	}
	if it.BasisKind == BasisVillageRule {
		if _, err := time.Parse("2006-01-02", it.AssemblyDate); err != nil {
			return store.Invalid("以村规民约为依据的条目须写明村民会议通过的日期（YYYY-MM-DD）")
		}
	} else {
		it.AssemblyDate = ""
	}
	if it.BasisKind == BasisLaw {
		it.LegalViolation = true
	}
	if it.LegalViolation {
		it.Points = 0
	}
	return nil
}

// SaveItem writes a new version of the item with its code (version 1 when
// the code is new); earlier versions stay for the entries that name them.
// Only the civilisation office (and county administrators) keep the
// catalogue.
func (s *Service) SaveItem(ctx context.Context, actor access.Actor, it Item) (Item, error) {
	ok, err := s.office(ctx, actor)
	if err != nil {
		return Item{}, err
	}
	if !ok {
		return Item{}, store.Forbidden("只有县文明办可以维护行为目录")
	}
	if err := checkItem(&it); err != nil {
		return Item{}, err
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		return s.saveItem(ctx, tx, actor, &it)
	})
	return it, err
}

func (s *Service) saveItem(ctx context.Context, tx *store.Tx, actor access.Actor, it *Item) error {
	if err := checkItem(it); err != nil {
		return err
	}
	var last int
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM civility_items WHERE code = ?`, it.Code).Scan(&last); err != nil {
		return fmt.Errorf("item %s: %w", it.Code, err)
	}
	if _, err := tx.Exec(ctx, `UPDATE civility_items SET current = 0 WHERE code = ?`, it.Code); err != nil {
		return fmt.Errorf("item %s: %w", it.Code, err)
	}
	it.Version, it.CreatedBy, it.CreatedAt = last+1, actor.Recorded(), s.now().In(shanghai)
	err := tx.QueryRow(ctx, `INSERT INTO civility_items (code, version, current, name, kind, points, validity_days, evidence, basis_kind, basis,
		assembly_date, legal_violation, demo, created_by, created_at) VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		it.Code, it.Version, it.Name, it.Kind, it.Points, it.ValidityDays, it.Evidence, it.BasisKind, it.Basis, it.AssemblyDate,
		store.BoolInt(it.LegalViolation), store.BoolInt(it.Demo), it.CreatedBy, store.Millis(it.CreatedAt)).Scan(&it.ID)
	if err != nil {
		return fmt.Errorf("save item %s: %w", it.Code, store.Normalize(err))
	}
	return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "civility.item.save", Entity: "civility_item", EntityID: it.Code,
		After: map[string]any{"version": it.Version, "kind": it.Kind, "points": it.Points, "basis": it.Basis}})
}

const itemCols = `id, code, version, name, kind, points, validity_days, evidence, basis_kind, basis, assembly_date, legal_violation, demo, created_by, created_at`

func scanItem(sc store.Scanner) (Item, error) {
	var it Item
	var at int64
	err := sc.Scan(&it.ID, &it.Code, &it.Version, &it.Name, &it.Kind, &it.Points, &it.ValidityDays, &it.Evidence, &it.BasisKind, &it.Basis,
		&it.AssemblyDate, &it.LegalViolation, &it.Demo, &it.CreatedBy, &at)
	it.CreatedAt = store.Time(at).In(shanghai)
	return it, err
}

// Items lists the current version of every item, by kind and code. Anyone
// signed in may read the catalogue; it is public law, not personal data.
func (s *Service) Items(ctx context.Context) ([]Item, error) {
	rows, err := s.db.Query(ctx, `SELECT `+itemCols+` FROM civility_items WHERE current = 1 ORDER BY kind DESC, code`)
	out, err := store.Collect(rows, err, scanItem)
	if err != nil {
		return nil, fmt.Errorf("civility items: %w", err)
	}
	return out, nil
}

// ItemVersions lists every version of the item with code, newest first.
func (s *Service) ItemVersions(ctx context.Context, code string) ([]Item, error) {
	rows, err := s.db.Query(ctx, `SELECT `+itemCols+` FROM civility_items WHERE code = ? ORDER BY version DESC`, code)
	return store.Collect(rows, err, scanItem)
}

// currentItem is the current version of code.
func currentItem(ctx context.Context, q querier, code string) (Item, error) {
	it, err := scanItem(q.QueryRow(ctx, `SELECT `+itemCols+` FROM civility_items WHERE current = 1 AND code = ?`, code))
	if err != nil {
		if errors.Is(store.Normalize(err), store.ErrNotFound) {
			return it, store.Invalidf("行为目录中没有条目 %s", code)
		}
		return it, fmt.Errorf("item %s: %w", code, err)
	}
	return it, nil
}

// BasisText is the basis as a notice prints it.
func (it Item) BasisText() string {
	if it.BasisKind == BasisVillageRule {
		return it.Basis + "（村民会议" + it.AssemblyDate + "通过）"
	}
	return it.Basis
}

// PointsText is the signed points.
func (it Item) PointsText() string {
	if it.LegalViolation {
		return "不计分"
	}
	if it.Kind == Negative {
		return "-" + strconv.Itoa(it.Points)
	}
	return "+" + strconv.Itoa(it.Points)
}
