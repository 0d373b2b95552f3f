// Package walktest is the table the authorisation walks of the API and of
// the web UI share: the cast (a user of every role at the own unit, a unit
// below it and another township, and the call centre, the county and the
// supervision office), the units they sit in, and docs/AUTHORIZATION.md
// written out row by row (Rows, Intakes). The walks themselves are
// internal/api/authz_walk_test.go and internal/web/authz_flow_walk_test.go;
// this package depends on neither.
package walktest

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"grassroots/internal/access"
	"grassroots/internal/auth"
	"grassroots/internal/casework"
	"grassroots/internal/store"
)

// Member is one user of the walk's cast.
type Member string

// The cast. Every case of the walk is placed in grid A1-01, below community
// A1, below township A.
const (
	Centre      Member = "call centre staff (D020)"
	CountyAdmin Member = "county administrator"
	Supervisor  Member = "supervisor (county)"
	DeptD003    Member = "department D003 staff"
	DeptD002    Member = "department D002 staff"
	TownA       Member = "township A staff"
	TownAAdmin  Member = "township A administrator"
	CommunityA  Member = "community A1 staff (below A)"
	GridA       Member = "grid A1-01 worker (below A1)"
	TownB       Member = "township B staff"
	CommunityB  Member = "village B1 staff (other township)"
	GridB       Member = "grid B1-01 worker (other township)"
)

// Order is the cast in the order the walks try them.
var Order = []Member{Centre, CountyAdmin, Supervisor, DeptD003, DeptD002, TownA, TownAAdmin,
	CommunityA, GridA, TownB, CommunityB, GridB}

// Post is where a member works: a unit code and the role held there.
type Post struct {
	Unit, Role string
}

// Posts are the cast's units and roles.
var Posts = map[Member]Post{
	Centre: {"350722D020", "department"}, CountyAdmin: {"350722000000", "admin"}, Supervisor: {"350722000000", "supervisor"},
	DeptD003: {"350722D003", "department"}, DeptD002: {"350722D002", "department"}, TownA: {"350722001000", "township"},
	TownAAdmin: {"350722001000", "admin"}, CommunityA: {"350722001001", "community"}, GridA: {"350722001001G01", "grid"},
	TownB: {"350722101000", "township"}, CommunityB: {"350722101200", "community"}, GridB: {"350722101200G01", "grid"},
}

// The units the rows name.
const (
	UnitTownA, UnitCommunityA, UnitGridA = "350722001000", "350722001001", "350722001001G01"
	UnitD002, UnitD003                   = "350722D002", "350722D003"
)

// BaseUnits is the county both walks' fixtures already build (code, name,
// kind, parent code); Setup adds ExtraUnits beneath it.
var BaseUnits = [][4]string{
	{"350722000000", "浦城县", "county", ""},
	{"350722D003", "县城市管理和综合执法局", "department", "350722000000"},
	{"350722001000", "南浦街道", "street", "350722000000"},
	{"350722001001", "仙楼社区", "community", "350722001000"},
	{"350722001001G01", "仙楼社区第一网格", "grid", "350722001001"},
	{"350722101000", "富岭镇", "township", "350722000000"},
}

// ExtraUnits are the walk's units beyond BaseUnits: the call centre, a
// second department, and a village with a grid in township B.
var ExtraUnits = [][4]string{
	{"350722D020", "县12345便民服务中心", "department", "350722000000"},
	{"350722D002", "县住房和城乡建设局", "department", "350722000000"},
	{"350722101200", "某村", "village", "350722101000"},
	{"350722101200G01", "某村第一网格", "grid", "350722101200"},
}

// Setup adds ExtraUnits to a database that holds BaseUnits and names D020
// the 12345 call centre. Build the casework.Service after it, so that
// nothing read at start-up misses them.
func Setup(ctx context.Context, db *store.DB) error {
	for _, u := range ExtraUnits {
		var parentID int64
		var parentPath string
		if err := db.QueryRow(ctx, `SELECT id, path FROM units WHERE code = ?`, u[3]).Scan(&parentID, &parentPath); err != nil {
			return fmt.Errorf("parent %s of %s: %w", u[3], u[0], err)
		}
		var id int64
		if err := db.QueryRow(ctx, `INSERT INTO units (code, name, kind, parent_id, path, depth, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 0, 0) RETURNING id`,
			u[0], u[1], u[2], parentID, "tmp"+u[0], strings.Count(parentPath, "/")-1).Scan(&id); err != nil {
			return fmt.Errorf("add unit %s: %w", u[0], err)
		}
		if _, err := db.Exec(ctx, `UPDATE units SET path = ? WHERE id = ?`, parentPath+strconv.FormatInt(id, 10)+"/", id); err != nil {
			return fmt.Errorf("path of unit %s: %w", u[0], err)
		}
	}
	if _, err := db.Exec(ctx, `INSERT INTO settings (key, value, updated_at) VALUES (?, '350722D020', 0)`, casework.SettingCallCentreUnits); err != nil {
		return fmt.Errorf("name the call centre: %w", err)
	}
	return nil
}

// User is the account of member m (its password is Password(m)).
func User(m Member) auth.NewUser {
	name := fmt.Sprintf("cast%d", slices.Index(Order, m))
	return auth.NewUser{Username: name, Password: Password(m), Name: string(m), UnitCode: Posts[m].Unit, Roles: []string{Posts[m].Role}}
}

// Password is member m's password.
func Password(m Member) string {
	return fmt.Sprintf("cast%d-password", slices.Index(Order, m))
}

// Walk brings the rows' cases to where their actions may be taken, through
// the engine, as the actors of the cast.
type Walk struct {
	Cases  *casework.Service
	Actors map[Member]access.Actor
}

// PartOf is the id of the open part of unit code on case no.
func (w *Walk) PartOf(ctx context.Context, no, code string) (int64, error) {
	d, err := w.Cases.Get(ctx, access.System, no)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", no, err)
	}
	for i := len(d.Assignments) - 1; i >= 0; i-- {
		if a := d.Assignments[i]; a.UnitCode == code && a.PersonID == 0 {
			return a.ID, nil
		}
	}
	return 0, fmt.Errorf("%s has no part of %s", no, code)
}

// Prepare opens row r's case and takes its set-up steps; body is the
// action to try, pointed at its part.
func (w *Walk) Prepare(ctx context.Context, r Row) (no string, body casework.Action, err error) {
	c, _, err := w.Cases.Create(ctx, w.Actors[r.Open], r.In)
	if err != nil {
		return "", body, fmt.Errorf("%s/%s: open as %s: %w", r.Flow, r.Action, r.Open, err)
	}
	for _, s := range r.Setup {
		act := s.Act
		if s.Part != "" {
			if act.AssignmentID, err = w.PartOf(ctx, c.No, s.Part); err != nil {
				return "", body, fmt.Errorf("%s/%s: set-up %s: %w", r.Flow, r.Action, act.Name, err)
			}
		}
		actor := access.System
		if s.By != "" {
			actor = w.Actors[s.By]
		}
		if _, err := w.Cases.Do(ctx, actor, c.No, act); err != nil {
			return "", body, fmt.Errorf("%s/%s: set-up %s: %w", r.Flow, r.Action, act.Name, err)
		}
	}
	body = r.Body
	if r.Part != "" {
		if body.AssignmentID, err = w.PartOf(ctx, c.No, r.Part); err != nil {
			return "", body, fmt.Errorf("%s/%s: %w", r.Flow, r.Action, err)
		}
	}
	return c.No, body, nil
}

// State is case no's version and number of events: a refused action must
// change neither.
func (w *Walk) State(ctx context.Context, no string) (version, events int, err error) {
	d, err := w.Cases.Get(ctx, access.System, no)
	if err != nil {
		return 0, 0, fmt.Errorf("read %s: %w", no, err)
	}
	return d.Case.Version, len(d.Events), nil
}
