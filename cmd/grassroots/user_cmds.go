package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"grassroots/internal/access"
	"grassroots/internal/auth"
	"grassroots/internal/demo"
	"grassroots/internal/org"
	"grassroots/internal/store"
)

// ensureAdmin creates the first administrator, "admin" at the county unit (or
// the root unit when there is no county), on an empty user table and prints
// its password once. With --demo it also creates one demo user per role.
func ensureAdmin(ctx context.Context, a *app, out io.Writer) error {
	n, err := a.auth.CountUsers(ctx)
	if err != nil {
		return err
	}
	if n == 0 {
		if err := createFirstAdmin(ctx, a, out); err != nil {
			return err
		}
	}
	if a.cfg != nil && a.cfg.Demo {
		return ensureDemoUsers(ctx, a, out)
	}
	return nil
}

func createFirstAdmin(ctx context.Context, a *app, out io.Writer) error {
	top, err := org.CountyRef(ctx, a.db)
	if errors.Is(err, sql.ErrNoRows) {
		top, err = org.RootRef(ctx, a.db)
	}
	code := top.Code
	if errors.Is(err, sql.ErrNoRows) {
		a.log.Warn("no units loaded: the first administrator is not created yet")
		fmt.Fprintln(out, "警告 warning: no units loaded, so no first administrator was created (import units, then start again)")
		return nil
	}
	if err != nil {
		return fmt.Errorf("find the county unit: %w", err)
	}
	// GRASSROOTS_ADMIN_PASSWORD (config.go), when set, is the password
	// instead of a random one (for scripted installs and the browser tests).
	var password string
	if a.cfg != nil {
		password = a.cfg.AdminPassword
	}
	fromEnv := password != ""
	if !fromEnv {
		password, fromEnv = auth.RandomPassword(), false
	}
	_, err = a.auth.CreateUser(ctx, access.System, auth.NewUser{Username: "admin", Password: password, Name: "系统管理员",
		UnitCode: code, Roles: []string{string(access.RoleAdmin)}})
	if err != nil {
		return fmt.Errorf("create the first administrator: %w", err)
	}
	a.log.Info("first administrator created", "username", "admin", "unit_code", code)
	if fromEnv {
		fmt.Fprintf(out, "首个管理员 first administrator: admin (password from %s)\n", envAdminPassword)
		return nil
	}
	// On the terminal, or a private file when there is none (console.go).
	return showSecret(a, out, secretFileName, "first administrator's password",
		fmt.Sprintf("首个管理员 first administrator: admin / %s (only shown now)\n", password))
}

// demoAccount is one of the demo accounts --demo creates.
type demoAccount struct {
	username, name, role, unitCode string
}

// ensureDemoUsers creates the demo accounts that do not exist yet, with random
// passwords printed once in a table. A user whose unit is missing is skipped
// with a warning.
func ensureDemoUsers(ctx context.Context, a *app, out io.Writer) error {
	community, err := firstChildCode(ctx, a.db, "350722001000", "community")
	if err != nil {
		return err
	}
	grid := ""
	if community != "" {
		grid = community + "G01"
	}
	users := []demoAccount{
		{"demo_admin", "演示管理员", "admin", "350722000000"},
		// The 12345 call centre: by default the county unit's staff take
		// calls (casework.call_centre.units, docs/AUTHORIZATION.md).
		{"demo_operator", "演示话务员（12345）", "department", "350722000000"},
		{"demo_supervisor", "演示督查员", "supervisor", "350722D000"},
		{"demo_department", "演示部门人员", "department", "350722D003"},
		// The county organisation department keeps the party register
		// (setting party.org_department, set by the demo).
		{"demo_orgdept", "演示组织部人员", "department", demo.OrgDepartmentCode},
		{"demo_township", "演示街道人员", "township", "350722001000"},
		{"demo_community", "演示社区人员", "community", community},
		{"demo_grid", "演示网格员", "grid", grid},
		// The service window's roles at 南浦街道's centre, and a township
		// an application is forwarded to (seedServiceRoles, issue 21).
		{"demo_front", "演示前台受理员", "township", "350722001000"},
		{"demo_back", "演示后台办理员（社会事务办）", "township", "350722001000"},
		{"demo_delivery", "演示出件员", "township", "350722001000"},
		{"demo_fuling", "演示富岭镇人员", "township", "350722101000"},

		// A second street user, who decides civility appeals (a person who
		// took no part in the entry, docs/CIVILITY.md).
		{"demo_reviewer", "演示复核人员", "township", "350722001000"},
	}
	var rows, warnings []string
	for _, u := range users {
		exists, err := a.auth.UserExists(ctx, u.username)
		if err != nil {
			return err
		}
		if exists {
			continue
		}
		unit, err := org.RefByCode(ctx, a.db, u.unitCode)
		unitName := unit.Name
		if u.unitCode == "" || errors.Is(err, sql.ErrNoRows) {
			missing := fmt.Sprintf("unit %s not found", u.unitCode)
			if u.unitCode == "" {
				missing = "no community under 350722001000"
			}
			warnings = append(warnings, fmt.Sprintf("警告 warning: demo user %s skipped: %s (load the organisation data first)", u.username, missing))
			continue
		}
		if err != nil {
			return fmt.Errorf("demo user %s: %w", u.username, err)
		}
		password := auth.RandomPassword()
		if _, err := a.auth.CreateUser(ctx, access.System, auth.NewUser{Username: u.username, Password: password, Name: u.name,
			UnitCode: u.unitCode, Roles: []string{u.role}}); err != nil {
			return fmt.Errorf("demo user %s: %w", u.username, err)
		}
		rows = append(rows, fmt.Sprintf("  %s\t%s\t%s\t%s %s", u.username, u.role, password, u.unitCode, unitName))
	}
	if len(rows) > 0 {
		// Passwords, like the first administrator's: on the terminal, or
		// in a private file of the data folder (console.go).
		var table strings.Builder
		fmt.Fprintln(&table, "演示用户 demo users (passwords only shown now):")
		tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  username\trole\tpassword\tunit")
		for _, r := range rows {
			fmt.Fprintln(tw, r)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		if err := showSecret(a, out, demoUsersFileName, "demo users' passwords", table.String()); err != nil {
			return err
		}
	}
	for _, w := range warnings {
		fmt.Fprintln(out, w)
	}
	return nil
}

// firstChildCode returns the code of the first child of parentCode with the given
// kind, by code, or "" when there is none.
func firstChildCode(ctx context.Context, db *store.DB, parentCode, kind string) (string, error) {
	parent, err := org.RefByCode(ctx, db, parentCode)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("find a %s under %s: %w", kind, parentCode, err)
	}
	kids, err := org.ChildRefs(ctx, db, parent.ID, kind)
	if err != nil {
		return "", fmt.Errorf("find a %s under %s: %w", kind, parentCode, err)
	}
	if len(kids) == 0 {
		return "", nil
	}
	return kids[0].Code, nil
}

// roleFlag collects --role, which may repeat or hold comma-separated values.
type roleFlag []string

func (l *roleFlag) String() string { return strings.Join(*l, ",") }

func (l *roleFlag) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}

// runUser is `grassroots user add --username --password --name --unit CODE --role ROLE`.
func runUser(ctx context.Context, _ *config, args []string, out io.Writer) error {
	cfg := &config{}
	fs := newFlags("user", cfg, "user add --username NAME --password PASSWORD --name 姓名 --unit CODE --role ROLE [--role ROLE...] [flags]")
	var nu auth.NewUser
	var roles roleFlag
	fs.StringVar(&nu.Username, "username", "", "login name: 3-32 lower-case letters, digits or . _ -")
	fs.StringVar(&nu.Password, "password", "", "password, at least 10 characters")
	fs.StringVar(&nu.Name, "name", "", "the person's name")
	fs.StringVar(&nu.UnitCode, "unit", "", "code of the user's unit, e.g. 350722001000")
	fs.Var(&roles, "role", "role: admin, supervisor, department, township, community, grid (repeat or comma-separate)")
	pos, err := parseArgs(fs, cfg, args)
	if err != nil {
		return err
	}
	if _, _, err := subcommand(fs, pos, map[string][]string{"add": nil}); err != nil {
		return err
	}
	nu.Roles = roles
	db, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	u, err := auth.NewService(db).CreateUser(ctx, access.System, nu)
	if err != nil {
		return authCLIError(err)
	}
	fmt.Fprintf(out, "created user %s (%s) id %d at %s %s, roles %s\n", u.Username, u.Name, u.ID, u.UnitCode, u.UnitName, roleList(u.Roles))
	return nil
}

// runToken is `grassroots token create --user NAME [--name LABEL]`: it prints
// a new API token once; only its hash is stored.
func runToken(ctx context.Context, _ *config, args []string, out io.Writer) error {
	cfg := &config{}
	fs := newFlags("token", cfg, "token create --user NAME [--name LABEL] [flags]")
	user := fs.String("user", "", "username the token acts as")
	label := fs.String("name", "", "what the token is for, e.g. 12345 platform")
	pos, err := parseArgs(fs, cfg, args)
	if err != nil {
		return err
	}
	if _, _, err := subcommand(fs, pos, map[string][]string{"create": nil}); err != nil {
		return err
	}
	if *user == "" {
		return usageErrorf(fs, "--user is required")
	}
	db, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	token, err := auth.NewService(db).CreateToken(ctx, access.System, *user, *label)
	if err != nil {
		return authCLIError(err)
	}
	fmt.Fprintln(os.Stderr, "API token for "+*user+" (only shown now; send it as Authorization: Bearer <token>):")
	fmt.Fprintln(out, token)
	return nil
}

// authCLIError puts the user's message first, so the terminal shows what to fix.
func authCLIError(err error) error {
	if msg, ok := store.UserMessage(err); ok {
		return errors.New(msg)
	}
	return err
}

func roleList(rs []access.Role) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = string(r)
	}
	return strings.Join(s, ",")
}

// wireAuth builds the accounts service.
func wireAuth(ctx context.Context, a *app) error {
	a.auth = auth.NewService(a.db)
	return nil
}
