package org

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"grassroots/internal/access"
	"grassroots/internal/store"
)

// This file is the read API of the units table for the other domain
// packages: org owns the table, and casework, catalog, service, auth, web,
// api and cmd look a unit up through these functions rather than with their
// own queries. They take a store.RowQueryer (or store.Querier), so they run
// inside the caller's transaction (*store.Tx) as well as on the reader pool
// (*store.DB). They check no scope: the caller has decided who may see what.
// Errors are the store kinds (store.ErrNotFound when there is no such
// unit); the caller words the message, since "no such unit" means different
// things to a clerk typing a code and to a case whose unit is gone.

// Ref is a unit as the other domains need it: who it is and where it sits.
type Ref struct {
	ID           int64
	Code         string
	Name         string
	Kind         string
	Path         string
	TownshipType string
}

// IsTownshipLevel reports whether the unit is a township or a street.
func (r Ref) IsTownshipLevel() bool { return r.Kind == KindTownship || r.Kind == KindStreet }

const refCols = `id, code, name, kind, path, township_type`

func scanRef(sc store.Scanner) (Ref, error) {
	var r Ref
	err := sc.Scan(&r.ID, &r.Code, &r.Name, &r.Kind, &r.Path, &r.TownshipType)
	return r, err
}

// RefByID returns the unit with id.
func RefByID(ctx context.Context, q store.RowQueryer, id int64) (Ref, error) {
	return scanRef(q.QueryRow(ctx, `SELECT `+refCols+` FROM units WHERE id = ?`, id))
}

// RefByCode returns the unit with code (surrounding spaces ignored).
func RefByCode(ctx context.Context, q store.RowQueryer, code string) (Ref, error) {
	return scanRef(q.QueryRow(ctx, `SELECT `+refCols+` FROM units WHERE code = ?`, strings.TrimSpace(code)))
}

// CountyRef returns the county the installation serves: the first unit of
// kind county.
func CountyRef(ctx context.Context, q store.RowQueryer) (Ref, error) {
	return scanRef(q.QueryRow(ctx, `SELECT `+refCols+` FROM units WHERE kind = ? ORDER BY id LIMIT 1`, KindCounty))
}

// FirstTownshipOfType returns the township or street of a township type
// with the lowest code.
func FirstTownshipOfType(ctx context.Context, q store.RowQueryer, townshipType string) (Ref, error) {
	return scanRef(q.QueryRow(ctx, `SELECT `+refCols+` FROM units WHERE kind IN ('township', 'street') AND township_type = ? ORDER BY code LIMIT 1`, townshipType))
}

// TownshipRefAbove returns the deepest township or street whose path is a
// prefix of path (the township a unit at path lies in, or is); false when
// there is none.
func TownshipRefAbove(ctx context.Context, q store.RowQueryer, path string) (Ref, bool, error) {
	r, err := scanRef(q.QueryRow(ctx, `SELECT `+refCols+` FROM units WHERE kind IN ('township', 'street') AND ? LIKE path || '%'
		ORDER BY depth DESC LIMIT 1`, path))
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return Ref{}, false, nil
		}
		return Ref{}, false, fmt.Errorf("township of %s: %w", path, err)
	}
	return r, true, nil
}

// RefsOfKind returns every unit of a kind, ordered by code.
func RefsOfKind(ctx context.Context, q store.Querier, kind string) ([]Ref, error) {
	rows, err := q.Query(ctx, `SELECT `+refCols+` FROM units WHERE kind = ? ORDER BY code`, kind)
	return store.Collect(rows, err, scanRef)
}

// RefsOfKinds returns every unit of the given kinds, ordered by code, at
// most limit of them (all when limit is 0).
func RefsOfKinds(ctx context.Context, q store.Querier, kinds []string, limit int) ([]Ref, error) {
	if len(kinds) == 0 {
		return []Ref{}, nil
	}
	args := make([]any, 0, len(kinds)+1)
	for _, k := range kinds {
		args = append(args, k)
	}
	query := `SELECT ` + refCols + ` FROM units WHERE kind IN (` + placeholders(len(kinds)) + `) ORDER BY code`
	if limit > 0 {
		query += ` LIMIT ?`
		args = append(args, limit)
	}
	rows, err := q.Query(ctx, query, args...)
	return store.Collect(rows, err, scanRef)
}

// ChildRefs returns the direct children of a unit, ordered by code, only
// those of the given kinds when kinds are given.
func ChildRefs(ctx context.Context, q store.Querier, parentID int64, kinds ...string) ([]Ref, error) {
	query := `SELECT ` + refCols + ` FROM units WHERE parent_id = ?`
	args := []any{parentID}
	if len(kinds) > 0 {
		query += ` AND kind IN (` + placeholders(len(kinds)) + `)`
		for _, k := range kinds {
			args = append(args, k)
		}
	}
	rows, err := q.Query(ctx, query+` ORDER BY code`, args...)
	return store.Collect(rows, err, scanRef)
}

// RefsByName returns up to limit units named exactly name, ordered by code.
func RefsByName(ctx context.Context, q store.Querier, name string, limit int) ([]Ref, error) {
	rows, err := q.Query(ctx, `SELECT `+refCols+` FROM units WHERE name = ? ORDER BY code LIMIT ?`, name, limit)
	return store.Collect(rows, err, scanRef)
}

// SubtreeRefsOfKind returns the units of a kind at or below the unit at
// path, ordered by code, at most limit of them.
func SubtreeRefsOfKind(ctx context.Context, q store.Querier, path, kind string, limit int) ([]Ref, error) {
	lo, hi := access.PathRange(path)
	rows, err := q.Query(ctx, `SELECT `+refCols+` FROM units WHERE kind = ? AND path >= ? AND path < ? ORDER BY code LIMIT ?`, kind, lo, hi, limit)
	return store.Collect(rows, err, scanRef)
}

// Choice is a unit offered in a picker: code, name and kind.
type Choice struct {
	Code string `json:"code"`
	Name string `json:"name"`
	Kind string `json:"kind,omitempty"`
}

func scanChoice(sc store.Scanner) (Choice, error) {
	var c Choice
	err := sc.Scan(&c.Code, &c.Name, &c.Kind)
	return c, err
}

// ChoiceByCode returns the unit with code as a Choice.
func ChoiceByCode(ctx context.Context, q store.RowQueryer, code string) (Choice, error) {
	return scanChoice(q.QueryRow(ctx, `SELECT code, name, kind FROM units WHERE code = ?`, code))
}

// PlaceChoices lists the places actor may blow a whistle, raise a call or
// open an enforcement case for: the township-level units, communities and
// villages in their subtree (all townships for the county level), by path.
func PlaceChoices(ctx context.Context, q store.Querier, actor access.Actor) ([]Choice, error) {
	cond, args := actor.SubtreeFilter("path")
	if actor.CountyWide() || actor.UnitKind == KindDepartment {
		// County-level units, departments included, work across every
		// township (a department files a case for a township, 属地).
		cond, args = "kind IN ('township', 'street')", nil
	} else {
		cond = "kind IN ('township', 'street', 'community', 'village') AND " + cond
	}
	rows, err := q.Query(ctx, `SELECT code, name, kind FROM units WHERE `+cond+` ORDER BY path LIMIT 500`, args...)
	out, err := store.Collect(rows, err, scanChoice)
	if err != nil {
		return nil, fmt.Errorf("place choices: %w", err)
	}
	return out, nil
}

// UnitChoices lists the units of the given kinds, by code, for pickers
// (county departments, townships). Names of units are not secret.
func UnitChoices(ctx context.Context, q store.Querier, kinds ...string) ([]Choice, error) {
	if len(kinds) == 0 {
		return nil, nil
	}
	args := make([]any, len(kinds))
	for i, k := range kinds {
		args[i] = k
	}
	rows, err := q.Query(ctx, `SELECT code, name, kind FROM units WHERE kind IN (`+placeholders(len(kinds))+`) ORDER BY code LIMIT 2000`, args...)
	out, err := store.Collect(rows, err, scanChoice)
	if err != nil {
		return nil, fmt.Errorf("unit choices: %w", err)
	}
	return out, nil
}

// RootRef returns the first unit without a parent (for an installation
// whose divisions start above or without a county).
func RootRef(ctx context.Context, q store.RowQueryer) (Ref, error) {
	return scanRef(q.QueryRow(ctx, `SELECT `+refCols+` FROM units WHERE parent_id IS NULL ORDER BY id LIMIT 1`))
}

// PersonIDByName finds the one person called name tied to the unit with
// code, as an import names a person: none, or two of that name, is an
// invalid input the row reports.
func PersonIDByName(ctx context.Context, q store.Querier, name, code string) (int64, error) {
	rows, err := q.Query(ctx, `SELECT p.id FROM people p JOIN units u ON u.id = p.unit_id WHERE p.name = ? AND u.code = ? ORDER BY p.id LIMIT 2`, name, code)
	ids, err := store.Collect(rows, err, func(sc store.Scanner) (int64, error) {
		var id int64
		return id, sc.Scan(&id)
	})
	switch {
	case err != nil:
		return 0, err
	case len(ids) == 0:
		return 0, store.Invalidf("单位 %s 中找不到人员“%s”", code, name)
	case len(ids) > 1:
		return 0, store.Invalidf("单位 %s 中有多名“%s”，请在页面上逐一添加", code, name)
	}
	return ids[0], nil
}
