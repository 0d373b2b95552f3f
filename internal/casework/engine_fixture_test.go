package casework

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/casework/caserows"
	"grassroots/internal/catalog"
	"grassroots/internal/pii"
	"grassroots/internal/store"
	"grassroots/internal/timers"
	"grassroots/internal/worktime"
)

// engFixture is a small county (units below), the real 2026 calendar, a
// sealer, a clock the test moves, and a sweeper with the engine's handlers.
//
//	350722000000 浦城县 (county)
//	├── 350722D000 督查室, D002 住建局, D003 城管局 (departments)
//	├── 350722001000 南浦街道 (street) ── 350722001001 仙楼社区 (community) ── G01 网格一 (grid)
//	└── 350722101000 富岭镇 (township) ── 350722101200 某村 (village)
type engFixture struct {
	t       testing.TB
	db      *store.DB
	s       *Service
	cat     *catalog.Service // the category tree
	now     time.Time
	units   map[string]unitRef
	sweeper *timers.Sweeper
	work    *worktime.Service
}

func cst(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, shanghai)
	if err != nil {
		panic(err)
	}
	return t
}

func newEngine(t testing.TB, db *store.DB, deps ...func(*Deps)) *engFixture {
	t.Helper()
	ctx := context.Background()
	fx := &engFixture{t: t, db: db, units: map[string]unitRef{}, now: cst("2026-11-26 09:00")}
	for _, u := range caserows.SmallCounty {
		fx.addUnit(u.Code, u.Name, u.Kind, u.Parent)
	}
	work, err := worktime.NewService(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	fx.work = work
	sealer, err := pii.New(make([]byte, pii.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	d := Deps{
		Calendar:  func(context.Context) (Calendar, error) { return work.Calendar(), nil },
		Sealer:    sealer,
		Log:       log,
		AttachDir: t.TempDir(),
		Now:       func() time.Time { return fx.now },
	}
	for _, f := range deps {
		f(&d)
	}
	s, err := NewService(db, d)
	if err != nil {
		t.Fatal(err)
	}
	// The category tree is the catalogue's; the engine reads its table.
	fx.cat = catalog.NewService(db)
	fx.cat.SetClock(func() time.Time { return fx.now })
	if err := fx.cat.SeedCategories(ctx); err != nil {
		t.Fatal(err)
	}
	fx.s = s
	fx.sweeper = timers.NewSweeper(db, log, "test")
	for _, k := range TimerKinds() {
		fx.sweeper.Handle(k, s.HandleTimer)
	}
	return fx
}

func (fx *engFixture) addUnit(code, name, kind, parent string) {
	fx.t.Helper()
	var p caserows.Unit
	if parent != "" {
		pu := fx.units[parent]
		p = caserows.Unit{ID: pu.ID, Code: pu.Code, Path: pu.Path}
	}
	u := caserows.InsertUnit(fx.t, fx.db, code, name, kind, p)
	fx.units[code] = unitRef{ID: u.ID, Code: code, Name: name, Kind: kind, Path: u.Path}
}

// actor is a user with id uid at the unit code holding roles.
func (fx *engFixture) actor(uid int64, code string, roles ...access.Role) access.Actor {
	u := fx.units[code]
	return access.Actor{UserID: uid, Username: "u" + strconv.FormatInt(uid, 10), Name: "用户" + strconv.FormatInt(uid, 10),
		UnitID: u.ID, UnitCode: u.Code, UnitName: u.Name, UnitKind: u.Kind, UnitPath: u.Path, Roles: roles}
}

func (fx *engFixture) create(actor access.Actor, in NewCase) Case {
	fx.t.Helper()
	c, created, err := fx.s.Create(context.Background(), actor, in)
	if err != nil {
		fx.t.Fatalf("create %q: %v", in.Title, err)
	}
	if !created {
		fx.t.Fatalf("create %q: not created", in.Title)
	}
	return c
}

// do takes an action and fails the test on error.
func (fx *engFixture) do(actor access.Actor, no string, act Action) Case {
	fx.t.Helper()
	c, err := fx.s.Do(context.Background(), actor, no, act)
	if err != nil {
		fx.t.Fatalf("%s on %s by %s: %v", act.Name, no, actor.UnitCode, err)
	}
	return c
}

// refused takes an action that must fail with kind.
func (fx *engFixture) refused(actor access.Actor, no string, act Action, kind error) {
	fx.t.Helper()
	_, err := fx.s.Do(context.Background(), actor, no, act)
	if !errors.Is(err, kind) {
		fx.t.Fatalf("%s on %s by %s: got %v, want %v", act.Name, no, actor.UnitCode, err, kind)
	}
	if _, ok := store.UserMessage(err); !ok {
		fx.t.Errorf("%s refusal carries no message for the user: %v", act.Name, err)
	}
}

func (fx *engFixture) count(query string, args ...any) int {
	fx.t.Helper()
	var n int
	if err := fx.db.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		fx.t.Fatalf("%s: %v", query, err)
	}
	return n
}

func (fx *engFixture) detail(no string) CaseDetail {
	fx.t.Helper()
	d, err := fx.s.Get(context.Background(), access.System, no)
	if err != nil {
		fx.t.Fatal(err)
	}
	return d
}

func (fx *engFixture) lead(no string) Assignment {
	fx.t.Helper()
	d := fx.detail(no)
	a, ok := d.Lead()
	if !ok {
		fx.t.Fatalf("%s has no lead", no)
	}
	return a
}

func ptrTrue() *bool  { v := true; return &v }
func ptrFalse() *bool { v := false; return &v }

// pngBytes is a 1×1 PNG.
var pngBytes = []byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R', 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89,
	0, 0, 0, 13, 'I', 'D', 'A', 'T', 0x78, 0x9c, 0x63, 0, 1, 0, 0, 5, 0, 1, 0x0d, 0x0a, 0x2d, 0xb4, 0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82}

func workDays(n int) worktime.Limit { return worktime.Limit{Days: n} }

func timerOf(id int64, kind string, caseID, assignmentID int64, payload string) timers.Timer {
	return timers.Timer{ID: id, Kind: kind, CaseID: caseID, AssignmentID: assignmentID, Payload: payload}
}
