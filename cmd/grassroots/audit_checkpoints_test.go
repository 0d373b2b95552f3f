package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/pii"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// TestAuditVerifyAgainstCheckpoints runs the server's checkpoint writer over
// a trail of 80 entries, then `grassroots audit verify`: intact; after the
// last 50 entries are deleted behind the server's back, it fails naming the
// missing tail. On both databases.
func TestAuditVerifyAgainstCheckpoints(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			t.Setenv(audit.EnvKey, "")
			ctx := context.Background()
			dir := t.TempDir()
			dsn := filepath.Join(dir, "live.db")
			if engine == "postgres" {
				dsn = storetest.PostgresURL(t)
			}
			args := []string{"--db", dsn, "--key-file", filepath.Join(dir, "grassroots.key")}
			cfg := &config{}
			if err := parseFlags(newFlags("test", cfg), cfg, args); err != nil {
				t.Fatal(err)
			}
			db, err := openDB(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := os.Stat(filepath.Join(dir, auditKeyName)); err != nil {
				t.Fatalf("the audit key was not created beside the personal-data key: %v", err)
			}
			err = db.InTx(ctx, func(tx *store.Tx) error {
				for i := range 80 {
					if err := audit.Write(ctx, tx, audit.Entry{Actor: access.System, Action: "test.write", Entity: "test", EntityID: strconv.Itoa(i)}); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}

			a := &app{cfg: cfg, db: db, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
			jobs := a.auditCheckpointJobs()
			if len(jobs) != 1 {
				t.Fatalf("%d checkpoint jobs, want 1", len(jobs))
			}
			// On PostgreSQL the entries wait for the chainer, which runs
			// beside the checkpoint writer.
			chainers := a.auditChainJobs()
			if want := map[string]int{"sqlite": 0, "postgres": 1}[engine]; len(chainers) != want {
				t.Fatalf("%d chain jobs, want %d", len(chainers), want)
			}
			jobCtx, stop := context.WithCancel(ctx)
			var wg sync.WaitGroup
			for _, job := range append(jobs, chainers...) {
				wg.Add(1)
				go func() { defer wg.Done(); job(jobCtx) }()
			}
			done := make(chan struct{})
			go func() { wg.Wait(); close(done) }()
			path := filepath.Join(dir, auditCheckpointsName)
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
				if b, _ := os.ReadFile(path); bytes.Contains(b, []byte(`"count":80`)) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("no checkpoint written")
				}
			}
			stop()
			<-done

			var out bytes.Buffer
			verify := append([]string{"audit", "verify"}, args...)
			if err := run(ctx, verify, &out, &out); err != nil || !strings.Contains(out.String(), "80 entries verified (80 keyed") ||
				!strings.Contains(out.String(), "checked against 1 checkpoints") {
				t.Fatalf("audit verify of a clean trail: %v\n%s", err, out.String())
			}
			if _, err := db.Exec(ctx, `DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log ORDER BY id DESC LIMIT 50)`); err != nil {
				t.Fatal(err)
			}
			out.Reset()
			err = run(ctx, verify, &out, &out)
			if err == nil || !strings.Contains(err.Error(), "missing its tail") || !strings.Contains(err.Error(), "last 50 entries were removed") {
				t.Fatalf("audit verify after deleting the last 50 entries = %v\n%s", err, out.String())
			}
		})
	}
}

// TestOtherAuditKeyRefused: an instance given a fresh audit key instead of
// the installation's does not write on a keyed trail.
func TestOtherAuditKeyRefused(t *testing.T) {
	t.Setenv(audit.EnvKey, "")
	ctx := context.Background()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "live.db")
	args := []string{"--db", dbPath, "--key-file", filepath.Join(dir, "grassroots.key")}
	var out bytes.Buffer
	if err := run(ctx, append([]string{"setting", "set"}, append(args, "case.sign_hours", "4")...), &out, &out); err != nil {
		t.Fatalf("setting set: %v (%s)", err, out.String())
	}
	other := filepath.Join(t.TempDir(), "other-audit.key")
	if err := os.WriteFile(other, []byte(pii.NewKey()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := run(ctx, append([]string{"setting", "set", "--audit-key-file", other}, append(args, "case.sign_hours", "5")...), &out, &out)
	if err == nil || !strings.Contains(err.Error(), "audit key does not match") {
		t.Errorf("a command with another audit key = %v; want it refused", err)
	}
	// A host without the key file does not make itself a new key for a
	// keyed trail.
	missing := filepath.Join(t.TempDir(), "missing-audit.key")
	err = run(ctx, append([]string{"setting", "set", "--audit-key-file", missing}, append(args, "case.sign_hours", "5")...), &out, &out)
	if err == nil || !strings.Contains(err.Error(), "the audit trail is keyed") {
		t.Errorf("a command without the audit key file = %v; want it refused", err)
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("a new audit key was created for a keyed trail: %v", err)
	}
}
