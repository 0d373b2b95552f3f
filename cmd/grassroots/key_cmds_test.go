package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"grassroots/internal/access"
	"grassroots/internal/casework"
	"grassroots/internal/pii"
)

// TestKeyRotate rotates the personal-data key of a database holding a
// sealed reporter phone while the app that sealed it stays open, and checks
// the value is re-sealed under v2 and still opens in the running app.
func TestKeyRotate(t *testing.T) {
	ctx := context.Background()
	dbPath := filepath.Join(t.TempDir(), "g.db")
	a, _ := newTestApp(t, dbPath, false)
	c, _, err := a.cases.Create(ctx, access.System, casework.NewCase{Flow: "hotline", RequestType: "help", Title: "密钥轮换",
		ReporterPhone: "13800009999", PlaceUnit: "350722001000"})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	args := []string{"--db", dbPath, "--key-file", a.cfg.KeyFile, "--wait", "0s", "--batch", "1"}
	if err := run(ctx, append([]string{"key", "rotate"}, args...), &out, &out); err != nil {
		t.Fatalf("key rotate: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "under key v2") {
		t.Errorf("key rotate said:\n%s", out.String())
	}
	var sealed string
	a.db.QueryRow(ctx, `SELECT reporter_phone_enc FROM cases WHERE no = ?`, c.No).Scan(&sealed)
	if pii.VersionOf(sealed) != "v2" {
		t.Fatalf("reporter phone sealed under %q after rotation", pii.VersionOf(sealed))
	}
	if got, err := a.org.Sealer().Open(sealed); err != nil || got != "13800009999" {
		t.Errorf("the running app opens the re-sealed phone: %q, %v", got, err)
	}
	out.Reset()
	if err := run(ctx, append([]string{"key", "status"}, args[:4]...), &out, &out); err != nil || !strings.Contains(out.String(), "current key version: v2") {
		t.Errorf("key status: %v\n%s", err, out.String())
	}
	var n int
	a.db.QueryRow(ctx, `SELECT COUNT(*) FROM audit_log WHERE action = 'pii.key.reseal'`).Scan(&n)
	if n != 1 {
		t.Errorf("%d rotations in the audit trail, want 1", n)
	}
}
