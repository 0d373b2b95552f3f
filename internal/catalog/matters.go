package catalog

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/store"
)

// Matter is an entry of the catalogue of matters (事项), unified in type,
// name, legal basis and code (四统一).
type Matter struct {
	ID           int64     `json:"-"`
	Code         string    `json:"code"`
	Type         string    `json:"type"`
	TypeName     string    `json:"type_name"`
	Name         string    `json:"name"`
	BasisLaw     string    `json:"basis_law"`
	BasisArticle string    `json:"basis_article"`
	Demo         bool      `json:"demo"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// Basis is the printed legal basis: 《法》第N条.
func (m Matter) Basis() string { return FormatBasis(m.BasisLaw, m.BasisArticle) }

// MatterInput is a matter as a clerk enters it.
type MatterInput struct {
	Code         string `json:"code"`
	Name         string `json:"name"`
	BasisLaw     string `json:"basis_law"`
	BasisArticle string `json:"basis_article"`
}

// normalise trims the input and validates it; the type comes from the code.
func (in *MatterInput) normalise() error {
	in.Code = strings.ToUpper(strings.TrimSpace(in.Code))
	in.Name = strings.TrimSpace(in.Name)
	in.BasisLaw = strings.Trim(strings.TrimSpace(in.BasisLaw), "《》")
	in.BasisArticle = strings.TrimSpace(in.BasisArticle)
	if err := ValidateCode(in.Code); err != nil {
		return err
	}
	if in.Name == "" {
		return store.Invalid("事项名称不能为空")
	}
	if len([]rune(in.Name)) > 200 {
		return store.Invalid("事项名称不能超过200个字")
	}
	if in.BasisLaw == "" && in.BasisArticle != "" {
		return store.Invalid("填写了设定依据的条款，请同时填写法律法规名称")
	}
	if strings.ContainsAny(in.BasisLaw, "《》") {
		return store.Invalid("设定依据的法律法规名称中不能含有书名号")
	}
	return nil
}

const matterCols = `id, code, type, name, basis_law, basis_article, demo, updated_at`

func scanMatter(sc interface{ Scan(...any) error }) (Matter, error) {
	var m Matter
	var demo int
	var updated int64
	err := sc.Scan(&m.ID, &m.Code, &m.Type, &m.Name, &m.BasisLaw, &m.BasisArticle, &demo, &updated)
	m.Demo, m.UpdatedAt, m.TypeName = demo == 1, store.Time(updated), TypeName(m.Type)
	return m, err
}

// MatterFilter narrows a list of matters.
type MatterFilter struct {
	Type string // type code, "" for all
	Q    string // part of the name or the code
}

// Matters lists the catalogue, by code.
func (s *Service) Matters(ctx context.Context, actor access.Actor, f MatterFilter) ([]Matter, error) {
	if err := mustRead(actor); err != nil {
		return nil, err
	}
	q := `SELECT ` + matterCols + ` FROM matters WHERE 1=1`
	var args []any
	if f.Type != "" {
		q += ` AND type = ?`
		args = append(args, f.Type)
	}
	if f.Q != "" {
		q += ` AND (name LIKE ? OR code LIKE ?)`
		args = append(args, "%"+f.Q+"%", strings.ToUpper(f.Q)+"%")
	}
	rows, err := s.db.Query(ctx, q+` ORDER BY code`, args...)
	out, err := store.Collect(rows, err, scanMatter)
	if err != nil {
		return nil, fmt.Errorf("list matters: %w", err)
	}
	return out, nil
}

// Matter returns one matter by code.
func (s *Service) Matter(ctx context.Context, code string) (Matter, error) {
	return s.matterByCode(ctx, s.db, code)
}

func (s *Service) matterByCode(ctx context.Context, q querier, code string) (Matter, error) {
	code = strings.ToUpper(strings.TrimSpace(code))
	m, err := scanMatter(q.QueryRow(ctx, `SELECT `+matterCols+` FROM matters WHERE code = ?`, code))
	if err != nil {
		if isNotFound(err) {
			return m, store.NotFoundf("事项编码“%s”不在事项目录中", code)
		}
		return m, fmt.Errorf("read matter %s: %w", code, err)
	}
	return m, nil
}

// SaveMatter creates a matter, or updates the name and basis of the one with
// the same code (a code, once given, never changes: it is the matter's
// identity in every list). It reports whether the matter was created.
func (s *Service) SaveMatter(ctx context.Context, actor access.Actor, in MatterInput, reason string) (Matter, bool, error) {
	if err := mustEdit(actor); err != nil {
		return Matter{}, false, err
	}
	if err := in.normalise(); err != nil {
		return Matter{}, false, err
	}
	var out Matter
	var created bool
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		out, created, err = s.saveMatterTx(ctx, tx, actor, in, reason, false)
		return err
	})
	return out, created, err
}

func (s *Service) saveMatterTx(ctx context.Context, tx *store.Tx, actor access.Actor, in MatterInput, reason string, demo bool) (Matter, bool, error) {
	now := store.Millis(s.now())
	old, err := s.matterByCode(ctx, tx, in.Code)
	switch {
	case errors.Is(err, store.ErrNotFound):
		var id int64
		err := tx.QueryRow(ctx, `INSERT INTO matters (code, type, name, basis_law, basis_article, demo, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			in.Code, in.Code[:2], in.Name, in.BasisLaw, in.BasisArticle, store.BoolInt(demo), now, now).Scan(&id)
		if err != nil {
			return Matter{}, false, fmt.Errorf("create matter %s: %w", in.Code, err)
		}
		m := Matter{ID: id, Code: in.Code, Type: in.Code[:2], TypeName: TypeName(in.Code[:2]), Name: in.Name,
			BasisLaw: in.BasisLaw, BasisArticle: in.BasisArticle, Demo: demo, UpdatedAt: store.Time(now)}
		if err := audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "matter.create", Entity: "matter", EntityID: m.Code, After: in, Reason: reason}); err != nil {
			return Matter{}, false, err
		}
		return m, true, nil
	case err != nil:
		return Matter{}, false, err
	}
	if old.Name == in.Name && old.BasisLaw == in.BasisLaw && old.BasisArticle == in.BasisArticle {
		return old, false, nil
	}
	if _, err := tx.Exec(ctx, `UPDATE matters SET name = ?, basis_law = ?, basis_article = ?, updated_at = ? WHERE id = ?`,
		in.Name, in.BasisLaw, in.BasisArticle, now, old.ID); err != nil {
		return Matter{}, false, fmt.Errorf("update matter %s: %w", in.Code, err)
	}
	before := MatterInput{Code: old.Code, Name: old.Name, BasisLaw: old.BasisLaw, BasisArticle: old.BasisArticle}
	if err := audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "matter.update", Entity: "matter", EntityID: old.Code, Before: before, After: in, Reason: reason}); err != nil {
		return Matter{}, false, err
	}
	m := old
	m.Name, m.BasisLaw, m.BasisArticle, m.UpdatedAt = in.Name, in.BasisLaw, in.BasisArticle, store.Time(now)
	return m, false, nil
}
