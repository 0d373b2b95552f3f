package org

import (
	"context"
	"errors"
	"strings"
	"testing"

	"grassroots/internal/access"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// The read API other packages use for units, in and out of a transaction.
func TestRefs(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := loaded(t, db)
		nanpu, err := RefByCode(ctx, db, " 350722001000 ")
		if err != nil || nanpu.Name != "南浦街道" || nanpu.Kind != KindStreet || !nanpu.IsTownshipLevel() {
			t.Fatalf("RefByCode(南浦街道) = %+v, %v", nanpu, err)
		}
		if byID, err := RefByID(ctx, db, nanpu.ID); err != nil || byID != nanpu {
			t.Errorf("RefByID = %+v, %v; want %+v", byID, err, nanpu)
		}
		if _, err := RefByCode(ctx, db, "999999999999"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("RefByCode of no unit: %v; want ErrNotFound", err)
		}
		county, err := CountyRef(ctx, db)
		if err != nil || county.Code != "350722000000" {
			t.Errorf("CountyRef = %+v, %v", county, err)
		}
		community, err := RefByCode(ctx, db, "350722001001")
		if err != nil {
			t.Fatal(err)
		}
		if got, ok, err := TownshipRefAbove(ctx, db, community.Path); err != nil || !ok || got.ID != nanpu.ID {
			t.Errorf("TownshipRefAbove(community) = %+v, %v, %v; want 南浦街道", got, ok, err)
		}
		if _, ok, err := TownshipRefAbove(ctx, db, county.Path); err != nil || ok {
			t.Errorf("TownshipRefAbove(county) = %v, %v; want none", ok, err)
		}
		kids, err := ChildRefs(ctx, db, nanpu.ID, KindCommunity, KindVillage)
		if err != nil || len(kids) == 0 {
			t.Fatalf("ChildRefs = %v, %v", kids, err)
		}
		for i, k := range kids {
			if k.Kind != KindCommunity && k.Kind != KindVillage || !strings.HasPrefix(k.Path, nanpu.Path) {
				t.Errorf("child %+v is not a community or village of 南浦街道", k)
			}
			if i > 0 && kids[i-1].Code >= k.Code {
				t.Errorf("children not in code order: %s before %s", kids[i-1].Code, k.Code)
			}
		}
		depts, err := RefsOfKind(ctx, db, KindDepartment)
		if err != nil || len(depts) == 0 {
			t.Fatalf("RefsOfKind(department) = %v, %v", depts, err)
		}
		towns, err := RefsOfKinds(ctx, db, []string{KindTownship, KindStreet}, 0)
		if err != nil || len(towns) < 2 {
			t.Fatalf("RefsOfKinds = %v, %v", towns, err)
		}
		if two, err := RefsOfKinds(ctx, db, []string{KindTownship, KindStreet}, 2); err != nil || len(two) != 2 {
			t.Errorf("RefsOfKinds limit 2 = %v, %v", two, err)
		}
		if named, err := RefsByName(ctx, db, "南浦街道", 2); err != nil || len(named) != 1 || named[0].ID != nanpu.ID {
			t.Errorf("RefsByName = %v, %v", named, err)
		}
		// Inside a transaction, the same reads see the transaction's rows.
		err = db.InTx(ctx, func(tx *store.Tx) error {
			if r, err := RefByID(ctx, tx, nanpu.ID); err != nil || r.Code != nanpu.Code {
				t.Errorf("RefByID in a transaction = %+v, %v", r, err)
			}
			_, err := RefByCode(ctx, tx, "nope")
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("RefByCode of no unit in a transaction: %v", err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// Pickers: the county sees the townships; a township its own subtree.
		countyActor := actorAt(t, s, "350722000000", access.RoleSupervisor)
		places, err := PlaceChoices(ctx, db, countyActor)
		if err != nil || len(places) != len(towns) {
			t.Errorf("PlaceChoices(county) = %d places, %v; want the %d townships", len(places), err, len(towns))
		}
		nanpuActor := actorAt(t, s, "350722001000", access.RoleTownship)
		places, err = PlaceChoices(ctx, db, nanpuActor)
		if err != nil || len(places) != 1+len(kids) {
			t.Errorf("PlaceChoices(南浦街道) = %d places, %v; want itself and its %d communities", len(places), err, len(kids))
		}
		choices, err := UnitChoices(ctx, db, KindDepartment)
		if err != nil || len(choices) != len(depts) || choices[0].Code != depts[0].Code {
			t.Errorf("UnitChoices(department) = %v, %v", choices, err)
		}
		if c, err := ChoiceByCode(ctx, db, nanpu.Code); err != nil || c.Name != nanpu.Name || c.Kind != KindStreet {
			t.Errorf("ChoiceByCode = %+v, %v", c, err)
		}
	})
}
