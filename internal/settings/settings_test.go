package settings

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/audit"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

var admin = access.Actor{UserID: 1, Username: "admin", UnitKind: "county", Roles: []access.Role{access.RoleAdmin}}

func TestSettings(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		// Defaults while nothing is stored.
		if v, err := Int(ctx, db, "casework.summary_hour", 18); err != nil || v != 18 {
			t.Errorf("Int default = %d, %v", v, err)
		}
		if v, err := String(ctx, db, "x.s", "def"); err != nil || v != "def" {
			t.Errorf("String default = %q, %v", v, err)
		}
		set := func(key, value string) {
			t.Helper()
			if err := db.InTx(ctx, func(tx *store.Tx) error { return Set(ctx, tx, admin, key, value) }); err != nil {
				t.Fatal(err)
			}
		}
		set("casework.summary_hour", "17")
		set("casework.summary_hour", "19")
		set("x.b", "yes")
		set("x.d", "90m")
		set("x.s", "文本")
		set("x.bad", "abc")
		if v, err := Int(ctx, db, "casework.summary_hour", 18); err != nil || v != 19 {
			t.Errorf("Int = %d, %v; want 19", v, err)
		}
		if v, err := Bool(ctx, db, "x.b", false); err != nil || !v {
			t.Errorf("Bool = %v, %v", v, err)
		}
		if v, err := Duration(ctx, db, "x.d", 0); err != nil || v != 90*time.Minute {
			t.Errorf("Duration = %v, %v", v, err)
		}
		if v, err := String(ctx, db, "x.s", ""); err != nil || v != "文本" {
			t.Errorf("String = %q, %v", v, err)
		}
		if v, err := Int(ctx, db, "x.bad", 7); err == nil || v != 7 {
			t.Errorf("Int of a non-integer = %d, %v; want the default and an error", v, err)
		}
		if _, err := Bool(ctx, db, "x.bad", false); err == nil {
			t.Error("Bool of a non-boolean: no error")
		}
		// Reading inside a transaction sees its own write.
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if err := Put(ctx, tx, "x.s", "in tx", "system"); err != nil {
				return err
			}
			v, err := String(ctx, tx, "x.s", "")
			if v != "in tx" {
				t.Errorf("String in tx = %q", v)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		all, err := All(ctx, db)
		if err != nil || len(all) != 5 || all[0].Key != "casework.summary_hour" || all[0].UpdatedBy != "admin" {
			t.Errorf("All = %+v, %v", all, err)
		}
		recs, err := audit.List(ctx, db, "setting", "casework.summary_hour", 10)
		if err != nil || len(recs) != 2 {
			t.Fatalf("audit of the setting = %d entries, %v; want 2", len(recs), err)
		}
		if recs[0].BeforeJSON != `"17"` || recs[0].AfterJSON != `"19"` {
			t.Errorf("audit before/after = %s/%s", recs[0].BeforeJSON, recs[0].AfterJSON)
		}
	})
}

func TestSetRefuses(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for _, tc := range []struct {
			name       string
			actor      access.Actor
			key, value string
			want       error
		}{
			{"not an admin", access.Actor{UserID: 2, Roles: []access.Role{access.RoleTownship}}, "a", "b", store.ErrForbidden},
			{"anonymous", access.Actor{}, "a", "b", store.ErrForbidden},
			{"empty key", admin, "", "b", store.ErrInvalid},
			{"spaced key", admin, " a", "b", store.ErrInvalid},
			{"long value", admin, "a", string(make([]byte, maxValue+1)), store.ErrInvalid},
		} {
			t.Run(tc.name, func(t *testing.T) {
				err := db.InTx(ctx, func(tx *store.Tx) error { return Set(ctx, tx, tc.actor, tc.key, tc.value) })
				if !errors.Is(err, tc.want) {
					t.Errorf("Set = %v, want %v", err, tc.want)
				}
			})
		}
		if all, _ := All(ctx, db); len(all) != 0 {
			t.Errorf("refused sets stored %v", all)
		}
	})
}

func TestBumpConcurrent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for range 10 {
					if err := db.InTx(ctx, func(tx *store.Tx) error { return Bump(ctx, tx, "v") }); err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		if v, err := Int(ctx, db, "v", 0); err != nil || v != 40 {
			t.Errorf("after 40 bumps v = %d, %v", v, err)
		}
	})
}
