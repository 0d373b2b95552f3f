package trust

import (
	"context"
	"fmt"
	"regexp"
	"sort"

	"grassroots/internal/pii"
	"grassroots/internal/store"
)

// SealedColumn is a column holding pii-sealed values ("people.phone_enc").
type SealedColumn struct {
	Table, Column string
}

func (c SealedColumn) String() string { return c.Table + "." + c.Column }

// identifier keeps discovered names safe to splice into SQL.
var identifier = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// SealedColumns finds every column named *_enc in a table with an id
// column: by the project's convention those hold sealed personal data. New
// areas' sealed columns are found without this package knowing them.
func SealedColumns(ctx context.Context, db *store.DB) ([]SealedColumn, error) {
	var q string
	if db.Dialect == store.Postgres {
		q = `SELECT c.table_name, c.column_name FROM information_schema.columns c
			WHERE c.table_schema = current_schema() AND c.column_name LIKE '%\_enc'
			AND EXISTS (SELECT 1 FROM information_schema.columns i WHERE i.table_schema = c.table_schema AND i.table_name = c.table_name AND i.column_name = 'id')`
	} else {
		q = `SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
			WHERE m.type = 'table' AND p.name LIKE '%\_enc' ESCAPE '\'
			AND EXISTS (SELECT 1 FROM pragma_table_info(m.name) i WHERE i.name = 'id')`
	}
	rows, err := db.R.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("find sealed columns: %w", err)
	}
	defer rows.Close()
	var out []SealedColumn
	for rows.Next() {
		var c SealedColumn
		if err := rows.Scan(&c.Table, &c.Column); err != nil {
			return nil, fmt.Errorf("find sealed columns: %w", err)
		}
		if identifier.MatchString(c.Table) && identifier.MatchString(c.Column) {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out, rows.Err()
}

// ResealResult counts what a pass changed, by column.
type ResealResult struct {
	Resealed map[string]int
	// Failed are values that could not be opened (altered, or sealed under a
	// key this key file lacks); they are left as they were.
	Failed map[string]int
}

// Total is the number of values re-sealed.
func (r ResealResult) Total() int {
	n := 0
	for _, v := range r.Resealed {
		n += v
	}
	return n
}

// Reseal makes one pass over every sealed column, re-sealing in batches of
// batch rows each value not under the sealer's current key version. Each
// batch is one short transaction whose updates only apply where the value is
// still the one read (a concurrent edit wins), so servers keep running.
func Reseal(ctx context.Context, db *store.DB, sealer *pii.Sealer, batch int, progress func(col SealedColumn, done int)) (ResealResult, error) {
	if batch <= 0 {
		batch = 500
	}
	res := ResealResult{Resealed: map[string]int{}, Failed: map[string]int{}}
	cols, err := SealedColumns(ctx, db)
	if err != nil {
		return res, err
	}
	current := sealer.CurrentVersion()
	for _, col := range cols {
		last := int64(0)
		for {
			n, next, failed, err := resealBatch(ctx, db, sealer, col, current, last, batch)
			if err != nil {
				return res, err
			}
			res.Resealed[col.String()] += n
			res.Failed[col.String()] += failed
			if progress != nil && n > 0 {
				progress(col, res.Resealed[col.String()])
			}
			if next == last {
				break
			}
			last = next
		}
	}
	return res, nil
}

func resealBatch(ctx context.Context, db *store.DB, sealer *pii.Sealer, col SealedColumn, current string, after int64, batch int) (n int, last int64, failed int, err error) {
	last = after
	type row struct {
		id  int64
		old string
	}
	var todo []row
	rows, err := db.Query(ctx, `SELECT id, `+col.Column+` FROM `+col.Table+` WHERE id > ? AND `+col.Column+` <> '' AND `+col.Column+` NOT LIKE ? ORDER BY id LIMIT ?`,
		after, current+":%", batch)
	if err != nil {
		return 0, last, 0, fmt.Errorf("reseal %s: %w", col, err)
	}
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.old); err != nil {
			rows.Close()
			return 0, last, 0, fmt.Errorf("reseal %s: %w", col, err)
		}
		todo = append(todo, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, last, 0, fmt.Errorf("reseal %s: %w", col, err)
	}
	if len(todo) == 0 {
		return 0, last, 0, nil
	}
	last = todo[len(todo)-1].id
	err = db.InTx(ctx, func(tx *store.Tx) error {
		n, failed = 0, 0
		for _, r := range todo {
			if pii.VersionOf(r.old) == "" {
				continue // not a sealed value: leave it
			}
			fresh, changed, err := sealer.Reseal(r.old)
			if err != nil {
				failed++
				continue
			}
			if !changed {
				continue
			}
			res, err := tx.Exec(ctx, `UPDATE `+col.Table+` SET `+col.Column+` = ? WHERE id = ? AND `+col.Column+` = ?`, fresh, r.id, r.old)
			if err != nil {
				return fmt.Errorf("reseal %s id %d: %w", col, r.id, err)
			}
			if k, _ := res.RowsAffected(); k > 0 {
				n++
			}
		}
		return nil
	})
	return n, last, failed, err
}

// Remaining counts the sealed values not yet under the sealer's current
// version, by column.
func Remaining(ctx context.Context, db *store.DB, sealer *pii.Sealer) (map[string]int, error) {
	cols, err := SealedColumns(ctx, db)
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	current := sealer.CurrentVersion()
	for _, col := range cols {
		var n int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM `+col.Table+` WHERE `+col.Column+` <> '' AND `+col.Column+` NOT LIKE ?`, current+":%").Scan(&n); err != nil {
			return nil, fmt.Errorf("count %s: %w", col, err)
		}
		out[col.String()] = n
	}
	return out, nil
}
