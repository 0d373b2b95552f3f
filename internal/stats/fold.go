package stats

import (
	"context"
	"errors"
	"fmt"

	"grassroots/internal/store"
)

// foldLock is the PostgreSQL advisory lock that lets one instance fold at a
// time (two folding the same changes would count them twice).
const foldLock = 727350723

// foldChunk is how many changes one SQLite transaction folds at most (a
// variable for the tests).
var foldChunk = 2000

// Fold moves the changes to cases' counts (case_figures_changes, written by
// triggers) into the sums per day and unit (case_figures_daily) and returns
// how many of those sums it changed. Readers add the changes not yet folded,
// so folding never changes a figure; it keeps the change table short. The
// server folds every second.
func Fold(ctx context.Context, db *store.DB) (int64, error) {
	var pending bool
	if err := db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM case_figures_changes)`).Scan(&pending); err != nil {
		return 0, fmt.Errorf("fold figures: %w", err)
	}
	if !pending {
		return 0, nil
	}
	upsert := ` ON CONFLICT (day, flow, path) DO UPDATE SET ` + figureList("%s = case_figures_daily.%s + excluded.%s")
	var n int64
	if db.Dialect == store.Postgres {
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(?)`, foldLock); err != nil {
				return err
			}
			// One statement, one snapshot: exactly the changes deleted are
			// added, whatever other transactions commit meanwhile. Other
			// writers only insert changes, so this holds up none of them.
			res, err := tx.Exec(ctx, `WITH moved AS (DELETE FROM case_figures_changes RETURNING day, flow, path, `+figureColumns+`)
				INSERT INTO case_figures_daily (day, flow, path, `+figureColumns+`)
				SELECT day, flow, path, `+sumFigures+` FROM moved GROUP BY day, flow, path ORDER BY day, flow, path`+upsert)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		})
		if err != nil {
			return 0, fmt.Errorf("fold figures: %w", err)
		}
		return n, nil
	}
	// SQLite has one writer, which every intake waits for: the oldest
	// changes a chunk at a time, each chunk in a transaction of its own, so
	// that a backlog (changes a command-line import made while the server was
	// down) never holds intake up for long.
	for {
		full := false
		err := db.InTx(ctx, func(tx *store.Tx) error {
			where, args := "WHERE true", []any{}
			var last int64
			err := tx.QueryRow(ctx, `SELECT id FROM case_figures_changes ORDER BY id LIMIT 1 OFFSET ?`, foldChunk-1).Scan(&last)
			switch {
			case err == nil:
				where, args, full = "WHERE id <= ?", []any{last}, true
			case !errors.Is(store.Normalize(err), store.ErrNotFound):
				return err
			}
			// Nothing can add a change between these two statements.
			res, err := tx.Exec(ctx, `INSERT INTO case_figures_daily (day, flow, path, `+figureColumns+`)
				SELECT day, flow, path, `+sumFigures+` FROM case_figures_changes `+where+` GROUP BY day, flow, path`+upsert, args...)
			if err != nil {
				return err
			}
			k, err := res.RowsAffected()
			if err != nil {
				return err
			}
			n += k
			_, err = tx.Exec(ctx, `DELETE FROM case_figures_changes `+where, args...)
			return err
		})
		if err != nil {
			return n, fmt.Errorf("fold figures: %w", err)
		}
		if !full {
			return n, nil
		}
	}
}

// FoldBacklog counts the changes to cases' counts not folded into the daily
// sums yet. The server folds every second, so it stays small; one that grows
// means folding fails or cannot keep up.
func FoldBacklog(ctx context.Context, db *store.DB) (int64, error) {
	var n int64
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM case_figures_changes`).Scan(&n); err != nil {
		return 0, fmt.Errorf("fold backlog: %w", err)
	}
	return n, nil
}
