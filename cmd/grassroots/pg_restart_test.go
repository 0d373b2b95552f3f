package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// envPGRestart enables TestPostgresRestart, which restarts the whole
// PostgreSQL cluster and so must run alone (CI runs it as its own step after
// the test suite).
const envPGRestart = "GRASSROOTS_TEST_PG_RESTART"

// TestPostgresRestart restarts the real PostgreSQL cluster while
// `grassroots serve` runs under load (intake, sign and answer from four
// goroutines, as in TestCrashNothingLost). Requests during the outage may
// fail and are then not acknowledged; the server must recover without being
// restarted itself, acknowledge writes again within 20 s of PostgreSQL being
// back, lose nothing it acknowledged, and report itself ready.
func TestPostgresRestart(t *testing.T) {
	if os.Getenv(envPGRestart) != "1" {
		t.Skipf("restarts the PostgreSQL cluster, so it must run alone: set %s=1 (CI runs it as a separate step after make test)", envPGRestart)
	}
	ctlPath, err := exec.LookPath("pg_ctlcluster")
	if err != nil {
		t.Skip("pg_ctlcluster not found: this test restarts a Debian-style PostgreSQL cluster")
	}
	version := clusterVersion(t)
	dsn := storetest.PostgresURL(t)
	u, _ := url.Parse(dsn)
	schema := u.Query().Get("search_path")

	d := newDeployment(t, dsn)
	in := d.start()
	if _, err := d.cli("user", "add", "--username", "restart.dept", "--password", "restart-dept-password", "--name", "城管承办人",
		"--unit", "350722D003", "--role", "department"); err != nil {
		t.Fatal(err)
	}
	intake, dept := newClient(d.token("admin")), newClient(d.token("restart.dept"))
	base := func() string { return in.url }
	l := newLedger()
	writes := func() int {
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.writes
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hotlineWorker(ctx, base, intake, dept, l, fmt.Sprintf("pgr%d-w%d", rand.IntN(1e6), g), "350722D003")
		}()
	}
	// Watch /readyz through the restart: it should say so while the
	// database is away.
	var notReady atomic.Int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		hc := &http.Client{Timeout: 5 * time.Second}
		for ctx.Err() == nil {
			if res, err := hc.Get(in.url + "/readyz"); err == nil {
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					notReady.Add(1)
				}
			}
			select {
			case <-ctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()

	// Load before the restart.
	for deadline := time.Now().Add(20 * time.Second); writes() < 20; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("only %d writes acknowledged in 20s before the restart:\n%s", writes(), in.logs.String())
		}
	}
	before := writes()
	restartAt := time.Now()
	cmd := exec.Command(ctlPath, "--skip-systemctl-redirect", version, "main", "restart")
	out, err := cmd.CombinedOutput()
	// Whatever happens next, leave PostgreSQL running for what follows.
	t.Cleanup(func() { waitPostgres(t, dsn, 60*time.Second) })
	if err != nil {
		t.Fatalf("pg_ctlcluster %s main restart: %v\n%s", version, err, out)
	}
	t.Logf("pg_ctlcluster %s main restart took %v (%d writes acknowledged before it)", version, time.Since(restartAt).Round(time.Millisecond), before)
	waitPostgres(t, dsn, 60*time.Second)
	backAt := time.Now()

	// It really restarted: the postmaster started after we asked.
	check, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer check.Close()
	var started time.Time
	if err := check.QueryRow(`SELECT pg_postmaster_start_time()`).Scan(&started); err != nil {
		t.Fatal(err)
	}
	if started.Before(restartAt.Add(-time.Second)) {
		t.Fatalf("PostgreSQL started at %v, before the restart at %v: it did not restart", started, restartAt)
	}
	// The restart dropped the connection holding the test schema's claim:
	// claim it again so that no other test reuses it meanwhile.
	claim, err := check.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer claim.Close()
	var ok bool
	if err := claim.QueryRowContext(context.Background(), `SELECT pg_try_advisory_lock(hashtext($1))`, schema).Scan(&ok); err != nil || !ok {
		t.Fatalf("claim test schema %s again after the restart: %v (taken: %v)", schema, err, !ok)
	}

	// The same server process must go on acknowledging writes.
	atBack := writes()
	for deadline := backAt.Add(20 * time.Second); writes() < atBack+10; time.Sleep(50 * time.Millisecond) {
		select {
		case <-in.done:
			t.Fatalf("the server exited during the PostgreSQL restart:\n%s", in.logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no writes acknowledged within 20s of PostgreSQL being back (%d before the restart, %d at its end, %d now):\n%s",
				before, atBack, writes(), tail(in.logs.String(), 4000))
		}
	}
	recovered := time.Since(backAt)
	time.Sleep(time.Second)
	stop()
	wg.Wait()

	// Ready, without having been restarted.
	select {
	case <-in.done:
		t.Fatalf("the server exited:\n%s", in.logs.String())
	default:
	}
	res, err := http.Get(in.url + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "ready") {
		t.Errorf("/readyz after the restart = %d %q", res.StatusCode, body)
	}
	// The load met the outage: requests failed or /readyz said not ready.
	failed := strings.Count(in.logs.String(), `"api request failed"`)
	if failed == 0 && notReady.Load() == 0 {
		t.Errorf("no request failed and /readyz never said not ready: the load did not meet the outage")
	}
	in.kill()

	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	checkNothingLost(t, db, l)
	t.Logf("PostgreSQL %s restarted under load: %d writes acknowledged (%d cases; %d before the restart, %d while pg_ctlcluster ran), %d requests unanswered, %d failed by the server, %d /readyz checks not ready; writes acknowledged again %v after PostgreSQL was back; nothing lost",
		version, l.writes, len(l.cases), before, atBack-before, l.lost, failed, notReady.Load(), recovered.Round(time.Millisecond))
}

// clusterVersion is the PostgreSQL version of the local cluster, from
// /etc/postgresql (the first one when there are several).
func clusterVersion(t *testing.T) string {
	t.Helper()
	entries, err := os.ReadDir("/etc/postgresql")
	if err != nil || len(entries) == 0 {
		t.Skipf("no cluster in /etc/postgresql (%v): nothing to restart", err)
	}
	return entries[0].Name()
}

// waitPostgres waits until PostgreSQL answers at dsn.
func waitPostgres(t *testing.T, dsn string, timeout time.Duration) {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := db.PingContext(ctx)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("PostgreSQL not back within %v: %v", timeout, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// tail is the end of s, at most n bytes.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}
