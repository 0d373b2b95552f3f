package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
)

// TestSeedCases starts the program twice on one database with --demo: the
// first start plays the demo cases, the second adds nothing.
func TestSeedCases(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	start := func() (string, int) {
		t.Helper()
		cfg := &config{}
		if err := parseFlags(newFlags("test", cfg), cfg, []string{"--db", filepath.Join(dir, "g.db"), "--key-file", filepath.Join(dir, "k.key")}); err != nil {
			t.Fatal(err)
		}
		cfg.Demo = true
		db, err := openDB(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		a, err := newApp(ctx, cfg, db, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := a.setup(ctx, &out); err != nil {
			t.Fatalf("setup: %v\n%s", err, out.String())
		}
		var n int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM cases WHERE source = 'demo'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return out.String(), n
	}
	out, n := start()
	if n < 250 || !strings.Contains(out, "loaded demo cases") || strings.Contains(out, "warning") {
		t.Fatalf("first start: %d demo cases, output:\n%s", n, out)
	}
	out2, n2 := start()
	if n2 != n || strings.Contains(out2, "demo cases") {
		t.Errorf("second start: %d demo cases (want %d), output:\n%s", n2, n, out2)
	}
}
