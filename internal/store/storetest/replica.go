package storetest

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Replica is the machine's local streaming replica of the test PostgreSQL,
// made or reused by scripts/pg-replica.sh, held by one test at a time.
type Replica struct {
	t      testing.TB
	script string
	// Port is the replica's port on 127.0.0.1.
	Port string
	// PrimaryURL is a fresh schema of the test PostgreSQL (PostgresURL);
	// URL is the same schema read on the replica.
	PrimaryURL, URL string
}

// NewReplica returns the local replica, set up (or found healthy) by
// `scripts/pg-replica.sh up`, and a fresh schema to use on it. The test has
// the replica to itself until it ends (other packages' tests wait), and at
// its end the replica is started again if stopped and its replay resumed.
// Without a PostgreSQL it skips as PostgresURL does; where a replica cannot
// be created (no postgresql-common tools, not root) it skips with the
// script's reason, except under CI (CI=true), where it fails.
func NewReplica(t testing.TB) *Replica {
	t.Helper()
	primary := PostgresURL(t)
	script, err := findScript("scripts/pg-replica.sh")
	if err != nil {
		t.Fatalf("replica set-up: %v", err)
	}
	r := &Replica{t: t, script: script, PrimaryURL: primary}

	// One test at a time uses the replica: they pause and stop it.
	admin, err := sql.Open("pgx", os.Getenv(EnvPostgres))
	if err != nil {
		t.Fatalf("open %s: %v", EnvPostgres, err)
	}
	conn, err := admin.Conn(context.Background())
	if err != nil {
		admin.Close()
		t.Fatalf("connect: %v", err)
	}
	if _, err := conn.ExecContext(context.Background(), `SELECT pg_advisory_lock(hashtext('grassroots replica test'))`); err != nil {
		t.Fatalf("claim the replica: %v", err)
	}
	t.Cleanup(func() {
		r.restore()
		conn.Close()
		admin.Close()
	})

	r.Port = r.up()
	u, err := url.Parse(primary)
	if err != nil {
		t.Fatal(err)
	}
	host, _, err := net.SplitHostPort(u.Host)
	if err != nil {
		host = u.Hostname()
	}
	u.Host = net.JoinHostPort(host, r.Port)
	r.URL = u.String()
	return r
}

// up runs the set-up and returns the replica's port.
func (r *Replica) up() string {
	r.t.Helper()
	out, err := r.run("up")
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 3 {
		if os.Getenv("CI") == "true" {
			r.t.Fatalf("CI must run the replica tests, but %s up says: %s", r.script, out)
		}
		r.t.Skipf("replica tests skipped: %s", strings.TrimSpace(out))
	}
	if err != nil {
		r.t.Fatalf("%s up: %v\n%s", r.script, err, out)
	}
	lines := strings.Fields(out)
	if len(lines) == 0 {
		r.t.Fatalf("%s up printed no port:\n%s", r.script, out)
	}
	return lines[len(lines)-1]
}

func (r *Replica) run(verb string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.script, verb)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		return stderr.String() + stdout.String(), err
	}
	return stdout.String(), nil
}

// Exec runs a statement on the replica as its superuser.
func (r *Replica) Exec(query string) error {
	db, err := sql.Open("pgx", r.URL)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.Exec(query)
	return err
}

// Pause pauses the replica's replay (pg_wal_replay_pause) and waits until it
// has paused: it stays connected and answers, and falls behind.
func (r *Replica) Pause() {
	r.t.Helper()
	if err := r.Exec(`SELECT pg_wal_replay_pause()`); err != nil {
		r.t.Fatalf("pause the replica: %v", err)
	}
	r.waitFor("replay paused", `SELECT pg_get_wal_replay_pause_state() = 'paused'`)
}

// Resume resumes the replay.
func (r *Replica) Resume() {
	r.t.Helper()
	if err := r.Exec(`SELECT pg_wal_replay_resume()`); err != nil {
		r.t.Fatalf("resume the replica: %v", err)
	}
}

// Stop stops the replica (fast shutdown).
func (r *Replica) Stop() {
	r.t.Helper()
	if out, err := r.run("stop"); err != nil {
		r.t.Fatalf("stop the replica: %v\n%s", err, out)
	}
}

// Start starts it again and waits until it streams.
func (r *Replica) Start() {
	r.t.Helper()
	r.up()
}

// restore leaves the replica running and replaying for the next test.
func (r *Replica) restore() {
	if r.Port == "" {
		return
	}
	if out, err := r.run("up"); err != nil { // starts it and resumes a paused replay
		r.t.Errorf("leave the replica running: %v\n%s", err, out)
	}
}

// waitFor polls a boolean query on the replica until it is true (bounded).
func (r *Replica) waitFor(what, query string) {
	r.t.Helper()
	db, err := sql.Open("pgx", r.URL)
	if err != nil {
		r.t.Fatal(err)
	}
	defer db.Close()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var ok bool
		err := db.QueryRow(query).Scan(&ok)
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("replica: %s not reached in 60 s (last error %v)", what, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// findScript finds a file of the repository from the test's folder up.
func findScript(rel string) (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			p := filepath.Join(dir, rel)
			if _, err := os.Stat(p); err != nil {
				return "", err
			}
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the test's folder")
		}
		dir = parent
	}
}
