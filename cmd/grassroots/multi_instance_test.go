package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// TestSeveralInstancesFireOnce runs three servers on one PostgreSQL schema,
// makes every case's signing deadline pass at once, kills one server with
// SIGKILL in the middle of the sweep, and checks that every warning,
// overdue mark and escalation happened exactly once (and that the timers all
// fired, the killed server's half-done work taken over by the others).
func TestSeveralInstancesFireOnce(t *testing.T) {
	dsn := storetest.PostgresURL(t)
	ctx := context.Background()
	d := newDeployment(t, dsn, "GRASSROOTS_SWEEP_INTERVAL=100ms")
	first := d.start()
	if _, err := d.cli("user", "add", "--username", "multi.dept", "--password", "multi-dept-password", "--name", "城管承办人",
		"--unit", "350722D003", "--role", "department"); err != nil {
		t.Fatal(err)
	}
	instances := []*instance{first, d.start(), d.start()}
	admin := newClient(d.token("admin"))
	cases := envInt("GRASSROOTS_MULTI_CASES", 60)
	for i := range cases {
		in := instances[i%len(instances)]
		body := map[string]any{"flow": "hotline", "request_type": "complaint", "title": fmt.Sprintf("噪音扰民 %d", i), "source": "multitest",
			"external_id": fmt.Sprintf("m-%d", i), "reporter_phone": "13800001111", "place_unit": "350722001000", "dispatch": "350722D003"}
		if _, err := admin.do(ctx, "POST", in.url+"/api/v1/cases", body, nil); err != nil {
			t.Fatal(err)
		}
	}
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// Every signing deadline (warning and due) passes now.
	res, err := db.Exec(ctx, `UPDATE timers SET due_at = ? WHERE fired_at IS NULL AND kind IN ('sign_warn', 'sign_due')`, time.Now().Add(-time.Second).UnixMilli())
	if err != nil {
		t.Fatal(err)
	}
	due, _ := res.RowsAffected()
	if due != int64(2*cases) {
		t.Fatalf("%d signing timers, want %d", due, 2*cases)
	}
	time.Sleep(time.Duration(20+rand.IntN(150)) * time.Millisecond)
	instances[1].kill()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var pending int
		db.QueryRow(ctx, `SELECT COUNT(*) FROM timers WHERE fired_at IS NULL AND kind IN ('sign_warn', 'sign_due') AND due_at <= ?`, time.Now().UnixMilli()).Scan(&pending)
		if pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d signing timers still pending after 60s\n%s", pending, instances[0].logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Exactly once: per case one warning and one overdue mark, each timer's
	// events once, every fired timer with its events.
	rows, err := db.Query(ctx, `SELECT c.no,
		(SELECT COUNT(*) FROM case_events e WHERE e.case_id = c.id AND e.action = 'warn'),
		(SELECT COUNT(*) FROM case_events e WHERE e.case_id = c.id AND e.action = 'overdue'),
		(SELECT COUNT(*) FROM case_events e WHERE e.case_id = c.id AND e.action = 'escalate')
		FROM cases c WHERE c.source = 'multitest'`)
	if err != nil {
		t.Fatal(err)
	}
	n, escalations := 0, 0
	for rows.Next() {
		var no string
		var warn, overdue, escalate int
		if err := rows.Scan(&no, &warn, &overdue, &escalate); err != nil {
			t.Fatal(err)
		}
		n++
		escalations += escalate
		if warn != 1 || overdue != 1 || escalate > 1 {
			t.Errorf("%s: %d warnings, %d overdue marks, %d escalations; want 1, 1, at most 1", no, warn, overdue, escalate)
		}
	}
	rows.Close()
	if n != cases {
		t.Errorf("%d cases, want %d", n, cases)
	}
	var orphans, byInstances int
	db.QueryRow(ctx, `SELECT COUNT(*) FROM timers t WHERE t.kind IN ('sign_warn', 'sign_due') AND t.fired_at IS NOT NULL
		AND NOT EXISTS (SELECT 1 FROM case_events e WHERE e.timer_id = t.id)`).Scan(&orphans)
	if orphans > 0 {
		t.Errorf("%d timers marked fired without their events", orphans)
	}
	db.QueryRow(ctx, `SELECT COUNT(DISTINCT fired_by) FROM timers WHERE fired_at IS NOT NULL`).Scan(&byInstances)
	t.Logf("%d cases, %d timers fired once across %d instances (one killed mid-sweep), %d escalations", cases, due, byInstances, escalations)
}
