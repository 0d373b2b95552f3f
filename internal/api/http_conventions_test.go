package api_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"grassroots/internal/access"
	"grassroots/internal/api"
	"grassroots/internal/auth"
	"grassroots/internal/store"
	"grassroots/internal/store/storetest"
)

// TestUnauthorizedChallenge checks that a 401 carries WWW-Authenticate:
// Bearer (RFC 6750), with invalid_token when a token was sent, and that an
// accepted token's answer carries no challenge.
func TestUnauthorizedChallenge(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := db.Exec(ctx, `INSERT INTO units (id, code, name, kind, path, depth, created_at, updated_at) VALUES (1, '350722000000', '浦城县', 'county', '/1/', 0, 0, 0)`); err != nil {
			t.Fatal(err)
		}
		svc := auth.NewService(db, auth.WithHashParams(auth.FastHashParams()))
		if _, err := svc.CreateUser(ctx, access.System, auth.NewUser{Username: "admin", Password: "long enough password", Name: "管理员", UnitCode: "350722000000", Roles: []string{"admin"}}); err != nil {
			t.Fatal(err)
		}
		token, err := svc.CreateToken(ctx, access.System, "admin", "test")
		if err != nil {
			t.Fatal(err)
		}
		h := api.New(api.Deps{DB: db, Auth: svc, Log: slog.New(slog.DiscardHandler)}).Handler()
		for _, c := range []struct {
			name, auth string
			status     int
			challenge  string
		}{
			{"no token", "", http.StatusUnauthorized, `Bearer realm="grassroots"`},
			{"unknown token", "Bearer not-a-token", http.StatusUnauthorized, `Bearer realm="grassroots", error="invalid_token"`},
			{"other scheme", "Basic YWRtaW46eA==", http.StatusUnauthorized, `Bearer realm="grassroots", error="invalid_token"`},
			{"valid token", "Bearer " + token, http.StatusOK, ""},
		} {
			r := httptest.NewRequest("GET", "/api/v1/me", nil)
			if c.auth != "" {
				r.Header.Set("Authorization", c.auth)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != c.status {
				t.Errorf("%s: status %d, want %d: %s", c.name, w.Code, c.status, w.Body)
			}
			if got := w.Header().Get("WWW-Authenticate"); got != c.challenge {
				t.Errorf("%s: WWW-Authenticate %q, want %q", c.name, got, c.challenge)
			}
			if c.status == http.StatusUnauthorized {
				var body api.ErrorBody
				if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Error.Code != "unauthorized" {
					t.Errorf("%s: body %s (%v)", c.name, w.Body, err)
				}
			}
		}
	})
}

// TestMethodNotAllowed walks every API route: a method the path has no
// endpoint for is a JSON 405 whose Allow lists the route's method, not a
// 404; an unknown path stays a 404 without Allow.
func TestMethodNotAllowed(t *testing.T) {
	t.Parallel()
	s := api.New(api.Deps{Log: slog.New(slog.DiscardHandler)})
	h := s.Handler()
	param := regexp.MustCompile(`\{[^}]*\}`)
	for _, p := range s.Patterns() {
		method, pattern, _ := strings.Cut(p, " ")
		path := param.ReplaceAllString(pattern, "zz9")
		r := httptest.NewRequest("PATCH", path, nil) // no route uses PATCH
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusMethodNotAllowed {
			t.Errorf("PATCH %s (%s): status %d, want 405", path, p, w.Code)
			continue
		}
		allow := strings.Split(w.Header().Get("Allow"), ", ")
		if !slices.Contains(allow, method) || (method == "GET" && !slices.Contains(allow, "HEAD")) || slices.Contains(allow, "PATCH") {
			t.Errorf("PATCH %s (%s): Allow %q", path, p, w.Header().Get("Allow"))
		}
		var body api.ErrorBody
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Error.Code != "method_not_allowed" || body.Error.Message == "" {
			t.Errorf("PATCH %s: body %s (%v)", path, w.Body, err)
		}
	}

	for _, c := range []struct{ method, path, allow string }{
		{"DELETE", "/api/v1/users", "GET, HEAD, POST"},
		{"POST", "/api/v1/me", "GET, HEAD"},
		{"POST", "/api/v1/webhooks/7", "GET, HEAD, DELETE"},
	} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(c.method, c.path, nil))
		if w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != c.allow {
			t.Errorf("%s %s: %d Allow %q, want 405 %q", c.method, c.path, w.Code, w.Header().Get("Allow"), c.allow)
		}
	}

	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/api/v1/no-such-thing", nil))
	if w.Code != http.StatusNotFound || w.Header().Get("Allow") != "" || !strings.Contains(w.Body.String(), `"not_found"`) {
		t.Errorf("unknown path: %d Allow %q %s", w.Code, w.Header().Get("Allow"), w.Body)
	}
}
