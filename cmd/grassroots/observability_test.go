package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/casework"
	"grassroots/internal/clientaddr"
	"grassroots/internal/reqinfo"
	"grassroots/internal/webhook"
)

// syncLog is a log destination the server and the test share.
type syncLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncLog) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

// records returns the JSON records logged so far.
func (s *syncLog) records(t *testing.T) []map[string]any {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(s.buf.Bytes()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", sc.Text())
		}
		out = append(out, m)
	}
	return out
}

func (s *syncLog) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// newObservedApp wires the program like newTestApp, logging JSON through
// the server's own logger (newLogger, on a file) into the returned log,
// and running setup with out.
func newObservedApp(t *testing.T, dsn string, out io.Writer, edit func(*config)) (*app, *httptest.Server, *syncLog) {
	t.Helper()
	ctx := context.Background()
	cfg := &config{}
	if err := parseFlags(newFlags("test", cfg), cfg, []string{"--key-file", filepath.Join(t.TempDir(), "k.key")}); err != nil {
		t.Fatal(err)
	}
	cfg.DB = dsn
	if edit != nil {
		edit(cfg)
	}
	db, err := openDB(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	logs := &syncLog{}
	f, err := os.CreateTemp(t.TempDir(), "log")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	// The server's logger (newLogger) adds the request id; the test's is
	// the same handler on a buffer.
	if h := newLogger("json", f).Handler(); !isRequestIDHandler(h) {
		t.Fatalf("newLogger's handler is %T, want the request-id handler", h)
	}
	a, err := newApp(ctx, cfg, db, slog.New(requestIDHandler{slog.NewJSONHandler(logs, nil)}))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.setup(ctx, out); err != nil {
		t.Fatalf("setup: %v", err)
	}
	h, err := a.handler()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return a, srv, logs
}

func isRequestIDHandler(h slog.Handler) bool {
	_, ok := h.(requestIDHandler)
	return ok
}

// scrape returns /metrics as text.
func scrape(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	res, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("GET /metrics = %d %s", res.StatusCode, truncate(string(b)))
	}
	return string(b)
}

// sample returns the value of the series name whose labels include every
// k="v" of labels (-1 when there is none).
func sample(text, name string, labels ...string) float64 {
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		key, val, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		if key != name && !strings.HasPrefix(key, name+"{") {
			continue
		}
		all := true
		for i := 0; i+1 < len(labels); i += 2 {
			if !strings.Contains(key, labels[i]+`="`+labels[i+1]+`"`) {
				all = false
			}
		}
		if all {
			v, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
			if err == nil {
				return v
			}
		}
	}
	return -1
}

// TestBusinessMetricsMove creates a case, fires its timers and fails a
// webhook, and checks that the series move: cases created by flow and
// channel, actions, timers fired, webhook outcomes and the outbox, open and
// overdue parts by township, the commit figures; and that promtool (when
// installed) accepts the scrape.
func TestBusinessMetricsMove(t *testing.T) {
	eachEngine(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		a, srv, _ := newObservedApp(t, dsn, io.Discard, nil)
		before := scrape(t, srv)
		for _, name := range []string{"grassroots_open_parts", "grassroots_overdue_parts", "grassroots_timers_due", "grassroots_timer_sweep_lag_seconds",
			"grassroots_webhook_outbox_pending", "grassroots_webhook_outbox_oldest_age_seconds", "grassroots_figures_fold_backlog",
			"grassroots_db_figures_up", "grassroots_http_writes_in_flight", "grassroots_http_writes_waiting", "grassroots_http_writes_max"} {
			if sample(before, name) < 0 {
				t.Errorf("no series %s in a fresh scrape", name)
			}
		}
		if v := sample(before, "grassroots_db_figures_up"); v != 1 {
			t.Errorf("grassroots_db_figures_up = %v, want 1", v)
		}
		if v := sample(before, "grassroots_open_parts", "township", "350722001000"); v != 0 {
			t.Errorf("open parts of 南浦街道 before any case = %v, want 0 (listed, not missing)", v)
		}

		// A failing receiver.
		var hits sync.WaitGroup
		hits.Add(1)
		var once sync.Once
		recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			once.Do(hits.Done)
			http.Error(w, "down", http.StatusInternalServerError)
		}))
		defer recv.Close()
		if _, _, err := a.webhooks.Create(ctx, access.System, webhook.NewEndpoint{URL: recv.URL, Events: []string{webhook.EventCaseCreated}}); err != nil {
			t.Fatal(err)
		}

		_, _, err := a.cases.Create(ctx, access.System, casework.NewCase{Flow: "hotline", RequestType: "help", Title: "井盖缺失",
			Channel: "phone", PlaceUnit: "350722001000", Dispatch: "350722D003"})
		if err != nil {
			t.Fatal(err)
		}
		// A case the engine refuses is not counted.
		if _, _, err := a.cases.Create(ctx, access.System, casework.NewCase{Flow: "hotline", RequestType: "help", Title: ""}); err == nil {
			t.Fatal("a case without a title was accepted")
		}
		// Its part is late once its signing deadline has passed (lateCond,
		// the inbox's 超期): put the deadline in the past.
		if _, err := a.db.Exec(ctx, `UPDATE assignments SET sign_due_at = ? WHERE unit_id = (SELECT id FROM units WHERE code = '350722D003')`,
			time.Now().Add(-time.Minute).UnixMilli()); err != nil {
			t.Fatal(err)
		}
		// Fire every timer of the case: a month on, its deadlines have all passed.
		fired, err := a.sweeper.SweepOnce(ctx, time.Now().Add(45*24*time.Hour))
		if err != nil || fired == 0 {
			t.Fatalf("sweep fired %d timers (%v), want some", fired, err)
		}
		// The outbox worker as serve runs it, until the receiver is called.
		jobs := a.integrationJobs()
		wctx, stop := context.WithCancel(ctx)
		var wg sync.WaitGroup
		for _, job := range jobs {
			wg.Add(1)
			go func() { defer wg.Done(); job(wctx) }()
		}
		hits.Wait()
		deadline := time.Now().Add(10 * time.Second)
		var after string
		for {
			// The database figures are cached; a fresh collector reads now.
			a.observers().db.mu.Lock()
			a.observers().db.last = nil
			a.observers().db.mu.Unlock()
			after = scrape(t, srv)
			if sample(after, "grassroots_webhook_deliveries_total", "target", "endpoint", "outcome", "retry") >= 1 || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		stop()
		wg.Wait()

		checks := []struct {
			name   string
			labels []string
			want   float64
		}{
			{"grassroots_cases_created_total", []string{"flow", "hotline", "channel", "phone"}, 1},
			{"grassroots_webhook_deliveries_total", []string{"target", "endpoint", "outcome", "retry"}, 1},
			{"grassroots_webhook_outbox_pending", nil, 1},
			{"grassroots_open_parts", []string{"township", "county"}, 1},
			{"grassroots_overdue_parts", []string{"township", "county"}, 1},
			{"grassroots_open_parts", []string{"township", "350722001000"}, 0},
		}
		for _, ck := range checks {
			if got := sample(after, ck.name, ck.labels...); got != ck.want {
				t.Errorf("%s%v = %v, want %v", ck.name, ck.labels, got, ck.want)
			}
		}
		if got := sample(after, "grassroots_timers_fired_total"); got < 1 {
			t.Errorf("grassroots_timers_fired_total = %v, want ≥ 1 (the sweep fired %d)", got, fired)
		}
		if got := sample(after, "grassroots_webhook_outbox_oldest_age_seconds"); got < 0 {
			t.Errorf("grassroots_webhook_outbox_oldest_age_seconds = %v", got)
		}
		if got := sample(after, "grassroots_db_commit_batch_size_count"); got < 2 {
			t.Errorf("grassroots_db_commit_batch_size_count = %v, want the commits counted", got)
		}
		if got := sample(after, "grassroots_db_commit_duration_seconds_count"); got < 2 {
			t.Errorf("grassroots_db_commit_duration_seconds_count = %v", got)
		}
		if a.db.Dialect == "sqlite" && sample(after, "grassroots_sqlite_wal_frames") < 0 {
			t.Error("no grassroots_sqlite_wal_frames on SQLite")
		}

		// The timers' warnings and overdue marks are actions of the case.
		if got := sample(after, "grassroots_case_actions_total", "flow", "hotline"); got < 1 {
			t.Errorf("grassroots_case_actions_total{flow=hotline} = %v after the timers fired, want ≥ 1", got)
		}

		if path, err := exec.LookPath("promtool"); err == nil {
			cmd := exec.Command(path, "check", "metrics")
			cmd.Stdin = strings.NewReader(after)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Errorf("promtool check metrics: %v\n%s", err, out)
			}
			t.Logf("promtool check metrics on %d series lines: ok %q", strings.Count(after, "\n"), out)
			if dump := os.Getenv("GRASSROOTS_TEST_METRICS_DUMP"); dump != "" {
				os.WriteFile(dump+"-"+string(a.db.Dialect)+".txt", []byte(after), 0o644)
			}
		} else {
			t.Log("promtool not installed: the exposition format was not checked by it")
		}
	})
}

// TestRequestIDs: every answer carries an id; a trusted proxy's is kept,
// anybody else's replaced; a malformed one is replaced even from a proxy.
func TestRequestIDs(t *testing.T) {
	res := clientaddr.Resolver{Trusted: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}
	var seen string
	h := res.Middleware(requestIDs(res, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = reqinfo.ID(r.Context())
	})))
	for _, tc := range []struct {
		name, peer, in string
		keep           bool
	}{
		{"trusted proxy", "10.1.2.3:4000", "abc-123", true},
		{"untrusted client", "203.0.113.9:4000", "abc-123", false},
		{"trusted proxy, bad id", "10.1.2.3:4000", "a b\"c", false},
		{"trusted proxy, overlong id", "10.1.2.3:4000", strings.Repeat("a", 200), false},
		{"no id", "203.0.113.9:4000", "", false},
	} {
		r := httptest.NewRequest("GET", "/x", nil)
		r.RemoteAddr = tc.peer
		if tc.in != "" {
			r.Header.Set("X-Request-Id", tc.in)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		got := w.Header().Get("X-Request-Id")
		if got == "" || got != seen {
			t.Errorf("%s: answer's id %q, context's %q", tc.name, got, seen)
		}
		if (got == tc.in) != tc.keep {
			t.Errorf("%s: id %q from %q, keep = %v", tc.name, got, tc.in, tc.keep)
		}
		if !tc.keep && len(got) != 32 {
			t.Errorf("%s: fresh id %q, want 32 hex digits", tc.name, got)
		}
	}
}

// TestAccessLog: one JSON access line per request with the request's id,
// which is also in the handler's own log line and in the answer; the user
// id of a token; never the query string.
func TestAccessLog(t *testing.T) {
	ctx := context.Background()
	a, srv, logs := newObservedApp(t, filepath.Join(t.TempDir(), "g.db"), io.Discard, nil)

	// A form posted without its CSRF token: the web layer logs the refusal.
	res, err := http.Post(srv.URL+"/login?phone=13800001111", "application/x-www-form-urlencoded", strings.NewReader("username=admin"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	id := res.Header.Get("X-Request-Id")
	if id == "" {
		t.Fatal("no X-Request-Id in the answer")
	}
	var accessLines, other int
	for _, r := range logs.records(t) {
		if r["request_id"] != id {
			continue
		}
		if r["msg"] == "request" {
			accessLines++
			// Refused before routing: the route is the outer mux's "/".
			if r["method"] != "POST" || (r["route"] != "POST /login" && r["route"] != "/") || r["status"] != float64(res.StatusCode) ||
				r["client"] != "127.0.0.1" || r["bytes"] == nil || r["duration_ms"] == nil {
				t.Errorf("access line %v", r)
			}
		} else {
			other++
		}
	}
	if accessLines != 1 || other == 0 {
		t.Errorf("request %s: %d access lines and %d others, want 1 and some:\n%s", id, accessLines, other, logs.String())
	}
	if strings.Contains(logs.String(), "13800001111") {
		t.Error("the query string reached the log")
	}

	// An API call with a token: the access line names the user.
	token, err := a.auth.CreateToken(ctx, access.System, "admin", "metrics test")
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", srv.URL+"/api/v1/cases?q=13900002222", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("X-Request-Id", "from-the-client")
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	id = res.Header.Get("X-Request-Id")
	if id == "from-the-client" {
		t.Error("an untrusted client's request id was kept")
	}
	var found bool
	for _, r := range logs.records(t) {
		if r["request_id"] == id && r["msg"] == "request" {
			found = true
			if uid, _ := r["user_id"].(float64); uid <= 0 {
				t.Errorf("API access line without the user: %v", r)
			}
			if route, _ := r["route"].(string); strings.Contains(route, "?") || !strings.HasPrefix(route, "GET /api/") {
				t.Errorf("API access line route %q", route)
			}
		}
	}
	if !found {
		t.Errorf("no access line for %s:\n%s", id, logs.String())
	}
	if strings.Contains(logs.String(), "13900002222") {
		t.Error("the API query string reached the log")
	}
}

// TestServeConsole: on a terminal or a buffer serve prints as it did; on a
// pipe (systemd, docker) its lines become log records, and the first
// administrator's password goes to a private file, not into them.
func TestServeConsole(t *testing.T) {
	var buf bytes.Buffer
	if serveConsole(&buf, "json") != io.Writer(&buf) {
		t.Error("a buffer is not printed to as is")
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	con := serveConsole(w, "json")
	if _, ok := con.(*consoleLog); !ok {
		t.Fatalf("a pipe gets %T, want log records", con)
	}
	io.WriteString(con, "grassroots dev listening on http://127.0.0.1:1 (database x)\npart")
	io.WriteString(con, "ial line\n")
	w.Close()
	out, _ := io.ReadAll(r)
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 2 {
		t.Fatalf("records %q, want 2", out)
	}
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Errorf("not JSON: %q", l)
		}
	}
	if !strings.Contains(lines[0], "listening on http://127.0.0.1:1 ") || !strings.Contains(lines[1], `"msg":"partial line"`) {
		t.Errorf("records %q", out)
	}

	// The first administrator, created with a log for standard output.
	dir := t.TempDir()
	logs := &syncLog{}
	_, _, serverLog := newObservedApp(t, filepath.Join(t.TempDir(), "g.db"), &consoleLog{log: slog.New(slog.NewJSONHandler(logs, nil))},
		func(c *config) { c.DataDir = dir })
	b, err := os.ReadFile(filepath.Join(dir, secretFileName))
	if err != nil {
		t.Fatalf("no password file: %v\n%s", err, serverLog.String())
	}
	st, _ := os.Stat(filepath.Join(dir, secretFileName))
	if st.Mode().Perm() != 0o600 {
		t.Errorf("password file mode %v, want 0600", st.Mode().Perm())
	}
	pw := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(string(b)), "首个管理员 first administrator: admin / "), " (only shown now)")
	if pw == "" || strings.Contains(pw, " ") {
		t.Fatalf("password file %q", b)
	}
	if strings.Contains(logs.String(), pw) || strings.Contains(serverLog.String(), pw) {
		t.Error("the password reached a log")
	}
	if !strings.Contains(serverLog.String(), secretFileName) {
		t.Errorf("the log does not say where the password is:\n%s", serverLog.String())
	}
}

// The demo users' passwords, like the first administrator's, go to a
// private file of the data folder when standard output is a log.
func TestDemoPasswordsNeverReachTheLog(t *testing.T) {
	dir := t.TempDir()
	logs := &syncLog{}
	_, _, serverLog := newObservedApp(t, filepath.Join(t.TempDir(), "g.db"), &consoleLog{log: slog.New(slog.NewJSONHandler(logs, nil))},
		func(c *config) { c.DataDir = dir; c.Demo = true })
	path := filepath.Join(dir, demoUsersFileName)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no demo users file: %v\n%s", err, serverLog.String())
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("demo users file mode %v, want 0600", st.Mode().Perm())
	}
	var passwords []string
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 4 && strings.HasPrefix(f[0], "demo_") {
			passwords = append(passwords, f[2])
		}
	}
	if len(passwords) < 6 {
		t.Fatalf("demo users file %q holds %d accounts", b, len(passwords))
	}
	for _, pw := range passwords {
		if strings.Contains(logs.String(), pw) || strings.Contains(serverLog.String(), pw) {
			t.Errorf("password %s reached a log", pw)
		}
	}
	if !strings.Contains(serverLog.String(), demoUsersFileName) {
		t.Errorf("the log does not say where the demo passwords are:\n%s", serverLog.String())
	}
}
