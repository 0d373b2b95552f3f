package main

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/stats"
	"grassroots/internal/store"
)

// TestCrashNothingLost drives intake and case actions over HTTP from several
// goroutines, kills the server with SIGKILL at random moments, restarts it,
// and checks that nothing the server acknowledged is lost, every timeline is
// whole, every deadline timer exists once and the figures count each case
// once. On PostgreSQL one round cuts the server's database connections
// instead of killing it (the server must reconnect and lose nothing).
//
// GRASSROOTS_CRASH_ROUNDS sets the number of kills (5 by default; see
// docs/RELIABILITY.md for the long run).
func TestCrashNothingLost(t *testing.T) {
	rounds := envInt("GRASSROOTS_CRASH_ROUNDS", 5)
	eachEngine(t, func(t *testing.T, dsn string) {
		postgres := store.IsPostgres(dsn)
		if postgres {
			// Name the server's connections so that only they are cut.
			u, _ := url.Parse(dsn)
			q := u.Query()
			q.Set("application_name", fmt.Sprintf("grassroots-crash-%d", rand.Int64()))
			u.RawQuery = q.Encode()
			dsn = u.String()
		}
		d := newDeployment(t, dsn)
		in := d.start()
		if _, err := d.cli("user", "add", "--username", "crash.dept", "--password", "crash-dept-password", "--name", "城管承办人",
			"--unit", "350722D003", "--role", "department"); err != nil {
			t.Fatal(err)
		}
		intake, dept := newClient(d.token("admin")), newClient(d.token("crash.dept"))

		var current atomic.Value
		current.Store(in.url)
		base := func() string { return current.Load().(string) }
		l := newLedger()
		ctx, stop := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for g := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				hotlineWorker(ctx, base, intake, dept, l, fmt.Sprintf("r%d-w%d", rand.IntN(1e6), g), "350722D003")
			}()
		}
		crashes, cuts := 0, 0
		for round := range rounds {
			time.Sleep(time.Duration(300+rand.IntN(900)) * time.Millisecond)
			if postgres && round == rounds/2 {
				l.mu.Lock()
				before := l.writes
				l.mu.Unlock()
				cutConnections(t, dsn)
				cuts++
				// The server must reconnect and go on acknowledging writes.
				for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
					l.mu.Lock()
					after := l.writes
					l.mu.Unlock()
					if after > before+4 {
						break
					}
					if time.Now().After(deadline) {
						t.Fatalf("no write acknowledged within 15s of cutting the database connections:\n%s", in.logs.String())
					}
				}
				continue
			}
			in.kill()
			crashes++
			time.Sleep(time.Duration(rand.IntN(100)) * time.Millisecond)
			in = d.start()
			current.Store(in.url)
		}
		time.Sleep(300 * time.Millisecond)
		stop()
		wg.Wait()
		in.kill()
		crashes++

		db, err := store.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		checkNothingLost(t, db, l)
		t.Logf("%s: %d writes acknowledged (%d cases), %d requests unanswered, %d kills, %d connection cuts: nothing lost",
			db.Dialect, l.writes, len(l.cases), l.lost, crashes, cuts)
		if len(l.cases) < rounds {
			t.Errorf("only %d cases acknowledged over %d rounds: the load did not run", len(l.cases), rounds)
		}
	})
}

// cutConnections terminates the server's PostgreSQL backends (those named by
// the DSN's application_name), as a database restart would.
func cutConnections(t *testing.T, dsn string) {
	t.Helper()
	u, _ := url.Parse(dsn)
	app := u.Query().Get("application_name")
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var n int
	err = admin.QueryRow(`SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name = $1`, app).Scan(&n)
	if err != nil {
		t.Fatalf("terminate backends: %v", err)
	}
	t.Logf("terminated %d server connections", n)
}

// checkNothingLost compares the database with what the server acknowledged.
func checkNothingLost(t *testing.T, db *store.DB, l *ledger) {
	t.Helper()
	ctx := context.Background()
	// Every acknowledged intake is there, under the acknowledged number.
	for ext, no := range l.cases {
		var got string
		err := db.QueryRow(ctx, `SELECT no FROM cases WHERE source = 'crashtest' AND external_id = ?`, ext).Scan(&got)
		if err != nil || got != no {
			t.Errorf("acknowledged case %s (%s): found %q, %v", ext, no, got, err)
		}
	}
	var total, distinct int
	db.QueryRow(ctx, `SELECT COUNT(*), COUNT(DISTINCT external_id) FROM cases WHERE source = 'crashtest'`).Scan(&total, &distinct)
	if total != distinct || total < len(l.cases) {
		t.Errorf("%d cases for %d external ids (%d acknowledged): intake is not idempotent", total, distinct, len(l.cases))
	}
	// Every timeline is whole: it starts with receive, runs in time order,
	// holds each acknowledged action once, and ends in the case's status.
	type ev struct {
		at                   int64
		action, from, status string
	}
	rows, err := db.Query(ctx, `SELECT c.no, c.status, e.at, e.action, e.from_status, e.to_status FROM cases c JOIN case_events e ON e.case_id = c.id
		WHERE c.source = 'crashtest' ORDER BY c.id, e.id`)
	if err != nil {
		t.Fatal(err)
	}
	events := map[string][]ev{}
	status := map[string]string{}
	for rows.Next() {
		var no string
		var e ev
		var st string
		if err := rows.Scan(&no, &st, &e.at, &e.action, &e.from, &e.status); err != nil {
			t.Fatal(err)
		}
		events[no] = append(events[no], e)
		status[no] = st
	}
	rows.Close()
	if len(status) != total {
		t.Errorf("%d cases have events, %d cases exist: a case without a timeline", len(status), total)
	}
	for no, evs := range events {
		if evs[0].action != "receive" {
			t.Errorf("%s: timeline starts with %q", no, evs[0].action)
		}
		seen := map[string]int{}
		last := ""
		for i, e := range evs {
			seen[e.action]++
			if i > 0 && e.at < evs[i-1].at {
				t.Errorf("%s: event %s before the previous one", no, e.action)
			}
			if e.status != "" {
				if last != "" && e.from != "" && e.from != last {
					t.Errorf("%s: %s from %q but the case was %q", no, e.action, e.from, last)
				}
				last = e.status
			}
		}
		if last != status[no] {
			t.Errorf("%s: status %q but the timeline ends in %q", no, status[no], last)
		}
		if status[no] != "received" && seen["dispatch"] != 1 {
			t.Errorf("%s: %s with %d dispatch events", no, status[no], seen["dispatch"])
		}
		for _, a := range []string{"sign", "answer"} {
			if seen[a] > 1 {
				t.Errorf("%s: %d %s events", no, seen[a], a)
			}
		}
		for _, a := range l.actions[no] {
			if seen[a] != 1 {
				t.Errorf("%s: acknowledged %s is not in the timeline", no, a)
			}
		}
	}
	// Every deadline timer exists once: no two pending timers of one kind
	// for one part, and each open case has the timer its state needs.
	var dup int
	db.QueryRow(ctx, `SELECT COUNT(*) FROM (SELECT case_id FROM timers WHERE fired_at IS NULL
		GROUP BY case_id, COALESCE(assignment_id, 0), kind HAVING COUNT(*) > 1) x`).Scan(&dup)
	if dup > 0 {
		t.Errorf("%d deadline timers exist more than once", dup)
	}
	want := map[string]string{"dispatched": "sign_due", "in_hand": "handle_due", "answered": "revisit_due"}
	rows, err = db.Query(ctx, `SELECT c.no, c.status, (SELECT COUNT(*) FROM timers t WHERE t.case_id = c.id AND t.fired_at IS NULL AND t.kind = CASE c.status
		WHEN 'dispatched' THEN 'sign_due' WHEN 'in_hand' THEN 'handle_due' WHEN 'answered' THEN 'revisit_due' ELSE '' END)
		FROM cases c WHERE c.source = 'crashtest'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var no, st string
		var n int
		if err := rows.Scan(&no, &st, &n); err != nil {
			t.Fatal(err)
		}
		if kind, ok := want[st]; ok && n != 1 {
			t.Errorf("%s (%s): %d pending %s timers, want 1", no, st, n, kind)
		}
	}
	rows.Close()
	// The figures count each case once, and the per-unit rows add up.
	from, to := time.Now().Add(-24*time.Hour), time.Now().Add(24*time.Hour)
	b, err := stats.RatesByChild(ctx, db, access.System, "350722000000", stats.DefaultFlow, from, to, stats.DefaultWeights())
	if err != nil {
		t.Fatal(err)
	}
	var answered, dispatched int
	db.QueryRow(ctx, `SELECT COUNT(*) FROM cases WHERE answered_at IS NOT NULL`).Scan(&answered)
	db.QueryRow(ctx, `SELECT COUNT(DISTINCT case_id) FROM assignments WHERE role = 'lead'`).Scan(&dispatched)
	c := b.Total.Counts
	if c.Cases != total || c.Answered != answered || c.Dispatched != dispatched {
		t.Errorf("figures count %d cases, %d dispatched, %d answered; the database holds %d, %d, %d", c.Cases, c.Dispatched, c.Answered, total, dispatched, answered)
	}
	var sum stats.Counts
	for _, r := range b.Rows {
		sum.Cases += r.Counts.Cases
		sum.Answered += r.Counts.Answered
	}
	if sum.Cases != c.Cases || sum.Answered != c.Answered {
		t.Errorf("per-unit rows add up to %d cases, %d answered; the total says %d, %d", sum.Cases, sum.Answered, c.Cases, c.Answered)
	}
}
