package stats

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"grassroots/internal/access"
	"grassroots/internal/casework"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
	"grassroots/internal/xlsx/xlsxtest"
)

// fixture inserts units and cases with plain SQL.
type fixture struct {
	t                                testing.TB
	db                               *store.DB
	county, townA, communityA, townB unit
	n                                int
}

type unit struct {
	id         int64
	code, path string
}

// fxCase is a case with its assignments; times are offsets from created.
type fxCase struct {
	place               unit
	created             time.Time
	answered, revisited time.Duration // 0: none
	handleDue           time.Duration // the case's own handling deadline, 0: none
	resolved            int
	satisfaction        string
	extensions, reopens int
	leads               []fxLead // in dispatch order; the last is current
}

type fxLead struct {
	unit                       unit
	status                     string
	signDue, signed, handleDue time.Duration // 0: none
	overdue                    int
}

func newFixture(t testing.TB, db *store.DB) *fixture {
	fx := &fixture{t: t, db: db}
	fx.county = fx.addUnit("350722000000", "浦城县", "county", unit{})
	fx.townA = fx.addUnit("350722001000", "南浦街道", "township", fx.county)
	fx.communityA = fx.addUnit("350722001001", "城中社区", "community", fx.townA)
	fx.townB = fx.addUnit("350722100000", "富岭镇", "township", fx.county)
	return fx
}

func (fx *fixture) addUnit(code, name, kind string, parent unit) unit {
	fx.t.Helper()
	ctx := context.Background()
	u := unit{code: code}
	err := fx.db.InTx(ctx, func(tx *store.Tx) error {
		var pid any
		if parent.id != 0 {
			pid = parent.id
		}
		if err := tx.QueryRow(ctx, `INSERT INTO units (code, name, kind, parent_id, path, depth, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, 0, 1, 1) RETURNING id`, code, name, kind, pid, "tmp:"+code).Scan(&u.id); err != nil {
			return err
		}
		if parent.path == "" {
			parent.path = "/"
		}
		u.path = parent.path + fmt.Sprint(u.id) + "/"
		_, err := tx.Exec(ctx, `UPDATE units SET path = ? WHERE id = ?`, u.path, u.id)
		return err
	})
	if err != nil {
		fx.t.Fatal(err)
	}
	return u
}

func (fx *fixture) addCase(c fxCase) {
	fx.t.Helper()
	ctx := context.Background()
	fx.n++
	at := func(d time.Duration) any {
		if d == 0 {
			return nil
		}
		return c.created.Add(d).UnixMilli()
	}
	var resolved any
	if c.revisited != 0 {
		resolved = c.resolved
	}
	var lead any
	if len(c.leads) > 0 {
		lead = c.leads[len(c.leads)-1].unit.id
	}
	err := fx.db.InTx(ctx, func(tx *store.Tx) error {
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO cases (no, flow, title, channel, place_unit_id, place_path, status, lead_unit_id,
				handle_due_at, answered_at, revisited_at, resolved, satisfaction, extensions, reopens, created_at, updated_at)
			VALUES (?, 'hotline', 't', 'phone', ?, ?, 'x', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			fmt.Sprintf("350722-20261101-%05d", fx.n), c.place.id, c.place.path, lead, at(c.handleDue), at(c.answered),
			at(c.revisited), resolved, c.satisfaction, c.extensions, c.reopens, c.created.UnixMilli(), c.created.UnixMilli()).Scan(&id); err != nil {
			return err
		}
		for _, l := range c.leads {
			if _, err := tx.Exec(ctx, `INSERT INTO assignments (case_id, unit_id, unit_path, role, status, dispatched_at,
					sign_due_at, signed_at, handle_due_at, overdue, created_at, updated_at)
				VALUES (?, ?, ?, 'lead', ?, ?, ?, ?, ?, ?, 1, 1)`, id, l.unit.id, l.unit.path, l.status, c.created.UnixMilli(),
				at(l.signDue), at(l.signed), at(l.handleDue), l.overdue); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		fx.t.Fatal(err)
	}
	// The fixture writes assignments directly: copy the lead onto the case
	// as the engine does.
	if err := casework.RefreshLeads(ctx, fx.db); err != nil {
		fx.t.Fatal(err)
	}
}

func actor(u unit, kind string) access.Actor {
	return access.Actor{UserID: 1, UnitID: u.id, UnitCode: u.code, UnitKind: kind, UnitPath: u.path}
}

func ratio(f Figure) float64 {
	if f.Ratio == nil {
		return math.NaN()
	}
	return *f.Ratio
}

func TestRates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fx := newFixture(t, db)
		zone := time.FixedZone("CST", 8*3600)
		from := time.Date(2026, 11, 1, 0, 0, 0, 0, zone)
		to := from.AddDate(0, 1, 0)
		day := from.Add(10 * 24 * time.Hour)
		h := time.Hour
		// 1: in time everywhere, resolved, satisfied.
		fx.addCase(fxCase{place: fx.communityA, created: day, answered: 20 * h, revisited: 30 * h, resolved: 1, satisfaction: "satisfied",
			leads: []fxLead{{unit: fx.communityA, status: "done", signDue: 2 * h, signed: h, handleDue: 24 * h}}})
		// 2: late, overdue, extended, answered late, unresolved, basic, reopened; held by the township itself.
		fx.addCase(fxCase{place: fx.communityA, created: day, answered: 50 * h, revisited: 60 * h, resolved: 0, satisfaction: "basic",
			extensions: 1, reopens: 1,
			leads: []fxLead{{unit: fx.townA, status: "done", signDue: 2 * h, signed: 3 * h, handleDue: 24 * h, overdue: 1}}})
		// 3: no sign deadline (counts as in time), answered before the case's deadline, resolved, unsatisfied.
		fx.addCase(fxCase{place: fx.communityA, created: day, answered: 5 * h, revisited: 6 * h, resolved: 1, satisfaction: "unsatisfied",
			handleDue: 24 * h, leads: []fxLead{{unit: fx.communityA, status: "done", signed: h}}})
		// 4: not signed yet.
		fx.addCase(fxCase{place: fx.communityA, created: day, leads: []fxLead{{unit: fx.communityA, status: "to_sign", signDue: 2 * h}}})
		// 5: fixed on the spot, never dispatched: counts for its place.
		fx.addCase(fxCase{place: fx.communityA, created: day, answered: 1, revisited: h, resolved: 1, satisfaction: "satisfied"})
		// 6: returned by town B (late), re-dispatched to town A, signed in time: counts for town A only.
		fx.addCase(fxCase{place: fx.communityA, created: day, leads: []fxLead{
			{unit: fx.townB, status: "returned", signDue: h, overdue: 1},
			{unit: fx.townA, status: "in_hand", signDue: 10 * h, signed: 5 * h}}})
		// 7: before the period.
		fx.addCase(fxCase{place: fx.communityA, created: from.Add(-h), answered: h, revisited: 2 * h, resolved: 1, satisfaction: "satisfied",
			leads: []fxLead{{unit: fx.communityA, status: "done", signDue: 2 * h, signed: h}}})
		// 8: town B, in time, resolved, basic.
		fx.addCase(fxCase{place: fx.townB, created: day, answered: 2 * h, revisited: 3 * h, resolved: 1, satisfaction: "basic",
			leads: []fxLead{{unit: fx.townB, status: "done", signDue: 2 * h, signed: h, handleDue: 24 * h}}})

		// 9: a grid event checked on site by the grid worker: revisited and
		// resolved, with no satisfaction asked — not in the satisfaction rate.
		fx.addCase(fxCase{place: fx.communityA, created: day, revisited: 2 * h, resolved: 1})

		county := actor(fx.county, "county")
		r, err := Rates(ctx, db, county, fx.townA.code, from, to, DefaultWeights())
		if err != nil {
			t.Fatal(err)
		}
		wantCounts := Counts{Cases: 7, Dispatched: 5, Responded: 3, Overdue: 1, Extended: 1, Answered: 4, OnTime: 3,
			Revisited: 5, Resolved: 4, Satisfied: 2, Basic: 1, Unsatisfied: 1, Reopened: 1}
		if diff := cmp.Diff(wantCounts, r.Counts); diff != "" {
			t.Errorf("town A counts (-want +got):\n%s", diff)
		}
		for _, tt := range []struct {
			name    string
			f       Figure
			num     float64
			den     int
			want    float64
			percent string
		}{
			{"响应率", r.Response, 3, 5, 0.6, "60.0%"},
			{"解决率", r.Resolution, 4, 5, 0.8, "80.0%"},
			{"满意率", r.Satisfaction, 2.8, 4, 0.7, "70.0%"},
			{"按期办结率", r.OnTime, 3, 4, 0.75, "75.0%"},
			{"超期率", r.Overdue, 1, 5, 0.2, "20.0%"},
			{"延期率", r.Extension, 1, 5, 0.2, "20.0%"},
			{"重办率", r.Reopen, 1, 5, 0.2, "20.0%"},
		} {
			if math.Abs(tt.f.Numerator-tt.num) > 1e-9 || tt.f.Denominator != tt.den || math.Abs(ratio(tt.f)-tt.want) > 1e-9 || tt.f.Percent() != tt.percent {
				t.Errorf("%s = %v/%d = %v (%s), want %v/%d = %v", tt.name, tt.f.Numerator, tt.f.Denominator, ratio(tt.f), tt.f.Percent(), tt.num, tt.den, tt.want)
			}
		}
		// The weight of 基本满意 is configuration.
		r, err = Rates(ctx, db, county, fx.townA.code, from, to, Weights{Basic: 0.5})
		if err != nil {
			t.Fatal(err)
		}
		if got := ratio(r.Satisfaction); math.Abs(got-0.625) > 1e-9 {
			t.Errorf("satisfaction with weight 0.5 = %v, want 0.625", got)
		}

		// The breakdown adds up, and rows follow the tree.
		b, err := RatesByChild(ctx, db, county, fx.townA.code, from, to, DefaultWeights())
		if err != nil {
			t.Fatal(err)
		}
		type line struct {
			Code       string
			Self       bool
			Cases      int
			Dispatched int
		}
		var lines []line
		for _, row := range b.Rows {
			lines = append(lines, line{row.Unit.Code, row.Self, row.Counts.Cases, row.Counts.Dispatched})
		}
		if diff := cmp.Diff([]line{{fx.townA.code, true, 2, 2}, {fx.communityA.code, false, 5, 3}}, lines); diff != "" {
			t.Errorf("town A breakdown (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(wantCounts, b.Total.Counts); diff != "" {
			t.Errorf("breakdown total differs from Rates (-want +got):\n%s", diff)
		}
		b, err = RatesByChild(ctx, db, county, fx.county.code, from, to, DefaultWeights())
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Rows) != 2 || b.Rows[0].Unit.Code != fx.townA.code || b.Rows[1].Unit.Code != fx.townB.code ||
			b.Rows[1].Counts.Cases != 1 || ratio(b.Rows[1].Response) != 1 || b.Total.Counts.Cases != 8 {
			t.Errorf("county breakdown: %+v", b)
		}

		// No cases: no ratio, shown as "—".
		r, err = Rates(ctx, db, county, fx.townA.code, to, to.AddDate(0, 1, 0), DefaultWeights())
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range r.Figures() {
			if f.Ratio != nil || f.Percent() != "—" {
				t.Errorf("empty period gave %+v", f)
			}
		}

		// Scope and input.
		if _, err := Rates(ctx, db, actor(fx.townB, "township"), fx.townA.code, from, to, DefaultWeights()); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("town B reading town A: %v", err)
		}
		r, err = Rates(ctx, db, actor(fx.townA, "township"), fx.townA.code, from, to, DefaultWeights())
		if err != nil || r.Counts.Cases != 7 {
			t.Errorf("town A reading itself: %v, %+v", err, r.Counts)
		}
		if _, err := Rates(ctx, db, county, fx.townA.code, to, from, DefaultWeights()); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("reversed period: %v", err)
		}
		if _, err := Rates(ctx, db, county, fx.townA.code, from, to, Weights{Basic: 1.5}); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("weight 1.5: %v", err)
		}
		if _, err := Rates(ctx, db, county, "nope", from, to, DefaultWeights()); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown unit: %v", err)
		}

		// The Excel export has one line per row plus the total.
		b, err = RatesByChild(ctx, db, county, fx.townA.code, from, to, DefaultWeights())
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := WriteRatesXLSX(&buf, b); err != nil {
			t.Fatal(err)
		}
		sh := xlsxtest.Read(t, buf.Bytes()).Sheet(t, "统计")
		if len(sh.Rows) != 2+1 || sh.HeadRow != 2 {
			t.Fatalf("%d rows under header row %d", len(sh.Rows), sh.HeadRow)
		}
		total := sh.Rows[2]
		if total[0].Value != "合计" || total[1].Raw != "7" || total[2].Raw != "5" || total[3].Raw != "3" || total[4].Raw != "5" ||
			!total[5].Number || total[5].Raw != "0.6" || total[5].Value != "60.0%" {
			t.Errorf("total line: %+v", total)
		}
		if sh.Titles[5] != "响应率" {
			t.Errorf("header: %v", sh.Titles)
		}
	})
}
