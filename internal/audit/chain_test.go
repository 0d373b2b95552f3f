package audit

import (
	"context"
	"errors"
	"testing"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

func writeOne(ctx context.Context, tx *store.Tx, id string) error {
	return Write(ctx, tx, Entry{Actor: access.System, Action: "unit.rename", Entity: "unit", EntityID: id,
		Before: map[string]string{"name": "旧名"}, After: map[string]string{"name": "新名" + id}})
}

// TestWritersDoNotWaitForEachOther: on PostgreSQL an entry is written
// without locking the trail, so a writer whose transaction is still open
// does not hold up another (which commits first); the chainer links what
// has committed in the order it finds it, and the entry of the transaction
// that commits last is linked after, though its id is lower. On SQLite
// there is one writer and entries are chained as they are written.
func TestWritersDoNotWaitForEachOther(t *testing.T) {
	withKey(t)
	db := storetest.Postgres(t)
	ctx := context.Background()
	wrote, release, slowDone := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		slowDone <- db.InTx(ctx, func(tx *store.Tx) error {
			if err := writeOne(ctx, tx, "slow"); err != nil {
				return err
			}
			close(wrote)
			<-release
			return nil
		})
	}()
	<-wrote
	// With the old table lock this write would wait for slow to end: the
	// deadline turns such a wait into a failure instead of a hang.
	quick, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := db.InTx(quick, func(tx *store.Tx) error { return writeOne(quick, tx, "quick") }); err != nil {
		t.Fatalf("a second writer waited for the first: %v", err)
	}
	if n, err := Chain(ctx, db); err != nil || n != 1 {
		t.Fatalf("Chain = %d, %v; want the committed entry linked", n, err)
	}
	close(release)
	if err := <-slowDone; err != nil {
		t.Fatal(err)
	}
	rep, err := VerifyAgainst(ctx, db, nil)
	if err != nil || rep.Entries != 1 || rep.Unchained != 1 {
		t.Fatalf("verify before the second chaining = %+v, %v; want 1 chained, 1 waiting", rep, err)
	}
	if n, err := Chain(ctx, db); err != nil || n != 1 {
		t.Fatalf("Chain = %d, %v; want the late entry linked", n, err)
	}
	rep, err = VerifyAgainst(ctx, db, nil)
	if err != nil || rep.Entries != 2 || rep.Keyed != 2 || rep.Unchained != 0 {
		t.Fatalf("verify = %+v, %v; want 2 keyed entries chained", rep, err)
	}
	var first string
	if err := db.QueryRow(ctx, `SELECT entity_id FROM audit_log WHERE chain_pos = 1`).Scan(&first); err != nil || first != "quick" {
		t.Errorf("first in the chain = %q, %v; want the entry committed first", first, err)
	}
}

// TestEntryEditedBeforeItIsChained: an entry edited, or forged without the
// audit key, while it waits to be chained is not linked: Chain and verify
// both name it, and what came before stays linked.
func TestEntryEditedBeforeItIsChained(t *testing.T) {
	withKey(t)
	db := storetest.Postgres(t)
	ctx := context.Background()
	writeN(t, db, 2)
	for _, id := range []string{"a", "b"} {
		if err := db.InTx(ctx, func(tx *store.Tx) error { return writeOne(ctx, tx, id) }); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(ctx, `UPDATE audit_log SET after_json = ? WHERE entity_id = 'a'`, `{"name":"改过"}`); err != nil {
		t.Fatal(err)
	}
	var badID int64
	if err := db.QueryRow(ctx, `SELECT id FROM audit_log WHERE entity_id = 'a'`).Scan(&badID); err != nil {
		t.Fatal(err)
	}
	n, err := Chain(ctx, db)
	if b := wantBroken(t, err, Altered); b.ID != badID || n != 0 {
		t.Errorf("Chain = %d, %+v; want nothing linked and entry %d named", n, b, badID)
	}
	_, err = VerifyAgainst(ctx, db, nil)
	if b := wantBroken(t, err, Altered); b.ID != badID {
		t.Errorf("verify named entry %d, want %d", b.ID, badID)
	}
	// A row inserted by hand, with a made-up hash, is refused the same way.
	if _, err := db.Exec(ctx, `DELETE FROM audit_log WHERE entity_id = 'a'`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, `INSERT INTO audit_log (at, actor_name, action, entity, entity_id, prev_hash, hash) VALUES (?, 'x', 'user.role.add', 'user', '9', '', 'k1:00')`, time.Now().UnixMilli()); err != nil {
		t.Fatal(err)
	}
	if _, err := Chain(ctx, db); !errors.As(err, new(*ErrBroken)) {
		t.Errorf("Chain over a forged entry = %v, want it refused", err)
	}
}
