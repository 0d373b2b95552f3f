package store_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// QueryRow's Scan names the error kinds itself, inside and outside a
// transaction, so callers need no store.Normalize.
func TestRowScanNormalises(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var v string
		err := db.QueryRow(ctx, `SELECT value FROM settings WHERE key = ?`, "none").Scan(&v)
		if !errors.Is(err, store.ErrNotFound) || !errors.Is(err, sql.ErrNoRows) {
			t.Errorf("DB.QueryRow of no row: %v; want ErrNotFound wrapping sql.ErrNoRows", err)
		}
		if _, err := db.Exec(ctx, `INSERT INTO settings (key, value, updated_at) VALUES ('k', 'v', 0)`); err != nil {
			t.Fatal(err)
		}
		err = db.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.QueryRow(ctx, `SELECT value FROM settings WHERE key = ?`, "none").Scan(&v); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("Tx.QueryRow of no row: %v; want ErrNotFound", err)
			}
			return tx.QueryRow(ctx, `INSERT INTO settings (key, value, updated_at) VALUES ('k', 'w', 0) RETURNING value`).Scan(&v)
		})
		if !errors.Is(err, store.ErrConflict) {
			t.Errorf("duplicate key through QueryRow: %v; want ErrConflict", err)
		}
		if err := db.QueryRow(ctx, `SELECT value FROM settings WHERE key = 'k'`).Scan(&v); err != nil || v != "v" {
			t.Errorf("read back = %q, %v", v, err)
		}
	})
}

// Normalize leaves an error that already has a kind as it is, so code that
// still calls it on a normalised error sees no change.
func TestNormalizeIdempotent(t *testing.T) {
	once := store.Normalize(sql.ErrNoRows)
	if twice := store.Normalize(once); twice != once {
		t.Errorf("Normalize(Normalize(err)) = %v; want %v", twice, once)
	}
	ue := store.Invalid("请填写名称")
	if store.Normalize(ue) != ue {
		t.Error("Normalize changed a UserError")
	}
}
