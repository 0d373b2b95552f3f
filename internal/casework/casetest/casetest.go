// Package casetest builds, for the tests of the packages that work through
// the case engine (the party registry, the reports, webhooks, Open311, the
// provincial exchange), a small county over a test database: units, the
// engine on a clock the test moves, the working calendar, the category
// tree, users and people.
//
// The engine's own tests keep a fixture of their own (an internal test of
// casework cannot import a package that imports casework).
package casetest

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/casework"
	"grassroots/internal/casework/caserows"
	"grassroots/internal/catalog"
	"grassroots/internal/pii"
	"grassroots/internal/store"
	"grassroots/internal/worktime"
)

// Zone is Asia/Shanghai.
var Zone = worktime.Location()

// County is the fixture: caserows.SmallCounty's units and the engine.
type County struct {
	T     testing.TB
	DB    *store.DB
	Cases *casework.Service
	Work  *worktime.Service
	// Sealer seals the fixture's personal data (an all-zero key).
	Sealer *pii.Sealer
	// Now is the engine's clock (2026-11-26 09:00 to start with).
	Now   time.Time
	Log   *slog.Logger
	Units map[string]Unit
}

// Unit is a unit of the fixture.
type Unit struct {
	ID                     int64
	Code, Name, Kind, Path string
}

// New builds the county over db (migrated, empty); hooks are registered on
// the engine before it is returned.
func New(t testing.TB, db *store.DB, hooks ...casework.ChangeHook) *County {
	t.Helper()
	ctx := context.Background()
	c := &County{T: t, DB: db, Now: time.Date(2026, 11, 26, 9, 0, 0, 0, Zone), Units: map[string]Unit{},
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, u := range caserows.SmallCounty {
		c.AddUnit(u.Code, u.Name, u.Kind, u.Parent)
	}
	work, err := worktime.NewService(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	c.Work = work
	sealer, err := pii.New(make([]byte, pii.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	c.Sealer = sealer
	s, err := casework.NewService(db, casework.Deps{
		Calendar:  func(context.Context) (casework.Calendar, error) { return work.Calendar(), nil },
		Sealer:    sealer,
		Log:       c.Log,
		AttachDir: t.TempDir(),
		Now:       func() time.Time { return c.Now },
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := catalog.NewService(db).SeedCategories(ctx); err != nil {
		t.Fatal(err)
	}
	for _, h := range hooks {
		s.OnChange(h)
	}
	c.Cases = s
	return c
}

// AddUnit inserts a unit under the unit parent ("" for a root).
func (c *County) AddUnit(code, name, kind, parent string) Unit {
	c.T.Helper()
	var p caserows.Unit
	if parent != "" {
		pu := c.Unit(parent)
		p = caserows.Unit{ID: pu.ID, Code: pu.Code, Path: pu.Path}
	}
	r := caserows.InsertUnit(c.T, c.DB, code, name, kind, p)
	u := Unit{ID: r.ID, Code: code, Name: name, Kind: kind, Path: r.Path}
	c.Units[code] = u
	return u
}

// Unit returns the fixture's unit code.
func (c *County) Unit(code string) Unit {
	c.T.Helper()
	u, ok := c.Units[code]
	if !ok {
		c.T.Fatalf("no unit %s", code)
	}
	return u
}

// Actor is a user with id uid at the unit code holding roles. The user row
// exists (created on first use), so that tokens and keys can name it.
func (c *County) Actor(uid int64, code string, roles ...access.Role) access.Actor {
	c.T.Helper()
	u := c.Unit(code)
	name := "u" + strconv.FormatInt(uid, 10)
	_, err := c.DB.Exec(context.Background(), `INSERT INTO users (id, username, name, unit_id, password_hash, created_at, updated_at)
		VALUES (?, ?, ?, ?, 'x', 0, 0) ON CONFLICT (id) DO NOTHING`, uid, name, "用户"+name, u.ID)
	if err != nil {
		c.T.Fatal(err)
	}
	return access.Actor{UserID: uid, Username: name, Name: "用户" + name, UnitID: u.ID, UnitCode: code, UnitName: u.Name,
		UnitKind: u.Kind, UnitPath: u.Path, Roles: roles}
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

// Person adds a person of role working at unit and registered at home (""
// for none) and returns its id.
func (c *County) Person(name, unit, role, home string) int64 {
	c.T.Helper()
	var homeID any
	if home != "" {
		homeID = c.Unit(home).ID
	}
	var id int64
	err := c.DB.QueryRow(context.Background(), `INSERT INTO people (name, unit_id, role, home_unit_id, created_at, updated_at) VALUES (?, ?, ?, ?, 0, 0) RETURNING id`,
		name, c.Unit(unit).ID, role, homeID).Scan(&id)
	if err != nil {
		c.T.Fatalf("add person %s: %v", name, err)
	}
	return id
}

// Create opens a case and fails the test unless it was created.
func (c *County) Create(actor access.Actor, in casework.NewCase) casework.Case {
	c.T.Helper()
	cs, created, err := c.Cases.Create(context.Background(), actor, in)
	if err != nil || !created {
		c.T.Fatalf("create %q: %v (created %v)", in.Title, err, created)
	}
	return cs
}

// Hotline files a hotline case through intake and returns it.
func (c *County) Hotline(actor access.Actor, title string) casework.Case {
	c.T.Helper()
	return c.Create(actor, casework.NewCase{Flow: "hotline", RequestType: casework.RequestHelp,
		Category: "B01001", Title: title, Body: title + "，请尽快处理", PlaceUnit: "350722001001"})
}

// Do takes an action and fails the test on error.
func (c *County) Do(actor access.Actor, no string, act casework.Action) casework.Case {
	c.T.Helper()
	cs, err := c.Cases.Do(context.Background(), actor, no, act)
	if err != nil {
		c.T.Fatalf("%s on %s by %s: %v", act.Name, no, actor.UnitCode, err)
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

// Part returns the case's part of the person (or, with person 0, of the
// unit code).
func (c *County) Part(no, code string, person int64) casework.Assignment {
	c.T.Helper()
	d, err := c.Cases.Get(context.Background(), access.System, no)
	if err != nil {
		c.T.Fatal(err)
	}
	for _, a := range d.Assignments {
		if (person != 0 && a.PersonID == person) || (person == 0 && a.PersonID == 0 && a.UnitCode == code) {
			return a
		}
	}
	c.T.Fatalf("%s has no part of %s/%d", no, code, person)
	return casework.Assignment{}
}

// Count runs a COUNT query.
func (c *County) Count(query string, args ...any) int {
	c.T.Helper()
	var n int
	if err := c.DB.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		c.T.Fatalf("%s: %v", query, err)
	}
	return n
}
