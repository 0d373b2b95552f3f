package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/store"
)

func TestBackupRestoreRoundTrip(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "live.db")
	cfg := &config{DB: dbPath}
	db, err := openDB(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	write := func(i int) {
		err := db.InTx(ctx, func(tx *store.Tx) error {
			return audit.Write(ctx, tx, audit.Entry{Actor: access.System, Action: "test.write", Entity: "test", EntityID: string(rune('a' + i))})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for i := range 5 {
		write(i)
	}
	var out bytes.Buffer
	backup := filepath.Join(dir, "backup.db")
	// The live database stays open (as a running server would hold it).
	if err := run(ctx, []string{"backup", "--db", dbPath, "--to", backup}, &out, &out); err != nil {
		t.Fatalf("backup: %v", err)
	}
	write(5) // written after the backup: must not be in the restored copy
	db.Close()
	if err := run(ctx, []string{"backup", "--db", dbPath, "--to", backup}, &out, &out); err == nil {
		t.Error("a backup over an existing file should be refused")
	}
	if err := run(ctx, []string{"restore", "--db", dbPath, "--from", backup}, &out, &out); err != nil {
		t.Fatalf("restore: %v\n%s", err, out.String())
	}
	restored, err := store.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	n, err := audit.Verify(ctx, restored)
	if err != nil || n != 5 {
		t.Errorf("restored audit trail: %d entries, %v; want the 5 written before the backup", n, err)
	}
	out.Reset()
	if err := run(ctx, []string{"audit", "verify", "--db", dbPath}, &out, &out); err != nil || !strings.Contains(out.String(), "5 entries") {
		t.Errorf("audit verify: %v %q", err, out.String())
	}
	if _, err := restored.Exec(ctx, `UPDATE audit_log SET action = 'forged' WHERE id = 3`); err != nil {
		t.Fatal(err)
	}
	err = run(ctx, []string{"audit", "verify", "--db", dbPath}, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "entry 3") {
		t.Errorf("audit verify after tampering = %v, want it to name entry 3", err)
	}
}
