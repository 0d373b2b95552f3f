package report

import (
	"context"
	"fmt"
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
	"grassroots/internal/worktime"
)

// viewsFixture builds units, categories, cases, assignments and events with
// plain SQL, for the views' tests (the engine's own API is not needed).
type viewsFixture struct {
	t  testing.TB
	db *store.DB
	// The tree: county → townships A and B → communities → a grid in A1.
	county, townA, communityA, gridA, townB, communityB vfUnit
	catRoot, catLamp, catNoise                          int64
	n                                                   int
	base                                                time.Time
}

type vfUnit struct {
	id         int64
	code, path string
}

// vfCase describes a case to insert; zero fields take defaults.
type vfCase struct {
	title, body, flow, requestType, status string
	place, grid                            vfUnit
	category                               int64
	created                                time.Time // zero: base + n minutes
	phoneHash                              string
	answeredAt, revisitedAt, closedAt      time.Time
	handleDue                              time.Time
	resolved                               int // 1 resolved, 0 not (only stored when revisited)
	satisfaction                           string
	reopens, extensions                    int
	lead                                   *vfAssign
	others                                 []vfAssign
}

// vfAssign describes an assignment of a vfCase.
type vfAssign struct {
	unit                                             vfUnit
	role, status                                     string // default lead, to_sign
	dispatched, signDue, signed, handleDue, answered time.Time
	closed                                           time.Time
	overdue                                          int
}

func newViewsFixture(t testing.TB, db *store.DB) *viewsFixture {
	t.Helper()
	fx := &viewsFixture{t: t, db: db, base: time.Date(2026, 11, 2, 9, 0, 0, 0, cst)}
	fx.county = fx.addUnit("350722000000", "浦城县", "county", vfUnit{})
	fx.townA = fx.addUnit("350722001000", "南浦街道", "township", fx.county)
	fx.communityA = fx.addUnit("350722001001", "城中社区", "community", fx.townA)
	fx.gridA = fx.addUnit("350722001001-G01", "城中第一网格", "grid", fx.communityA)
	fx.townB = fx.addUnit("350722100000", "富岭镇", "township", fx.county)
	fx.communityB = fx.addUnit("350722100201", "双同村", "village", fx.townB)
	fx.catRoot = fx.addCategory("01", "公用设施", 0)
	fx.catLamp = fx.addCategory("01010", "路灯", fx.catRoot)
	fx.catNoise = fx.addCategory("02001", "噪音", 0)
	return fx
}

func (fx *viewsFixture) addUnit(code, name, kind string, parent vfUnit) vfUnit {
	fx.t.Helper()
	ctx := context.Background()
	var u vfUnit
	u.code = code
	err := fx.db.InTx(ctx, func(tx *store.Tx) error {
		var pid any
		if parent.id != 0 {
			pid = parent.id
		}
		if err := tx.QueryRow(ctx, `INSERT INTO units (code, name, kind, parent_id, path, depth, sort, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, 0, 0, 1, 1) RETURNING id`, code, name, kind, pid, "tmp:"+code).Scan(&u.id); err != nil {
			return err
		}
		u.path = parent.path + fmt.Sprint(u.id) + "/"
		if parent.path == "" {
			u.path = "/" + fmt.Sprint(u.id) + "/"
		}
		_, err := tx.Exec(ctx, `UPDATE units SET path = ? WHERE id = ?`, u.path, u.id)
		return err
	})
	if err != nil {
		fx.t.Fatalf("add unit %s: %v", code, err)
	}
	return u
}

func (fx *viewsFixture) addCategory(code, name string, parent int64) int64 {
	fx.t.Helper()
	var pid any
	if parent != 0 {
		pid = parent
	}
	var id int64
	err := fx.db.InTx(context.Background(), func(tx *store.Tx) error {
		return tx.QueryRow(context.Background(), `INSERT INTO categories (code, name, parent_id, kind, created_at)
			VALUES (?, ?, ?, '管理部件', 1) RETURNING id`, code, name, pid).Scan(&id)
	})
	if err != nil {
		fx.t.Fatalf("add category %s: %v", code, err)
	}
	return id
}

func vfMillis(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

func vfID(u vfUnit) any {
	if u.id == 0 {
		return nil
	}
	return u.id
}

// addCase inserts c with its assignments and search row, and returns its id.
func (fx *viewsFixture) addCase(c vfCase) int64 {
	fx.t.Helper()
	ctx := context.Background()
	fx.n++
	if c.flow == "" {
		c.flow = "hotline"
	}
	if c.status == "" {
		c.status = "dispatched"
	}
	if c.created.IsZero() {
		c.created = fx.base.Add(time.Duration(fx.n) * time.Minute)
	}
	if c.title == "" {
		c.title = fmt.Sprintf("工单%d", fx.n)
	}
	no := fmt.Sprintf("350722-%s-%05d", c.created.In(cst).Format("20060102"), fx.n)
	var resolved any
	if !c.revisitedAt.IsZero() {
		resolved = c.resolved
	}
	var cat any
	if c.category != 0 {
		cat = c.category
	}
	var id int64
	err := fx.db.InTx(ctx, func(tx *store.Tx) error {
		var lead any
		if c.lead != nil {
			lead = c.lead.unit.id
		}
		err := tx.QueryRow(ctx, `INSERT INTO cases (no, flow, request_type, category_id, title, body, channel, grid_unit_id,
				place_unit_id, place_path, reporter_phone_hash, status, lead_unit_id, handle_due_at, answered_at, revisited_at,
				resolved, satisfaction, extensions, reopens, closed_at, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, 'phone', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			no, c.flow, c.requestType, cat, c.title, c.body, vfID(c.grid), vfID(c.place), c.place.path, c.phoneHash,
			c.status, lead, vfMillis(c.handleDue), vfMillis(c.answeredAt), vfMillis(c.revisitedAt), resolved,
			c.satisfaction, c.extensions, c.reopens, vfMillis(c.closedAt), c.created.UnixMilli(), c.created.UnixMilli()).Scan(&id)
		if err != nil {
			return err
		}
		as := c.others
		if c.lead != nil {
			as = append(as, *c.lead)
		}
		for _, a := range as {
			if a.role == "" {
				a.role = "lead"
			}
			if a.status == "" {
				a.status = "to_sign"
			}
			if a.dispatched.IsZero() {
				a.dispatched = c.created
			}
			if _, err := tx.Exec(ctx, `INSERT INTO assignments (case_id, case_created_at, unit_id, unit_path, role, status, dispatched_at,
					sign_due_at, signed_at, handle_due_at, answered_at, overdue, closed_at, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				id, c.created.UnixMilli(), a.unit.id, a.unit.path, a.role, a.status, a.dispatched.UnixMilli(), vfMillis(a.signDue),
				vfMillis(a.signed), vfMillis(a.handleDue), vfMillis(a.answered), a.overdue, vfMillis(a.closed),
				c.created.UnixMilli(), c.created.UnixMilli()); err != nil {
				return err
			}
		}
		return casework.IndexCase(ctx, tx, id, c.title, c.body)
	})
	if err != nil {
		fx.t.Fatalf("add case %q: %v", c.title, err)
	}
	return id
}

// addEvent appends a timeline event to a case.
func (fx *viewsFixture) addEvent(caseID int64, at time.Time, action string, public int, note string) {
	fx.t.Helper()
	_, err := fx.db.Exec(context.Background(), `INSERT INTO case_events (case_id, at, actor_name, action, note, public)
		VALUES (?, ?, 'test', ?, ?, ?)`, caseID, at.UnixMilli(), action, note, public)
	if err != nil {
		fx.t.Fatalf("add event: %v", err)
	}
}

func (fx *viewsFixture) actor(u vfUnit, kind string) access.Actor {
	return access.Actor{UserID: 7, Name: "tester", UnitID: u.id, UnitCode: u.code, UnitKind: kind, UnitPath: u.path}
}

// engFixture is a small county run by the real engine through its public
// API, for the report card: the county, the supervision office and two
// departments, a street with a community, and a township.
type engFixture struct {
	t     testing.TB
	db    *store.DB
	cases *casework.Service
	r     *Service
	now   time.Time
	units map[string]vfUnit
}

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, cst)
	if err != nil {
		panic(err)
	}
	return t
}

func newEngine(t testing.TB, db *store.DB) *engFixture {
	t.Helper()
	ctx := context.Background()
	fx := &engFixture{t: t, db: db, units: map[string]vfUnit{}, now: at("2026-11-26 09:00")}
	vf := &viewsFixture{t: t, db: db}
	add := func(code, name, kind, parent string) {
		fx.units[code] = vf.addUnit(code, name, kind, fx.units[parent])
	}
	add("350722000000", "浦城县", "county", "")
	add("350722D000", "县委督查室", "department", "350722000000")
	add("350722D002", "县住房和城乡建设局", "department", "350722000000")
	add("350722D003", "县城市管理和综合执法局", "department", "350722000000")
	add("350722001000", "南浦街道", "street", "350722000000")
	add("350722001001", "仙楼社区", "community", "350722001000")
	add("350722101000", "富岭镇", "township", "350722000000")
	work, err := worktime.NewService(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := pii.New(make([]byte, pii.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	cases, err := casework.NewService(db, casework.Deps{
		Calendar:  func(context.Context) (casework.Calendar, error) { return work.Calendar(), nil },
		Sealer:    sealer,
		Log:       slog.New(slog.NewTextHandler(io.Discard, nil)),
		AttachDir: t.TempDir(),
		Now:       func() time.Time { return fx.now },
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := catalog.NewService(db).SeedCategories(ctx); err != nil {
		t.Fatal(err)
	}
	fx.cases, fx.r = cases, New(db, cases)
	return fx
}

// actor is a user with id uid at the unit code holding roles.
func (fx *engFixture) actor(uid int64, code string, roles ...access.Role) access.Actor {
	u := fx.units[code]
	kind := map[string]string{"350722000000": "county", "350722001000": "street", "350722001001": "community", "350722101000": "township"}[code]
	if kind == "" {
		kind = "department"
	}
	return access.Actor{UserID: uid, Username: "u" + strconv.FormatInt(uid, 10), Name: "用户" + strconv.FormatInt(uid, 10),
		UnitID: u.id, UnitCode: u.code, UnitName: code, UnitKind: kind, UnitPath: u.path, Roles: roles}
}

func (fx *engFixture) create(actor access.Actor, in casework.NewCase) casework.Case {
	fx.t.Helper()
	c, created, err := fx.cases.Create(context.Background(), actor, in)
	if err != nil || !created {
		fx.t.Fatalf("create %q: %v (created %v)", in.Title, err, created)
	}
	return c
}

func (fx *engFixture) do(actor access.Actor, no string, act casework.Action) casework.Case {
	fx.t.Helper()
	c, err := fx.cases.Do(context.Background(), actor, no, act)
	if err != nil {
		fx.t.Fatalf("%s on %s by %s: %v", act.Name, no, actor.UnitCode, err)
	}
	return c
}

// part returns the case's part of the unit with the given code.
func (fx *engFixture) part(no, unit string) casework.Assignment {
	fx.t.Helper()
	d, err := fx.cases.Get(context.Background(), access.System, no)
	if err != nil {
		fx.t.Fatal(err)
	}
	for _, a := range d.Assignments {
		if a.PersonID == 0 && a.UnitCode == unit {
			return a
		}
	}
	fx.t.Fatalf("%s has no part of %s", no, unit)
	return casework.Assignment{}
}

func ptrTrue() *bool { v := true; return &v }
