package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"grassroots/internal/store"
)

// runBackup is `grassroots backup --db FILE --to BACKUP`: a consistent copy of
// a running SQLite database (VACUUM INTO reads one snapshot while the server
// goes on writing). PostgreSQL is backed up with pg_dump (docs/RUNNING.md).
func runBackup(ctx context.Context, _ *config, args []string, out io.Writer) error {
	cfg := &config{}
	fs := newFlags("backup", cfg, "backup --to FILE [flags]")
	to := fs.String("to", "", "file to write the backup to (must not exist)")
	if err := parseFlags(fs, cfg, args); err != nil {
		return err
	}
	if store.IsPostgres(cfg.DB) {
		return errors.New("backup of PostgreSQL: use pg_dump (see docs/RUNNING.md)")
	}
	if *to == "" {
		return usageErrorf(fs, "--to FILE is required")
	}
	if _, err := os.Stat(*to); err == nil {
		return fmt.Errorf("backup: %s exists already; choose a new file", *to)
	}
	if _, err := os.Stat(cfg.DB); err != nil {
		return fmt.Errorf("backup: database %s: %w", cfg.DB, err)
	}
	db, err := store.Open(ctx, cfg.DB)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := os.MkdirAll(filepath.Dir(*to), 0o755); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if _, err := db.R.ExecContext(ctx, `VACUUM INTO ?`, *to); err != nil {
		return fmt.Errorf("backup %s to %s: %w", cfg.DB, *to, err)
	}
	fmt.Fprintf(out, "backed up %s to %s\n", cfg.DB, *to)
	return nil
}

// runRestore is `grassroots restore --from BACKUP --db FILE`: checks the
// backup's integrity and migrations, then puts it in place atomically. The
// server must be stopped; an existing database is kept aside as FILE.before-restore.
func runRestore(ctx context.Context, _ *config, args []string, out io.Writer) error {
	cfg := &config{}
	fs := newFlags("restore", cfg, "restore --from BACKUP [flags]")
	from := fs.String("from", "", "backup file made by `grassroots backup`")
	if err := parseFlags(fs, cfg, args); err != nil {
		return err
	}
	if store.IsPostgres(cfg.DB) {
		return errors.New("restore into PostgreSQL: use pg_restore or psql (see docs/RUNNING.md)")
	}
	if *from == "" {
		return usageErrorf(fs, "--from BACKUP is required")
	}
	src, err := store.Open(ctx, *from)
	if err != nil {
		return fmt.Errorf("restore: open backup: %w", err)
	}
	var check string
	err = src.R.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&check)
	if err == nil && check != "ok" {
		err = errors.New(check)
	}
	if err != nil {
		src.Close()
		return fmt.Errorf("restore: the backup %s is damaged: %w", *from, err)
	}
	tmp := cfg.DB + ".restoring"
	os.Remove(tmp)
	if _, err := src.R.ExecContext(ctx, `VACUUM INTO ?`, tmp); err != nil {
		src.Close()
		return fmt.Errorf("restore: copy backup: %w", err)
	}
	src.Close()
	if _, err := os.Stat(cfg.DB); err == nil {
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if err := os.Rename(cfg.DB+suffix, cfg.DB+".before-restore"+suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("restore: keep the old database aside: %w", err)
			}
		}
		fmt.Fprintf(out, "the previous database is kept as %s.before-restore\n", cfg.DB)
	}
	if err := os.Rename(tmp, cfg.DB); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	// Opened and migrated, but not openDB: putting a backup in place writes
	// no audit entry and needs no audit key (the server checks its key
	// against the restored trail when it starts).
	db, err := store.Open(ctx, cfg.DB)
	if err == nil {
		defer db.Close()
		err = db.Migrate(ctx)
	}
	if err != nil {
		return fmt.Errorf("restore: restored database does not open: %w", err)
	}
	fmt.Fprintf(out, "restored %s from %s\n", cfg.DB, *from)
	return nil
}
