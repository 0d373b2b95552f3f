package timers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// t0 is the sweeps' "now".
var t0 = time.Date(2026, 10, 13, 8, 0, 0, 0, time.UTC)

// withLog adds the table the test handlers write to: one row per firing,
// with a unique key so that a double firing fails loudly.
func withLog(t *testing.T, db *store.DB) {
	t.Helper()
	if _, err := db.Exec(context.Background(), `CREATE TABLE fired_log (timer_id BIGINT PRIMARY KEY, kind TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
}

func logFiring(ctx context.Context, tx *store.Tx, tm Timer) error {
	_, err := tx.Exec(ctx, `INSERT INTO fired_log (timer_id, kind) VALUES (?, ?)`, tm.ID, tm.Kind)
	return err
}

func count(t *testing.T, db *store.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func schedule(t *testing.T, db *store.DB, ts ...Timer) []int64 {
	t.Helper()
	var ids []int64
	err := db.InTx(context.Background(), func(tx *store.Tx) error {
		for _, tm := range ts {
			id, err := Schedule(context.Background(), tx, tm)
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestFireOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		withLog(t, db)
		ids := schedule(t, db,
			Timer{Kind: "sign_due", CaseID: 1, DueAt: t0.Add(-time.Hour), Payload: `{"a":1}`},
			Timer{Kind: "handle_due", CaseID: 1, AssignmentID: 7, DueAt: t0},
			Timer{Kind: "handle_due", CaseID: 2, DueAt: t0.Add(time.Minute)},
		)
		var calls atomic.Int32
		var got Timer
		s := NewSweeper(db, quiet, "test-1")
		for _, k := range []string{"sign_due", "handle_due"} {
			s.Handle(k, func(ctx context.Context, tx *store.Tx, tm Timer) error {
				calls.Add(1)
				if tm.ID == ids[0] {
					got = tm
				}
				return logFiring(ctx, tx, tm)
			})
		}
		fired, err := s.SweepOnce(ctx, t0)
		if err != nil || fired != 2 {
			t.Fatalf("SweepOnce = %d, %v; want 2 fired", fired, err)
		}
		if got.Kind != "sign_due" || got.CaseID != 1 || got.Payload != `{"a":1}` || !got.DueAt.Equal(t0.Add(-time.Hour)) {
			t.Errorf("handler saw %+v", got)
		}
		if fired, err := s.SweepOnce(ctx, t0); err != nil || fired != 0 {
			t.Errorf("second sweep = %d, %v; want nothing fired", fired, err)
		}
		if calls.Load() != 2 || count(t, db, `SELECT COUNT(*) FROM fired_log`) != 2 {
			t.Errorf("handlers ran %d times, log has %d rows; want 2", calls.Load(), count(t, db, `SELECT COUNT(*) FROM fired_log`))
		}
		all, err := ForCase(ctx, db, 1)
		if err != nil || len(all) != 2 {
			t.Fatalf("ForCase = %v, %v", all, err)
		}
		for _, tm := range all {
			if tm.Pending() || tm.FiredBy != "test-1" {
				t.Errorf("timer %d: fired_at %v by %q", tm.ID, tm.FiredAt, tm.FiredBy)
			}
		}
		if all[1].AssignmentID != 7 {
			t.Errorf("assignment id = %d, want 7", all[1].AssignmentID)
		}
		pending, err := Pending(ctx, db, 2)
		if err != nil || len(pending) != 1 || pending[0].ID != ids[2] {
			t.Errorf("Pending(case 2) = %v, %v", pending, err)
		}
		// Later, the third one comes due.
		if fired, err := s.SweepOnce(ctx, t0.Add(time.Minute)); err != nil || fired != 1 {
			t.Errorf("sweep a minute later = %d, %v; want 1", fired, err)
		}
	})
}

func TestHandlerErrorLeavesTimerPending(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		withLog(t, db)
		ids := schedule(t, db,
			Timer{Kind: "flaky", CaseID: 1, DueAt: t0},
			Timer{Kind: "panics", CaseID: 1, DueAt: t0},
			Timer{Kind: "fine", CaseID: 1, DueAt: t0},
		)
		failing := true
		s := NewSweeper(db, quiet, "test")
		s.Handle("flaky", func(ctx context.Context, tx *store.Tx, tm Timer) error {
			// The write is undone with the failure.
			if err := logFiring(ctx, tx, tm); err != nil {
				return err
			}
			if failing {
				return errors.New("supervising unit unknown")
			}
			return nil
		})
		s.Handle("panics", func(ctx context.Context, tx *store.Tx, tm Timer) error {
			if err := logFiring(ctx, tx, tm); err != nil {
				return err
			}
			if failing {
				panic("boom")
			}
			return nil
		})
		s.Handle("fine", logFiring)
		fired, err := s.SweepOnce(ctx, t0)
		if err != nil || fired != 1 {
			t.Fatalf("SweepOnce = %d, %v; want only the good timer fired", fired, err)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM fired_log`); n != 1 {
			t.Errorf("fired_log has %d rows; the failed handlers' writes must be undone", n)
		}
		pending, err := Pending(ctx, db, 1)
		if err != nil || len(pending) != 2 {
			t.Fatalf("Pending = %v, %v; want the two failed timers", pending, err)
		}
		for _, tm := range pending {
			if tm.Attempts != 1 || tm.LastError == "" {
				t.Errorf("timer %d (%s): attempts %d, last error %q", tm.ID, tm.Kind, tm.Attempts, tm.LastError)
			}
		}
		// Not retried at once, even in the same sweep's time...
		if fired, _ := s.SweepOnce(ctx, t0.Add(30*time.Second)); fired != 0 {
			t.Errorf("retried within the delay: %d fired", fired)
		}
		// ...but after the delay, and once the cause is fixed they fire.
		if fired, _ := s.SweepOnce(ctx, t0.Add(time.Minute)); fired != 0 {
			t.Errorf("still failing, yet %d fired", fired)
		}
		pending, _ = Pending(ctx, db, 1)
		if len(pending) != 2 || pending[0].Attempts != 2 {
			t.Errorf("after the second failure: %+v", pending)
		}
		failing = false
		if fired, err := s.SweepOnce(ctx, t0.Add(time.Hour)); err != nil || fired != 2 {
			t.Errorf("after the fix = %d, %v; want 2", fired, err)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM fired_log`); n != 3 || len(ids) != 3 {
			t.Errorf("fired_log has %d rows, want 3", n)
		}
	})
}

func TestCancel(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		withLog(t, db)
		schedule(t, db,
			Timer{Kind: "sign_warn", CaseID: 1, AssignmentID: 10, DueAt: t0},
			Timer{Kind: "sign_due", CaseID: 1, AssignmentID: 10, DueAt: t0},
			Timer{Kind: "sign_due", CaseID: 1, AssignmentID: 11, DueAt: t0},
			Timer{Kind: "revisit_due", CaseID: 1, DueAt: t0},
			Timer{Kind: "sign_due", CaseID: 2, DueAt: t0},
		)
		cancel := func(caseID, assignmentID int64, kinds ...string) {
			t.Helper()
			if err := db.InTx(ctx, func(tx *store.Tx) error { return Cancel(ctx, tx, caseID, assignmentID, kinds...) }); err != nil {
				t.Fatal(err)
			}
		}
		kinds := func(caseID int64) string {
			ps, err := Pending(ctx, db, caseID)
			if err != nil {
				t.Fatal(err)
			}
			var out string
			for _, p := range ps {
				out += fmt.Sprintf("%s/%d ", p.Kind, p.AssignmentID)
			}
			return out
		}
		cancel(1, 10, "sign_warn", "sign_due")
		if got := kinds(1); got != "sign_due/11 revisit_due/0 " {
			t.Errorf("after cancelling assignment 10's sign timers: %q", got)
		}
		cancel(1, 0, "revisit_due")
		if got := kinds(1); got != "sign_due/11 " {
			t.Errorf("after cancelling the revisit: %q", got)
		}
		cancel(1, 0)
		if got := kinds(1); got != "" {
			t.Errorf("after cancelling all of case 1: %q", got)
		}
		s := NewSweeper(db, quiet, "test")
		for _, k := range []string{"sign_warn", "sign_due", "revisit_due"} {
			s.Handle(k, logFiring)
		}
		if fired, err := s.SweepOnce(ctx, t0.Add(time.Hour)); err != nil || fired != 1 {
			t.Errorf("SweepOnce = %d, %v; want only case 2's timer", fired, err)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM fired_log`); n != 1 {
			t.Errorf("cancelled timers fired: log has %d rows", n)
		}
		// Cancelling after firing keeps the record of what happened.
		cancel(2, 0)
		if all, _ := ForCase(ctx, db, 2); len(all) != 1 || all[0].Pending() {
			t.Errorf("fired timer removed by Cancel: %+v", all)
		}
	})
}

func TestUnhandledKindStaysPending(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		schedule(t, db, Timer{Kind: "future_kind", CaseID: 1, DueAt: t0})
		s := NewSweeper(db, quiet, "test")
		if fired, err := s.SweepOnce(ctx, t0); err != nil || fired != 0 {
			t.Errorf("no handlers: %d, %v", fired, err)
		}
		s.Handle("other", logFiring)
		if fired, err := s.SweepOnce(ctx, t0); err != nil || fired != 0 {
			t.Errorf("other handler: %d, %v", fired, err)
		}
		if p, _ := Pending(ctx, db, 1); len(p) != 1 || p[0].Attempts != 0 {
			t.Errorf("Pending = %+v, want the timer untouched", p)
		}
	})
}

// TestHandlerSQLError checks that a failed statement in a handler (which
// aborts a PostgreSQL transaction) spoils neither the batch nor the others.
func TestHandlerSQLError(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		withLog(t, db)
		schedule(t, db, Timer{Kind: "bad_sql", CaseID: 1, DueAt: t0.Add(-time.Minute)}, Timer{Kind: "fine", CaseID: 2, DueAt: t0})
		s := NewSweeper(db, quiet, "test")
		s.Handle("bad_sql", func(ctx context.Context, tx *store.Tx, tm Timer) error {
			_, err := tx.Exec(ctx, `INSERT INTO no_such_table (x) VALUES (1)`)
			return err
		})
		s.Handle("fine", logFiring)
		if fired, err := s.SweepOnce(ctx, t0); err != nil || fired != 1 {
			t.Fatalf("SweepOnce = %d, %v; want the good timer fired", fired, err)
		}
		if p, _ := Pending(ctx, db, 1); len(p) != 1 || p[0].Attempts != 1 || p[0].LastError == "" {
			t.Errorf("failed timer = %+v", p)
		}
	})
}

func TestHandleDefault(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		withLog(t, db)
		schedule(t, db, Timer{Kind: "handle_warn", CaseID: 1, DueAt: t0}, Timer{Kind: "special", CaseID: 1, DueAt: t0})
		var special, other int
		s := NewSweeper(db, quiet, "test")
		s.Handle("special", func(ctx context.Context, tx *store.Tx, tm Timer) error { special++; return logFiring(ctx, tx, tm) })
		s.HandleDefault(func(ctx context.Context, tx *store.Tx, tm Timer) error { other++; return logFiring(ctx, tx, tm) })
		if fired, err := s.SweepOnce(ctx, t0); err != nil || fired != 2 || special != 1 || other != 1 {
			t.Errorf("SweepOnce = %d, %v; special %d, default %d", fired, err, special, other)
		}
	})
}

func TestScheduleRefuses(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		for _, tm := range []Timer{{CaseID: 1, DueAt: t0}, {Kind: "x", DueAt: t0}, {Kind: "x", CaseID: 1}} {
			err := db.InTx(context.Background(), func(tx *store.Tx) error { _, err := Schedule(context.Background(), tx, tm); return err })
			if !errors.Is(err, store.ErrInvalid) {
				t.Errorf("Schedule(%+v) = %v, want invalid", tm, err)
			}
		}
	})
}

func TestRunOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		withLog(t, db)
		runs := 0
		fn := func(ctx context.Context, tx *store.Tx) error {
			runs++
			_, err := tx.Exec(ctx, `INSERT INTO fired_log (timer_id, kind) VALUES (?, 'summary')`, runs)
			return err
		}
		if ran, err := RunOnce(ctx, db, "daily_summary", "2026-11-26", fn); err != nil || !ran {
			t.Fatalf("first run = %v, %v", ran, err)
		}
		if ran, err := RunOnce(ctx, db, "daily_summary", "2026-11-26", fn); err != nil || ran {
			t.Errorf("second run of the same period = %v, %v; want skipped", ran, err)
		}
		if ran, err := RunOnce(ctx, db, "daily_summary", "2026-11-27", fn); err != nil || !ran {
			t.Errorf("next period = %v, %v", ran, err)
		}
		// A failed run records nothing and is tried again.
		boom := errors.New("boom")
		if _, err := RunOnce(ctx, db, "daily_summary", "2026-11-28", func(context.Context, *store.Tx) error { return boom }); !errors.Is(err, boom) {
			t.Errorf("failing run = %v", err)
		}
		if ran, err := RunOnce(ctx, db, "daily_summary", "2026-11-28", fn); err != nil || !ran {
			t.Errorf("run after a failure = %v, %v", ran, err)
		}
		if runs != 3 || count(t, db, `SELECT COUNT(*) FROM jobs_runs`) != 3 {
			t.Errorf("runs = %d, jobs_runs = %d; want 3 and 3", runs, count(t, db, `SELECT COUNT(*) FROM jobs_runs`))
		}
	})
}

// TestRace has two sweepers on two connections pools to one database (two
// instances) race over 200 due timers: each must fire exactly once.
func TestRace(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db1 *store.DB) {
		ctx := context.Background()
		db2, err := store.Open(ctx, db1.DSN)
		if err != nil {
			t.Fatal(err)
		}
		defer db2.Close()
		withLog(t, db1)
		const n = 200
		ts := make([]Timer, n)
		for i := range ts {
			ts[i] = Timer{Kind: "handle_due", CaseID: int64(i + 1), DueAt: t0.Add(-time.Duration(i) * time.Second)}
		}
		schedule(t, db1, ts...)
		var total atomic.Int64
		var runs [2]atomic.Int64
		var wg sync.WaitGroup
		for i, db := range []*store.DB{db1, db2} {
			s := NewSweeper(db, quiet, fmt.Sprintf("instance-%d", i))
			s.Handle("handle_due", func(ctx context.Context, tx *store.Tx, tm Timer) error {
				runs[i].Add(1)
				return logFiring(ctx, tx, tm)
			})
			for range 2 { // two sweeps at once per instance, too
				wg.Go(func() {
					for range 5 {
						fired, err := s.SweepOnce(ctx, t0)
						if err != nil {
							t.Error(err)
							return
						}
						total.Add(int64(fired))
					}
				})
			}
		}
		wg.Wait()
		if got := total.Load(); got != n {
			t.Errorf("sweepers report %d fired, want %d", got, n)
		}
		if got := count(t, db1, `SELECT COUNT(*) FROM fired_log`); got != n {
			t.Errorf("fired_log has %d rows, want %d", got, n)
		}
		if got := count(t, db1, `SELECT COUNT(*) FROM timers WHERE fired_at IS NULL OR attempts > 0`); got != 0 {
			t.Errorf("%d timers unfired or failed (a double firing fails on fired_log's key)", got)
		}
		t.Logf("instance 0 ran %d handlers, instance 1 ran %d", runs[0].Load(), runs[1].Load())
	})
}

// TestRun checks the loop fires what comes due and stops with its context.
func TestRun(t *testing.T) {
	db := storetest.SQLite(t)
	withLog(t, db)
	schedule(t, db, Timer{Kind: "k", CaseID: 1, DueAt: time.Now().Add(-time.Second)})
	s := NewSweeper(db, quiet, "")
	s.Handle("k", logFiring)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.Run(ctx, 10*time.Millisecond) }()
	deadline := time.Now().Add(5 * time.Second)
	for count(t, db, `SELECT COUNT(*) FROM fired_log`) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("Run did not fire the due timer")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop with its context")
	}
	if s.Instance() == "" {
		t.Error("no instance id")
	}
}

func TestRetryDelay(t *testing.T) {
	for _, tc := range []struct {
		attempts int
		want     time.Duration
	}{{1, time.Minute}, {2, 2 * time.Minute}, {4, 8 * time.Minute}, {7, time.Hour}, {50, time.Hour}} {
		if got := retryDelay(tc.attempts); got != tc.want {
			t.Errorf("retryDelay(%d) = %v, want %v", tc.attempts, got, tc.want)
		}
	}
}

// BenchmarkSweep measures how fast one sweeper fires due timers whose
// handler does one write, on each engine.
func BenchmarkSweep(b *testing.B) {
	const n = 2000
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			var db *store.DB
			if engine == "sqlite" {
				db = storetest.SQLite(b)
			} else {
				db = storetest.Postgres(b)
			}
			ctx := context.Background()
			if _, err := db.Exec(ctx, `CREATE TABLE fired_log (timer_id BIGINT PRIMARY KEY, kind TEXT NOT NULL)`); err != nil {
				b.Fatal(err)
			}
			s := NewSweeper(db, quiet, "bench")
			s.Handle("handle_due", logFiring)
			var total time.Duration
			for b.Loop() {
				b.StopTimer()
				err := db.InTx(ctx, func(tx *store.Tx) error {
					for i := range n {
						if _, err := Schedule(ctx, tx, Timer{Kind: "handle_due", CaseID: int64(i + 1), DueAt: t0}); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				start := time.Now()
				fired, err := s.SweepOnce(ctx, t0)
				total += time.Since(start)
				if err != nil || fired != n {
					b.Fatalf("SweepOnce = %d, %v", fired, err)
				}
			}
			b.ReportMetric(float64(n*b.N)/total.Seconds(), "timers/s")
		})
	}
}
