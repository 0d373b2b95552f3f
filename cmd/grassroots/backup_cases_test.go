package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"testing"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/casework"
	"grassroots/internal/store"
)

// TestBackupRestoreCases backs up a live database holding cases, writes more,
// restores, and checks the restored database holds exactly the cases (rows,
// timelines, sealed phones, timers) of the moment of the backup.
func TestBackupRestoreCases(t *testing.T) {
	ctx := context.Background()
	dbPath := filepath.Join(t.TempDir(), "live.db")
	a, _ := newTestApp(t, dbPath, false)
	create := func(i int) {
		_, _, err := a.cases.Create(ctx, access.System, casework.NewCase{Flow: "hotline", RequestType: "help", Title: fmt.Sprintf("井盖缺失 %d", i),
			Source: "backuptest", ExternalID: fmt.Sprint(i), ReporterPhone: "13800002222", PlaceUnit: "350722001000", Dispatch: "350722D003"})
		if err != nil {
			t.Fatal(err)
		}
	}
	for i := range 30 {
		create(i)
	}
	want := caseChecksum(t, a.db)
	var out bytes.Buffer
	backup := filepath.Join(t.TempDir(), "backup.db")
	if err := run(ctx, []string{"backup", "--db", dbPath, "--to", backup}, &out, &out); err != nil {
		t.Fatalf("backup: %v\n%s", err, out.String())
	}
	for i := 30; i < 35; i++ { // after the backup: must not come back
		create(i)
	}
	if got := caseChecksum(t, a.db); got == want {
		t.Fatal("the checksum does not see new cases: it proves nothing")
	}
	a.db.Close()
	if err := run(ctx, []string{"restore", "--db", dbPath, "--from", backup}, &out, &out); err != nil {
		t.Fatalf("restore: %v\n%s", err, out.String())
	}
	restored, err := store.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	if got := caseChecksum(t, restored); got != want {
		t.Errorf("restored cases:\n%s\nwant (at the backup):\n%s", got, want)
	}
	if _, err := audit.Verify(ctx, restored); err != nil {
		t.Errorf("restored audit trail: %v", err)
	}
}

// caseChecksum summarises the case tables: counts, and a SHA-256 over every
// case row, event and pending timer in id order.
func caseChecksum(t *testing.T, db *store.DB) string {
	t.Helper()
	ctx := context.Background()
	h := sha256.New()
	counts := ""
	for _, q := range []struct{ name, sql string }{
		{"cases", `SELECT id, no, flow, status, title, external_id, reporter_phone_enc, reporter_phone_hash, COALESCE(lead_unit_id, 0), created_at, updated_at, version FROM cases ORDER BY id`},
		{"events", `SELECT id, case_id, action, from_status, to_status, at, '', '', '', '', '', 0 FROM case_events ORDER BY id`},
		{"assignments", `SELECT id, case_id, unit_id, role, status, dispatched_at, '', '', '', '', '', 0 FROM assignments ORDER BY id`},
		{"timers", `SELECT id, case_id, COALESCE(assignment_id, 0), kind, due_at, COALESCE(fired_at, 0), '', '', '', '', '', 0 FROM timers ORDER BY id`},
	} {
		rows, err := db.Query(ctx, q.sql)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for rows.Next() {
			var v [12]any
			ptrs := make([]any, len(v))
			for i := range v {
				ptrs[i] = &v[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(h, "%s%v\n", q.name, v)
			n++
		}
		rows.Close()
		counts += fmt.Sprintf("%s=%d ", q.name, n)
	}
	return counts + hex.EncodeToString(h.Sum(nil))
}
