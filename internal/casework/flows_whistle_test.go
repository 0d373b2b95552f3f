package casework

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// coordFixture adds to the engine fixture the people and agreements the
// coordination flows summon: party members registered at 仙楼社区 (dual
// registration), one registered elsewhere, grid workers in and out of
// 南浦街道, a cadre, and 住建局's co-building agreement with 仙楼社区. The
// party registry is a stand-in (internal/party tests the real one).
type coordFixture struct {
	*engFixture
	party                                          *fakeParty
	member, stranger, gridWorker, farWorker, cadre int64
}

func newCoord(t *testing.T, db *store.DB) *coordFixture {
	t.Helper()
	fx := &coordFixture{engFixture: newEngine(t, db), party: &fakeParty{cobuild: map[[2]int64]bool{}, home: map[int64]int64{}}}
	fx.s.UseParty(fx.party)
	fx.member = fx.person("党员张某某", "350722D002", "party_member", "350722001001")
	fx.stranger = fx.person("党员李某某", "350722D003", "party_member", "350722101200")
	fx.gridWorker = fx.person("网格员王某某", "350722001001G01", "grid_worker", "")
	fx.farWorker = fx.person("网格员赵某某", "350722101200", "grid_worker", "")
	fx.cadre = fx.person("干部陈某某", "350722001000", "cadre", "")
	fx.party.cobuild[[2]int64{fx.units["350722001001"].ID, fx.units["350722D002"].ID}] = true
	return fx
}

func (fx *coordFixture) person(name, unit, role, home string) int64 {
	fx.t.Helper()
	var id int64
	err := fx.db.QueryRow(context.Background(), `INSERT INTO people (name, unit_id, role, created_at, updated_at) VALUES (?, ?, ?, 0, 0) RETURNING id`,
		name, fx.units[unit].ID, role).Scan(&id)
	if err != nil {
		fx.t.Fatal(err)
	}
	if home != "" {
		fx.party.home[id] = fx.units[home].ID
	}
	return id
}

// fakeParty is the party registry as the engine sees it, in memory: the
// co-building pairs (community, unit), the communities people are
// registered at, and the parts credited as volunteer service.
type fakeParty struct {
	mu      sync.Mutex
	cobuild map[[2]int64]bool
	home    map[int64]int64
	served  []ServedPart
}

func (f *fakeParty) CoBuilds(_ context.Context, _ *store.Tx, community, unit int64) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.cobuild[[2]int64{community, unit}], nil
}

func (f *fakeParty) HomeOf(_ context.Context, _ *store.Tx, person int64) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.home[person], nil
}

func (f *fakeParty) Summonables(context.Context, int64) ([]Summonable, error) { return nil, nil }

func (f *fakeParty) Served(_ context.Context, _ *store.Tx, p ServedPart) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.served = append(f.served, p)
	return int(p.End.Sub(p.Start).Minutes()), nil
}

// part returns the case's part of unit code (or of person id).
func (fx *coordFixture) part(no, unit string, person int64) Assignment {
	fx.t.Helper()
	for _, a := range fx.detail(no).Assignments {
		if (person != 0 && a.PersonID == person) || (person == 0 && a.PersonID == 0 && a.UnitCode == unit) {
			return a
		}
	}
	fx.t.Fatalf("%s has no part of %s/%d", no, unit, person)
	return Assignment{}
}

func (fx *coordFixture) createErr(actor access.Actor, in NewCase, kind error) {
	fx.t.Helper()
	_, _, err := fx.s.Create(context.Background(), actor, in)
	if !errors.Is(err, kind) {
		fx.t.Fatalf("create %q: got %v, want %v", in.Title, err, kind)
	}
	if _, ok := store.UserMessage(err); !ok {
		fx.t.Errorf("create %q: refusal carries no message for the user: %v", in.Title, err)
	}
}

func pf(v float64) *float64 { return &v }

func TestStreetWhistle(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newCoord(t, db)
		street := fx.actor(10, "350722001000", access.RoleTownship)
		zj := fx.actor(20, "350722D002", access.RoleDepartment)
		cg := fx.actor(21, "350722D003", access.RoleDepartment)
		other := fx.actor(11, "350722101000", access.RoleTownship)

		c := fx.create(street, NewCase{Flow: "whistle", Kind: WhistleStreet, Title: "老旧小区燃气管道泄漏", Priority: PriorityUrgent,
			PlaceUnit: "350722001001", Address: "仙楼社区3栋", Summon: []string{"350722D002", "350722D003"}})
		if c.Status != "blown" || c.TownshipCode != "350722001000" {
			t.Fatalf("whistle %s in %s", c.Status, c.TownshipCode)
		}
		p1, p2 := fx.part(c.No, "350722D002", 0), fx.part(c.No, "350722D003", 0)
		if p1.Role != RoleSummoned || p1.Status != "to_sign" {
			t.Errorf("part %s/%s", p1.Role, p1.Status)
		}
		// Urgent: report in within 30 working minutes (Thursday 09:00 → 09:30).
		if p1.ReportDueAt == nil || !p1.ReportDueAt.Equal(cst("2026-11-26 09:30")) {
			t.Errorf("report-in due %v", p1.ReportDueAt)
		}
		if p1.HandleDueAt == nil {
			t.Error("no handling deadline")
		}
		// Refusals: another department's part, another township, the party's own acceptance.
		fx.refused(cg, c.No, Action{Name: "report_in", AssignmentID: p1.ID}, store.ErrForbidden)
		fx.refused(other, c.No, Action{Name: "summon", UnitCodes: []string{"350722D000"}}, store.ErrNotFound)
		fx.refused(zj, c.No, Action{Name: "accept_result", AssignmentID: p1.ID, Rating: 5}, store.ErrConflict)
		fx.refused(zj, c.No, Action{Name: "report_result", AssignmentID: p1.ID, Note: "已处置"}, store.ErrConflict)
		fx.refused(cg, c.No, Action{Name: "refuse_summons", AssignmentID: p2.ID}, store.ErrInvalid)
		fx.refused(street, c.No, Action{Name: "summon", UnitCodes: []string{"350722D002"}}, store.ErrConflict)
		fx.refused(street, c.No, Action{Name: "summon", UnitCodes: []string{"350722000000"}}, store.ErrInvalid)

		fx.now = fx.now.Add(5 * time.Minute)
		fx.do(zj, c.No, Action{Name: "accept_summons", AssignmentID: p1.ID})
		fx.now = fx.now.Add(12 * time.Minute)
		fx.refused(zj, c.No, Action{Name: "report_in", AssignmentID: p1.ID, Lng: pf(300), Lat: pf(27.9)}, store.ErrInvalid)
		if c = fx.do(zj, c.No, Action{Name: "report_in", AssignmentID: p1.ID, Lng: pf(118.54), Lat: pf(27.92)}); c.Status != "responding" {
			t.Errorf("after report-in: %s", c.Status)
		}
		p1 = fx.part(c.No, "350722D002", 0)
		if p1.ReportedAt == nil || !p1.ReportedAt.Equal(cst("2026-11-26 09:17")) || p1.ReportLng == nil || *p1.ReportLng != 118.54 || p1.SignedAt == nil || !p1.SignedAt.Equal(cst("2026-11-26 09:05")) {
			t.Errorf("report-in recorded %v at %v, signed %v", p1.ReportedAt, p1.ReportLng, p1.SignedAt)
		}
		fx.do(cg, c.No, Action{Name: "refuse_summons", AssignmentID: p2.ID, Note: "非本部门职责"})
		if p2 = fx.part(c.No, "350722D003", 0); p2.Status != "refused" || p2.ReturnReason != "非本部门职责" || p2.Open() {
			t.Errorf("refused part %s %q", p2.Status, p2.ReturnReason)
		}
		fx.do(zj, c.No, Action{Name: "report_result", AssignmentID: p1.ID, Note: "已关阀抢修"})
		// 事不完人不撤: the whistler sends it back, the party works on.
		fx.refused(street, c.No, Action{Name: "reject_result", AssignmentID: p1.ID}, store.ErrInvalid)
		fx.do(street, c.No, Action{Name: "reject_result", AssignmentID: p1.ID, Note: "仍有气味，请复查"})
		if p1 = fx.part(c.No, "350722D002", 0); p1.Status != "reported" || !p1.Open() {
			t.Errorf("rejected part %s", p1.Status)
		}
		fx.do(zj, c.No, Action{Name: "report_result", AssignmentID: p1.ID, Note: "复查无泄漏，已更换管段"})
		fx.refused(street, c.No, Action{Name: "accept_result", AssignmentID: p1.ID}, store.ErrInvalid)
		fx.refused(other, c.No, Action{Name: "accept_result", AssignmentID: p1.ID, Rating: 5}, store.ErrNotFound)
		c = fx.do(street, c.No, Action{Name: "accept_result", AssignmentID: p1.ID, Rating: 4, Note: "响应及时"})
		if c.Status != "closed" || !c.Closed() {
			t.Errorf("whistle not closed once every part is done: %s", c.Status)
		}
		if p1 = fx.part(c.No, "350722D002", 0); p1.Rating == nil || *p1.Rating != 4 || p1.Status != "done" {
			t.Errorf("rated part %v %s", p1.Rating, p1.Status)
		}
		if n := fx.count(`SELECT COUNT(*) FROM timers WHERE case_id = ? AND fired_at IS NULL`, c.ID); n != 0 {
			t.Errorf("%d timers left on a closed whistle", n)
		}
		if n := fx.count(`SELECT COUNT(*) FROM case_events e JOIN cases c ON c.id = e.case_id WHERE c.no = ? AND e.action IN ('summon', 'accept_summons', 'report_in', 'refuse_summons', 'report_result', 'reject_result', 'accept_result')`, c.No); n != 8 {
			t.Errorf("%d step events, want 8", n)
		}
		if n := len(fx.party.served); n != 0 {
			t.Errorf("a department's part counted as volunteer service (%d)", n)
		}
	})
}

func TestWhistleReportInLimitsBySetting(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newCoord(t, db)
		ctx := context.Background()
		street := fx.actor(10, "350722001000", access.RoleTownship)
		for k, v := range map[string]string{"casework.limit.report_in.whistle.street.urgent": "15m", "casework.limit.report_in.whistle": "1wh"} {
			if _, err := db.Exec(ctx, `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, 0)`, k, v); err != nil {
				t.Fatal(err)
			}
		}
		for _, tc := range []struct {
			kind, priority, want string
		}{
			{WhistleStreet, PriorityUrgent, "2026-11-26 09:15"},
			{WhistleStreet, PriorityNormal, "2026-11-26 10:00"},
			{WhistleResident, PriorityUrgent, "2026-11-26 10:00"},
		} {
			c := fx.create(street, NewCase{Flow: "whistle", Kind: tc.kind, Title: "限时" + tc.kind + tc.priority, Priority: tc.priority,
				PlaceUnit: "350722001001", Summon: []string{"350722D003"}})
			if p := fx.part(c.No, "350722D003", 0); p.ReportDueAt == nil || !p.ReportDueAt.Equal(cst(tc.want)) {
				t.Errorf("%s/%s: report-in due %v, want %s", tc.kind, tc.priority, p.ReportDueAt, tc.want)
			}
		}
	})
}

func TestWhistleReportInOverdueEscalates(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newCoord(t, db)
		ctx := context.Background()
		street := fx.actor(10, "350722001000", access.RoleTownship)
		c := fx.create(street, NewCase{Flow: "whistle", Kind: WhistleStreet, Title: "道路塌陷", Priority: PriorityUrgent,
			PlaceUnit: "350722001001", Summon: []string{"350722D003"}})
		fx.now = cst("2026-11-26 09:45")
		for range 2 {
			if _, err := fx.sweeper.SweepOnce(ctx, fx.now); err != nil {
				t.Fatal(err)
			}
		}
		p := fx.part(c.No, "350722D003", 0)
		if !p.Overdue || !p.Escalated {
			t.Errorf("part overdue %v escalated %v", p.Overdue, p.Escalated)
		}
		if n := fx.count(`SELECT COUNT(*) FROM case_events e JOIN units u ON u.id = e.actor_unit_id WHERE e.case_id = ? AND e.action = 'escalate' AND u.code = '350722D000'`, c.ID); n != 1 {
			t.Errorf("%d escalations to the supervision office", n)
		}
	})
}

func TestCommunityWhistleWithPartyMembers(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newCoord(t, db)
		ctx := context.Background()
		community := fx.actor(30, "350722001001", access.RoleCommunity)
		zj := fx.actor(20, "350722D002", access.RoleDepartment)
		base := NewCase{Flow: "whistle", Kind: WhistleCommunity, Title: "清理楼道堆积物", PlaceUnit: "350722001001"}

		bad := base
		bad.SummonPeople = []int64{fx.stranger}
		fx.createErr(community, bad, store.ErrInvalid) // registered at another community
		bad = base
		bad.Summon = []string{"350722D003"}
		fx.createErr(community, bad, store.ErrInvalid) // no co-building agreement
		bad = base
		bad.SummonPeople = []int64{fx.gridWorker}
		fx.createErr(community, bad, store.ErrInvalid) // not a party member
		fx.createErr(fx.actor(31, "350722001001", access.RoleGrid), base, store.ErrForbidden)

		in := base
		in.SummonPeople = []int64{fx.member}
		in.Summon = []string{"350722D002"}
		c := fx.create(community, in)
		mp := fx.part(c.No, "", fx.member)
		if mp.UnitCode != "350722001001" || mp.PersonName != "党员张某某" || mp.Role != RoleSummoned {
			t.Errorf("member's part at %s for %q (%s)", mp.UnitCode, mp.PersonName, mp.Role)
		}

		// The member acts on their own parts (through their personal link, internal/party).
		m := Person{ID: fx.member, Name: "党员张某某（党员本人）", UnitID: fx.units["350722D002"].ID, UnitCode: "350722D002",
			UnitName: "县住房和城乡建设局", UnitPath: fx.units["350722D002"].Path}
		parts, err := fx.s.PersonParts(ctx, m.ID, 0)
		if err != nil || len(parts) != 1 || parts[0].Case.No != c.No {
			t.Fatalf("member parts %+v %v", parts, err)
		}
		var names []string
		for _, a := range parts[0].Actions {
			names = append(names, a.Name)
		}
		if len(names) != 3 { // accept, refuse, report in
			t.Errorf("member may %v", names)
		}
		// A member acts on their own part only.
		dept := fx.part(c.No, "350722D002", 0)
		if _, err := fx.s.PersonDo(ctx, m, c.No, Action{Name: "accept_summons", AssignmentID: dept.ID}); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("member accepted the department's part: %v", err)
		}
		if _, err := fx.s.PersonDo(ctx, m, c.No, Action{Name: "accept_result", AssignmentID: mp.ID, Rating: 5}); err == nil {
			t.Error("member accepted their own result")
		}
		other := fx.create(community, NewCase{Flow: "whistle", Kind: WhistleCommunity, Title: "另一次吹哨", PlaceUnit: "350722001001", Summon: []string{"350722D002"}})
		if _, err := fx.s.PersonDo(ctx, m, other.No, Action{Name: "accept_summons"}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("member acted on a whistle that did not summon them: %v", err)
		}
		if _, err := fx.s.PersonDo(ctx, m, c.No, Action{Name: "accept_summons"}); err != nil {
			t.Fatal(err)
		}
		fx.now = fx.now.Add(20 * time.Minute)
		if _, err := fx.s.PersonDo(ctx, m, c.No, Action{Name: "report_in", Lng: pf(118.53), Lat: pf(27.91)}); err != nil {
			t.Fatal(err)
		}
		fx.now = fx.now.Add(100 * time.Minute)
		if _, err := fx.s.PersonDo(ctx, m, c.No, Action{Name: "report_result", Note: "已清理完毕"}); err != nil {
			t.Fatal(err)
		}
		// Community staff record for a member without a phone: here, the co-building unit's part.
		fx.do(zj, c.No, Action{Name: "report_in", AssignmentID: dept.ID})
		fx.do(zj, c.No, Action{Name: "report_result", AssignmentID: dept.ID, Note: "派员协助清运"})
		fx.do(community, c.No, Action{Name: "accept_result", AssignmentID: mp.ID, Rating: 5})
		if c = fx.do(community, c.No, Action{Name: "accept_result", AssignmentID: dept.ID, Rating: 3}); c.Status != "closed" {
			t.Errorf("community whistle %s after the last rating", c.Status)
		}
		// The registry is told of the member's part once, from report-in to the result.
		if n := len(fx.party.served); n != 1 {
			t.Fatalf("%d parts credited as volunteer service", n)
		}
		if sp := fx.party.served[0]; sp.PersonID != fx.member || sp.AssignmentID != mp.ID || sp.UnitID != fx.units["350722001001"].ID ||
			!sp.Start.Equal(cst("2026-11-26 09:20")) || !sp.End.Equal(cst("2026-11-26 11:00")) {
			t.Errorf("service credited %+v", sp)
		}
		if n := fx.count(`SELECT COUNT(*) FROM case_events WHERE case_id = ? AND actor_name LIKE '党员张某某%'`, c.ID); n != 3 {
			t.Errorf("%d events by the member", n)
		}
	})
}

// Without a party registry the engine knows no co-building unit and no
// registration: a community whistle summons nobody.
func TestCommunityWhistleWithoutPartyRegistry(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newCoord(t, db)
		fx.s.UseParty(nil)
		community := fx.actor(30, "350722001001", access.RoleCommunity)
		base := NewCase{Flow: "whistle", Kind: WhistleCommunity, Title: "清理楼道堆积物", PlaceUnit: "350722001001"}
		bad := base
		bad.Summon = []string{"350722D002"}
		fx.createErr(community, bad, store.ErrInvalid)
		bad = base
		bad.SummonPeople = []int64{fx.member}
		fx.createErr(community, bad, store.ErrInvalid)
		list, err := fx.s.Summonables(context.Background(), community, WhistleCommunity, "350722001001")
		if err != nil || len(list) != 0 {
			t.Errorf("summonable without a registry: %v %v", list, err)
		}
	})
}

func TestCommunityStaffRecordForMember(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newCoord(t, db)
		community := fx.actor(30, "350722001001", access.RoleCommunity)
		c := fx.create(community, NewCase{Flow: "whistle", Kind: WhistleCommunity, Title: "帮扶独居老人", PlaceUnit: "350722001001", SummonPeople: []int64{fx.member}})
		mp := fx.part(c.No, "", fx.member)
		fx.do(community, c.No, Action{Name: "report_in", AssignmentID: mp.ID})
		fx.do(community, c.No, Action{Name: "report_result", AssignmentID: mp.ID, Note: "已上门"})
		fx.do(community, c.No, Action{Name: "accept_result", AssignmentID: mp.ID, Rating: 5})
		// Recorded by staff at once: report-in and result at the same minute.
		if len(fx.party.served) != 1 || !fx.party.served[0].Start.Equal(fx.party.served[0].End) {
			t.Errorf("service credited %+v", fx.party.served)
		}
	})
}

func TestOrganisationAndResidentWhistles(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newCoord(t, db)
		street := fx.actor(10, "350722001000", access.RoleTownship)
		org := NewCase{Flow: "whistle", Kind: WhistleOrganisation, Title: "防汛巡查", PlaceUnit: "350722001000"}
		bad := org
		bad.SummonPeople = []int64{fx.farWorker}
		fx.createErr(street, bad, store.ErrInvalid) // another township's grid worker
		bad = org
		bad.Summon = []string{"350722D002"}
		fx.createErr(street, bad, store.ErrInvalid) // departments are not the front line
		org.SummonPeople = []int64{fx.gridWorker, fx.cadre}
		org.Summon = []string{"350722001001G01"}
		c := fx.create(street, org)
		if n := len(fx.detail(c.No).Assignments); n != 3 {
			t.Fatalf("%d parts", n)
		}
		grid := fx.actor(40, "350722001001G01", access.RoleGrid)
		gp := fx.part(c.No, "", fx.gridWorker)
		fx.do(grid, c.No, Action{Name: "report_in", AssignmentID: gp.ID})

		// A resident blows on the portal; the township summons the service units.
		anon := access.Actor{}
		res := NewCase{Flow: "whistle", Kind: WhistleResident, Title: "路灯全坏了", ReporterPhone: "13800138000", PlaceUnit: "350722001001"}
		bad = res
		bad.Kind = WhistleStreet
		fx.createErr(anon, bad, store.ErrForbidden)
		bad = res
		bad.Summon = []string{"350722D003"}
		c2 := fx.create(anon, bad)
		if len(fx.detail(c2.No).Assignments) != 0 {
			t.Error("a resident summoned units")
		}
		fx.refused(fx.actor(11, "350722101000", access.RoleTownship), c2.No, Action{Name: "summon", UnitCode: "350722D003"}, store.ErrNotFound)
		fx.do(street, c2.No, Action{Name: "summon", UnitCode: "350722D003", Note: "请城管局报到"})
		cg := fx.actor(21, "350722D003", access.RoleDepartment)
		p := fx.part(c2.No, "350722D003", 0)
		fx.do(cg, c2.No, Action{Name: "report_in", AssignmentID: p.ID})
		fx.do(cg, c2.No, Action{Name: "report_result", AssignmentID: p.ID, Note: "已更换灯具"})
		if c2 = fx.do(street, c2.No, Action{Name: "accept_result", AssignmentID: p.ID, Rating: 5}); c2.Status != "closed" {
			t.Errorf("resident whistle %s", c2.Status)
		}
		// Calling off a whistle ends every part.
		c3 := fx.create(street, NewCase{Flow: "whistle", Kind: WhistleStreet, Title: "误报", PlaceUnit: "350722001001", Summon: []string{"350722D002"}})
		fx.refused(fx.actor(20, "350722D002", access.RoleDepartment), c3.No, Action{Name: "cancel", Note: "x"}, store.ErrForbidden)
		if c3 = fx.do(street, c3.No, Action{Name: "cancel", Note: "误报"}); c3.Status != "cancelled" || !c3.Closed() {
			t.Errorf("cancelled whistle %s", c3.Status)
		}
	})
}
