package main

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"grassroots/internal/auth"
	"grassroots/internal/store/storetest"
)

func TestEnsureAdmin(t *testing.T) {
	ctx := context.Background()
	db := storetest.SQLite(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a := &app{cfg: &config{Demo: true}, db: db, log: log, auth: auth.NewService(db, auth.WithHashParams(auth.FastHashParams()))}

	// No units yet: a warning, no user.
	var out strings.Builder
	if err := ensureAdmin(ctx, a, &out); err != nil {
		t.Fatal(err)
	}
	if n, _ := a.auth.CountUsers(ctx); n != 0 || !strings.Contains(out.String(), "warning") {
		t.Fatalf("without units: %d users, output %q", n, out.String())
	}

	for _, u := range []string{
		`(1, '350722000000', '浦城县', 'county', NULL, '/1/', 0)`,
		`(2, '350722D000', '县委督查室', 'department', 1, '/1/2/', 1)`,
		`(3, '350722001000', '南浦街道', 'street', 1, '/1/3/', 1)`,
		`(4, '350722001002', '二号社区', 'community', 3, '/1/3/4/', 2)`,
		`(5, '350722001001', '一号社区', 'community', 3, '/1/3/5/', 2)`,
		`(6, '350722001001G01', '一号社区第一网格', 'grid', 5, '/1/3/5/6/', 3)`,
	} {
		if _, err := db.Exec(ctx, `INSERT INTO units (id, code, name, kind, parent_id, path, depth, created_at, updated_at) VALUES `+u[:len(u)-1]+`, 0, 0)`); err != nil {
			t.Fatal(err)
		}
	}
	out.Reset()
	if err := ensureAdmin(ctx, a, &out); err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`first administrator: admin / (\S+) \(only shown now\)`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no password line in %q", out.String())
	}
	if _, err := a.auth.Login(ctx, "admin", m[1], "127.0.0.1"); err != nil {
		t.Errorf("printed password does not sign in: %v", err)
	}
	for _, want := range []string{"demo_admin", "demo_operator", "demo_supervisor", "demo_township", "demo_community   community   ", "demo_grid", "demo_department skipped", "demo_front", "demo_fuling skipped"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	rows := regexp.MustCompile(`(?m)^  (demo_\w+)\s+\w+\s+(\S+)\s+\S+ \S+$`).FindAllStringSubmatch(out.String(), -1)
	if len(rows) != 10 { // six roles, three of the service window (demo_front, demo_back, demo_delivery) and demo_reviewer
		t.Fatalf("%d demo rows in:\n%s", len(rows), out.String())
	}
	for _, r := range rows {
		if _, err := a.auth.Login(ctx, r[1], r[2], "127.0.0.1"); err != nil {
			t.Errorf("demo user %s cannot sign in with the printed password: %v", r[1], err)
		}
	}

	// A second start creates nothing and prints no password.
	out.Reset()
	if err := ensureAdmin(ctx, a, &out); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "admin /") || strings.Contains(out.String(), "demo_admin") {
		t.Errorf("second start printed %q", out.String())
	}
}

func TestEnsureAdminFromEnv(t *testing.T) {
	t.Setenv(envAdminPassword, "scripted install pw")
	cfg := &config{}
	if err := parseFlags(newFlags("test", cfg), cfg, nil); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	db := storetest.SQLite(t)
	if _, err := db.Exec(ctx, `INSERT INTO units (id, code, name, kind, path, depth, created_at, updated_at) VALUES (1, '350000000000', '福建省', 'province', '/1/', 0, 0, 0)`); err != nil {
		t.Fatal(err)
	}
	a := &app{cfg: cfg, db: db, log: slog.New(slog.NewTextHandler(io.Discard, nil)), auth: auth.NewService(db, auth.WithHashParams(auth.FastHashParams()))}
	var out strings.Builder
	if err := ensureAdmin(ctx, a, &out); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "scripted install pw") {
		t.Errorf("password from the environment printed: %q", out.String())
	}
	if _, err := a.auth.Login(ctx, "admin", "scripted install pw", "127.0.0.1"); err != nil {
		t.Errorf("admin with the environment's password: %v", err)
	}
}

func TestUserAndTokenCommands(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "g.db")
	var out strings.Builder
	if err := run(ctx, []string{"migrate", "--db", path}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	cfg := &config{DB: path}
	d, err := openDB(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Exec(ctx, `INSERT INTO units (id, code, name, kind, path, depth, created_at, updated_at) VALUES (1, '350722000000', '浦城县', 'county', '/1/', 0, 0, 0)`); err != nil {
		t.Fatal(err)
	}
	d.Close()

	out.Reset()
	err = run(ctx, []string{"user", "add", "--db", path, "--username", "Ops", "--password", "0123456789ab", "--name", "运维", "--unit", "350722000000", "--role", "admin,supervisor", "--role", "grid"}, &out, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "created user ops (运维)") || !strings.Contains(out.String(), "roles admin,supervisor,grid") {
		t.Errorf("user add printed %q", out.String())
	}
	err = run(ctx, []string{"user", "add", "--db", path, "--username", "xy2", "--password", "short", "--name", "x", "--unit", "350722000000", "--role", "grid"}, &out, io.Discard)
	if err == nil || err.Error() != "密码至少需要10个字符" {
		t.Errorf("short password: %v", err)
	}

	out.Reset()
	if err := run(ctx, []string{"token", "create", "--db", path, "--user", "ops", "--name", "12345"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	tok := strings.TrimSpace(out.String())
	if !strings.HasPrefix(tok, "grt_") {
		t.Fatalf("token create printed %q", out.String())
	}
	d, err = openDB(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	actor, err := auth.NewService(d).TokenActor(ctx, tok)
	if err != nil || actor.Username != "ops" {
		t.Errorf("printed token acts as %+v, %v", actor, err)
	}
}
