package civility_test

import (
	"context"
	"testing"

	"grassroots/internal/access"
	"grassroots/internal/civility"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// TestAuthorisationRows walks docs/AUTHORIZATION.md's civility table: each
// row is tried by the person's community staff (own unit), their street's
// staff (the township over the community), another township's staff, a
// county department and a supervisor; each try gets fresh records.
func TestAuthorisationRows(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newFixture(t, db)
		ctx := context.Background()
		dept := fx.c.Department()
		supervisor := fx.c.Actor(20, county, access.RoleSupervisor)
		cast := []struct {
			name  string
			actor access.Actor
		}{{"own unit", fx.reviewer1}, {"township above", fx.reviewer2}, {"another township", fx.other}, {"department", dept}, {"supervisor", supervisor}}
		fresh := func() civility.Entry { return fx.uncivil() }
		storeID, err := fx.s.AddStore(ctx, access.System, "仙楼社区积分超市", fx.c.Unit(community).ID, false)
		if err != nil {
			t.Fatal(err)
		}
		goods, err := fx.s.AddGoods(ctx, access.System, storeID, "肥皂", 10, 100)
		if err != nil {
			t.Fatal(err)
		}
		card, err := fx.s.IssueCard(ctx, access.System, fx.resident, "112233", true)
		if err != nil {
			t.Fatal(err)
		}
		rows := []struct {
			what  string
			try   func(a access.Actor) error
			allow []string
		}{
			{"save an item", func(a access.Actor) error {
				_, err := fx.s.SaveItem(ctx, a, civility.Item{Code: "P-ROW", Name: "行", Kind: civility.Positive, Points: 1, ValidityDays: 1})
				return err
			}, nil},
			{"record an entry", func(a access.Actor) error {
				_, err := fx.s.Record(ctx, a, civility.NewEntry{ItemCode: "N-LITTER", PersonID: fx.resident, Source: civility.SourcePatrol,
					Place: "南门", OccurredAt: fx.c.Now.Add(-1), Evidence: "照片"})
				return err
			}, []string{"own unit", "township above"}},
			{"review an entry", func(a access.Actor) error {
				_, err := fx.s.Review(ctx, a, fresh().ID, true, "属实")
				return err
			}, []string{"own unit", "township above"}},
			{"read an entry", func(a access.Actor) error {
				_, err := fx.s.Entry(ctx, a, fresh().ID)
				return err
			}, []string{"own unit", "township above"}},
			{"list entries", func(a access.Actor) error {
				_, err := fx.s.Entries(ctx, a, civility.Filter{})
				return err
			}, []string{"own unit", "township above", "another township"}},
			{"receive an appeal", func(a access.Actor) error {
				e := fresh()
				mustReview(t, fx, e.ID)
				_, err := fx.s.Appeal(ctx, a, e.ID, "不是本人")
				return err
			}, []string{"own unit", "township above"}},
			{"issue a card", func(a access.Actor) error {
				_, err := fx.s.IssueCard(ctx, a, fx.c.Person("居民丙", community, "resident", ""), "123456", true)
				return err
			}, []string{"own unit", "township above"}},
			{"look up a card", func(a access.Actor) error {
				_, err := fx.s.AccountByCard(ctx, a, card)
				return err
			}, []string{"own unit", "township above", "another township"}},
			{"redeem at the counter", func(a access.Actor) error {
				_, err := fx.s.Redeem(ctx, a, storeID, goods, card, 1)
				if kindOf(err) == store.ErrInvalid {
					return nil // allowed, refused for the balance
				}
				return err
			}, []string{"own unit", "township above"}},
			{"read figures", func(a access.Actor) error {
				_, err := fx.s.Figures(ctx, a, "village")
				return err
			}, []string{"own unit", "township above", "another township", "department", "supervisor"}},
		}
		for _, r := range rows {
			for _, c := range cast {
				err := r.try(c.actor)
				allowed := false
				for _, n := range r.allow {
					allowed = allowed || n == c.name
				}
				switch {
				case allowed && err != nil:
					t.Errorf("%s as %s: %v, want allowed", r.what, c.name, err)
				case !allowed && kindOf(err) != store.ErrForbidden:
					t.Errorf("%s as %s: %v, want 403", r.what, c.name, err)
				}
			}
		}
	})
}
