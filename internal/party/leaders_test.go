package party_test

import (
	"context"
	"errors"
	"testing"

	"grassroots/internal/access"
	"grassroots/internal/casework"
	"grassroots/internal/party"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// TestLeaderLinks: who may issue a building leader's personal link (the
// grid's worker and the staff above the building; not a department, not
// another township; only to a building or street leader), what the link
// opens (a leader's page, not a party member's link), and the report made
// through it: by the leader channel, placed at the building, once per id the
// phone made, listed back with the flow's public status.
func TestLeaderLinks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newFixture(t, db)
		ctx := context.Background()
		fx.AddUnit("350722001001G01B01", "仙楼1号楼", "building", "350722001001G01")
		leader := fx.Person("楼栋长陈某某", "350722001001G01B01", "building_leader", "")
		worker := fx.actor(31, "350722001001G01", access.RoleGrid)
		for _, a := range []access.Actor{fx.actor(11, "350722101000", access.RoleTownship), fx.actor(20, "350722D002", access.RoleDepartment),
			fx.actor(32, "350722101200G01", access.RoleGrid)} {
			if _, err := fx.p.IssueLeaderLink(ctx, a, leader); !errors.Is(err, store.ErrForbidden) {
				t.Errorf("%s issued a leader's link: %v", a.UnitCode, err)
			}
		}
		if _, err := fx.p.IssueLeaderLink(ctx, worker, fx.worker); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("a grid worker given a leader's link: %v", err)
		}
		token, err := fx.p.IssueLeaderLink(ctx, worker, leader)
		if err != nil {
			t.Fatal(err)
		}
		m, err := fx.p.LeaderByToken(ctx, token)
		if err != nil || m.PersonID != leader || m.UnitCode != "350722001001G01B01" {
			t.Fatalf("leader by token: %+v %v", m, err)
		}
		mtoken, err := fx.p.IssueLink(ctx, fx.actor(30, "350722001001", access.RoleCommunity), fx.member)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fx.p.LeaderByToken(ctx, mtoken); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a party member's link opened a leader's page: %v", err)
		}

		in := casework.NewCase{RequestType: "help", Title: "楼道堆放杂物", Body: "3单元楼道堆放杂物", Dispatch: "350722D003"}
		if _, _, err := fx.p.LeaderReport(ctx, m, "", in); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("a report without the phone's id: %v", err)
		}
		c, created, err := fx.p.LeaderReport(ctx, m, "idem-1", in)
		if err != nil || !created {
			t.Fatalf("report: %v %v", created, err)
		}
		again, created, err := fx.p.LeaderReport(ctx, m, "idem-1", in)
		if err != nil || created || again.No != c.No {
			t.Errorf("a resend: %s created=%v %v", again.No, created, err)
		}
		d, err := fx.cases.Get(ctx, worker, c.No)
		if err != nil {
			t.Fatalf("the grid's worker reads the leader's case: %v", err)
		}
		if d.Case.Channel != party.ChannelLeader || d.Case.ReporterName != "楼栋长陈某某" || d.Case.Status != "received" || len(d.Assignments) != 0 {
			t.Errorf("the case: channel %q reporter %q status %s parts %d", d.Case.Channel, d.Case.ReporterName, d.Case.Status, len(d.Assignments))
		}
		rows, err := fx.p.LeaderReports(ctx, m)
		if err != nil || len(rows) != 1 || rows[0].Case.No != c.No || rows[0].StatusText == "" {
			t.Errorf("the leader's reports: %+v %v", rows, err)
		}
	})
}
