package stats

import (
	"context"
	"fmt"

	"grassroots/internal/store"
)

// foldLock is the PostgreSQL advisory lock that lets one instance fold at a
// time (two folding the same changes would count them twice).
const foldLock = 727350723

// Fold moves the changes to cases' counts (case_figures_changes, written by
// triggers) into the sums per day and unit (case_figures_daily), in one
// transaction, and returns how many of those sums it changed. Readers add the
// changes not yet folded, so folding never changes a figure; it keeps the
// change table short. The server folds every few seconds.
func Fold(ctx context.Context, db *store.DB) (int64, error) {
	var pending bool
	if err := db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM case_figures_changes)`).Scan(&pending); err != nil {
		return 0, fmt.Errorf("fold figures: %w", err)
	}
	if !pending {
		return 0, nil
	}
	var n int64
	err := db.InTx(ctx, func(tx *store.Tx) error {
		upsert := ` ON CONFLICT (day, path) DO UPDATE SET ` + figureList("%s = case_figures_daily.%s + excluded.%s")
		if tx.Dialect == store.Postgres {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(?)`, foldLock); err != nil {
				return err
			}
			// One statement, one snapshot: exactly the changes deleted are
			// added, whatever other transactions commit meanwhile.
			res, err := tx.Exec(ctx, `WITH moved AS (DELETE FROM case_figures_changes RETURNING day, path, `+figureColumns+`)
				INSERT INTO case_figures_daily (day, path, `+figureColumns+`)
				SELECT day, path, `+sumFigures+` FROM moved GROUP BY day, path ORDER BY day, path`+upsert)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		}
		// SQLite has one writer: nothing can add a change between these two.
		res, err := tx.Exec(ctx, `INSERT INTO case_figures_daily (day, path, `+figureColumns+`)
			SELECT day, path, `+sumFigures+` FROM case_figures_changes WHERE true GROUP BY day, path`+upsert)
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM case_figures_changes`)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("fold figures: %w", err)
	}
	return n, nil
}
