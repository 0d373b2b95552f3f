package party_test

import (
	"context"
	"errors"
	"testing"

	"grassroots/internal/access"
	"grassroots/internal/party"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

func agreementIn() party.AgreementInput {
	return party.AgreementInput{Community: "350722001001", Unit: "350722D002", TermFrom: "2026-01-01", TermTo: "2027-12-31",
		Liaison: "联络员孙某某", LiaisonPhone: "13900000002", Commitments: []party.CommitmentInput{
			{Kind: party.CommitPeople, What: "每季度组织在职党员服务", Target: 40},
			{Kind: party.CommitResource, What: "开放单位会议室", Target: 10}}}
}

func TestSignAgreement(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newFixture(t, db)
		ctx := context.Background()
		community := fx.actor(30, "350722001001", access.RoleCommunity)
		for _, tc := range []struct {
			name  string
			actor access.Actor
			edit  func(*party.AgreementInput)
			kind  error
		}{
			{"another township", fx.actor(12, "350722101000", access.RoleTownship), nil, store.ErrForbidden},
			{"the unit itself", fx.actor(20, "350722D002", access.RoleDepartment), nil, store.ErrForbidden},
			{"a grid worker", fx.actor(31, "350722001001G01", access.RoleGrid), nil, store.ErrForbidden},
			{"term backwards", community, func(a *party.AgreementInput) { a.TermTo = "2025-12-31" }, store.ErrInvalid},
			{"bad day", community, func(a *party.AgreementInput) { a.TermFrom = "2026/1/1" }, store.ErrInvalid},
			{"no liaison", community, func(a *party.AgreementInput) { a.Liaison = " " }, store.ErrInvalid},
			{"no commitments", community, func(a *party.AgreementInput) { a.Commitments = nil }, store.ErrInvalid},
			{"bad kind", community, func(a *party.AgreementInput) { a.Commitments[0].Kind = "money" }, store.ErrInvalid},
			{"zero target", community, func(a *party.AgreementInput) { a.Commitments[1].Target = 0 }, store.ErrInvalid},
			{"not a community", community, func(a *party.AgreementInput) { a.Community = "350722001000" }, store.ErrInvalid},
		} {
			in := agreementIn()
			if tc.edit != nil {
				tc.edit(&in)
			}
			if _, err := fx.p.SignAgreement(ctx, tc.actor, in); !errors.Is(err, tc.kind) {
				t.Errorf("%s: got %v, want %v", tc.name, err, tc.kind)
			} else if _, ok := store.UserMessage(err); !ok {
				t.Errorf("%s: no message: %v", tc.name, err)
			}
		}
		if n := fx.count(`SELECT COUNT(*) FROM co_building`) + fx.count(`SELECT COUNT(*) FROM co_building_commitments`); n != 0 {
			t.Fatalf("%d rows after refusals", n)
		}
		// The street above the community signs for it.
		a, err := fx.p.SignAgreement(ctx, fx.actor(11, "350722001000", access.RoleTownship), agreementIn())
		if err != nil {
			t.Fatal(err)
		}
		if a.TermTo != "2027-12-31" || a.LiaisonPhone != "139****0002" || len(a.Commitments) != 2 || a.Progress == nil || *a.Progress != 0 {
			t.Errorf("agreement %+v", a)
		}
		if _, err := fx.p.SignAgreement(ctx, community, agreementIn()); !errors.Is(err, store.ErrConflict) {
			t.Errorf("twice: %v", err)
		}
		// Progress: the unit's own staff and the community record it; another department may not.
		people := a.Commitments[0].ID
		if _, err := fx.p.RecordProgress(ctx, fx.actor(21, "350722D003", access.RoleDepartment), people, 5, ""); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("another department: %v", err)
		}
		if _, err := fx.p.RecordProgress(ctx, fx.actor(20, "350722D002", access.RoleDepartment), people, 10, "十月服务"); err != nil {
			t.Fatal(err)
		}
		a, err = fx.p.RecordProgress(ctx, community, a.Commitments[1].ID, 20, "")
		if err != nil {
			t.Fatal(err)
		}
		// (10 + min(20, 10)) / 50
		if a.Progress == nil || *a.Progress != 0.4 {
			t.Errorf("progress %v", a.Progress)
		}
		// The yearly evaluation is the community's, not the unit's.
		if _, err := fx.p.Evaluate(ctx, fx.actor(20, "350722D002", access.RoleDepartment), a.ID, 2026, "好", ""); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("the unit evaluates itself: %v", err)
		}
		if _, err := fx.p.Evaluate(ctx, community, a.ID, 2026, "优秀", ""); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("bad grade: %v", err)
		}
		if _, err := fx.p.Evaluate(ctx, community, a.ID, 2026, "较好", "服务及时"); err != nil {
			t.Fatal(err)
		}
		a, err = fx.p.Evaluate(ctx, community, a.ID, 2026, "好", "服务及时")
		if err != nil || len(a.Evaluations) != 1 || a.Evaluations[0].Grade != "好" {
			t.Errorf("evaluations %+v %v", a.Evaluations, err)
		}
		// Who reads: the community, the unit, not another township.
		for _, tc := range []struct {
			actor access.Actor
			n     int
		}{{community, 1}, {fx.actor(20, "350722D002", access.RoleDepartment), 1}, {fx.actor(12, "350722101000", access.RoleTownship), 0}} {
			list, err := fx.p.Agreements(ctx, tc.actor, party.AgreementFilter{})
			if err != nil || len(list) != tc.n {
				t.Errorf("%s reads %d agreements, want %d (%v)", tc.actor.UnitCode, len(list), tc.n, err)
			}
		}
	})
}
