package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/pii"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// withKey gives the process a fresh audit key for the test.
func withKey(t *testing.T) []byte {
	t.Helper()
	key, err := pii.ParseKey(pii.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	if err := SetKey(key); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { SetKey(nil) })
	return key
}

// writeN appends n entries in one transaction and chains them (on
// PostgreSQL they are written unchained: Chain links them, as the server's
// chainer does).
func writeN(t *testing.T, db *store.DB, n int) {
	t.Helper()
	ctx := context.Background()
	err := db.InTx(ctx, func(tx *store.Tx) error {
		for i := range n {
			if err := Write(ctx, tx, Entry{Actor: access.System, Action: "unit.rename", Entity: "unit", EntityID: strconv.Itoa(i),
				Before: map[string]string{"name": "旧名"}, After: map[string]string{"name": fmt.Sprintf("南浦街道%d", i)}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Chain(ctx, db); err != nil {
		t.Fatal(err)
	}
}

// checkpoint has a Checkpointer write the head to path and returns the
// file's checkpoints.
func checkpoint(t *testing.T, c *Checkpointer) []Checkpoint {
	t.Helper()
	if _, err := c.Step(context.Background()); err != nil {
		t.Fatal(err)
	}
	cps, err := ReadCheckpoints(c.Path)
	if err != nil {
		t.Fatal(err)
	}
	return cps
}

func wantBroken(t *testing.T, err error, kind Kind) *ErrBroken {
	t.Helper()
	var b *ErrBroken
	if !errors.As(err, &b) || b.Kind != kind {
		t.Fatalf("verify = %v; want a %s report", err, kind)
	}
	if b.Reason == "" {
		t.Errorf("no reason: %+v", b)
	}
	return b
}

// recomputeUnkeyed rewrites every entry's links and hashes with the
// unkeyed scheme, as somebody with the database but not the key can.
func recomputeUnkeyed(t *testing.T, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	recs, err := List(ctx, db, "", "", 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	prev := genesis
	for i := len(recs) - 1; i >= 0; i-- {
		r := recs[i]
		r.PrevHash = prev
		r.Hash = r.computeHash()
		if _, err := db.Exec(ctx, `UPDATE audit_log SET prev_hash = ?, hash = ? WHERE id = ?`, r.PrevHash, r.Hash, r.ID); err != nil {
			t.Fatal(err)
		}
		prev = r.Hash
	}
}

func TestCleanTrailIsIntact(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		withKey(t)
		c := &Checkpointer{DB: db, Path: filepath.Join(t.TempDir(), "checkpoints.jsonl")}
		writeN(t, db, 60)
		checkpoint(t, c)
		if wrote, err := c.Step(ctx); wrote || err != nil {
			t.Errorf("Step with the head unmoved = %v, %v; want no line", wrote, err)
		}
		writeN(t, db, 5)
		cps := checkpoint(t, c)
		if len(cps) != 2 || cps[0].Count != 60 || cps[1].Count != 65 {
			t.Fatalf("checkpoints = %+v; want counts 60 and 65", cps)
		}
		writeN(t, db, 3) // after the last checkpoint: fine
		rep, err := VerifyAgainst(ctx, db, cps)
		if err != nil || rep.Entries != 68 || rep.Keyed != 68 || rep.Checkpoints != 2 || rep.Newest.Count != 65 {
			t.Fatalf("VerifyAgainst = %+v, %v; want 68 keyed entries against 2 checkpoints", rep, err)
		}
	})
}

func TestDeletedTailIsReported(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		withKey(t)
		c := &Checkpointer{DB: db, Path: filepath.Join(t.TempDir(), "checkpoints.jsonl")}
		writeN(t, db, 80)
		cps := checkpoint(t, c)
		if _, err := db.Exec(ctx, `DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log ORDER BY id DESC LIMIT 50)`); err != nil {
			t.Fatal(err)
		}
		if n, err := Verify(ctx, db); err != nil || n != 30 {
			t.Fatalf("the chain alone = %d, %v; the rest of it is intact", n, err)
		}
		_, err := VerifyAgainst(ctx, db, cps)
		b := wantBroken(t, err, MissingTail)
		if b.Entries != 30 || b.Checkpoint.Count != 80 || !strings.Contains(b.Error(), "last 50 entries were removed") {
			t.Errorf("report = %+v (%v)", b, b)
		}
		// The server's next checkpoint says so in the log.
		if _, err := c.Step(ctx); err == nil || !strings.Contains(err.Error(), "removed or rewritten") {
			t.Errorf("Step after the deletion = %v; want a warning", err)
		}
	})
}

func TestDeletedTrailIsReported(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		withKey(t)
		c := &Checkpointer{DB: db, Path: filepath.Join(t.TempDir(), "checkpoints.jsonl")}
		writeN(t, db, 12)
		cps := checkpoint(t, c)
		if _, err := db.Exec(ctx, `DELETE FROM audit_log`); err != nil {
			t.Fatal(err)
		}
		_, err := VerifyAgainst(ctx, db, cps)
		b := wantBroken(t, err, MissingTail)
		if b.Entries != 0 || b.ID != 0 || b.Checkpoint.Count != 12 {
			t.Errorf("report = %+v", b)
		}
		if _, err := c.Step(ctx); err == nil || !strings.Contains(err.Error(), "empty") {
			t.Errorf("Step on the emptied trail = %v; want a warning", err)
		}
	})
}

func TestRecomputedChainIsReportedAsRewrite(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		withKey(t)
		c := &Checkpointer{DB: db, Path: filepath.Join(t.TempDir(), "checkpoints.jsonl")}
		writeN(t, db, 10)
		cps := checkpoint(t, c)
		if _, err := db.Exec(ctx, `UPDATE audit_log SET after_json = ? WHERE id = (SELECT MIN(id) FROM audit_log) + 2`, `{"name":"改过"}`); err != nil {
			t.Fatal(err)
		}
		if _, err := VerifyAgainst(ctx, db, cps); err == nil {
			t.Fatal("an edit without recomputing passed")
		}
		recomputeUnkeyed(t, db)
		if n, err := Verify(ctx, db); err != nil || n != 10 {
			t.Fatalf("the recomputed chain alone = %d, %v; it is consistent in itself", n, err)
		}
		_, err := VerifyAgainst(ctx, db, cps)
		b := wantBroken(t, err, Rewritten)
		if b.Entries != 10 || b.Checkpoint.Count != 10 {
			t.Errorf("report = %+v", b)
		}
	})
}

func TestKeyedChainResistsRecomputing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		withKey(t)
		writeN(t, db, 6)
		// Somebody without the key edits the third entry and recomputes from
		// it, keeping the keyed prefix; without any checkpoint.
		recs, err := List(ctx, db, "", "", 100)
		if err != nil {
			t.Fatal(err)
		}
		third := recs[len(recs)-3].ID
		prev := recs[len(recs)-3].PrevHash
		for i := len(recs) - 3; i >= 0; i-- {
			r := recs[i]
			if r.ID == third {
				r.AfterJSON = `{"name":"改过"}`
			}
			r.PrevHash = prev
			r.Hash = keyedPrefix + r.computeHash()
			if _, err := db.Exec(ctx, `UPDATE audit_log SET after_json = ?, prev_hash = ?, hash = ? WHERE id = ?`, r.AfterJSON, r.PrevHash, r.Hash, r.ID); err != nil {
				t.Fatal(err)
			}
			prev = r.Hash
		}
		_, err = Verify(ctx, db)
		if b := wantBroken(t, err, Altered); b.ID != third {
			t.Errorf("first bad entry = %d, want %d", b.ID, third)
		}
	})
}

func TestUnkeyedEntryAfterKeyedIsReported(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		key := withKey(t)
		writeN(t, db, 3)
		SetKey(nil) // a program without the audit key writes on
		if err := db.InTx(ctx, func(tx *store.Tx) error { return writeOne(ctx, tx, "keyless") }); err != nil {
			t.Fatal(err)
		}
		SetKey(key)
		_, err := Verify(ctx, db)
		wantBroken(t, err, Altered)
		// On PostgreSQL the entry waits unchained: the chainer refuses it.
		if db.Dialect == store.Postgres {
			_, err := Chain(ctx, db)
			wantBroken(t, err, Altered)
		}
	})
}

// Databases from before the audit key hold unkeyed entries: they verify
// with the old scheme, and the keyed chain goes on from the last of them.
func TestUnkeyedEntriesBeforeTheKeyVerify(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		SetKey(nil)
		writeN(t, db, 4)
		key := withKey(t)
		if err := CheckKey(ctx, db); err != nil {
			t.Fatal(err)
		}
		writeN(t, db, 4)
		rep, err := VerifyAgainst(ctx, db, nil)
		if err != nil || rep.Entries != 8 || rep.Keyed != 4 {
			t.Fatalf("VerifyAgainst = %+v, %v; want 8 entries, 4 keyed", rep, err)
		}
		// Without the key, keyed entries cannot be checked.
		SetKey(nil)
		if _, err := Verify(ctx, db); !errors.Is(err, ErrNoKey) {
			t.Errorf("Verify without the key = %v, want ErrNoKey", err)
		}
		SetKey(key)
		// Rewriting the unkeyed part breaks the first keyed entry's link.
		recs, _ := List(ctx, db, "", "", 100)
		firstKeyed := recs[3].ID
		if _, err := db.Exec(ctx, `UPDATE audit_log SET reason = 'x' WHERE id = ?`, recs[7].ID); err != nil {
			t.Fatal(err)
		}
		prev := genesis
		for i := 7; i >= 4; i-- {
			r := recs[i]
			if i == 7 {
				r.Reason = "x"
			}
			r.PrevHash = prev
			r.Hash = r.computeHash()
			db.Exec(ctx, `UPDATE audit_log SET prev_hash = ?, hash = ? WHERE id = ?`, r.PrevHash, r.Hash, r.ID)
			prev = r.Hash
		}
		_, err = Verify(ctx, db)
		if b := wantBroken(t, err, Altered); b.ID != firstKeyed {
			t.Errorf("first bad entry = %d, want the first keyed one %d", b.ID, firstKeyed)
		}
	})
}

// computeHash is the scheme entries were hashed with before the audit key.
func TestUnkeyedHashIsTheOldOne(t *testing.T) {
	r := Record{PrevHash: genesis, At: time.UnixMilli(1_700_000_000_123), UserID: 7, ActorName: "admin", Action: "unit.rename",
		Entity: "unit", EntityID: "u1", BeforeJSON: `{"name":"x"}`, AfterJSON: `{"name":"南浦街道"}`, Reason: "更正"}
	h := sha256.New()
	for _, f := range []string{r.PrevHash, "1700000000123", "7", r.ActorName, r.Action, r.Entity, r.EntityID, r.BeforeJSON, r.AfterJSON, r.Reason} {
		fmt.Fprintf(h, "%d:%s|", len(f), f)
	}
	if want := hex.EncodeToString(h.Sum(nil)); r.computeHash() != want {
		t.Errorf("computeHash = %s, want %s", r.computeHash(), want)
	}
}

func TestCheckKeyRefusesAnotherKey(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		withKey(t)
		writeN(t, db, 2)
		if err := CheckKey(ctx, db); err != nil {
			t.Fatal(err)
		}
		withKey(t) // another instance's fresh key
		if err := CheckKey(ctx, db); err == nil || !strings.Contains(err.Error(), "does not match") {
			t.Errorf("CheckKey with another key = %v", err)
		}
	})
}

func TestForgedCheckpointIsRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		withKey(t)
		path := filepath.Join(t.TempDir(), "checkpoints.jsonl")
		c := &Checkpointer{DB: db, Path: path}
		writeN(t, db, 3)
		checkpoint(t, c)
		b, _ := os.ReadFile(path)
		forged := strings.Replace(string(b), `"count":3`, `"count":2`, 1)
		os.WriteFile(path, []byte(forged+`{"count":1`), 0o600) // and a torn last line
		_, err := ReadCheckpoints(path)
		var ce *ErrCheckpoint
		if !errors.As(err, &ce) || ce.Line != 1 {
			t.Fatalf("ReadCheckpoints of a forged line = %v", err)
		}
		os.WriteFile(path, []byte(string(b)+`{"count":1`), 0o600)
		if cps, err := ReadCheckpoints(path); err != nil || len(cps) != 1 {
			t.Errorf("a torn last line: %v, %v; want it left out", cps, err)
		}
	})
}

func TestLoadKeyCreatesOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "audit.key")
	if _, err := LoadKey(path, false); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("LoadKey without create = %v", err)
	}
	k1, err := LoadKey(path, true)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := LoadKey(path, true)
	if err != nil || string(k1) != string(k2) {
		t.Fatalf("second LoadKey = %x, %v; want the same key", k2, err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file: %v %v", fi, err)
	}
}
