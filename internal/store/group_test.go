package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// TestQueuedWritesShareCommits: writers queued behind a slow one share its
// commit on SQLite; every writer's row is kept, a failing writer's rows and
// a panicking writer's rows are not, and the others' are unharmed by them.
func TestQueuedWritesShareCommits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		insert := func(tx *store.Tx, key string) error {
			_, err := tx.Exec(ctx, `INSERT INTO settings (key, value, updated_at) VALUES (?, 'v', 0)`, key)
			return err
		}
		before, _ := db.GroupCommits()
		const writers = 40
		errBad := errors.New("refused")
		var wg sync.WaitGroup
		errs := make([]error, writers)
		panics := make([]any, writers)
		for i := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { panics[i] = recover() }()
				errs[i] = db.InTx(ctx, func(tx *store.Tx) error {
					if err := insert(tx, fmt.Sprintf("w%02d", i)); err != nil {
						return err
					}
					// Hold the writer long enough for a queue to form.
					time.Sleep(2 * time.Millisecond)
					switch i % 10 {
					case 3:
						return errBad
					case 7:
						panic("writer seven")
					case 5:
						// A unique-key violation after a successful insert.
						return insert(tx, fmt.Sprintf("w%02d", i))
					}
					return nil
				})
			}()
		}
		wg.Wait()
		for i := range writers {
			switch i % 10 {
			case 3:
				if !errors.Is(errs[i], errBad) {
					t.Errorf("writer %d: error %v, want its own", i, errs[i])
				}
			case 7:
				if panics[i] != "writer seven" {
					t.Errorf("writer %d: panic %v reached the caller, want its own", i, panics[i])
				}
			case 5:
				if !errors.Is(errs[i], store.ErrConflict) {
					t.Errorf("writer %d: error %v, want a conflict", i, errs[i])
				}
			default:
				if errs[i] != nil {
					t.Errorf("writer %d: %v", i, errs[i])
				}
			}
		}
		rows, err := db.Query(ctx, `SELECT key FROM settings WHERE key LIKE 'w%'`)
		keys, err := store.Collect(rows, err, func(s store.Scanner) (k string, err error) { return k, s.Scan(&k) })
		if err != nil {
			t.Fatal(err)
		}
		kept := map[string]bool{}
		for _, k := range keys {
			kept[k] = true
		}
		for i := range writers {
			key := fmt.Sprintf("w%02d", i)
			want := i%10 != 3 && i%10 != 5 && i%10 != 7
			if kept[key] != want {
				t.Errorf("row %s kept=%v, want %v", key, kept[key], want)
			}
		}
		if after, ok := db.GroupCommits(); ok {
			t.Logf("%d writers, %d commits", writers, after-before)
			if after-before >= writers*7/10 {
				t.Errorf("%d successful writers took %d commits: queued writers did not share them", writers*7/10, after-before)
			}
		}
	})
}

// TestCancelledWriterLeavesOthers: a writer whose request is cancelled while
// its work runs in a shared transaction finishes that work (SQLite would
// roll the whole transaction back on an interrupted write); one cancelled
// before its turn runs nothing.
func TestCancelledWriterLeavesOthers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		err := db.InTx(cancelled, func(tx *store.Tx) error {
			_, err := tx.Exec(cancelled, `INSERT INTO settings (key, value, updated_at) VALUES ('early', 'v', 0)`)
			return err
		})
		if err == nil {
			t.Error("a writer cancelled before it began succeeded")
		}
		if db.Dialect != store.SQLite {
			return
		}
		mid, cancelMid := context.WithCancel(ctx)
		err = db.InTx(mid, func(tx *store.Tx) error {
			cancelMid()
			_, err := tx.Exec(mid, `INSERT INTO settings (key, value, updated_at) VALUES ('late', 'v', 0)`)
			return err
		})
		if err != nil {
			t.Errorf("a writer cancelled during its work: %v", err)
		}
		var n int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM settings WHERE key IN ('early', 'late')`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("%d rows kept, want the late writer's only", n)
		}
	})
}
