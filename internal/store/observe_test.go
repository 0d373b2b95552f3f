package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// TestAfterCommitAndCommitObserver: AfterCommit runs once the work is
// committed and never when it is rolled back, also for writers that share
// a group commit; the commit observer sees every commit and, added up, the
// work of every writer that was kept.
func TestAfterCommitAndCommitObserver(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		var commits, jobs atomic.Int64
		db.ObserveCommits(func(n int, took time.Duration, err error) {
			if err == nil && took >= 0 {
				commits.Add(1)
				jobs.Add(int64(n))
			}
		})
		defer db.ObserveCommits(nil)
		const writers = 30
		var ran [writers]atomic.Int32
		var wg sync.WaitGroup
		errBad := errors.New("refused")
		for i := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := db.InTx(ctx, func(tx *store.Tx) error {
					tx.AfterCommit(func() { ran[i].Add(1) })
					if _, err := tx.Exec(ctx, `INSERT INTO settings (key, value, updated_at) VALUES (?, 'v', 0)`, fmt.Sprintf("ac%02d", i)); err != nil {
						return err
					}
					if i%3 == 0 {
						return errBad
					}
					return nil
				})
				if (err != nil) != (i%3 == 0) {
					t.Errorf("writer %d: %v", i, err)
				}
			}()
		}
		wg.Wait()
		kept := 0
		for i := range writers {
			want := int32(1)
			if i%3 == 0 {
				want = 0
			} else {
				kept++
			}
			if got := ran[i].Load(); got != want {
				t.Errorf("writer %d: AfterCommit ran %d times, want %d", i, got, want)
			}
		}
		if commits.Load() == 0 || jobs.Load() != int64(kept) {
			t.Errorf("observer saw %d commits carrying %d writers' work, want some carrying %d", commits.Load(), jobs.Load(), kept)
		}
		if _, ok := db.LogStats(); ok != (db.Dialect == store.SQLite) {
			t.Errorf("LogStats ok = %v on %s", ok, db.Dialect)
		}
	})
}
