package volunteer_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
	"grassroots/internal/volunteer"
)

// fixture is a county with a street and its community, and a township:
//
//	浦城县 ── 南浦街道 ── 仙楼社区
//	       └── 富岭镇 ── 某村
type fixture struct {
	t     *testing.T
	db    *store.DB
	v     *volunteer.Service
	now   time.Time
	units map[string]unit
	// member is a party member; other a second volunteer.
	member, other int64
}

type unit struct {
	id         int64
	kind, path string
}

var loc = time.FixedZone("CST", 8*3600)

func newFixture(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	fx := &fixture{t: t, db: db, units: map[string]unit{}, now: time.Date(2026, 11, 26, 9, 0, 0, 0, loc)}
	fx.unit("C", "浦城县", "county", "")
	fx.unit("S", "南浦街道", "street", "C")
	fx.unit("X", "仙楼社区", "community", "S")
	fx.unit("T", "富岭镇", "township", "C")
	fx.unit("V", "某村", "village", "T")
	fx.v = volunteer.New(db)
	fx.v.UseClock(func() time.Time { return fx.now })
	fx.member = fx.person("党员张某某", "X")
	fx.other = fx.person("党员李某某", "V")
	return fx
}

func (fx *fixture) unit(code, name, kind, parent string) {
	fx.t.Helper()
	ctx := context.Background()
	err := fx.db.InTx(ctx, func(tx *store.Tx) error {
		var parentID any
		path := "/"
		if parent != "" {
			parentID, path = fx.units[parent].id, fx.units[parent].path
		}
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO units (code, name, kind, parent_id, path, depth, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 0, 0, 0) RETURNING id`,
			"U"+code, name, kind, parentID, "tmp"+code).Scan(&id); err != nil {
			return err
		}
		path += strconv.FormatInt(id, 10) + "/"
		if _, err := tx.Exec(ctx, `UPDATE units SET path = ? WHERE id = ?`, path, id); err != nil {
			return err
		}
		fx.units[code] = unit{id: id, kind: kind, path: path}
		return nil
	})
	if err != nil {
		fx.t.Fatal(err)
	}
}

func (fx *fixture) person(name, unit string) int64 {
	fx.t.Helper()
	var id int64
	if err := fx.db.QueryRow(context.Background(), `INSERT INTO people (name, unit_id, role, created_at, updated_at) VALUES (?, ?, 'party_member', 0, 0) RETURNING id`,
		name, fx.units[unit].id).Scan(&id); err != nil {
		fx.t.Fatal(err)
	}
	return id
}

func (fx *fixture) actor(uid int64, code string, roles ...access.Role) access.Actor {
	u := fx.units[code]
	return access.Actor{UserID: uid, Name: "用户" + strconv.FormatInt(uid, 10), UnitID: u.id, UnitCode: code, UnitKind: u.kind, UnitPath: u.path, Roles: roles}
}

// signOff signs off an activity of 仙楼社区 the member attended for
// minutes, in its own transaction.
func (fx *fixture) signOff(id int64, minutes int, deed *volunteer.DeedOf) error {
	in := fx.now.Add(-3 * time.Hour)
	return fx.db.InTx(context.Background(), func(tx *store.Tx) error {
		return fx.v.ActivitySignedOff(context.Background(), tx, volunteer.Activity{
			ID: id, Title: "清理楼道杂物", Content: "清理楼道杂物", Place: "仙楼社区党群服务中心", UnitID: fx.units["X"].id,
			SignedOffBy: 7, SignerName: "社区书记", At: fx.now,
			Attendees: []volunteer.Attendee{{PersonID: fx.member, In: in, Out: in.Add(time.Duration(minutes) * time.Minute)}},
			Deed:      deed,
		})
	})
}

func isKind(err, kind error) bool { return errors.Is(err, kind) }

func TestHoursLayers(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		fx := newFixture(t, db)
		deed := &volunteer.DeedOf{DoerPersonID: fx.member, Beneficiary: "3号楼居民", Problem: "楼道堆物消除火灾隐患"}
		if err := fx.signOff(1, 90, deed); err != nil {
			t.Fatal(err)
		}
		// Signing the same activity off twice records nothing more.
		if err := fx.signOff(1, 90, nil); err != nil {
			t.Fatal(err)
		}
		staff := fx.actor(10, "X", access.RoleCommunity)
		boss := fx.actor(11, "S", access.RoleTownship)
		fuling := fx.actor(12, "T", access.RoleTownship)

		start := fx.now.Add(-48 * time.Hour)
		b := volunteer.BackFill{PersonID: fx.member, UnitID: fx.units["X"].id, Start: start, End: start.Add(2 * time.Hour),
			Minutes: 150, Content: "敬老院探访", Reason: "当天未带手机签到"}
		if _, err := fx.v.BackFill(ctx, staff, b); !isKind(err, store.ErrInvalid) {
			t.Fatalf("back-fill longer than the activity: %v", err)
		}
		b.Minutes, b.Reason = 120, ""
		if _, err := fx.v.BackFill(ctx, staff, b); !isKind(err, store.ErrInvalid) {
			t.Fatalf("back-fill without a reason: %v", err)
		}
		b.Reason = "当天未带手机签到"
		if _, err := fx.v.BackFill(ctx, fuling, b); !isKind(err, store.ErrForbidden) {
			t.Fatalf("another township back-fills: %v", err)
		}
		id, err := fx.v.BackFill(ctx, staff, b)
		if err != nil {
			t.Fatal(err)
		}
		h, err := fx.v.Hours(ctx, staff, fx.member)
		if err != nil {
			t.Fatal(err)
		}
		if h.VerifiedMinutes != 90 || h.PendingMinutes != 120 || h.BackfilledMinutes != 0 || h.CountedMinutes != 90 || h.Times != 1 {
			t.Fatalf("before approval: %+v", h)
		}
		if h.Volunteer.No != volunteer.Number(fx.member) {
			t.Fatalf("volunteer number %q", h.Volunteer.No)
		}
		if err := fx.v.Approve(ctx, staff, id, true, true, ""); !isKind(err, store.ErrInvalid) {
			t.Fatalf("recorder approves own back-fill: %v", err)
		}
		if err := fx.v.Approve(ctx, fuling, id, true, true, ""); !isKind(err, store.ErrForbidden) {
			t.Fatalf("another township approves: %v", err)
		}
		if err := fx.v.Approve(ctx, boss, id, true, false, "核实属实"); err != nil {
			t.Fatal(err)
		}
		h, _ = fx.v.Hours(ctx, staff, fx.member)
		if h.BackfilledMinutes != 120 || h.CountedMinutes != 90 || h.Times != 2 {
			t.Fatalf("approved, not promoted: %+v", h)
		}
		if err := fx.v.Approve(ctx, boss, id, true, true, ""); !isKind(err, store.ErrInvalid) {
			t.Fatalf("approved twice: %v", err)
		}
		// A second back-fill, approved and promoted, counts.
		id2, err := fx.v.BackFill(ctx, staff, b)
		if err != nil {
			t.Fatal(err)
		}
		if err := fx.v.Approve(ctx, boss, id2, true, true, "补录属实，计入星级"); err != nil {
			t.Fatal(err)
		}
		h, _ = fx.v.Hours(ctx, staff, fx.member)
		if h.BackfilledMinutes != 240 || h.CountedMinutes != 210 {
			t.Fatalf("promoted: %+v", h)
		}
		if _, err := fx.v.Hours(ctx, fuling, fx.member); !isKind(err, store.ErrForbidden) {
			t.Fatalf("another township reads the record: %v", err)
		}

		v, bf, deeds, err := fx.v.Totals(ctx, fx.units["S"].path, fx.now.AddDate(0, 0, -7), fx.now.Add(time.Hour))
		if err != nil || v != 90 || bf != 240 || deeds != 1 {
			t.Fatalf("street totals %d %d %d %v", v, bf, deeds, err)
		}
		if v, bf, deeds, _ := fx.v.Totals(ctx, fx.units["T"].path, fx.now.AddDate(0, 0, -7), fx.now.Add(time.Hour)); v+bf+deeds != 0 {
			t.Fatalf("another township's totals %d %d %d", v, bf, deeds)
		}
		if v, _, deeds, _ := fx.v.Totals(ctx, "", fx.now.AddDate(0, 0, -7), fx.now.Add(time.Hour)); v != 90 || deeds != 1 {
			t.Fatalf("county totals %d %d", v, deeds)
		}
	})
}

func TestCorrection(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		fx := newFixture(t, db)
		if err := fx.signOff(5, 60, nil); err != nil {
			t.Fatal(err)
		}
		staff := fx.actor(10, "X", access.RoleCommunity)
		h, _ := fx.v.Hours(ctx, staff, fx.member)
		entry := h.Entries[0]
		me := fx.actor(20, "X")
		if _, err := fx.v.AskCorrection(ctx, me, entry.ID, "签退时手机没电，实际服务到结束", 999); !isKind(err, store.ErrInvalid) {
			t.Fatalf("correction beyond the activity: %v", err)
		}
		cid, err := fx.v.AskCorrection(ctx, me, entry.ID, "签退时手机没电，实际服务到结束", 60)
		if err != nil {
			t.Fatal(err)
		}
		if err := fx.v.Correct(ctx, fx.actor(12, "T", access.RoleTownship), cid, true, 60, "核实"); !isKind(err, store.ErrForbidden) {
			t.Fatalf("another township corrects: %v", err)
		}
		if err := fx.v.Correct(ctx, staff, cid, true, 45, "经核实签到表，实际服务45分钟"); err != nil {
			t.Fatal(err)
		}
		if err := fx.v.Correct(ctx, staff, cid, true, 50, "再改"); !isKind(err, store.ErrInvalid) {
			t.Fatalf("decided twice: %v", err)
		}
		h, _ = fx.v.Hours(ctx, staff, fx.member)
		e := h.Entries[0]
		if e.Minutes != 45 || h.VerifiedMinutes != 45 {
			t.Fatalf("corrected entry %+v", e)
		}
		var kinds []string
		for _, c := range e.History {
			kinds = append(kinds, c.Kind)
		}
		if len(kinds) != 3 || kinds[0] != "recorded" || kinds[1] != "correction_asked" || kinds[2] != "corrected" ||
			*e.History[2].OldMinutes != 60 || *e.History[2].NewMinutes != 45 {
			t.Fatalf("history %v %+v", kinds, e.History)
		}
	})
}

func TestStars(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		fx := newFixture(t, db)
		if _, err := db.Exec(ctx, `INSERT INTO settings (key, value, updated_at, updated_by) VALUES (?, '1,2,3,5,6', 0, 'test')`, volunteer.SettingStarHours); err != nil {
			t.Fatal(err)
		}
		staff := fx.actor(10, "X", access.RoleCommunity)
		if err := fx.signOff(1, 50, nil); err != nil {
			t.Fatal(err)
		}
		if err := fx.v.GrantStar(ctx, staff, fx.member, 1); !isKind(err, store.ErrInvalid) {
			t.Fatalf("one star under an hour: %v", err)
		}
		if err := fx.signOff(2, 200, nil); err != nil {
			t.Fatal(err)
		}
		if err := fx.v.GrantStar(ctx, staff, fx.member, 3); !isKind(err, store.ErrForbidden) {
			t.Fatalf("a community grants three stars: %v", err)
		}
		if err := fx.v.GrantStar(ctx, staff, fx.member, 1); err != nil {
			t.Fatal(err)
		}
		if err := fx.v.GrantStar(ctx, fx.actor(11, "S", access.RoleTownship), fx.member, 4); !isKind(err, store.ErrInvalid) {
			t.Fatalf("four stars at 4h10m: %v", err)
		}
		if err := fx.v.GrantStar(ctx, fx.actor(11, "S", access.RoleTownship), fx.member, 3); err != nil {
			t.Fatal(err)
		}
		if h, _ := fx.v.Hours(ctx, staff, fx.member); h.Star != 3 {
			t.Fatalf("star %d", h.Star)
		}
	})
}

func TestExportCSV(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		fx := newFixture(t, db)
		if err := fx.signOff(1, 90, nil); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		if err := fx.v.ExportCSV(ctx, fx.actor(10, "X", access.RoleCommunity), &b, fx.now.AddDate(0, -1, 0), fx.now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(b.String()), "\n")
		if len(lines) != 2 || !strings.HasPrefix(lines[0], "志愿者编号,姓名") ||
			lines[1] != volunteer.Number(fx.member)+",党员张某某,2026-11-26,06:00,07:30,1.5,仙楼社区党群服务中心,清理楼道杂物,仙楼社区,社区书记,核验,是" {
			t.Fatalf("csv %q", b.String())
		}
		b.Reset()
		if err := fx.v.ExportCSV(ctx, fx.actor(12, "T", access.RoleTownship), &b, fx.now.AddDate(0, -1, 0), fx.now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if strings.Count(b.String(), "\n") != 1 {
			t.Fatalf("another township's export %q", b.String())
		}
	})
}
