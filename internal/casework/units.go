package casework

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"grassroots/internal/org"
	"grassroots/internal/store"
)

// unitRef is what the engine needs of an organisation unit. org owns the
// units table; the engine looks units up through org's read API
// (org/ref.go), inside its own transactions.
type unitRef = org.Ref

// isTownshipKind reports whether a unit kind is township level (乡镇、街道).
func isTownshipKind(kind string) bool { return kind == "township" || kind == "street" }

func unitByID(ctx context.Context, tx *store.Tx, id int64) (unitRef, error) {
	u, err := org.RefByID(ctx, tx, id)
	if err != nil {
		return u, fmt.Errorf("unit %d: %w", id, err)
	}
	return u, nil
}

func unitByCode(ctx context.Context, tx *store.Tx, code string) (unitRef, error) {
	return org.RefByCode(ctx, tx, code)
}

// unitForUser finds the unit code a user typed, with a message to act on.
func unitForUser(ctx context.Context, tx *store.Tx, code string) (unitRef, error) {
	if strings.TrimSpace(code) == "" {
		return unitRef{}, store.Invalid("请选择单位")
	}
	u, err := unitByCode(ctx, tx, code)
	if err != nil {
		if isNotFound(err) {
			return u, store.Invalidf("找不到单位编码 %s", code)
		}
		return u, err
	}
	return u, nil
}

// countyUnit is the county the installation serves (the first unit of kind
// county).
func countyUnit(ctx context.Context, q store.RowQueryer) (unitRef, error) {
	u, err := org.CountyRef(ctx, q)
	if err != nil {
		if isNotFound(err) {
			return u, store.Invalid("尚未导入县级单位，无法编号工单")
		}
		return u, fmt.Errorf("county unit: %w", err)
	}
	return u, nil
}

// countyCode is the 6-digit division code of a county unit's code
// ("350722000000" → "350722").
func countyCode(code string) string {
	if len(code) >= 6 {
		return code[:6]
	}
	return code
}

// pathIDs splits a materialised path "/1/5/78/" into its ids, root first.
func pathIDs(path string) []int64 {
	var out []int64
	for _, p := range strings.Split(strings.Trim(path, "/"), "/") {
		if id, err := strconv.ParseInt(p, 10, 64); err == nil {
			out = append(out, id)
		}
	}
	return out
}

// townshipOf returns the township at or above the unit at path, if any.
func townshipOf(ctx context.Context, tx *store.Tx, path string) (unitRef, bool, error) {
	ids := pathIDs(path)
	for i := len(ids) - 1; i >= 0; i-- {
		u, err := unitByID(ctx, tx, ids[i])
		if err != nil {
			return u, false, err
		}
		if isTownshipKind(u.Kind) {
			return u, true, nil
		}
	}
	return unitRef{}, false, nil
}

// placeOf returns the unit a case's place is recorded at for a grid: its
// nearest ancestor that is a community or village (kind village), else the
// township, else the grid itself.
func placeOf(ctx context.Context, tx *store.Tx, grid unitRef) (unitRef, error) {
	ids := pathIDs(grid.Path)
	var township *unitRef
	for i := len(ids) - 2; i >= 0; i-- {
		u, err := unitByID(ctx, tx, ids[i])
		if err != nil {
			return u, err
		}
		switch u.Kind {
		case "village", "community":
			return u, nil
		case "township", "street":
			if township == nil {
				township = &u
			}
		}
	}
	if township != nil {
		return *township, nil
	}
	return grid, nil
}
