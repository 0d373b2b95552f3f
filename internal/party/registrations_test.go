package party_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/party"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

func TestRegistration(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newFixture(t, db)
		fx.p.UseClock(func() time.Time { return fx.Now })
		ctx := context.Background()
		community := fx.actor(30, "350722001001", access.RoleCommunity)
		m, err := fx.p.MemberByID(ctx, fx.member)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fx.p.RegisterSelf(ctx, m, "350722001000", ""); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("at a street: %v", err)
		}
		r, err := fx.p.RegisterSelf(ctx, m, "350722001001", "住仙楼小区3栋")
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != party.RegPending || r.Channel != party.ChannelPhone || r.SlipNo != "" {
			t.Errorf("registration %+v", r)
		}
		if _, err := fx.p.RegisterSelf(ctx, m, "350722001001", ""); !errors.Is(err, store.ErrConflict) {
			t.Errorf("twice while pending: %v", err)
		}
		for _, tc := range []struct {
			name  string
			actor access.Actor
			grid  string
			kind  error
		}{
			{"another township", fx.actor(12, "350722101000", access.RoleTownship), "350722001001G01", store.ErrForbidden},
			{"a grid worker", fx.actor(31, "350722001001G01", access.RoleGrid), "350722001001G01", store.ErrForbidden},
			{"the member's own unit", fx.actor(20, "350722D002", access.RoleDepartment), "350722001001G01", store.ErrForbidden},
			{"no grid", community, "", store.ErrInvalid},
			{"not its grid", community, "350722101200", store.ErrInvalid},
		} {
			if _, err := fx.p.Accept(ctx, tc.actor, r.ID, tc.grid); !errors.Is(err, tc.kind) {
				t.Errorf("%s: got %v, want %v", tc.name, err, tc.kind)
			}
		}
		r, err = fx.p.Accept(ctx, community, r.ID, "350722001001G01")
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != party.RegAccepted || r.GridName != "仙楼社区第一网格" || r.SlipNo == "" || r.ConfirmDue == nil || r.Overdue {
			t.Errorf("accepted %+v", r)
		}
		if _, err := fx.p.Accept(ctx, community, r.ID, "350722001001G01"); !errors.Is(err, store.ErrConflict) {
			t.Errorf("accepted twice: %v", err)
		}
		if n := fx.count(`SELECT COUNT(*) FROM party_members WHERE person_id = ? AND home_grid_id IS NOT NULL`, fx.member); n != 1 {
			t.Errorf("home grid not set")
		}
		// The slip goes back to the member's unit; another township does not see it.
		if s, err := fx.p.RegistrationSlip(ctx, fx.actor(20, "350722D002", access.RoleDepartment), r.ID); err != nil || s.Issuer != "仙楼社区党委" {
			t.Errorf("slip for the unit: %+v %v", s, err)
		}
		if _, err := fx.p.RegistrationSlip(ctx, fx.actor(12, "350722101000", access.RoleTownship), r.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("slip for another township: %v", err)
		}
		// Half a year on, the re-confirmation is due.
		fx.Now = fx.Now.AddDate(0, 7, 0)
		due, err := fx.p.Registrations(ctx, community, party.RegistrationFilter{Community: "350722001001", Overdue: true})
		if err != nil || len(due) != 1 {
			t.Fatalf("overdue %+v %v", due, err)
		}
		if r, err = fx.p.Reconfirm(ctx, m); err != nil || r.Overdue {
			t.Errorf("reconfirmed %+v %v", r, err)
		}
		// At the desk: the community types in another member's registration and turns it down.
		if _, err := fx.p.RegisterAtDesk(ctx, fx.actor(12, "350722101000", access.RoleTownship), fx.stranger, "350722001001", ""); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("desk of another township: %v", err)
		}
		if _, err := fx.p.RegisterAtDesk(ctx, community, fx.worker, "350722001001", ""); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("a grid worker registers as a member: %v", err)
		}
		d, err := fx.p.RegisterAtDesk(ctx, community, fx.stranger, "350722001001", "")
		if err != nil || d.Channel != party.ChannelDesk {
			t.Fatalf("desk %+v %v", d, err)
		}
		if _, err := fx.p.Reject(ctx, community, d.ID, ""); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("reject without reason: %v", err)
		}
		if d, err = fx.p.Reject(ctx, community, d.ID, "不在本社区居住"); err != nil || d.Status != party.RegRejected {
			t.Errorf("rejected %+v %v", d, err)
		}
		if n := fx.count(`SELECT COUNT(*) FROM people WHERE id = ? AND home_unit_id = ?`, fx.stranger, fx.units["350722001001"].id); n != 0 {
			t.Errorf("a rejected registration moved the member's home")
		}
	})
}
