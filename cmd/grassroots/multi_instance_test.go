package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
	"grassroots/internal/webhook"
)

// hookReceiver is a webhook receiver in the test process: it checks each
// signature, counts every request by delivery id (X-Grassroots-Delivery),
// and processes each delivery once, as a receiver should (it dedupes on the
// header). While slow, it takes its time over each request, so that the
// instances hold their leases for a while, and a batch outlasts its lease.
type hookReceiver struct {
	*httptest.Server
	secret atomic.Pointer[string]
	slow   atomic.Int64 // nanoseconds each request takes
	mu     sync.Mutex
	got    map[string]int // delivery id → requests received
	done   map[string]string
	bad    []string
}

func newHookReceiver(t *testing.T) *hookReceiver {
	rc := &hookReceiver{got: map[string]int{}, done: map[string]string{}}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		id := r.Header.Get(webhook.HeaderDelivery)
		rc.mu.Lock()
		rc.got[id]++
		if s := rc.secret.Load(); s != nil {
			if err := webhook.Verify(*s, r.Header.Get(webhook.HeaderTimestamp), r.Header.Get(webhook.HeaderSignature), body, time.Now(), 5*time.Minute); err != nil {
				rc.bad = append(rc.bad, id+": "+err.Error())
			}
		}
		if _, seen := rc.done[id]; !seen {
			rc.done[id] = r.Header.Get(webhook.HeaderEvent)
		}
		rc.mu.Unlock()
		time.Sleep(time.Duration(rc.slow.Load()))
		fmt.Fprint(w, "ok")
	}))
	t.Cleanup(rc.Close)
	return rc
}

// TestSeveralInstancesFireOnce runs three servers on one PostgreSQL schema
// with a webhook endpoint in the test process, makes every case's signing
// deadline pass at once while the cases' webhook deliveries are still being
// sent (the receiver is slow), and kills one server with SIGKILL in the
// middle of the sweep while it holds deliveries it is sending. It checks
// that every warning, overdue mark and escalation happened exactly once (the
// timers all fired, the killed server's half-done work taken over by the
// others), and that every delivery was written once, ends delivered with
// one successful attempt, and reached the receiver, twice only when the
// killed server had it in flight (the receiver dedupes on the delivery id).
//
// GRASSROOTS_MULTI_CASES sets the number of cases (60 by default: about
// 10 s).
func TestSeveralInstancesFireOnce(t *testing.T) {
	dsn := storetest.PostgresURL(t)
	ctx := context.Background()
	// A short lease: deliveries the killed server held are sent by another
	// 3 s later; requests are cut at 1.5 s.
	d := newDeployment(t, dsn, "GRASSROOTS_SWEEP_INTERVAL=400ms", "GRASSROOTS_WEBHOOK_INTERVAL=100ms", "GRASSROOTS_WEBHOOK_LEASE=3s")
	first := d.start()
	if _, err := d.cli("user", "add", "--username", "multi.dept", "--password", "multi-dept-password", "--name", "城管承办人",
		"--unit", "350722D003", "--role", "department"); err != nil {
		t.Fatal(err)
	}
	rc := newHookReceiver(t)
	// Slower than the cases come in: a backlog of deliveries builds up,
	// so that every instance is sending one when the victim dies.
	rc.slow.Store(int64(time.Second))
	secret, err := d.cli("webhook", "add", "--url", rc.URL, "--events", strings.Join(webhook.Events, ","), "--description", "multi-instance test")
	if err != nil {
		t.Fatal(err)
	}
	secret = strings.TrimSpace(secret)
	rc.secret.Store(&secret)
	// The server to kill names its database connections, so that the test
	// can see when it is in the middle of a sweep, and sweeps more often
	// than the others (every 100 ms, they every 400 ms), so that it takes
	// part in the sweep before they have done it all.
	victimApp := fmt.Sprintf("grassroots-multi-victim-%d", rand.Int64())
	dv := *d
	dv.dsn = withApplicationName(d.dsn, victimApp)
	instances := []*instance{first, dv.start("GRASSROOTS_SWEEP_INTERVAL=100ms"), d.start()}
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
	// Firing a timer writes the case's events; while the test holds the
	// events table, every sweep claims its batch of timers and waits there,
	// mid-transaction, so the victim is caught sweeping however loaded the
	// machine is (without the hold, the others could sweep everything
	// before it looks).
	hold, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Close()
	holdTx, err := hold.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer holdTx.Rollback()
	if _, err := holdTx.ExecContext(ctx, `LOCK TABLE case_events IN EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	// Every signing deadline (warning and due) passes now.
	res, err := db.Exec(ctx, `UPDATE timers SET due_at = ? WHERE fired_at IS NULL AND kind IN ('sign_warn', 'sign_due')`, time.Now().Add(-time.Second).UnixMilli())
	if err != nil {
		t.Fatal(err)
	}
	due, _ := res.RowsAffected()
	if due != int64(2*cases) {
		t.Fatalf("%d signing timers, want %d", due, 2*cases)
	}
	// Kill the second server in the middle of its sweep (its transaction
	// holds timers) while it is sending deliveries it holds leases on.
	victim := hostname() + ":" + strconv.Itoa(instances[1].cmd.Process.Pid)
	heldBy := func() []string {
		rows, err := db.Query(ctx, `SELECT uid FROM webhook_deliveries WHERE status = 'pending' AND lease_owner = ? AND lease_until > ?`, victim, time.Now().UnixMilli())
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var uids []string
		for rows.Next() {
			var uid string
			rows.Scan(&uid)
			uids = append(uids, uid)
		}
		return uids
	}
	// sweeping: timers are still due and the victim has a transaction open
	// on them.
	sweeping := func() bool {
		var locks, pending int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
			WHERE a.application_name = ? AND l.locktype = 'relation' AND l.relation = 'timers'::regclass`, victimApp).Scan(&locks); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM timers WHERE fired_at IS NULL AND kind IN ('sign_warn', 'sign_due')`).Scan(&pending); err != nil {
			t.Fatal(err)
		}
		return locks > 0 && pending > 0
	}
	for wait := time.Now().Add(20 * time.Second); !sweeping() || len(heldBy()) == 0; time.Sleep(2 * time.Millisecond) {
		if time.Now().After(wait) {
			t.Fatalf("instance %s was never caught sweeping while it held a delivery\n%s", victim, instances[1].logs.String())
		}
	}
	instances[1].kill()
	var pendingAtKill int
	db.QueryRow(ctx, `SELECT COUNT(*) FROM timers WHERE fired_at IS NULL AND kind IN ('sign_warn', 'sign_due')`).Scan(&pendingAtKill)
	held := heldBy()
	if len(held) == 0 {
		t.Fatal("the killed instance held no delivery when it died: nothing was in flight")
	}
	// The others go on with their batches, and take over the victim's.
	if err := holdTx.Commit(); err != nil {
		t.Fatal(err)
	}
	// The receiver stays slow a while longer, past the lease: a live
	// instance must not send what its lapsed lease gave another.
	time.AfterFunc(4*time.Second, func() { rc.slow.Store(0) })

	deadline := time.Now().Add(60 * time.Second)
	for {
		var pending, undelivered int
		db.QueryRow(ctx, `SELECT COUNT(*) FROM timers WHERE fired_at IS NULL AND kind IN ('sign_warn', 'sign_due') AND due_at <= ?`, time.Now().UnixMilli()).Scan(&pending)
		db.QueryRow(ctx, `SELECT COUNT(*) FROM webhook_deliveries WHERE status <> 'delivered'`).Scan(&undelivered)
		if pending == 0 && undelivered == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 60s: %d signing timers still pending, %d deliveries not delivered\n%s", pending, undelivered, instances[0].logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Exactly once: per case one warning and one overdue mark, each timer's
	// events once, every fired timer with its events.
	rows, err := db.Query(ctx, `SELECT c.no,
		(SELECT COUNT(*) FROM case_events e WHERE e.case_id = c.id AND e.action = 'warn'),
		(SELECT COUNT(*) FROM case_events e WHERE e.case_id = c.id AND e.action = 'overdue'),
		(SELECT COUNT(*) FROM case_events e WHERE e.case_id = c.id AND e.action = 'escalate'),
		(SELECT COUNT(*) FROM webhook_deliveries d WHERE d.case_id = c.id AND d.event = 'case.created')
		FROM cases c WHERE c.source = 'multitest'`)
	if err != nil {
		t.Fatal(err)
	}
	n, escalations := 0, 0
	for rows.Next() {
		var no string
		var warn, overdue, escalate, created int
		if err := rows.Scan(&no, &warn, &overdue, &escalate, &created); err != nil {
			t.Fatal(err)
		}
		n++
		escalations += escalate
		if warn != 1 || overdue != 1 || escalate > 1 {
			t.Errorf("%s: %d warnings, %d overdue marks, %d escalations; want 1, 1, at most 1", no, warn, overdue, escalate)
		}
		if created != 1 {
			t.Errorf("%s: %d case.created deliveries in the outbox, want 1", no, created)
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

	// Deliveries: each outbox row delivered once, with one successful
	// attempt, and received; a second receipt only of what the killed
	// instance had in flight.
	outbox := map[string]string{}
	drows, err := db.Query(ctx, `SELECT d.uid, d.event, d.status,
		(SELECT COUNT(*) FROM webhook_attempts a WHERE a.delivery_id = d.id AND a.status_code BETWEEN 200 AND 299)
		FROM webhook_deliveries d`)
	if err != nil {
		t.Fatal(err)
	}
	for drows.Next() {
		var uid, event, status string
		var ok int
		if err := drows.Scan(&uid, &event, &status, &ok); err != nil {
			t.Fatal(err)
		}
		outbox[uid] = event
		if status != webhook.StatusDelivered || ok != 1 {
			t.Errorf("delivery %s (%s): %s with %d successful attempts, want delivered with 1", uid, event, status, ok)
		}
	}
	drows.Close()
	rc.mu.Lock()
	defer rc.mu.Unlock()
	inFlight := map[string]bool{}
	for _, uid := range held {
		inFlight[uid] = true
	}
	twice := 0
	for uid, event := range outbox {
		switch times := rc.got[uid]; {
		case times == 0:
			t.Errorf("delivery %s (%s) never received", uid, event)
		case times > 1 && !inFlight[uid]:
			t.Errorf("delivery %s (%s) received %d times, and the killed instance did not hold it", uid, event, times)
		case times > 2:
			t.Errorf("delivery %s (%s) received %d times", uid, event, times)
		case times == 2:
			twice++
		}
		if rc.done[uid] != event {
			t.Errorf("delivery %s processed as %q, want %q", uid, rc.done[uid], event)
		}
	}
	for uid := range rc.got {
		if _, ok := outbox[uid]; !ok {
			t.Errorf("received %q, which is not in the outbox", uid)
		}
	}
	if len(rc.bad) > 0 {
		t.Errorf("bad signatures: %v", rc.bad)
	}
	if len(outbox) < cases {
		t.Errorf("%d deliveries in the outbox, want at least %d", len(outbox), cases)
	}
	t.Logf("%d cases, %d timers fired once across %d instances (one killed mid-sweep), %d escalations; "+
		"%d deliveries each processed once by the receiver, %d held by the killed instance, %d of them received twice; %d timers were pending at the kill",
		cases, due, byInstances, escalations, len(outbox), len(held), twice, pendingAtKill)
}

// withApplicationName names the connections a server opens with dsn.
func withApplicationName(dsn, name string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn
	}
	q := u.Query()
	q.Set("application_name", name)
	u.RawQuery = q.Encode()
	return u.String()
}

func hostname() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "unknown"
	}
	return h
}
