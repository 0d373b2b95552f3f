// Package webhooktest builds, for the integration packages' tests, a small
// county with the case engine over a test database: units, a personal-data
// sealer, a clock the test moves, and actors at the units.
package webhooktest

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/casework"
	"grassroots/internal/catalog"
	"grassroots/internal/pii"
	"grassroots/internal/store"
)

// County is the fixture:
//
//	350722000000 浦城县 (county)
//	├── 350722D003 县城市管理和综合执法局 (department)
//	└── 350722001000 南浦街道 (street) ── 350722001001 仙楼社区 (community)
type County struct {
	T     testing.TB
	DB    *store.DB
	Cases *casework.Service
	Now   time.Time
	Log   *slog.Logger
	units map[string]unit
}

type unit struct {
	id         int64
	name, kind string
	path       string
}

// New builds the county over db; hooks are registered on the engine before
// it is returned.
func New(t testing.TB, db *store.DB, hooks ...casework.ChangeHook) *County {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		loc = time.FixedZone("CST", 8*3600)
	}
	c := &County{T: t, DB: db, Now: time.Date(2026, 11, 26, 9, 0, 0, 0, loc), units: map[string]unit{},
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	c.addUnit("350722000000", "浦城县", "county", "")
	c.addUnit("350722D003", "县城市管理和综合执法局", "department", "350722000000")
	c.addUnit("350722001000", "南浦街道", "street", "350722000000")
	c.addUnit("350722001001", "仙楼社区", "community", "350722001000")
	sealer, err := pii.New(make([]byte, pii.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	s, err := casework.NewService(db, casework.Deps{Sealer: sealer, Log: c.Log, AttachDir: t.TempDir(), Now: func() time.Time { return c.Now }})
	if err != nil {
		t.Fatal(err)
	}
	if err := catalog.NewService(db).SeedCategories(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, h := range hooks {
		s.OnChange(h)
	}
	c.Cases = s
	return c
}

func (c *County) addUnit(code, name, kind, parent string) {
	c.T.Helper()
	ctx := context.Background()
	err := c.DB.InTx(ctx, func(tx *store.Tx) error {
		var parentID any
		path, depth := "/", 0
		if parent != "" {
			p := c.units[parent]
			parentID, path = p.id, p.path
			for _, ch := range p.path {
				if ch == '/' {
					depth++
				}
			}
			depth--
		}
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO units (code, name, kind, parent_id, path, depth, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 0, 0) RETURNING id`,
			code, name, kind, parentID, "tmp"+code, depth).Scan(&id); err != nil {
			return err
		}
		path += strconv.FormatInt(id, 10) + "/"
		_, err := tx.Exec(ctx, `UPDATE units SET path = ? WHERE id = ?`, path, id)
		c.units[code] = unit{id: id, name: name, kind: kind, path: path}
		return err
	})
	if err != nil {
		c.T.Fatal(err)
	}
}

// Actor is a user with id uid at the unit code holding roles. The user row
// exists (created on first use), so that tokens and keys can name it.
func (c *County) Actor(uid int64, code string, roles ...access.Role) access.Actor {
	c.T.Helper()
	u, ok := c.units[code]
	if !ok {
		c.T.Fatalf("no unit %s", code)
	}
	name := "u" + strconv.FormatInt(uid, 10)
	_, err := c.DB.Exec(context.Background(), `INSERT INTO users (id, username, name, unit_id, password_hash, created_at, updated_at)
		VALUES (?, ?, ?, ?, 'x', 0, 0) ON CONFLICT (id) DO NOTHING`, uid, name, "用户"+name, u.id)
	if err != nil {
		c.T.Fatal(err)
	}
	return access.Actor{UserID: uid, Username: name, Name: "用户" + name, UnitID: u.id, UnitCode: code, UnitName: u.name,
		UnitKind: u.kind, UnitPath: u.path, Roles: roles}
}

// Admin is a county administrator (user 1).
func (c *County) Admin() access.Actor { return c.Actor(1, "350722000000", access.RoleAdmin) }

// CallTaker is a county call-centre user (user 2) who takes and dispatches
// hotline cases.
func (c *County) CallTaker() access.Actor { return c.Actor(2, "350722000000", access.RoleAdmin) }

// Department is staff of the city-management department (user 3).
func (c *County) Department() access.Actor {
	return c.Actor(3, "350722D003", access.RoleDepartment)
}

// Hotline files a hotline case through intake and returns it.
func (c *County) Hotline(actor access.Actor, title string) casework.Case {
	c.T.Helper()
	cs, _, err := c.Cases.Create(context.Background(), actor, casework.NewCase{Flow: "hotline", RequestType: casework.RequestHelp,
		Category: "B01001", Title: title, Body: title + "，请尽快处理", PlaceUnit: "350722001001"})
	if err != nil {
		c.T.Fatalf("create %q: %v", title, err)
	}
	return cs
}

// Do takes an action and fails the test on error.
func (c *County) Do(actor access.Actor, no string, act casework.Action) casework.Case {
	c.T.Helper()
	cs, err := c.Cases.Do(context.Background(), actor, no, act)
	if err != nil {
		c.T.Fatalf("%s on %s: %v", act.Name, no, err)
	}
	return cs
}

// Resolve takes a hotline case from intake to closed: dispatch to the
// department, sign, answer, revisit satisfied.
func (c *County) Resolve(no string) {
	c.T.Helper()
	yes := true
	c.Do(c.CallTaker(), no, casework.Action{Name: "dispatch", UnitCode: "350722D003"})
	c.Do(c.Department(), no, casework.Action{Name: "sign"})
	c.Do(c.Department(), no, casework.Action{Name: "answer", Note: "已修复"})
	c.Do(c.CallTaker(), no, casework.Action{Name: "revisit", Resolved: &yes, Satisfaction: casework.Satisfied})
}
