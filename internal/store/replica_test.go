package store_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

func TestLSNText(t *testing.T) {
	for _, s := range []string{"0/0", "0/5C7C038", "16/B374D848", "FFFFFFFF/FFFFFFFF"} {
		l, err := store.ParseLSN(s)
		if err != nil {
			t.Fatalf("ParseLSN(%q): %v", s, err)
		}
		if l.String() != s {
			t.Errorf("ParseLSN(%q).String() = %q", s, l.String())
		}
	}
	a, _ := store.ParseLSN("1/0")
	b, _ := store.ParseLSN("0/FFFFFFFF")
	if a <= b {
		t.Errorf("1/0 (%d) should come after 0/FFFFFFFF (%d)", a, b)
	}
	for _, bad := range []string{"", "12", "x/1", "1/100000000", "/1"} {
		if _, err := store.ParseLSN(bad); err == nil {
			t.Errorf("ParseLSN(%q) accepted", bad)
		}
	}
}

// TestReplicaNeedsPostgres: SQLite has no replica; its Reader is itself.
func TestReplicaNeedsPostgres(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "r.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.AttachReplica(ctx, "postgres://postgres@127.0.0.1:1/x", store.ReplicaOptions{}); err == nil {
		t.Fatal("AttachReplica on SQLite accepted")
	}
	if r := db.Reader(store.ReplicaReads(ctx, 0)); r != store.Querier(db) {
		t.Fatalf("SQLite's Reader is %T, want the DB", r)
	}
	if lsn, err := db.WriteLSN(ctx); lsn != 0 || err != nil {
		t.Fatalf("WriteLSN without a replica = %v, %v", lsn, err)
	}
}

// TestReplicaRouting runs against a real streaming replica of the test
// PostgreSQL (scripts/pg-replica.sh, started by storetest.NewReplica):
// reads that allow it go to the replica, a write is read back at once by
// whoever names its position, a replica whose replay is paused falls out of
// use once it is behind the bound and comes back when resumed, and a
// stopped replica sends reads to the primary at once and is used again once
// it streams. Every wait is for a condition, bounded.
func TestReplicaRouting(t *testing.T) {
	rep := storetest.NewReplica(t)
	ctx := context.Background()
	open := func(maxLag time.Duration) *store.DB {
		t.Helper()
		db, err := store.Open(ctx, rep.PrimaryURL)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if err := db.AttachReplica(ctx, rep.URL, store.ReplicaOptions{MaxLag: maxLag, CheckEvery: 50 * time.Millisecond}); err != nil {
			t.Fatal(err)
		}
		return db
	}
	// loose tolerates an hour of staleness, so only read-your-writes and
	// failures send its reads to the primary; tight tolerates 300 ms.
	loose, tight := open(time.Hour), open(300*time.Millisecond)
	if _, err := loose.Exec(ctx, `CREATE TABLE replica_probe (id BIGINT PRIMARY KEY, v TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	created, err := loose.WriteLSN(ctx)
	if err != nil {
		t.Fatal(err)
	}

	anyPos := store.ReplicaReads(ctx, 0)
	onReplica := func(db *store.DB, ctx context.Context) bool {
		t.Helper()
		var rec bool
		if err := db.Reader(ctx).QueryRow(ctx, `SELECT pg_is_in_recovery()`).Scan(&rec); err != nil {
			t.Fatalf("read: %v", err)
		}
		return rec
	}
	count := func(db *store.DB, ctx context.Context) int {
		t.Helper()
		var n int
		if err := db.Reader(ctx).QueryRow(ctx, `SELECT COUNT(*) FROM replica_probe`).Scan(&n); err != nil {
			t.Fatalf("count: %v", err)
		}
		return n
	}
	waitUntil := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(90 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				s, _ := loose.ReplicaStatus()
				t.Fatalf("not reached in 90 s: %s (loose replica: %+v)", what, s)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	// Reads that allow the replica go there once it has the table;
	// unmarked contexts (background work, writes) read the primary.
	waitUntil("the replica has the table and is used", func() bool {
		return onReplica(loose, store.ReplicaReads(ctx, created)) && onReplica(tight, store.ReplicaReads(ctx, created))
	})
	if onReplica(loose, ctx) {
		t.Fatal("an unmarked context read the replica")
	}
	if n := count(loose, anyPos); n != 0 {
		t.Fatalf("replica_probe has %d rows, want 0", n)
	}

	// Read-your-writes: with replay paused, the writer's next read (its
	// position named) sees the row at once, from the primary, while a
	// reader who wrote nothing reads the stale replica.
	rep.Pause()
	if _, err := loose.Exec(ctx, `INSERT INTO replica_probe (id, v) VALUES (1, 'mine')`); err != nil {
		t.Fatal(err)
	}
	mine, err := loose.WriteLSN(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mineCtx := store.ReplicaReads(ctx, mine)
	if n := count(loose, mineCtx); n != 1 {
		t.Fatalf("the writer reads %d rows right after its write, want 1", n)
	}
	if onReplica(loose, mineCtx) {
		t.Fatal("the writer's read went to a replica that has not replayed its write")
	}
	if n := count(loose, anyPos); n != 0 || !onReplica(loose, anyPos) {
		t.Fatalf("a reader without a write: %d rows (want 0: the paused replica)", n)
	}

	// The paused replica falls behind: past 300 ms, tight reads the
	// primary; loose (an hour) still reads the replica.
	waitUntil("tight stops using the paused replica", func() bool { return !onReplica(tight, anyPos) })
	if s, _ := tight.ReplicaStatus(); s.Usable || !strings.Contains(s.Reason, "behind") {
		t.Fatalf("tight's status after the lag: %+v", s)
	}
	if n := count(tight, anyPos); n != 1 {
		t.Fatalf("tight reads %d rows from the primary, want 1", n)
	}
	if !onReplica(loose, anyPos) {
		t.Fatal("loose stopped using a replica within its bound")
	}

	// Resumed, the replica replays the write: the writer's reads go back to
	// it, and tight uses it again.
	rep.Resume()
	waitUntil("the writer reads its row from the replica", func() bool { return onReplica(loose, mineCtx) && count(loose, mineCtx) == 1 })
	waitUntil("tight uses the replica again", func() bool { return onReplica(tight, anyPos) })

	// A stopped replica: the next read still succeeds, from the primary.
	rep.Stop()
	if onReplica(loose, anyPos) {
		t.Fatal("read the replica after it stopped")
	}
	if n := count(loose, anyPos); n != 1 {
		t.Fatalf("after the replica stopped, %d rows, want 1 (from the primary)", n)
	}
	waitUntil("the checker sees the replica gone", func() bool { s, _ := loose.ReplicaStatus(); return !s.Usable })
	rep.Start()
	waitUntil("the replica is used again after it restarted", func() bool { return onReplica(loose, anyPos) && onReplica(tight, anyPos) })
	if n := count(loose, anyPos); n != 1 {
		t.Fatalf("the restarted replica has %d rows, want 1", n)
	}
	s, _ := loose.ReplicaStatus()
	if s.ReplicaReads == 0 || s.PrimaryReads == 0 {
		t.Fatalf("counters: %+v", s)
	}
}
