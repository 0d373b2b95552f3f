package stats

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
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
	flow                string // "" is hotline
	created             time.Time
	lateAnswers         int
	firstResolved       *int // nil: as resolved
	onSpot              int
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
	contactDue, contacted      time.Duration // 0: none
	overdue                    int
	dispatcher                 unit // the dispatching unit (when returned)
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
	var resolved, firstResolved any
	if c.revisited != 0 {
		resolved, firstResolved = c.resolved, c.resolved
		if c.firstResolved != nil {
			firstResolved = *c.firstResolved
		}
	}
	if c.flow == "" {
		c.flow = "hotline"
	}
	var lead any
	if len(c.leads) > 0 {
		lead = c.leads[len(c.leads)-1].unit.id
	}
	err := fx.db.InTx(ctx, func(tx *store.Tx) error {
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO cases (no, flow, title, channel, place_unit_id, place_path, status, lead_unit_id,
				handle_due_at, answered_at, revisited_at, resolved, first_resolved, satisfaction, extensions, reopens, late_answers, on_spot,
				created_at, updated_at)
			VALUES (?, ?, 't', 'phone', ?, ?, 'x', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			fmt.Sprintf("350722-20261101-%05d", fx.n), c.flow, c.place.id, c.place.path, lead, at(c.handleDue), at(c.answered),
			at(c.revisited), resolved, firstResolved, c.satisfaction, c.extensions, c.reopens, c.lateAnswers, c.onSpot,
			c.created.UnixMilli(), c.created.UnixMilli()).Scan(&id); err != nil {
			return err
		}
		for _, l := range c.leads {
			var returned, closed, dispatcher any
			switch l.status {
			case "returned":
				returned, closed = c.created.UnixMilli()+1, c.created.UnixMilli()+1
			case "done", "answered":
				closed = c.created.UnixMilli() + 1
			}
			if l.dispatcher.id != 0 {
				dispatcher = l.dispatcher.id
			}
			if _, err := tx.Exec(ctx, `INSERT INTO assignments (case_id, unit_id, unit_path, role, status, dispatched_at, dispatched_by_unit_id,
					sign_due_at, signed_at, handle_due_at, contact_due_at, contacted_at, overdue, returned_at, closed_at, created_at, updated_at)
				VALUES (?, ?, ?, 'lead', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 1)`, id, l.unit.id, l.unit.path, l.status, c.created.UnixMilli(), dispatcher,
				at(l.signDue), at(l.signed), at(l.handleDue), at(l.contactDue), at(l.contacted), l.overdue, returned, closed); err != nil {
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

// testNow is the clock of "still open past the deadline": long after the
// fixtures' deadlines, whatever the machine's time.
var testNow = time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)

// at is the figures of db at testNow.
func at(db *store.DB) *Service { return New(db).WithClock(func() time.Time { return testNow }) }

func ratesAt(ctx context.Context, db *store.DB, a access.Actor, unit, flow string, from, to time.Time, w Weights) (UnitRates, error) {
	return at(db).Rates(ctx, a, Query{Unit: unit, Flow: flow, From: from, To: to, Weights: w})
}

func byChildAt(ctx context.Context, db *store.DB, a access.Actor, unit, flow string, from, to time.Time, w Weights) (Breakdown, error) {
	return at(db).Breakdown(ctx, a, Query{Unit: unit, Flow: flow, From: from, To: to, Weights: w})
}

// casesAt lists every case behind a count, page by page.
func casesAt(ctx context.Context, db *store.DB, a access.Actor, unit, flow string, from, to time.Time, count string) ([]FigureCase, error) {
	var out []FigureCase
	err := at(db).EachCase(ctx, a, CaseQuery{Query: Query{Unit: unit, Flow: flow, From: from, To: to}, Count: count}, func(c FigureCase) error {
		out = append(out, c)
		return nil
	})
	return out, err
}

// A weighted numerator is written as people write it.
func TestFigureFormat(t *testing.T) {
	f := figure(2+0.8*73, 82)
	if f.Fraction() != "60.4 / 82" || f.Num() != "60.4" || f.Percent() != "73.7%" || f.Numerator != 60.4 {
		t.Errorf("figure(2 + 0.8 × 73, 82) = %v: %q %q", f.Numerator, f.Fraction(), f.Percent())
	}
	if e := figure(0, 0); e.Fraction() != "—" || e.Percent() != "—" || e.Ratio != nil {
		t.Errorf("empty figure: %+v", e)
	}
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
		one, zero := 1, 0
		// 1: in time everywhere, resolved, satisfied.
		fx.addCase(fxCase{place: fx.communityA, created: day, answered: 20 * h, revisited: 30 * h, resolved: 1, satisfaction: "satisfied",
			leads: []fxLead{{unit: fx.communityA, status: "done", signDue: 2 * h, signed: h, contactDue: 4 * h, contacted: h, handleDue: 24 * h}}})
		// 2: contacted late, signed late, answered late (overdue), extended, unresolved, basic, reopened; held by the township itself.
		fx.addCase(fxCase{place: fx.communityA, created: day, answered: 50 * h, lateAnswers: 1, revisited: 60 * h, resolved: 0, satisfaction: "basic",
			extensions: 1, reopens: 1,
			leads: []fxLead{{unit: fx.townA, status: "done", signDue: 2 * h, signed: 3 * h, contactDue: 4 * h, contacted: 6 * h, handleDue: 24 * h, overdue: 1}}})
		// 3: no sign or contact deadline (counts as in time), answered before the case's deadline, resolved, unsatisfied.
		fx.addCase(fxCase{place: fx.communityA, created: day, answered: 5 * h, revisited: 6 * h, resolved: 1, satisfaction: "unsatisfied",
			handleDue: 24 * h, leads: []fxLead{{unit: fx.communityA, status: "done", signed: h, contacted: h}}})
		// 4: not signed nor contacted yet.
		fx.addCase(fxCase{place: fx.communityA, created: day, leads: []fxLead{{unit: fx.communityA, status: "to_sign", signDue: 2 * h, contactDue: 4 * h}}})
		// 5: fixed on the spot, never dispatched: counts for its place.
		fx.addCase(fxCase{place: fx.communityA, created: day, answered: 1, revisited: h, resolved: 1, satisfaction: "satisfied", onSpot: 1})
		// 6: returned by town B (late), re-dispatched to town A, signed and contacted in time: counts for town A only.
		fx.addCase(fxCase{place: fx.communityA, created: day, leads: []fxLead{
			{unit: fx.townB, status: "returned", signDue: h, overdue: 1, dispatcher: fx.county},
			{unit: fx.townA, status: "in_hand", signDue: 10 * h, signed: 5 * h, contactDue: 8 * h, contacted: 7 * h}}})
		// 7: before the period.
		fx.addCase(fxCase{place: fx.communityA, created: from.Add(-h), answered: h, revisited: 2 * h, resolved: 1, satisfaction: "satisfied",
			leads: []fxLead{{unit: fx.communityA, status: "done", signDue: 2 * h, signed: h}}})
		// 8: town B, in time, resolved, basic.
		fx.addCase(fxCase{place: fx.townB, created: day, answered: 2 * h, revisited: 3 * h, resolved: 1, satisfaction: "basic",
			leads: []fxLead{{unit: fx.townB, status: "done", signDue: 2 * h, signed: h, contactDue: 4 * h, contacted: h, handleDue: 24 * h}}})

		// 9: a grid event checked on site by the grid worker: not a 12345
		// case, so not in the 12345 rates; in the grid event's own, with
		// no satisfaction asked.
		fx.addCase(fxCase{place: fx.communityA, flow: "grid_event", created: day, revisited: 2 * h, resolved: 1})

		// 10: answered late (after 24 h), unresolved at the first revisit,
		// reopened with a new deadline (100 h) and answered again within
		// it, then resolved: the reopen does not erase the late answer —
		// overdue, not on time; resolved, but not the first time.
		fx.addCase(fxCase{place: fx.communityA, created: day, answered: 90 * h, lateAnswers: 1, revisited: 95 * h, resolved: 1,
			firstResolved: &zero, satisfaction: "satisfied", reopens: 1,
			leads: []fxLead{{unit: fx.communityA, status: "done", signDue: 2 * h, signed: h, contactDue: 4 * h, contacted: h, handleDue: 100 * h}}})
		// 11: signed, still unanswered past its deadline: overdue now,
		// whether or not the sweeper has marked it.
		fx.addCase(fxCase{place: fx.communityA, created: day,
			leads: []fxLead{{unit: fx.communityA, status: "in_hand", signDue: 2 * h, signed: h, handleDue: 24 * h}}})
		// 12: answered on time, unresolved, reopened and now open past the
		// new deadline: overdue, and no longer on time.
		fx.addCase(fxCase{place: fx.communityA, created: day, answered: 10 * h, revisited: 12 * h, resolved: 0, satisfaction: "unsatisfied",
			reopens: 1, leads: []fxLead{{unit: fx.communityA, status: "in_hand", signDue: 2 * h, signed: h, handleDue: 30 * h}}})
		// 13: returned by the community and not re-dispatched yet: counts
		// for the unit that dispatched it (the county), not dispatched.
		fx.addCase(fxCase{place: fx.communityA, created: day,
			leads: []fxLead{{unit: fx.communityA, status: "returned", signDue: 2 * h, dispatcher: fx.county}}})
		// 14: town B, the revisit did not reach the requester (未联系上):
		// revisited, out of 满意率's denominator, counted beside it.
		fx.addCase(fxCase{place: fx.townB, created: day, answered: 2 * h, revisited: 3 * h, resolved: 1, firstResolved: &one, satisfaction: "unreached",
			leads: []fxLead{{unit: fx.townB, status: "done", signDue: 2 * h, signed: h, contactDue: 4 * h, contacted: h, handleDue: 24 * h}}})

		county := actor(fx.county, "county")
		r, err := ratesAt(ctx, db, county, fx.townA.code, DefaultFlow, from, to, DefaultWeights())
		if err != nil {
			t.Fatal(err)
		}
		wantCounts := Counts{Cases: 9, Dispatched: 8, Responded: 4, Signed: 6, Overdue: 4, Extended: 1, Answered: 6, OnTime: 3,
			Revisited: 6, Resolved: 4, FirstResolved: 3, Satisfied: 3, Basic: 1, Unsatisfied: 2, Reopened: 3, OnSpot: 1}
		if diff := cmp.Diff(wantCounts, r.Counts); diff != "" {
			t.Errorf("town A counts (-want +got):\n%s", diff)
		}
		for _, tt := range []struct {
			name     string
			f        Figure
			num      float64
			den      int
			want     float64
			percent  string
			fraction string
		}{
			{"响应率", r.Response, 4, 8, 0.5, "50.0%", "4 / 8"},
			{"签收及时率", r.Signing, 6, 8, 0.75, "75.0%", "6 / 8"},
			{"解决率", r.Resolution, 4, 6, 4.0 / 6, "66.7%", "4 / 6"},
			{"一次解决率", r.FirstResolved, 3, 6, 0.5, "50.0%", "3 / 6"},
			{"满意率", r.Satisfaction, 3.8, 6, 3.8 / 6, "63.3%", "3.8 / 6"},
			{"按期办结率", r.OnTime, 3, 6, 0.5, "50.0%", "3 / 6"},
			{"超期率", r.Overdue, 4, 8, 0.5, "50.0%", "4 / 8"},
			{"延期率", r.Extension, 1, 8, 0.125, "12.5%", "1 / 8"},
			{"重办率", r.Reopen, 3, 6, 0.5, "50.0%", "3 / 6"},
			{"即办件占比", r.OnSpot, 1, 9, 1.0 / 9, "11.1%", "1 / 9"},
		} {
			if math.Abs(tt.f.Numerator-tt.num) > 1e-9 || tt.f.Denominator != tt.den || math.Abs(ratio(tt.f)-tt.want) > 1e-9 ||
				tt.f.Percent() != tt.percent || tt.f.Fraction() != tt.fraction {
				t.Errorf("%s = %v/%d = %v (%s, %s), want %v/%d = %v (%s)", tt.name, tt.f.Numerator, tt.f.Denominator, ratio(tt.f),
					tt.f.Percent(), tt.f.Fraction(), tt.num, tt.den, tt.want, tt.fraction)
			}
		}
		// The grid event has figures of its own: checked on site, no
		// satisfaction asked — "—", not 0%.
		g, err := ratesAt(ctx, db, county, fx.townA.code, "grid_event", from, to, DefaultWeights())
		if err != nil {
			t.Fatal(err)
		}
		// A check asks no satisfaction: not 未联系上 either.
		if diff := cmp.Diff(Counts{Cases: 1, Revisited: 1, Resolved: 1, FirstResolved: 1}, g.Counts); diff != "" {
			t.Errorf("town A grid events (-want +got):\n%s", diff)
		}
		if g.Satisfaction.Percent() != "—" || g.Satisfaction.Fraction() != "—" || g.Resolution.Percent() != "100.0%" {
			t.Errorf("grid event figures: satisfaction %s %s, resolution %s", g.Satisfaction.Percent(), g.Satisfaction.Fraction(), g.Resolution.Percent())
		}
		if _, err := ratesAt(ctx, db, county, fx.townA.code, "", from, to, DefaultWeights()); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("no flow: %v", err)
		}
		// Every figure's numerator and denominator list exactly their cases
		// (a weighted numerator lists the cases it weighs).
		var byName map[string]int
		js, _ := json.Marshal(r.Counts)
		if err := json.Unmarshal(js, &byName); err != nil {
			t.Fatal(err)
		}
		for _, n := range FigureNames() {
			for _, count := range []string{n.Num, n.Den} {
				want := 0
				for _, part := range strings.Split(count, "+") {
					want += byName[part]
				}
				cs, err := casesAt(ctx, db, county, fx.townA.code, DefaultFlow, from, to, count)
				if err != nil || len(cs) != want {
					t.Errorf("%s %s: %d cases (%v), want %d", n.Name, count, len(cs), err, want)
				}
			}
		}
		if cs, err := casesAt(ctx, db, county, fx.townA.code, DefaultFlow, from, to, "overdue"); err != nil || len(cs) != 4 || cs[0].Flow != "hotline" {
			t.Errorf("overdue cases: %+v, %v", cs, err)
		}
		if _, err := casesAt(ctx, db, county, fx.townA.code, DefaultFlow, from, to, "x; DROP TABLE cases"); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("unknown count: %v", err)
		}
		if _, err := casesAt(ctx, db, actor(fx.townB, "township"), fx.townA.code, DefaultFlow, from, to, "cases"); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("town B listing town A: %v", err)
		}

		// The weight of 基本满意 is configuration.
		r, err = ratesAt(ctx, db, county, fx.townA.code, DefaultFlow, from, to, Weights{Basic: 0.5})
		if err != nil {
			t.Fatal(err)
		}
		if got := ratio(r.Satisfaction); math.Abs(got-3.5/6) > 1e-9 {
			t.Errorf("satisfaction with weight 0.5 = %v, want %v", got, 3.5/6)
		}

		// The breakdown adds up, and rows follow the tree.
		b, err := byChildAt(ctx, db, county, fx.townA.code, DefaultFlow, from, to, DefaultWeights())
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
		if diff := cmp.Diff([]line{{fx.townA.code, true, 2, 2}, {fx.communityA.code, false, 7, 6}}, lines); diff != "" {
			t.Errorf("town A breakdown (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(wantCounts, b.Total.Counts); diff != "" {
			t.Errorf("breakdown total differs from Rates (-want +got):\n%s", diff)
		}
		b, err = byChildAt(ctx, db, county, fx.county.code, DefaultFlow, from, to, DefaultWeights())
		if err != nil {
			t.Fatal(err)
		}
		// The returned case 13 counts for the county itself, undispatched;
		// town B's unreached revisit is beside its satisfaction rate.
		if len(b.Rows) != 3 || !b.Rows[0].Self || b.Rows[0].Counts != (Counts{Cases: 1}) ||
			b.Rows[1].Unit.Code != fx.townA.code || b.Rows[2].Unit.Code != fx.townB.code ||
			b.Rows[2].Counts.Cases != 2 || ratio(b.Rows[2].Response) != 1 || b.Rows[2].Counts.Unreached != 1 ||
			b.Rows[2].Satisfaction.Fraction() != "0.8 / 1" || b.Total.Counts.Cases != 12 {
			t.Errorf("county breakdown: %+v", b)
		}

		// No cases: no ratio, shown as "—".
		r, err = ratesAt(ctx, db, county, fx.townA.code, DefaultFlow, to, to.AddDate(0, 1, 0), DefaultWeights())
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range r.Figures() {
			if f.Ratio != nil || f.Percent() != "—" {
				t.Errorf("empty period gave %+v", f)
			}
		}

		// Scope and input.
		if _, err := ratesAt(ctx, db, actor(fx.townB, "township"), fx.townA.code, DefaultFlow, from, to, DefaultWeights()); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("town B reading town A: %v", err)
		}
		r, err = ratesAt(ctx, db, actor(fx.townA, "township"), fx.townA.code, DefaultFlow, from, to, DefaultWeights())
		if err != nil || r.Counts.Cases != 9 {
			t.Errorf("town A reading itself: %v, %+v", err, r.Counts)
		}
		if _, err := ratesAt(ctx, db, county, fx.townA.code, DefaultFlow, to, from, DefaultWeights()); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("reversed period: %v", err)
		}
		if _, err := ratesAt(ctx, db, county, fx.townA.code, DefaultFlow, from, to, Weights{Basic: 1.5}); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("weight 1.5: %v", err)
		}
		if _, err := ratesAt(ctx, db, county, "nope", DefaultFlow, from, to, DefaultWeights()); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown unit: %v", err)
		}

		// The Excel export has one line per row plus the total.
		b, err = byChildAt(ctx, db, county, fx.townA.code, DefaultFlow, from, to, DefaultWeights())
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
		if total[0].Value != "合计" || total[1].Raw != "9" || total[2].Raw != "8" || total[3].Raw != "4" || total[4].Raw != "8" ||
			!total[5].Number || total[5].Raw != "0.5" || total[5].Value != "50.0%" || total[15].Raw != "3.8" {
			t.Errorf("total line: %+v", total)
		}
		if sh.Titles[5] != "响应率" || sh.Titles[17] != "满意率" {
			t.Errorf("header: %v", sh.Titles)
		}
		// No denominator: "—" in the workbook too, as on the page.
		gb, err := byChildAt(ctx, db, county, fx.townA.code, "grid_event", from, to, DefaultWeights())
		if err != nil {
			t.Fatal(err)
		}
		buf.Reset()
		if err := WriteRatesXLSX(&buf, gb); err != nil {
			t.Fatal(err)
		}
		gsh := xlsxtest.Read(t, buf.Bytes()).Sheet(t, "统计")
		if gt := gsh.Rows[len(gsh.Rows)-1]; gt[17].Value != "—" || gt[17].Number || gt[11].Value != "100.0%" {
			t.Errorf("grid event total line: satisfaction %+v, resolution %+v", gt[17], gt[11])
		}
	})
}

// Every flow declares figures the stats know.
func TestFlowsDeclareKnownFigures(t *testing.T) {
	for _, f := range casework.BuiltinFlows() {
		for _, id := range f.Figures {
			if !slices.Contains(FigureIDs(), id) {
				t.Errorf("flow %s declares figure %q, not one of %v", f.Name, id, FigureIDs())
			}
		}
		if got := FiguresOf(f.Figures); len(f.Figures) > 0 && len(got) != len(f.Figures) {
			t.Errorf("flow %s: %d figures of %d", f.Name, len(got), len(f.Figures))
		}
	}
}

// A whistle's figures are judged part by part, each part for the unit it
// was given to; a township call's rating likewise. Every part count lists
// its parts.
func TestPartFigures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fx := newFixture(t, db)
		zone := time.FixedZone("CST", 8*3600)
		from := time.Date(2026, 11, 1, 0, 0, 0, 0, zone)
		to := from.AddDate(0, 1, 0)
		day := from.Add(10 * 24 * time.Hour).UnixMilli()
		h := time.Hour.Milliseconds()
		newCase := func(flow string, n int) int64 {
			var id int64
			if err := db.QueryRow(ctx, `INSERT INTO cases (no, flow, title, channel, place_unit_id, place_path, status, created_at, updated_at)
				VALUES (?, ?, 't', 'web', ?, ?, 'x', ?, ?) RETURNING id`, fmt.Sprintf("350722-20261111-%05d", n), flow, fx.townA.id, fx.townA.path,
				day, day).Scan(&id); err != nil {
				t.Fatal(err)
			}
			return id
		}
		part := func(caseID int64, u unit, role, status string, reportDue, reported, answered, rating any) {
			if _, err := db.Exec(ctx, `INSERT INTO assignments (case_id, unit_id, unit_path, role, status, dispatched_at, report_due_at, reported_at,
				answered_at, rating, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 1)`,
				caseID, u.id, u.path, role, status, day, reportDue, reported, answered, rating); err != nil {
				t.Fatal(err)
			}
		}
		w := newCase("whistle", 1)
		// The community reported in on time; its result was accepted.
		part(w, fx.communityA, "summoned", "done", day+2*h, day+h, day+5*h, 5)
		// Town B reported in late; its result awaits the whistler.
		part(w, fx.townB, "summoned", "answered", day+2*h, day+3*h, day+6*h, nil)
		// A third party has not reported in yet.
		part(w, fx.townB, "summoned", "accepted", day+2*h, nil, nil, nil)
		c := newCase("township_call", 2)
		part(c, fx.townB, "lead", "answered", nil, nil, day+4*h, 4)
		c2 := newCase("township_call", 3)
		part(c2, fx.townB, "lead", "answered", nil, nil, day+4*h, nil)
		if err := casework.RefreshLeads(ctx, db); err != nil {
			t.Fatal(err)
		}
		county := actor(fx.county, "county")
		q := Query{Unit: fx.county.code, Flow: "whistle", From: from, To: to, Weights: DefaultWeights(), Figures: FiguresOf([]string{"report_in", "accepted"})}
		b, err := at(db).Breakdown(ctx, county, q)
		if err != nil {
			t.Fatal(err)
		}
		if got := []string{b.Total.Figure("report_in").Fraction(), b.Total.Figure("accepted").Fraction()}; !slices.Equal(got, []string{"1 / 3", "1 / 2"}) {
			t.Errorf("whistle figures %v, want 1 / 3 reported in on time, 1 / 2 accepted", got)
		}
		rows := map[string]string{}
		for _, r := range b.Rows {
			rows[r.Unit.Code] = r.Figure("report_in").Fraction() + " " + r.Figure("accepted").Fraction()
		}
		if diff := cmp.Diff(map[string]string{fx.townA.code: "1 / 1 1 / 1", fx.townB.code: "0 / 2 0 / 1"}, rows); diff != "" {
			t.Errorf("whistle rows by the parties' units (-want +got):\n%s", diff)
		}
		var units []string
		err = at(db).EachCase(ctx, county, CaseQuery{Query: q, Count: "parts_summoned"}, func(c FigureCase) error {
			units = append(units, c.Unit)
			return nil
		})
		if err != nil || len(units) != 3 || !slices.Contains(units, "城中社区") || !slices.Contains(units, "富岭镇") {
			t.Errorf("summoned parts listed: %v, %v", units, err)
		}
		// The township call: one of two answers rated.
		q = Query{Unit: fx.county.code, Flow: "township_call", From: from, To: to, Weights: DefaultWeights(), Figures: FiguresOf([]string{"rated"})}
		r, err := at(db).Rates(ctx, county, q)
		if err != nil || r.Figure("rated").Fraction() != "1 / 2" || r.Parts == nil || r.Parts.Rated != 1 {
			t.Errorf("township call rated: %+v, %v", r.Rated, err)
		}
		if n, ok := r.CountOf("parts_answered"); !ok || n != 2 {
			t.Errorf("CountOf(parts_answered) = %d, %v", n, ok)
		}
		// A list of parts knows its total whatever figures the flow shows.
		lr, err := at(db).ListRates(ctx, county, CaseQuery{Query: Query{Unit: fx.county.code, Flow: "whistle", From: from, To: to,
			Weights: DefaultWeights()}, Count: "parts_summoned"})
		if n, ok := lr.CountOf("parts_summoned"); err != nil || !ok || n != 3 {
			t.Errorf("list total of parts_summoned = %d, %v, %v", n, ok, err)
		}
		// The part figures are counted only when asked for.
		r, err = at(db).Rates(ctx, county, Query{Unit: fx.county.code, Flow: "township_call", From: from, To: to, Weights: DefaultWeights()})
		if err != nil || r.Parts != nil || r.Rated != nil {
			t.Errorf("hotline figures of a township call carry parts: %+v, %v", r.Parts, err)
		}
		// Town B sees its own parts only.
		tb, err := at(db).Rates(ctx, actor(fx.townB, "township"), Query{Unit: fx.townB.code, Flow: "whistle", From: from, To: to,
			Weights: DefaultWeights(), Figures: FiguresOf([]string{"report_in"})})
		if err != nil || tb.Figure("report_in").Fraction() != "0 / 2" {
			t.Errorf("town B's whistle parts: %+v, %v", tb.ReportIn, err)
		}
	})
}

// A list is read page by page (keyset): the pages hold every case once.
func TestCasesPaged(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fx := newFixture(t, db)
		zone := time.FixedZone("CST", 8*3600)
		from := time.Date(2026, 11, 1, 0, 0, 0, 0, zone)
		day := from.Add(24 * time.Hour)
		// Seven cases, three received at the same moment (ties broken by id).
		for i := range 7 {
			fx.addCase(fxCase{place: fx.communityA, created: day.Add(time.Duration(i/3) * time.Minute)})
		}
		county := actor(fx.county, "county")
		q := CaseQuery{Query: Query{Unit: fx.townA.code, Flow: DefaultFlow, From: from, To: from.AddDate(0, 1, 0)}, Count: "cases", Limit: 2}
		seen := map[string]bool{}
		var order []string
		for pages := 0; ; pages++ {
			p, err := at(db).Cases(ctx, county, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range p.Cases {
				if seen[c.No] {
					t.Errorf("case %s on two pages", c.No)
				}
				seen[c.No] = true
				order = append(order, c.No)
			}
			if p.Next == "" {
				if pages != 3 {
					t.Errorf("%d pages of 2 for 7 cases, want 4", pages+1)
				}
				break
			}
			q.After = p.Next
		}
		all, err := casesAt(ctx, db, county, fx.townA.code, DefaultFlow, from, from.AddDate(0, 1, 0), "cases")
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, c := range all {
			want = append(want, c.No)
		}
		if len(order) != 7 || !slices.Equal(order, want) {
			t.Errorf("pages %v, the whole list %v", order, want)
		}
		q.After = "nonsense"
		if _, err := at(db).Cases(ctx, county, q); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("bad cursor: %v", err)
		}
		q.After, q.Limit = "", MaxCasePage+1
		if _, err := at(db).Cases(ctx, county, q); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("page too large: %v", err)
		}
	})
}
