package casework

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// TestNumbersWithoutTheCounterLock: on PostgreSQL an intake takes its number
// from its instance's block, so it goes through while another transaction
// holds the day's counter row; two instances numbering at once never give a
// number twice. On SQLite the writer numbers in the intake's transaction,
// without gaps.
func TestNumbersWithoutTheCounterLock(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := newEngine(t, db)
		taker := a.actor(1, "350722000000")
		first := a.create(taker, hotline("第一件")).No
		if first != "350722-20261126-00001" {
			t.Fatalf("first number %s", first)
		}
		if db.Dialect != store.Postgres {
			// SQLite: the refused intake's number is not used up.
			if _, _, err := a.s.Create(ctx, taker, NewCase{Flow: "hotline", Title: "无类型"}); err == nil {
				t.Fatal("an intake without a request type was taken")
			}
			if no := a.create(taker, hotline("第二件")).No; no != "350722-20261126-00002" {
				t.Errorf("after a refused intake the number is %s, want 00002 (no gap on SQLite)", no)
			}
			return
		}

		// Another transaction holds the day's counter row.
		locker, err := db.W.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer locker.Rollback()
		if _, err := locker.ExecContext(ctx, `SELECT last FROM case_counters WHERE county_code = '350722' AND day = '20261126' FOR UPDATE`); err != nil {
			t.Fatal(err)
		}
		wait, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		c, _, err := a.s.Create(wait, taker, hotline("计数行被锁时来电"))
		if err != nil {
			t.Fatalf("an intake waited on the counter row: %v", err)
		}
		if c.No != "350722-20261126-00002" {
			t.Errorf("the instance's block goes on: %s, want 00002", c.No)
		}
		if err := locker.Rollback(); err != nil {
			t.Fatal(err)
		}

		// A second instance over the same database: its block starts after
		// the first one's; both number at once and no number repeats.
		b, err := NewService(db, a.s.deps)
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		seen := map[string]bool{first: true, c.No: true}
		var wg sync.WaitGroup
		for i := range 40 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s := a.s
				if i%2 == 1 {
					s = b
				}
				got, _, err := s.Create(ctx, taker, hotline(fmt.Sprintf("并发来电%d", i)))
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				if seen[got.No] {
					t.Errorf("number %s given twice", got.No)
				}
				seen[got.No] = true
			}()
		}
		wg.Wait()
		if n := a.count(`SELECT COUNT(DISTINCT no) FROM cases`); n != 42 {
			t.Errorf("%d distinct numbers for 42 cases", n)
		}
		// The second instance reserved its own block: its numbers start at 33.
		if n := a.count(`SELECT COUNT(*) FROM cases WHERE no >= '350722-20261126-00033'`); n == 0 {
			t.Error("the second instance numbered inside the first one's block")
		}
	})
}
