package main

import (
	"bytes"
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/pii"
)

// goFiles calls fn for every non-test Go file under the roots (relative to
// the repository), skipping the folders in skip.
func goFiles(t *testing.T, roots, skip []string, fn func(path string, src []byte)) {
	t.Helper()
	for _, root := range roots {
		err := filepath.WalkDir(filepath.Join("..", "..", root), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(filepath.Join("..", ".."), path)
			rel = filepath.ToSlash(rel)
			if d.IsDir() {
				if slices.Contains(skip, rel) {
					return filepath.SkipDir
				}
				return nil
			}
			if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			src, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			fn(rel, src)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// The program's code: the command and the internal packages, without the
// test support (storetest reads GRASSROOTS_TEST_POSTGRES and CI).
var (
	programRoots = []string{"cmd/grassroots", "internal"}
	testSupport  = []string{"internal/store/storetest"}
)

// captureStderr runs fn with os.Stderr going to a pipe, and returns what
// was written (the flag package prints --help there).
func captureStderr(t *testing.T, fn func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stderr
	os.Stderr = w
	done := make(chan []byte)
	go func() { b, _ := io.ReadAll(r); done <- b }()
	defer func() { os.Stderr = old }()
	fn()
	w.Close()
	os.Stderr = old
	return string(<-done)
}

// TestServeHelpListsEverySetting runs `grassroots serve --help` and checks
// that every GRASSROOTS_* variable the program's code mentions is in it, so
// that a new setting cannot be left out of the help; and that --help is
// not a failure.
func TestServeHelpListsEverySetting(t *testing.T) {
	var out bytes.Buffer
	var err error
	help := captureStderr(t, func() { err = run(context.Background(), []string{"serve", "--help"}, &out, &out) })
	help += out.String()
	if err != nil {
		t.Errorf("serve --help: %v", err)
	}
	name := regexp.MustCompile(`GRASSROOTS_[A-Z0-9_]*[A-Z0-9]`)
	seen := map[string]string{}
	goFiles(t, programRoots, testSupport, func(path string, src []byte) {
		for _, n := range name.FindAllString(string(src), -1) {
			if _, ok := seen[n]; !ok {
				seen[n] = path
			}
		}
	})
	if len(seen) < 20 {
		t.Fatalf("found only %d GRASSROOTS_* names in the code: %v", len(seen), seen)
	}
	for n, path := range seen {
		if !regexp.MustCompile(`\b` + n + `\b`).MatchString(help) {
			t.Errorf("%s (mentioned in %s) is not in serve --help", n, path)
		}
	}
	if t.Failed() {
		t.Logf("serve --help:\n%s", help)
	}
}

// TestEnvironmentReadInOnePlace: outside config.go, no code of the program
// reads the environment; the settings reach it through the config.
func TestEnvironmentReadInOnePlace(t *testing.T) {
	readers := map[string]bool{"Getenv": true, "LookupEnv": true, "Environ": true}
	goFiles(t, programRoots, testSupport, func(path string, src []byte) {
		if path == "cmd/grassroots/config.go" {
			return
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if x, ok := sel.X.(*ast.Ident); ok && (x.Name == "os" || x.Name == "syscall") && readers[sel.Sel.Name] {
				t.Errorf("%s: %s.%s: read the setting in cmd/grassroots/config.go and pass it in", fset.Position(sel.Pos()), x.Name, sel.Sel.Name)
			}
			return true
		})
	})
}

// TestServicesBuiltOnce: the UI and the API use the integration services
// they are given (wiring.Services, completed once), never build one per
// request.
func TestServicesBuiltOnce(t *testing.T) {
	constructors := map[string]bool{"webhook.NewService": true, "open311.NewKeys": true, "trust.NewService": true, "province.NewService": true}
	goFiles(t, []string{"internal/web", "internal/api"}, nil, func(path string, src []byte) {
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok {
				continue
			}
			ast.Inspect(fn, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				if sel, ok := call.Fun.(*ast.SelectorExpr); ok {
					if x, ok := sel.X.(*ast.Ident); ok && constructors[x.Name+"."+sel.Sel.Name] {
						t.Errorf("%s: %s calls %s.%s: take the service from Deps (built once in main)", fset.Position(call.Pos()), fn.Name.Name, x.Name, sel.Sel.Name)
					}
				}
				return true
			})
		}
	})
}

// TestConfigFromEnvironmentAndFlags: serve's settings come from the
// environment, a flag wins over its variable, an unreadable value stops the
// command naming the variable, and the secrets are read from the
// environment only.
func TestConfigFromEnvironmentAndFlags(t *testing.T) {
	key := pii.NewKey()
	for k, v := range map[string]string{
		"GRASSROOTS_SWEEP_INTERVAL": "2s", "GRASSROOTS_WRITE_QUEUE": "1.5", "GRASSROOTS_MAX_WRITES": "7",
		"GRASSROOTS_DAILY_HOUR": "0", "GRASSROOTS_DEBUG_ADDR": "127.0.0.1:6061", "GRASSROOTS_WEBHOOK_LEASE": "3m",
		"GRASSROOTS_DATA_DIR": "/srv/files", "GRASSROOTS_DEMO": "yes", "GRASSROOTS_TRUSTED_PROXIES": "127.0.0.1/32",
		"GRASSROOTS_KEY": key, "GRASSROOTS_AUDIT_KEY": "", "GRASSROOTS_ADMIN_PASSWORD": "pw from env",
	} {
		t.Setenv(k, v)
	}
	cfg := &config{}
	if err := parseFlags(serveFlags(cfg), cfg, []string{"--max-writes", "9", "--db", "x/g.db"}); err != nil {
		t.Fatal(err)
	}
	if cfg.sweepInterval() != 2*time.Second || cfg.writeQueue() != 1500*time.Millisecond || cfg.maxWrites() != 9 ||
		cfg.dailyHour() != 0 || cfg.DebugAddr != "127.0.0.1:6061" || cfg.webhookLease() != 3*time.Minute ||
		cfg.webhookInterval() != webhookInterval || cfg.auditCheckpointInterval() != defaultAuditCheckpointInterval ||
		cfg.DataDir != "/srv/files" || !cfg.Demo || len(cfg.TrustedProxies) != 1 || cfg.KeyFile != filepath.Join("x", "grassroots.key") ||
		cfg.Key != key || cfg.AuditKey != "" || cfg.AdminPassword != "pw from env" {
		t.Errorf("config = %+v", cfg)
	}
	// A config built by hand (tests) has the defaults.
	var zero *config
	if zero.sweepInterval() != defaultSweepInterval || zero.maxWrites() != defaultMaxWrites || (&config{}).dailyHour() != defaultDailyHour {
		t.Error("a zero config does not give the defaults")
	}
	for k, v := range map[string]string{"GRASSROOTS_WRITE_QUEUE": "soon", "GRASSROOTS_DAILY_HOUR": "24", "GRASSROOTS_MAX_WRITES": "0",
		"GRASSROOTS_DEMO": "maybe", "GRASSROOTS_TRUSTED_PROXIES": "nginx"} {
		t.Run(k, func(t *testing.T) {
			t.Setenv(k, v)
			cfg := &config{}
			err := parseFlags(serveFlags(cfg), cfg, nil)
			if err == nil || !strings.Contains(err.Error(), k) {
				t.Errorf("%s=%s: %v, want an error naming it", k, v, err)
			}
		})
	}
}

// TestAuditKeyFromEnvironmentWinsOverFile: GRASSROOTS_AUDIT_KEY, read into
// the config, is used instead of the audit key file.
func TestAuditKeyFromEnvironmentWinsOverFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.key")
	fromFile, err := loadAuditKey(&config{}, path, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(envAuditKey, pii.NewKey())
	cfg := &config{}
	if err := parseFlags(newFlags("test", cfg), cfg, []string{"--audit-key-file", path}); err != nil {
		t.Fatal(err)
	}
	fromEnv, err := loadAuditKey(cfg, path, true)
	if err != nil || bytes.Equal(fromEnv, fromFile) {
		t.Errorf("GRASSROOTS_AUDIT_KEY should win over the file: %v", err)
	}
	if _, err := loadAuditKey(&config{AuditKey: "not-a-key"}, path, true); err == nil || !strings.Contains(err.Error(), envAuditKey) {
		t.Errorf("a bad GRASSROOTS_AUDIT_KEY: %v", err)
	}
}

// TestUIAndAPIUseTheTrustServiceBuiltInMain: the reveal service wired once
// in main is the one the API and the UI answer with, not one built per
// request: a phone-search limit set on it (one per hour) refuses the API's
// second search, and then the UI's. On both databases.
func TestUIAndAPIUseTheTrustServiceBuiltInMain(t *testing.T) {
	eachEngine(t, func(t *testing.T, dsn string) {
		t.Setenv(envAdminPassword, "shared-trust-admin-password")
		a, srv := newTestApp(t, dsn, false)
		if a.trust == nil {
			t.Fatal("no reveal service wired")
		}
		a.trust.SetPhoneSearchLimit(1, time.Hour)
		tok, err := a.auth.CreateToken(context.Background(), access.System, "admin", "search")
		if err != nil {
			t.Fatal(err)
		}
		apiSearch := func() (int, string) {
			req, _ := http.NewRequest("POST", srv.URL+"/api/v1/cases/search", strings.NewReader(`{"phone":"13812345678"}`))
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", "application/json")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res.StatusCode, string(b)
		}
		if code, body := apiSearch(); code != http.StatusOK {
			t.Fatalf("first API search: %d %s", code, body)
		}
		if code, body := apiSearch(); code != http.StatusForbidden || !strings.Contains(body, "最多1次") {
			t.Errorf("second API search: %d %s; want the limit of the service built in main", code, body)
		}

		// The UI, signed in as the same administrator.
		jar, _ := cookiejar.New(nil)
		client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		csrf := func(path string) string {
			res, err := client.Get(srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(string(b))
			if m == nil {
				t.Fatalf("no CSRF token on %s (%d)", path, res.StatusCode)
			}
			return m[1]
		}
		res, err := client.PostForm(srv.URL+"/login", url.Values{"username": {"admin"}, "password": {"shared-trust-admin-password"}, "csrf": {csrf("/login")}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("login: %d", res.StatusCode)
		}
		res, err = client.PostForm(srv.URL+"/cases/search", url.Values{"q": {"13812345678"}, "csrf": {csrf("/cases")}})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusForbidden || !strings.Contains(string(b), "最多1次") {
			t.Errorf("UI search: %d %.300s; want the limit of the service built in main", res.StatusCode, b)
		}
	})
}
