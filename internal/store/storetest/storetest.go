// Package storetest gives tests a fresh, migrated database on each engine:
// always SQLite (a file of its own), and PostgreSQL (a schema of its own) when
// GRASSROOTS_TEST_POSTGRES holds a URL. In CI (CI=true) a PostgreSQL that is
// not configured or cannot be reached fails the test instead of skipping it.
package storetest

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"grassroots/internal/store"
)

// EnvPostgres names the variable holding the PostgreSQL test URL.
const EnvPostgres = "GRASSROOTS_TEST_POSTGRES"

// Each runs fn once per engine, as subtests named "sqlite" and "postgres",
// each with its own freshly migrated database.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

// SQLite returns a migrated database in a temporary file.
func SQLite(t testing.TB) *store.DB {
	t.Helper()
	return open(t, filepath.Join(t.TempDir(), "test.db"))
}

// PostgresURL returns the URL of a migrated, empty schema on the test server
// that is this test's alone until it ends, or skips (fails in CI) when there
// is none.
//
// Creating and migrating a schema costs about two seconds on PostgreSQL, so
// schemas are pooled: each is claimed with a session advisory lock held for
// the test's duration, and a reused one is emptied (TRUNCATE ... RESTART
// IDENTITY) and given back the rows its migrations inserted. Pool names carry
// a hash of the migrations, so a schema change never reuses an old schema.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvPostgres)
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set: CI must run the PostgreSQL tests", EnvPostgres)
		}
		t.Skipf("PostgreSQL tests skipped: set %s=postgres://postgres@127.0.0.1:5432/test?sslmode=disable to run them", EnvPostgres)
	}
	ctx := context.Background()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open %s: %v", EnvPostgres, err)
	}
	if err := admin.Ping(); err != nil {
		admin.Close()
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL at %s cannot be reached: %v", EnvPostgres, err)
		}
		t.Skipf("PostgreSQL tests skipped: cannot reach %s: %v", EnvPostgres, err)
	}
	// The claim lives on one connection for the whole test.
	conn, err := admin.Conn(ctx)
	if err != nil {
		admin.Close()
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() {
		conn.Close()
		admin.Close()
	})
	prefix := "pool_" + migrationsHash(t)
	var schema string
	for i := 0; ; i++ {
		name := fmt.Sprintf("%s_%d", prefix, i)
		var ok bool
		if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock(hashtext($1))`, name).Scan(&ok); err != nil {
			t.Fatalf("claim test schema: %v", err)
		}
		if ok {
			schema = name
			break
		}
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", EnvPostgres, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	dsn := u.String()

	var migrated bool
	err = conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = 'schema_migrations')
		AND EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $2)`, schema, schema+"_seed").Scan(&migrated)
	if err != nil {
		t.Fatalf("inspect test schema: %v", err)
	}
	if !migrated {
		prepareFresh(t, conn, schema, dsn)
		return dsn
	}
	if err := resetSchema(ctx, conn, schema); err != nil {
		// A schema left half-made by an interrupted run: make it anew.
		t.Logf("reset test schema %s: %v; recreating it", schema, err)
		prepareFresh(t, conn, schema, dsn)
	}
	return dsn
}

// prepareFresh (re)creates schema, migrates it and keeps a copy of every row
// the migrations inserted in schema_seed.
func prepareFresh(t testing.TB, conn *sql.Conn, schema, dsn string) {
	t.Helper()
	ctx := context.Background()
	for _, stmt := range []string{
		`DROP SCHEMA IF EXISTS ` + schema + ` CASCADE`, `DROP SCHEMA IF EXISTS ` + schema + `_seed CASCADE`, `CREATE SCHEMA ` + schema,
	} {
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("prepare test schema: %s: %v", stmt, err)
		}
	}
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("open test schema: %v", err)
	}
	err = db.Migrate(ctx)
	db.Close()
	if err != nil {
		t.Fatalf("migrate test schema: %v", err)
	}
	tables, err := tablesOf(ctx, conn, schema)
	if err != nil {
		t.Fatalf("list tables: %v", err)
	}
	if _, err := conn.ExecContext(ctx, `CREATE SCHEMA `+schema+`_seed`); err != nil {
		t.Fatalf("create seed schema: %v", err)
	}
	// The tables the migrations made; a test's own tables are dropped on reuse.
	if _, err := conn.ExecContext(ctx, `CREATE TABLE `+schema+`_seed."_tables" AS SELECT tablename FROM pg_tables WHERE schemaname = $1`, schema); err != nil {
		t.Fatalf("keep table list: %v", err)
	}
	for _, tbl := range tables {
		var n int
		if err := conn.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+schema+`.`+tbl).Scan(&n); err != nil {
			t.Fatalf("count %s: %v", tbl, err)
		}
		if n > 0 {
			if _, err := conn.ExecContext(ctx, `CREATE TABLE `+schema+`_seed.`+tbl+` AS SELECT * FROM `+schema+`.`+tbl); err != nil {
				t.Fatalf("keep seed rows of %s: %v", tbl, err)
			}
		}
	}
}

// resetSchema empties every table of schema and restores the rows the
// migrations inserted.
func resetSchema(ctx context.Context, conn *sql.Conn, schema string) error {
	// Drop what a test made beyond the migrations' tables.
	extra, err := conn.QueryContext(ctx, `SELECT tablename FROM pg_tables WHERE schemaname = $1
		AND tablename NOT IN (SELECT tablename FROM `+schema+`_seed."_tables")`, schema)
	if err != nil {
		return err
	}
	var drop []string
	for extra.Next() {
		var n string
		if err := extra.Scan(&n); err != nil {
			extra.Close()
			return err
		}
		drop = append(drop, schema+"."+n)
	}
	extra.Close()
	if len(drop) > 0 {
		if _, err := conn.ExecContext(ctx, `DROP TABLE `+strings.Join(drop, ", ")+` CASCADE`); err != nil {
			return err
		}
	}
	tables, err := tablesOf(ctx, conn, schema)
	if err != nil {
		return err
	}
	if len(tables) == 0 {
		return fmt.Errorf("no tables")
	}
	qualified := make([]string, len(tables))
	for i, tbl := range tables {
		qualified[i] = schema + "." + tbl
	}
	if _, err := conn.ExecContext(ctx, `TRUNCATE `+strings.Join(qualified, ", ")+` RESTART IDENTITY CASCADE`); err != nil {
		return err
	}
	seeds, err := tablesOf(ctx, conn, schema+"_seed")
	if err != nil {
		return err
	}
	for _, tbl := range seeds {
		if tbl == "_tables" {
			continue
		}
		if _, err := conn.ExecContext(ctx, `INSERT INTO `+schema+`.`+tbl+` SELECT * FROM `+schema+`_seed.`+tbl); err != nil {
			return err
		}
	}
	return nil
}

// tablesOf lists the ordinary tables of schema but schema_migrations.
func tablesOf(ctx context.Context, conn *sql.Conn, schema string) ([]string, error) {
	rows, err := conn.QueryContext(ctx, `SELECT tablename FROM pg_tables WHERE schemaname = $1 AND tablename <> 'schema_migrations' ORDER BY tablename`, schema)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

var (
	hashOnce sync.Once
	hashVal  string
	hashErr  error
)

// migrationsHash names the PostgreSQL migration set in a few hex digits.
func migrationsHash(t testing.TB) string {
	hashOnce.Do(func() {
		ms, err := store.Migrations(store.Postgres)
		if err != nil {
			hashErr = err
			return
		}
		h := sha256.New()
		for _, m := range ms {
			fmt.Fprintf(h, "%d %s\n%s\n", m.Version, m.Name, m.SQL)
		}
		hashVal = hex.EncodeToString(h.Sum(nil))[:10]
	})
	if hashErr != nil {
		t.Fatalf("migrations: %v", hashErr)
	}
	return hashVal
}

// Postgres returns a migrated database in a schema of its own.
func Postgres(t testing.TB) *store.DB {
	t.Helper()
	return open(t, PostgresURL(t))
}

func open(t testing.TB, dsn string) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrate test database: %v", err)
	}
	return db
}
