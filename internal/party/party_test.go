package party_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/casework"
	"grassroots/internal/casework/casetest"
	"grassroots/internal/party"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// fixture is casetest's county with this registry wired into the engine,
// and people: member is registered at 仙楼社区, stranger at 某村; worker is
// a grid worker.
type fixture struct {
	*casetest.County
	t                        *testing.T
	db                       *store.DB
	cases                    *casework.Service
	p                        *party.Service
	units                    map[string]unitRow
	member, stranger, worker int64
}

type unitRow struct {
	id         int64
	kind, path string
}

func newFixture(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	c := casetest.New(t, db)
	fx := &fixture{County: c, t: t, db: db, cases: c.Cases, p: party.New(db, c.Cases), units: map[string]unitRow{}}
	fx.p.UseSealer(c.Sealer)
	c.Cases.UseParty(fx.p)
	for code, u := range c.Units {
		fx.units[code] = unitRow{id: u.ID, kind: u.Kind, path: u.Path}
	}
	fx.member = c.Person("党员张某某", "350722D002", "party_member", "350722001001")
	fx.stranger = c.Person("党员李某某", "350722D003", "party_member", "350722101200")
	fx.worker = c.Person("网格员王某某", "350722001001G01", "grid_worker", "350722001001")
	return fx
}

func (fx *fixture) actor(uid int64, code string, roles ...access.Role) access.Actor {
	u := fx.units[code]
	return access.Actor{UserID: uid, Username: "u" + strconv.FormatInt(uid, 10), Name: "用户" + strconv.FormatInt(uid, 10),
		UnitID: u.id, UnitCode: code, UnitKind: u.kind, UnitPath: u.path, Roles: roles}
}

func (fx *fixture) do(actor access.Actor, no string, act casework.Action) casework.Case {
	fx.t.Helper()
	return fx.Do(actor, no, act)
}

// part returns the case's part of the person (or, with person 0, of the unit).
func (fx *fixture) part(no, unit string, person int64) casework.Assignment {
	fx.t.Helper()
	return fx.Part(no, unit, person)
}

func (fx *fixture) count(query string, args ...any) int {
	fx.t.Helper()
	return fx.Count(query, args...)
}

func TestCoBuilding(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newFixture(t, db)
		ctx := context.Background()
		community := fx.actor(30, "350722001001", access.RoleCommunity)
		for _, tc := range []struct {
			name            string
			actor           access.Actor
			community, unit string
			kind            error
		}{
			{"a department", fx.actor(20, "350722D002", access.RoleDepartment), "350722001001", "350722D002", store.ErrForbidden},
			{"another township", fx.actor(11, "350722101000", access.RoleTownship), "350722001001", "350722D002", store.ErrForbidden},
			{"not a community", community, "350722001000", "350722D002", store.ErrInvalid},
			{"the community itself", community, "350722001001", "350722001001", store.ErrInvalid},
			{"an unknown unit", community, "350722001001", "350722D999", store.ErrInvalid},
		} {
			if _, err := fx.p.AddCoBuilding(ctx, tc.actor, tc.community, tc.unit, ""); !errors.Is(err, tc.kind) {
				t.Errorf("%s: got %v, want %v", tc.name, err, tc.kind)
			} else if _, ok := store.UserMessage(err); !ok {
				t.Errorf("%s: no message for the user: %v", tc.name, err)
			}
		}
		b, err := fx.p.AddCoBuilding(ctx, community, "350722001001", "350722D002", " 共建协议2026-01 ")
		if err != nil {
			t.Fatal(err)
		}
		if b.UnitName != "县住房和城乡建设局" || b.CommunityCode != "350722001001" || b.Note != "共建协议2026-01" || b.SignedAt.IsZero() {
			t.Errorf("agreement %+v", b)
		}
		if _, err := fx.p.AddCoBuilding(ctx, community, "350722001001", "350722D002", ""); !errors.Is(err, store.ErrConflict) {
			t.Errorf("the same agreement twice: %v", err)
		}
		list, err := fx.p.CoBuildings(ctx, "350722001001")
		if err != nil || len(list) != 1 || list[0].ID != b.ID {
			t.Errorf("agreements %+v %v", list, err)
		}
		if n := fx.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'cobuilding.add'`); n != 1 {
			t.Errorf("%d audit entries", n)
		}
		// What a community whistle at 仙楼社区 may summon: the agreement's unit, then the registered party members.
		xs, err := fx.cases.Summonables(ctx, community, casework.WhistleCommunity, "350722001001")
		if err != nil {
			t.Fatal(err)
		}
		if len(xs) != 2 || xs[0].Code != "350722D002" || xs[1].PersonID != fx.member || xs[1].At != "县住房和城乡建设局" {
			t.Errorf("summonable %+v", xs)
		}
	})
}

func TestMemberLinks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newFixture(t, db)
		ctx := context.Background()
		community := fx.actor(30, "350722001001", access.RoleCommunity)
		if _, err := fx.p.IssueLink(ctx, fx.actor(11, "350722101000", access.RoleTownship), fx.member); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("another township issued a member link: %v", err)
		}
		if _, err := fx.p.IssueLink(ctx, fx.actor(20, "350722D002", access.RoleDepartment), fx.member); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("a department issued a member link: %v", err)
		}
		if _, err := fx.p.IssueLink(ctx, community, 999999); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a link for nobody: %v", err)
		}
		old, err := fx.p.IssueLink(ctx, community, fx.member)
		if err != nil {
			t.Fatal(err)
		}
		token, err := fx.p.IssueLink(ctx, community, fx.member)
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range []string{old, "", "gm_nothing", "x" + token} {
			if _, err := fx.p.MemberByToken(ctx, bad); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("link %q: %v", bad, err)
			}
		}
		m, err := fx.p.MemberByToken(ctx, " "+token+" ")
		if err != nil || m.PersonID != fx.member || m.HomeCode != "350722001001" || m.HomeName != "仙楼社区" || m.UnitCode != "350722D002" {
			t.Fatalf("member by token: %+v %v", m, err)
		}
		if n := fx.count(`SELECT COUNT(*) FROM member_links WHERE person_id = ? AND revoked_at IS NULL`, fx.member); n != 1 {
			t.Errorf("%d live links", n)
		}
		if n := fx.count(`SELECT COUNT(*) FROM member_links WHERE token_hash = ?`, token); n != 0 {
			t.Error("the token itself is kept")
		}
	})
}

// A community whistle summons a co-building unit and a registered member;
// the member answers on their own page, and once the community accepts the
// result the time on site is credited as volunteer service.
func TestCommunityWhistleThroughTheRegistry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newFixture(t, db)
		ctx := context.Background()
		community := fx.actor(30, "350722001001", access.RoleCommunity)
		zj := fx.actor(20, "350722D002", access.RoleDepartment)
		base := casework.NewCase{Flow: "whistle", Kind: casework.WhistleCommunity, Title: "清理楼道堆积物", PlaceUnit: "350722001001"}
		refused := func(in casework.NewCase, why string) {
			t.Helper()
			if _, _, err := fx.cases.Create(ctx, community, in); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("%s: %v", why, err)
			}
		}
		in := base
		in.Summon = []string{"350722D002"}
		refused(in, "summoned a unit without an agreement")
		in = base
		in.SummonPeople = []int64{fx.stranger}
		refused(in, "summoned a member registered elsewhere")
		in = base
		in.SummonPeople = []int64{fx.worker}
		refused(in, "summoned a registered grid worker")

		if _, err := fx.p.AddCoBuilding(ctx, community, "350722001001", "350722D002", ""); err != nil {
			t.Fatal(err)
		}
		in = base
		in.Summon, in.SummonPeople = []string{"350722D002"}, []int64{fx.member}
		c, _, err := fx.cases.Create(ctx, community, in)
		if err != nil {
			t.Fatal(err)
		}
		mp := fx.part(c.No, "", fx.member)
		if mp.UnitCode != "350722001001" || mp.PersonName != "党员张某某" {
			t.Errorf("member's part at %s for %q", mp.UnitCode, mp.PersonName)
		}

		token, err := fx.p.IssueLink(ctx, community, fx.member)
		if err != nil {
			t.Fatal(err)
		}
		m, err := fx.p.MemberByToken(ctx, token)
		if err != nil {
			t.Fatal(err)
		}
		parts, err := fx.p.Parts(ctx, m, 0)
		if err != nil || len(parts) != 1 || parts[0].Case.No != c.No || len(parts[0].Actions) != 3 {
			t.Fatalf("member parts %+v %v", parts, err)
		}
		dept := fx.part(c.No, "350722D002", 0)
		if _, err := fx.p.Do(ctx, m, c.No, casework.Action{Name: "accept_summons", AssignmentID: dept.ID}); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("member accepted the department's part: %v", err)
		}
		if _, err := fx.p.Do(ctx, m, c.No, casework.Action{Name: "accept_summons"}); err != nil {
			t.Fatal(err)
		}
		fx.Now = fx.Now.Add(20 * time.Minute)
		if _, err := fx.p.Do(ctx, m, c.No, casework.Action{Name: "report_in"}); err != nil {
			t.Fatal(err)
		}
		fx.Now = fx.Now.Add(100 * time.Minute)
		if _, err := fx.p.Do(ctx, m, c.No, casework.Action{Name: "report_result", Note: "已清理完毕"}); err != nil {
			t.Fatal(err)
		}
		fx.do(zj, c.No, casework.Action{Name: "report_in", AssignmentID: dept.ID})
		fx.do(zj, c.No, casework.Action{Name: "report_result", AssignmentID: dept.ID, Note: "派员协助清运"})
		fx.do(community, c.No, casework.Action{Name: "accept_result", AssignmentID: mp.ID, Rating: 5})
		if c = fx.do(community, c.No, casework.Action{Name: "accept_result", AssignmentID: dept.ID, Rating: 3}); c.Status != "closed" {
			t.Errorf("community whistle %s after the last rating", c.Status)
		}
		v, err := fx.p.Volunteer(ctx, fx.member)
		if err != nil {
			t.Fatal(err)
		}
		if v.Times != 1 || v.Minutes != 120 || v.Hours() != "2.0" { // 100 minutes on site → 2 hours credited
			t.Errorf("volunteer service %d times %d minutes", v.Times, v.Minutes)
		}
		if r := v.Records[0]; r.CaseNo != c.No || r.UnitName != "仙楼社区" || r.EndedAt.Sub(r.StartedAt) != 100*time.Minute {
			t.Errorf("record %+v", r)
		}
		if n := fx.count(`SELECT COUNT(*) FROM volunteer_entries WHERE layer = 'verified' AND source = 'whistle'`); n != 1 {
			t.Errorf("%d records: a department's part counted as volunteer service", n)
		}
		if n := fx.count(`SELECT COUNT(*) FROM case_events WHERE case_id = ? AND actor_name = '党员张某某（党员本人）'`, c.ID); n != 3 {
			t.Errorf("%d events by the member", n)
		}

		// Community staff record the steps for a member without a phone: the minimum credit.
		c2, _, err := fx.cases.Create(ctx, community, casework.NewCase{Flow: "whistle", Kind: casework.WhistleCommunity, Title: "帮扶独居老人",
			PlaceUnit: "350722001001", SummonPeople: []int64{fx.member}})
		if err != nil {
			t.Fatal(err)
		}
		p2 := fx.part(c2.No, "", fx.member)
		fx.do(community, c2.No, casework.Action{Name: "report_in", AssignmentID: p2.ID})
		fx.do(community, c2.No, casework.Action{Name: "report_result", AssignmentID: p2.ID, Note: "已上门"})
		fx.do(community, c2.No, casework.Action{Name: "accept_result", AssignmentID: p2.ID, Rating: 5})
		if n := fx.count(`SELECT minutes FROM volunteer_entries WHERE assignment_id = ?`, p2.ID); n != 30 {
			t.Errorf("minimum credit %d minutes", n)
		}
		if v, _ := fx.p.Volunteer(ctx, fx.member); v.Times != 2 || v.Records[0].CaseNo != c2.No {
			t.Errorf("service newest first: %+v", v)
		}
	})
}

func TestVolunteerMinutes(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want int
	}{
		{0, 30}, {time.Minute, 30}, {30 * time.Minute, 30}, {31 * time.Minute, 60}, {100 * time.Minute, 120},
		{12 * time.Hour, 720}, {30 * time.Hour, 720}, {-time.Hour, 30},
	} {
		if got := party.VolunteerMinutes(tc.d); got != tc.want {
			t.Errorf("VolunteerMinutes(%v) = %d, want %d", tc.d, got, tc.want)
		}
	}
}
