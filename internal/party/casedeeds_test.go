package party_test

import (
	"context"
	"errors"
	"strconv"
	"testing"

	"grassroots/internal/access"
	"grassroots/internal/casework"
	"grassroots/internal/party"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
	"grassroots/internal/volunteer"
)

// A resolved whistle a member carried out is offered, on its page, to be
// marked as a good deed by the community; once, and not to others.
func TestCaseDeed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newFixture(t, db)
		fx.p.UseLedger(party.VolunteerLedger(volunteer.New(db)))
		ctx := context.Background()
		community := fx.actor(30, "350722001001", access.RoleCommunity)
		other := fx.actor(12, "350722101000", access.RoleTownship)
		c, _, err := fx.cases.Create(ctx, community, casework.NewCase{Flow: "whistle", Kind: casework.WhistleCommunity, Title: "帮扶独居老人",
			PlaceUnit: "350722001001", SummonPeople: []int64{fx.member}})
		if err != nil {
			t.Fatal(err)
		}
		get := func() casework.CaseDetail {
			t.Helper()
			d, err := fx.cases.Get(ctx, access.System, c.No)
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
		if o, err := fx.p.CaseDeedOffer(ctx, community, get()); err != nil || o != nil {
			t.Errorf("offered on an open case: %+v %v", o, err)
		}
		if _, err := fx.p.MarkCaseDeed(ctx, community, get(), party.CaseDeedInput{Doer: "p" + strconv.FormatInt(fx.member, 10), Beneficiary: "王奶奶", Problem: "无人照料"}); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("marked an open case: %v", err)
		}
		p := fx.part(c.No, "", fx.member)
		fx.do(community, c.No, casework.Action{Name: "report_in", AssignmentID: p.ID})
		fx.do(community, c.No, casework.Action{Name: "report_result", AssignmentID: p.ID, Note: "已上门"})
		if c = fx.do(community, c.No, casework.Action{Name: "accept_result", AssignmentID: p.ID, Rating: 5}); !c.Closed() {
			t.Fatalf("whistle %s", c.Status)
		}
		if o, err := fx.p.CaseDeedOffer(ctx, other, get()); err != nil || o != nil {
			t.Errorf("offered to another township: %+v %v", o, err)
		}
		o, err := fx.p.CaseDeedOffer(ctx, community, get())
		if err != nil || o == nil || len(o.Doers) != 1 || o.Doers[0].Name != "党员张某某" || o.Problem != "帮扶独居老人" {
			t.Fatalf("offer %+v %v", o, err)
		}
		in := party.CaseDeedInput{Doer: o.Doers[0].Key, Beneficiary: "王奶奶", Problem: "独居老人无人照料"}
		if _, err := fx.p.MarkCaseDeed(ctx, other, get(), in); !errors.Is(err, store.ErrForbidden) {
			t.Errorf("another township marks: %v", err)
		}
		bad := in
		bad.Doer = "u1"
		if _, err := fx.p.MarkCaseDeed(ctx, community, get(), bad); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("a doer who did not carry it out: %v", err)
		}
		if n := fx.count(`SELECT COUNT(*) FROM good_deeds`); n != 0 {
			t.Fatalf("%d deeds after refusals", n)
		}
		if _, err := fx.p.MarkCaseDeed(ctx, community, get(), in); err != nil {
			t.Fatal(err)
		}
		if n := fx.count(`SELECT COUNT(*) FROM good_deeds WHERE doer_person_id = ? AND case_id = ?`, fx.member, c.ID); n != 1 {
			t.Errorf("%d deeds of the member for the case", n)
		}
		if o, err := fx.p.CaseDeedOffer(ctx, community, get()); err != nil || o != nil {
			t.Errorf("offered twice: %+v %v", o, err)
		}
		if _, err := fx.p.MarkCaseDeed(ctx, community, get(), in); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("marked twice: %v", err)
		}
	})
}
