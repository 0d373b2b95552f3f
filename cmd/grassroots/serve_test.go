package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"grassroots/internal/store/storetest"
)

// newTestApp wires the whole program on a fresh database of each engine.
func newTestApp(t *testing.T, dsn string, demo bool) (*app, *httptest.Server) {
	t.Helper()
	ctx := context.Background()
	cfg := &config{DB: dsn, Demo: demo}
	if err := parseFlags(newFlags("test", cfg), cfg, []string{"--key-file", filepath.Join(t.TempDir(), "k.key")}); err != nil {
		t.Fatal(err)
	}
	cfg.DB = dsn
	db, err := openDB(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	a, err := newApp(ctx, cfg, db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := a.setup(ctx, &out); err != nil {
		t.Fatalf("setup: %v\n%s", err, out.String())
	}
	h, err := a.handler()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return a, srv
}

func eachEngine(t *testing.T, fn func(t *testing.T, dsn string)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, filepath.Join(t.TempDir(), "g.db")) })
	t.Run("postgres", func(t *testing.T) { fn(t, storetest.PostgresURL(t)) })
}

func TestHealthReadyMetrics(t *testing.T) {
	eachEngine(t, func(t *testing.T, dsn string) {
		_, srv := newTestApp(t, dsn, false)
		for _, tc := range []struct {
			path, want string
		}{
			{"/healthz", "ok"},
			{"/readyz", "ready"},
			{"/metrics", "grassroots_http_requests_total"},
			{"/metrics", "go_sql_"},
		} {
			res, err := http.Get(srv.URL + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != 200 || !strings.Contains(string(body), tc.want) {
				t.Errorf("GET %s = %d %q, want 200 containing %q", tc.path, res.StatusCode, truncate(string(body)), tc.want)
			}
		}
	})
}

func TestSecurityHeadersAndLoginRedirect(t *testing.T) {
	_, srv := newTestApp(t, filepath.Join(t.TempDir(), "g.db"), false)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
		t.Errorf("GET / anonymous = %d to %q, want a redirect to /login", res.StatusCode, res.Header.Get("Location"))
	}
	csp := res.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP = %q", csp)
	}
	for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"} {
		if got := res.Header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
}

func TestAPIErrorsAreJSON(t *testing.T) {
	_, srv := newTestApp(t, filepath.Join(t.TempDir(), "g.db"), false)
	res, err := http.Get(srv.URL + "/api/v1/units/350722000000")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body), `"code":"unauthorized"`) {
		t.Errorf("GET without a token = %d %s, want 401 with a JSON error", res.StatusCode, body)
	}
	res, err = http.Get(srv.URL + "/api/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), `"openapi":"3.0.3"`) {
		t.Errorf("openapi.json = %d %s", res.StatusCode, truncate(string(body)))
	}
}

func TestRunPrintsUsageAndVersion(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"version"}, &out, &out); err != nil || !strings.Contains(out.String(), "grassroots") {
		t.Errorf("version: %v %q", err, out.String())
	}
	if err := run(context.Background(), []string{"nonsense"}, &out, &out); err == nil {
		t.Error("an unknown command should fail")
	}
}

func truncate(s string) string {
	if len(s) > 300 {
		return s[:300] + "..."
	}
	return s
}

// TestDebugListener: the profiler answers on a loopback address only, and
// does not serve the command line (it may hold a database password).
func TestDebugListener(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, addr := range []string{"0.0.0.0:0", ":0", "10.0.0.1:6060", "example.org:6060", "6060"} {
		if err := serveDebug(addr, log); err == nil {
			t.Errorf("GRASSROOTS_DEBUG_ADDR=%s was accepted", addr)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	if err := serveDebug(addr, log); err != nil {
		t.Fatal(err)
	}
	get := func(path string) int {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := get("/debug/pprof/goroutine?debug=1"); code != http.StatusOK {
		t.Errorf("goroutine profile: %d", code)
	}
	if code := get("/debug/pprof/cmdline"); code == http.StatusOK {
		t.Error("the command line is served")
	}
}
