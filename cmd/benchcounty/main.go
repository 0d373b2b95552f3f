// Command benchcounty measures grassroots on a synthetic county year: it
// loads N cases (default 100,000; the full benchmark is 1,000,000) over
// Pucheng's real townships, villages and communities and the demo grids,
// then, on SQLite and on PostgreSQL in the same run, measures
//
//   - the raw database's insert rate (durable one-row transactions, and
//     batched multi-row inserts) on a scratch table,
//   - the inbox pages, the home page's counts, keyword searches and the
//     county's rates for a month, as the UI calls them,
//   - the cockpit's panels, one by one as its refresh asks for them, and its
//     first paint, for the county and the busiest township,
//   - intake over HTTP: a real `grassroots serve` on a loopback port taking
//     POST /api/v1/cases at a fixed rate (open loop), with p50 and p99,
//   - the deadline sweeper over 100,000 open deadlines, fired with the case
//     engine's real handler,
//
// and prints the results as Markdown tables (docs/PERFORMANCE.md has them).
//
// Usage:
//
//	make bench                                   # 100,000 cases
//	go run ./cmd/benchcounty --cases 1000000     # the full county year
//
// PostgreSQL is measured when --postgres (or GRASSROOTS_TEST_POSTGRES) is
// a URL; the data goes into a schema benchcounty_<N> there. The SQLite file
// is <dir>/county-<N>.db. Both are kept and reused by later runs (delete
// them, or pass --fresh, to rebuild).
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"grassroots/internal/store"
)

// options are the command's flags.
type options struct {
	cases    int
	dir      string
	postgres string
	engines  string
	rates    []float64
	duration time.Duration
	timers   int
	runs     int
	bin      string
	out      string
	fresh    bool
	skip     string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "benchcounty:", err)
		os.Exit(1)
	}
}

func envInt(key string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(key)); err == nil && v > 0 {
		return v
	}
	return def
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	var o options
	fs := flag.NewFlagSet("benchcounty", flag.ContinueOnError)
	fs.IntVar(&o.cases, "cases", envInt("GRASSROOTS_BENCH_CASES", 100000), "cases in the synthetic county year (GRASSROOTS_BENCH_CASES); the full benchmark is 1000000")
	fs.StringVar(&o.dir, "dir", filepath.Join(os.TempDir(), "grassroots-benchcounty"), "folder for the SQLite database, the server's key and logs")
	fs.StringVar(&o.postgres, "postgres", os.Getenv("GRASSROOTS_TEST_POSTGRES"), "PostgreSQL URL (default GRASSROOTS_TEST_POSTGRES); empty: SQLite only")
	fs.StringVar(&o.engines, "engines", "sqlite,postgres", "engines to measure")
	rateList := fs.String("rate", "500", "intake: cases per second posted to the API; a comma-separated list runs each in turn")
	fs.DurationVar(&o.duration, "duration", 30*time.Second, "intake: how long to post")
	fs.IntVar(&o.timers, "timers", 100000, "sweeper: open deadlines to fire")
	fs.IntVar(&o.runs, "runs", 15, "reads: timed runs of each query (after one warm-up run)")
	fs.StringVar(&o.bin, "bin", "bin/grassroots", "the grassroots binary to serve with (built with go build when missing)")
	fs.StringVar(&o.out, "out", "", "also write the results (Markdown) to this file")
	fs.BoolVar(&o.fresh, "fresh", false, "delete the databases of this size first and load them again")
	fs.StringVar(&o.skip, "skip", "", "comma-separated phases to skip: raw, reads, cockpit, intake, sweep")
	if err := fs.Parse(args); err != nil {
		return err
	}
	for _, r := range strings.Split(*rateList, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(r), 64)
		if err != nil || v <= 0 {
			return fmt.Errorf("--rate %q: want positive numbers", *rateList)
		}
		o.rates = append(o.rates, v)
	}
	if o.cases <= 0 || o.duration <= 0 {
		return errors.New("--cases and --duration must be positive")
	}
	if err := os.MkdirAll(o.dir, 0o755); err != nil {
		return err
	}
	bin, err := serverBinary(ctx, o.bin, o.dir)
	if err != nil {
		return err
	}
	var report strings.Builder
	w := io.MultiWriter(stdout, &report)
	fmt.Fprintf(w, "# benchcounty: %d cases\n\n%s\n", o.cases, machine())
	for _, engine := range strings.Split(o.engines, ",") {
		engine = strings.TrimSpace(engine)
		var dsn string
		switch engine {
		case "sqlite":
			dsn = filepath.Join(o.dir, fmt.Sprintf("county-%d.db", o.cases))
		case "postgres":
			if o.postgres == "" {
				fmt.Fprintf(w, "\n## postgres: skipped (no --postgres URL and no GRASSROOTS_TEST_POSTGRES)\n")
				continue
			}
			if dsn, err = pgSchema(ctx, o.postgres, fmt.Sprintf("benchcounty_%d", o.cases), o.fresh); err != nil {
				return err
			}
		default:
			return fmt.Errorf("unknown engine %q", engine)
		}
		if engine == "sqlite" && o.fresh {
			for _, suffix := range []string{"", "-wal", "-shm"} {
				os.Remove(dsn + suffix)
			}
		}
		if err := bench(ctx, w, engine, dsn, bin, o); err != nil {
			return fmt.Errorf("%s: %w", engine, err)
		}
	}
	if o.out != "" {
		return os.WriteFile(o.out, []byte(report.String()), 0o644)
	}
	return nil
}

// serverBinary returns the grassroots binary, building it into dir when the
// given path does not exist.
func serverBinary(ctx context.Context, bin, dir string) (string, error) {
	if _, err := os.Stat(bin); err == nil {
		return filepath.Abs(bin)
	}
	out := filepath.Join(dir, "grassroots")
	fmt.Fprintf(os.Stderr, "building %s ...\n", out)
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/grassroots")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build the server (run from the repository root, or pass --bin): %w", err)
	}
	return out, nil
}

// pgSchema makes (or, when fresh, remakes) a schema and returns the URL
// that uses it.
func pgSchema(ctx context.Context, base, schema string, fresh bool) (string, error) {
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return "", err
	}
	defer admin.Close()
	if fresh {
		if _, err := admin.ExecContext(ctx, `DROP SCHEMA IF EXISTS `+schema+` CASCADE`); err != nil {
			return "", err
		}
	}
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA IF NOT EXISTS `+schema); err != nil {
		return "", fmt.Errorf("create schema %s: %w", schema, err)
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// machine describes where the numbers were measured.
func machine() string {
	cpu := "unknown"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := "unknown"
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
				mem = fmt.Sprintf("%.1f GiB", float64(kb)/1024/1024)
			}
		}
	}
	return fmt.Sprintf("machine: %d CPUs (%s), %s memory, %s %s/%s, %s\n", runtime.NumCPU(), cpu, mem,
		runtime.Version(), runtime.GOOS, runtime.GOARCH, time.Now().UTC().Format("2006-01-02 15:04 MST"))
}

func skipped(o options, phase string) bool {
	for _, p := range strings.Split(o.skip, ",") {
		if strings.TrimSpace(p) == phase {
			return true
		}
	}
	return false
}

// bench runs every phase on one engine.
func bench(ctx context.Context, w io.Writer, engine, dsn, bin string, o options) error {
	fmt.Fprintf(w, "\n## %s\n\n", engine)
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	// As the server does when it starts: statistics for what a migration
	// just added to a kept dataset (the load below analyses in full).
	if err := db.Optimize(ctx); err != nil {
		return err
	}
	// The server's folder: its personal-data key (shared with the demo
	// data sealed here) and attachments.
	dataDir := filepath.Join(o.dir, "server-"+engine)
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return err
	}
	c, err := seedCounty(ctx, db, filepath.Join(dataDir, "grassroots.key"))
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	var have, total int
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM cases WHERE id <= ?`, o.cases).Scan(&have); err != nil {
		return err
	}
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM cases`).Scan(&total); err != nil {
		return err
	}
	switch {
	case have == o.cases:
		fmt.Fprintf(w, "dataset: %d synthetic cases over %d grids (kept from an earlier run; %d cases in all, the rest from earlier intake runs)\n\n",
			have, len(c.grids), total)
		// Earlier intake runs and sweeps rewrote many rows. A real
		// PostgreSQL's autovacuum would have cleaned up after them; where
		// it is off (as on some shared test servers) plans read dead rows
		// and a stale visibility map, and the reads measure that instead.
		if db.Dialect == store.Postgres {
			for _, t := range []string{"cases", "assignments", "case_events", "case_search", "timers", "case_figures_daily", "audit_log"} {
				if _, err := db.Exec(ctx, `VACUUM ANALYZE `+t); err != nil {
					return fmt.Errorf("vacuum %s: %w", t, err)
				}
			}
		}
	case total == 0:
		start := time.Now()
		last := time.Now()
		counts, err := loadCases(ctx, db, c, o.cases, time.Now(), func(done int) {
			if time.Since(last) > 10*time.Second {
				fmt.Fprintf(os.Stderr, "%s: loaded %d of %d cases (%s)\n", engine, done, o.cases, time.Since(start).Round(time.Second))
				last = time.Now()
			}
		})
		if err != nil {
			return fmt.Errorf("load: %w", err)
		}
		took := time.Since(start)
		fmt.Fprintf(w, "dataset: loaded %d cases, %d assignments, %d events, %d search rows, %d timers over %d grids and %d departments in %s (%.0f cases/s; %s)\n\n",
			counts["cases"], counts["assignments"], counts["events"], counts["cases"], counts["timers"], len(c.grids), len(c.departments),
			took.Round(time.Second), float64(counts["cases"])/took.Seconds(), loadMethod(engine))
	default:
		return fmt.Errorf("the database holds %d cases, %d of ids 1..%d: an interrupted load? run with --fresh", total, have, o.cases)
	}

	if !skipped(o, "raw") {
		r, err := rawInserts(ctx, db, 5*time.Second, 200000)
		if err != nil {
			return fmt.Errorf("raw inserts: %w", err)
		}
		fmt.Fprintf(w, "### Raw database insert rate (scratch table, 4 columns, 1 index)\n\n| how | rate |\n|---|---|\n")
		if engine == "sqlite" {
			fmt.Fprintf(w, "| one-row transactions, store settings (WAL, synchronous=%s) | %.0f tx/s |\n", r.Synchronous, r.Single)
			if r.SingleFullN > 0 {
				fmt.Fprintf(w, "| one-row transactions, synchronous=FULL (fsync per commit) | %.0f tx/s |\n", r.SingleFull)
			}
		} else {
			fmt.Fprintf(w, "| one-row transactions (synchronous_commit=%s) | %.0f tx/s |\n", r.CommitSyncPG, r.Single)
		}
		fmt.Fprintf(w, "| batched: 200-row INSERTs, 10,000 rows a transaction | %.0f rows/s |\n\n", r.Batched)
	}

	if !skipped(o, "reads") {
		month := lastFullMonth(time.Now())
		ts, err := readQueries(ctx, db, o.runs, month)
		if err != nil {
			return fmt.Errorf("reads: %w", err)
		}
		fmt.Fprintf(w, "### Reads (median and slowest of %d runs after a warm-up; aim < 100 ms at 1M)\n\n| what | query | median | slowest | rows | aim |\n|---|---|---|---|---|---|\n", o.runs)
		for _, t := range ts {
			fmt.Fprintf(w, "| %s | %s | %s | %s | %d | %s |\n", t.Category, t.Name, fmtDur(t.Median), fmtDur(t.Max), t.Rows, mark(t.Median, t.Aim))
		}
		fmt.Fprintln(w)
	}

	if !skipped(o, "cockpit") {
		ts, err := cockpitQueries(ctx, db, o.runs)
		if err != nil {
			return fmt.Errorf("cockpit: %w", err)
		}
		fmt.Fprintf(w, "### The cockpit (the last whole month; median and slowest of %d runs after a warm-up; CPU: this process's per run, on SQLite the database's work; aim 200 ms a panel, 1 s the first paint at 1M)\n\n| what | query | median | slowest | CPU | rows | aim |\n|---|---|---|---|---|---|---|\n", o.runs)
		for _, t := range ts {
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %d | %s |\n", t.Category, t.Name, fmtDur(t.Median), fmtDur(t.Max), fmtDur(t.CPU), t.Rows, mark(t.Median, t.Aim))
		}
		fmt.Fprintln(w)
	}

	if !skipped(o, "intake") {
		token, err := apiToken(ctx, db, c.code)
		if err != nil {
			return err
		}
		srv, err := startServer(ctx, bin, dsn, dataDir, filepath.Join(o.dir, "server-"+engine+".log"))
		if err != nil {
			return err
		}
		runID := strconv.FormatInt(time.Now().UnixNano(), 36)
		// A short warm-up (connections, caches), then the measured runs,
		// with a pause between them for the server to settle.
		_, err = runIntake(ctx, srv.base, token, c, o.rates[0], 2*time.Second, runID+"w")
		var results []intakeResult
		for i, rate := range o.rates {
			if err != nil {
				break
			}
			time.Sleep(3 * time.Second)
			var r intakeResult
			cpu := cpuTime(srv.cmd.Process.Pid)
			r, err = runIntake(ctx, srv.base, token, c, rate, o.duration, runID+"-"+strconv.Itoa(i))
			if used := cpuTime(srv.cmd.Process.Pid) - cpu; used > 0 && r.Created > 0 {
				r.ServerCPU = used / time.Duration(r.Created)
			}
			results = append(results, r)
		}
		srv.stop()
		if err != nil {
			return fmt.Errorf("intake: %w", err)
		}
		fmt.Fprintf(w, "### Intake over HTTP (POST /api/v1/cases, point routed to its grid, dispatched at intake; open loop)\n\n")
		fmt.Fprintf(w, "| target | duration | sent | created | achieved | p50 | p90 | p99 | max | server CPU per case | failed |\n|---|---|---|---|---|---|---|---|---|---|---|\n")
		for _, r := range results {
			failed := "0"
			if len(r.Failed) > 0 {
				failed = fmt.Sprint(r.Failed)
			}
			fmt.Fprintf(w, "| %.0f/s | %s | %d | %d | %.0f/s | %s | %s | %s | %s | %s | %s |\n", r.Target, r.Duration, r.Sent, r.Created,
				r.Achieved, fmtDur(r.P50), fmtDur(r.P90), fmtDur(r.P99), fmtDur(r.Max), fmtDur(r.ServerCPU), failed)
		}
		fmt.Fprintln(w)
	}

	if !skipped(o, "sweep") {
		r, err := sweep(ctx, db, o.timers)
		if err != nil {
			return fmt.Errorf("sweep: %w", err)
		}
		fmt.Fprintf(w, "### Deadline sweeper (%d deadlines over %d open parts, real case-engine handler)\n\n", o.timers, r.OpenParts)
		fmt.Fprintf(w, "| pending timers | idle sweep (none due) | fired | time | rate |\n|---|---|---|---|---|\n")
		fmt.Fprintf(w, "| %d | %s | %d | %s | %.0f timers/s |\n\n", r.Pending, fmtDur(r.Idle), r.Fired, fmtDur(r.FireTime), r.Rate)
	}
	return nil
}

func loadMethod(engine string) string {
	if engine == "postgres" {
		return "COPY, 20,000 cases a transaction"
	}
	return "200-row INSERTs, 20,000 cases a transaction"
}

// lastFullMonth is the calendar month (China time) before the one holding t.
func lastFullMonth(t time.Time) time.Time {
	z := time.FixedZone("CST", 8*3600)
	t = t.In(z)
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, z).AddDate(0, -1, 0)
}
