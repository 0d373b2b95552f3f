package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

func TestCollect(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for _, k := range []string{"a", "b"} {
			if _, err := db.Exec(ctx, `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, 0)`, k, k+k); err != nil {
				t.Fatal(err)
			}
		}
		scan := func(sc store.Scanner) (string, error) {
			var v string
			return v, sc.Scan(&v)
		}
		rows, err := db.Query(ctx, `SELECT value FROM settings WHERE key IN ('a', 'b') ORDER BY key`)
		got, err := store.Collect(rows, err, scan)
		if err != nil || !cmp.Equal(got, []string{"aa", "bb"}) {
			t.Errorf("Collect = %v, %v", got, err)
		}
		rows, err = db.Query(ctx, `SELECT value FROM settings WHERE key = 'none'`)
		got, err = store.Collect(rows, err, scan)
		if err != nil || got == nil || len(got) != 0 {
			t.Errorf("Collect of no rows = %#v, %v; want an empty, non-nil slice", got, err)
		}
		want := errors.New("query failed")
		if _, err := store.Collect(nil, want, scan); !errors.Is(err, want) {
			t.Errorf("Collect passes the query's error on: got %v", err)
		}
	})
}
