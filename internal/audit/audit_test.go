package audit

import (
	"context"
	"errors"
	"testing"

	"grassroots/internal/access"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

func TestChainDetectsTampering(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		actor := access.Actor{UserID: 0, Username: "admin"}
		for i, name := range []string{"南浦街道", "仙阳镇", "水北街镇"} {
			err := db.InTx(ctx, func(tx *store.Tx) error {
				return Write(ctx, tx, Entry{Actor: actor, Action: "unit.rename", Entity: "unit", EntityID: "u" + string(rune('0'+i)), Before: map[string]string{"name": "x"}, After: map[string]string{"name": name}})
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		// On PostgreSQL the entries wait for the chainer; their content is
		// checked all the same.
		rep, err := VerifyAgainst(ctx, db, nil)
		if err != nil || rep.Entries+rep.Unchained != 3 || (db.Dialect == store.Postgres) != (rep.Unchained == 3) {
			t.Fatalf("VerifyAgainst = %+v, %v; want 3 entries (waiting on PostgreSQL)", rep, err)
		}
		if _, err := Chain(ctx, db); err != nil {
			t.Fatal(err)
		}
		n, err := Verify(ctx, db)
		if err != nil || n != 3 {
			t.Fatalf("Verify = %d, %v; want 3, nil", n, err)
		}
		if _, err := db.Exec(ctx, `UPDATE audit_log SET after_json = ? WHERE id = (SELECT MIN(id) FROM audit_log) + 1`, `{"name":"改过"}`); err != nil {
			t.Fatal(err)
		}
		_, err = Verify(ctx, db)
		var broken *ErrBroken
		if !errors.As(err, &broken) {
			t.Fatalf("Verify after tampering = %v, want ErrBroken", err)
		}
		if broken.Reason == "" || broken.ID == 0 {
			t.Errorf("broken = %+v", broken)
		}
	})
}
