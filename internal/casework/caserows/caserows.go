// Package caserows builds, for the tests of the packages that read cases
// (the engine's lists and search, the reports), units, categories, cases,
// assignments and events with plain SQL, without the engine: a test states
// the rows a history left behind and checks what a view makes of them.
//
// It imports no domain package, so that the engine's own tests can use it;
// the engine's search index is written through Fixture.Index.
package caserows

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/store"
	"grassroots/internal/worktime"
)

// Zone is the time zone of the fixture's days (Asia/Shanghai).
var Zone = worktime.Location()

// Indexer writes a case's search row inside tx (casework.IndexCase).
type Indexer func(ctx context.Context, tx *store.Tx, caseID int64, texts ...string) error

// Fixture is a county with two townships, a community under each (a
// village under B), a grid in A's community and three categories:
//
//	350722000000 浦城县
//	├── 350722001000 南浦街道 (township A) ── 350722001001 城中社区 ── 350722001001-G01 城中第一网格
//	└── 350722100000 富岭镇 (township B) ── 350722100201 双同村
type Fixture struct {
	T     testing.TB
	DB    *store.DB
	Index Indexer

	County, TownA, CommunityA, GridA, TownB, CommunityB Unit
	CatRoot, CatLamp, CatNoise                          int64
	// N counts the cases added; Base is the time case n is received at
	// (plus n minutes) when it names none.
	N    int
	Base time.Time
}

// Unit is a unit row.
type Unit struct {
	ID         int64
	Code, Path string
}

// Case describes a case to insert; zero fields take defaults (flow
// hotline, status dispatched, received at Base + n minutes, title 工单n).
type Case struct {
	Title, Body, Flow, RequestType, Status string
	Place, Grid                            Unit
	Category                               int64
	Created                                time.Time
	PhoneHash                              string
	AnsweredAt, RevisitedAt, ClosedAt      time.Time
	HandleDue                              time.Time
	// Resolved is 1 resolved, 0 not (stored only when revisited).
	Resolved            int
	Satisfaction        string
	Reopens, Extensions int
	Lead                *Assign
	Others              []Assign
}

// Assign describes an assignment of a Case (default role lead, status
// to_sign, dispatched when the case was received).
type Assign struct {
	Unit                                             Unit
	Role, Status                                     string
	Dispatched, SignDue, Signed, HandleDue, Answered time.Time
	Closed                                           time.Time
	Overdue                                          int
}

// New builds the fixture's units and categories over db (a migrated, empty
// database); index writes the search rows.
func New(t testing.TB, db *store.DB, index Indexer) *Fixture {
	t.Helper()
	fx := &Fixture{T: t, DB: db, Index: index, Base: time.Date(2026, 11, 2, 9, 0, 0, 0, Zone)}
	fx.County = fx.AddUnit("350722000000", "浦城县", "county", Unit{})
	fx.TownA = fx.AddUnit("350722001000", "南浦街道", "township", fx.County)
	fx.CommunityA = fx.AddUnit("350722001001", "城中社区", "community", fx.TownA)
	fx.GridA = fx.AddUnit("350722001001-G01", "城中第一网格", "grid", fx.CommunityA)
	fx.TownB = fx.AddUnit("350722100000", "富岭镇", "township", fx.County)
	fx.CommunityB = fx.AddUnit("350722100201", "双同村", "village", fx.TownB)
	fx.CatRoot = fx.AddCategory("01", "公用设施", 0)
	fx.CatLamp = fx.AddCategory("01010", "路灯", fx.CatRoot)
	fx.CatNoise = fx.AddCategory("02001", "噪音", 0)
	return fx
}

// SmallCounty is the unit tree of the engine's fixtures (casework's own and
// casetest's), parents before children:
//
//	350722000000 浦城县 (county)
//	├── 350722D000 县委督查室, D002 县住房和城乡建设局, D003 县城市管理和综合执法局 (departments)
//	├── 350722001000 南浦街道 (street) ── 350722001001 仙楼社区 ── 350722001001G01 仙楼社区第一网格
//	└── 350722101000 富岭镇 (township) ── 350722101200 某村 (village)
var SmallCounty = []struct{ Code, Name, Kind, Parent string }{
	{"350722000000", "浦城县", "county", ""},
	{"350722D000", "县委督查室", "department", "350722000000"},
	{"350722D002", "县住房和城乡建设局", "department", "350722000000"},
	{"350722D003", "县城市管理和综合执法局", "department", "350722000000"},
	{"350722001000", "南浦街道", "street", "350722000000"},
	{"350722001001", "仙楼社区", "community", "350722001000"},
	{"350722001001G01", "仙楼社区第一网格", "grid", "350722001001"},
	{"350722101000", "富岭镇", "township", "350722000000"},
	{"350722101200", "某村", "village", "350722101000"},
}

// AddUnit inserts a unit under parent (the zero Unit for a root).
func (fx *Fixture) AddUnit(code, name, kind string, parent Unit) Unit {
	fx.T.Helper()
	return InsertUnit(fx.T, fx.DB, code, name, kind, parent)
}

// InsertUnit inserts a unit under parent (the zero Unit for a root), with
// its path and depth, for every fixture that builds a unit tree.
func InsertUnit(t testing.TB, db *store.DB, code, name, kind string, parent Unit) Unit {
	t.Helper()
	ctx := context.Background()
	u := Unit{Code: code}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		var pid any
		prefix := "/"
		if parent.ID != 0 {
			pid, prefix = parent.ID, parent.Path
		}
		depth := strings.Count(prefix, "/") - 1
		if err := tx.QueryRow(ctx, `INSERT INTO units (code, name, kind, parent_id, path, depth, sort, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, 0, 1, 1) RETURNING id`, code, name, kind, pid, "tmp:"+code, depth).Scan(&u.ID); err != nil {
			return err
		}
		u.Path = prefix + strconv.FormatInt(u.ID, 10) + "/"
		_, err := tx.Exec(ctx, `UPDATE units SET path = ? WHERE id = ?`, u.Path, u.ID)
		return err
	})
	if err != nil {
		t.Fatalf("add unit %s: %v", code, err)
	}
	return u
}

// AddCategory inserts a category under parent (0 for a root).
func (fx *Fixture) AddCategory(code, name string, parent int64) int64 {
	fx.T.Helper()
	var pid any
	if parent != 0 {
		pid = parent
	}
	var id int64
	err := fx.DB.InTx(context.Background(), func(tx *store.Tx) error {
		return tx.QueryRow(context.Background(), `INSERT INTO categories (code, name, parent_id, kind, created_at)
			VALUES (?, ?, ?, '管理部件', 1) RETURNING id`, code, name, pid).Scan(&id)
	})
	if err != nil {
		fx.T.Fatalf("add category %s: %v", code, err)
	}
	return id
}

func millis(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

func unitID(u Unit) any {
	if u.ID == 0 {
		return nil
	}
	return u.ID
}

// AddCase inserts c with its assignments and search row, and returns its id.
func (fx *Fixture) AddCase(c Case) int64 {
	fx.T.Helper()
	ctx := context.Background()
	fx.N++
	if c.Flow == "" {
		c.Flow = "hotline"
	}
	if c.Status == "" {
		c.Status = "dispatched"
	}
	if c.Created.IsZero() {
		c.Created = fx.Base.Add(time.Duration(fx.N) * time.Minute)
	}
	if c.Title == "" {
		c.Title = fmt.Sprintf("工单%d", fx.N)
	}
	no := fmt.Sprintf("350722-%s-%05d", c.Created.In(Zone).Format("20060102"), fx.N)
	var resolved any
	if !c.RevisitedAt.IsZero() {
		resolved = c.Resolved
	}
	var cat any
	if c.Category != 0 {
		cat = c.Category
	}
	var id int64
	err := fx.DB.InTx(ctx, func(tx *store.Tx) error {
		var lead any
		if c.Lead != nil {
			lead = c.Lead.Unit.ID
		}
		err := tx.QueryRow(ctx, `INSERT INTO cases (no, flow, request_type, category_id, title, body, channel, grid_unit_id,
				place_unit_id, place_path, reporter_phone_hash, status, lead_unit_id, handle_due_at, answered_at, revisited_at,
				resolved, satisfaction, extensions, reopens, closed_at, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, 'phone', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			no, c.Flow, c.RequestType, cat, c.Title, c.Body, unitID(c.Grid), unitID(c.Place), c.Place.Path, c.PhoneHash,
			c.Status, lead, millis(c.HandleDue), millis(c.AnsweredAt), millis(c.RevisitedAt), resolved,
			c.Satisfaction, c.Extensions, c.Reopens, millis(c.ClosedAt), c.Created.UnixMilli(), c.Created.UnixMilli()).Scan(&id)
		if err != nil {
			return err
		}
		as := c.Others
		if c.Lead != nil {
			as = append(as, *c.Lead)
		}
		for _, a := range as {
			if a.Role == "" {
				a.Role = "lead"
			}
			if a.Status == "" {
				a.Status = "to_sign"
			}
			if a.Dispatched.IsZero() {
				a.Dispatched = c.Created
			}
			if _, err := tx.Exec(ctx, `INSERT INTO assignments (case_id, case_created_at, unit_id, unit_path, role, status, dispatched_at,
					sign_due_at, signed_at, handle_due_at, answered_at, overdue, closed_at, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				id, c.Created.UnixMilli(), a.Unit.ID, a.Unit.Path, a.Role, a.Status, a.Dispatched.UnixMilli(), millis(a.SignDue),
				millis(a.Signed), millis(a.HandleDue), millis(a.Answered), a.Overdue, millis(a.Closed),
				c.Created.UnixMilli(), c.Created.UnixMilli()); err != nil {
				return err
			}
		}
		if fx.Index == nil {
			return nil
		}
		return fx.Index(ctx, tx, id, c.Title, c.Body)
	})
	if err != nil {
		fx.T.Fatalf("add case %q: %v", c.Title, err)
	}
	return id
}

// AddEvent appends a timeline event to a case.
func (fx *Fixture) AddEvent(caseID int64, at time.Time, action string, public int, note string) {
	fx.T.Helper()
	_, err := fx.DB.Exec(context.Background(), `INSERT INTO case_events (case_id, at, actor_name, action, note, public)
		VALUES (?, ?, 'test', ?, ?, ?)`, caseID, at.UnixMilli(), action, note, public)
	if err != nil {
		fx.T.Fatalf("add event: %v", err)
	}
}

// Actor is a user (id 7) at u, of unit kind kind.
func (fx *Fixture) Actor(u Unit, kind string) access.Actor {
	return access.Actor{UserID: 7, Name: "tester", UnitID: u.ID, UnitCode: u.Code, UnitKind: kind, UnitPath: u.Path}
}
