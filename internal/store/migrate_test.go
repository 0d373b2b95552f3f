package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

func TestMigrationsNumberedWithoutGaps(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		ms, err := store.Migrations(d)
		if err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		if len(ms) == 0 {
			t.Fatalf("%s: no migrations", d)
		}
	}
	sq, _ := store.Migrations(store.SQLite)
	pg, _ := store.Migrations(store.Postgres)
	if len(sq) != len(pg) {
		t.Fatalf("sqlite has %d migrations, postgres %d: every step needs both dialects", len(sq), len(pg))
	}
	for i := range sq {
		if sq[i].Name != pg[i].Name {
			t.Errorf("migration %d is %q on sqlite but %q on postgres", i+1, sq[i].Name, pg[i].Name)
		}
	}
}

func TestLoadMigrationsRefusesGapsAndDuplicates(t *testing.T) {
	tests := []struct {
		name  string
		files []string
		want  string
	}{
		{"gap", []string{"0001_a.sql", "0003_c.sql"}, "number 2 missing"},
		{"duplicate", []string{"0001_a.sql", "0002_b.sql", "0002_c.sql"}, "used twice"},
		{"misnamed", []string{"one.sql"}, "NNNN_name.sql"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for _, f := range tt.files {
				fsys["m/"+f] = &fstest.MapFile{Data: []byte("SELECT 1;")}
			}
			_, err := store.LoadMigrations(fsys, "m")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to say %q", err, tt.want)
			}
		})
	}
}

func TestMigrateIsIdempotentAndErrorsNormalised(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.Migrate(ctx); err != nil {
			t.Fatalf("second migrate: %v", err)
		}
		applied, latest, err := db.MigrationStatus(ctx)
		if err != nil || applied != latest {
			t.Fatalf("status = %d/%d, %v", applied, latest, err)
		}
		insert := `INSERT INTO units (code, name, kind, path, depth, created_at, updated_at) VALUES (?, ?, 'county', ?, 0, 0, 0)`
		if _, err := db.Exec(ctx, insert, "350722000000", "浦城县", "/1/"); err != nil {
			t.Fatal(err)
		}
		_, err = db.Exec(ctx, insert, "350722000000", "浦城县", "/2/")
		if !errorsIs(err, store.ErrConflict) {
			t.Errorf("duplicate code: err = %v, want ErrConflict", err)
		}
		var name string
		err = store.Normalize(db.QueryRow(ctx, `SELECT name FROM units WHERE code = ?`, "nope").Scan(&name))
		if !errorsIs(err, store.ErrNotFound) {
			t.Errorf("missing row: err = %v, want ErrNotFound", err)
		}
		err = db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.Exec(ctx, `UPDATE units SET name = ? WHERE code = ?`, "改名", "350722000000"); err != nil {
				return err
			}
			return store.Invalid("故意失败")
		})
		if !errorsIs(err, store.ErrInvalid) {
			t.Fatalf("InTx err = %v", err)
		}
		if err := db.QueryRow(ctx, `SELECT name FROM units WHERE code = ?`, "350722000000").Scan(&name); err != nil || name != "浦城县" {
			t.Errorf("after a failed transaction name = %q, %v: nothing should be half-written", name, err)
		}
	})
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }
