package party_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/party"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// The big working committee: part-time members from departments and
// co-building units of the area, meetings with the area's open commitments
// on the agenda and follow-ups raised as cases; centres as places.
func TestCommittees(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newFixture(t, db)
		fx.partyTree()
		ctx := context.Background()
		street := fx.actor(11, "350722001000", access.RoleTownship)
		community := fx.actor(30, "350722001001", access.RoleCommunity)
		other := fx.actor(12, "350722101000", access.RoleTownship)
		a, err := fx.p.SignAgreement(ctx, street, agreementIn()) // 350722D002 with 仙楼社区
		if err != nil {
			t.Fatal(err)
		}
		// The second unit: a co-building unit that is no department.
		if _, err := fx.p.AddCoBuilding(ctx, community, "350722001001", "350722101200", ""); err != nil {
			t.Fatal(err)
		}
		member := party.CommitteeMemberInput{Name: "兼职委员甲", Post: "兼职委员", PartTime: true, Unit: "350722D003", TermFrom: "2026-01-01", TermTo: "2028-12-31"}
		for _, tc := range []struct {
			name  string
			actor access.Actor
			code  string
			edit  func(*party.CommitteeMemberInput)
			kind  error
		}{
			{"another township", other, "P1", nil, store.ErrNotFound},
			{"a department", fx.actor(20, "350722D002", access.RoleDepartment), "P1", nil, store.ErrForbidden},
			{"a grid worker", fx.actor(31, "350722001001G01", access.RoleGrid), "P11", nil, store.ErrNotFound},
			{"no committee", street, "P111", nil, store.ErrInvalid},
			{"no unit", street, "P1", func(m *party.CommitteeMemberInput) { m.Unit = "" }, store.ErrInvalid},
			{"a unit of no co-building", street, "P1", func(m *party.CommitteeMemberInput) { m.Unit = "350722001001" }, store.ErrInvalid},
			{"term backwards", street, "P1", func(m *party.CommitteeMemberInput) { m.TermTo = "2025-01-01" }, store.ErrInvalid},
			{"no name", street, "P1", func(m *party.CommitteeMemberInput) { m.Name = " " }, store.ErrInvalid},
		} {
			in := member
			if tc.edit != nil {
				tc.edit(&in)
			}
			if _, err := fx.p.AddCommitteeMember(ctx, tc.actor, tc.code, in); !errors.Is(err, tc.kind) {
				t.Errorf("%s: got %v, want %v", tc.name, err, tc.kind)
			} else if _, ok := store.UserMessage(err); !ok {
				t.Errorf("%s: no message: %v", tc.name, err)
			}
		}
		if n := fx.count(`SELECT COUNT(*) FROM committee_members`); n != 0 {
			t.Fatalf("%d members after refusals", n)
		}
		if _, err := fx.p.AddCommitteeMember(ctx, street, "P1", member); err != nil {
			t.Fatal(err)
		}
		coop := member
		coop.Name, coop.Unit = "兼职委员乙", "350722101200"
		if _, err := fx.p.AddCommitteeMember(ctx, community, "P11", coop); err != nil {
			t.Fatal(err)
		}
		full := party.CommitteeMemberInput{Name: "书记丙", Post: "书记", TermFrom: "2026-01-01", TermTo: "2030-12-31"}
		if _, err := fx.p.AddCommitteeMember(ctx, street, "P1", full); err != nil {
			t.Fatal(err)
		}
		// Centres: the street's serves its community.
		if _, err := fx.p.AddCentre(ctx, other, "350722001000", "南浦街道党群服务中心", "", false); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("another township adds a centre: %v", err)
		}
		centre, err := fx.p.AddCentre(ctx, street, "350722001000", "南浦街道党群服务中心", "兴华路1号", false)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fx.p.AddCentre(ctx, street, "350722001000", "南浦街道党群服务中心", "", false); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("the same centre twice: %v", err)
		}
		far, err := fx.p.AddCentre(ctx, other, "350722101000", "富岭镇党群服务中心", "", false)
		if err != nil {
			t.Fatal(err)
		}
		cs, err := fx.p.Centres(ctx, community, "350722001001")
		if err != nil || len(cs) != 1 || cs[0].ID != centre.ID {
			t.Errorf("centres of the community: %+v %v", cs, err)
		}
		c, err := fx.p.Committee(ctx, street, "P1")
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Full) != 1 || len(c.PartTime) != 1 || c.PartTime[0].UnitName == "" || !c.MayKeep || len(c.Agenda) != 2 {
			t.Errorf("committee %+v", c)
		}
		// A meeting takes up a commitment and raises a follow-up.
		in := party.MeetingInput{HeldOn: "2026-03-01", Title: "大工委联席会议", CentreID: centre.ID, Attendees: "书记丙、兼职委员甲",
			Decisions: "推进共建项目", Agenda: []int64{a.Commitments[0].ID}, FollowUps: []string{"修复仙楼社区路灯", " "}}
		bad := in
		bad.CentreID = far.ID
		if _, err := fx.p.RecordMeeting(ctx, street, "P1", bad); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("a centre of another township: %v", err)
		}
		bad = in
		bad.Decisions = ""
		if _, err := fx.p.RecordMeeting(ctx, street, "P1", bad); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("no decisions: %v", err)
		}
		if _, err := fx.p.RecordMeeting(ctx, fx.actor(20, "350722D002", access.RoleDepartment), "P1", in); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("a department records: %v", err)
		}
		if n := fx.count(`SELECT COUNT(*) FROM committee_meetings`) + fx.count(`SELECT COUNT(*) FROM meeting_followups`); n != 0 {
			t.Fatalf("%d rows after refusals", n)
		}
		m, err := fx.p.RecordMeeting(ctx, street, "P1", in)
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Agenda) != 1 || len(m.FollowUps) != 1 || m.CentreName != "南浦街道党群服务中心" {
			t.Fatalf("meeting %+v", m)
		}
		if _, err := fx.p.RaiseFollowUp(ctx, other, m.FollowUps[0].ID, nil); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("another township raises: %v", err)
		}
		cs1, err := fx.p.RaiseFollowUp(ctx, street, m.FollowUps[0].ID, []string{"350722D003"})
		if err != nil {
			t.Fatal(err)
		}
		if cs1.No == "" || cs1.Title != "修复仙楼社区路灯" {
			t.Errorf("case %+v", cs1)
		}
		if _, err := fx.p.RaiseFollowUp(ctx, street, m.FollowUps[0].ID, nil); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("raised twice: %v", err)
		}
		c, err = fx.p.Committee(ctx, street, "P1")
		if err != nil || len(c.Meetings) != 1 || c.Meetings[0].FollowUps[0].CaseNo != cs1.No {
			t.Errorf("meetings %+v %v", c.Meetings, err)
		}
		// An activity names its centre; a centre of elsewhere is refused.
		start := fx.Now.Add(24 * time.Hour)
		act := party.ActivityInput{Community: "350722001001", Title: "义诊", CentreID: centre.ID, StartsAt: start, EndsAt: start.Add(2 * time.Hour)}
		v, err := fx.p.PlanActivity(ctx, community, act)
		if err != nil || v.Place != "南浦街道党群服务中心" || v.CentreID != centre.ID {
			t.Errorf("activity %+v %v", v, err)
		}
		act.CentreID = far.ID
		if _, err := fx.p.PlanActivity(ctx, community, act); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("a far centre: %v", err)
		}
	})
}

// TestCommitteeMemberPerson: a committee member may be a person of the
// register; the name is theirs, a part-time member's unit defaults to
// their work unit and must hold it, and a person sits once per term.
func TestCommitteeMemberPerson(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newFixture(t, db)
		fx.partyTree()
		ctx := context.Background()
		street := fx.actor(11, "350722001000", access.RoleTownship)
		// 党员张某某 works at 350722D002, 党员李某某 at 350722D003.
		in := party.CommitteeMemberInput{Name: "别的名字", Post: "兼职委员", PartTime: true, TermFrom: "2026-01-01", TermTo: "2028-12-31", PersonID: fx.member}
		m, err := fx.p.AddCommitteeMember(ctx, street, "P1", in)
		if err != nil {
			t.Fatal(err)
		}
		if m.PersonID != fx.member || m.Name != "党员张某某" || m.UnitCode != "350722D002" {
			t.Errorf("linked member %+v", m)
		}
		if _, err := fx.p.AddCommitteeMember(ctx, street, "P1", in); !errors.Is(err, store.ErrConflict) {
			t.Errorf("the same person twice in a term: %v", err)
		}
		later := in
		later.TermFrom, later.TermTo = "2029-01-01", "2031-12-31"
		if _, err := fx.p.AddCommitteeMember(ctx, street, "P1", later); err != nil {
			t.Errorf("the next term: %v", err)
		}
		wrong := in
		wrong.PersonID, wrong.Unit = fx.stranger, "350722D002"
		if _, err := fx.p.AddCommitteeMember(ctx, street, "P1", wrong); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("a part-time member from a unit they do not work at: %v", err)
		}
		nobody := in
		nobody.PersonID = 999999
		if _, err := fx.p.AddCommitteeMember(ctx, street, "P1", nobody); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("no such person: %v", err)
		}
		full := party.CommitteeMemberInput{Post: "副书记", TermFrom: "2026-01-01", TermTo: "2028-12-31", PersonID: fx.stranger}
		if _, err := fx.p.AddCommitteeMember(ctx, street, "P1", full); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("a full member working outside the street: %v", err)
		} else if msg, _ := store.UserMessage(err); strings.Contains(msg, "李某某") {
			t.Errorf("the refusal names the person: %s", msg)
		}
		full.PersonID = fx.worker // 网格员王某某, in the street's grid
		if _, err := fx.p.AddCommitteeMember(ctx, street, "P1", full); err != nil {
			t.Fatal(err)
		}
		c, err := fx.p.Committee(ctx, street, "P1")
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Full) != 1 || c.Full[0].PersonID != fx.worker || c.Full[0].Name != "网格员王某某" || len(c.PartTime) != 2 || c.PartTime[0].PersonID != fx.member {
			t.Errorf("committee %+v", c)
		}
		// The person's page lists their seats, the latest term first, on the
		// committees the reader may read.
		seats, err := fx.p.SeatsOf(ctx, street, fx.member)
		if err != nil {
			t.Fatal(err)
		}
		if len(seats) != 2 || seats[0].CommitteeCode != "P1" || seats[0].TermFrom != "2029-01-01" || seats[0].Current || !seats[1].Current ||
			!seats[1].PartTime || seats[1].Post != "兼职委员" || seats[1].UnitCode != "350722D002" || seats[1].CommitteeUnit == "" {
			t.Errorf("seats of the member %+v", seats)
		}
		if seats, err := fx.p.SeatsOf(ctx, street, fx.worker); err != nil || len(seats) != 1 || seats[0].PartTime || seats[0].Post != "副书记" {
			t.Errorf("seats of the worker %+v %v", seats, err)
		}
		if seats, err := fx.p.SeatsOf(ctx, fx.actor(12, "350722101000", access.RoleTownship), fx.member); err != nil || len(seats) != 0 {
			t.Errorf("another township reads seats %+v %v", seats, err)
		}
	})
}
