package timers

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"grassroots/internal/store"
)

// NextDue returns the earliest due time of the pending timers of kinds due
// by t and not waiting for a retry at t; ok is false when there is none. A
// simulated clock (internal/demo) steps to it before sweeping.
func NextDue(ctx context.Context, db *store.DB, kinds []string, t time.Time) (due time.Time, ok bool, err error) {
	q := `SELECT MIN(due_at) FROM timers WHERE fired_at IS NULL AND due_at <= ? AND retry_at <= ?`
	args := []any{store.Millis(t), store.Millis(t)}
	if len(kinds) > 0 {
		q += ` AND kind IN (` + strings.TrimSuffix(strings.Repeat("?, ", len(kinds)), ", ") + `)`
		for _, k := range kinds {
			args = append(args, k)
		}
	}
	var next sql.NullInt64
	if err := db.QueryRow(ctx, q, args...).Scan(&next); err != nil {
		return time.Time{}, false, fmt.Errorf("due timers: %w", err)
	}
	if !next.Valid {
		return time.Time{}, false, nil
	}
	return store.Time(next.Int64), true, nil
}
