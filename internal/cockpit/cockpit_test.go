package cockpit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/casework"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// fixture: a county with township A (community A1, grid G1 under it),
// township B and a department; a category; cases placed and led by SQL.
type fixture struct {
	t                                  *testing.T
	db                                 *store.DB
	county, townA, commA, gridA, townB fxUnit
	dept                               fxUnit
	cat                                int64
	n                                  int
	now                                time.Time
}

type fxUnit struct {
	id               int64
	code, path, kind string
}

func newFixture(t *testing.T, db *store.DB) *fixture {
	fx := &fixture{t: t, db: db, now: time.Date(2026, 12, 10, 10, 0, 0, 0, zone)}
	fx.county = fx.unit("350722000000", "浦城县", "county", fxUnit{}, "")
	fx.townA = fx.unit("350722001000", "南浦街道", "township", fx.county, "")
	fx.commA = fx.unit("350722001001", "城中社区", "community", fx.townA, "")
	fx.gridA = fx.unit("350722001001G01", "第一网格", "grid", fx.commA, `{"type":"Polygon","coordinates":[[[118.5,27.9],[118.6,27.9],[118.6,28.0],[118.5,27.9]]]}`)
	fx.townB = fx.unit("350722100000", "富岭镇", "township", fx.county, "")
	fx.dept = fx.unit("350722D001", "县住建局", "department", fx.county, "")
	if err := db.QueryRow(context.Background(), `INSERT INTO categories (code, name, kind, created_at) VALUES ('06010', '暴露垃圾', '管理事项', 0) RETURNING id`).Scan(&fx.cat); err != nil {
		t.Fatal(err)
	}
	return fx
}

func (fx *fixture) unit(code, name, kind string, parent fxUnit, boundary string) fxUnit {
	fx.t.Helper()
	ctx := context.Background()
	u := fxUnit{code: code, kind: kind}
	var pid any
	if parent.id != 0 {
		pid = parent.id
	}
	if err := fx.db.QueryRow(ctx, `INSERT INTO units (code, name, kind, parent_id, path, depth, boundary, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, 1, 1) RETURNING id`, code, name, kind, pid, "tmp:"+code, len(parent.path), boundary).Scan(&u.id); err != nil {
		fx.t.Fatal(err)
	}
	if parent.path == "" {
		parent.path = "/"
	}
	u.path = parent.path + fmt.Sprint(u.id) + "/"
	if _, err := fx.db.Exec(ctx, `UPDATE units SET path = ? WHERE id = ?`, u.path, u.id); err != nil {
		fx.t.Fatal(err)
	}
	return u
}

// fxCase is a case; lead nil: never dispatched.
type fxCase struct {
	flow, channel, status string
	place, grid           fxUnit
	lead                  *fxUnit
	created               time.Time
	handleDue             time.Duration // from created; 0 none
	answered              bool
	supervisions          int
	category              bool
	lng, lat              float64
	reportDue             bool // a summoned part not reported in
}

func (fx *fixture) add(c fxCase) string {
	fx.t.Helper()
	ctx := context.Background()
	fx.n++
	no := fmt.Sprintf("350722-20261201-%05d", fx.n)
	if c.flow == "" {
		c.flow = "hotline"
	}
	if c.channel == "" {
		c.channel = "phone"
	}
	if c.status == "" {
		c.status = "in_hand"
	}
	var cat, grid, lng, lat any
	if c.category {
		cat = fx.cat
	}
	if c.grid.id != 0 {
		grid = c.grid.id
	}
	if c.lng != 0 {
		lng, lat = c.lng, c.lat
	}
	created := c.created.UnixMilli()
	err := fx.db.InTx(ctx, func(tx *store.Tx) error {
		var id int64
		var answered any
		if c.answered {
			answered = created + 1
		}
		if err := tx.QueryRow(ctx, `INSERT INTO cases (no, flow, title, channel, request_type, category_id, place_unit_id, place_path, grid_unit_id,
			lng, lat, status, supervisions, answered_at, created_at, updated_at)
			VALUES (?, ?, 't', ?, 'complaint', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			no, c.flow, c.channel, cat, c.place.id, c.place.path, grid, lng, lat, c.status, c.supervisions, answered, created, created).Scan(&id); err != nil {
			return err
		}
		if c.lead != nil {
			var due any
			if c.handleDue != 0 {
				due = c.created.Add(c.handleDue).UnixMilli()
			}
			status := "in_hand"
			if c.answered {
				status = "answered"
			}
			if _, err := tx.Exec(ctx, `INSERT INTO assignments (case_id, unit_id, unit_path, role, status, dispatched_at, handle_due_at, created_at, updated_at)
				VALUES (?, ?, ?, 'lead', ?, ?, ?, ?, ?)`, id, c.lead.id, c.lead.path, status, created, due, created, created); err != nil {
				return err
			}
		}
		if c.reportDue {
			if _, err := tx.Exec(ctx, `INSERT INTO assignments (case_id, unit_id, unit_path, role, status, dispatched_at, report_due_at, created_at, updated_at)
				VALUES (?, ?, ?, 'summoned', 'to_sign', ?, ?, ?, ?)`, id, fx.dept.id, fx.dept.path, created, created+1000, created, created); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		fx.t.Fatal(err)
	}
	return no
}

func (fx *fixture) refresh() {
	fx.t.Helper()
	if err := casework.RefreshLeads(context.Background(), fx.db); err != nil {
		fx.t.Fatal(err)
	}
}

func actorAt(u fxUnit, roles ...access.Role) access.Actor {
	return access.Actor{UserID: 1, Name: "t", UnitID: u.id, UnitCode: u.code, UnitKind: u.kind, UnitPath: u.path, Roles: roles}
}

// seed places the walk's cases: in township A's grid three 12345 cases this
// month (one overdue now with a point, one answered, one supervised), a
// township call waiting for the county, a whistle waiting for report-in; in
// township B one 12345 case; one from last month in A.
func (fx *fixture) seed() (overdueNo string) {
	day := time.Date(2026, 12, 8, 9, 0, 0, 0, zone) // a Tuesday of this week
	overdueNo = fx.add(fxCase{place: fx.commA, grid: fx.gridA, lead: &fx.commA, created: day, handleDue: time.Hour, category: true, lng: 118.55, lat: 27.95})
	fx.add(fxCase{place: fx.commA, grid: fx.gridA, lead: &fx.dept, created: day, handleDue: 100 * time.Hour, answered: true, channel: "portal", category: true})
	fx.add(fxCase{place: fx.commA, grid: fx.gridA, lead: &fx.commA, created: day.AddDate(0, 0, -6), handleDue: 500 * time.Hour, supervisions: 1})
	fx.add(fxCase{flow: "township_call", status: "dispatched", place: fx.townA, lead: &fx.dept, created: day, handleDue: 500 * time.Hour})
	fx.add(fxCase{flow: "whistle", status: "summoning", place: fx.commA, created: day, reportDue: true})
	fx.add(fxCase{place: fx.townB, lead: &fx.townB, created: day, handleDue: 500 * time.Hour})
	fx.add(fxCase{place: fx.commA, grid: fx.gridA, lead: &fx.commA, created: day.AddDate(0, -1, 0), answered: true})
	fx.refresh()
	return overdueNo
}

func TestPanelsAndListsAgree(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fx := newFixture(t, db)
		overdueNo := fx.seed()
		s := New(db, Pillars(Sources{})...)
		s.UseClock(func() time.Time { return fx.now })
		county := actorAt(fx.county, access.RoleAdmin)
		u, crumbs, err := s.Resolve(ctx, county, "")
		if err != nil || u.Code != fx.county.code || len(crumbs) != 1 {
			t.Fatalf("county default: %+v %v %v", u, crumbs, err)
		}
		p := PeriodAt(fx.now)
		ps, err := s.Panels(ctx, county, u, p)
		if err != nil {
			t.Fatal(err)
		}
		h := ps.Hotline
		if h.Total.Counts.Cases != 4 {
			t.Errorf("12345 cases this month = %d, want 4", h.Total.Counts.Cases)
		}
		if len(h.Trend) != 12 || h.Trend[11].Month != "2026-12" || h.Trend[11].Cases != 4 || h.Trend[10].Cases != 1 {
			t.Errorf("trend: %+v", h.Trend)
		}
		if len(h.Townships) != 2 || len(h.Departments) != 1 {
			t.Errorf("rankings: %d townships, %d departments", len(h.Townships), len(h.Departments))
		}
		// Every count of a panel has a list with exactly as many cases.
		check := func(name string, n Number, list, value string) {
			t.Helper()
			l, err := s.Cases(ctx, county, u, p, list, value, 0, "")
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if float64(l.Count) != n.N || len(l.Cases) != l.Count {
				t.Errorf("%s: number %v, list %d (%d rows)", name, n.N, l.Count, len(l.Cases))
			}
		}
		for _, n := range h.Channels {
			check("channel "+n.Label, n, "channel", n.Label)
		}
		sum := 0
		for _, n := range h.Channels {
			sum += int(n.N)
		}
		if sum != h.Total.Counts.Cases {
			t.Errorf("channels add up to %d, want %d", sum, h.Total.Counts.Cases)
		}
		for _, n := range h.WeekCategories {
			check("week category", n, "week_category", valueOf(t, n.Href))
		}
		if len(h.HotSpots) != 1 || h.HotSpots[0].N != 2 { // the third case is of last week
			t.Errorf("hot spots: %+v", h.HotSpots)
		}
		o := ps.Overdue
		if o.Total.N != 1 || o.Supervised.N != 1 || o.Calls.N != 1 || o.ReportIn.N != 1 {
			t.Errorf("overdue panel: total %v supervised %v calls %v report-in %v", o.Total.N, o.Supervised.N, o.Calls.N, o.ReportIn.N)
		}
		check("overdue", o.Total, "overdue", "")
		check("supervised", o.Supervised, "supervised", "")
		check("calls", o.Calls, "calls", "")
		check("report-in", o.ReportIn, "report_in", "")
		check("overdue of the community", o.ByUnit[0], "overdue", fx.commA.code)
		m, err := s.Map(ctx, county, u, p, 0, StateAll)
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Grids) != 1 || m.Grids[0].Cases != 3 || m.Grids[0].Grade != 4 || len(m.Overdue) != 1 || m.Overdue[0].No != overdueNo {
			t.Errorf("map: %+v", m)
		}
		mo, err := s.Map(ctx, county, u, p, fx.cat, StateOverdue)
		if err != nil || mo.Grids[0].Cases != 1 {
			t.Errorf("map of the category, overdue: %+v %v", mo, err)
		}
		l, err := s.Cases(ctx, county, u, p, "grid", fx.gridA.code, fx.cat, StateOverdue)
		if err != nil || l.Count != 1 || l.Cases[0].No != overdueNo {
			t.Errorf("grid list: %+v %v", l, err)
		}
		// Civility and pairing are not built: no numbers, the note.
		for _, pp := range ps.Pillars {
			if pp.Key == "cockpit.pillar.civility" || pp.Key == "cockpit.pillar.pairing" {
				if pp.Available || len(pp.Numbers) != 0 || pp.Note != "cockpit.pillar.unavailable" {
					t.Errorf("%s: %+v", pp.Key, pp)
				}
			}
		}
		// Bad input: a clear error, nothing else.
		if _, err := s.Cases(ctx, county, u, p, "nonsense", "", 0, ""); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("unknown list: %v", err)
		}
		if _, err := s.Map(ctx, county, u, p, 0, "nonsense"); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("unknown state: %v", err)
		}
	})
}

func valueOf(t *testing.T, href string) string {
	t.Helper()
	var v string
	for _, part := range bytes.Split([]byte(href[len("/cockpit/cases?"):]), []byte("&")) {
		if bytes.HasPrefix(part, []byte("value=")) {
			v = string(part[len("value="):])
		}
	}
	return v
}

// TestCockpitAuthorization walks docs/AUTHORIZATION.md's cockpit table:
// who opens which unit's cockpit.
func TestCockpitAuthorization(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fx := newFixture(t, db)
		fx.seed()
		s := New(db)
		s.UseClock(func() time.Time { return fx.now })
		rows := []struct {
			who   string
			actor access.Actor
			unit  fxUnit
			allow bool
		}{
			{"county staff, the county", actorAt(fx.county, access.RoleAdmin), fx.county, true},
			{"county staff, a grid", actorAt(fx.county, access.RoleAdmin), fx.gridA, true},
			{"supervisor in a department, township A", actorAt(fx.dept, access.RoleSupervisor), fx.townA, true},
			{"township A, own township", actorAt(fx.townA, access.RoleTownship), fx.townA, true},
			{"township A, a unit below", actorAt(fx.townA, access.RoleTownship), fx.commA, true},
			{"township A, the county", actorAt(fx.townA, access.RoleTownship), fx.county, false},
			{"township A, another township", actorAt(fx.townA, access.RoleTownship), fx.townB, false},
			{"community, own community", actorAt(fx.commA, access.RoleCommunity), fx.commA, true},
			{"community, its township", actorAt(fx.commA, access.RoleCommunity), fx.townA, false},
			{"department, own department", actorAt(fx.dept, access.RoleDepartment), fx.dept, true},
			{"department, a township", actorAt(fx.dept, access.RoleDepartment), fx.townA, false},
		}
		for _, r := range rows {
			_, _, err := s.Resolve(ctx, r.actor, r.unit.code)
			if r.allow && err != nil {
				t.Errorf("%s: %v, want allowed", r.who, err)
			}
			if !r.allow && !errors.Is(err, store.ErrForbidden) {
				t.Errorf("%s: %v, want forbidden", r.who, err)
			}
		}
		// The default is one's own unit; a township leader sees their own.
		u, _, err := s.Resolve(ctx, actorAt(fx.townA, access.RoleTownship), "")
		if err != nil || u.Code != fx.townA.code {
			t.Errorf("township default: %+v %v", u, err)
		}
		// A township's panels count only its subtree.
		ta := actorAt(fx.townA, access.RoleTownship)
		h, err := s.Hotline(ctx, ta, u, PeriodAt(fx.now))
		if err != nil || h.Total.Counts.Cases != 2 { // the case the department leads counts for it
			t.Errorf("township A's 12345 cases: %d %v", h.Total.Counts.Cases, err)
		}
		if _, err := s.Reports(ctx, access.Actor{}, ""); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("anonymous reports: %v", err)
		}
	})
}

// TestMonthlyJob runs the scheduler's job: on 10 December it writes
// November's reports for the county and each township, once; a second run
// writes nothing; each township sees its own report only; the workbook
// opens.
func TestMonthlyJob(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fx := newFixture(t, db)
		fx.seed()
		s := New(db, Pillars(Sources{})...)
		s.UseClock(func() time.Time { return fx.now })
		month, n, err := s.RunMonthly(ctx)
		if err != nil || month != "2026-11" || n != 3 {
			t.Fatalf("first run: %s %d %v, want 2026-11 3 reports", month, n, err)
		}
		if _, n, err := s.RunMonthly(ctx); err != nil || n != 0 {
			t.Fatalf("second run wrote %d (%v), want 0", n, err)
		}
		all, err := s.Reports(ctx, actorAt(fx.county, access.RoleAdmin), "")
		if err != nil || len(all) != 3 {
			t.Fatalf("county sees %d reports (%v), want 3", len(all), err)
		}
		mine, err := s.Reports(ctx, actorAt(fx.townA, access.RoleTownship), "")
		if err != nil || len(mine) != 1 || mine[0].UnitCode != fx.townA.code {
			t.Fatalf("township A sees %+v (%v)", mine, err)
		}
		r, err := s.Report(ctx, actorAt(fx.townA, access.RoleTownship), mine[0].ID)
		if err != nil || r.Month != "2026-11" || r.Hotline.Total.Counts.Cases != 1 {
			t.Fatalf("township A's November: %+v %v", r.Hotline.Total.Counts, err)
		}
		for _, ri := range all {
			if ri.UnitCode == fx.townB.code {
				if _, err := s.Report(ctx, actorAt(fx.townA, access.RoleTownship), ri.ID); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("township A opens B's report: %v", err)
				}
			}
		}
		var b bytes.Buffer
		if err := WriteXLSX(&b, r, func(k string) string { return k }); err != nil || b.Len() < 1000 || !bytes.HasPrefix(b.Bytes(), []byte("PK")) {
			t.Fatalf("workbook: %d bytes, %v", b.Len(), err)
		}
		if _, err := s.BuildMonthly(ctx, "2026-12"); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("a month not over: %v", err)
		}
	})
}
