package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// TestConcurrentWritesWithCachedStatements runs transactions and plain writes
// from many goroutines at once: the statement cache must neither deadlock on
// SQLite's single writer connection nor let a reader see stale data.
func TestConcurrentWritesWithCachedStatements(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if _, err := db.Exec(ctx, `INSERT INTO settings (key, value, updated_at) VALUES ('n', '0', 0)`); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 25 {
					var err error
					if (g+i)%2 == 0 {
						err = db.InTx(ctx, func(tx *store.Tx) error {
							var v string
							if err := tx.QueryRow(ctx, `SELECT value FROM settings WHERE key = ?`, "n").Scan(&v); err != nil {
								return err
							}
							_, err := tx.Exec(ctx, `UPDATE settings SET updated_at = updated_at + 1 WHERE key = ?`, "n")
							return err
						})
					} else {
						_, err = db.Exec(ctx, `UPDATE settings SET updated_at = updated_at + 1 WHERE key = ?`, "n")
					}
					if err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		var n int
		if err := db.QueryRow(ctx, `SELECT updated_at FROM settings WHERE key = ?`, "n").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 200 {
			t.Errorf("after 200 increments the reader sees %d", n)
		}
	})
}
